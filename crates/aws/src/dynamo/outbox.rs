//! The outbox's delivery marks, shared by every table that holds messages to publish (the
//! status table's alerts, the state table's posture notices, the trail table's detections):
//! claim, publish to each destination of the message's route not yet reached, record each
//! destination's outcome beside the message, then mark it sent, or failed and pending for the
//! destinations that failed. A claim is a conditional update, so each message is published by
//! one invocation at a time and, once sent somewhere, never again there.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::notification::{Destination, Route};
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
    /// Each destination's delivery, by `<format>:<topic>`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub destinations: BTreeMap<String, DestinationDelivery>,
    /// The notification profile that routed it, once sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_profile: Option<String>,
}

/// The attribute holding each destination's delivery.
const DESTINATIONS: &str = "destinations";

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
            destinations: BTreeMap::new(),
            notification_profile: None,
        }
    }
}

impl Delivery {
    /// The state in words, naming each destination that has not had the message and why:
    /// `sent`, `pending`, or `pending (sns:arn:…:oncall failed 2×: Publish: InternalError: …)`.
    pub fn summary(&self) -> String {
        let waiting: Vec<String> = self
            .destinations
            .iter()
            .filter(|(_, d)| d.state != DeliveryState::Sent)
            .map(|(key, d)| match &d.last_error {
                Some(e) => format!(
                    "{key} failed {}×: {}",
                    d.attempts,
                    e.chars().take(160).collect::<String>()
                ),
                None => key.clone(),
            })
            .collect();
        if self.state == DeliveryState::Sent || waiting.is_empty() {
            self.state.to_string()
        } else {
            format!("{} ({})", self.state, waiting.join("; "))
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
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The message is ours to publish until the claim's end; the destinations it reached or
    /// tried so far.
    Claimed(BTreeMap<String, DestinationDelivery>),
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
        if let Some(reached) = self.try_claim(key, now, until).await? {
            return Ok(Claim::Claimed(reached));
        }
        Ok(match self.state(key).await? {
            Some(DeliveryState::Sent) => Claim::Sent,
            _ => Claim::Held,
        })
    }

    /// The message's delivery state (a consistent read); none if it is not there.
    async fn state(&self, key: &impl TableKey) -> Result<Option<DeliveryState>, AwsError> {
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
            Some("sent") => Some(DeliveryState::Sent),
            Some("sending") => Some(DeliveryState::Sending),
            Some(_) => Some(DeliveryState::Pending),
            None => None,
        })
    }

    async fn try_claim(
        &self,
        key: &impl TableKey,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<BTreeMap<String, DestinationDelivery>>, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression(
                "SET delivery = :sending, claim_until = :until, #d = if_not_exists(#d, :none) ADD attempts :one",
            )
            .condition_expression(CLAIMABLE)
            .expression_attribute_names("#d", DESTINATIONS)
            .expression_attribute_values(":none", AttributeValue::M(Default::default()))
            .return_values(ReturnValue::AllNew)
            .expression_attribute_values(":sending", s(DeliveryState::Sending.as_str()))
            .expression_attribute_values(":pending", s(DeliveryState::Pending.as_str()))
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":one", n(1))
            .send()
            .await;
        match out {
            Ok(out) => Ok(Some(destinations_of(out.attributes.as_ref()))),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(AwsError::from_sdk("UpdateItem", e)),
        }
    }

    /// Record one destination's outcome beside the message.
    async fn mark_destination(
        &self,
        key: &impl TableKey,
        destination: &str,
        entry: &DestinationDelivery,
    ) -> Result<(), AwsError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .update_expression("SET #d.#k = :e")
            .expression_attribute_names("#d", DESTINATIONS)
            .expression_attribute_names("#k", destination)
            .expression_attribute_values(":e", destination_value(entry)?)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    async fn mark_sent(
        &self,
        key: &impl TableKey,
        message_id: &str,
        profile: &str,
        last: Option<(String, DestinationDelivery)>,
        at: DateTime<Utc>,
    ) -> Result<(), AwsError> {
        let mut expression = "SET delivery = :sent, message_id = :id, sent_at = :at, #ttl = :ttl, \
                              notification_profile = :p"
            .to_string();
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":sent", s(DeliveryState::Sent.as_str()))
            .expression_attribute_values(":id", s(message_id))
            .expression_attribute_values(":p", s(profile))
            .expression_attribute_values(":at", s(time(at)))
            .expression_attribute_values(":ttl", n((at + self.retention).timestamp()));
        let update = with_destination(update, &mut expression, last)?;
        expression.push_str(" REMOVE last_error");
        update
            .update_expression(expression)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// Publishing failed somewhere: back to pending, with the errors, for the next delivery
    /// pass (which publishes only where it has not been sent).
    async fn mark_failed(
        &self,
        key: &impl TableKey,
        error: &str,
        last: Option<(String, DestinationDelivery)>,
    ) -> Result<(), AwsError> {
        let mut expression =
            "SET delivery = :pending, last_error = :err, claim_until = :zero".to_string();
        let update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .expression_attribute_values(":pending", s(DeliveryState::Pending.as_str()))
            .expression_attribute_values(":err", s(error.chars().take(1000).collect::<String>()))
            .expression_attribute_values(":zero", n(0));
        let update = with_destination(update, &mut expression, last)?;
        update
            .update_expression(expression)
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

/// One destination's delivery of a message, kept beside it (`destinations.<format>:<topic>`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DestinationDelivery {
    /// Pending (not yet published there, or its last attempt failed) or sent.
    pub state: DeliveryState,
    /// Publish attempts to this destination.
    #[serde(default)]
    pub attempts: u32,
    /// SNS's message id, once sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// When it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What delivering one message came to.
#[derive(Debug)]
pub enum Delivered<T> {
    /// Published now to every destination it was still pending at: (destination key, SNS's
    /// message id) for each, and what each publish step returned beside it.
    Sent {
        published: Vec<(String, String)>,
        extra: Vec<T>,
    },
    /// Published before (by this or another invocation) everywhere it goes.
    AlreadySent,
    /// Its notification profile wants none of it: settled unsent, saying so.
    NotWanted,
    /// Another invocation's claim holds it: still pending.
    Held,
    /// Publishing failed at some destinations: the message is pending again for those only,
    /// each error stored beside its destination; `published` went out now and is not sent
    /// again.
    Failed {
        published: Vec<(String, String)>,
        errors: Vec<(String, AwsError)>,
    },
}

/// Read a stored map of destination deliveries (absent: none yet).
fn destinations_of(item: Option<&Item>) -> BTreeMap<String, DestinationDelivery> {
    let Some(AttributeValue::M(map)) = item.and_then(|i| i.get(DESTINATIONS)) else {
        return BTreeMap::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let AttributeValue::M(m) = v else {
                return None;
            };
            serde_dynamo::from_item::<_, DestinationDelivery>(m.clone())
                .ok()
                .map(|d| (k.clone(), d))
        })
        .collect()
}

/// `update`, also recording the last destination's outcome (when there is one).
fn with_destination(
    update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    expression: &mut String,
    last: Option<(String, DestinationDelivery)>,
) -> Result<aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder, AwsError> {
    let Some((destination, entry)) = last else {
        return Ok(update);
    };
    expression.push_str(", #d.#k = :e");
    Ok(update
        .expression_attribute_names("#d", DESTINATIONS)
        .expression_attribute_names("#k", destination)
        .expression_attribute_values(":e", destination_value(&entry)?))
}

fn destination_value(d: &DestinationDelivery) -> Result<AttributeValue, AwsError> {
    serde_dynamo::to_attribute_value(d).map_err(|e| AwsError::encode("UpdateItem", e))
}

impl Outbox {
    /// The outbox protocol for one message and its route: claim it for `claim_for`, publish it
    /// (only when the claim is ours) to each destination of `route` it has not yet reached,
    /// recording each destination's outcome beside it, then mark it sent once every
    /// destination has it, or failed and pending again for the ones that failed. A route with
    /// no destination settles it unsent. A publish error is an outcome
    /// ([`Delivered::Failed`]); only the outbox's own reads and writes fail the call.
    pub async fn deliver<T, F, Fut>(
        &self,
        key: &impl TableKey,
        now: DateTime<Utc>,
        claim_for: Duration,
        route: &Route,
        publish: F,
    ) -> Result<Delivered<T>, AwsError>
    where
        F: Fn(&Destination) -> Fut,
        Fut: std::future::Future<Output = Result<(String, T), AwsError>>,
    {
        if route.destinations.is_empty() {
            let why = format!(
                "notification profile {:?} (by {}) does not send it",
                route.profile, route.by
            );
            if self.settle(key, &why, now).await? {
                return Ok(Delivered::NotWanted);
            }
            return Ok(match self.state(key).await? {
                Some(DeliveryState::Sent) => Delivered::AlreadySent,
                _ => Delivered::Held,
            });
        }
        let reached = match self.claim(key, now, now + claim_for).await? {
            Claim::Claimed(reached) => reached,
            Claim::Sent => return Ok(Delivered::AlreadySent),
            Claim::Held => return Ok(Delivered::Held),
        };
        let todo: Vec<&Destination> = route
            .destinations
            .iter()
            .filter(|d| {
                reached
                    .get(&d.key())
                    .is_none_or(|r| r.state != DeliveryState::Sent)
            })
            .collect();
        let mut published = Vec::new();
        let mut extra = Vec::new();
        let mut errors = Vec::new();
        let mut last = None;
        for (i, d) in todo.iter().enumerate() {
            let attempts = reached.get(&d.key()).map_or(0, |r| r.attempts) + 1;
            let entry = match publish(d).await {
                Ok((message_id, x)) => {
                    published.push((d.key(), message_id.clone()));
                    extra.push(x);
                    DestinationDelivery {
                        state: DeliveryState::Sent,
                        attempts,
                        message_id: Some(message_id),
                        sent_at: Some(Utc::now()),
                        last_error: None,
                    }
                }
                Err(e) => {
                    let entry = DestinationDelivery {
                        state: DeliveryState::Pending,
                        attempts,
                        message_id: None,
                        sent_at: None,
                        last_error: Some(e.to_string().chars().take(1000).collect()),
                    };
                    errors.push((d.key(), e));
                    entry
                }
            };
            // Each outcome is written as it happens (a later destination that hangs past the
            // function's timeout does not cost this one a second copy); the last one rides
            // with the message's own mark.
            if i + 1 < todo.len() {
                self.mark_destination(key, &d.key(), &entry).await?;
            } else {
                last = Some((d.key(), entry));
            }
        }
        if errors.is_empty() {
            let first = published
                .first()
                .map(|(_, id)| id.clone())
                .or_else(|| reached.values().find_map(|r| r.message_id.clone()))
                .unwrap_or_default();
            self.mark_sent(key, &first, &route.profile, last, Utc::now())
                .await?;
            Ok(Delivered::Sent { published, extra })
        } else {
            let summary = errors
                .iter()
                .map(|(d, e)| format!("{d}: {e}"))
                .collect::<Vec<_>>()
                .join("; ");
            self.mark_failed(key, &summary, last).await?;
            Ok(Delivered::Failed { published, errors })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_summary_names_the_destinations_still_waiting_and_why() {
        let mut d = Delivery::pending();
        assert_eq!(d.summary(), "pending");
        d.destinations.insert(
            "chat:arn:aws:sns:eu-west-1:123456789012:chat".into(),
            DestinationDelivery {
                state: DeliveryState::Sent,
                attempts: 1,
                message_id: Some("m-1".into()),
                sent_at: None,
                last_error: None,
            },
        );
        d.destinations.insert(
            "sns:arn:aws:sns:eu-west-1:123456789012:oncall".into(),
            DestinationDelivery {
                state: DeliveryState::Pending,
                attempts: 2,
                message_id: None,
                sent_at: None,
                last_error: Some("Publish: InternalError: injected fault".into()),
            },
        );
        assert_eq!(
            d.summary(),
            "pending (sns:arn:aws:sns:eu-west-1:123456789012:oncall failed 2×: Publish: InternalError: injected fault)"
        );
        d.state = DeliveryState::Sent;
        assert_eq!(d.summary(), "sent");
    }
}
