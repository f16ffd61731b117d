//! What every DynamoDB table shares: item helpers, [`spec::TableSpec`] (key schema, indexes,
//! stream, TTL; `init` creates a table from it and a test checks `template.yaml` against it) and
//! the outbox's delivery marks. Each table has its folder with its store and its keys:
//!
//! | table | module | what it holds |
//! |---|---|---|
//! | state (`STATE_TABLE`) | [`crate::state::table`] | the inventory: monitors, sweep checkpoints, cursors |
//! | history (`HISTORY_TABLE`) | [`crate::state::history`] | the Log Report and the poll log |
//! | status (`STATUS_TABLE`) | [`crate::status::table`] | statuses, outages, alerts, profiles, leases |
//! | trail (`TRAIL_TABLE`) | [`crate::trail::table`] | tallies, idempotency marks, detections |

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::AwsError;

pub mod outbox;
pub mod spec;

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// The partition key attribute of every table.
pub const PK: &str = "pk";
/// The sort key attribute of every table.
pub const SK: &str = "sk";
/// The TTL attribute of every table.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A table's primary key: partition and sort key, and back.
pub trait TableKey: Sized {
    /// The partition key.
    fn pk(&self) -> String;
    /// The sort key.
    fn sk(&self) -> String;
    /// A stored key back to its meaning (None for a key this table does not write).
    fn parse(pk: &str, sk: &str) -> Option<Self>;

    /// The key as item attributes (for GetItem, UpdateItem, DeleteItem, ConditionCheck).
    fn attributes(&self) -> Item {
        Item::from([
            (PK.to_string(), s(self.pk())),
            (SK.to_string(), s(self.sk())),
        ])
    }

    /// Add the key to an item.
    fn stamp(&self, item: &mut Item) {
        item.insert(PK.into(), s(self.pk()));
        item.insert(SK.into(), s(self.sk()));
    }

    /// The key of a stored item.
    fn of_item(item: &Item) -> Option<Self> {
        let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
        Self::parse(text(PK)?, text(SK)?)
    }
}

/// A string attribute.
pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// A time as sort keys hold it, to the second (alerts, outages, tally windows).
pub(crate) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A time as sort keys hold it, to the millisecond (Log Report rows, the poll log).
pub(crate) fn time_ms(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored time back.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(crate) fn to_item<T: Serialize>(value: &T, operation: &'static str) -> Result<Item, AwsError> {
    serde_dynamo::to_item(value).map_err(|e| AwsError::encode(operation, e))
}

pub(crate) fn from_item<T: DeserializeOwned>(
    item: Item,
    operation: &'static str,
) -> Result<T, AwsError> {
    serde_dynamo::from_item(item).map_err(|e| AwsError::decode(operation, e))
}

/// A stored item decoded as `T`, without its keys, its TTL and the index attributes `extra`.
pub(crate) fn from_stored<T: DeserializeOwned>(
    mut item: Item,
    extra: &[&str],
    operation: &'static str,
) -> Result<T, AwsError> {
    for k in [PK, SK, TTL_ATTRIBUTE].iter().chain(extra) {
        item.remove(*k);
    }
    from_item(item, operation)
}

/// Every page of a Query (the SDK's paginator).
pub(crate) async fn all_pages(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, AwsError> {
    let mut items = Vec::new();
    let mut pages = query.into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| AwsError::from_sdk("Query", e))?;
        items.extend(page.items.unwrap_or_default());
    }
    Ok(items)
}

/// An item's size as DynamoDB counts it, near enough: attribute names plus values.
pub(crate) fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => v.iter().map(String::len).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => 3 + item_size(m) + m.len(),
        _ => 1,
    }
}

/// A request the SDK's builder refused (a required field missing).
pub(crate) fn built<T>(
    operation: &'static str,
    r: Result<T, aws_sdk_dynamodb::error::BuildError>,
) -> Result<T, AwsError> {
    r.map_err(|e| AwsError::build(operation, e))
}

/// A write whose condition expression can fail, told apart through the SDK's typed errors.
pub(crate) trait ConditionFailed {
    /// The write was refused only because its condition did not hold.
    fn condition_failed(&self) -> bool;
}

impl ConditionFailed for PutItemError {
    fn condition_failed(&self) -> bool {
        matches!(self, PutItemError::ConditionalCheckFailedException(_))
    }
}

impl ConditionFailed for UpdateItemError {
    fn condition_failed(&self) -> bool {
        matches!(self, UpdateItemError::ConditionalCheckFailedException(_))
    }
}

impl ConditionFailed for DeleteItemError {
    fn condition_failed(&self) -> bool {
        matches!(self, DeleteItemError::ConditionalCheckFailedException(_))
    }
}

impl ConditionFailed for TransactWriteItemsError {
    /// A transaction cancelled because the condition of its first item failed (the item
    /// callers put first is the one whose condition they ask about).
    fn condition_failed(&self) -> bool {
        match self {
            TransactWriteItemsError::TransactionCanceledException(tc) => tc
                .cancellation_reasons()
                .first()
                .and_then(|r| r.code())
                .is_some_and(|c| c == "ConditionalCheckFailed"),
            _ => false,
        }
    }
}

/// A conditional write's outcome: `Ok(true)` if written, `Ok(false)` when only its condition
/// failed, the error otherwise.
pub(crate) fn conditional<O, E>(
    operation: &'static str,
    result: Result<O, SdkError<E, HttpResponse>>,
) -> Result<bool, AwsError>
where
    E: ConditionFailed + ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(e) if e.as_service_error().is_some_and(E::condition_failed) => Ok(false),
        Err(e) => Err(AwsError::from_sdk(operation, e)),
    }
}

#[cfg(test)]
pub(crate) mod strategies {
    //! Generators of the values keys are built from, for the round-trip properties.
    use chrono::{DateTime, TimeZone, Utc};
    use cognito_watch_core::inventory::monitor::MonitorId;
    use proptest::prelude::*;

    /// A user pool id.
    pub(crate) fn pool() -> impl Strategy<Value = String> {
        "[a-z]{2}-[a-z]{4,9}-[1-3]_[A-Za-z0-9]{1,9}"
    }

    /// Free text as names and usernames may hold it: any characters, `#` included.
    pub(crate) fn name() -> impl Strategy<Value = String> {
        "[^\u{0}]{1,40}"
    }

    /// A time to the millisecond.
    pub(crate) fn time_ms() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..4_102_444_800_000)
            .prop_filter_map("in range", |ms| Utc.timestamp_millis_opt(ms).single())
    }

    /// A time to the second.
    pub(crate) fn time_s() -> impl Strategy<Value = DateTime<Utc>> {
        (0i64..4_102_444_800).prop_filter_map("in range", |s| Utc.timestamp_opt(s, 0).single())
    }

    /// Any monitor id.
    pub(crate) fn monitor_id() -> impl Strategy<Value = MonitorId> {
        prop_oneof![
            pool().prop_map(|pool| MonitorId::UserPool { pool }),
            (pool(), "[a-z0-9]{1,128}")
                .prop_map(|(pool, client_id)| MonitorId::AppClient { pool, client_id }),
            (pool(), name()).prop_map(|(pool, provider_name)| MonitorId::IdentityProvider {
                pool,
                provider_name
            }),
            (pool(), name()).prop_map(|(pool, username)| MonitorId::User { pool, username }),
            "[a-z]{2}-[a-z]{4,9}-[1-3]:[0-9a-f-]{36}".prop_map(|id| MonitorId::IdentityPool { id }),
        ]
    }

    /// A root: a user pool or an identity pool.
    pub(crate) fn root() -> impl Strategy<Value = MonitorId> {
        monitor_id().prop_map(|id| id.parent().unwrap_or(id))
    }
}
