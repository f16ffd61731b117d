//! The trail table: 5-minute tallies, idempotency records and security detections.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | tally | `TALLY#<pool or ->#<window>#<kind>#<value>` | `TALLY` |
//! | idempotency record of a delivery's chunk | `IDEMPOTENCY#<delivery key>#<chunk>` | `MARK` |
//! | detection (outbox) | `FINDING#<finding key>` | `FINDING` |
//! | pools seen | `POOLS` | `<pool or ->` |
//!
//! Every tally has its own partition, so a burst from one IP never heats a shared one, and
//! carries `tally_pk` = `<pool or ->#<kind>` and `tally_sk` = `<window>#<value>`, the keys of
//! the `tallies` index, so a pool's IPs (clients, error codes...) over a period are one Query.
//! Detections are in that index under `FINDINGS`.
//!
//! A delivery (an EventBridge event, a log batch, a trail file) is applied in transactions of
//! at most 99 tally updates plus the chunk's idempotency record, written only if absent (or
//! expired): a delivery seen again changes no tally, and a delivery that failed halfway
//! resumes where it stopped. Counters are `ADD`s; error codes and grant types are top-level
//! attributes `e:<code>` and `g:<grant>`; the distinct-sub sketch is a number set.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, KeysAndAttributes, Projection, ProjectionType, Put, ScalarAttributeType,
    SseSpecification, TimeToLiveSpecification, TransactWriteItem, Update,
};
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::detect::Finding;
use cognito_watch_core::trail::{Counts, TallyId, TallyKey};
use serde::{Deserialize, Serialize};

use crate::error::AwsError;
use crate::outbox::{n, put_if_absent, time, Delivery, Outbox};
use crate::sdk::Calls;
use crate::store::{all_pages, built, from_item, parse_time, s, to_item, Item, TTL_ATTRIBUTE};

pub const TALLY_INDEX: &str = "tallies";
/// Tally updates per transaction (plus the chunk's idempotency record: 100 items).
pub const CHUNK: usize = 99;
const FINDINGS: &str = "FINDINGS";
const FINDING_SK: &str = "FINDING";
/// How often a transaction that conflicted with another is tried.
const CONFLICT_ATTEMPTS: u32 = 8;

/// The stored form of a tally key: its kind and value.
pub fn kind_value(key: &TallyKey) -> (&'static str, &str) {
    match key {
        TallyKey::Client { client_id } => ("client", client_id),
        TallyKey::Ip { ip } => ("ip", ip),
        TallyKey::ErrorCode { code } => ("error", code),
        TallyKey::EventName { name } => ("event", name),
    }
}

fn key_of(kind: &str, value: &str) -> Option<TallyKey> {
    let value = value.to_string();
    Some(match kind {
        "client" => TallyKey::Client { client_id: value },
        "ip" => TallyKey::Ip { ip: value },
        "error" => TallyKey::ErrorCode { code: value },
        "event" => TallyKey::EventName { name: value },
        _ => return None,
    })
}

fn window_text(t: DateTime<Utc>) -> String {
    time(t)
}

pub fn tally_pk(id: &TallyId) -> String {
    let (kind, value) = kind_value(&id.key);
    format!(
        "TALLY#{}#{}#{kind}#{value}",
        id.pool.as_deref().unwrap_or("-"),
        window_text(id.window)
    )
}

/// What applying one delivery did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Applied {
    /// Tally updates written now.
    pub tallies_written: usize,
    /// Transactions that committed.
    pub transactions: usize,
    /// Chunks skipped because they were applied before (a duplicate delivery).
    pub duplicate_chunks: usize,
}

impl Applied {
    pub fn duplicate(&self) -> bool {
        self.duplicate_chunks > 0 && self.transactions == 0
    }
}

/// A detection as stored, with its delivery state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredFinding {
    pub finding: Finding,
    #[serde(flatten)]
    pub delivery: Delivery,
}

#[derive(Clone)]
pub struct TrailStore {
    pub client: aws_sdk_dynamodb::Client,
    pub table: String,
    /// How long tallies and detections are kept.
    pub tally_ttl: Duration,
    /// How long a delivery is remembered.
    pub idempotency_ttl: Duration,
    pub outbox: Outbox,
    /// Calls made, by operation (reports and tests).
    pub calls: Calls,
}

impl TrailStore {
    pub fn new(
        config: &aws_config::SdkConfig,
        table: &str,
        tally_ttl: Duration,
        idempotency_ttl: Duration,
    ) -> TrailStore {
        let client = aws_sdk_dynamodb::Client::new(config);
        TrailStore {
            outbox: Outbox {
                client: client.clone(),
                table: table.to_string(),
                retention: tally_ttl,
            },
            client,
            table: table.to_string(),
            tally_ttl,
            idempotency_ttl,
            calls: Calls::default(),
        }
    }

    fn update(&self, id: &TallyId, c: &Counts) -> Result<TransactWriteItem, AwsError> {
        let (kind, value) = kind_value(&id.key);
        let pool = id.pool.as_deref().unwrap_or("-");
        let mut names: HashMap<String, String> = HashMap::new();
        let mut values: HashMap<String, AttributeValue> = HashMap::new();
        let mut set = Vec::new();
        let mut add = Vec::new();
        let mut put = |attr: &str, v: AttributeValue, sets: bool| {
            let i = names.len();
            names.insert(format!("#a{i}"), attr.to_string());
            values.insert(format!(":v{i}"), v);
            if sets {
                set.push(format!("#a{i} = :v{i}"));
            } else {
                add.push(format!("#a{i} :v{i}"));
            }
        };
        put("kind", s(kind), true);
        put("tally_value", s(value), true);
        put("pool", s(pool), true);
        put("window", s(window_text(id.window)), true);
        put("tally_pk", s(format!("{pool}#{kind}")), true);
        put(
            "tally_sk",
            s(format!("{}#{value}", window_text(id.window))),
            true,
        );
        put(
            TTL_ATTRIBUTE,
            n((id.window + self.tally_ttl).timestamp()),
            true,
        );
        for (attr, v) in [
            ("attempts", c.attempts),
            ("failures", c.failures),
            ("refreshes", c.refreshes),
            ("refresh_failures", c.refresh_failures),
        ] {
            if v > 0 {
                put(attr, n(v as i64), false);
            }
        }
        for (code, v) in &c.by_error {
            put(&format!("e:{code}"), n(*v as i64), false);
        }
        for (grant, v) in &c.by_grant {
            put(&format!("g:{grant}"), n(*v as i64), false);
        }
        if !c.failing_subs.is_empty() {
            put(
                "subs",
                AttributeValue::Ns(c.failing_subs.iter().map(|b| b.to_string()).collect()),
                false,
            );
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !add.is_empty() {
            expression.push_str(&format!(" ADD {}", add.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(tally_pk(id)))
            .key("sk", s("TALLY"))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| AwsError::other("TransactWriteItems", e.to_string()))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn marker(
        &self,
        delivery: &str,
        chunk: usize,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, AwsError> {
        let put = Put::builder()
            .table_name(&self.table)
            .item("pk", s(format!("IDEMPOTENCY#{delivery}#{chunk}")))
            .item("sk", s("MARK"))
            .item("at", s(time(now)))
            .item(TTL_ATTRIBUTE, n((now + self.idempotency_ttl).timestamp()))
            .condition_expression("attribute_not_exists(pk) OR #ttl < :now")
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .build()
            .map_err(|e| AwsError::other("TransactWriteItems", e.to_string()))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Apply one delivery's tallies, at most once per `delivery` key.
    pub async fn apply(
        &self,
        delivery: &str,
        tallies: &BTreeMap<TallyId, Counts>,
        now: DateTime<Utc>,
    ) -> Result<Applied, AwsError> {
        let mut applied = Applied::default();
        let entries: Vec<(&TallyId, &Counts)> = tallies.iter().collect();
        for (chunk, part) in entries.chunks(CHUNK).enumerate() {
            let mut items = vec![self.marker(delivery, chunk, now)?];
            for (id, c) in part {
                items.push(self.update(id, c)?);
            }
            match self.transact(items).await? {
                true => {
                    applied.transactions += 1;
                    applied.tallies_written += part.len();
                }
                false => applied.duplicate_chunks += 1,
            }
        }
        Ok(applied)
    }

    /// One transaction; Ok(false) when its idempotency record (the first item) already exists.
    /// A conflict with a concurrent transaction on the same tally is retried with backoff.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<bool, AwsError> {
        let op = "TransactWriteItems";
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.calls.count(op);
            let out = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .send()
                .await;
            let err = match out {
                Ok(_) => return Ok(true),
                Err(e) => e,
            };
            let reasons: Vec<String> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(tc)) => tc
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
                _ => Vec::new(),
            };
            if reasons.first().map(String::as_str) == Some("ConditionalCheckFailed") {
                return Ok(false);
            }
            let conflict = reasons.iter().any(|r| r == "TransactionConflict")
                || matches!(
                    err.as_service_error(),
                    Some(TransactWriteItemsError::TransactionInProgressException(_))
                );
            if conflict && attempt < CONFLICT_ATTEMPTS {
                tracing::info!(attempt, "transaction conflict; retrying");
                crate::retry::pause(attempt).await;
                continue;
            }
            let mut e = AwsError::from_sdk(op, err);
            if !reasons.is_empty() {
                e.summary = format!("{} (reasons: {})", e.summary, reasons.join(", "));
            }
            return Err(e);
        }
    }

    /// The stored totals of these tallies (absent ones are left out). Consistent reads,
    /// 100 keys per BatchGetItem, unprocessed keys retried.
    pub async fn totals(&self, ids: &[TallyId]) -> Result<BTreeMap<TallyId, Counts>, AwsError> {
        let by_pk: HashMap<String, &TallyId> = ids.iter().map(|i| (tally_pk(i), i)).collect();
        let pks: Vec<&String> = by_pk.keys().collect();
        let mut out = BTreeMap::new();
        for chunk in pks.chunks(100) {
            let mut keys = KeysAndAttributes::builder().consistent_read(true);
            for pk in chunk {
                keys = keys.keys(HashMap::from([
                    ("pk".to_string(), s(pk.as_str())),
                    ("sk".to_string(), s("TALLY")),
                ]));
            }
            let mut request = Some(HashMap::from([(
                self.table.clone(),
                keys.build()
                    .map_err(|e| AwsError::other("BatchGetItem", e.to_string()))?,
            )]));
            let mut rounds = 0u32;
            while let Some(req) = request.take().filter(|r| !r.is_empty()) {
                rounds += 1;
                crate::retry::pause(rounds - 1).await;
                if rounds > 10 {
                    return Err(AwsError::other(
                        "BatchGetItem",
                        "keys still unprocessed after 10 rounds",
                    ));
                }
                self.calls.count("BatchGetItem");
                let page = self
                    .client
                    .batch_get_item()
                    .set_request_items(Some(req))
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("BatchGetItem", e))?;
                for item in page
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    if let Some((id, counts)) = tally_of(&item) {
                        out.insert(id, counts);
                    }
                }
                request = page.unprocessed_keys;
            }
        }
        Ok(out)
    }

    /// Tallies of one kind (`client`, `ip`, `error`, `event`) of one pool (`-`: clients not in
    /// the inventory) from window `since` on, via the `tallies` index.
    pub async fn tallies(
        &self,
        pool: &str,
        kind: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(TallyId, Counts)>, AwsError> {
        let items = self
            .index_query(&format!("{pool}#{kind}"), &window_text(since))
            .await?;
        Ok(items.iter().filter_map(tally_of).collect())
    }

    async fn index_query(&self, pk: &str, from: &str) -> Result<Vec<Item>, AwsError> {
        self.calls.count("Query");
        all_pages(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(TALLY_INDEX)
                .key_condition_expression("tally_pk = :pk AND tally_sk >= :from")
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":from", s(from)),
        )
        .await
    }

    /// Remember that tallies of `pool` exist (`-` for clients not in the inventory).
    pub async fn note_pool(&self, pool: &str) -> Result<(), AwsError> {
        self.calls.count("PutItem");
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s("POOLS"))
            .item("sk", s(pool))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutItem", e))?;
        Ok(())
    }

    /// Every pool tallies were kept for.
    pub async fn pools(&self) -> Result<Vec<String>, AwsError> {
        let items = all_pages(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s("POOLS")),
        )
        .await?;
        Ok(items
            .iter()
            .filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok()).cloned())
            .collect())
    }

    // ---- detections --------------------------------------------------------------------

    pub fn finding_pk(f: &Finding) -> String {
        format!("FINDING#{}", f.key())
    }

    /// Record a detection once: Ok(true) if it is new (it is then pending delivery).
    pub async fn record_finding(&self, f: &Finding, now: DateTime<Utc>) -> Result<bool, AwsError> {
        let stored = StoredFinding {
            finding: f.clone(),
            delivery: Delivery::pending(),
        };
        let mut item = to_item(&stored, "PutItem")?;
        item.insert("pk".into(), s(Self::finding_pk(f)));
        item.insert("sk".into(), s(FINDING_SK));
        item.insert("tally_pk".into(), s(FINDINGS));
        item.insert(
            "tally_sk".into(),
            s(format!("{}#{}", window_text(f.window), f.key())),
        );
        item.insert(
            TTL_ATTRIBUTE.into(),
            n((f.window.max(now) + self.tally_ttl).timestamp()),
        );
        self.calls.count("PutItem");
        put_if_absent(&self.client, &self.table, item).await
    }

    /// Detections from window `since` on, oldest first.
    pub async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<StoredFinding>, AwsError> {
        self.index_query(FINDINGS, &window_text(since))
            .await?
            .into_iter()
            .map(|mut item| {
                for k in ["pk", "sk", "tally_pk", "tally_sk", TTL_ATTRIBUTE] {
                    item.remove(k);
                }
                from_item(item, "Query")
            })
            .collect()
    }

    pub fn finding_key(f: &Finding) -> (String, &'static str) {
        (Self::finding_pk(f), FINDING_SK)
    }

    // ---- table -------------------------------------------------------------------------

    /// Create the trail table if missing (local emulator, runs outside SAM). True if created.
    pub async fn create_table(&self) -> Result<bool, AwsError> {
        let key = |name: &str, t: KeyType| {
            built(
                KeySchemaElement::builder()
                    .attribute_name(name)
                    .key_type(t)
                    .build(),
            )
        };
        let attr = |name: &str| {
            built(
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build(),
            )
        };
        let out = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attr("pk")?)
            .attribute_definitions(attr("sk")?)
            .attribute_definitions(attr("tally_pk")?)
            .attribute_definitions(attr("tally_sk")?)
            .global_secondary_indexes(built(
                GlobalSecondaryIndex::builder()
                    .index_name(TALLY_INDEX)
                    .key_schema(key("tally_pk", KeyType::Hash)?)
                    .key_schema(key("tally_sk", KeyType::Range)?)
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build(),
            )?)
            .sse_specification(SseSpecification::builder().enabled(true).build())
            .send()
            .await;
        if let Err(e) = out {
            let err = AwsError::from_sdk("CreateTable", e);
            if err.code.as_deref() == Some("ResourceInUseException") {
                return Ok(false);
            }
            return Err(err);
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(built(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL_ATTRIBUTE)
                    .build(),
            )?)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateTimeToLive", e))?;
        Ok(true)
    }
}

fn number(item: &Item, attr: &str) -> u64 {
    item.get(attr)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A stored tally back to its id and counts (None for an item that is not a tally).
pub fn tally_of(item: &Item) -> Option<(TallyId, Counts)> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
    let key = key_of(text("kind")?, text("tally_value")?)?;
    let pool = text("pool").filter(|p| p.as_str() != "-").cloned();
    let window = parse_time(text("window")?)?;
    let mut c = Counts {
        attempts: number(item, "attempts"),
        failures: number(item, "failures"),
        refreshes: number(item, "refreshes"),
        refresh_failures: number(item, "refresh_failures"),
        ..Default::default()
    };
    for (attr, v) in item {
        if let Some(code) = attr.strip_prefix("e:") {
            c.by_error.insert(code.to_string(), number(item, attr));
        } else if let Some(grant) = attr.strip_prefix("g:") {
            c.by_grant.insert(grant.to_string(), number(item, attr));
        } else if attr == "subs" {
            c.failing_subs = v
                .as_ns()
                .map(|ns| {
                    ns.iter()
                        .filter_map(|b| b.parse().ok())
                        .collect::<BTreeSet<u16>>()
                })
                .unwrap_or_default();
        }
    }
    Some((TallyId { pool, window, key }, c))
}
