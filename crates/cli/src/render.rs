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

/// The status tree as one listing: a row per monitor in tree order. The compact table shows
/// each monitor's name (indented under its pool, grouped by account and region), type, status,
/// key metric and its trend over the last polls; `-o wide`, CSV and JSON add the ids, the
/// evaluator's reasons and since when, the poll's outcome, every key metric and the window.
pub fn status_listing(
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    users: bool,
    trends: &BTreeMap<String, crate::listing::Points>,
) -> crate::listing::Listing {
    use crate::listing::{Cell, Field, Listing};
    let mut listing = Listing::new(vec![
        Field::new("account", "Account").wide(),
        Field::new("region", "Region").wide(),
        Field::new("monitor_id", "Monitor id").wide(),
        Field::new("name", "Monitor"),
        Field::new("type", "Type"),
        Field::new("status", "Status"),
        Field::new("since", "Since (UTC)").wide(),
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
            Cell::text(short_kind(m.kind)),
            Cell::Status(status_of(st)),
            Cell::Time(st.map(|s| s.since)),
            Cell::List(
                st.map(|s| s.reasons.iter().map(ToString::to_string).collect())
                    .unwrap_or_default(),
            ),
            Cell::Status(status_word(m)),
            Cell::text(m.poll.reason.clone().unwrap_or_default()),
            Cell::text(key_metric(m)),
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
    listing.emit(out, format, look, "no data in the period")
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
        let mut listing = crate::listing::Listing::new(vec![
            crate::listing::Field::new("name", "Name"),
            crate::listing::Field::new("value", "Value"),
        ]);
        for r in rows {
            listing.push(r.into_iter().map(crate::listing::Cell::Text).collect());
        }
        listing
            .emit(&mut out, crate::Format::Csv, &look, "")
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
