//! The failure queue: where a delivery that can never succeed (its S3 object is gone, access is
//! denied) is sent at once, instead of failing the invocation and being retried for nothing.
//! It is the function's own on-failure destination, so an operator finds every lost delivery
//! in one place, with the reason.

use serde::Serialize;

use crate::error::AwsError;

/// What the queue receives about one delivery.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FailedDelivery {
    /// `permanent-failure`: the shape operators filter on.
    pub kind: &'static str,
    /// The delivery's idempotency key and source (`s3`, `logs`, `eventbridge`, `file`).
    pub delivery: String,
    pub source: &'static str,
    /// The S3 object, when the delivery is a trail file (enough to replay it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<serde_json::Value>,
    pub operation: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    pub reason: String,
}

#[derive(Clone)]
pub struct FailureQueue {
    pub client: aws_sdk_sqs::Client,
    pub url: String,
}

impl FailureQueue {
    pub fn new(config: &aws_config::SdkConfig, url: &str) -> FailureQueue {
        FailureQueue {
            client: aws_sdk_sqs::Client::new(config),
            url: url.to_string(),
        }
    }

    pub async fn send(&self, failed: &FailedDelivery) -> Result<(), AwsError> {
        let body = serde_json::to_string(failed)
            .map_err(|e| AwsError::local("SendMessage", "cannot encode the message", e))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("SendMessage", e))?;
        Ok(())
    }
}
