//! Output of the CLI: tables for people, JSON and CSV for machines.

use std::collections::BTreeMap;

use cognito_watch_core::alerting::status::{MonitorStatus, Reason, Status};
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind, PollOutcome};
use cognito_watch_core::inventory::record::{format_value, HistoryRow};

use crate::error::CliError;
use crate::style::Style;

/// The key metrics shown per kind in the status tree.
fn key_metrics(kind: MonitorKind) -> &'static [&'static str] {
    match kind {
        MonitorKind::UserPool => &[
            "NumberOfUsers",
            "AppClients",
            "FederatedIdentityProviders",
            "AdminSignUpFailed",
        ],
        MonitorKind::AppClient => &[
            "SignInTotal",
            "SignInFailed",
            "SignInSuccessPercentage",
            "SignInThrottles",
            "TokenRefreshFailed",
            "SignUpTotal",
        ],
        MonitorKind::IdentityProvider => {
            &["FederationTotal", "FederationFailed", "FederationThrottles"]
        }
        MonitorKind::User => &["Enabled", "Confirmed"],
        MonitorKind::IdentityPool => &[
            "TotalIdentities",
            "AuthenticatedIdentities",
            "UnauthenticatedIdentities",
            "TotalIdentityProviders",
        ],
    }
}

fn status_word(m: &Monitor) -> String {
    status_word_of(m.poll.outcome)
}

/// A poll's outcome in one lower-case word.
fn status_word_of(outcome: PollOutcome) -> String {
    match outcome {
        PollOutcome::Ok => "ok".into(),
        PollOutcome::Stale => "stale".into(),
        PollOutcome::Deleted => "deleted".into(),
    }
}

fn metrics_text(m: &Monitor) -> Vec<String> {
    key_metrics(m.kind)
        .iter()
        .filter_map(|id| {
            let def = catalogue::find(m.kind, id)?;
            Some(format!(
                "{}: {}",
                def.label,
                m.metrics
                    .get(*id)
                    .map_or("no data".into(), |v| format_value(*v))
            ))
        })
        .collect()
}

/// The estate in tree order (depth, monitor): by region, each root followed by its children.
pub fn tree(monitors: &[Monitor], users: bool) -> Vec<(usize, &Monitor)> {
    let mut by_region: BTreeMap<(&str, &str), Vec<&Monitor>> = BTreeMap::new();
    for m in monitors
        .iter()
        .filter(|m| users || m.kind != MonitorKind::User)
    {
        by_region
            .entry((m.account.as_str(), m.region.as_str()))
            .or_default()
            .push(m);
    }
    let mut out = Vec::new();
    for (_, ms) in by_region {
        let mut roots: Vec<&Monitor> = ms
            .iter()
            .copied()
            .filter(|m| m.parent_id.is_none())
            .collect();
        roots.sort_by_key(|m| (m.kind, m.name.clone()));
        for root in roots {
            out.push((0, root));
            let mut kids: Vec<&Monitor> = ms
                .iter()
                .copied()
                .filter(|m| m.parent_id.as_deref() == Some(root.monitor_id.as_str()))
                .collect();
            kids.sort_by_key(|m| (m.kind, m.name.clone()));
            out.extend(kids.into_iter().map(|k| (1, k)));
        }
        // Children whose pool is filtered out stand on their own.
        let mut orphans: Vec<&Monitor> = ms
            .iter()
            .copied()
            .filter(|m| {
                m.parent_id
                    .as_deref()
                    .is_some_and(|p| !ms.iter().any(|r| r.monitor_id == p))
            })
            .collect();
        orphans.sort_by_key(|m| (m.kind, m.name.clone()));
        out.extend(orphans.into_iter().map(|k| (0, k)));
    }
    out
}

/// A kind in one short word.
fn short_kind(kind: MonitorKind) -> &'static str {
    match kind {
        MonitorKind::UserPool => "user pool",
        MonitorKind::AppClient => "app client",
        MonitorKind::IdentityProvider => "idp",
        MonitorKind::User => "user",
        MonitorKind::IdentityPool => "identity pool",
    }
}

/// The evaluator's status word, or that it has not evaluated the monitor.
fn status_of(st: Option<&MonitorStatus>) -> String {
    st.map_or_else(
        || "not evaluated".into(),
        |st| st.status.as_str().to_string(),
    )
}

/// How many polls the status trend shows.
pub const TREND_POLLS: usize = 12;

/// The metric a monitor's status turns on: for a monitor not up, the metric that breached
/// (the worst severity first); else the first key metric of its kind that has a value.
pub fn key_metric_id(m: &Monitor, st: Option<&MonitorStatus>) -> Option<String> {
    if let Some(Reason::Breach { metric, .. } | Reason::NoData { metric, .. }) = breach(st) {
        return Some(metric.clone());
    }
    key_metrics(m.kind)
        .iter()
        .copied()
        .find(|id| m.metrics.contains_key(*id) && catalogue::find(m.kind, id).is_some())
        .map(str::to_string)
}

/// The breach behind a status: the monitor's own threshold reason of the worst severity.
fn breach(st: Option<&MonitorStatus>) -> Option<&Reason> {
    let st = st.filter(|s| s.status != Status::Up)?;
    st.own_reasons()
        .filter(|r| matches!(r, Reason::Breach { .. } | Reason::NoData { .. }))
        .max_by_key(|r| match r {
            Reason::Breach { severity, .. } | Reason::NoData { severity, .. } => Some(*severity),
            _ => None,
        })
}

/// The key metric: `label value`, and for a breach its threshold: `Sign In Failure
/// Percentage 45 (> 20)`.
fn key_metric(m: &Monitor, st: Option<&MonitorStatus>) -> String {
    match breach(st) {
        Some(Reason::Breach {
            label,
            value,
            comparator,
            threshold,
            ..
        }) => {
            return format!(
                "{label} {} ({comparator} {})",
                format_value(*value),
                format_value(*threshold)
            )
        }
        Some(Reason::NoData {
            label,
            comparator,
            threshold,
            ..
        }) => {
            return format!(
                "{label} no data ({comparator} {})",
                format_value(*threshold)
            )
        }
        _ => {}
    }
    key_metric_id(m, st)
        .and_then(|id| {
            let def = catalogue::find(m.kind, &id)?;
            m.metrics
                .get(&id)
                .map(|v| format!("{} {}", def.label, format_value(*v)))
        })
        .unwrap_or_else(|| "no data".into())
}

/// Why a monitor is not up, in one line: its first reason (a breach of the worst severity
/// before the rest), and how many more there are.
fn reason_line(st: Option<&MonitorStatus>) -> String {
    let Some(st) = st.filter(|s| s.status != Status::Up) else {
        return String::new();
    };
    let first = breach(Some(st)).or_else(|| st.reasons.first());
    match first {
        None => String::new(),
        Some(r) if st.reasons.len() > 1 => {
            format!("{r} (+{} more)", st.reasons.len() - 1)
        }
        Some(r) => r.to_string(),
    }
}

/// The status tree as one listing: a row per monitor in tree order. The compact table shows
/// each monitor's name (indented under its pool, grouped by account and region), type, status,
/// (with `why`, the listing of what is not up) its reason in one line, the key metric (for a
/// breach, the metric that breached and its threshold) and its trend over the last polls;
/// `-o wide`, CSV and JSON add the ids, every reason and since when, the poll's outcome, every
/// key metric and the window.
pub fn status_listing(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
    trends: &BTreeMap<String, crate::listing::Points>,
    why: bool,
    roots: &BTreeMap<String, String>,
) -> crate::listing::Listing {
    use crate::listing::{Cell, Field, Listing};
    let mut listing = Listing::new(vec![
        Field::new("account", "Account").wide(),
        Field::new("region", "Region").wide(),
        Field::new("monitor_id", "Monitor id").wide(),
        Field::new("name", "Monitor"),
        // The pool of a child: beside it when the listing is of what is not up (the tree
        // shows it as the child's parent).
        if why {
            Field::new("pool", "Pool")
        } else {
            Field::new("pool", "Pool").wide()
        },
        Field::new("type", "Type"),
        Field::new("status", "Status"),
        Field::new("since", "Since (UTC)").wide(),
        if why {
            Field::new("reason", "Reason")
        } else {
            Field::new("reason", "Reason").wide()
        },
        Field::new("reasons", "Reasons").wide(),
        Field::new("poll", "Poll").wide(),
        Field::new("poll_reason", "Poll reason").wide(),
        Field::new("key_metric", "Key metric"),
        Field::new("key_metrics", "Key metrics").wide(),
        Field::new("window_start", "Window start (UTC)").wide(),
        Field::new("window_end", "Window end (UTC)").wide(),
        Field::new("trend", "Trend"),
    ]);
    listing.group_by = Some(vec![0, 1]);
    for (depth, m) in tree(monitors, users) {
        let st = statuses.get(&m.monitor_id);
        listing.push(vec![
            Cell::text(m.account.clone()),
            Cell::text(m.region.clone()),
            Cell::text(m.monitor_id.clone()),
            Cell::Child {
                text: m.name.clone(),
                depth,
            },
            Cell::text(
                m.parent_id
                    .as_ref()
                    .and_then(|p| roots.get(p))
                    .cloned()
                    .unwrap_or_default(),
            ),
            Cell::text(short_kind(m.kind)),
            Cell::Status(status_of(st)),
            Cell::Time(st.map(|s| s.since)),
            Cell::text(reason_line(st)),
            Cell::List(
                st.map(|s| s.reasons.iter().map(ToString::to_string).collect())
                    .unwrap_or_default(),
            ),
            Cell::Status(status_word(m)),
            Cell::text(m.poll.reason.clone().unwrap_or_default()),
            Cell::text(key_metric(m, st)),
            Cell::List(metrics_text(m)),
            Cell::Time(m.metrics_window.map(|w| w.start)),
            Cell::Time(m.metrics_window.map(|w| w.end)),
            Cell::Trend(trends.get(&m.monitor_id).cloned().unwrap_or_default()),
        ]);
    }
    listing
}

/// A monitor's Log Report as a listing: a row per poll with when it ran, the window it read
/// (and its length), the status the poll left the monitor in (from its outages; none without a
/// status table), the poll's outcome, and each metric of the kind, a count over the window with its
/// per-minute rate beside it. The compact table folds the metrics with data into one column.
pub fn report_listing(
    kind: MonitorKind,
    name: &str,
    rows: &[HistoryRow],
    outages: Option<&[cognito_watch_core::alerting::status::Outage]>,
) -> crate::listing::Listing {
    use crate::listing::{Cell, Field, Listing};
    let mut fields = vec![
        Field::new("monitor_id", "Monitor id").wide(),
        Field::new("monitor", "Monitor").wide(),
        Field::new("collected_at", "Collected (UTC)"),
        Field::new("window_start", "Window start (UTC)"),
        Field::new("window_end", "Window end (UTC)").wide(),
        Field::new("window_minutes", "Minutes"),
        Field::new("status", "Status after"),
        Field::new("poll_outcome", "Poll"),
        Field::new("poll_reason", "Poll reason"),
    ];
    let metrics = catalogue::metrics(kind);
    for def in &metrics {
        fields.push(Field::new(def.id, def.label).folded("Metrics"));
        if def.counts_the_window() {
            fields.push(
                Field::new(
                    format!("{}_per_minute", def.id),
                    format!("{} per minute", def.label),
                )
                .folded("Metrics"),
            );
        }
    }
    let mut listing = Listing::new(fields);
    // The status a poll left the monitor in: as the outages record it just before the next
    // poll (the evaluator judges a poll as soon as it is written), or now for the last one.
    let mut times: Vec<chrono::DateTime<chrono::Utc>> =
        rows.iter().map(|r| r.collected_at).collect();
    times.sort();
    let left_in = |at: chrono::DateTime<chrono::Utc>| {
        let until = times
            .iter()
            .find(|t| **t > at)
            .map_or_else(chrono::Utc::now, |t| *t - chrono::Duration::seconds(1));
        outages.map_or_else(String::new, |o| {
            cognito_watch_core::alerting::status::status_at(o, until.max(at))
                .as_str()
                .to_string()
        })
    };
    for r in rows {
        let minutes = r
            .window
            .map(|w| (w.end - w.start).num_seconds() as f64 / 60.0)
            .filter(|m| *m > 0.0);
        let mut row = vec![
            Cell::text(r.monitor_id.clone()),
            Cell::text(name),
            Cell::Time(Some(r.collected_at)),
            Cell::Time(r.window.map(|w| w.start)),
            Cell::Time(r.window.map(|w| w.end)),
            Cell::Number(minutes),
            Cell::Status(left_in(r.collected_at)),
            Cell::Status(status_word_of(r.outcome)),
            Cell::text(r.reason.clone().unwrap_or_default()),
        ];
        for def in &metrics {
            let value = r.metrics.get(def.id).copied();
            row.push(Cell::Number(value));
            if def.counts_the_window() {
                row.push(Cell::Number(
                    value
                        .zip(minutes)
                        .map(|(v, m)| (v / m * 100.0).round() / 100.0),
                ));
            }
        }
        listing.push(row);
    }
    listing
}

/// One metric over time, from a monitor's Log Report rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub metric: String,
    pub label: String,
    /// (row time, value) of every row; None where the row had no data.
    pub points: Vec<(chrono::DateTime<chrono::Utc>, Option<f64>)>,
}

impl Series {
    /// Every metric of `kind` (or those in `only`) that has a value in some row.
    pub fn of(kind: MonitorKind, rows: &[HistoryRow], only: &[String]) -> Vec<Series> {
        catalogue::metrics(kind)
            .iter()
            .filter(|m| only.is_empty() || only.iter().any(|o| o == m.id))
            .map(|m| Series {
                metric: m.id.to_string(),
                label: m.label.to_string(),
                points: rows
                    .iter()
                    .map(|r| (r.row_time(), r.metrics.get(m.id).copied()))
                    .collect(),
            })
            .filter(|s| s.points.iter().any(|(_, v)| v.is_some()))
            .collect()
    }

    fn values(&self) -> Vec<f64> {
        self.points.iter().filter_map(|(_, v)| *v).collect()
    }

    pub fn min(&self) -> Option<f64> {
        self.values().into_iter().reduce(f64::min)
    }

    pub fn max(&self) -> Option<f64> {
        self.values().into_iter().reduce(f64::max)
    }

    pub fn last(&self) -> Option<f64> {
        self.points.iter().rev().find_map(|(_, v)| *v)
    }
}

/// The history of a monitor's metrics: a sparkline with min, max and last per metric.
pub fn history(
    out: &mut dyn std::io::Write,
    format: crate::format::Format,
    style: &Style,
    series: &[Series],
) -> Result<(), CliError> {
    use crate::listing::{Cell, Field, Listing};
    let mut listing = Listing::new(vec![
        Field::new("metric", "Id").wide(),
        Field::new("label", "Metric"),
        Field::new("points", "Trend"),
        Field::new("min", "Min"),
        Field::new("max", "Max"),
        Field::new("last", "Last"),
        Field::new("polls", "Polls"),
    ]);
    for s in series {
        listing.push(vec![
            Cell::text(s.metric.clone()),
            Cell::text(s.label.clone()),
            Cell::Trend(s.points.clone()),
            Cell::Number(s.min()),
            Cell::Number(s.max()),
            Cell::Number(s.last()),
            Cell::Count(s.points.len() as u64),
        ]);
    }
    listing.emit(out, format, style, "no data in the period")
}
