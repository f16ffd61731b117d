//! Output of the CLI: tables for people, JSON and CSV for machines.

use std::collections::BTreeMap;

use cognito_watch_core::alerting::status::MonitorStatus;
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind, PollOutcome};
use cognito_watch_core::inventory::record::{format_value, HistoryRow};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::CliError;

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
    match m.poll.outcome {
        PollOutcome::Ok => "ok".into(),
        PollOutcome::Stale => "stale".into(),
        PollOutcome::Deleted => "deleted".into(),
    }
}

fn metrics_text(m: &Monitor) -> String {
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
        .collect::<Vec<_>>()
        .join("\n")
}

/// The estate in tree order: by region, each root followed by its children.
fn ordered(monitors: &[Monitor], users: bool) -> Vec<(usize, &Monitor)> {
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
    }
    out
}

/// The evaluator's status and reasons, or a note that it has not evaluated the monitor.
fn evaluation_text(st: Option<&MonitorStatus>) -> String {
    match st {
        None => "not evaluated".into(),
        Some(st) => {
            let mut lines = vec![format!(
                "{} since {}",
                st.status.as_str().to_uppercase(),
                st.since.format("%m-%d %H:%M")
            )];
            for r in st.reasons.iter().take(6) {
                lines.push(truncate(&r.to_string(), 90));
            }
            if st.reasons.len() > 6 {
                lines.push(format!("… {} more", st.reasons.len() - 6));
            }
            lines.join("\n")
        }
    }
}

pub fn status_table(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(160);
    table.set_header([
        "Account / Region",
        "Monitor",
        "Type",
        "Status",
        "Poll",
        "Key metrics",
        "Window (UTC)",
    ]);
    for (depth, m) in ordered(monitors, users) {
        let name = if depth == 0 {
            format!("{}\n{}", m.name, m.monitor_id)
        } else {
            format!("  └ {}\n    {}", m.name, m.monitor_id)
        };
        let status = match &m.poll.reason {
            Some(r) => format!("{}: {}", status_word(m), truncate(r, 80)),
            None => status_word(m),
        };
        let window = m
            .metrics_window
            .map(|w| format!("{}–{}", w.start.format("%H:%M"), w.end.format("%H:%M")))
            .unwrap_or_default();
        table.add_row([
            format!("{}\n{}", m.account, m.region),
            name,
            m.kind.label().to_string(),
            evaluation_text(statuses.get(&m.monitor_id)),
            status,
            metrics_text(m),
            window,
        ]);
    }
    if monitors.is_empty() {
        return "no monitors yet: run the collector (cognito-watch invoke collector)".into();
    }
    table.to_string()
}

pub fn status_json(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
) -> String {
    let list: Vec<serde_json::Value> = ordered(monitors, users)
        .into_iter()
        .map(|(_, m)| {
            let mut v = serde_json::to_value(m).unwrap_or_default();
            if let (Some(obj), Some(st)) = (v.as_object_mut(), statuses.get(&m.monitor_id)) {
                obj.insert(
                    "evaluation".into(),
                    serde_json::to_value(st).unwrap_or_default(),
                );
            }
            v
        })
        .collect();
    serde_json::to_string_pretty(&list).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

pub fn report_csv(kind: MonitorKind, rows: &[HistoryRow]) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = CliError::output::<csv::Error>;
    w.write_record(HistoryRow::csv_header(kind)).map_err(io)?;
    for r in rows {
        w.write_record(r.csv_record()).map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::output(e.into_error()))?;
    String::from_utf8(bytes).map_err(CliError::output)
}

pub fn report_table(kind: MonitorKind, rows: &[HistoryRow]) -> String {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(200);
    let header = HistoryRow::csv_header(kind);
    table.set_header(
        header
            .iter()
            .take(5)
            .cloned()
            .chain(std::iter::once("Metrics".to_string())),
    );
    for r in rows {
        let rec = r.csv_record();
        let metrics: Vec<String> = header
            .iter()
            .zip(rec.iter())
            .skip(5)
            .filter(|(_, v)| !v.is_empty())
            .map(|(h, v)| format!("{h}: {v}"))
            .collect();
        table.add_row(
            rec.into_iter()
                .take(5)
                .chain(std::iter::once(metrics.join("\n"))),
        );
    }
    format!("{table}\n")
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n).collect::<String>())
    }
}
