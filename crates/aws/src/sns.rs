//! The alert sink: SNS Publish with `MessageStructure = json` and message attributes, in SNS's
//! query protocol through [`crate::wire`] (not the SNS SDK crate: README, Performance).

use cognito_watch_core::alerting::message::Message;

use crate::error::AwsError;
use crate::wire::{xml_text, ServiceClient, SNS};

#[derive(Clone)]
pub struct AlertSink {
    client: ServiceClient,
    pub topic_arn: String,
}

impl AlertSink {
    /// Publish is never retried by the client: a retry after an answer was lost (SNS took the
    /// message, the 500 or the timeout came after) would publish a second copy inside the
    /// claim, and a chain of retries could outlast the claim and race another evaluation. The
    /// outbox retries instead, at its next delivery pass, with the same `alert_id`.
    pub fn new(config: &aws_config::SdkConfig, topic_arn: &str) -> AlertSink {
        AlertSink {
            client: ServiceClient::new(config, SNS).with_max_attempts(1),
            topic_arn: topic_arn.to_string(),
        }
    }

    /// Publish one alert message; returns SNS's message id.
    pub async fn publish(&self, message: &Message) -> Result<String, AwsError> {
        let answer = self
            .client
            .query("Publish", |w| {
                w.prefix("TopicArn").string(&self.topic_arn);
                w.prefix("Message").string(&message.body);
                w.prefix("Subject").string(&message.subject);
                w.prefix("MessageStructure").string("json");
                let mut attributes = w
                    .prefix("MessageAttributes")
                    .start_map(false, "Name", "Value");
                for (name, value) in &message.attributes {
                    let mut entry = attributes.entry(name);
                    entry.prefix("DataType").string("String");
                    entry.prefix("StringValue").string(value);
                }
                attributes.finish();
            })
            .await?;
        let id = ["PublishResponse", "PublishResult", "MessageId"];
        xml_text(&answer, &id)
            .ok_or_else(|| AwsError::other("Publish", "no MessageId in the answer"))
    }

    /// Create (or find) a topic by name; returns its ARN. For local use and tests.
    pub async fn create_topic(
        config: &aws_config::SdkConfig,
        name: &str,
    ) -> Result<String, AwsError> {
        let answer = ServiceClient::new(config, SNS)
            .query("CreateTopic", |w| w.prefix("Name").string(name))
            .await?;
        let arn = ["CreateTopicResponse", "CreateTopicResult", "TopicArn"];
        xml_text(&answer, &arn)
            .ok_or_else(|| AwsError::other("CreateTopic", "no topic ARN in the answer"))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_smithy_http_client::test_util::infallible_client_fn;
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
        }
    }

    /// The form's fields, decoded.
    fn form(body: &[u8]) -> BTreeMap<String, String> {
        let text = std::str::from_utf8(body).unwrap();
        text.split('&')
            .map(|pair| {
                let (k, v) = pair.split_once('=').unwrap();
                let decode = |s: &str| {
                    percent_encoding::percent_decode_str(&s.replace('+', " "))
                        .decode_utf8()
                        .unwrap()
                        .into_owned()
                };
                (decode(k), decode(v))
            })
            .collect()
    }

    #[tokio::test]
    async fn publish_sends_the_query_form_and_reads_the_message_id() {
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = seen.clone();
        let http = infallible_client_fn(move |request: http::Request<SdkBody>| {
            keep.lock().unwrap().push(request);
            http::Response::builder()
                .status(200)
                .body(SdkBody::from(
                    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                     <PublishResult><MessageId>94f20ce6-13c5-43a0-9a9e-ca52d816e90b</MessageId>\
                     </PublishResult><ResponseMetadata><RequestId>f187a3c1</RequestId>\
                     </ResponseMetadata></PublishResponse>",
                ))
                .unwrap()
        });
        let sink = AlertSink::new(&config(http), TOPIC);
        let id = sink.publish(&message()).await.unwrap();
        assert_eq!(id, "94f20ce6-13c5-43a0-9a9e-ca52d816e90b");

        let seen = seen.lock().unwrap();
        let sent = &seen[0];
        assert_eq!(sent.uri(), "https://sns.eu-west-1.amazonaws.com/");
        assert_eq!(
            sent.headers()["content-type"],
            "application/x-www-form-urlencoded"
        );
        assert!(sent.headers().get("x-amz-target").is_none());
        let auth = sent.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("/eu-west-1/sns/aws4_request"), "{auth}");
        let body = sent.body().bytes().unwrap();
        assert!(body.starts_with(b"Action=Publish&Version=2010-03-31&"));
        let fields = form(body);
        let expected: BTreeMap<String, String> = [
            ("Action", "Publish"),
            ("Version", "2010-03-31"),
            ("TopicArn", TOPIC),
            ("Message", r#"{"default":"a & b = c","email":"ü"}"#),
            ("Subject", "CRITICAL: shop-mobile"),
            ("MessageStructure", "json"),
            ("MessageAttributes.entry.1.Name", "alert_id"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "outage#1"),
            ("MessageAttributes.entry.2.Name", "severity"),
            ("MessageAttributes.entry.2.Value.DataType", "String"),
            ("MessageAttributes.entry.2.Value.StringValue", "critical"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(fields, expected);
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
        assert_eq!(e.summary, "InternalError: Internal & unavailable");
        assert!(!e.is_permanent());
    }

    #[tokio::test]
    async fn an_answer_without_a_message_id_is_an_error() {
        let http = infallible_client_fn(|_request: http::Request<SdkBody>| {
            http::Response::builder()
                .status(200)
                .body(SdkBody::from("<html>not SNS</html>"))
                .unwrap()
        });
        let e = AlertSink::new(&config(http), TOPIC)
            .publish(&message())
            .await
            .unwrap_err();
        assert_eq!(e.summary, "no MessageId in the answer");
    }
}
