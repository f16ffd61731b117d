//! The status table: what the evaluator decides and remembers.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | monitor status | root key (`POOL#<id>` / `IDPOOL#<id>`) | `STATUS#<monitor id>` |
//! | evaluation lease | root key | `LEASE` |
//! | alert (outbox) | root key | `ALERT#<time>#<alert id>` |
//! | outage | `OUTAGE#<monitor id>` | start time |
//! | threshold profile | `PROFILES` | `PROFILE#<kind>#<name>` |
//! | profile assignment | `PROFILES` | `ASSIGN#monitor#<id>` / `ASSIGN#tag#<k>=<v>` |
//! | defaults loaded marker | `PROFILES` | `SEEDED` |
//!
//! Outages carry `outage_index = "OUTAGE"` and `outage_sort = <start>#<monitor id>`, the keys
//! of the `outages` index, so the estate's outages are one Query. Alerts are written in the
//! same transaction as the status transition that makes them, with a lease check, and each is
//! claimed before it is published, so a transition is notified once.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ScalarAttributeType,
    SseSpecification, TimeToLiveSpecification, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::profile::{Assignment, Profile, ProfileSet};
use cognito_watch_core::alerting::status::{
    Alert, MonitorChange, MonitorStatus, Outage, OutageWrite,
};
use cognito_watch_core::inventory::monitor::MonitorId;
use cognito_watch_core::trail::detect::DetectionThresholds;
use serde::de::DeserializeOwned;

use crate::error::AwsError;
use crate::outbox::{conditional, n, put_if_absent, time};
pub use crate::outbox::{Delivery, Outbox, PENDING, SENDING, SENT};
use crate::store::{monitor_key, s, to_item, Item, TTL_ATTRIBUTE};

pub const OUTAGE_INDEX: &str = "outages";
const PROFILES_PK: &str = "PROFILES";
const DETECTIONS_SK: &str = "DETECTIONS";
/// The most items one TransactWriteItems may carry.
const TRANSACTION_ITEMS: usize = 100;

/// Decode a status-table item, without its keys and index attributes.
fn from_item<T: DeserializeOwned>(mut item: Item, operation: &'static str) -> Result<T, AwsError> {
    for k in [
        "pk",
        "sk",
        "item_type",
        TTL_ATTRIBUTE,
        "outage_index",
        "outage_sort",
    ] {
        item.remove(k);
    }
    crate::store::from_item(item, operation)
}

/// The partition of a root's evaluation state.
pub fn root_key(root: &MonitorId) -> String {
    monitor_key(root).0
}

/// An alert as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredAlert {
    pub alert: Alert,
    #[serde(flatten)]
    pub delivery: Delivery,
    /// The item's sort key.
    #[serde(default)]
    pub key: String,
}

#[derive(Clone)]
pub struct StatusStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    pub retention: Duration,
    /// Claims and delivery marks of the alert outbox.
    pub outbox: Outbox,
}

impl StatusStore {
    pub fn new(config: &aws_config::SdkConfig, table: &str, retention: Duration) -> StatusStore {
        let client = aws_sdk_dynamodb::Client::new(config);
        StatusStore {
            outbox: Outbox {
                client: client.clone(),
                table: table.to_string(),
                retention,
            },
            client,
            table: table.to_string(),
            retention,
        }
    }

    /// Every page of a Query.
    async fn pages(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, AwsError> {
        crate::store::all_pages(query).await
    }

    /// A partition, or the part of it whose sort keys start with `prefix`.
    async fn query(&self, pk: &str, prefix: Option<&str>) -> Result<Vec<Item>, AwsError> {
        let q = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(pk));
        let q = match prefix {
            Some(p) => q
                .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                .expression_attribute_values(":p", s(p)),
            None => q.key_condition_expression("pk = :pk"),
        };
        self.pages(q).await
    }

    // ---- profiles ----------------------------------------------------------------------

    /// Every profile and assignment, and whether the shipped defaults were ever loaded.
    pub async fn load_profiles(&self) -> Result<(ProfileSet, bool), AwsError> {
        let mut set = ProfileSet::default();
        let mut seeded = false;
        for item in self.query(PROFILES_PK, None).await? {
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == "SEEDED" {
                seeded = true;
            } else if sk.starts_with("PROFILE#") {
                set.profiles.push(from_item(item, "Query")?);
            } else if sk.starts_with("ASSIGN#") {
                set.assignments.push(from_item(item, "Query")?);
            } else if sk == DETECTIONS_SK {
                set.detections = from_item(item, "Query")?;
            }
        }
        Ok((set, seeded))
    }

    fn profile_item(p: &Profile) -> Result<Item, AwsError> {
        let mut item = to_item(p, "PutItem")?;
        item.insert("pk".into(), s(PROFILES_PK));
        item.insert(
            "sk".into(),
            s(format!("PROFILE#{}#{}", p.kind.id_prefix(), p.name)),
        );
        Ok(item)
    }

    fn assignment_item(a: &Assignment) -> Result<Item, AwsError> {
        let selector = a
            .selector()
            .map_err(|e| AwsError::other("PutItem", e.to_string()))?;
        let mut item = to_item(a, "PutItem")?;
        item.insert("pk".into(), s(PROFILES_PK));
        item.insert("sk".into(), s(format!("ASSIGN#{selector}")));
        Ok(item)
    }

    async fn put(&self, item: Item) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutItem", e))?;
        Ok(())
    }

    pub async fn put_profile(&self, p: &Profile) -> Result<(), AwsError> {
        p.validate()
            .map_err(|e| AwsError::other("PutItem", e.to_string()))?;
        self.put(Self::profile_item(p)?).await
    }

    pub async fn put_assignment(&self, a: &Assignment) -> Result<(), AwsError> {
        self.put(Self::assignment_item(a)?).await
    }

    fn detections_item(d: &DetectionThresholds) -> Result<Item, AwsError> {
        let mut item = to_item(d, "PutItem")?;
        item.insert("pk".into(), s(PROFILES_PK));
        item.insert("sk".into(), s(DETECTIONS_SK));
        Ok(item)
    }

    /// The trail function's detection thresholds (one GetItem); the defaults until stored.
    pub async fn load_detections(&self) -> Result<DetectionThresholds, AwsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(PROFILES_PK))
            .key("sk", s(DETECTIONS_SK))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        match out.item {
            Some(item) => from_item(item, "GetItem"),
            None => Ok(DetectionThresholds::default()),
        }
    }

    /// Store the trail function's detection thresholds.
    pub async fn put_detections(&self, d: &DetectionThresholds) -> Result<(), AwsError> {
        d.validate()
            .map_err(|e| AwsError::other("PutItem", e.to_string()))?;
        self.put(Self::detections_item(d)?).await
    }

    /// Store every profile and assignment of `set` (replacing same-named ones) and mark the
    /// defaults as loaded, all in one transaction: an import applies whole or not at all.
    pub async fn import(&self, set: &ProfileSet) -> Result<(), AwsError> {
        let op = "TransactWriteItems";
        set.validate()
            .map_err(|e| AwsError::other(op, e.to_string()))?;
        let mut items = Vec::new();
        for p in &set.profiles {
            items.push(Self::profile_item(p)?);
        }
        for a in &set.assignments {
            items.push(Self::assignment_item(a)?);
        }
        items.push(Self::detections_item(&set.detections)?);
        items.push(Self::seeded_item());
        if items.len() > TRANSACTION_ITEMS {
            return Err(AwsError::other(
                op,
                format!(
                    "{} profiles and assignments in one import; at most {} fit one transaction",
                    items.len() - 2,
                    TRANSACTION_ITEMS - 2
                ),
            ));
        }
        let writes = items
            .into_iter()
            .map(|item| {
                Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .build()
                    .map(|put| TransactWriteItem::builder().put(put).build())
                    .map_err(|e| AwsError::other(op, e.to_string()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(writes))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk(op, e))?;
        Ok(())
    }

    fn seeded_item() -> Item {
        [
            ("pk".to_string(), s(PROFILES_PK)),
            ("sk".to_string(), s("SEEDED")),
            ("at".to_string(), s(time(Utc::now()))),
        ]
        .into()
    }

    async fn mark_seeded(&self) -> Result<(), AwsError> {
        self.put(Self::seeded_item()).await
    }

    /// Load `defaults` once: only if no profile set was ever loaded. A profile someone already
    /// stored under a default's name is kept. Returns whether the defaults were loaded now.
    pub async fn seed(&self, defaults: &ProfileSet) -> Result<bool, AwsError> {
        let stored = self.query(PROFILES_PK, None).await?;
        let present: std::collections::HashSet<&str> = stored
            .iter()
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()))
            .map(String::as_str)
            .collect();
        if present.contains("SEEDED") {
            return Ok(false);
        }
        let mut items = Vec::new();
        for p in &defaults.profiles {
            items.push(Self::profile_item(p)?);
        }
        items.push(Self::detections_item(&defaults.detections)?);
        for item in items {
            // What an earlier, interrupted seeding wrote is not written again; a profile (or
            // detection thresholds) someone already stored is kept.
            let sk = item.get("sk").and_then(|v| v.as_s().ok());
            if sk.is_some_and(|sk| present.contains(sk.as_str())) {
                continue;
            }
            put_if_absent(&self.client, &self.table, item).await?;
        }
        self.mark_seeded().await?;
        Ok(true)
    }

    // ---- evaluation --------------------------------------------------------------------

    /// Take the root's evaluation lease for `owner` until `now + ttl`. False when another
    /// evaluation holds it.
    pub async fn acquire_lease(
        &self,
        root: &str,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(root))
            .key("sk", s("LEASE"))
            .update_expression("SET #owner = :me, #until = :until")
            .condition_expression("attribute_not_exists(#owner) OR #until < :now OR #owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", n((now + ttl).timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e));
        conditional(out)
    }

    /// Give the lease back (only if still ours).
    pub async fn release_lease(&self, root: &str, owner: &str) -> Result<(), AwsError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(root))
            .key("sk", s("LEASE"))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteItem", e));
        conditional(out).map(|_| ())
    }

    /// The stored statuses of a root's monitors, by monitor id.
    pub async fn load_statuses(
        &self,
        root: &str,
    ) -> Result<BTreeMap<String, MonitorStatus>, AwsError> {
        self.query(root, Some("STATUS#"))
            .await?
            .into_iter()
            .map(|item| {
                let st: MonitorStatus = from_item(item, "Query")?;
                Ok((st.monitor_id.clone(), st))
            })
            .collect()
    }

    fn status_item(root: &str, st: &MonitorStatus) -> Result<Item, AwsError> {
        let mut item = to_item(st, "TransactWriteItems")?;
        item.insert("pk".into(), s(root));
        item.insert("sk".into(), s(format!("STATUS#{}", st.monitor_id)));
        Ok(item)
    }

    fn outage_key(monitor_id: &str, started_at: DateTime<Utc>) -> (String, String) {
        (format!("OUTAGE#{monitor_id}"), time(started_at))
    }

    fn outage_item(o: &Outage) -> Result<Item, AwsError> {
        let mut item = to_item(o, "TransactWriteItems")?;
        let (pk, sk) = Self::outage_key(&o.monitor_id, o.started_at);
        item.insert("pk".into(), s(pk));
        item.insert("sk".into(), s(sk));
        item.insert("outage_index".into(), s("OUTAGE"));
        item.insert(
            "outage_sort".into(),
            s(format!("{}#{}", time(o.started_at), o.monitor_id)),
        );
        Ok(item)
    }

    /// An update of an existing outage, for a transaction.
    fn outage_update<const N: usize, const V: usize>(
        &self,
        monitor_id: &str,
        started_at: DateTime<Utc>,
        expression: &str,
        names: [(&str, String); N],
        values: [(&str, AttributeValue); V],
    ) -> Result<TransactWriteItem, AwsError> {
        let (pk, sk) = Self::outage_key(monitor_id, started_at);
        let mut update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)");
        for (k, v) in names {
            update = update.expression_attribute_names(k, v);
        }
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        let update = update
            .build()
            .map_err(|e| AwsError::other("TransactWriteItems", e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn alert_key(a: &Alert) -> String {
        format!("ALERT#{}#{}", time(a.at), a.alert_id)
    }

    fn transact_items(
        &self,
        root: &str,
        change: &MonitorChange,
    ) -> Result<Vec<TransactWriteItem>, AwsError> {
        let op = "TransactWriteItems";
        let built = |e: aws_sdk_dynamodb::error::BuildError| AwsError::other(op, e.to_string());
        let mut out = Vec::new();
        if change.write_status {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(Self::status_item(root, &change.status)?))
                .build()
                .map_err(built)?;
            out.push(TransactWriteItem::builder().put(put).build());
        }
        match &change.outage {
            None => {}
            Some(OutageWrite::Open(o)) => {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(Self::outage_item(o)?))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .map_err(built)?;
                out.push(TransactWriteItem::builder().put(put).build());
            }
            Some(OutageWrite::Worsen {
                monitor_id,
                started_at,
                status,
            }) => out.push(self.outage_update(
                monitor_id,
                *started_at,
                "SET #status = :status",
                [("#status", "status".to_string())],
                [(":status", s(status.as_str()))],
            )?),
            Some(OutageWrite::Close {
                monitor_id,
                started_at,
                ended_at,
            }) => out.push(self.outage_update(
                monitor_id,
                *started_at,
                "SET ended_at = :end, #ttl = :ttl",
                [("#ttl", TTL_ATTRIBUTE.to_string())],
                [
                    (":end", s(time(*ended_at))),
                    (":ttl", n((*ended_at + self.retention).timestamp())),
                ],
            )?),
        }
        if let Some(alert) = &change.alert {
            let stored = StoredAlert {
                alert: alert.clone(),
                delivery: Delivery::pending(),
                key: Self::alert_key(alert),
            };
            let mut item = to_item(&stored, op)?;
            item.insert("pk".into(), s(root));
            item.insert("sk".into(), s(stored.key.clone()));
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .map_err(built)?;
            out.push(TransactWriteItem::builder().put(put).build());
        }
        Ok(out)
    }

    /// Write an evaluation: each monitor's status, outage and alert together, in
    /// transactions that also check the lease is still `owner`'s. Returns the number of
    /// TransactWriteItems calls.
    pub async fn commit(
        &self,
        root: &str,
        owner: &str,
        changes: &[MonitorChange],
    ) -> Result<u32, AwsError> {
        let op = "TransactWriteItems";
        let lease = ConditionCheck::builder()
            .table_name(&self.table)
            .key("pk", s(root))
            .key("sk", s("LEASE"))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .build()
            .map_err(|e| AwsError::other(op, e.to_string()))?;
        let mut groups = Vec::new();
        for c in changes {
            let items = self.transact_items(root, c)?;
            if !items.is_empty() {
                groups.push(items);
            }
        }
        // Pack whole groups (one monitor's writes) into transactions of at most 100 items,
        // one of which is the lease check.
        let mut batches: Vec<Vec<TransactWriteItem>> = Vec::new();
        let mut current: Vec<TransactWriteItem> = Vec::new();
        for g in groups {
            if current.len() + g.len() + 1 > TRANSACTION_ITEMS {
                batches.push(std::mem::take(&mut current));
            }
            current.extend(g);
        }
        if !current.is_empty() {
            batches.push(current);
        }
        let mut calls = 0;
        for mut batch in batches {
            batch.push(
                TransactWriteItem::builder()
                    .condition_check(lease.clone())
                    .build(),
            );
            calls += 1;
            self.client
                .transact_write_items()
                .set_transact_items(Some(batch))
                .send()
                .await
                .map_err(|e| AwsError::from_sdk(op, e))?;
        }
        Ok(calls)
    }

    // ---- alerts ------------------------------------------------------------------------

    /// A root's alerts not yet delivered, oldest first.
    pub async fn pending_alerts(&self, root: &str) -> Result<Vec<StoredAlert>, AwsError> {
        let items = self
            .pages(
                self.client
                    .query()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                    .filter_expression("delivery <> :sent")
                    .expression_attribute_values(":pk", s(root))
                    .expression_attribute_values(":p", s("ALERT#"))
                    .expression_attribute_values(":sent", s(SENT)),
            )
            .await?;
        items.into_iter().map(|i| from_item(i, "Query")).collect()
    }

    /// Every alert of a root, oldest first (the CLI).
    pub async fn alerts(&self, root: &str) -> Result<Vec<StoredAlert>, AwsError> {
        self.query(root, Some("ALERT#"))
            .await?
            .into_iter()
            .map(|i| from_item(i, "Query"))
            .collect()
    }

    // ---- outages -----------------------------------------------------------------------

    /// Outages of one monitor, or of the whole estate, newest first.
    pub async fn outages(&self, monitor_id: Option<&str>) -> Result<Vec<Outage>, AwsError> {
        let items = match monitor_id {
            Some(id) => self.query(&format!("OUTAGE#{id}"), None).await?,
            None => {
                self.pages(
                    self.client
                        .query()
                        .table_name(&self.table)
                        .index_name(OUTAGE_INDEX)
                        .key_condition_expression("outage_index = :o")
                        .expression_attribute_values(":o", s("OUTAGE")),
                )
                .await?
            }
        };
        let mut outages: Vec<Outage> = items
            .into_iter()
            .map(|i| from_item(i, "Query"))
            .collect::<Result<_, _>>()?;
        outages.sort_by(|a, b| {
            b.started_at
                .cmp(&a.started_at)
                .then(a.monitor_id.cmp(&b.monitor_id))
        });
        Ok(outages)
    }

    /// Set an outage's comment. Errors with code `NotFound` when there is no such outage.
    pub async fn comment_outage(
        &self,
        monitor_id: &str,
        started_at: DateTime<Utc>,
        comment: &str,
    ) -> Result<(), AwsError> {
        let (pk, sk) = Self::outage_key(monitor_id, started_at);
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .update_expression("SET #comment = :c")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#comment", "comment")
            .expression_attribute_values(":c", s(comment))
            .send()
            .await;
        match out {
            Ok(_) => Ok(()),
            Err(e) => {
                let mut e = AwsError::from_sdk("UpdateItem", e);
                if e.code.as_deref() == Some("ConditionalCheckFailedException") {
                    e.code = Some("NotFound".into());
                    e.summary =
                        format!("no outage of {monitor_id} started at {}", time(started_at));
                }
                Err(e)
            }
        }
    }

    // ---- table -------------------------------------------------------------------------

    /// Create the status table if missing. Returns whether it was created.
    pub async fn create_table(&self) -> Result<bool, AwsError> {
        let op = "CreateTable";
        let built = |e: aws_sdk_dynamodb::error::BuildError| AwsError::other(op, e.to_string());
        let key = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
                .map_err(built)
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(built)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(OUTAGE_INDEX)
            .key_schema(key("outage_index", KeyType::Hash)?)
            .key_schema(key("outage_sort", KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(built)?;
        let out = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attr("pk")?)
            .attribute_definitions(attr("sk")?)
            .attribute_definitions(attr("outage_index")?)
            .attribute_definitions(attr("outage_sort")?)
            .global_secondary_indexes(index)
            .sse_specification(SseSpecification::builder().enabled(true).build())
            .send()
            .await;
        if let Err(e) = out {
            let e = AwsError::from_sdk(op, e);
            if e.code.as_deref() == Some("ResourceInUseException") {
                return Ok(false);
            }
            return Err(e);
        }
        let ttl = TimeToLiveSpecification::builder()
            .enabled(true)
            .attribute_name(TTL_ATTRIBUTE)
            .build()
            .map_err(built)?;
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateTimeToLive", e))?;
        Ok(true)
    }
}
