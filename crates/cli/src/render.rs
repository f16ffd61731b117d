//! Output of the CLI: tables for people, JSON and CSV for machines.

use std::collections::BTreeMap;

use cognito_watch_core::alerting::status::MonitorStatus;
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind, PollOutcome};
use cognito_watch_core::inventory::record::{format_value, HistoryRow};
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::{CliError, Env};

/// How tables look on this output: how wide they may be, and whether statuses are coloured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Look {
    /// `COLUMNS` when set; otherwise the terminal's width (comfy-table asks it), or no limit
    /// when the output is not a terminal.
    pub width: Option<u16>,
    /// Statuses in colour: the output is a terminal (`COGNITO_WATCH_TTY`, set by the binary)
    /// and `NO_COLOR` is not set.
    pub colour: bool,
}

impl Look {
    pub fn of(env: &Env) -> Look {
        Look {
            width: env
                .get("COLUMNS")
                .and_then(|c| c.trim().parse().ok())
                .filter(|w| *w >= 20),
            colour: env.get("COGNITO_WATCH_TTY").as_deref() == Some("1")
                && env.get("NO_COLOR").is_none(),
        }
    }

    /// A table with this look and `header`.
    pub fn table<I: Into<comfy_table::Cell>>(&self, header: impl IntoIterator<Item = I>) -> Table {
        let mut table = Table::new();
        table
            .load_preset(UTF8_FULL_CONDENSED)
            .set_content_arrangement(ContentArrangement::Dynamic);
        let header: Vec<comfy_table::Cell> = header.into_iter().map(Into::into).collect();
        if !header.is_empty() {
            table.set_header(header);
        }
        if let Some(w) = self.width {
            table.set_width(w);
        }
        if !self.colour {
            table.force_no_tty();
        }
        table
    }

    /// A status word, coloured by how bad it is when colour is on.
    pub fn status_cell(&self, text: &str) -> comfy_table::Cell {
        use comfy_table::Color;
        let cell = comfy_table::Cell::new(text);
        if !self.colour {
            return cell;
        }
        let word = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_lowercase();
        match word.as_str() {
            "up" | "ok" => cell.fg(Color::Green),
            "trouble" | "stale" => cell.fg(Color::Yellow),
            "critical" | "down" | "deleted" => cell.fg(Color::Red),
            _ => cell,
        }
    }
}

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

/// The evaluator's status and reasons, or a note that it has not evaluated the monitor.
fn evaluation_text(st: Option<&MonitorStatus>) -> String {
    match st {
        None => "not evaluated".into(),
        Some(st) => {
            let mut lines = vec![format!(
                "{} since {}",
                st.status.as_str().to_uppercase(),
                when(st.since)
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

/// The compact status tree: each monitor's name (indented under its pool), type, status and
/// its first key metric. `-o wide` has the rest.
pub fn status_compact(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
    trends: &BTreeMap<String, Vec<Option<f64>>>,
    look: &Look,
) -> String {
    if monitors.is_empty() {
        return "no monitors: run the collector (cognito-watch invoke collector), or loosen the filters".into();
    }
    let mut table = look.table(["Monitor", "Type", "Status", "Key metric", "Trend"]);
    let mut region = None;
    for (depth, m) in tree(monitors, users) {
        let here = (m.account.as_str(), m.region.as_str());
        if region != Some(here) {
            region = Some(here);
            table.add_row([format!("{} / {}", m.account, m.region)]);
        }
        let name = if depth == 0 {
            m.name.clone()
        } else {
            format!("└ {}", m.name)
        };
        table.add_row(vec![
            comfy_table::Cell::new(name),
            comfy_table::Cell::new(short_kind(m.kind)),
            look.status_cell(&status_of(m, statuses.get(&m.monitor_id))),
            comfy_table::Cell::new(key_metric(m)),
            comfy_table::Cell::new(
                trends
                    .get(&m.monitor_id)
                    .map(|v| sparkline(v, TREND_POLLS))
                    .unwrap_or_default(),
            ),
        ]);
    }
    table.to_string()
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

/// The evaluator's status word, or the poll's when the monitor was not evaluated.
fn status_of(m: &Monitor, st: Option<&MonitorStatus>) -> String {
    match st {
        Some(st) => st.status.as_str().to_string(),
        None => format!("{} (not evaluated)", status_word(m)),
    }
}

/// How many polls the status trend shows.
pub const TREND_POLLS: usize = 12;

/// The first key metric of a monitor that has a value: its id.
pub fn key_metric_id(m: &Monitor) -> Option<&'static str> {
    key_metrics(m.kind)
        .iter()
        .copied()
        .find(|id| m.metrics.contains_key(*id) && catalogue::find(m.kind, id).is_some())
}

/// The first key metric of a monitor that has a value: `label value`.
fn key_metric(m: &Monitor) -> String {
    key_metric_id(m)
        .and_then(|id| {
            let def = catalogue::find(m.kind, id)?;
            m.metrics
                .get(id)
                .map(|v| format!("{} {}", def.label, format_value(*v)))
        })
        .unwrap_or_else(|| "no data".into())
}

/// The status tree as CSV: one row per monitor.
pub fn status_csv(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
) -> Result<String, CliError> {
    let header = [
        "account",
        "region",
        "monitor_id",
        "name",
        "type",
        "status",
        "poll",
        "key_metric",
    ];
    let rows = tree(monitors, users).into_iter().map(|(_, m)| {
        let status = statuses
            .get(&m.monitor_id)
            .map(|s| s.status.as_str().to_string())
            .unwrap_or_default();
        vec![
            m.account.clone(),
            m.region.clone(),
            m.monitor_id.clone(),
            m.name.clone(),
            short_kind(m.kind).to_string(),
            status,
            status_word(m),
            key_metric(m),
        ]
    });
    csv_text(&header, rows)
}

/// CSV text: a header, then the rows. A text cell a spreadsheet would evaluate as a formula
/// (one beginning with `=`, `+`, `-`, `@`, a tab or a carriage return: OWASP's CSV injection
/// rule, CWE-1236) is written behind a single quote, so it opens as the text it is; a number,
/// negative or signed, is written as it is, and so is a lone `-` (the pool of clients not yet
/// inventoried), which no spreadsheet evaluates. Every CSV the CLI writes goes through here.
pub fn csv_text<S: AsRef<str>>(
    header: &[&str],
    rows: impl IntoIterator<Item = Vec<S>>,
) -> Result<String, CliError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = CliError::output::<csv::Error>;
    w.write_record(header.iter().map(|h| neutralised(h).into_owned()))
        .map_err(io)?;
    for row in rows {
        w.write_record(row.iter().map(|c| neutralised(c.as_ref()).into_owned()))
            .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| CliError::output(e.into_error()))?;
    String::from_utf8(bytes).map_err(CliError::output)
}

/// A cell as a spreadsheet may safely read it (see [`csv_text`]).
fn neutralised(cell: &str) -> std::borrow::Cow<'_, str> {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && cell != "-"
        && !cell.parse::<f64>().is_ok_and(f64::is_finite);
    if formula {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// The full status tree (`-o wide`): statuses with their reasons, poll outcomes, every key
/// metric and the metric window.
pub fn status_table(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
    look: &Look,
) -> String {
    let mut table = look.table([
        "Account / Region",
        "Monitor",
        "Type",
        "Status",
        "Poll",
        "Key metrics",
        "Window (UTC)",
    ]);
    for (depth, m) in tree(monitors, users) {
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
    let list: Vec<serde_json::Value> = tree(monitors, users)
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
    let header = HistoryRow::csv_header(kind);
    let header: Vec<&str> = header.iter().map(AsRef::as_ref).collect();
    csv_text(&header, rows.iter().map(HistoryRow::csv_record))
}

pub fn report_table(kind: MonitorKind, rows: &[HistoryRow], look: &Look) -> String {
    let header = HistoryRow::csv_header(kind);
    let mut table = look.table(
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

/// A list in the asked `format`: a table (`empty` when there are no rows), CSV with the same
/// header and cells, or JSON (`json_rows`, the same rows with typed values).
pub fn emit(
    out: &mut dyn std::io::Write,
    format: crate::Format,
    look: &Look,
    header: &[&str],
    rows: Vec<Vec<String>>,
    json_rows: Vec<serde_json::Value>,
    empty: &str,
) -> Result<(), CliError> {
    let text = match format {
        crate::Format::Json => {
            serde_json::to_string_pretty(&json_rows).map_err(CliError::output)?
        }
        crate::Format::Csv => {
            let text = csv_text(header, rows)?;
            return write!(out, "{text}").map_err(CliError::output);
        }
        crate::Format::Table | crate::Format::Wide if rows.is_empty() => empty.to_string(),
        crate::Format::Table | crate::Format::Wide => {
            let mut table = look.table(header.iter().copied());
            for r in rows {
                table.add_row(r);
            }
            table.to_string()
        }
    };
    writeln!(out, "{text}").map_err(CliError::output)
}

/// The bars of a sparkline, lowest to highest.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// A sparkline of `values` (None: no data, a blank), at most `width` characters: when there
/// are more values, each character stands for a run of them and shows the run's highest.
pub fn sparkline(values: &[Option<f64>], width: usize) -> String {
    let width = width.max(1);
    let per = values.len().div_ceil(width).max(1);
    let runs: Vec<Option<f64>> = values
        .chunks(per)
        .map(|run| run.iter().flatten().copied().reduce(f64::max))
        .collect();
    let known: Vec<f64> = runs.iter().flatten().copied().collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(*v), hi.max(*v))
        });
    runs.iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if hi <= lo => BARS[BARS.len() / 2],
            Some(v) => {
                let step = ((v - lo) / (hi - lo) * (BARS.len() - 1) as f64).round() as usize;
                BARS[step.min(BARS.len() - 1)]
            }
        })
        .collect()
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
    format: crate::Format,
    look: &Look,
    series: &[Series],
) -> Result<(), CliError> {
    let shown = |v: Option<f64>| v.map(format_value).unwrap_or_else(|| "-".into());
    // The chart gets what the other columns leave of the terminal.
    let width = look
        .width
        .map_or(48, |w| usize::from(w).saturating_sub(60).max(8));
    let header = ["Metric", "Trend", "Min", "Max", "Last", "Polls"];
    let rows = series
        .iter()
        .map(|s| {
            let values: Vec<Option<f64>> = s.points.iter().map(|(_, v)| *v).collect();
            vec![
                s.label.clone(),
                sparkline(&values, width),
                shown(s.min()),
                shown(s.max()),
                shown(s.last()),
                s.points.len().to_string(),
            ]
        })
        .collect();
    let json_rows = series
        .iter()
        .map(|s| {
            serde_json::json!({"metric": s.metric, "label": s.label, "min": s.min(), "max": s.max(),
                "last": s.last(),
                "points": s.points.iter().map(|(at, v)| serde_json::json!({"at": at, "value": v})).collect::<Vec<_>>()})
        })
        .collect();
    emit(
        out,
        format,
        look,
        &header,
        rows,
        json_rows,
        "no data in the period",
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The cells of CSV text, as a spreadsheet's importer reads them.
    fn cells(text: &str) -> Vec<Vec<String>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect()
    }

    fn emitted_csv(rows: Vec<Vec<String>>) -> String {
        let mut out = Vec::new();
        let look = Look {
            width: None,
            colour: false,
        };
        emit(
            &mut out,
            crate::Format::Csv,
            &look,
            &["name", "value"],
            rows,
            Vec::new(),
            "",
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    /// A cell a spreadsheet would read as a formula (OWASP's list: `=`, `+`, `-`, `@`, tab,
    /// carriage return), other than a number.
    fn formula(cell: &str) -> bool {
        cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
            && cell != "-"
            && !cell.parse::<f64>().is_ok_and(f64::is_finite)
    }

    #[test]
    fn csv_cells_a_spreadsheet_would_evaluate_are_neutralised_and_numbers_kept() {
        let rows = vec![
            vec![
                "=HYPERLINK(\"http://x\",\"y\")".to_string(),
                "-2.5".to_string(),
            ],
            vec!["+shop".to_string(), "@SUM(A1)".to_string()],
            vec!["-admin".to_string(), "\tweb".to_string()],
            vec!["shop".to_string(), "+1".to_string()],
            vec!["-".to_string(), "-0.0".to_string()],
        ];
        let read = cells(&emitted_csv(rows));
        assert_eq!(
            read[1..],
            [
                vec!["'=HYPERLINK(\"http://x\",\"y\")", "-2.5"],
                vec!["'+shop", "'@SUM(A1)"],
                vec!["'-admin", "'\tweb"],
                vec!["shop", "+1"],
                vec!["-", "-0.0"],
            ]
        );
    }

    proptest! {
        #[test]
        fn no_csv_cell_reads_as_a_formula(names in proptest::collection::vec("[=+@\t\r-]?[ -~]{0,12}", 1..8)) {
            let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.clone(), n.clone()]).collect();
            let read = cells(&emitted_csv(rows));
            for (row, name) in read[1..].iter().zip(&names) {
                for cell in row {
                    prop_assert!(!formula(cell), "{cell:?}");
                    // Nothing else changes: the text is the name, or the name behind one quote.
                    prop_assert!(cell == name || cell.strip_prefix('\'') == Some(name.as_str()), "{cell:?} {name:?}");
                }
            }
        }
    }

    #[test]
    fn a_sparkline_scales_from_lowest_to_highest_and_leaves_gaps_blank() {
        let v = [Some(0.0), Some(5.0), None, Some(10.0)];
        assert_eq!(sparkline(&v, 10), "▁▅ █");
        assert_eq!(sparkline(&[Some(3.0), Some(3.0)], 10), "▅▅", "flat");
        // Eight values in four characters: each shows its pair's highest.
        let v: Vec<Option<f64>> = (0..8).map(|i| Some(f64::from(i))).collect();
        assert_eq!(sparkline(&v, 4), "▁▃▆█");
        assert_eq!(sparkline(&[], 4), "");
    }
}

/// The one time format of tables: `2026-11-21 10:05` (UTC; JSON keeps RFC 3339).
pub fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A duration as people read it: `45s`, `12m`, `2h05m`, `3d04h`.
pub fn duration(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{:02}h", s / 86_400, (s % 86_400) / 3600),
    }
}

#[cfg(test)]
mod time_tests {
    use super::*;

    #[test]
    fn durations_read_like_a_clock() {
        let d = chrono::Duration::seconds;
        assert_eq!(duration(d(45)), "45s");
        assert_eq!(duration(d(12 * 60 + 5)), "12m");
        assert_eq!(duration(d(2 * 3600 + 5 * 60)), "2h05m");
        assert_eq!(duration(d(3 * 86_400 + 4 * 3600)), "3d04h");
    }
}
