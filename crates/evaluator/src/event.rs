//! What the evaluator is invoked with.
//!
//! - A DynamoDB Streams batch from the state table: every root (user pool, identity pool)
//!   whose partition changed is evaluated once; the answer reports the records of roots that
//!   failed (partial batch failure), so only they are retried.
//! - An on-demand request: `{}` evaluates every root; `{"user_pool_ids": [...],
//!   "identity_pool_ids": [...]}` evaluates those.
//! - An EventBridge scheduled event: every root (retries pending alerts on a quiet estate).

use std::collections::BTreeMap;

use cognito_watch_aws::store::root_of_key;
use cognito_watch_core::monitor::MonitorId;
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
    /// Roots to evaluate, each with the stream records (sequence numbers) that named it.
    Stream(BTreeMap<MonitorId, Vec<String>>),
    Request(EvaluatorRequest),
}

impl EvaluatorEvent {
    pub fn decode(payload: serde_json::Value) -> Result<EvaluatorEvent, serde_json::Error> {
        if payload.get("Records").is_some() {
            let event: aws_lambda_events::dynamodb::Event = serde_json::from_value(payload)?;
            let mut roots: BTreeMap<MonitorId, Vec<String>> = BTreeMap::new();
            for record in event.records {
                let pk = record.change.keys.get("pk").and_then(|v| match v {
                    serde_dynamo::AttributeValue::S(s) => Some(s.as_str()),
                    _ => None,
                });
                // Scope cursors and other non-root partitions need no evaluation.
                if let Some(root) = pk.and_then(root_of_key) {
                    roots
                        .entry(root)
                        .or_default()
                        .extend(record.change.sequence_number.clone());
                }
            }
            return Ok(EvaluatorEvent::Stream(roots));
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
