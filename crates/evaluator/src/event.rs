//! What the evaluator is invoked with.
//!
//! - A DynamoDB Streams batch from the state table: every root (user pool, identity pool)
//!   whose partition changed is evaluated once; the answer reports the records of roots that
//!   failed (partial batch failure), so only they are retried.
//! - An on-demand request: `{}` evaluates every root; `{"user_pool_ids": [...],
//!   "identity_pool_ids": [...]}` evaluates those.
//! - An EventBridge scheduled event: every root (retries pending alerts on a quiet estate).

use std::collections::BTreeMap;

use cognito_watch_aws::state::table::root_of_pk;
use cognito_watch_core::inventory::monitor::MonitorId;
use serde::Deserialize;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluatorRequest {
    #[serde(default)]
    pub user_pool_ids: Option<Vec<String>>,
    #[serde(default)]
    pub identity_pool_ids: Option<Vec<String>>,
}

impl EvaluatorRequest {
    /// The roots asked for, or None for every root.
    pub fn roots(&self) -> Option<Vec<MonitorId>> {
        if self.user_pool_ids.is_none() && self.identity_pool_ids.is_none() {
            return None;
        }
        let pools = self
            .user_pool_ids
            .iter()
            .flatten()
            .map(|p| MonitorId::UserPool { pool: p.clone() });
        let ids = self
            .identity_pool_ids
            .iter()
            .flatten()
            .map(|id| MonitorId::IdentityPool { id: id.clone() });
        Some(pools.chain(ids).collect())
    }
}

#[derive(Debug)]
pub enum EvaluatorEvent {
    Stream(StreamBatch),
    Request(EvaluatorRequest),
}

/// A DynamoDB Streams batch, read record by record: only a record's key and sequence number
/// matter (the evaluation reads the table itself), so one odd record never fails the batch.
#[derive(Debug, Default, PartialEq)]
pub struct StreamBatch {
    /// Roots to evaluate, each with the stream records (sequence numbers) that named it.
    pub roots: BTreeMap<MonitorId, Vec<String>>,
    /// Records whose key could not be read: reported as failures on their own (after
    /// Lambda's retries they reach the stream's on-failure destination).
    pub unreadable: Vec<String>,
}

impl StreamBatch {
    fn decode(records: &[serde_json::Value]) -> StreamBatch {
        let mut batch = StreamBatch::default();
        for record in records {
            let change = record.get("dynamodb");
            let sequence = change
                .and_then(|c| c.get("SequenceNumber"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string);
            let pk = change
                .and_then(|c| c.get("Keys"))
                .and_then(|k| k.get("pk"))
                .and_then(|pk| pk.get("S"))
                .and_then(serde_json::Value::as_str);
            match (pk, sequence) {
                // Scope cursors and other non-root partitions need no evaluation.
                (Some(pk), seq) => {
                    if let Some(root) = root_of_pk(pk) {
                        batch.roots.entry(root).or_default().extend(seq);
                    }
                }
                (None, Some(seq)) => {
                    tracing::warn!(sequence_number = %seq, "stream record without a readable key");
                    batch.unreadable.push(seq);
                }
                (None, None) => {
                    tracing::warn!("stream record without a key or a sequence number; skipped");
                }
            }
        }
        batch
    }
}

impl EvaluatorEvent {
    pub fn decode(payload: serde_json::Value) -> Result<EvaluatorEvent, serde_json::Error> {
        if let Some(records) = payload.get("Records") {
            let records = records.as_array().map(Vec::as_slice).unwrap_or_default();
            return Ok(EvaluatorEvent::Stream(StreamBatch::decode(records)));
        }
        if payload.get("detail-type").is_some() {
            let detail = payload
                .get("detail")
                .cloned()
                .filter(|d| d.as_object().is_some_and(|o| !o.is_empty()))
                .unwrap_or_else(|| serde_json::json!({}));
            return Ok(EvaluatorEvent::Request(serde_json::from_value(detail)?));
        }
        Ok(EvaluatorEvent::Request(serde_json::from_value(payload)?))
    }
}
