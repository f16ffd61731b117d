//! The status store: statuses, their transitions, outages, the alert outbox, threshold profiles
//! and evaluation leases, in the status table ([`crate::status::table`]). Alerts and the
//! record of a transition are written in the same transaction as the status transition that
//! makes them, with a lease check, and each alert is claimed before it is published, so a
//! transition is notified once.

pub mod table;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::availability::{Transition, DEFAULT_RETENTION_DAYS};
use cognito_watch_core::alerting::notification::Notifications;
use cognito_watch_core::alerting::profile::{Assignment, Profile, ProfileSet};
use cognito_watch_core::alerting::status::{
    Alert, MonitorChange, MonitorStatus, Outage, OutageWrite,
};
use cognito_watch_core::inventory::monitor::MonitorId;
use cognito_watch_core::trail::detect::DetectionThresholds;
use serde::de::DeserializeOwned;

use crate::dynamo::outbox::put_if_absent;
pub use crate::dynamo::outbox::{Delivery, DeliveryState, Outbox};
use crate::dynamo::{
    built, conditional, n, s, time, time_ms, to_item, Item, TableKey, SK, TTL_ATTRIBUTE,
};
use crate::error::AwsError;
use crate::state::table::root_pk;
use crate::status::table::{prefix, StatusKey, OUTAGES, OUTAGE_PARTITION, SPEC};
/// The most items one TransactWriteItems may carry.
const TRANSACTION_ITEMS: usize = 100;

/// Decode a status-table item, without its keys and index attributes.
fn from_item<T: DeserializeOwned>(item: Item, operation: &'static str) -> Result<T, AwsError> {
    crate::dynamo::from_stored(item, &[OUTAGES.hash, OUTAGES.range], operation)
}

/// An alert as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredAlert {
    pub alert: Alert,
    #[serde(flatten)]
    pub delivery: Delivery,
}

impl StoredAlert {
    /// The alert's key in its root's outbox.
    pub fn key_in(&self, root: &MonitorId) -> StatusKey {
        StatusStore::alert_key(root, &self.alert)
    }
}

#[derive(Clone)]
pub struct StatusStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    pub retention: Duration,
    /// How long a status transition is kept.
    pub transition_retention: Duration,
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
            transition_retention: Duration::days(DEFAULT_RETENTION_DAYS),
        }
    }

    /// The store, keeping status transitions this long.
    pub fn with_transition_retention(mut self, retention: Duration) -> StatusStore {
        self.transition_retention = retention;
        self
    }

    /// Every page of a Query.
    async fn pages(
        &self,
        query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    ) -> Result<Vec<Item>, AwsError> {
        crate::dynamo::all_pages(query).await
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
        for item in self.query(StatusKey::PROFILES, None).await? {
            match StatusKey::of_item(&item) {
                Some(StatusKey::Seeded) => seeded = true,
                Some(StatusKey::Profile { .. }) => set.profiles.push(from_item(item, "Query")?),
                Some(StatusKey::Assignment { .. }) => {
                    set.assignments.push(from_item(item, "Query")?)
                }
                Some(StatusKey::Detections) => set.detections = from_item(item, "Query")?,
                Some(StatusKey::Notifications) => set.notifications = from_item(item, "Query")?,
                _ => {}
            }
        }
        Ok((set, seeded))
    }

    fn profile_item(p: &Profile) -> Result<Item, AwsError> {
        let mut item = to_item(p, "PutItem")?;
        StatusKey::Profile {
            kind: p.kind,
            name: p.name.clone(),
        }
        .stamp(&mut item);
        Ok(item)
    }

    fn assignment_item(a: &Assignment) -> Result<Item, AwsError> {
        let selector = a
            .selector()
            .map_err(|e| AwsError::local("PutItem", "assignment", e))?;
        let mut item = to_item(a, "PutItem")?;
        StatusKey::Assignment { selector }.stamp(&mut item);
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
            .map_err(|e| AwsError::local("PutItem", "profile", e))?;
        self.put(Self::profile_item(p)?).await
    }

    pub async fn put_assignment(&self, a: &Assignment) -> Result<(), AwsError> {
        self.put(Self::assignment_item(a)?).await
    }

    /// Remove the assignment of what `a` selects (its profile is not read); the one removed,
    /// if there was one.
    pub async fn delete_assignment(&self, a: &Assignment) -> Result<Option<Assignment>, AwsError> {
        let selector = a
            .selector()
            .map_err(|e| AwsError::local("DeleteItem", "assignment", e))?;
        let old = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(StatusKey::Assignment { selector }.attributes()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteItem", e))?
            .attributes;
        old.map(|item| from_item(item, "DeleteItem")).transpose()
    }

    /// A document of the profiles partition stored as one item (`T::default()` until stored),
    /// written by `put` and read with one consistent GetItem.
    fn document_item<T: serde::Serialize>(key: &StatusKey, value: &T) -> Result<Item, AwsError> {
        let mut item = to_item(value, "PutItem")?;
        key.stamp(&mut item);
        Ok(item)
    }

    async fn load_document<T: DeserializeOwned + Default>(
        &self,
        key: &StatusKey,
    ) -> Result<T, AwsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key.attributes()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        match out.item {
            Some(item) => from_item(item, "GetItem"),
            None => Ok(T::default()),
        }
    }

    fn detections_item(d: &DetectionThresholds) -> Result<Item, AwsError> {
        Self::document_item(&StatusKey::Detections, d)
    }

    /// The trail function's detection thresholds (one GetItem); the defaults until stored.
    pub async fn load_detections(&self) -> Result<DetectionThresholds, AwsError> {
        self.load_document(&StatusKey::Detections).await
    }

    /// Store the trail function's detection thresholds.
    pub async fn put_detections(&self, d: &DetectionThresholds) -> Result<(), AwsError> {
        d.validate()
            .map_err(|e| AwsError::local("PutItem", "detection thresholds", e))?;
        self.put(Self::detections_item(d)?).await
    }

    fn notifications_item(n: &Notifications) -> Result<Item, AwsError> {
        Self::document_item(&StatusKey::Notifications, n)
    }

    /// The notification profiles and assignments (one GetItem); none stored: the stack
    /// default, everything to the stack's topic.
    pub async fn load_notifications(&self) -> Result<Notifications, AwsError> {
        self.load_document(&StatusKey::Notifications).await
    }

    /// Store the notification profiles and assignments (validated first), whole.
    pub async fn put_notifications(&self, n: &Notifications) -> Result<(), AwsError> {
        n.validate()
            .map_err(|e| AwsError::local("PutItem", "notification profiles", e))?;
        self.put(Self::notifications_item(n)?).await
    }

    /// Store every profile and assignment of `set` (replacing same-named ones) and mark the
    /// defaults as loaded, all in one transaction: an import applies whole or not at all.
    pub async fn import(&self, set: &ProfileSet) -> Result<(), AwsError> {
        let op = "TransactWriteItems";
        set.validate()
            .map_err(|e| AwsError::local(op, "profile set", e))?;
        let mut items = Vec::new();
        for p in &set.profiles {
            items.push(Self::profile_item(p)?);
        }
        for a in &set.assignments {
            items.push(Self::assignment_item(a)?);
        }
        items.push(Self::detections_item(&set.detections)?);
        if !set.notifications.is_empty() {
            items.push(Self::notifications_item(&set.notifications)?);
        }
        items.push(Self::seeded_item());
        if items.len() > TRANSACTION_ITEMS {
            return Err(AwsError::other(
                op,
                format!(
                    "{} profiles and assignments in one import; at most {} fit one transaction",
                    set.profiles.len() + set.assignments.len(),
                    TRANSACTION_ITEMS - (items.len() - set.profiles.len() - set.assignments.len())
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
                    .map_err(|e| AwsError::build(op, e))
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
        let mut item = StatusKey::Seeded.attributes();
        item.insert("at".to_string(), s(time(Utc::now())));
        item
    }

    async fn mark_seeded(&self) -> Result<(), AwsError> {
        self.put(Self::seeded_item()).await
    }

    /// Load `defaults` once: only if no profile set was ever loaded. A profile someone already
    /// stored under a default's name is kept. Returns whether the defaults were loaded now.
    pub async fn seed(&self, defaults: &ProfileSet) -> Result<bool, AwsError> {
        let stored = self.query(StatusKey::PROFILES, None).await?;
        let present: std::collections::HashSet<&str> = stored
            .iter()
            .filter_map(|i| i.get(SK).and_then(|v| v.as_s().ok()))
            .map(String::as_str)
            .collect();
        if present.contains(StatusKey::Seeded.sk().as_str()) {
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
            let sk = item.get(SK).and_then(|v| v.as_s().ok());
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
        root: &MonitorId,
        owner: &str,
        now: DateTime<Utc>,
        ttl: Duration,
    ) -> Result<bool, AwsError> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(StatusKey::Lease { root: root.clone() }.attributes()))
            .update_expression("SET #owner = :me, #until = :until")
            .condition_expression("attribute_not_exists(#owner) OR #until < :now OR #owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_names("#until", "until")
            .expression_attribute_values(":me", s(owner))
            .expression_attribute_values(":until", n((now + ttl).timestamp_millis()))
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .send()
            .await;
        conditional("UpdateItem", out)
    }

    /// Give the lease back (only if still ours).
    pub async fn release_lease(&self, root: &MonitorId, owner: &str) -> Result<(), AwsError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(StatusKey::Lease { root: root.clone() }.attributes()))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .send()
            .await;
        conditional("DeleteItem", out).map(|_| ())
    }

    /// The stored statuses of a root's monitors, by monitor id.
    pub async fn load_statuses(
        &self,
        root: &MonitorId,
    ) -> Result<BTreeMap<String, MonitorStatus>, AwsError> {
        self.query(&root_pk(root), Some(prefix::STATUS))
            .await?
            .into_iter()
            .map(|item| {
                let st: MonitorStatus = from_item(item, "Query")?;
                Ok((st.monitor_id.clone(), st))
            })
            .collect()
    }

    fn status_item(root: &MonitorId, st: &MonitorStatus) -> Result<Item, AwsError> {
        let mut item = to_item(st, "TransactWriteItems")?;
        StatusKey::Status {
            root: root.clone(),
            monitor_id: st.monitor_id.clone(),
        }
        .stamp(&mut item);
        Ok(item)
    }

    fn outage_key(monitor_id: &str, started_at: DateTime<Utc>) -> StatusKey {
        StatusKey::Outage {
            monitor_id: monitor_id.to_string(),
            started_at,
        }
    }

    fn outage_item(o: &Outage) -> Result<Item, AwsError> {
        let mut item = to_item(o, "TransactWriteItems")?;
        Self::outage_key(&o.monitor_id, o.started_at).stamp(&mut item);
        item.extend(StatusKey::outage_index(&o.monitor_id, o.started_at));
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
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(Self::outage_key(monitor_id, started_at).attributes()))
            .update_expression(expression)
            .condition_expression("attribute_exists(pk)");
        for (k, v) in names {
            update = update.expression_attribute_names(k, v);
        }
        for (k, v) in values {
            update = update.expression_attribute_values(k, v);
        }
        let update = built("TransactWriteItems", update.build())?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn alert_key(root: &MonitorId, a: &Alert) -> StatusKey {
        StatusKey::Alert {
            root: root.clone(),
            at: a.at,
            alert_id: a.alert_id.clone(),
        }
    }

    fn transact_items(
        &self,
        root: &MonitorId,
        change: &MonitorChange,
    ) -> Result<Vec<TransactWriteItem>, AwsError> {
        let op = "TransactWriteItems";
        let built = |e: aws_sdk_dynamodb::error::BuildError| AwsError::build(op, e);
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
        if let Some(moved) = &change.transition {
            // No condition: the same transition written again is the same item.
            let mut item = to_item(moved, op)?;
            StatusKey::Transition {
                root: root.clone(),
                at: moved.at,
                monitor_id: moved.monitor_id.clone(),
            }
            .stamp(&mut item);
            item.insert(
                TTL_ATTRIBUTE.to_string(),
                n((moved.at + self.transition_retention).timestamp()),
            );
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(item))
                .build()
                .map_err(built)?;
            out.push(TransactWriteItem::builder().put(put).build());
        }
        if let Some(alert) = &change.alert {
            let key = Self::alert_key(root, alert);
            let stored = StoredAlert {
                alert: alert.clone(),
                delivery: Delivery::pending(),
            };
            let mut item = to_item(&stored, op)?;
            key.stamp(&mut item);
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
        root: &MonitorId,
        owner: &str,
        changes: &[MonitorChange],
    ) -> Result<u32, AwsError> {
        let op = "TransactWriteItems";
        let lease = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(StatusKey::Lease { root: root.clone() }.attributes()))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", s(owner))
            .build()
            .map_err(|e| AwsError::build(op, e))?;
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
    pub async fn pending_alerts(&self, root: &MonitorId) -> Result<Vec<StoredAlert>, AwsError> {
        let items = self
            .pages(
                self.client
                    .query()
                    .table_name(&self.table)
                    .consistent_read(true)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
                    .filter_expression("delivery <> :sent")
                    .expression_attribute_values(":pk", s(root_pk(root)))
                    .expression_attribute_values(":p", s(prefix::ALERT))
                    .expression_attribute_values(":sent", s(DeliveryState::Sent.as_str())),
            )
            .await?;
        items.into_iter().map(|i| from_item(i, "Query")).collect()
    }

    /// A root's status transitions from `since` on, oldest first (availability, the timeline).
    pub async fn transitions(
        &self,
        root: &MonitorId,
        since: DateTime<Utc>,
    ) -> Result<Vec<Transition>, AwsError> {
        let items = self
            .pages(
                self.client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk AND sk BETWEEN :from AND :to")
                    .expression_attribute_values(":pk", s(root_pk(root)))
                    .expression_attribute_values(
                        ":from",
                        s(format!("{}{}", prefix::TRANSITION, time_ms(since))),
                    )
                    // '$' sorts right after '#': the end of the TRANSITION# items.
                    .expression_attribute_values(
                        ":to",
                        s(format!("{}$", prefix::TRANSITION.trim_end_matches('#'))),
                    ),
            )
            .await?;
        items.into_iter().map(|i| from_item(i, "Query")).collect()
    }

    /// Every alert of a root, oldest first (the CLI).
    pub async fn alerts(&self, root: &MonitorId) -> Result<Vec<StoredAlert>, AwsError> {
        self.query(&root_pk(root), Some(prefix::ALERT))
            .await?
            .into_iter()
            .map(|i| from_item(i, "Query"))
            .collect()
    }

    // ---- outages -----------------------------------------------------------------------

    /// Outages of one monitor, or of the whole estate, newest first.
    pub async fn outages(&self, monitor_id: Option<&str>) -> Result<Vec<Outage>, AwsError> {
        let items = match monitor_id {
            Some(id) => self.query(&StatusKey::outage_partition(id), None).await?,
            None => {
                self.pages(
                    self.client
                        .query()
                        .table_name(&self.table)
                        .index_name(OUTAGES.name)
                        .key_condition_expression("#o = :o")
                        .expression_attribute_names("#o", OUTAGES.hash)
                        .expression_attribute_values(":o", s(OUTAGE_PARTITION)),
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
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(Self::outage_key(monitor_id, started_at).attributes()))
            .update_expression("SET #comment = :c")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#comment", "comment")
            .expression_attribute_values(":c", s(comment))
            .send()
            .await;
        if conditional("UpdateItem", out)? {
            return Ok(());
        }
        let mut e = AwsError::other(
            "UpdateItem",
            format!("no outage of {monitor_id} started at {}", time(started_at)),
        );
        e.code = Some("NotFound".into());
        Err(e)
    }

    // ---- table ------------------------------------------------------------------------

    /// Create the status table if missing. Returns whether it was created.
    pub async fn create_table(&self) -> Result<bool, AwsError> {
        SPEC.create(&self.client, &self.table).await
    }
}
