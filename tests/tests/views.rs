//! What an on-call engineer opens first, on the local AWS test bed: availability and the
//! timeline from a scripted history written through the status store (exact figures), and
//! `status` at 1,040 monitors leading with the summary and listing only what is not up.

use chrono::{DateTime, Duration, DurationRound, Utc};
use cognito_watch_aws::state::Write;
use cognito_watch_aws::{StateStore, StatusStore, TrailStore};
use cognito_watch_cli::commands::availability::measure;
use cognito_watch_cli::Env;
use cognito_watch_core::alerting::availability::Transition;
use cognito_watch_core::alerting::status::{
    Alert, MonitorChange, MonitorStatus, Outage, OutageWrite, Reason, Status,
};
use cognito_watch_core::inventory::monitor::{
    AppClientDetails, Monitor, MonitorDetails, MonitorId, UserPoolDetails,
};
use cognito_watch_core::trail::detect::{Detection, Finding};
use cognito_watch_testbed::{LocalAws, ACCOUNT, REGION, STATUS_TABLE, TRAIL_TABLE};

use crate::support::cli_text;

const POOL: &str = "us-east-1_View";

fn pool_monitor(pool: &str, name: &str, seen: DateTime<Utc>) -> Monitor {
    Monitor::new(
        &MonitorId::UserPool { pool: pool.into() },
        name.into(),
        ACCOUNT,
        REGION,
        MonitorDetails::UserPool(UserPoolDetails::default()),
        seen,
    )
}

fn client_monitor(pool: &str, id: &str, seen: DateTime<Utc>) -> Monitor {
    Monitor::new(
        &MonitorId::AppClient {
            pool: pool.into(),
            client_id: id.into(),
        },
        id.into(),
        ACCOUNT,
        REGION,
        MonitorDetails::AppClient(AppClientDetails {
            client_id: id.into(),
            ..AppClientDetails::default()
        }),
        seen,
    )
}

/// The status a monitor is left in after `moves` (its last), as the evaluator stores it.
fn status_after(m: &Monitor, status: Status, since: DateTime<Utc>, moves: u64) -> MonitorStatus {
    MonitorStatus {
        monitor_id: m.monitor_id.clone(),
        kind: m.kind,
        status,
        own_status: status,
        reasons: vec![],
        since,
        evaluated_at: since,
        evaluated_poll_at: None,
        evaluated_window_end: None,
        streaks: Default::default(),
        failed_polls: 0,
        transitions: moves,
        profile: "default".into(),
        outage_started_at: None,
        recorded_since: Some(m.first_seen),
    }
}

/// One status change as the evaluator commits it: the status, the transition, the outage it
/// opens or closes, and its alert.
fn change(m: &Monitor, at: DateTime<Utc>, from: Status, to: Status, number: u64) -> MonitorChange {
    let reasons = if to == Status::Up {
        vec![]
    } else {
        vec![format!("scripted {}", to.as_str())]
    };
    let outage = match (from, to) {
        (Status::Up, _) => Some(OutageWrite::Open(Outage {
            monitor_id: m.monitor_id.clone(),
            kind: m.kind,
            name: m.name.clone(),
            account: m.account.clone(),
            region: m.region.clone(),
            user_pool_id: m.user_pool_id.clone(),
            started_at: at,
            ended_at: None,
            status: to,
            reason: reasons.join("; "),
            comment: None,
        })),
        _ => None,
    };
    let mut status = status_after(m, to, at, number);
    if to != Status::Up {
        status.reasons = vec![Reason::PollFailing {
            failed_polls: 1,
            error: format!("scripted {}", to.as_str()),
        }];
    }
    MonitorChange {
        status,
        write_status: true,
        outage,
        alert: Some(Alert {
            alert_id: format!("{}#{number}", m.monitor_id),
            monitor_id: m.monitor_id.clone(),
            kind: m.kind,
            name: m.name.clone(),
            account: m.account.clone(),
            region: m.region.clone(),
            user_pool_id: m.user_pool_id.clone(),
            from,
            to,
            at,
            previous_since: at,
            reasons: vec![],
            pool: None,
            outage_started_at: None,
            profile: "default".into(),
        }),
        transition: Some(Transition {
            monitor_id: m.monitor_id.clone(),
            kind: m.kind,
            name: m.name.clone(),
            at,
            from,
            to,
            number,
            reasons,
        }),
    }
}

#[tokio::test]
async fn availability_and_the_timeline_give_exact_figures_on_a_scripted_history() {
    let aws = LocalAws::start().await;
    let status = StatusStore::new(&aws.sdk, STATUS_TABLE, Duration::days(30));
    status.create_table().await.unwrap();
    let trail = TrailStore::new(&aws.sdk, TRAIL_TABLE, Duration::days(14), Duration::days(1));
    trail.create_table().await.unwrap();
    // The day scripted: it starts 24 hours before now, to the minute.
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let t0 = now - Duration::hours(24);
    let h = |n: i64| t0 + Duration::hours(n);
    let pool = pool_monitor(POOL, "shop", h(-6));
    let (web, api) = (
        client_monitor(POOL, "web", h(-6)),
        client_monitor(POOL, "api", h(-6)),
    );
    aws.store
        .write_all(
            [&pool, &web, &api]
                .iter()
                .map(|m| Write::State(StateStore::monitor_item(m).unwrap()))
                .collect(),
        )
        .await
        .unwrap();
    // web: trouble 2–5h, critical 5–6h, up, down 10–12h, up. api: critical 4–8h.
    let root = MonitorId::parse(&pool.monitor_id).unwrap();
    let mut steps = vec![
        change(&web, h(2), Status::Up, Status::Trouble, 1),
        change(&web, h(5), Status::Trouble, Status::Critical, 2),
        change(&web, h(6), Status::Critical, Status::Up, 3),
        change(&web, h(10), Status::Up, Status::Down, 4),
        change(&web, h(12), Status::Down, Status::Up, 5),
        change(&api, h(4), Status::Up, Status::Critical, 1),
        change(&api, h(8), Status::Critical, Status::Up, 2),
    ];
    steps.sort_by_key(|c| c.status.since);
    let mut open: std::collections::BTreeMap<String, DateTime<Utc>> = Default::default();
    for mut c in steps {
        let id = c.status.monitor_id.clone();
        if c.status.status == Status::Up {
            let started_at = open.remove(&id).unwrap();
            c.outage = Some(OutageWrite::Close {
                monitor_id: id,
                started_at,
                ended_at: c.status.since,
            });
        } else if c.outage.is_some() {
            open.insert(id, c.status.since);
        }
        assert!(status
            .acquire_lease(&root, "test", Utc::now(), Duration::seconds(60))
            .await
            .unwrap());
        status.commit(&root, "test", &[c]).await.unwrap();
    }
    status
        .comment_outage(&api.monitor_id, h(4), "bad deploy, rolled back")
        .await
        .unwrap();
    let pool_status = MonitorChange {
        status: status_after(&pool, Status::Up, h(-6), 0),
        write_status: true,
        outage: None,
        alert: None,
        transition: None,
    };
    status.commit(&root, "test", &[pool_status]).await.unwrap();
    trail
        .record_finding(
            &Finding::new(
                Some(POOL.into()),
                h(5),
                Detection::BruteForce {
                    ip: "192.0.2.7".into(),
                    failures: 40,
                    threshold: 20,
                },
            ),
            now,
        )
        .await
        .unwrap();

    // The figures, read back through the SDK over exactly the scripted day.
    let monitors = aws.store.load_estate().await.unwrap();
    let mut statuses = status.load_statuses(&root).await.unwrap();
    assert_eq!(statuses.len(), 3);
    let estate = measure(&status, &monitors, &statuses, t0, now)
        .await
        .unwrap();
    let hours = |name: &str, scope: &str| {
        let r = estate
            .rows
            .iter()
            .find(|r| r.name == name && r.scope == scope)
            .unwrap_or_else(|| panic!("{scope} {name} in {:#?}", estate.rows));
        let d = r.durations;
        (
            [d.up, d.trouble, d.critical, d.down, d.unknown].map(|s| s as f64 / 3600.0),
            d.availability().unwrap(),
            r.transitions,
        )
    };
    assert_eq!(
        hours("web", "monitor"),
        ([18.0, 3.0, 1.0, 2.0, 0.0], 75.0, 5)
    );
    let (api_hours, api_up, _) = hours("api", "monitor");
    assert_eq!(api_hours, [20.0, 0.0, 4.0, 0.0, 0.0]);
    assert!((api_up - 250.0 / 3.0).abs() < 1e-9, "{api_up}");
    // The pool rolled up: the worst of its monitors at each instant.
    let (pool_hours, pool_up, pool_changes) = hours("shop", "pool");
    assert_eq!(pool_hours, [16.0, 2.0, 4.0, 2.0, 0.0]);
    assert!((pool_up - 200.0 / 3.0).abs() < 1e-9, "{pool_up}");
    assert_eq!(pool_changes, 7);
    let (region_hours, _, _) = hours(&format!("{ACCOUNT} {REGION}"), "account/region");
    assert_eq!(region_hours, pool_hours);
    // Half the day: what was before its start is read from the first change in it.
    let half = measure(
        &status,
        &monitors,
        &statuses,
        h(5) + Duration::minutes(30),
        h(11),
    )
    .await
    .unwrap();
    let web_half = half
        .rows
        .iter()
        .find(|r| r.name == "web" && r.scope == "monitor")
        .unwrap()
        .durations;
    assert_eq!(
        (web_half.critical, web_half.up, web_half.down),
        (1800, 4 * 3600, 3600)
    );
    // A monitor never judged: no record, left out of the roll-up.
    statuses.remove(&api.monitor_id);
    let unjudged = measure(&status, &monitors, &statuses, t0, now)
        .await
        .unwrap();
    let api_row = unjudged
        .rows
        .iter()
        .find(|r| r.name == "api" && r.scope == "monitor")
        .unwrap();
    assert_eq!(api_row.durations.unknown, 24 * 3600);
    assert_eq!(api_row.durations.availability(), None);

    // The CLI: the same figures (the period ends now; both its ends are up).
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", STATUS_TABLE),
        ("TRAIL_TABLE", TRAIL_TABLE),
    ]);
    let rows: serde_json::Value = serde_json::from_str(
        &cli_text(&env, &["availability", "--since", "24h", "-o", "json"]).await,
    )
    .unwrap();
    let percent = |name: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} in {rows}"))["availability_percent"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(percent("web"), 75.0);
    assert_eq!(percent("api"), 83.33);
    assert_eq!(percent("shop"), 66.66);
    let table = cli_text(&env, &["availability"]).await;
    assert!(
        table.contains("Roll-up: a pool, or an account and region, is up while"),
        "{table}"
    );
    let err = cognito_watch_cli::run(
        crate::support::cli(&["availability", "--since", "1y"]),
        &env,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("at most 90 days"), "{err}");

    // The timeline of a monitor and of its pool, oldest first.
    let web_line: serde_json::Value = serde_json::from_str(
        &cli_text(&env, &["timeline", "web", "--since", "2d", "-o", "json"]).await,
    )
    .unwrap();
    let what: Vec<(String, String)> = web_line
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["what"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // Its 5 changes, 2 outages opened and closed, 5 alerts, and the pool's detection (it names
    // no app client: it concerns every one).
    assert_eq!(what.len(), 5 + 2 * 2 + 5 + 1, "{what:#?}");
    assert_eq!(
        what[0],
        ("status".into(), "Up → Trouble: scripted trouble".into())
    );
    assert_eq!(
        what[1],
        ("outage".into(), "outage opened: scripted trouble".into())
    );
    assert_eq!(
        what[2],
        ("alert".into(), "alert Up → Trouble (pending)".into())
    );
    assert_eq!(
        what.iter().filter(|(k, _)| k == "detection").count(),
        1,
        "{what:#?}"
    );
    let shop_line = cli_text(&env, &["timeline", "shop", "--since", "2d", "-o", "csv"]).await;
    assert!(
        shop_line
            .contains("outage closed after 4h (worst Critical); comment: bad deploy, rolled back"),
        "{shop_line}"
    );
    assert!(shop_line.contains("detection brute_force ("), "{shop_line}");
    let times: Vec<String> = csv::Reader::from_reader(shop_line.as_bytes())
        .records()
        .map(|r| r.unwrap()[0].to_string())
        .collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "oldest first");
    assert_eq!(times.len(), 7 + 3 * 2 + 7 + 1, "{shop_line}");
}

#[tokio::test]
async fn status_at_1040_monitors_leads_with_the_summary_and_lists_only_what_is_not_up() {
    let aws = LocalAws::start().await;
    let status = StatusStore::new(&aws.sdk, STATUS_TABLE, Duration::days(30));
    status.create_table().await.unwrap();
    let now = Utc::now();
    let seen = now - Duration::days(2);
    let mut monitors = Vec::new();
    for p in 0..40 {
        let pool = format!("us-east-1_Pool{p:02}");
        monitors.push(pool_monitor(&pool, &format!("pool-{p:02}"), seen));
        for c in 0..25 {
            monitors.push(client_monitor(
                &pool,
                &format!("client-{p:02}-{c:02}"),
                seen,
            ));
        }
    }
    assert_eq!(monitors.len(), 1040);
    aws.store
        .write_all(
            monitors
                .iter()
                .map(|m| Write::State(StateStore::monitor_item(m).unwrap()))
                .collect(),
        )
        .await
        .unwrap();
    // Everything up but three clients of pool 07 (critical, trouble) and pool 31 (down).
    let troubled = [
        ("client-07-03", Status::Critical),
        ("client-07-11", Status::Trouble),
        ("client-31-00", Status::Down),
    ];
    for root in monitors.iter().filter(|m| m.parent_id.is_none()) {
        let id = MonitorId::parse(&root.monitor_id).unwrap();
        let changes: Vec<MonitorChange> = monitors
            .iter()
            .filter(|m| {
                m.monitor_id == root.monitor_id
                    || m.parent_id.as_deref() == Some(root.monitor_id.as_str())
            })
            .map(|m| match troubled.iter().find(|(n, _)| *n == m.name) {
                Some((_, to)) => change(m, now - Duration::minutes(30), Status::Up, *to, 1),
                None => MonitorChange {
                    status: status_after(m, Status::Up, seen, 0),
                    write_status: true,
                    outage: None,
                    alert: None,
                    transition: None,
                },
            })
            .collect();
        assert!(status
            .acquire_lease(&id, "test", Utc::now(), Duration::seconds(60))
            .await
            .unwrap());
        status.commit(&id, "test", &changes).await.unwrap();
    }
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", STATUS_TABLE),
        ("COLUMNS", "160"),
    ]);
    let table = cli_text(&env, &["status"]).await;
    println!("{table}");
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines.len() < 40, "{} lines:\n{table}", lines.len());
    assert!(lines[0].starts_with("Summary at "), "{table}");
    assert!(
        table.contains(&format!(
            "{ACCOUNT} {REGION}: 1040 monitors: 1037 up, 1 trouble, 1 critical, 1 down"
        )),
        "{table}"
    );
    assert!(table.contains("Pools not all up (2 of 40):"), "{table}");
    assert!(
        table.contains("pool-07: 26 monitors: 24 up, 1 trouble, 1 critical"),
        "{table}"
    );
    assert!(table.contains("Open outages: 3"), "{table}");
    assert!(table.contains("Alerts in the last 24h: 3"), "{table}");
    assert!(table.contains("Not up (3;"), "{table}");
    for (name, st) in troubled {
        let row = lines
            .iter()
            .skip_while(|l| !l.starts_with("Not up"))
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name} listed:\n{table}"));
        assert!(row.contains(st.as_str()), "{row}");
        assert!(
            row.contains(&format!("pool-{}", &name[7..9])),
            "its pool: {row}"
        );
        assert!(
            row.contains(&format!("scripted {}", st.as_str())),
            "the reason: {row}"
        );
    }
    assert!(
        !table.contains("client-07-04"),
        "an up client listed:\n{table}"
    );
    // Everything else on request: every monitor, a pool, statuses.
    let all: serde_json::Value =
        serde_json::from_str(&cli_text(&env, &["status", "--all", "-o", "json"]).await).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1040);
    let pool: serde_json::Value =
        serde_json::from_str(&cli_text(&env, &["status", "--pool", "pool-07", "-o", "json"]).await)
            .unwrap();
    assert_eq!(pool.as_array().unwrap().len(), 26);
    let worst: serde_json::Value = serde_json::from_str(
        &cli_text(
            &env,
            &[
                "status", "--status", "critical", "--status", "down", "-o", "json",
            ],
        )
        .await,
    )
    .unwrap();
    let names: Vec<&str> = worst
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["client-07-03", "client-31-00"]);
}
