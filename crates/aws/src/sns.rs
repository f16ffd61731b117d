//! The alert sink: SNS Publish with `MessageStructure = json` and message attributes.

use aws_sdk_sns::types::MessageAttributeValue;
use cognito_watch_core::alerting::message::Message;

use crate::error::AwsError;

#[derive(Clone)]
pub struct AlertSink {
    pub client: aws_sdk_sns::Client,
    pub topic_arn: String,
}

impl AlertSink {
    /// The SDK does not retry Publish: a retry after an answer was lost (SNS took the message,
    /// the 500 or the timeout came after) would publish a second copy inside the claim, and a
    /// chain of retries could outlast the claim and race another evaluation. The outbox
    /// retries instead, at its next delivery pass, with the same `alert_id`.
    pub fn new(config: &aws_config::SdkConfig, topic_arn: &str) -> AlertSink {
        let sns = aws_sdk_sns::config::Builder::from(config)
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .build();
        AlertSink {
            client: aws_sdk_sns::Client::from_conf(sns),
            topic_arn: topic_arn.to_string(),
        }
    }

    /// Publish one alert message; returns SNS's message id.
    pub async fn publish(&self, message: &Message) -> Result<String, AwsError> {
        let mut req = self
            .client
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&message.subject)
            .message_structure("json")
            .message(&message.body);
        for (name, value) in &message.attributes {
            let v = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| AwsError::other("Publish", e.to_string()))?;
            req = req.message_attributes(name, v);
        }
        let out = req
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Publish", e))?;
        Ok(out.message_id.unwrap_or_default())
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
