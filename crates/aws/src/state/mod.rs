//! The inventory's store, `StateStore`: the state table ([`table`]) and the history table
//! ([`history`]), and each scope's posture memory and notices ([`posture`]).

pub mod history;
pub mod posture;
pub mod table;

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::batch::{Next, WriteQueue};
use cognito_watch_core::inventory::monitor::{Monitor, MonitorId};
use cognito_watch_core::inventory::record::{HistoryRow, PollLog, ScopeCursor};
use cognito_watch_core::inventory::sweep::{IdentitySweep, UserSweep};
use cognito_watch_core::trail::intake::Directory;

use crate::dynamo::TTL_ATTRIBUTE;
use crate::dynamo::{all_pages, from_stored, item_size, s, to_item, Item, TableKey, PK};
use crate::error::AwsError;
use crate::sdk::Scope;
use history::HistoryKey;
use table::{root_of_pk, root_pk, StateKey, BY_SCOPE, CLIENT_PREFIX, ITEM_TYPE};

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
    MonitorWithRow { monitor: Item, row: Item },
    /// A cursor or sweep checkpoint: written after everything it accounts for.
    Checkpoint(Item),
    /// The poll log: written last.
    PollLog(Item),
}

impl ScopeState {
    /// Items read to load it: monitors, sweeps and the cursor.
    pub fn items_read(&self) -> u64 {
        (self.monitors.len() + self.user_sweeps.len() + self.identity_sweeps.len()) as u64 + 1
    }
}

impl Write {
    /// The DynamoDB write request units it spends: one per started KB of each item, twice over
    /// inside a transaction.
    pub fn units(&self) -> u64 {
        let units = |item: &Item| item_size(item).div_ceil(1024).max(1) as u64;
        match self {
            Write::State(i) | Write::History(i) | Write::Checkpoint(i) | Write::PollLog(i) => {
                units(i)
            }
            Write::MonitorWithRow { monitor, row } => 2 * (units(monitor) + units(row)),
        }
    }
}

/// Items per TransactWriteItems (DynamoDB allows 100).
/// A monitor item's name attribute.
const NAME: &str = "name";
const TRANSACTION_ITEMS: usize = 100;
/// Bytes per TransactWriteItems, kept under DynamoDB's 4 MB.
const TRANSACTION_BYTES: usize = 3_500_000;

#[derive(Clone)]
pub struct StateStore {
    pub client: aws_sdk_dynamodb::Client,
    pub tables: Tables,
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
            .map_err(|e| AwsError::local("PutItem", "monitor", e))?;
        let mut item = to_item(m, "PutItem")?;
        let is_root = id.parent().is_none();
        StateKey::Monitor(id).stamp(&mut item);
        item.insert(ITEM_TYPE.into(), s("monitor"));
        if is_root {
            let scope = Scope {
                account: m.account.clone(),
                region: m.region.clone(),
            };
            item.insert(BY_SCOPE.hash.into(), s(scope.key()));
        }
        Ok(item)
    }

    /// A Log Report row. Its sort key is the start of the window it covers (the collection
    /// time for a snapshot row), so writing the same window again overwrites, never adds.
    pub fn history_item(row: &HistoryRow, ttl: chrono::Duration) -> Result<Item, AwsError> {
        let mut item = to_item(row, "PutItem")?;
        HistoryKey::Row {
            monitor_id: row.monitor_id.clone(),
            at: row.row_time(),
        }
        .stamp(&mut item);
        item.insert(
            TTL_ATTRIBUTE.into(),
            AttributeValue::N((row.collected_at + ttl).timestamp().to_string()),
        );
        Ok(item)
    }

    pub fn poll_log_item(log: &PollLog, ttl: chrono::Duration) -> Result<Item, AwsError> {
        let mut item = to_item(log, "PutItem")?;
        HistoryKey::Poll {
            account: log.account.clone(),
            region: log.region.clone(),
            started_at: log.started_at,
        }
        .stamp(&mut item);
        item.insert(
            TTL_ATTRIBUTE.into(),
            AttributeValue::N((log.started_at + ttl).timestamp().to_string()),
        );
        Ok(item)
    }

    fn cursor_key(scope: &Scope) -> StateKey {
        StateKey::Cursor {
            account: scope.account.clone(),
            region: scope.region.clone(),
        }
    }

    pub fn cursor_item(scope: &Scope, cursor: &ScopeCursor) -> Result<Item, AwsError> {
        let mut item = to_item(cursor, "PutItem")?;
        Self::cursor_key(scope).stamp(&mut item);
        item.insert(ITEM_TYPE.into(), s("cursor"));
        Ok(item)
    }

    pub fn user_sweep_item(pool: &str, sweep: &UserSweep) -> Result<Item, AwsError> {
        let mut item = to_item(sweep, "PutItem")?;
        StateKey::UserSweep {
            pool: pool.to_string(),
        }
        .stamp(&mut item);
        item.insert(ITEM_TYPE.into(), s("sweep"));
        Ok(item)
    }

    pub fn identity_sweep_item(id: &str, sweep: &IdentitySweep) -> Result<Item, AwsError> {
        let mut item = to_item(sweep, "PutItem")?;
        StateKey::IdentitySweep { id: id.to_string() }.stamp(&mut item);
        item.insert(ITEM_TYPE.into(), s("sweep"));
        Ok(item)
    }

    /// A state or history item decoded, without its keys and index attributes.
    fn decode<T: serde::de::DeserializeOwned>(
        item: Item,
        operation: &'static str,
    ) -> Result<T, AwsError> {
        from_stored(item, &[ITEM_TYPE, BY_SCOPE.hash], operation)
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

    /// What the trail needs of the inventory: each app client's user pool, and the names of
    /// the pools (user and identity) and app clients. Per root: one GetItem and one Query of
    /// its clients, names and keys only.
    pub async fn directory(&self) -> Result<Directory, AwsError> {
        let mut directory = Directory::default();
        let name_of = |item: &Item| {
            item.get(NAME)
                .and_then(|v| v.as_s().ok())
                .filter(|n| !n.is_empty())
                .cloned()
        };
        for root in self.roots().await? {
            let got = self
                .client
                .get_item()
                .table_name(&self.tables.state)
                .set_key(Some(StateKey::Monitor(root.clone()).attributes()))
                .projection_expression("#n, tags")
                .expression_attribute_names("#n", NAME)
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("GetItem", e))?;
            let (MonitorId::UserPool { pool } | MonitorId::IdentityPool { id: pool }) = &root
            else {
                continue;
            };
            if let Some(name) = got.item.as_ref().and_then(name_of) {
                directory.names.insert(pool.clone(), name);
            }
            if let Some(AttributeValue::M(tags)) = got.item.as_ref().and_then(|i| i.get("tags")) {
                let tags: BTreeMap<String, String> = tags
                    .iter()
                    .filter_map(|(k, v)| v.as_s().ok().map(|v| (k.clone(), v.clone())))
                    .collect();
                if !tags.is_empty() {
                    directory.tags.insert(pool.clone(), tags);
                }
            }
            if !matches!(root, MonitorId::UserPool { .. }) {
                continue;
            }
            let items = all_pages(
                self.client
                    .query()
                    .table_name(&self.tables.state)
                    .key_condition_expression("pk = :pk AND begins_with(sk, :c)")
                    .expression_attribute_values(":pk", s(root_pk(&root)))
                    .expression_attribute_values(":c", s(CLIENT_PREFIX))
                    .projection_expression("pk, sk, #n")
                    .expression_attribute_names("#n", NAME),
            )
            .await?;
            for item in items {
                if let Some(StateKey::Monitor(MonitorId::AppClient { client_id, .. })) =
                    StateKey::of_item(&item)
                {
                    if let Some(name) = name_of(&item) {
                        directory.names.insert(client_id.clone(), name);
                    }
                    directory.pool_of_client.insert(client_id, pool.clone());
                }
            }
        }
        Ok(directory)
    }

    /// Fold a partition's items into `state` (items of other shapes are left alone).
    fn absorb(state: &mut ScopeState, items: Vec<Item>) -> Result<(), AwsError> {
        for item in items {
            let Some(key) = StateKey::of_item(&item) else {
                continue;
            };
            match key {
                StateKey::Monitor(_) => {
                    let m: Monitor = Self::decode(item, "Query")?;
                    let id = m.id().map_err(|e| AwsError::local("Query", "monitor", e))?;
                    state.monitors.insert(id, m);
                }
                StateKey::UserSweep { pool } => {
                    state.user_sweeps.insert(pool, Self::decode(item, "Query")?);
                }
                StateKey::IdentitySweep { id } => {
                    state
                        .identity_sweeps
                        .insert(id, Self::decode(item, "Query")?);
                }
                StateKey::Cursor { .. }
                | StateKey::PostureOverrides
                | StateKey::PostureMemory { .. }
                | StateKey::PostureNotice { .. } => {}
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
                .index_name(BY_SCOPE.name)
                .key_condition_expression("#scope = :scope")
                .expression_attribute_names("#scope", BY_SCOPE.hash)
                .expression_attribute_values(":scope", s(scope.key()))
                .projection_expression(PK),
        )
        .await?
        .iter()
        .filter_map(|i| i.get(PK).and_then(|v| v.as_s().ok()).cloned())
        .collect();
        for pk in roots {
            let items = self.query_partition(&self.tables.state, &pk, false).await?;
            Self::absorb(&mut state, items)?;
        }
        state.cursor = self.cursor(scope).await?;
        Ok(state)
    }

    /// A scope's cursor (when it was last polled and inventoried); the default before any poll.
    pub async fn cursor(&self, scope: &Scope) -> Result<ScopeCursor, AwsError> {
        let got = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .set_key(Some(Self::cursor_key(scope).attributes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        got.item
            .map(|i| Self::decode(i, "GetItem"))
            .transpose()
            .map(Option::unwrap_or_default)
    }

    /// Every monitor of the estate: the roots (a Scan of the sparse index), then each root's
    /// partition.
    pub async fn load_estate(&self) -> Result<Vec<Monitor>, AwsError> {
        let roots: Vec<String> = self.roots().await?.iter().map(root_pk).collect();
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
            .index_name(BY_SCOPE.name)
            .projection_expression(PK)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::from_sdk("Scan", e))?;
            roots.extend(
                page.items()
                    .iter()
                    .filter_map(|i| i.get(PK).and_then(|v| v.as_s().ok()))
                    .filter_map(|pk| root_of_pk(pk)),
            );
        }
        roots.sort();
        roots.dedup();
        Ok(roots)
    }

    /// A root and all its children, as stored (one Query).
    pub async fn load_root(&self, root: &MonitorId) -> Result<Vec<Monitor>, AwsError> {
        let items = self
            .query_partition(&self.tables.state, &root_pk(root), false)
            .await?;
        let mut state = ScopeState::default();
        Self::absorb(&mut state, items)?;
        Ok(state.monitors.into_values().collect())
    }

    /// One monitor.
    pub async fn get_monitor(&self, id: &MonitorId) -> Result<Option<Monitor>, AwsError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.tables.state)
            .set_key(Some(StateKey::Monitor(id.clone()).attributes()))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("GetItem", e))?;
        out.item
            .map(|item| Self::decode(item, "GetItem"))
            .transpose()
    }

    /// A monitor's Log Report rows, oldest first.
    pub async fn history(&self, monitor_id: &str) -> Result<Vec<HistoryRow>, AwsError> {
        let items = self
            .query_partition(&self.tables.history, monitor_id, false)
            .await?;
        items
            .into_iter()
            .map(|item| Self::decode(item, "Query"))
            .collect()
    }

    /// A monitor's last `n` Log Report rows, oldest first (one Query page, newest first).
    pub async fn recent_history(
        &self,
        monitor_id: &str,
        n: i32,
    ) -> Result<Vec<HistoryRow>, AwsError> {
        let answer = self
            .client
            .query()
            .table_name(&self.tables.history)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(monitor_id))
            .scan_index_forward(false)
            .limit(n.max(1))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Query", e))?;
        let mut rows = answer
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| Self::decode(item, "Query"))
            .collect::<Result<Vec<HistoryRow>, AwsError>>()?;
        rows.reverse();
        Ok(rows)
    }

    /// A scope's poll log, newest first.
    pub async fn poll_log(&self, scope: &Scope) -> Result<Vec<PollLog>, AwsError> {
        let items = self
            .query_partition(
                &self.tables.history,
                &HistoryKey::poll_partition(&scope.account, &scope.region),
                true,
            )
            .await?;
        items
            .into_iter()
            .map(|item| Self::decode(item, "Query"))
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
                Write::MonitorWithRow { monitor, row } => pairs.push((monitor, row)),
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
                    .map_err(|e| AwsError::build(op, e))?;
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
                                .map_err(|e| AwsError::build("BatchWriteItem", e))
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
        for (spec, table) in [
            (table::SPEC, &self.tables.state),
            (history::SPEC, &self.tables.history),
        ] {
            if spec.create(&self.client, table).await? {
                created.push(table.clone());
            }
        }
        Ok(created)
    }
}
