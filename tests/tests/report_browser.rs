//! The HTML report in a real browser (headless Chromium, Debian's `chromium`; `.ci/run` installs
//! it): the page loads, every chart has its points, the console has no errors (Chromium logs an
//! SVG attribute it cannot read as one), and a screenshot is kept under
//! `target/report-browser/` as a CI artifact. No test bed: the page is rendered by the same
//! function `report --html` uses, from a scripted estate of several polls.

use std::path::PathBuf;
use std::process::Command;

use chrono::{DateTime, Duration, DurationRound, Utc};
use cognito_watch_cli::html::{render, Charts, Page};
use cognito_watch_cli::render::Series;
use cognito_watch_core::alerting::status::{MonitorStatus, Status};
use cognito_watch_core::inventory::monitor::{
    AppClientDetails, Monitor, MonitorDetails, MonitorId, UserPoolDetails,
};

fn artifacts() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("report-browser");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn status(m: &Monitor, st: Status, since: DateTime<Utc>) -> MonitorStatus {
    MonitorStatus {
        monitor_id: m.monitor_id.clone(),
        kind: m.kind,
        status: st,
        own_status: st,
        reasons: vec![],
        since,
        evaluated_at: since,
        evaluated_poll_at: None,
        evaluated_window_end: None,
        streaks: Default::default(),
        failed_polls: 0,
        transitions: 0,
        profile: "default".into(),
        outage_started_at: None,
        recorded_since: None,
    }
}

/// Two pools, one with a client failing for two hours of a day of 5-minute polls.
fn page(now: DateTime<Utc>) -> Page {
    let from = now - Duration::hours(24);
    let polls: Vec<DateTime<Utc>> = (0..288).map(|i| from + Duration::minutes(5 * i)).collect();
    let series = |metric: &str, label: &str, f: &dyn Fn(usize) -> Option<f64>| Series {
        metric: metric.into(),
        label: label.into(),
        points: polls.iter().enumerate().map(|(i, t)| (*t, f(i))).collect(),
    };
    let mut monitors = Vec::new();
    for (p, pool) in ["shop", "staff"].iter().enumerate() {
        let pool_id = format!("us-east-1_Page{p}");
        let root = Monitor::new(
            &MonitorId::UserPool {
                pool: pool_id.clone(),
            },
            (*pool).into(),
            "123456789012",
            "us-east-1",
            MonitorDetails::UserPool(UserPoolDetails::default()),
            from,
        );
        let client = Monitor::new(
            &MonitorId::AppClient {
                pool: pool_id.clone(),
                client_id: format!("web{p}"),
            },
            format!("{pool}-web"),
            "123456789012",
            "us-east-1",
            MonitorDetails::AppClient(AppClientDetails::default()),
            from,
        );
        let failing = p == 0;
        let outage = (from + Duration::hours(10), Some(from + Duration::hours(12)));
        monitors.push(Charts {
            status: Some(status(&root, Status::Up, from)),
            series: vec![series("NumberOfUsers", "Number of Users", &|i| {
                Some(1000.0 + i as f64)
            })],
            thresholds: vec![],
            outages: vec![],
            depth: 0,
            monitor: root,
        });
        monitors.push(Charts {
            status: Some(status(
                &client,
                if failing {
                    Status::Critical
                } else {
                    Status::Up
                },
                from + Duration::hours(23),
            )),
            series: vec![
                series("SignInTotal", "Total Sign In Request", &|i| {
                    (i % 7 != 3).then_some(40.0 + (i % 12) as f64)
                }),
                series(
                    "SignInFailurePercentage",
                    "Sign In Failure Percentage",
                    &|i| {
                        Some(if failing && (120..144).contains(&i) {
                            45.0
                        } else {
                            3.0
                        })
                    },
                ),
            ],
            thresholds: vec![("SignInFailurePercentage".into(), ">".into(), 20.0)],
            outages: if failing { vec![outage] } else { vec![] },
            depth: 1,
            monitor: client,
        });
    }
    Page {
        generated_at: now,
        since: "24h".into(),
        from,
        availability: vec![
            ("123456789012 us-east-1".into(), "91.66%".into()),
            ("userpool/us-east-1_Page0".into(), "91.66%".into()),
            ("userpool/us-east-1_Page1".into(), "100%".into()),
        ],
        timeline: vec![],
        monitors,
        outages: vec![],
        failing_ips: vec![],
        detections: vec![],
        trail: false,
        posture: vec![],
    }
}

#[test]
fn the_report_loads_in_chromium_with_every_chart_drawn_and_no_console_error() {
    let dir = artifacts();
    let now = Utc::now().duration_trunc(Duration::minutes(5)).unwrap();
    let html = dir.join("report.html");
    let page = render(&page(now));
    std::fs::write(&html, &page).unwrap();
    let profile = dir.join("chromium-profile");
    let _ = std::fs::remove_dir_all(&profile);
    let browser = std::env::var("CHROMIUM").unwrap_or_else(|_| "chromium".into());
    let run = |extra: &[&str]| {
        let out = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--enable-logging=stderr",
                "--v=0",
                "--window-size=1280,2400",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(extra)
            .arg(format!("file://{}", html.display()))
            .output()
            .unwrap_or_else(|e| {
                panic!("{browser}: {e} (install Debian's chromium: apt-get install chromium)")
            });
        assert!(out.status.success(), "{browser}: {out:?}");
        (
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (dom, log) = run(&["--dump-dom"]);
    // Loaded: the DOM Chromium built holds the page's sections.
    for part in [
        "cognito-watch report",
        "<h2>Summary</h2>",
        "<h2>Pools</h2>",
        "shop-web",
    ] {
        assert!(dom.contains(part), "{part} not in the DOM:\n{dom}");
    }
    // No console message: the page has no script, so any is an error (an SVG attribute
    // Chromium cannot read, a resource it cannot load).
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "{console:#?}");
    // Every chart drawn: a line and a dot per value, placed inside the chart.
    let charts: Vec<&str> = dom.split("<svg ").skip(1).collect();
    assert_eq!(charts.len(), 2 * (1 + 2), "a chart per series");
    for svg in &charts {
        let dots = svg.matches("<circle").count();
        assert!(dots > 200, "a dot per poll with a value: {dots}");
        let points = svg
            .split("<polyline points=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .unwrap_or_default();
        assert_eq!(points.split(' ').count(), dots, "the line joins the dots");
        for xy in points.split(' ') {
            let (x, y) = xy.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!(
                (0.0..=300.0).contains(&x) && (0.0..=90.0).contains(&y),
                "{xy}"
            );
        }
        assert!(svg.contains(" UTC</text>"), "a time axis");
    }
    let failing = charts
        .iter()
        .find(|s| s.contains("data-metric=\"SignInFailurePercentage\"") && s.contains("Page0"))
        .unwrap();
    assert!(failing.contains("class=\"threshold\"") && failing.contains("class=\"outage\""));
    // The screenshot, kept for a person to look at.
    let png = dir.join("report.png");
    let _ = std::fs::remove_file(&png);
    run(&[&format!("--screenshot={}", png.display())]);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        bytes.len() > 20_000,
        "a page, not a blank: {} bytes",
        bytes.len()
    );
}
