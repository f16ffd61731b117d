//! A scope's posture memory and notices, in the scope's partition of the state table.
//!
//! The memory holds only the failing checks (a check that passes and one never judged alert
//! alike when they fail), one entry per resource, and a generation that every judgement
//! raises. Notices are written before the memory, each only if absent, with an id made from
//! the generation they belong to: a collector that stops between the two writes finds the same
//! changes next time, writes the same ids, and nothing is sent twice. The memory's write is
//! conditional on the generation it read, so two polls of one scope never both record a
//! judgement.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::posture::PostureNotice;
use cognito_watch_core::posture::change::{Key, Known};
use cognito_watch_core::posture::overrides::Override;
use serde::{Deserialize, Serialize};

use super::table::{StateKey, POSTURE_NOTICE_PREFIX};
use super::StateStore;
use crate::dynamo::outbox::{Delivery, DeliveryState, Outbox};
use crate::dynamo::{
    all_pages, conditional, from_stored, item_size, n, s, to_item, Item, TableKey,
};
use crate::error::AwsError;
use crate::sdk::Scope;

/// The largest memory item written; DynamoDB's limit is 400 KB.
const MAX_MEMORY_BYTES: usize = 380_000;

/// What a scope's posture checks last concluded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostureMemory {
    /// Raised by one with each judgement recorded.
    pub generation: u64,
    /// When the last judgement was made.
    pub judged_at: Option<DateTime<Utc>>,
    /// Each resource's failing checks, by monitor id.
    pub failing: BTreeMap<String, Vec<String>>,
}

impl PostureMemory {
    /// The memory as `posture::change` reads it.
    pub fn known(&self) -> BTreeMap<Key, Known> {
        self.failing
            .iter()
            .flat_map(|(m, checks)| {
                checks
                    .iter()
                    .map(move |c| ((c.clone(), m.clone()), Known::Fail))
            })
            .collect()
    }

    /// The next memory: what `posture::change` concluded, the failing part.
    pub fn next(&self, known: &BTreeMap<Key, Known>, at: DateTime<Utc>) -> PostureMemory {
        let mut failing: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for ((check, monitor), k) in known {
            if *k == Known::Fail {
                failing
                    .entry(monitor.clone())
                    .or_default()
                    .push(check.clone());
            }
        }
        PostureMemory {
            generation: self.generation + 1,
            judged_at: Some(at),
            failing,
        }
    }
}

/// A notice as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredNotice {
    /// What it says.
    pub notice: PostureNotice,
    /// Where it is in its delivery.
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The message that already said it (a trail detection), when it was not published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<String>,
}

/// The estate's posture overrides, as stored: a version every write raises.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StoredOverrides {
    /// Raised by one with each write.
    pub version: u64,
    /// The overrides, oldest first.
    pub overrides: Vec<Override>,
}

impl StateStore {
    /// The posture overrides (none when none were recorded).
    pub async fn posture_overrides(&self) -> Result<StoredOverrides, AwsError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .set_key(Some(StateKey::PostureOverrides.attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        got.item
            .map(|i| from_stored(i, &[], "GetItem"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Write the overrides read as `read` (its version), changed: Ok(false) when another
    /// write came in between (read again and retry).
    pub async fn put_posture_overrides(
        &self,
        read: &StoredOverrides,
        overrides: Vec<Override>,
    ) -> Result<bool, AwsError> {
        let next = StoredOverrides {
            version: read.version + 1,
            overrides,
        };
        let mut item = to_item(&next, "PutItem")?;
        item.extend(StateKey::PostureOverrides.attributes());
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.state)
            .set_item(Some(item));
        let put = if read.version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :v")
                .expression_attribute_values(
                    ":v",
                    n(i64::try_from(read.version).unwrap_or(i64::MAX)),
                )
        };
        conditional("PutItem", put.send().await)
    }

    fn memory_key(scope: &Scope) -> StateKey {
        StateKey::PostureMemory {
            account: scope.account.clone(),
            region: scope.region.clone(),
        }
    }

    /// A notice's key in its scope's partition.
    pub fn notice_key(scope: &Scope, notice_id: &str) -> StateKey {
        StateKey::PostureNotice {
            account: scope.account.clone(),
            region: scope.region.clone(),
            notice_id: notice_id.to_string(),
        }
    }

    /// The outbox of posture notices (the state table), keeping sent notices `retention`.
    pub fn posture_outbox(&self, retention: Duration) -> Outbox {
        Outbox {
            client: self.client.clone(),
            table: self.tables.state.clone(),
            retention,
        }
    }

    /// The scope's posture memory; None before its first judgement.
    pub async fn posture_memory(&self, scope: &Scope) -> Result<Option<PostureMemory>, AwsError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .set_key(Some(Self::memory_key(scope).attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        got.item.map(|i| from_stored(i, &[], "GetItem")).transpose()
    }

    /// Record a judgement: its notices (each only if absent), then the memory, on condition
    /// that the memory is still the one read (`previous`, None for none). Ok(false) when
    /// another poll recorded a judgement first: its notices stand, this one's memory does not.
    pub async fn record_posture(
        &self,
        scope: &Scope,
        previous: Option<&PostureMemory>,
        memory: &PostureMemory,
        notices: &[PostureNotice],
    ) -> Result<bool, AwsError> {
        let mut item = to_item(memory, "PutItem")?;
        item.extend(Self::memory_key(scope).attributes());
        if item_size(&item) > MAX_MEMORY_BYTES {
            return Err(AwsError::other(
                "PutItem",
                format!(
                    "the posture memory of {} would be {} bytes, above {MAX_MEMORY_BYTES}: too \
                     many failing checks to remember in one item; posture alerts are off for \
                     this scope (`cognito-watch posture` still lists them)",
                    scope.key(),
                    item_size(&item)
                ),
            ));
        }
        for notice in notices {
            let stored = StoredNotice {
                notice: notice.clone(),
                delivery: Delivery::pending(),
                covered_by: None,
            };
            let mut item: Item = to_item(&stored, "PutItem")?;
            item.extend(Self::notice_key(scope, &notice.notice_id).attributes());
            crate::dynamo::outbox::put_if_absent(&self.client, &self.tables.state, item).await?;
        }
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.state)
            .set_item(Some(item));
        let put = match previous {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(p) => put
                .condition_expression("generation = :g")
                .expression_attribute_values(
                    ":g",
                    n(i64::try_from(p.generation).unwrap_or(i64::MAX)),
                ),
        };
        conditional("PutItem", put.send().await)
    }

    /// The scope's posture notices, oldest id first; only those not sent when `pending`.
    pub async fn posture_notices(
        &self,
        scope: &Scope,
        pending: bool,
    ) -> Result<Vec<StoredNotice>, AwsError> {
        let key = Self::memory_key(scope);
        let mut query = self
            .client
            .query()
            .table_name(&self.tables.state)
            .consistent_read(true)
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", s(key.pk()))
            .expression_attribute_values(":p", s(POSTURE_NOTICE_PREFIX));
        if pending {
            query = query
                .filter_expression("delivery <> :sent")
                .expression_attribute_values(":sent", s(DeliveryState::Sent.as_str()));
        }
        all_pages(query)
            .await?
            .into_iter()
            .map(|i| from_stored(i, &[], "Query"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_keeps_only_what_fails_and_reads_back() {
        let mut known = BTreeMap::new();
        known.insert(("user_pool.mfa".into(), "userpool/a".into()), Known::Fail);
        known.insert(("user_pool.waf".into(), "userpool/a".into()), Known::Pass);
        let m = PostureMemory::default().next(&known, Utc::now());
        assert_eq!(m.generation, 1);
        assert_eq!(m.failing.len(), 1);
        let back = m.known();
        assert_eq!(back.len(), 1);
        assert_eq!(
            back.get(&("user_pool.mfa".to_string(), "userpool/a".to_string())),
            Some(&Known::Fail)
        );
    }
}
