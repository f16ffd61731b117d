//! The outbox's delivery marks, shared by every table that holds messages to publish (the
//! status table's alerts, the trail table's detections): claim, then mark sent, or mark failed
//! and leave pending. A claim is a conditional update, so each message is published by one
//! invocation at a time and, once sent, never again.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::dynamo::{conditional, n, s, time, Item, TableKey, TTL_ATTRIBUTE};
use crate::error::AwsError;

/// Where a message is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// Not published yet (or its last attempt failed).
    Pending,
    /// Claimed by an invocation that is publishing it.
    Sending,
    /// Published.
    Sent,
}

impl DeliveryState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
        }
    }
}

impl std::fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message's delivery state, as stored beside it (flattened into the item).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    #[serde(rename = "delivery")]
    pub state: DeliveryState,
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
            state: DeliveryState::Pending,
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
    item: Item,
) -> Result<bool, AwsError> {
    let put = client
        .put_item()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await;
    conditional("PutItem", put)
}

/// A message another invocation may take: pending, or claimed by one whose claim ran out.
const CLAIMABLE: &str = "delivery = :pending OR (delivery = :sending AND claim_until < :now)";

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
    async fn claim(
        &self,
        key: &impl TableKey,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Claim, AwsError> {
        if self.try_claim(key, now, until).await? {
            return Ok(Claim::Claimed);
        }
        let item = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
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
            Some(s) if s == DeliveryState::Sent.as_str() => Claim::Sent,
            _ => Claim::Held,
        })
    }

    async fn try_claim(
        &self,
        key: &impl TableKey,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression("SET delivery = :sending, claim_until = :until ADD attempts :one")
            .condition_expression(CLAIMABLE)
            .expression_attribute_values(":sending", s(DeliveryState::Sending.as_str()))
            .expression_attribute_values(":pending", s(DeliveryState::Pending.as_str()))
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        conditional("UpdateItem", out)
    }

    async fn mark_sent(
        &self,
        key: &impl TableKey,
        message_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(
                "SET delivery = :sent, message_id = :id, sent_at = :at, #ttl = :ttl REMOVE last_error",
            )
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":sent", s(DeliveryState::Sent.as_str()))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":at", s(time(at)))
            .expression_attribute_values(":ttl", n((at + self.retention).timestamp()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Publishing failed: back to pending, with the error, for the next evaluation.
    async fn mark_failed(&self, key: &impl TableKey, error: &str) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression("SET delivery = :pending, last_error = :err, claim_until = :zero")
            .expression_attribute_values(":pending", s(DeliveryState::Pending.as_str()))
            .expression_attribute_values(":err", s(error.chars().take(1000).collect::<String>()))
            .expression_attribute_values(":zero", n(0))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }
}

impl Outbox {
    /// Mark a pending message sent without publishing it, saying why (`covered_by`): another
    /// message already said it. Ok(false) if it was not pending (sent, or claimed by another
    /// invocation whose claim has not run out).
    pub async fn settle(
        &self,
        key: &impl TableKey,
        covered_by: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(
                "SET delivery = :sent, covered_by = :by, sent_at = :at, #ttl = :ttl REMOVE last_error",
            )
            .condition_expression(CLAIMABLE)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":sent", s(DeliveryState::Sent.as_str()))
            .expression_attribute_values(":pending", s(DeliveryState::Pending.as_str()))
            .expression_attribute_values(":sending", s(DeliveryState::Sending.as_str()))
            .expression_attribute_values(":by", s(covered_by.chars().take(1000).collect::<String>()))
            .expression_attribute_values(":at", s(time(now)))
            .expression_attribute_values(":ttl", n((now + self.retention).timestamp()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        conditional("UpdateItem", out)
    }
}

/// What delivering one message came to.
#[derive(Debug)]
pub enum Delivered<T> {
    /// Published now: SNS's message id, and what the publish step returned beside it.
    Sent { message_id: String, extra: T },
    /// Published before (by this or another invocation).
    AlreadySent,
    /// Another invocation's claim holds it: still pending.
    Held,
    /// Publishing failed: the message is pending again, with this error stored beside it.
    Failed(AwsError),
}

impl Outbox {
    /// The outbox protocol for one message: claim it for `claim_for`, publish it (only when the
    /// claim is ours), then mark it sent, or failed and pending again. A publish error is the
    /// outcome [`Delivered::Failed`]; only the outbox's own reads and writes fail the call.
    pub async fn deliver<T, F, Fut>(
        &self,
        key: &impl TableKey,
        now: DateTime<Utc>,
        claim_for: Duration,
        publish: F,
    ) -> Result<Delivered<T>, AwsError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(String, T), AwsError>>,
    {
        match self.claim(key, now, now + claim_for).await? {
            Claim::Claimed => {}
            Claim::Sent => return Ok(Delivered::AlreadySent),
            Claim::Held => return Ok(Delivered::Held),
        }
        match publish().await {
            Ok((message_id, extra)) => {
                self.mark_sent(key, &message_id, Utc::now()).await?;
                Ok(Delivered::Sent { message_id, extra })
            }
            Err(e) => {
                self.mark_failed(key, &e.to_string()).await?;
                Ok(Delivered::Failed(e))
            }
        }
    }
}
