//! The alert sink: SNS Publish of a message to a destination in its format (`sns`: with
//! `MessageStructure = json`; `json`: the JSON form; `chat`: the chat schema) with its message
//! attributes.

use aws_sdk_sns::types::MessageAttributeValue;
use cognito_watch_core::alerting::chat::Links;
use cognito_watch_core::alerting::message::{Message, MAX_ATTRIBUTES};
use cognito_watch_core::alerting::notification::{Destination, Format};

use crate::error::AwsError;

#[derive(Clone)]
pub struct AlertSink {
    pub client: aws_sdk_sns::Client,
    /// The stack's topic (`default` in a notification profile).
    pub topic_arn: String,
    /// The links chat messages carry.
    pub links: Links,
}

impl AlertSink {
    /// Publish is never retried by the client: a retry after an answer was lost (SNS took the
    /// message, the 500 or the timeout came after) would publish a second copy inside the
    /// claim, and a chain of retries could outlast the claim and race another evaluation. The
    /// outbox retries instead, at its next delivery pass, with the same `alert_id`.
    pub fn new(config: &aws_config::SdkConfig, topic_arn: &str) -> AlertSink {
        let sns = aws_sdk_sns::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        AlertSink {
            client: aws_sdk_sns::Client::from_conf(sns),
            topic_arn: topic_arn.to_string(),
            links: Links::default(),
        }
    }

    /// The sink, chat messages carrying `links`.
    pub fn with_links(mut self, links: Links) -> AlertSink {
        self.links = links;
        self
    }

    /// Publish one message to the stack's topic in the `sns` format; returns SNS's message id.
    pub async fn publish(&self, message: &Message) -> Result<String, AwsError> {
        self.publish_to(message, &Destination::stack()).await
    }

    /// Publish one message to `destination` in its format; returns SNS's message id.
    pub async fn publish_to(
        &self,
        message: &Message,
        destination: &Destination,
    ) -> Result<String, AwsError> {
        if message.attribute_count() > MAX_ATTRIBUTES {
            return Err(AwsError::other(
                "Publish",
                format!(
                    "{} message attributes; SNS discards a message with more than {MAX_ATTRIBUTES} bound for raw delivery to SQS",
                    message.attribute_count()
                ),
            ));
        }
        let topic = destination.arn(&self.topic_arn);
        let request = self
            .client
            .publish()
            .topic_arn(topic)
            .subject(&message.subject);
        let mut request = match destination.format {
            Format::Sns => request.message_structure("json").message(&message.body),
            Format::Json => request.message(&message.json),
            Format::Chat => request.message(
                message
                    .chat_json(&self.links)
                    .map_err(|e| AwsError::local("Publish", "cannot render the chat form", e))?,
            ),
        };
        let attribute = |data_type: &str, value: String| {
            MessageAttributeValue::builder()
                .data_type(data_type)
                .string_value(value)
                .build()
                .map_err(|e| AwsError::local("Publish", "cannot build a message attribute", e))
        };
        for (name, value) in &message.attributes {
            request = request.message_attributes(name, attribute("String", value.clone())?);
        }
        for (name, values) in &message.arrays {
            let json = serde_json::to_string(values)
                .map_err(|e| AwsError::local("Publish", "cannot write a String.Array", e))?;
            request = request.message_attributes(name, attribute("String.Array", json)?);
        }
        let out = request
            .send()
            .await
            .map_err(|e| Self::publish_error(topic, e))?;
        out.message_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AwsError::other("Publish", "no MessageId in the answer"))
    }

    /// The topic's subscriptions (ListSubscriptionsByTopic, every page): each one's protocol
    /// and whether it is confirmed (SNS lists an unconfirmed one as `PendingConfirmation`).
    pub async fn subscriptions(
        &self,
    ) -> Result<Vec<cognito_watch_core::doctor::Subscription>, AwsError> {
        let mut out = Vec::new();
        let mut pages = self
            .client
            .list_subscriptions_by_topic()
            .topic_arn(&self.topic_arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("ListSubscriptionsByTopic", e))?;
            for s in page.subscriptions.unwrap_or_default() {
                let arn = s.subscription_arn.unwrap_or_default();
                out.push(cognito_watch_core::doctor::Subscription {
                    protocol: s.protocol.unwrap_or_default(),
                    confirmed: arn.starts_with("arn:"),
                });
            }
        }
        Ok(out)
    }

    /// A Publish error naming the topic, and for a topic that does not exist or may not be
    /// published to (a configuration mistake, not an outage) what to do about it.
    fn publish_error(
        topic: &str,
        e: aws_smithy_runtime_api::client::result::SdkError<
            aws_sdk_sns::operation::publish::PublishError,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> AwsError {
        let service = e.as_service_error();
        let fix = if service.is_some_and(|s| s.is_not_found_exception()) {
            ": the topic does not exist. For the stack's topic, set ALERT_TOPIC_ARN to the stack's \
             AlertTopicArn output (locally, `cognito-watch init` makes the topic it names); for \
             a notification profile's, create it or change the profile"
        } else if service.is_some_and(|s| s.is_authorization_error_exception()) {
            ": this role may not publish to it (a notification profile's topic must be listed in \
             the stack's DestinationTopicArns, and its KMS key in DestinationKmsKeyArns when it \
             is encrypted)"
        } else {
            ""
        };
        let mut e = AwsError::from_sdk("Publish", e);
        e.summary = format!("{} (topic {topic}){fix}", e.summary);
        e
    }

    /// Whether the topic `arn` exists (SNS GetTopicAttributes; its NotFound, typed, is `false`).
    pub async fn topic_exists(config: &aws_config::SdkConfig, arn: &str) -> Result<bool, AwsError> {
        match aws_sdk_sns::Client::new(config)
            .get_topic_attributes()
            .topic_arn(arn)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_not_found_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(AwsError::from_sdk("GetTopicAttributes", e)),
        }
    }

    /// Create (or find) a topic by name; returns its ARN. For local use and tests.
    pub async fn create_topic(
        config: &aws_config::SdkConfig,
        name: &str,
    ) -> Result<String, AwsError> {
        let out = aws_sdk_sns::Client::new(config)
            .create_topic()
            .name(name)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("CreateTopic", e))?;
        out.topic_arn
            .ok_or_else(|| AwsError::other("CreateTopic", "no topic ARN in the answer"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_sdk_sns::operation::publish::PublishOutput;
    use aws_smithy_http_client::test_util::infallible_client_fn;
    use aws_smithy_mocks::{mock, mock_client};
    use aws_smithy_types::body::SdkBody;

    use super::*;

    const TOPIC: &str = "arn:aws:sns:eu-west-1:123456789012:cognito-watch-alerts";

    fn config(
        http: aws_smithy_runtime_api::client::http::SharedHttpClient,
    ) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::for_tests(),
                ),
            )
            // Retries on: Publish must still make one attempt only.
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(3))
            .http_client(http)
            .build()
    }

    fn message() -> Message {
        Message {
            subject: "CRITICAL: shop-mobile".into(),
            body: r#"{"default":"a & b = c","email":"ü"}"#.into(),
            text: String::new(),
            json: String::new(),
            attributes: BTreeMap::from([
                ("severity".to_string(), "critical".to_string()),
                ("alert_id".to_string(), "outage#1".to_string()),
            ]),
            arrays: BTreeMap::new(),
            chat: Default::default(),
        }
    }

    #[tokio::test]
    async fn publish_sends_the_topic_structure_and_attributes_and_reads_the_message_id() {
        let publish = mock!(aws_sdk_sns::Client::publish)
            .match_requests(|p| {
                let attribute = |name: &str| {
                    p.message_attributes()
                        .and_then(|a| a.get(name))
                        .map(|v| (v.data_type(), v.string_value()))
                };
                p.topic_arn() == Some(TOPIC)
                    && p.message_structure() == Some("json")
                    && p.subject() == Some("CRITICAL: shop-mobile")
                    && p.message() == Some(r#"{"default":"a & b = c","email":"ü"}"#)
                    && p.message_attributes().map(|a| a.len()) == Some(2)
                    && attribute("severity") == Some(("String", Some("critical")))
                    && attribute("alert_id") == Some(("String", Some("outage#1")))
            })
            .then_output(|| PublishOutput::builder().message_id("94f20ce6").build());
        let sink = AlertSink {
            client: mock_client!(aws_sdk_sns, [&publish]),
            topic_arn: TOPIC.into(),
            links: Links::default(),
        };
        assert_eq!(sink.publish(&message()).await.unwrap(), "94f20ce6");
        assert_eq!(publish.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_publish_is_one_attempt_with_snss_code_and_message() {
        let attempts = Arc::new(AtomicUsize::new(0));
        let count = attempts.clone();
        let http = infallible_client_fn(move |_request: http::Request<SdkBody>| {
            count.fetch_add(1, Ordering::SeqCst);
            http::Response::builder()
                .status(500)
                .body(SdkBody::from(
                    "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                     <Error><Type>Receiver</Type><Code>InternalError</Code>\
                     <Message>Internal &amp; unavailable</Message></Error>\
                     <RequestId>9b9d</RequestId></ErrorResponse>",
                ))
                .unwrap()
        });
        let e = AlertSink::new(&config(http), TOPIC)
            .publish(&message())
            .await
            .unwrap_err();
        assert_eq!(
            attempts.load(Ordering::SeqCst),
            1,
            "never retried by the client"
        );
        assert_eq!(e.operation, "Publish");
        assert_eq!(e.code.as_deref(), Some("InternalError"));
        assert_eq!(e.status, Some(500));
        assert_eq!(
            e.summary,
            format!("InternalError: Internal & unavailable (topic {TOPIC})")
        );
        assert!(!e.is_permanent());
    }

    #[tokio::test]
    async fn an_answer_without_a_message_id_is_an_error() {
        let publish =
            mock!(aws_sdk_sns::Client::publish).then_output(|| PublishOutput::builder().build());
        let sink = AlertSink {
            client: mock_client!(aws_sdk_sns, [&publish]),
            topic_arn: TOPIC.into(),
            links: Links::default(),
        };
        let e = sink.publish(&message()).await.unwrap_err();
        assert_eq!(e.summary, "no MessageId in the answer");
    }
}
