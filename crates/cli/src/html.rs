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
}

/// Everything the page shows.
pub struct Page {
    pub generated_at: DateTime<Utc>,
    pub since: String,
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
const HEIGHT: f64 = 70.0;

/// One series as an SVG line chart with its lowest, highest and last value.
pub fn chart(monitor_id: &str, s: &Series) -> String {
    let known: Vec<(usize, f64)> = s
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| (i, v)))
        .collect();
    let (lo, hi) = known
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let n = s.points.len().max(2) - 1;
    let single = s.points.len() == 1;
    let x = |i: usize| {
        if single {
            WIDTH / 2.0
        } else {
            4.0 + (WIDTH - 8.0) * i as f64 / n as f64
        }
    };
    let y = |v: f64| {
        if hi > lo {
            HEIGHT - 6.0 - (HEIGHT - 12.0) * (v - lo) / (hi - lo)
        } else {
            HEIGHT / 2.0
        }
    };
    let line: Vec<String> = known
        .iter()
        .map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v)))
        .collect();
    let dots: String = known
        .iter()
        .map(|(i, v)| format!("<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"2\"/>", x(*i), y(*v)))
        .collect();
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
<rect width=\"{WIDTH}\" height=\"{HEIGHT}\" class=\"bg\"/><polyline points=\"{line}\"/>{dots}</svg></figure>",
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

/// The page: the status tree, the charts (the Summary tab), the outages, and the trail's
/// failing addresses and detections.
pub fn render(page: &Page) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>cognito-watch report</title>\
<style>{STYLE}</style></head><body><h1>cognito-watch report</h1>\
<p><small>generated {} UTC · metrics over the last {}</small></p>",
        when(page.generated_at),
        escape(&page.since)
    );
    status_tree(page, &mut h);
    charts(page, &mut h);
    outages(page, &mut h);
    failing_ips(page, &mut h);
    detections(page, &mut h);
    posture(page, &mut h);
    h.push_str("</body></html>\n");
    h
}

/// Each monitor, its status, since when and why.
fn status_tree(page: &Page, h: &mut String) {
    h.push_str("<h2>Status</h2><table><tr><th>Monitor</th><th>Type</th><th>Status</th><th>Since</th><th>Reasons</th></tr>");
    for c in &page.monitors {
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
            "<tr><td class=\"{}\">{}<br><small>{}</small></td><td>{}</td><td class=\"{class}\">{}</td><td>{since}</td><td>{reasons}</td></tr>",
            if c.depth > 0 { "child" } else { "" },
            escape(&c.monitor.name),
            escape(&c.monitor.monitor_id),
            escape(c.monitor.kind.label()),
            escape(&word),
        );
    }
    h.push_str("</table>");
}

/// The charts of every monitor with metric data.
fn charts(page: &Page, h: &mut String) {
    h.push_str("<h2>Metrics</h2>");
    for c in page.monitors.iter().filter(|c| !c.series.is_empty()) {
        let _ = write!(
            h,
            "<section class=\"monitor\"><h3>{} <small>{}</small></h3><div class=\"charts\">",
            escape(&c.monitor.name),
            escape(&c.monitor.monitor_id)
        );
        for s in &c.series {
            h.push_str(&chart(&c.monitor.monitor_id, s));
        }
        h.push_str("</div></section>");
    }
    if page.monitors.iter().all(|c| c.series.is_empty()) {
        h.push_str("<p>no metric data in the period</p>");
    }
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
        let svg = chart("appclient/p/<c>", &s);
        assert!(svg.contains(
            "data-points=\"2026-11-21T10:00:00Z=1 2026-11-21T10:05:00Z=- 2026-11-21T10:10:00Z=4.5\""
        ), "{svg}");
        assert!(svg.contains("data-monitor=\"appclient/p/&lt;c&gt;\""));
        assert_eq!(
            svg.matches("<circle").count(),
            2,
            "a dot per value, none for no data"
        );
    }
}
