//! `report --html FILE`: one self-contained page (no external assets) with the status tree,
//! each monitor's metrics over the period as SVG charts, open and recent outages, the top
//! failing source IPs, the security detections and the security posture.
//!
//! Every chart carries its points in a `data-points` attribute (`<RFC 3339 time>=<value>`,
//! space-separated; `-` for no data), so what the page draws can be checked against the rows.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use cognito_watch_core::alerting::status::{MonitorStatus, Outage};
use cognito_watch_core::inventory::monitor::Monitor;
use cognito_watch_core::inventory::record::format_value;
use cognito_watch_core::trail::detect::Finding;

use crate::render::Series;
use crate::style::{duration, when};

/// One monitor's charts.
pub struct Charts {
    pub monitor: Monitor,
    pub status: Option<MonitorStatus>,
    pub depth: usize,
    pub series: Vec<Series>,
    /// The threshold of each metric that has one in the monitor's profile: (metric, the
    /// comparator as written, value).
    pub thresholds: Vec<(String, String, f64)>,
    /// Its outages in the period: (start, end; none while open).
    pub outages: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
}

/// Everything the page shows.
pub struct Page {
    pub generated_at: DateTime<Utc>,
    pub since: String,
    /// The period's start: charts place points by time from it to `generated_at`.
    pub from: DateTime<Utc>,
    /// Availability over the period per account and region, per pool and per monitor (by
    /// name or monitor id), when the status table was read.
    pub availability: Vec<(String, String)>,
    /// What happened in the period: status changes, outages, alerts, detections (the latest
    /// ones), oldest first.
    pub timeline: Vec<cognito_watch_core::alerting::timeline::Entry>,
    pub monitors: Vec<Charts>,
    pub outages: Vec<Outage>,
    /// (pool, source IP, failures, requests), most failures first.
    pub failing_ips: Vec<(String, String, u64, u64)>,
    pub detections: Vec<Finding>,
    /// Whether a trail table was read (else the page says none is wired).
    pub trail: bool,
    /// Every posture check on every resource, overrides applied.
    pub posture: Vec<crate::commands::posture::PostureRow>,
}

/// Text made safe for HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const WIDTH: f64 = 300.0;
const HEIGHT: f64 = 90.0;
/// The plot's area: the rest holds the time axis.
const PLOT: f64 = 72.0;

/// What a chart draws beside its series: the period, the metric's threshold, the outages.
pub struct Frame<'a> {
    /// The period: points are placed by time across it.
    pub span: (DateTime<Utc>, DateTime<Utc>),
    /// The metric's threshold (comparator as written, value), drawn as a dashed line.
    pub threshold: Option<(&'a str, f64)>,
    /// Outages (start, end or none while open), shaded.
    pub outages: &'a [(DateTime<Utc>, Option<DateTime<Utc>>)],
}

/// The time axis under a chart: the period's start, middle and end.
fn time_axis(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let tick = |t: DateTime<Utc>| t.format("%m-%d %H:%M").to_string();
    format!(
        "<line class=\"axis-line\" x1=\"4\" x2=\"{:.1}\" y1=\"{PLOT}\" y2=\"{PLOT}\"/>\
<text class=\"axis\" x=\"4\" y=\"{ty}\">{}</text>\
<text class=\"axis\" x=\"{:.1}\" y=\"{ty}\" text-anchor=\"middle\">{}</text>\
<text class=\"axis\" x=\"{:.1}\" y=\"{ty}\" text-anchor=\"end\">{} UTC</text>",
        WIDTH - 4.0,
        tick(from),
        WIDTH / 2.0,
        tick(from + (to - from) / 2),
        WIDTH - 4.0,
        tick(to),
        ty = HEIGHT - 4.0,
    )
}

/// One series as an SVG line chart placed by time over the period, with a time axis, the
/// threshold drawn, outages shaded, and its lowest, highest and last value.
pub fn chart(monitor_id: &str, s: &Series, frame: &Frame<'_>) -> String {
    let (from, to) = frame.span;
    let length = (to - from).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        let share = ((t - from).num_milliseconds() as f64 / length).clamp(0.0, 1.0);
        4.0 + (WIDTH - 8.0) * share
    };
    let known: Vec<(DateTime<Utc>, f64)> = s
        .points
        .iter()
        .filter_map(|(t, v)| v.map(|v| (*t, v)))
        .collect();
    let (mut lo, mut hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    if let Some((_, limit)) = frame.threshold {
        lo = lo.min(limit);
        hi = hi.max(limit);
    }
    let y = |v: f64| {
        if hi > lo {
            PLOT - 6.0 - (PLOT - 12.0) * (v - lo) / (hi - lo)
        } else {
            PLOT / 2.0
        }
    };
    let line: Vec<String> = known
        .iter()
        .map(|(t, v)| format!("{:.1},{:.1}", x(*t), y(*v)))
        .collect();
    let dots: String = known
        .iter()
        .map(|(t, v)| format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>", x(*t), y(*v)))
        .collect();
    let shaded: String = frame
        .outages
        .iter()
        .filter(|(start, end)| *start < to && end.is_none_or(|e| e > from))
        .map(|(start, end)| {
            let (a, b) = (x(*start), x(end.unwrap_or(to)));
            format!(
                "<rect class=\"outage\" x=\"{a:.1}\" y=\"0\" width=\"{:.1}\" height=\"{PLOT}\"/>",
                (b - a).max(1.0)
            )
        })
        .collect();
    let threshold = frame
        .threshold
        .map(|(comparator, limit)| {
            format!(
                "<line class=\"threshold\" x1=\"4\" x2=\"{:.1}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/>\
<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} {}</text>",
                WIDTH - 4.0,
                WIDTH - 6.0,
                (y(limit) - 3.0).max(8.0),
                escape(comparator),
                format_value(limit),
                y = y(limit),
            )
        })
        .unwrap_or_default();
    let axis = time_axis(from, to);
    let data: Vec<String> = s
        .points
        .iter()
        .map(|(t, v)| {
            format!(
                "{}={}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                v.map_or("-".to_string(), |v| v.to_string())
            )
        })
        .collect();
    let shown = |v: Option<f64>| v.map(format_value).unwrap_or_else(|| "-".into());
    format!(
        "<figure class=\"chart\"><figcaption>{label} <small>min {min} · max {max} · last {last}</small></figcaption>\
<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{label}\" \
data-monitor=\"{monitor}\" data-metric=\"{metric}\" data-points=\"{data}\">\
<rect width=\"{WIDTH}\" height=\"{PLOT}\" class=\"bg\"/>{shaded}{threshold}<polyline points=\"{line}\"/>{dots}{axis}</svg></figure>",
        label = escape(&s.label),
        min = shown(s.min()),
        max = shown(s.max()),
        last = shown(s.last()),
        monitor = escape(monitor_id),
        metric = escape(&s.metric),
        data = escape(&data.join(" ")),
        line = line.join(" "),
    )
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}\
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}\
th{background:#f0f0f0}.up{color:#1a7f37}.trouble{color:#9a6700}.critical,.down{color:#cf222e;font-weight:600}\
.monitor{margin:16px 0;padding:8px 12px;background:#fff;border:1px solid #e5e5e5;border-radius:6px}\
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(300px,1fr));gap:12px}.chart{margin:0;min-width:0}.chart figcaption{font-size:12px;min-height:2.6em}.chart svg{max-width:100%;height:auto}\
svg .bg{fill:#fff;stroke:#e5e5e5}svg polyline{fill:none;stroke:#0969da;stroke-width:1.5}svg circle{fill:#0969da}\
svg .outage{fill:#cf222e;fill-opacity:.12}svg .threshold{stroke:#cf222e;stroke-dasharray:4 3}svg .axis-line{stroke:#999}svg .axis{font-size:9px;fill:#666}\
details{margin:6px 0}summary{cursor:pointer;font-weight:600}nav a{margin-right:10px}\
.child{padding-left:24px}small{color:#666}";

fn status_class(st: Option<&MonitorStatus>) -> (&'static str, String) {
    match st {
        Some(s) => {
            let word = s.status.as_str();
            let class = match word {
                "up" => "up",
                "trouble" => "trouble",
                "critical" => "critical",
                _ => "down",
            };
            (class, word.to_string())
        }
        None => ("", "not evaluated".to_string()),
    }
}

/// The page: a summary, what is not up, each pool (collapsible, open when not all up) with its
/// monitors and their charts, the outages, and the trail's failing addresses and detections.
pub fn render(page: &Page) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cognito-watch report</title>\
<style>{STYLE}</style></head><body><h1>cognito-watch report</h1>\
<p><small>generated {} UTC · the last {}</small></p>",
        when(page.generated_at),
        escape(&page.since)
    );
    summary(page, &mut h);
    status(page, &mut h);
    pools(page, &mut h);
    timeline(page, &mut h);
    outages(page, &mut h);
    failing_ips(page, &mut h);
    detections(page, &mut h);
    posture(page, &mut h);
    h.push_str("</body></html>\n");
    h
}

/// The root of a monitor (itself for a root).
fn root_of(m: &Monitor) -> &str {
    m.parent_id.as_deref().unwrap_or(&m.monitor_id)
}

/// The roots of the page's monitors, in page order (a report of one app client has its
/// pool's root without the pool's own monitor).
fn roots(page: &Page) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for c in &page.monitors {
        let root = root_of(&c.monitor);
        if !out.contains(&root) {
            out.push(root);
        }
    }
    out
}

/// A root's name when the page holds its monitor, else its id.
fn root_name<'a>(page: &'a Page, root: &'a str) -> &'a str {
    page.monitors
        .iter()
        .find(|c| c.monitor.monitor_id == root)
        .map_or(root, |c| c.monitor.name.as_str())
}

/// An anchor id for a root.
fn anchor(root: &str) -> String {
    format!(
        "pool-{}",
        root.chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect::<String>()
    )
}

/// Monitors per status per account and region, availability, open outages, detections, and an
/// index of the pools.
fn summary(page: &Page, h: &mut String) {
    h.push_str("<h2>Summary</h2><table><tr><th>Account / region</th><th>Monitors</th><th>Up</th><th>Trouble</th><th>Critical</th><th>Down</th><th>Not evaluated</th><th>Up over the period</th></tr>");
    let mut regions: std::collections::BTreeMap<(&str, &str), [usize; 6]> = Default::default();
    for c in &page.monitors {
        let counts = regions
            .entry((c.monitor.account.as_str(), c.monitor.region.as_str()))
            .or_default();
        counts[0] += 1;
        counts[match c.status.as_ref().map(|s| s.status.as_str()) {
            Some("up") => 1,
            Some("trouble") => 2,
            Some("critical") => 3,
            Some(_) => 4,
            None => 5,
        }] += 1;
    }
    for ((account, region), n) in &regions {
        let up = page
            .availability
            .iter()
            .find(|(k, _)| *k == format!("{account} {region}"))
            .map_or("-", |(_, v)| v.as_str());
        let _ = write!(
            h,
            "<tr><td>{} / {}</td><td>{}</td><td class=\"up\">{}</td><td class=\"trouble\">{}</td><td class=\"critical\">{}</td><td class=\"down\">{}</td><td>{}</td><td>{}</td></tr>",
            escape(account),
            escape(region),
            n[0], n[1], n[2], n[3], n[4], n[5],
            escape(up)
        );
    }
    h.push_str("</table>");
    let open = page.outages.iter().filter(|o| o.is_open()).count();
    let _ = write!(
        h,
        "<p>{open} open outage{} · {} outage{} in the period · {} detection{} in the period</p>",
        if open == 1 { "" } else { "s" },
        page.outages.len(),
        if page.outages.len() == 1 { "" } else { "s" },
        page.detections.len(),
        if page.detections.len() == 1 { "" } else { "s" },
    );
    h.push_str("<nav>Pools: ");
    for root in roots(page) {
        let _ = write!(
            h,
            "<a href=\"#{}\">{}</a>",
            anchor(root),
            escape(root_name(page, root))
        );
    }
    h.push_str("</nav>");
}

/// A status table's row of one monitor.
fn status_row(c: &Charts, h: &mut String, pool: Option<&str>) {
    let (class, word) = status_class(c.status.as_ref());
    let since = c.status.as_ref().map(|s| when(s.since)).unwrap_or_default();
    let reasons = c
        .status
        .as_ref()
        .map(|s| {
            s.reasons
                .iter()
                .map(|r| escape(&r.to_string()))
                .collect::<Vec<_>>()
                .join("<br>")
        })
        .unwrap_or_default();
    let _ = write!(
        h,
        "<tr><td class=\"{}\">{}<br><small>{}</small></td>{}<td>{}</td><td class=\"{class}\">{}</td><td>{since}</td><td>{reasons}</td></tr>",
        if c.depth > 0 && pool.is_none() { "child" } else { "" },
        escape(&c.monitor.name),
        escape(&c.monitor.monitor_id),
        pool.map(|p| format!("<td>{}</td>", escape(p))).unwrap_or_default(),
        escape(c.monitor.kind.label()),
        escape(&word),
    );
}

/// What is not up, each with its pool, since when and why.
fn status(page: &Page, h: &mut String) {
    h.push_str("<h2>Status</h2>");
    let down: Vec<&Charts> = page
        .monitors
        .iter()
        .filter(|c| c.status.as_ref().is_some_and(|s| s.status.as_str() != "up"))
        .collect();
    if down.is_empty() {
        let _ = write!(
            h,
            "<p>every one of {} monitors evaluated is up</p>",
            page.monitors.iter().filter(|c| c.status.is_some()).count()
        );
        return;
    }
    let _ = write!(
        h,
        "<p>{} not up</p><table><tr><th>Monitor</th><th>Pool</th><th>Type</th><th>Status</th><th>Since</th><th>Reasons</th></tr>",
        down.len()
    );
    for c in down {
        let pool = page
            .monitors
            .iter()
            .find(|r| r.monitor.monitor_id == root_of(&c.monitor))
            .map_or("", |r| r.monitor.name.as_str());
        status_row(c, h, Some(pool));
    }
    h.push_str("</table>");
}

/// Each pool, collapsible (open when any of its monitors is not up): its monitors' statuses
/// and every monitor's charts.
fn pools(page: &Page, h: &mut String) {
    h.push_str("<h2>Pools</h2>");
    for root_id in roots(page) {
        let family: Vec<&Charts> = page
            .monitors
            .iter()
            .filter(|c| root_of(&c.monitor) == root_id)
            .collect();
        let root_name = root_name(page, root_id);
        let troubled = family
            .iter()
            .filter(|c| c.status.as_ref().is_some_and(|s| s.status.as_str() != "up"))
            .count();
        let up = page
            .availability
            .iter()
            .find(|(k, _)| k == root_id)
            .map(|(_, v)| format!(" · up {v} of the period"))
            .unwrap_or_default();
        let _ = write!(
            h,
            "<details id=\"{}\"{}><summary>{} <small>{} · {} monitor{}, {troubled} not up{}</small></summary>\
<table><tr><th>Monitor</th><th>Type</th><th>Status</th><th>Since</th><th>Reasons</th></tr>",
            anchor(root_id),
            if troubled > 0 { " open" } else { "" },
            escape(root_name),
            escape(root_id),
            family.len(),
            if family.len() == 1 { "" } else { "s" },
            escape(&up),
        );
        for c in &family {
            status_row(c, h, None);
        }
        h.push_str("</table>");
        for c in family.iter().filter(|c| !c.series.is_empty()) {
            let _ = write!(
                h,
                "<section class=\"monitor\"><h3>{} <small>{}</small></h3><div class=\"charts\">",
                escape(&c.monitor.name),
                escape(&c.monitor.monitor_id)
            );
            for s in &c.series {
                let threshold = c
                    .thresholds
                    .iter()
                    .find(|(m, _, _)| *m == s.metric)
                    .map(|(_, comparator, v)| (comparator.as_str(), *v));
                let frame = Frame {
                    span: (page.from, page.generated_at),
                    threshold,
                    outages: &c.outages,
                };
                h.push_str(&chart(&c.monitor.monitor_id, s, &frame));
            }
            h.push_str("</div></section>");
        }
        h.push_str("</details>");
    }
    if page.monitors.iter().all(|c| c.series.is_empty()) {
        h.push_str("<p>no metric data in the period</p>");
    }
}

/// The timeline of the period: each status change, outage, alert and detection.
fn timeline(page: &Page, h: &mut String) {
    h.push_str("<h2>Timeline</h2>");
    if page.timeline.is_empty() {
        h.push_str("<p>nothing recorded in the period</p>");
        return;
    }
    h.push_str("<table><tr><th>When (UTC)</th><th>Name</th><th>Kind</th><th>What</th></tr>");
    for e in &page.timeline {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            when(e.at),
            escape(&e.name),
            escape(e.kind()),
            escape(&e.text())
        );
    }
    h.push_str("</table>");
}

/// The outages in the period.
fn outages(page: &Page, h: &mut String) {
    h.push_str("<h2>Outages</h2>");
    if page.outages.is_empty() {
        h.push_str("<p>none in the period</p>");
    } else {
        h.push_str("<table><tr><th>Id</th><th>Monitor</th><th>Start (UTC)</th><th>End (UTC)</th><th>Duration</th><th>Worst status</th><th>Reason</th><th>Comment</th></tr>");
        for o in &page.outages {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}<br><small>{}</small></td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td><td>{}</td><td>{}</td></tr>",
                o.short_id(),
                escape(&o.name),
                escape(&o.monitor_id),
                when(o.started_at),
                o.ended_at.map(when).unwrap_or_else(|| "open".into()),
                duration(o.duration(page.generated_at)),
                escape(&o.status.to_string()),
                escape(&o.status.to_string()),
                escape(&o.reason),
                escape(o.comment.as_deref().unwrap_or_default()),
            );
        }
        h.push_str("</table>");
    }
}

/// The addresses with the most failures (the trail).
fn failing_ips(page: &Page, h: &mut String) {
    h.push_str("<h2>Top failing source IPs</h2>");
    if !page.trail {
        h.push_str("<p>no trail is wired (TRAIL_TABLE): no CloudTrail evidence</p>");
    } else if page.failing_ips.is_empty() {
        h.push_str("<p>no failing requests in the period</p>");
    } else {
        h.push_str(
            "<table><tr><th>Pool</th><th>Source IP</th><th>Failures</th><th>Requests</th></tr>",
        );
        for (pool, ip, failures, requests) in &page.failing_ips {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{failures}</td><td>{requests}</td></tr>",
                escape(pool),
                escape(ip)
            );
        }
        h.push_str("</table>");
    }
}

/// The resource's name and id, for a table cell.
fn named(page: &Page, monitor_id: &str) -> String {
    let name = page
        .monitors
        .iter()
        .find(|c| c.monitor.monitor_id == monitor_id)
        .map(|c| c.monitor.name.as_str())
        .unwrap_or_default();
    format!("{}<br><small>{}</small>", escape(name), escape(monitor_id))
}

/// Security posture: each pool's feature plan and what it implies (Site24x7's licensing
/// column), then every check that fails or cannot be judged, with why, how to fix it and its
/// override.
fn posture(page: &Page, h: &mut String) {
    h.push_str("<h2>Security posture</h2>");
    let plans: Vec<_> = page
        .posture
        .iter()
        .filter(|r| r.check == "user_pool.feature_plan")
        .collect();
    if !plans.is_empty() {
        h.push_str("<table><tr><th>User pool</th><th>Feature plan: what it implies</th></tr>");
        for r in plans {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td></tr>",
                named(page, &r.monitor_id),
                escape(&r.why)
            );
        }
        h.push_str("</table>");
    }
    let open: Vec<_> = page.posture.iter().filter(|r| r.result != "pass").collect();
    let judged = page.posture.len();
    if open.is_empty() {
        let _ = write!(h, "<p>every one of {judged} checks passes</p>");
        return;
    }
    let _ = write!(
        h,
        "<p>{} of {judged} checks fail or cannot be judged (<code>cognito-watch posture</code>)</p>",
        open.len()
    );
    h.push_str("<table><tr><th>Resource</th><th>Check</th><th>Result</th><th>Severity</th><th>Why</th><th>Fix</th><th>Override</th></tr>");
    for r in open {
        let class = if r.result == "fail" && r.by.is_empty() {
            "critical"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            named(page, &r.monitor_id),
            escape(r.check),
            escape(r.result),
            escape(&r.severity),
            escape(&r.why),
            escape(r.fix),
            escape(&r.by),
        );
    }
    h.push_str("</table>");
}

/// The security detections in the period.
fn detections(page: &Page, h: &mut String) {
    h.push_str("<h2>Security detections</h2>");
    if page.detections.is_empty() {
        h.push_str("<p>none in the period</p>");
    } else {
        h.push_str("<table><tr><th>Window (UTC)</th><th>Detection</th><th>Severity</th><th>Where</th><th>What</th></tr>");
        for f in &page.detections {
            let d = &f.detection;
            let location = f
                .pool
                .as_deref()
                .map(|p| match f.names.get(p) {
                    Some(n) => format!("{n} ({p})"),
                    None => p.to_string(),
                })
                .or(f.scope.clone())
                .unwrap_or_else(|| "-".into());
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                when(f.window),
                escape(d.kind()),
                escape(&d.severity().to_string()),
                escape(&location),
                d.facts()
                    .iter()
                    .map(|l| escape(l))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            );
        }
        h.push_str("</table>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn text_is_escaped_and_a_chart_carries_its_points() {
        assert_eq!(
            escape("<b>\"x\" & 'y'"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;"
        );
        let at = |m| Utc.with_ymd_and_hms(2026, 11, 21, 10, m, 0).unwrap();
        let s = Series {
            metric: "SignInFailed".into(),
            label: "Sign In Failed".into(),
            points: vec![(at(0), Some(1.0)), (at(5), None), (at(10), Some(4.5))],
        };
        let outages = [(at(4), Some(at(6)))];
        let frame = Frame {
            span: (at(0), at(20)),
            threshold: Some((">", 3.0)),
            outages: &outages,
        };
        let svg = chart("appclient/p/<c>", &s, &frame);
        assert!(svg.contains(
            "data-points=\"2026-11-21T10:00:00Z=1 2026-11-21T10:05:00Z=- 2026-11-21T10:10:00Z=4.5\""
        ), "{svg}");
        assert!(svg.contains("data-monitor=\"appclient/p/&lt;c&gt;\""));
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "a dot per value, none for no data"
        );
        // Placed by time over the period: 10:00 at the left edge, 10:10 half way.
        assert!(svg.contains("<circle cx=\"4.0\""), "{svg}");
        assert!(svg.contains("<circle cx=\"150.0\""), "{svg}");
        // The threshold drawn, the outage (10:04 to 10:06) shaded, the time axis labelled.
        assert!(svg.contains("class=\"threshold\""), "{svg}");
        assert!(svg.contains("&gt; 3</text>"), "{svg}");
        assert!(
            svg.contains("<rect class=\"outage\" x=\"62.4\" y=\"0\" width=\"29.2\""),
            "{svg}"
        );
        assert!(svg.contains(">11-21 10:00</text>") && svg.contains(">11-21 10:20 UTC</text>"));
    }
}
