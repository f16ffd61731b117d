//! The trail store: tallies, idempotency marks and detections in the trail table
//! ([`crate::trail::table`]).
//!
//! A delivery (an EventBridge event, a log batch, a trail file) is applied in transactions of
//! at most 99 tally updates plus the chunk's idempotency mark, written only if absent (or
//! expired): a delivery seen again changes no tally, and a delivery that failed halfway
//! resumes where it stopped. Counters are `ADD`s; error codes and grant types are top-level
//! attributes `e:<code>` and `g:<grant>`; the distinct-sub sketch is a number set.

pub mod table;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::cost::TrailUsage;
use cognito_watch_core::trail::detect::Finding;
use cognito_watch_core::trail::{Counts, TallyId, TallyKind};
use serde::{Deserialize, Serialize};

use crate::dynamo::outbox::{put_if_absent, Delivery, Outbox};
use crate::dynamo::{
    all_pages, built, from_stored, n, parse_time, s, time, to_item, Item, TableKey, TTL_ATTRIBUTE,
};
use crate::error::AwsError;
use crate::sdk::Calls;
use crate::trail::table::{pool_text, TrailKey, FINDINGS, NO_POOL, SPEC, TALLIES};

/// Tally updates per transaction (plus the chunk's idempotency record: 100 items).
pub const CHUNK: usize = 99;
/// Bytes of one part of a batch's journal (an item holds at most 400 KB).
pub const JOURNAL_PART_BYTES: usize = 350 * 1024;
/// The condition of an idempotency mark or a claim: not there yet, or kept past its time.
const ABSENT_OR_EXPIRED: &str = "attribute_not_exists(pk) OR #ttl < :now";
/// How often a transaction that conflicted with another is tried.
const CONFLICT_ATTEMPTS: u32 = 8;

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
    /// Add another part's outcome (a trail file is applied a part at a time).
    pub fn absorb(&mut self, other: &Applied) {
        self.tallies_written += other.tallies_written;
        self.transactions += other.transactions;
        self.duplicate_chunks += other.duplicate_chunks;
    }

    /// Items written: the tally updates and each transaction's idempotency mark.
    pub fn items(&self) -> usize {
        self.tallies_written + self.transactions
    }

    /// Their write units: a transactional write counts twice, and each tally update writes
    /// the tallies index (projection ALL) once more (items under 1 KB, as tallies are).
    pub fn write_units(&self) -> usize {
        2 * self.items() + self.tallies_written
    }

    pub fn duplicate(&self) -> bool {
        self.duplicate_chunks > 0 && self.transactions == 0
    }
}

/// Whose a queued record is.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This batch's, to count.
    Ours,
    /// Another batch's, claimed `at`.
    Held { batch: String, at: DateTime<Utc> },
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
        let calls = Calls::default();
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(config)
                .interceptor(calls.interceptor())
                .build(),
        );
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
            calls,
        }
    }

    fn update(&self, id: &TallyId, c: &Counts) -> Result<TransactWriteItem, AwsError> {
        let (kind, value) = (id.key.kind(), id.key.value());
        let pool = pool_text(id);
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
        put("kind", s(kind.as_str()), true);
        put("tally_value", s(value), true);
        put("pool", s(pool), true);
        put("window", s(time(id.window)), true);
        for (attr, v) in TrailKey::tally_index(id) {
            put(&attr, v, true);
        }
        put(
            TTL_ATTRIBUTE,
            n((id.window + self.tally_ttl).timestamp()),
            true,
        );
        for (attr, v) in [
            ("attempts", c.attempts),
            ("failures", c.failures),
            ("requests", c.requests),
            ("refreshes", c.refreshes),
            ("refresh_failures", c.refresh_failures),
            ("password_resets", c.password_resets),
            ("callback_mismatches", c.callback_mismatches),
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
        for (attr, sketch) in [("subs", &c.failing_subs), ("ipools", &c.identity_pools)] {
            if !sketch.is_empty() {
                put(
                    attr,
                    AttributeValue::Ns(sketch.iter().map(|b| b.to_string()).collect()),
                    false,
                );
            }
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !add.is_empty() {
            expression.push_str(&format!(" ADD {}", add.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(TrailKey::Tally(id.clone()).attributes()))
            .update_expression(expression)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| AwsError::build("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    fn marker(
        &self,
        delivery: &str,
        chunk: usize,
        now: DateTime<Utc>,
    ) -> Result<TransactWriteItem, AwsError> {
        let key = TrailKey::Idempotency {
            delivery: delivery.to_string(),
            chunk,
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(key.attributes()))
            .item("at", s(time(now)))
            .item(TTL_ATTRIBUTE, n((now + self.idempotency_ttl).timestamp()))
            .condition_expression(ABSENT_OR_EXPIRED)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .build()
            .map_err(|e| AwsError::build("TransactWriteItems", e))?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// Claim a queued record for `batch` (a plain conditional put: one write unit). Another
    /// batch's live claim is answered with who holds it and since when.
    pub async fn claim(
        &self,
        delivery: &str,
        batch: &str,
        now: DateTime<Utc>,
    ) -> Result<Claim, AwsError> {
        let key = TrailKey::Claim {
            delivery: delivery.to_string(),
        }
        .attributes();
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(key.clone()))
            .item("batch", s(batch))
            .item("at", s(time(now)))
            .item(TTL_ATTRIBUTE, n((now + self.idempotency_ttl).timestamp()))
            .condition_expression(ABSENT_OR_EXPIRED)
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
            .expression_attribute_values(":now", n(now.timestamp()))
            .send()
            .await;
        if crate::dynamo::conditional("PutItem", put)? {
            return Ok(Claim::Ours);
        }
        let item = self.item(key).await?.unwrap_or_default();
        let holder = item.get("batch").and_then(|v| v.as_s().ok()).cloned();
        let at = item
            .get("at")
            .and_then(|v| v.as_s().ok())
            .and_then(|t| parse_time(t));
        match (holder, at) {
            (Some(holder), _) if holder == batch => Ok(Claim::Ours),
            (Some(holder), Some(at)) => Ok(Claim::Held { batch: holder, at }),
            // Gone between the two calls (expired and removed): unheld, so claim it again.
            _ => Box::pin(self.claim(delivery, batch, now)).await,
        }
    }

    /// Take over a record `from` a batch that never journaled it (and can no longer be
    /// running); false when another batch took it first.
    pub async fn take_over(
        &self,
        delivery: &str,
        from: &str,
        batch: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, AwsError> {
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(
                TrailKey::Claim {
                    delivery: delivery.to_string(),
                }
                .attributes(),
            ))
            .item("batch", s(batch))
            .item("at", s(time(now)))
            .item(TTL_ATTRIBUTE, n((now + self.idempotency_ttl).timestamp()))
            .condition_expression("#batch = :from")
            .expression_attribute_names("#batch", "batch")
            .expression_attribute_values(":from", s(from))
            .send()
            .await;
        crate::dynamo::conditional("PutItem", put)
    }

    /// Write a batch's journal: its tallies, gzipped JSON, in parts of at most
    /// [`JOURNAL_PART_BYTES`], the header (part 0, naming how many) last, so a journal with a
    /// header is whole. Returns the bytes written.
    pub async fn write_journal(
        &self,
        batch: &str,
        tallies: &BTreeMap<TallyId, Counts>,
        now: DateTime<Utc>,
    ) -> Result<usize, AwsError> {
        use std::io::Write;
        let rows: Vec<(&TallyId, &Counts)> = tallies.iter().collect();
        let json =
            serde_json::to_vec(&rows).map_err(|e| AwsError::local("PutItem", "journal", e))?;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&json)
            .map_err(|e| AwsError::local("PutItem", "journal", e))?;
        let data = gz
            .finish()
            .map_err(|e| AwsError::local("PutItem", "journal", e))?;
        let parts: Vec<&[u8]> = data.chunks(JOURNAL_PART_BYTES).collect();
        let ttl = n((now + self.idempotency_ttl).timestamp());
        for (i, part) in parts.iter().enumerate() {
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(
                    TrailKey::Journal {
                        batch: batch.to_string(),
                        part: i + 1,
                    }
                    .attributes(),
                ))
                .item("data", AttributeValue::B(part.to_vec().into()))
                .item(TTL_ATTRIBUTE, ttl.clone())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("PutItem", e))?;
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(
                TrailKey::Journal {
                    batch: batch.to_string(),
                    part: 0,
                }
                .attributes(),
            ))
            .item("parts", n(parts.len() as i64))
            .item("at", s(time(now)))
            .item(TTL_ATTRIBUTE, ttl)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutItem", e))?;
        Ok(data.len())
    }

    /// A batch's journal, if it was written whole.
    pub async fn journal(
        &self,
        batch: &str,
    ) -> Result<Option<BTreeMap<TallyId, Counts>>, AwsError> {
        use std::io::Read;
        let get = |part: usize| {
            self.item(
                TrailKey::Journal {
                    batch: batch.to_string(),
                    part,
                }
                .attributes(),
            )
        };
        let Some(header) = get(0).await? else {
            return Ok(None);
        };
        let parts = header
            .get("parts")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut data = Vec::new();
        for part in 1..=parts {
            let item = get(part).await?.ok_or_else(|| {
                AwsError::other(
                    "GetItem",
                    format!("journal {batch}: part {part} of {parts} is missing"),
                )
            })?;
            let bytes = item
                .get("data")
                .and_then(|v| v.as_b().ok())
                .ok_or_else(|| {
                    AwsError::other(
                        "GetItem",
                        format!("journal {batch}: part {part} has no data"),
                    )
                })?;
            data.extend_from_slice(bytes.as_ref());
        }
        let mut json = Vec::new();
        flate2::read::GzDecoder::new(data.as_slice())
            .read_to_end(&mut json)
            .map_err(|e| AwsError::local("GetItem", "journal", e))?;
        let rows: Vec<(TallyId, Counts)> =
            serde_json::from_slice(&json).map_err(|e| AwsError::local("GetItem", "journal", e))?;
        Ok(Some(rows.into_iter().collect()))
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
            if err
                .as_service_error()
                .is_some_and(crate::dynamo::ConditionFailed::condition_failed)
            {
                return Ok(false);
            }
            let reasons: Vec<String> = match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(tc)) => tc
                    .cancellation_reasons()
                    .iter()
                    .map(|r| r.code().unwrap_or("None").to_string())
                    .collect(),
                _ => Vec::new(),
            };
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
        let mut out = BTreeMap::new();
        for chunk in ids.chunks(100) {
            let mut keys = KeysAndAttributes::builder().consistent_read(true);
            for id in chunk {
                keys = keys.keys(TrailKey::Tally(id.clone()).attributes());
            }
            let mut request = Some(HashMap::from([(
                self.table.clone(),
                built("BatchGetItem", keys.build())?,
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

    /// Tallies of one kind of one pool (`-`: clients not in the inventory) from window
    /// `since` on, via the `tallies` index.
    pub async fn tallies(
        &self,
        pool: &str,
        kind: TallyKind,
        since: DateTime<Utc>,
    ) -> Result<Vec<(TallyId, Counts)>, AwsError> {
        let items = self
            .index_query(&TrailKey::tally_partition(pool, kind), &time(since))
            .await?;
        Ok(items.iter().filter_map(tally_of).collect())
    }

    async fn index_query(&self, pk: &str, from: &str) -> Result<Vec<Item>, AwsError> {
        all_pages(
            self.client
                .query()
                .table_name(&self.table)
                .index_name(TALLIES.name)
                .key_condition_expression("#pk = :pk AND #sk >= :from")
                .expression_attribute_names("#pk", TALLIES.hash)
                .expression_attribute_names("#sk", TALLIES.range)
                .expression_attribute_values(":pk", s(pk))
                .expression_attribute_values(":from", s(from)),
        )
        .await
    }

    /// Remember that tallies of `pool` exist (`-` for clients not in the inventory).
    pub async fn note_pool(&self, pool: &str) -> Result<(), AwsError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(
                TrailKey::Pool {
                    pool: pool.to_string(),
                }
                .attributes(),
            ))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutItem", e))?;
        Ok(())
    }

    /// Add one invocation's usage to its hour's record (one UpdateItem of `ADD`s, kept as
    /// long as the tallies). A retried invocation is another invocation: counted again.
    pub async fn add_usage(&self, usage: &TrailUsage) -> Result<(), AwsError> {
        let key = TrailKey::Usage {
            hour: usage.hour,
            source: usage.source.clone(),
        };
        let ttl = n((usage.hour + self.tally_ttl).timestamp());
        let counters = [
            ("invocations", usage.invocations),
            ("deliveries", usage.deliveries),
            ("records", usage.records),
            ("items_written", usage.items_written),
            ("write_units", usage.write_units),
            ("milliseconds", usage.milliseconds),
        ];
        let mut update = self
            .update_at(key.attributes())
            .update_expression(format!(
                "SET #ttl = :ttl, #source = :source, #hour = :hour ADD {}",
                counters
                    .iter()
                    .map(|(name, _)| format!("{name} :{name}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .expression_attribute_names("#source", "source")
            .expression_attribute_names("#hour", "hour")
            .expression_attribute_values(":ttl", ttl)
            .expression_attribute_values(":source", s(&usage.source))
            .expression_attribute_values(":hour", s(time(usage.hour)));
        for (name, v) in counters {
            update = update.expression_attribute_values(
                format!(":{name}"),
                n(i64::try_from(v).unwrap_or(i64::MAX)),
            );
        }
        update
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(())
    }

    /// The trail's usage records of the hours from `since` on.
    pub async fn usage(&self, since: DateTime<Utc>) -> Result<Vec<TrailUsage>, AwsError> {
        let items = all_pages(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND sk >= :since")
                .expression_attribute_values(":pk", s(TrailKey::USAGE))
                .expression_attribute_values(":since", s(time(since))),
        )
        .await?;
        items
            .into_iter()
            .map(|i| from_stored(i, &[], "Query"))
            .collect()
    }

    /// Whether tallies were ever kept for `pool` (one GetItem).
    pub async fn has_pool(&self, pool: &str) -> Result<bool, AwsError> {
        let key = TrailKey::Pool {
            pool: pool.to_string(),
        };
        Ok(self.item(key.attributes()).await?.is_some())
    }

    /// One item by its key, read consistently.
    async fn item(&self, key: Item) -> Result<Option<Item>, AwsError> {
        Ok(self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?
            .item)
    }

    /// Every pool tallies were kept for.
    pub async fn pools(&self) -> Result<Vec<String>, AwsError> {
        let items = all_pages(
            self.client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(TrailKey::POOLS)),
        )
        .await?;
        Ok(items
            .iter()
            .filter_map(|i| match TrailKey::of_item(i) {
                Some(TrailKey::Pool { pool }) => Some(pool),
                _ => None,
            })
            .collect())
    }

    /// An UpdateItem of the item at `key` that may name the TTL attribute as `#ttl`.
    fn update_at(
        &self,
        key: Item,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .expression_attribute_names("#ttl", TTL_ATTRIBUTE)
    }

    /// Note that `what` was seen for `subject` in `window`, remembered `quiet` from now: true if
    /// it was not seen within `quiet` before (the first time in a while). A redelivery in the
    /// same window answers true again, so a detection is never lost to a retry; later windows
    /// answer false until `quiet` passes without one.
    pub async fn first_in_a_while(
        &self,
        what: &str,
        subject: &str,
        window: DateTime<Utc>,
        now: DateTime<Utc>,
        quiet: Duration,
    ) -> Result<bool, AwsError> {
        let key = TrailKey::Seen {
            what: what.to_string(),
            subject: subject.to_string(),
        }
        .attributes();
        let ttl = n((now + quiet).timestamp());
        let values = HashMap::from([
            (":ttl".to_string(), ttl.clone()),
            (":w".to_string(), s(time(window))),
            (":now".to_string(), n(now.timestamp())),
        ]);
        let update = |key| self.update_at(key);
        let first = update(key.clone())
            .update_expression("SET #ttl = :ttl, first_window = :w")
            .condition_expression("attribute_not_exists(pk) OR #ttl < :now OR first_window = :w")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        if crate::dynamo::conditional("UpdateItem", first)? {
            return Ok(true);
        }
        // Seen recently: it stays quiet, and the quiet period starts again.
        update(key)
            .update_expression("SET #ttl = :ttl")
            .expression_attribute_values(":ttl", ttl)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        Ok(false)
    }

    /// Note that `client` requested machine-to-machine tokens from `network` in `window` (its
    /// memory lives while the client keeps requesting, and `quiet` after). Returns the client's
    /// other networks when this one is new to a client that already had some (the
    /// `m2m_new_source` case; a redelivery of the same window answers the same), None
    /// otherwise (a known network, or a client still being learned).
    pub async fn m2m_network(
        &self,
        client: &str,
        network: &str,
        window: DateTime<Utc>,
        now: DateTime<Utc>,
        quiet: Duration,
    ) -> Result<Option<Vec<String>>, AwsError> {
        let key = TrailKey::Seen {
            what: "m2m_networks".into(),
            subject: client.to_string(),
        };
        let w = time(window);
        let out = self
            .update_at(key.attributes())
            .update_expression("SET #net = if_not_exists(#net, :w), #ttl = :ttl")
            .expression_attribute_names("#net", format!("n:{network}"))
            .expression_attribute_values(":w", s(w.clone()))
            .expression_attribute_values(":ttl", n((now + quiet).timestamp()))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("UpdateItem", e))?;
        let networks: BTreeMap<String, String> = out
            .attributes
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(k, v)| Some((k.strip_prefix("n:")?.to_string(), v.as_s().ok()?.clone())))
            .collect();
        let first_here = networks.get(network) == Some(&w);
        let older: Vec<String> = networks
            .iter()
            .filter(|(n, first)| n.as_str() != network && first.as_str() < w.as_str())
            .map(|(n, _)| n.clone())
            .collect();
        Ok((first_here && !older.is_empty()).then_some(older))
    }

    // ---- detections --------------------------------------------------------------------

    /// A detection's key.
    pub fn finding_key(f: &Finding) -> TrailKey {
        TrailKey::Finding { key: f.key() }
    }

    /// Record a detection once: Ok(true) if it is new (it is then pending delivery).
    pub async fn record_finding(&self, f: &Finding, now: DateTime<Utc>) -> Result<bool, AwsError> {
        let stored = StoredFinding {
            finding: f.clone(),
            delivery: Delivery::pending(),
        };
        let mut item = to_item(&stored, "PutItem")?;
        Self::finding_key(f).stamp(&mut item);
        item.extend(TrailKey::finding_index(&f.key(), f.window));
        item.insert(
            TTL_ATTRIBUTE.into(),
            n((f.window.max(now) + self.tally_ttl).timestamp()),
        );
        put_if_absent(&self.client, &self.table, item).await
    }

    /// Detections from window `since` on, oldest first.
    pub async fn findings(&self, since: DateTime<Utc>) -> Result<Vec<StoredFinding>, AwsError> {
        self.index_query(FINDINGS, &time(since))
            .await?
            .into_iter()
            .map(|item| from_stored(item, &[TALLIES.hash, TALLIES.range], "Query"))
            .collect()
    }

    // ---- table ------------------------------------------------------------------------

    /// Create the trail table if missing (local emulator, runs outside SAM). True if created.
    pub async fn create_table(&self) -> Result<bool, AwsError> {
        SPEC.create(&self.client, &self.table).await
    }
}

fn number(item: &Item, attr: &str) -> u64 {
    item.get(attr)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A stored sketch (a number set of buckets).
fn sketch(v: &AttributeValue) -> BTreeSet<u16> {
    v.as_ns()
        .map(|ns| ns.iter().filter_map(|b| b.parse().ok()).collect())
        .unwrap_or_default()
}

/// A stored tally back to its id and counts (None for an item that is not a tally).
pub fn tally_of(item: &Item) -> Option<(TallyId, Counts)> {
    let text = |k: &str| item.get(k).and_then(|v| v.as_s().ok());
    let key = cognito_watch_core::trail::TallyKey::new(
        TallyKind::parse(text("kind")?)?,
        text("tally_value")?.as_str(),
    );
    let pool = text("pool").filter(|p| p.as_str() != NO_POOL).cloned();
    let window = parse_time(text("window")?)?;
    let mut c = Counts {
        attempts: number(item, "attempts"),
        failures: number(item, "failures"),
        requests: number(item, "requests"),
        refreshes: number(item, "refreshes"),
        refresh_failures: number(item, "refresh_failures"),
        password_resets: number(item, "password_resets"),
        callback_mismatches: number(item, "callback_mismatches"),
        ..Default::default()
    };
    for (attr, v) in item {
        if let Some(code) = attr.strip_prefix("e:") {
            c.by_error.insert(code.to_string(), number(item, attr));
        } else if let Some(grant) = attr.strip_prefix("g:") {
            c.by_grant.insert(grant.to_string(), number(item, attr));
        } else if attr == "subs" {
            c.failing_subs = sketch(v);
        } else if attr == "ipools" {
            c.identity_pools = sketch(v);
        }
    }
    Some((TallyId { pool, window, key }, c))
}
