//! Records written besides monitors: the per-poll history of a monitor (the spec's Log
//! Report), the poll log of a scope, and the scope's cursor.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::monitor::{Monitor, MonitorKind, PollOutcome};
use crate::inventory::window::Window;

/// One row of a monitor's Log Report: what one poll saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The monitor's id.
    pub monitor_id: String,
    /// The monitor's kind.
    pub kind: MonitorKind,
    /// When the poll ran.
    pub collected_at: DateTime<Utc>,
    /// The CloudWatch window the values cover (none for monitors read without windows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// What the poll did.
    pub outcome: PollOutcome,
    /// Why it was stale, or the resource deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The values read, by catalogue id.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
}

impl HistoryRow {
    /// The row of what `m`'s latest poll saw.
    pub fn of(m: &Monitor, collected_at: DateTime<Utc>) -> HistoryRow {
        HistoryRow {
            monitor_id: m.monitor_id.clone(),
            kind: m.kind,
            collected_at,
            window: m.metrics_window,
            outcome: m.poll.outcome,
            reason: m.poll.reason.clone(),
            metrics: m.metrics.clone(),
        }
    }

    /// The time that identifies this row: the start of the window it covers, or, for a
    /// snapshot of a monitor read without windows, when it was collected.
    pub fn row_time(&self) -> DateTime<Utc> {
        self.window.map_or(self.collected_at, |w| w.start)
    }

    /// Whether this poll is in a period starting at `from`: its window ends in it (a
    /// snapshot: it was collected in it).
    pub fn in_period(&self, from: DateTime<Utc>) -> bool {
        self.window.map_or(self.collected_at, |w| w.end) >= from
    }
}

/// A number as a person reads it: integers without decimals, others with two.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

/// What one collector invocation did in one account and region.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PollLog {
    /// The account polled.
    pub account: String,
    /// The region polled.
    pub region: String,
    /// When the poll started.
    pub started_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: DateTime<Utc>,
    /// Tasks run: metrics, inventory, users.
    pub tasks: Vec<String>,
    /// AWS calls by operation (Cognito and CloudWatch).
    pub calls: BTreeMap<String, u64>,
    /// Monitors read.
    pub monitors_ok: u64,
    /// Monitors left stale.
    pub monitors_stale: u64,
    /// Monitors found deleted.
    pub monitors_deleted: u64,
    /// Monitors new to the inventory.
    pub monitors_new: u64,
    /// GetMetricData queries made (one metric each).
    pub metric_queries: u64,
    /// State items read (monitors, sweeps, the cursor) and DynamoDB write request units spent
    /// writing this poll (an item under 1 KB is one unit; a transaction's items count twice):
    /// what `cognito-watch cost` prices.
    #[serde(default)]
    pub items_read: u64,
    /// DynamoDB write request units spent.
    #[serde(default)]
    pub write_units: u64,
    /// Failures that made monitors stale.
    #[serde(default)]
    pub errors: Vec<String>,
    /// Optional calls that failed without making anything stale (tags, roles).
    #[serde(default)]
    pub notes: Vec<String>,
    /// Time never read because the collector was away longer than the lookback.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<Window>,
    /// What the poll judged and sent of the security posture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posture: Option<PosturePoll>,
}

/// What one poll did about posture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosturePoll {
    /// Checks judged (none when the inventory did not run).
    pub judged: usize,
    /// Of them, failing.
    pub failing: usize,
    /// Notices recorded by this poll's judgement.
    pub notices: usize,
    /// Notices published.
    pub sent: usize,
    /// Regressions not published because the trail already raised them.
    pub covered: usize,
    /// Notices still waiting: held for CloudTrail, claimed elsewhere, or their publish failed.
    pub waiting: usize,
}

/// Per-scope bookkeeping: when the slower cadences last ran.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopeCursor {
    /// When the inventory last ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_inventory_at: Option<DateTime<Utc>>,
    /// When the user and identity sweeps last started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_user_sync_at: Option<DateTime<Utc>>,
    /// When the scope was last polled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_poll_at: Option<DateTime<Utc>>,
    /// User pools whose last inventory failed somewhere (a describe or a listing): inventoried
    /// again at the next poll, not only at the next full inventory.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub inventory_retry: std::collections::BTreeSet<String>,
    /// The identity pools' last inventory failed somewhere.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub identity_inventory_retry: bool,
}
