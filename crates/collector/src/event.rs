//! The collector's event: an EventBridge Scheduler payload, an EventBridge scheduled event, or
//! a direct invocation. All fields are optional; `{}` runs whatever is due.

use chrono::{DateTime, Utc};
use cognito_watch_aws::state::ScopeState;
use cognito_watch_core::config::CollectorConfig;
use serde::Deserialize;

/// A collector task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    /// Describe*/List* of pools, clients, IdPs and identity pools.
    Inventory,
    /// Resumable ListUsers / ListIdentities sweeps.
    Users,
    /// GetMetricData for the window since the previous poll.
    Metrics,
}

impl Task {
    pub fn as_str(self) -> &'static str {
        match self {
            Task::Inventory => "inventory",
            Task::Users => "users",
            Task::Metrics => "metrics",
        }
    }
}

/// What an invocation asks for.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectorRequest {
    /// Run exactly these tasks; by default metrics always, inventory and sweeps when due.
    #[serde(default)]
    pub tasks: Option<Vec<Task>>,
    /// Inventory only these user pools (a re-inventory asked for after a configuration change).
    #[serde(default)]
    pub user_pool_ids: Option<Vec<String>>,
    /// Poll only these of the configured regions.
    #[serde(default)]
    pub regions: Option<Vec<String>>,
}

impl CollectorRequest {
    /// Decode any of the accepted shapes. An EventBridge envelope (it has `detail-type`)
    /// contributes its `detail`; a scheduled event's empty detail means "whatever is due".
    pub fn decode(payload: serde_json::Value) -> Result<CollectorRequest, serde_json::Error> {
        let body = match payload {
            serde_json::Value::Null => return Ok(CollectorRequest::default()),
            serde_json::Value::Object(mut map) if map.contains_key("detail-type") => map
                .remove("detail")
                .unwrap_or(serde_json::Value::Object(Default::default())),
            other => other,
        };
        serde_json::from_value(body)
    }

    /// The tasks to run now.
    pub fn due_tasks(
        &self,
        config: &CollectorConfig,
        state: &ScopeState,
        now: DateTime<Utc>,
    ) -> Vec<Task> {
        if let Some(tasks) = &self.tasks {
            return tasks.clone();
        }
        let due = |last: Option<DateTime<Utc>>, every: chrono::Duration| {
            last.is_none_or(|l| now - l >= every)
        };
        let mut out = Vec::new();
        if due(state.cursor.last_inventory_at, config.inventory_interval) {
            out.push(Task::Inventory);
        }
        let sweeping = state.user_sweeps.values().any(|s| s.in_progress())
            || state.identity_sweeps.values().any(|s| s.in_progress());
        if sweeping || due(state.cursor.last_user_sync_at, config.user_sync_interval) {
            out.push(Task::Users);
        }
        out.push(Task::Metrics);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_decodes() {
        assert_eq!(
            CollectorRequest::decode(serde_json::json!({})).unwrap(),
            CollectorRequest::default()
        );
        assert_eq!(
            CollectorRequest::decode(serde_json::Value::Null).unwrap(),
            CollectorRequest::default()
        );
        let scheduled = serde_json::json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-01-01T00:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}
        });
        assert_eq!(
            CollectorRequest::decode(scheduled).unwrap(),
            CollectorRequest::default()
        );
        let direct =
            serde_json::json!({"tasks": ["inventory"], "user_pool_ids": ["us-east-1_abc"]});
        let r = CollectorRequest::decode(direct).unwrap();
        assert_eq!(r.tasks, Some(vec![Task::Inventory]));
        assert!(CollectorRequest::decode(serde_json::json!({"tasks": ["everything"]})).is_err());
        assert!(CollectorRequest::decode(serde_json::json!({"taks": []})).is_err());
    }
}
