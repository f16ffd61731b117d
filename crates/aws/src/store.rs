//! The DynamoDB state store.
//!
//! State table (`STATE_TABLE`, streamed): a user pool and all its children share one partition,
//! so one Query returns the pool and every child.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | user pool | `POOL#<pool id>` | `POOL` |
//! | app client | `POOL#<pool id>` | `CLIENT#<client id>` |
//! | identity provider | `POOL#<pool id>` | `IDP#<provider name>` |
//! | user | `POOL#<pool id>` | `USER#<username>` |
//! | user sweep checkpoint | `POOL#<pool id>` | `SWEEP#USERS` |
//! | identity pool | `IDPOOL#<id>` | `IDPOOL` |
//! | identity sweep checkpoint | `IDPOOL#<id>` | `SWEEP#IDENTITIES` |
//! | scope cursor | `SCOPE#<account>#<region>` | `CURSOR` |
//!
//! Roots (user pools, identity pools) carry `scope` = `<account>#<region>`, the hash key of the
//! sparse index `by-scope`, so a scope's roots are one Query and the whole estate one small Scan.
//!
//! History table (`HISTORY_TABLE`, not streamed, TTL `expires_at`): pk = monitor id,
//! sk = collection time (the Log Report); and pk = `POLL#<account>#<region>` for the poll log.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, PutRequest, ScalarAttributeType, SseSpecification,
    StreamSpecification, StreamViewType, TimeToLiveSpecification, WriteRequest,
};
use chrono::{DateTime, Utc};
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::batch::{Next, WriteQueue};
use cognito_watch_core::inventory::monitor::{Monitor, MonitorId};
use cognito_watch_core::inventory::record::{HistoryRow, PollLog, ScopeCursor};
use cognito_watch_core::inventory::sweep::{IdentitySweep, UserSweep};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::AwsError;
use crate::sdk::Scope;

pub type Item = HashMap<String, AttributeValue>;

pub const SCOPE_INDEX: &str = "by-scope";
pub const TTL_ATTRIBUTE: &str = "expires_at";
const ITEM_TYPE: &str = "item_type";

/// The partition and sort key of a monitor.
pub fn monitor_key(id: &MonitorId) -> (String, String) {
    match id {
        MonitorId::UserPool { pool } => (format!("POOL#{pool}"), "POOL".into()),
        MonitorId::AppClient { pool, client_id } => {
            (format!("POOL#{pool}"), format!("CLIENT#{client_id}"))
        }
        MonitorId::IdentityProvider {
            pool,
            provider_name,
        } => (format!("POOL#{pool}"), format!("IDP#{provider_name}")),
        MonitorId::User { pool, username } => (format!("POOL#{pool}"), format!("USER#{username}")),
        MonitorId::IdentityPool { id } => (format!("IDPOOL#{id}"), "IDPOOL".into()),
    }
}

/// The root a state-table partition key stands for: `POOL#<id>` or `IDPOOL#<id>`.
pub fn root_of_key(pk: &str) -> Option<MonitorId> {
    if let Some(pool) = pk.strip_prefix("POOL#").filter(|p| !p.is_empty()) {
        return Some(MonitorId::UserPool {
            pool: pool.to_string(),
        });
    }
    pk.strip_prefix("IDPOOL#")
        .filter(|p| !p.is_empty())
        .map(|id| MonitorId::IdentityPool { id: id.to_string() })
}

/// Everything stored for one scope.
#[derive(Debug, Default)]
pub struct ScopeState {
    pub monitors: BTreeMap<MonitorId, Monitor>,
    pub user_sweeps: BTreeMap<String, UserSweep>,
    pub identity_sweeps: BTreeMap<String, IdentitySweep>,
    pub cursor: ScopeCursor,
}

/// A write to either table. `write_all` writes them in an order that never loses a Log Report
/// row: snapshot rows, then monitors with the row of the window they read (atomically), then
/// other state, then checkpoints and cursors, then the poll log.
#[derive(Debug, Clone)]
pub enum Write {
    /// A state-table item with nothing to pair.
    State(Item),
    /// A history-table item on its own (a snapshot row of a monitor read without windows).
    History(Item),
    /// A monitor whose metrics window advanced, with the Log Report row of that window: both
    /// are written in one transaction, so the window never advances without its row.
    Pair { state: Item, history: Item },
    /// A cursor or sweep checkpoint: written after everything it accounts for.
    Checkpoint(Item),
    /// The poll log: written last.
    PollLog(Item),
}

/// Items per TransactWriteItems (DynamoDB allows 100).
const TRANSACTION_ITEMS: usize = 100;
/// Bytes per TransactWriteItems, kept under DynamoDB's 4 MB.
const TRANSACTION_BYTES: usize = 3_500_000;

#[derive(Clone)]
pub struct StateStore {
    pub client: aws_sdk_dynamodb::Client,
    pub tables: Tables,
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

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn to_item<T: Serialize>(value: &T, operation: &'static str) -> Result<Item, AwsError> {
    serde_dynamo::to_item(value)
        .map_err(|e| AwsError::other(operation, format!("cannot encode item: {e}")))
}

pub(crate) fn from_item<T: DeserializeOwned>(
    item: Item,
    operation: &'static str,
) -> Result<T, AwsError> {
    serde_dynamo::from_item(item)
        .map_err(|e| AwsError::other(operation, format!("cannot decode item: {e}")))
}

impl StateStore {
    pub fn new(config: &aws_config::SdkConfig, tables: Tables) -> StateStore {
        StateStore {
            client: aws_sdk_dynamodb::Client::new(config),
            tables,
        }
    }

    // ---- items -------------------------------------------------------------------------

    pub fn monitor_item(m: &Monitor) -> Result<Item, AwsError> {
        let id = m
            .id()
            .map_err(|e| AwsError::other("PutItem", e.to_string()))?;
        let (pk, sk) = monitor_key(&id);
        let mut item = to_item(m, "PutItem")?;
        item.insert("pk".into(), s(pk));
        item.insert("sk".into(), s(sk));
        item.insert(ITEM_TYPE.into(), s("monitor"));
        if id.parent().is_none() {
            item.insert("scope".into(), s(format!("{}#{}", m.account, m.region)));
        }
        Ok(item)
    }

    /// A Log Report row. Its sort key is the start of the window it covers (the collection
    /// time for a snapshot row), so writing the same window again overwrites, never adds.
    pub fn history_item(row: &HistoryRow, ttl: chrono::Duration) -> Result<Item, AwsError> {
        let mut item = to_item(row, "PutItem")?;
        item.insert("pk".into(), s(row.monitor_id.clone()));
        item.insert(
            "sk".into(),
            s(row
                .row_time()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        item.insert(
            TTL_ATTRIBUTE.into(),
            AttributeValue::N((row.collected_at + ttl).timestamp().to_string()),
        );
        Ok(item)
    }

    pub fn poll_log_item(log: &PollLog, ttl: chrono::Duration) -> Result<Item, AwsError> {
        let mut item = to_item(log, "PutItem")?;
        item.insert(
            "pk".into(),
            s(format!("POLL#{}#{}", log.account, log.region)),
        );
        item.insert(
            "sk".into(),
            s(log
                .started_at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        );
        item.insert(
            TTL_ATTRIBUTE.into(),
            AttributeValue::N((log.started_at + ttl).timestamp().to_string()),
        );
        Ok(item)
    }

    pub fn cursor_item(scope: &Scope, cursor: &ScopeCursor) -> Result<Item, AwsError> {
        let mut item = to_item(cursor, "PutItem")?;
        item.insert("pk".into(), s(format!("SCOPE#{}", scope.key())));
        item.insert("sk".into(), s("CURSOR"));
        item.insert(ITEM_TYPE.into(), s("cursor"));
        Ok(item)
    }

    pub fn user_sweep_item(pool: &str, sweep: &UserSweep) -> Result<Item, AwsError> {
        let mut item = to_item(sweep, "PutItem")?;
        item.insert("pk".into(), s(format!("POOL#{pool}")));
        item.insert("sk".into(), s("SWEEP#USERS"));
        item.insert(ITEM_TYPE.into(), s("sweep"));
        Ok(item)
    }

    pub fn identity_sweep_item(id: &str, sweep: &IdentitySweep) -> Result<Item, AwsError> {
        let mut item = to_item(sweep, "PutItem")?;
        item.insert("pk".into(), s(format!("IDPOOL#{id}")));
        item.insert("sk".into(), s("SWEEP#IDENTITIES"));
        item.insert(ITEM_TYPE.into(), s("sweep"));
        Ok(item)
    }

    // ---- reads -------------------------------------------------------------------------

    /// Every item of a partition, all pages.
    async fn query_partition(
        &self,
        table: &str,
        pk: &str,
        newest_first: bool,
    ) -> Result<Vec<Item>, AwsError> {
        all_pages(
            self.client
                .query()
                .table_name(table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .scan_index_forward(!newest_first),
        )
        .await
    }

    /// Every app client of the inventory and its user pool (one Query per pool, keys only):
    /// API-call records name the client, not the pool.
    pub async fn client_pools(&self) -> Result<HashMap<String, String>, AwsError> {
        let mut out = HashMap::new();
        for root in self.roots().await? {
            let MonitorId::UserPool { pool } = &root else {
                continue;
            };
            let items = all_pages(
                self.client
                    .query()
                    .table_name(&self.tables.state)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :c)")
                    .expression_attribute_values(":pk", s(monitor_key(&root).0))
                    .expression_attribute_values(":c", s("CLIENT#"))
                    .projection_expression("sk"),
            )
            .await?;
            for item in items {
                if let Some(client) = item
                    .get("sk")
                    .and_then(|v| v.as_s().ok())
                    .and_then(|sk| sk.strip_prefix("CLIENT#"))
                {
                    out.insert(client.to_string(), pool.clone());
                }
            }
        }
        Ok(out)
    }

    /// Fold a partition's items into `state`.
    fn absorb(state: &mut ScopeState, items: Vec<Item>) -> Result<(), AwsError> {
        for mut item in items {
            let kind = item
                .get(ITEM_TYPE)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let pk = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let sk = item
                .get("sk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            for k in ["pk", "sk", ITEM_TYPE, "scope"] {
                item.remove(k);
            }
            match (kind.as_str(), sk.as_str()) {
                ("monitor", _) => {
                    let m: Monitor = from_item(item, "Query")?;
                    let id = m
                        .id()
                        .map_err(|e| AwsError::other("Query", e.to_string()))?;
                    state.monitors.insert(id, m);
                }
                ("sweep", "SWEEP#USERS") => {
                    let pool = pk.trim_start_matches("POOL#").to_string();
                    state.user_sweeps.insert(pool, from_item(item, "Query")?);
                }
                ("sweep", "SWEEP#IDENTITIES") => {
                    let id = pk.trim_start_matches("IDPOOL#").to_string();
                    state.identity_sweeps.insert(id, from_item(item, "Query")?);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The roots of a scope (via the `by-scope` index), each with its partition.
    pub async fn load_scope(&self, scope: &Scope) -> Result<ScopeState, AwsError> {
        let mut state = ScopeState::default();
        let roots: Vec<String> = all_pages(
            self.client
                .query()
                .table_name(&self.tables.state)
                .index_name(SCOPE_INDEX)
                .key_condition_expression("#scope = :scope")
                .expression_attribute_names("#scope", "scope")
                .expression_attribute_values(":scope", s(scope.key()))
                .projection_expression("pk"),
        )
        .await?
        .iter()
        .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()).cloned())
        .collect();
        for pk in roots {
            let items = self.query_partition(&self.tables.state, &pk, false).await?;
            Self::absorb(&mut state, items)?;
        }
        let cursor = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .key("pk", s(format!("SCOPE#{}", scope.key())))
            .key("sk", s("CURSOR"))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        if let Some(mut item) = cursor.item {
            for k in ["pk", "sk", ITEM_TYPE] {
                item.remove(k);
            }
            state.cursor = from_item(item, "GetItem")?;
        }
        Ok(state)
    }

    /// Every monitor of the estate: the roots (a Scan of the sparse index), then each root's
    /// partition.
    pub async fn load_estate(&self) -> Result<Vec<Monitor>, AwsError> {
        let roots: Vec<String> = self
            .roots()
            .await?
            .iter()
            .map(|r| monitor_key(r).0)
            .collect();
        let mut state = ScopeState::default();
        for pk in roots {
            let items = self.query_partition(&self.tables.state, &pk, false).await?;
            Self::absorb(&mut state, items)?;
        }
        Ok(state.monitors.into_values().collect())
    }

    /// The ids of every root (user pool, identity pool) in the estate.
    pub async fn roots(&self) -> Result<Vec<MonitorId>, AwsError> {
        let mut roots = Vec::new();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.tables.state)
            .index_name(SCOPE_INDEX)
            .projection_expression("pk")
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("Scan", e))?;
            roots.extend(
                page.items()
                    .iter()
                    .filter_map(|i| i.get("pk").and_then(|v| v.as_s().ok()))
                    .filter_map(|pk| root_of_key(pk)),
            );
        }
        roots.sort();
        roots.dedup();
        Ok(roots)
    }

    /// A root and all its children, as stored (one Query).
    pub async fn load_root(&self, root: &MonitorId) -> Result<Vec<Monitor>, AwsError> {
        let (pk, _) = monitor_key(root);
        let items = self.query_partition(&self.tables.state, &pk, false).await?;
        let mut state = ScopeState::default();
        Self::absorb(&mut state, items)?;
        Ok(state.monitors.into_values().collect())
    }

    /// One monitor.
    pub async fn get_monitor(&self, id: &MonitorId) -> Result<Option<Monitor>, AwsError> {
        let (pk, sk) = monitor_key(id);
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        out.item
            .map(|mut item| {
                for k in ["pk", "sk", ITEM_TYPE, "scope"] {
                    item.remove(k);
                }
                from_item(item, "GetItem")
            })
            .transpose()
    }

    /// A monitor's Log Report rows, oldest first.
    pub async fn history(&self, monitor_id: &str) -> Result<Vec<HistoryRow>, AwsError> {
        let items = self
            .query_partition(&self.tables.history, monitor_id, false)
            .await?;
        items
            .into_iter()
            .map(|mut item| {
                for k in ["pk", "sk", TTL_ATTRIBUTE] {
                    item.remove(k);
                }
                from_item(item, "Query")
            })
            .collect()
    }

    /// A scope's poll log, newest first.
    pub async fn poll_log(&self, scope: &Scope) -> Result<Vec<PollLog>, AwsError> {
        let items = self
            .query_partition(&self.tables.history, &format!("POLL#{}", scope.key()), true)
            .await?;
        items
            .into_iter()
            .map(|mut item| {
                for k in ["pk", "sk", TTL_ATTRIBUTE] {
                    item.remove(k);
                }
                from_item(item, "Query")
            })
            .collect()
    }

    // ---- writes ------------------------------------------------------------------------

    /// Write everything in the order `Write` documents: BatchWriteItem 25 at a time per table
    /// (retrying what DynamoDB leaves unprocessed) and TransactWriteItems for pairs. A failure
    /// stops the writes that come after it. Returns the number of calls.
    pub async fn write_all(&self, writes: Vec<Write>) -> Result<u64, AwsError> {
        let mut history = Vec::new();
        let mut pairs = Vec::new();
        let mut state = Vec::new();
        let mut checkpoints = Vec::new();
        let mut poll_logs = Vec::new();
        for w in writes {
            match w {
                Write::History(i) => history.push(i),
                Write::Pair { state, history } => pairs.push((state, history)),
                Write::State(i) => state.push(i),
                Write::Checkpoint(i) => checkpoints.push(i),
                Write::PollLog(i) => poll_logs.push(i),
            }
        }
        let mut calls = self.write_table(&self.tables.history, history).await?;
        calls += self.write_pairs(pairs).await?;
        calls += self.write_table(&self.tables.state, state).await?;
        calls += self.write_table(&self.tables.state, checkpoints).await?;
        calls += self.write_table(&self.tables.history, poll_logs).await?;
        Ok(calls)
    }

    /// Each (state, history) pair in a transaction with others, at most 100 items and ~3.5 MB
    /// per transaction.
    async fn write_pairs(&self, pairs: Vec<(Item, Item)>) -> Result<u64, AwsError> {
        let op = "TransactWriteItems";
        let mut calls = 0;
        let mut chunk: Vec<aws_sdk_dynamodb::types::TransactWriteItem> = Vec::new();
        let mut bytes = 0;
        let mut pairs = pairs.into_iter().peekable();
        while let Some((state, history)) = pairs.next() {
            let size = item_size(&state) + item_size(&history);
            if !chunk.is_empty()
                && (chunk.len() + 2 > TRANSACTION_ITEMS || bytes + size > TRANSACTION_BYTES)
            {
                self.transact(std::mem::take(&mut chunk)).await?;
                calls += 1;
                bytes = 0;
            }
            for (table, item) in [(&self.tables.state, state), (&self.tables.history, history)] {
                let put = aws_sdk_dynamodb::types::Put::builder()
                    .table_name(table)
                    .set_item(Some(item))
                    .build()
                    .map_err(|e| AwsError::other(op, e.to_string()))?;
                chunk.push(
                    aws_sdk_dynamodb::types::TransactWriteItem::builder()
                        .put(put)
                        .build(),
                );
            }
            bytes += size;
            if pairs.peek().is_none() {
                self.transact(std::mem::take(&mut chunk)).await?;
                calls += 1;
            }
        }
        Ok(calls)
    }

    async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<(), AwsError> {
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("TransactWriteItems", e))?;
        Ok(())
    }

    async fn write_table(&self, table: &str, items: Vec<Item>) -> Result<u64, AwsError> {
        let mut queue = WriteQueue::new(items, 8);
        let mut calls = 0;
        loop {
            match queue.next_batch() {
                Next::Done => return Ok(calls),
                Next::GiveUp(left) => {
                    return Err(AwsError::other(
                        "BatchWriteItem",
                        format!("{} items still unprocessed after retries", left.len()),
                    ))
                }
                Next::Send(batch, retry) => {
                    crate::retry::pause(retry).await;
                    let requests: Vec<WriteRequest> = batch
                        .into_iter()
                        .map(|item| {
                            PutRequest::builder()
                                .set_item(Some(item))
                                .build()
                                .map(|p| WriteRequest::builder().put_request(p).build())
                                .map_err(|e| AwsError::other("BatchWriteItem", e.to_string()))
                        })
                        .collect::<Result<_, _>>()?;
                    calls += 1;
                    let out = self
                        .client
                        .batch_write_item()
                        .request_items(table, requests)
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("BatchWriteItem", e))?;
                    let left = out
                        .unprocessed_items
                        .and_then(|mut m| m.remove(table))
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|w| w.put_request.map(|p| p.item))
                        .collect();
                    queue.unprocessed(left);
                }
            }
        }
    }

    // ---- tables ------------------------------------------------------------------------

    /// Create both tables if missing (for the local emulator and runs outside SAM). Returns
    /// the names of the tables created.
    pub async fn create_tables(&self) -> Result<Vec<String>, AwsError> {
        let mut created = Vec::new();
        let key = |name: &str, t: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(t)
                .build()
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
        };
        for (table, streamed) in [(&self.tables.state, true), (&self.tables.history, false)] {
            let mut req = self
                .client
                .create_table()
                .table_name(table)
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(built(key("pk", KeyType::Hash))?)
                .key_schema(built(key("sk", KeyType::Range))?)
                .attribute_definitions(built(attr("pk"))?)
                .attribute_definitions(built(attr("sk"))?)
                .sse_specification(SseSpecification::builder().enabled(true).build());
            if streamed {
                req = req
                    .attribute_definitions(built(attr("scope"))?)
                    .global_secondary_indexes(built(
                        GlobalSecondaryIndex::builder()
                            .index_name(SCOPE_INDEX)
                            .key_schema(built(key("scope", KeyType::Hash))?)
                            .key_schema(built(key("pk", KeyType::Range))?)
                            .projection(
                                Projection::builder()
                                    .projection_type(ProjectionType::KeysOnly)
                                    .build(),
                            )
                            .build(),
                    )?)
                    .stream_specification(built(
                        StreamSpecification::builder()
                            .stream_enabled(true)
                            .stream_view_type(StreamViewType::NewAndOldImages)
                            .build(),
                    )?);
            }
            match req.send().await {
                Ok(_) => created.push(table.clone()),
                Err(e) => {
                    let err = AwsError::from_sdk("CreateTable", e);
                    if err.code.as_deref() != Some("ResourceInUseException") {
                        return Err(err);
                    }
                    continue;
                }
            }
            let ttl = TimeToLiveSpecification::builder()
                .enabled(true)
                .attribute_name(TTL_ATTRIBUTE)
                .build();
            self.client
                .update_time_to_live()
                .table_name(table)
                .time_to_live_specification(built(ttl)?)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("UpdateTimeToLive", e))?;
        }
        Ok(created)
    }
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

pub(crate) fn built<T>(r: Result<T, aws_sdk_dynamodb::error::BuildError>) -> Result<T, AwsError> {
    r.map_err(|e| AwsError::other("CreateTable", e.to_string()))
}

/// The time a history row sort key stands for.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
