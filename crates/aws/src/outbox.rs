//! The outbox's delivery marks, shared by every table that holds messages to publish (the
//! status table's alerts, the trail table's detections): claim, then mark sent, or mark failed
//! and leave pending. A claim is a conditional update, so each message is published by one
//! invocation at a time and, once sent, never again.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Duration, SecondsFormat, Utc};

use crate::error::AwsError;
use crate::store::{s, TTL_ATTRIBUTE};

pub const PENDING: &str = "pending";
pub const SENDING: &str = "sending";
pub const SENT: &str = "sent";

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A conditional write's outcome: Ok(false) when only its condition failed.
pub(crate) fn conditional<T>(result: Result<T, AwsError>) -> Result<bool, AwsError> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.code.as_deref() == Some("ConditionalCheckFailedException") => Ok(false),
        Err(e) => Err(e),
    }
}

/// A message's delivery state, as stored beside it (flattened into the item).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// pending | sending | sent
    #[serde(rename = "delivery")]
    pub state: String,
    #[serde(default)]
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub claim_until: i64,
}

impl Delivery {
    /// A message not yet published.
    pub fn pending() -> Delivery {
        Delivery {
            state: PENDING.to_string(),
            attempts: 0,
            last_error: None,
            message_id: None,
            sent_at: None,
            claim_until: 0,
        }
    }
}

/// Put `item` unless an item with its key exists: Ok(true) if it was written.
pub(crate) async fn put_if_absent(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    item: crate::store::Item,
) -> Result<bool, AwsError> {
    let put = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("PutItem", e));
    conditional(put)
}

/// What a claim found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// The message is ours to publish until the claim's end.
    Claimed,
    /// It was published already.
    Sent,
    /// Another invocation holds it (or held it and stopped) until this time (ms): it is still
    /// pending, not sent.
    Held,
}

#[derive(Clone)]
pub struct Outbox {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    /// How long a sent message is kept.
    pub retention: Duration,
}

impl Outbox {
    /// Claim a pending message for publishing until `until`: `Sent` if it was published,
    /// `Held` if another invocation's claim has not run out (it may have stopped before
    /// publishing: the message is not sent until it says so).
    pub async fn claim(
        &self,
        pk: &str,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Claim, AwsError> {
        if self.try_claim(pk, key, now, until).await? {
            return Ok(Claim::Claimed);
        }
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(key))
            .consistent_read(true)
            .projection_expression("delivery")
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?
            .item;
        let state = item
            .as_ref()
            .and_then(|i| i.get("delivery"))
            .and_then(|v| v.as_s().ok());
        Ok(match state.map(String::as_str) {
            Some(SENT) => Claim::Sent,
            _ => Claim::Held,
        })
    }

    async fn try_claim(
        &self,
        pk: &str,
        key: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(key))
            .update_expression("SET delivery = :sending, claim_until = :until ADD attempts :one")
            .condition_expression(
                "delivery = :pending OR (delivery = :sending AND claim_until < :now)",
            )
            .expression_attribute_values(":sending", s(SENDING))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e));
        conditional(out)
    }

    pub async fn mark_sent(
        &self,
        pk: &str,
        key: &str,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(key))
            .update_expression(
                "SET delivery = :sent, message_id = :id, sent_at = :at, #ttl = :ttl REMOVE last_error",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":sent", s(SENT))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":at", s(time(at)))
            .expression_attribute_values(":ttl", n((at + self.retention).timestamp()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Publishing failed: back to pending, with the error, for the next evaluation.
    pub async fn mark_failed(&self, pk: &str, key: &str, error: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(key))
            .update_expression("SET delivery = :pending, last_error = :err, claim_until = :zero")
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":err", s(error.chars().take(1000).collect::<String>()))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}
