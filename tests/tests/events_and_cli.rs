//! Every file in `events/` is fed to its function, and the CLI reads back what the collector
//! wrote through the same adapter code.

use chrono::{Duration, DurationRound, Utc};
use clap::Parser;
use cognito_watch_cli::{run, Cli, Env};
use cognito_watch_testbed::{seed, LocalAws};

use crate::support::{cli, cli_text};

fn events_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The JSON files under `events/<function>/`.
fn events(function: &str) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(events_dir().join(function))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn load(file: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(file).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

/// A pool "shop" with an app client "web" that had 4 sign-ins (1 failed) four minutes ago.
async fn shop_with_sign_ins(aws: &LocalAws) -> (String, String) {
    let (pool, web) = seed::pool_with_client(&aws.idp, "shop", "web")
        .await
        .unwrap();
    let at = (Utc::now() - Duration::minutes(4))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    let d = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", web.as_str()),
    ];
    seed::put(
        &aws.cw,
        vec![seed::requests("SignInSuccesses", &d, at, 3, 1)],
    )
    .await
    .unwrap();
    (pool, web)
}

/// The shop with sign-ins, polled once by the collector: (pool id, web client id).
async fn polled_shop(aws: &LocalAws) -> (String, String) {
    let ids = shop_with_sign_ins(aws).await;
    aws.collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
    ids
}

#[test]
fn every_event_file_belongs_to_a_function() {
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        assert!(
            path.is_dir() && ["collector", "evaluator", "trail"].contains(&name.as_str()),
            "{} is not under events/<function>/, so no test feeds it",
            path.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_is_accepted_by_the_collector() {
    let aws = LocalAws::start().await;
    let pool = seed::user_pool(&aws.idp, "p").await.unwrap();
    let collector = aws.collector(&[]);
    let files = events("collector");
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let report = collector
            .handle(load(&file), Some(Utc::now() + Duration::minutes(5)))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(report.scopes.len(), 1, "{}", file.display());
        assert!(!report.scopes[0].tasks.is_empty(), "{}", file.display());
    }
    assert!(aws
        .store
        .load_estate()
        .await
        .unwrap()
        .iter()
        .any(|m| m.monitor_id == format!("userpool/{pool}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_is_accepted_by_the_evaluator() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let evaluator = aws.evaluator(&inbox.topic_arn).await;
    let files = events("evaluator");
    assert!(files.len() >= 4, "{files:?}");
    for file in files {
        let answer = evaluator
            .handle(load(&file))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        if name.contains("stream") {
            // Two roots named, both evaluated (nothing stored yet), nothing to retry.
            assert_eq!(
                answer,
                serde_json::json!({"batchItemFailures": []}),
                "{name}"
            );
        } else {
            let roots = answer["roots"].as_array().unwrap();
            assert!(
                roots
                    .iter()
                    .all(|r| r.get("error").is_none() && r["busy"] == false),
                "{name}: {answer}"
            );
        }
    }
    assert!(evaluator
        .handle(serde_json::json!({"bogus": 1}))
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_is_accepted_by_the_trail_function() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let trail = aws.trail(&inbox.topic_arn, &[]).await;
    // The S3 sample names a trail file: put one there (the records of trail-file.json).
    let file = load(&events_dir().join("trail/trail-file.json"));
    let note = load(&events_dir().join("trail/s3-notification.json"));
    let object = &note["Records"][0]["s3"];
    aws.put_object(
        object["bucket"]["name"].as_str().unwrap(),
        object["object"]["key"].as_str().unwrap(),
        cognito_watch_testbed::traffic::trail_file(file["Records"].as_array().unwrap()),
    )
    .await;
    let files = events("trail");
    assert!(files.len() >= 8, "{files:?}");
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let report = trail
            .handle(load(&file), None)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let r = &report.records;
        assert_eq!(r.malformed, 0, "{name}");
        match name.as_str() {
            "logs-user-activity.json" => {
                assert_eq!((r.user_activity, r.notification_errors), (1, 1), "{name}");
                assert_eq!(report.detections, 1, "{name}: a risky sign-in");
            }
            "eventbridge-config-change.json" => {
                assert_eq!(
                    report.detections, 2,
                    "{name}: MFA set OFF is a configuration change and a risky configuration"
                );
                assert_eq!(report.reinventories, 1, "{name}");
            }
            "logs-subscription.json" => assert_eq!(r.cognito_records, 4, "{name}"),
            "sqs-batch.json" => {
                assert_eq!(
                    r.cognito_records, 2,
                    "{name}: an API call and a managed login"
                );
                assert_eq!(report.batch_item_failures, Some(vec![]), "{name}");
            }
            _ => assert!(r.cognito_records >= 1, "{name}: {report:?}"),
        }
        assert!(
            report.tallies_written > 0 || report.detections > 0,
            "{name}"
        );
    }
    assert_eq!(
        inbox.drain().await.len(),
        3,
        "the risky sign-in, and the MFA change as a change and as a weakening"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_report_read_what_the_collector_wrote() {
    let aws = LocalAws::start().await;
    let (pool, web) = polled_shop(&aws).await;

    // The CLI reads its tables and endpoint from the environment it is given.
    let env = std::cell::RefCell::new(
        Env::from_pairs(aws.moto.env())
            .with([("STATE_TABLE", "state"), ("HISTORY_TABLE", "history")]),
    );
    let env = &env;
    // The environment as it is now (no borrow held across an await).
    let snap = || env.borrow().clone();

    let mut out = Vec::new();
    run(cli(&["status", "--all", "--json"]), &snap(), &mut out)
        .await
        .unwrap();
    let monitors: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let ids: Vec<&str> = monitors
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["monitor_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![
            format!("userpool/{pool}"),
            format!("appclient/{pool}/{web}")
        ],
        "tree order: pool, then its children"
    );

    let mut out = Vec::new();
    run(cli(&["status", "--all", "-o", "wide"]), &snap(), &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("Total Sign In Request: 4"), "{table}");
    let mut out = Vec::new();
    run(cli(&["status", "--all"]), &snap(), &mut out)
        .await
        .unwrap();
    let compact = String::from_utf8(out).unwrap();
    assert!(
        compact.contains("Total Sign In Request 4") && compact.contains("└ web"),
        "the compact view: name, type, status, key metric: {compact}"
    );

    let mut out = Vec::new();
    run(
        cli(&[
            "report",
            "--monitor",
            &format!("appclient/{pool}/{web}"),
            "--csv",
        ]),
        &snap(),
        &mut out,
    )
    .await
    .unwrap();
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header = reader.headers().unwrap().clone();
    let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1);
    let col = |name: &str| {
        rows[0]
            .get(header.iter().position(|h| h == name).unwrap())
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (
            col("SignInTotal"),
            col("SignInFailed"),
            col("SignInSuccessPercentage"),
            col("poll_outcome")
        ),
        ("4".into(), "1".into(), "75".into(), "ok".into())
    );
    assert_eq!(col("SignUpFailed"), "", "no data is an empty cell");
    // The Log Report names its monitor, says when to the second (a spreadsheet reads it as
    // a date) and puts a per-minute rate beside each count over the window.
    assert_eq!(col("monitor_id"), format!("appclient/{pool}/{web}"));
    assert_eq!(col("monitor"), "web");
    let second = |t: &str| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_ok();
    assert!(second(&col("collected_at")), "{}", col("collected_at"));
    assert!(second(&col("window_start")) && second(&col("window_end")));
    let minutes: f64 = col("window_minutes").parse().unwrap();
    let rate: f64 = col("SignInTotal_per_minute").parse().unwrap();
    assert!(
        (rate - 4.0 / minutes).abs() < 0.01,
        "{rate} per minute over {minutes} minutes"
    );
    assert!(
        !header
            .iter()
            .any(|h| h == "SignInSuccessPercentage_per_minute"),
        "a percentage has no rate: {header:?}"
    );
    // `history`: the same rows, as points of each metric with data.
    let mut out = Vec::new();
    let monitor = format!("appclient/{pool}/{web}");
    run(
        cli(&["history", &monitor, "--metric", "SignInTotal", "-o", "json"]),
        &snap(),
        &mut out,
    )
    .await
    .unwrap();
    let series: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(series.as_array().map(Vec::len), Some(1), "{series}");
    assert_eq!(series[0]["metric"], "SignInTotal");
    assert_eq!(
        series[0]["points"].as_array().map(Vec::len),
        Some(rows.len())
    );
    assert_eq!(series[0]["points"][0]["value"], 4.0);
    assert_eq!(series[0]["last"], 4.0);
    let mut out = Vec::new();
    run(cli(&["history", &monitor]), &snap(), &mut out)
        .await
        .unwrap();
    let chart = String::from_utf8(out).unwrap();
    assert!(
        chart.contains("Total Sign In Request") && chart.contains('▅'),
        "{chart}"
    );
    let err = run(
        cli(&["history", &monitor, "--metric", "Nope"]),
        &snap(),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");

    let missing = cli(&["report", "--monitor", "userpool/us-east-1_nope"]);
    let err = run(missing, &snap(), &mut Vec::new()).await.unwrap_err();
    assert!(err
        .to_string()
        .contains("no monitor userpool/us-east-1_nope"));
    env.borrow_mut().set("STATUS_TABLE", "status");
    let mut out = Vec::new();
    run(cli(&["init"]), &snap(), &mut out).await.unwrap();
    let init = String::from_utf8(out).unwrap();
    assert!(
        init.starts_with("table state: exists\ntable history: exists\ntable status: created\nthreshold profiles: loaded 5 shipped profiles\ntopic cognito-watch-alerts: arn:aws:sns:us-east-1:123456789012:cognito-watch-alerts\n"),
        "{init}"
    );
    env.borrow_mut().set(
        "ALERT_TOPIC_ARN",
        "arn:aws:sns:us-east-1:123456789012:cognito-watch-alerts",
    );

    // Thresholds: list, show, set, export, import.
    let text = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        async move {
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut out = Vec::new();
            let e = env.borrow().clone();
            run(cli(&refs), &e, &mut out)
                .await
                .map(|_| String::from_utf8(out).unwrap())
        }
    };
    let list = text(&["thresholds", "list"]).await.unwrap();
    assert!(
        list.contains("appclient") && list.contains("every other monitor"),
        "{list}"
    );
    // Boxed: this test's future is deep already.
    Box::pin(thresholds_list_in_every_format(snap())).await;
    let show = text(&["thresholds", "show", "appclient"]).await.unwrap();
    assert!(
        show.contains("SignInFailurePercentage") && show.contains("Sign In Failure Percentage"),
        "{show}"
    );
    let set = text(&[
        "thresholds",
        "set",
        "idp",
        "FederationFailed",
        ">=",
        "3",
        "--severity",
        "trouble",
        "--polls",
        "2",
    ])
    .await
    .unwrap();
    assert_eq!(
        set,
        "idp/default: FederationFailed >= 3 (trouble, 2 consecutive poll(s))\n"
    );
    let bad = text(&["thresholds", "set", "idp", "SignInFailed", ">", "1"])
        .await
        .unwrap_err();
    assert!(bad.to_string().contains("FederationFailed"), "{bad}");
    let exported = text(&["thresholds", "export"]).await.unwrap();
    let round = cognito_watch_core::alerting::profile::ProfileSet::from_toml(&exported).unwrap();
    assert!(round
        .get(cognito_watch_core::MonitorKind::IdentityProvider, "default")
        .unwrap()
        .thresholds
        .iter()
        .any(|t| t.metric == "FederationFailed" && t.consecutive_polls == 2));
    let file = std::env::temp_dir().join(format!("profiles-{}.toml", std::process::id()));
    std::fs::write(&file, "[[profile]]\nname = \"strict\"\nkind = \"AppClient\"\n[[profile.threshold]]\nmetric = \"SignInFailed\"\ncomparator = \">\"\nvalue = 0\nseverity = \"critical\"\n[[assignment]]\nmonitor = \"appclient/x/y\"\nprofile = \"strict\"\n").unwrap();
    let imported = text(&["thresholds", "import", file.to_str().unwrap()])
        .await
        .unwrap();
    assert!(
        imported
            .starts_with("imported 1 profile(s), 1 assignment(s) and 0 notification profile(s)"),
        "{imported}"
    );
    let off = text(&["thresholds", "propagation", "off"]).await.unwrap();
    assert!(off.contains("Notify for Any Child Monitor Status Changes off"));

    // The evaluator in-process: the web client's 25% sign-in failures breach the default.
    let report = text(&["invoke", "evaluator"]).await.unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["roots"][0]["alerts_sent"], 1, "{report}");
    let compact = text(&["status"]).await.unwrap();
    assert!(compact.contains("critical"), "{compact}");
    // The default view: a summary, then only what is not up, each with why in one line and
    // the metric that breached, with its threshold, as its key metric.
    assert!(compact.starts_with("Summary at "), "{compact}");
    assert!(
        compact.contains("2 monitors: 1 up, 1 critical"),
        "{compact}"
    );
    assert!(
        compact.contains("Open outages: 1 (oldest: web since"),
        "{compact}"
    );
    assert!(compact.contains("Alerts in the last 24h: 1"), "{compact}");
    assert!(compact.contains("Not up (1;"), "{compact}");
    assert!(
        compact.contains("Sign In Failure Percentage 25 (> 20)"),
        "the key metric is the one that breached: {compact}"
    );
    assert!(
        compact.contains("Sign In Failure Percentage = 25 (threshold > 20, critical"),
        "the reason in one line: {compact}"
    );
    assert!(!compact.contains("Total Sign In Request"), "{compact}");
    let table = text(&["status", "--all", "-o", "wide"]).await.unwrap();
    assert!(table.contains("critical"), "{table}");
    assert!(table.contains("Sign In Failure Percentage ="), "{table}");
    assert!(table.contains("(threshold > 20, critical,"), "{table}");
    let json = text(&["status", "--all", "--json"]).await.unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The JSON rows carry the status.
    assert_eq!(json[1]["status"], "critical");
    assert!(json[1]["since"].is_string(), "{json}");
    assert!(
        json[1]["reasons"][0]
            .as_str()
            .is_some_and(|r| r.contains("Sign In Failure Percentage")),
        "{json}"
    );
    // Propagation is off now: the pool is judged on its own metrics.
    assert_eq!(json[0]["status"], "up");
    // Every list prints the same rows with the same fields as a table, CSV and JSON.
    let now = snap();
    let client = format!("appclient/{pool}/{web}");
    for args in [
        &["status"][..],
        &["status", "--all"],
        &["status", "--status", "trouble", "--status", "critical"],
        &["outages"],
        &["report", "web"],
        &["history", &client],
        &["thresholds", "list"],
        &["thresholds", "metrics", "appclient"],
    ] {
        Box::pin(cognito_watch_testbed::same_rows_in_every_format(&now, args)).await;
    }
    // The Log Report says the status the poll left the client in.
    let log = text(&["report", "web", "-o", "json"]).await.unwrap();
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    assert_eq!(log[0]["status"], "critical", "{log}");

    // Outages: listed, commented, filtered.
    let outages = text(&["outages", "--open", "--csv"]).await.unwrap();
    let mut reader = csv::Reader::from_reader(outages.as_bytes());
    let rows: Vec<_> = reader.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 1, "{outages}");
    let header = reader_header(&outages);
    let cell = |name: &str| rows[0][header.iter().position(|h| h == name).unwrap()].to_string();
    let id = cell("id");
    assert_eq!(id.len(), 8, "a short id: {id}");
    assert_eq!(cell("name"), "web");
    assert_eq!(cell("ended_at"), "", "open");
    assert!(
        cell("duration_seconds").parse::<u64>().is_ok(),
        "seconds in CSV: {}",
        cell("duration_seconds")
    );
    let table = text(&["outages", "--open"]).await.unwrap();
    assert!(
        table.contains("open"),
        "a table says an outage is open: {table}"
    );
    // Its first characters are enough; too few is a usage error.
    let prefix = &id[..5];
    let done = text(&["outage", "comment", prefix, "known: bad client release 4.2"])
        .await
        .unwrap();
    assert_eq!(done, format!("comment set on {prefix}\n"));
    let short = text(&["outage", "comment", &id[..3], "x"])
        .await
        .unwrap_err();
    assert!(
        short.to_string().contains("at least 4 characters"),
        "{short}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&text(&["outages", "-o", "json"]).await.unwrap()).unwrap();
    assert_eq!(json[0]["id"], id.as_str());
    assert!(json[0]["outage_id"]
        .as_str()
        .unwrap()
        .starts_with(&format!("appclient/{pool}/{web}@")));
    let listed = text(&[
        "outages",
        "--monitor",
        &format!("appclient/{pool}/{web}"),
        "--csv",
    ])
    .await
    .unwrap();
    assert!(listed.contains("known: bad client release 4.2"), "{listed}");
    // By its name too.
    let by_name = text(&["outages", "--monitor", "web", "--csv"])
        .await
        .unwrap();
    let outage_ids = |csv: &str| -> Vec<String> {
        csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap()[1].to_string())
            .collect()
    };
    assert_eq!(outage_ids(&by_name), outage_ids(&listed));
    assert_eq!(outage_ids(&by_name).len(), 1, "{by_name}");
    // The report of that one monitor, by its name: its outage (with the comment), the summary,
    // what is not up, and charts placed by time with the breached threshold and the outage.
    let file = std::env::temp_dir().join(format!("cognito-watch-web-{}.html", std::process::id()));
    let path = file.display().to_string();
    text(&["report", "--html", &path, "--monitor", "web"])
        .await
        .unwrap();
    let page = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(
        page.contains("known: bad client release 4.2"),
        "its outage: {page}"
    );
    assert!(
        page.contains("<h2>Summary</h2>") && page.contains("1 open outage"),
        "{page}"
    );
    assert!(page.contains("<p>1 not up</p>"), "{page}");
    assert!(
        page.contains("<details id=\"pool-userpool-"),
        "its pool's section: {page}"
    );
    let failure_chart = page
        .split("<figure")
        .find(|f| f.contains("data-metric=\"SignInFailurePercentage\""))
        .unwrap_or_else(|| panic!("a failure % chart: {page}"));
    assert!(
        failure_chart.contains("class=\"threshold\""),
        "{failure_chart}"
    );
    assert!(failure_chart.contains("&gt; 20</text>"), "{failure_chart}");
    assert!(
        failure_chart.contains("<rect class=\"outage\""),
        "{failure_chart}"
    );
    assert!(
        failure_chart.contains(" UTC</text>"),
        "a time axis: {failure_chart}"
    );
    // Its timeline: the change to critical, its outage opened and its alert.
    let timeline = page.split("<h2>Timeline</h2>").nth(1).unwrap();
    let timeline = timeline.split("<h2>").next().unwrap();
    for part in [
        "Up → Critical: Sign In Failure Percentage",
        "outage opened",
        "alert Up → Critical",
    ] {
        assert!(timeline.contains(part), "{part}: {timeline}");
    }
    // describe: its availability over the last day, week and month.
    let described = text(&["describe", "web"]).await.unwrap();
    let availability = described
        .split("\nAvailability\n")
        .nth(1)
        .unwrap_or_else(|| panic!("an Availability section: {described}"));
    let availability = availability.split("\nRecent outages").next().unwrap();
    for period in ["24h", "7d", "30d"] {
        assert!(availability.contains(period), "{period}: {availability}");
    }
    let missing = text(&[
        "outage",
        "comment",
        &format!("appclient/{pool}/{web}@2020-01-01T00:00:00Z"),
        "x",
    ])
    .await
    .unwrap_err();
    assert!(missing.to_string().contains("no outage"), "{missing}");
}

/// The CLI finds the deployment through the stack's outputs (`--stack`), fits 80 columns,
/// prints every list as a table, JSON or CSV that agree, and never touches AWS for what needs
/// none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_finds_the_stack_and_fits_the_terminal() {
    let aws = cognito_watch_testbed::LocalAws::start().await;
    let (pool, web, _m2m) = aws.inventoried_pool().await;
    // Sign-ins on web, two polls apart: the history has points to draw.
    let now = chrono::Utc::now()
        .duration_trunc(chrono::Duration::minutes(1))
        .unwrap();
    for (k, ok) in [(2, 9), (1, 7)] {
        let at = now - chrono::Duration::minutes(5 * k);
        let dims = [
            ("UserPool", pool.as_str()),
            ("UserPoolClient", web.as_str()),
        ];
        cognito_watch_testbed::seed::put(
            &aws.cw,
            vec![cognito_watch_testbed::seed::requests(
                "SignInSuccesses",
                &dims,
                at - chrono::Duration::minutes(3),
                ok,
                1,
            )],
        )
        .await
        .unwrap();
        aws.collector(&[])
            .run(&collector::CollectorRequest::default(), at, None)
            .await
            .unwrap();
    }
    let inbox = cognito_watch_testbed::AlertInbox::create(&aws.sdk, "alerts").await;
    let evaluator = aws.evaluator(&inbox.topic_arn).await;
    evaluator.handle(serde_json::json!({})).await.unwrap();
    aws.stack(
        "shop-watch",
        &[
            ("StateTableName", "state"),
            ("HistoryTableName", "history"),
            ("StatusTableName", cognito_watch_testbed::STATUS_TABLE),
            ("TrailTableName", cognito_watch_testbed::TRAIL_TABLE),
            ("AlertTopicArn", &inbox.topic_arn),
        ],
    )
    .await;
    // Only the AWS settings and the terminal's width: every table comes from the stack.
    let env = Env::from_pairs(aws.moto.env()).with([("COLUMNS", "80")]);
    let table = cli_text(&env, &["--stack", "shop-watch", "status", "--all"]).await;
    assert!(table.contains("└ web") && table.contains("up"), "{table}");
    for l in table.lines() {
        assert!(l.chars().count() <= 80, "wider than 80: {l:?}\n{table}");
    }
    let wide = cli_text(
        &env,
        &["--stack", "shop-watch", "status", "--all", "-o", "wide"],
    )
    .await;
    assert!(wide.lines().all(|l| l.chars().count() <= 80), "{wide}");
    // JSON and CSV say the same monitors, in the same order, as the table.
    let json: serde_json::Value = serde_json::from_str(
        &cli_text(
            &env,
            &["--stack", "shop-watch", "status", "--all", "-o", "json"],
        )
        .await,
    )
    .unwrap();
    let from_json: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["monitor_id"].as_str().unwrap().to_string())
        .collect();
    let csv_text = cli_text(
        &env,
        &["--stack", "shop-watch", "status", "--all", "-o", "csv"],
    )
    .await;
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let from_csv: Vec<String> = rows.iter().map(|r| r[2].to_string()).collect();
    assert_eq!(from_csv, from_json);
    assert_eq!(from_json.len(), 3, "the pool and its two clients");
    assert_eq!(from_json[0], format!("userpool/{pool}"));
    assert!(from_json.contains(&format!("appclient/{pool}/{web}")));
    assert!(rows.iter().all(|r| &r[6] == "up"), "{csv_text}");
    // describe, by name or id: the configuration tabs, inventory and routing.
    let web_described = cli_text(&env, &["--stack", "shop-watch", "describe", "web"]).await;
    for part in [
        "Cognito App Client \"web\"",
        "Configuration",
        "Permissions",
        "Inventory",
        "Threshold profile",
        "notification profile \"default\"",
        "Recent outages",
        "Posture",
        "LEGACY",
    ] {
        assert!(web_described.contains(part), "{part}: {web_described}");
    }
    assert!(
        web_described.lines().all(|l| l.chars().count() <= 80),
        "{web_described}"
    );
    let pool_id: &'static str = Box::leak(format!("userpool/{pool}").into_boxed_str());
    let args: &'static [&'static str] = Box::leak(Box::new([
        "--stack",
        "shop-watch",
        "describe",
        pool_id,
        "-o",
        "json",
    ]));
    let described: serde_json::Value = serde_json::from_str(&cli_text(&env, args).await).unwrap();
    assert!(
        described["Configuration"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "{described}"
    );
    assert!(
        described["Inventory"].to_string().contains("default"),
        "{described}"
    );
    // report --html: one self-contained page whose charts are the history rows.
    let file =
        std::env::temp_dir().join(format!("cognito-watch-report-{}.html", std::process::id()));
    let path: &'static str = Box::leak(file.display().to_string().into_boxed_str());
    let args: &'static [&'static str] = Box::leak(Box::new([
        "--stack",
        "shop-watch",
        "report",
        "--html",
        path,
    ]));
    let wrote = cli_text(&env, args).await;
    assert!(wrote.starts_with(&format!("wrote {path}")), "{wrote}");
    let page = std::fs::read_to_string(&file).unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(page.starts_with("<!doctype html>") && page.contains("<h2>Status</h2>"));
    // The posture: each pool's feature plan, and the checks that fail (a client created
    // without PreventUserExistenceErrors says LEGACY).
    assert!(page.contains("<h2>Security posture</h2>"), "{page}");
    assert!(page.contains("Essentials: threat protection"), "{page}");
    assert!(
        page.contains("app_client.prevent_user_existence_errors"),
        "{page}"
    );
    assert!(
        !page.contains("src=")
            && page.matches("href=\"").count() == page.matches("href=\"#").count()
            && !page.contains("url("),
        "no external assets (links only within the page)"
    );
    assert!(
        page.contains("<nav>Pools: <a href=\"#pool-userpool-"),
        "an index: {page}"
    );
    let mut charts = 0;
    for svg in page.split("<svg ").skip(1) {
        let attr = |name: &str| {
            svg.split(&format!("{name}=\""))
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_default()
                .to_string()
        };
        let (monitor, metric) = (attr("data-monitor"), attr("data-metric"));
        let rows = aws.store.history(&monitor).await.unwrap();
        let drawn: Vec<String> = attr("data-points").split(' ').map(str::to_string).collect();
        let expected: Vec<String> = rows
            .iter()
            .map(|r| {
                format!(
                    "{}={}",
                    r.row_time()
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    r.metrics
                        .get(&metric)
                        .map_or("-".to_string(), |v| v.to_string())
                )
            })
            .collect();
        assert_eq!(drawn, expected, "{monitor} {metric}");
        charts += 1;
    }
    assert!(charts > 0, "the page has charts: {page}");
    // Filters: by type, by pool (its name or id), by status.
    let csv_rows = |text: String| -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(text.as_bytes())
            .records()
            .map(|r| r.unwrap())
            .collect()
    };
    let clients = csv_rows(
        cli_text(
            &env,
            &[
                "--stack",
                "shop-watch",
                "status",
                "--all",
                "--type",
                "appclient",
                "-o",
                "csv",
            ],
        )
        .await,
    );
    assert_eq!(clients.len(), 2);
    assert!(clients.iter().all(|r| &r[5] == "app client"));
    let shop_rows = csv_rows(
        cli_text(
            &env,
            &[
                "--stack",
                "shop-watch",
                "status",
                "--pool",
                "shop",
                "-o",
                "csv",
            ],
        )
        .await,
    );
    assert_eq!(shop_rows.len(), 3);
    let critical = csv_rows(
        cli_text(
            &env,
            &[
                "--stack",
                "shop-watch",
                "status",
                "--status",
                "critical",
                "-o",
                "csv",
            ],
        )
        .await,
    );
    assert!(critical.is_empty());
    let err = run(
        cli(&["--stack", "shop-watch", "status", "--pool", "nope"]),
        &env,
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("no monitor pool nope"), "{err}");
    let outages: serde_json::Value = serde_json::from_str(
        &cli_text(&env, &["--stack", "shop-watch", "outages", "-o", "json"]).await,
    )
    .unwrap();
    assert_eq!(outages, serde_json::json!([]));
    let tallies = cli_text(&env, &["--stack", "shop-watch", "top-ips", "-o", "csv"]).await;
    assert!(
        tallies.starts_with("pool,pool_name,ip,failures"),
        "{tallies}"
    );

    // A stack named that is not there: an error naming it; none named and none deployed:
    // the missing setting says where it could come from.
    let err = run(cli(&["--stack", "nope", "status"]), &env, &mut Vec::new())
        .await
        .unwrap_err();
    let report = cognito_watch_cli::error_report(&err);
    assert!(
        report.contains("cannot read stack nope in us-east-1"),
        "{report}"
    );
    let err = run(cli(&["status"]), &env, &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(
        err.to_string()
            .starts_with("STATE_TABLE is required (the DynamoDB state table): set it, or deploy the stack: stack cognito-watch in us-east-1"),
        "{err}"
    );
    // A table named that does not exist: named, with the region.
    let err = run(
        cli(&["--stack", "shop-watch", "status"]),
        &env.clone().with([("STATE_TABLE", "gone")]),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("STATE_TABLE=gone")
            && err.to_string().contains("in us-east-1 (stack shop-watch)"),
        "{err}"
    );

    // What needs no AWS runs with no settings at all.
    let mut out = Vec::new();
    run(
        cli(&["thresholds", "metrics", "appclient"]),
        &Env::default(),
        &mut out,
    )
    .await
    .unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .contains("SignInFailurePercentage"));
    let mut out = Vec::new();
    run(
        cli(&["-o", "json", "thresholds", "metrics", "appclient"]),
        &Env::default(),
        &mut out,
    )
    .await
    .unwrap();
    let metrics: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert!(metrics
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "SignInFailurePercentage"));
    let mut out = Vec::new();
    run(cli(&["completions", "bash"]), &Env::default(), &mut out)
        .await
        .unwrap();
    assert!(String::from_utf8(out).unwrap().contains("cognito-watch"));
    // No region anywhere: a usage error before any AWS call.
    let err = run(
        cli(&["status"]),
        &Env::from_pairs([
            ("HOME", "/nonexistent"),
            ("AWS_CONFIG_FILE", "/nonexistent"),
        ]),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().starts_with("no AWS region"), "{err}");
}

/// `cost` prices what the poll log shows: two polls five minutes apart over a pool with two app
/// clients; the figures are read back against the poll log itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_prices_what_the_poll_log_shows() {
    let aws = LocalAws::start().await;
    let (pool, _web) = shop_with_sign_ins(&aws).await;
    seed::app_client(&aws.idp, &pool, "mobile", false)
        .await
        .unwrap();
    let first = Utc::now() - Duration::minutes(5);
    for now in [first, first + Duration::minutes(5)] {
        aws.collector(&[])
            .run(&Default::default(), now, None)
            .await
            .unwrap();
    }
    let env = Env::from_pairs(aws.moto.env())
        .with([("STATE_TABLE", "state"), ("HISTORY_TABLE", "history")]);
    let report: serde_json::Value = serde_json::from_str(
        &cognito_watch_testbed::cli_output(&env, &["cost", "--since", "1h", "-o", "json"])
            .await
            .unwrap(),
    )
    .unwrap();

    let scope = cognito_watch_aws::Scope {
        account: "123456789012".into(),
        region: "us-east-1".into(),
    };
    let logs = aws.store.poll_log(&scope).await.unwrap();
    assert_eq!(logs.len(), 2, "{logs:?}");
    let queries: u64 = logs.iter().map(|l| l.metric_queries).sum();
    let o = &report["observed"];
    assert_eq!(o["invocations"], 2);
    assert_eq!(o["metric_queries"], queries);
    assert!(queries > 0);
    for log in &logs {
        assert_eq!(
            log.calls.get("GetMetricData").copied().unwrap_or(0),
            log.metric_queries.div_ceil(500),
            "one GetMetricData call per 500 queries: {log:?}"
        );
        assert!(log.items_read >= 1 && log.write_units >= 1, "{log:?}");
    }
    assert_eq!(
        o["write_units"],
        logs.iter().map(|l| l.write_units).sum::<u64>()
    );
    assert_eq!(report["estate"]["app_clients"], 2);
    assert_eq!(report["user_pools"], 1);

    // The configured rate defaults to the observed one; then 1 min, 15 min and 1 h.
    let months = report["months"].as_array().unwrap();
    let rates: Vec<f64> = months
        .iter()
        .map(|m| m["poll_seconds"].as_f64().unwrap())
        .collect();
    assert_eq!(rates, vec![300.0, 60.0, 900.0, 3600.0]);
    let five = &months[0];
    let polls = 730.0 * 3600.0 / 300.0;
    let per_poll = queries as f64 / 2.0;
    let f = |v: &serde_json::Value| v.as_f64().unwrap();
    assert!((f(&five["metrics_requested"]) - per_poll * polls).abs() < 1e-6);
    assert!((f(&five["cloudwatch"]) - per_poll * polls / 1000.0 * 0.01).abs() < 1e-6);
    assert!(f(&five["lambda"]) > 0.0 && f(&five["dynamodb"]) > 0.0);
    let total = f(&five["total"]);
    assert!((f(&five["per_app_client"]) - total / 2.0).abs() < 1e-9);
    // Five times the polls at 1 min: CloudWatch scales with the rate.
    assert!((f(&months[1]["cloudwatch"]) - 5.0 * f(&five["cloudwatch"])).abs() < 1e-6);

    let table = cognito_watch_testbed::cli_output(
        &env,
        &[
            "cost",
            "--since",
            "1h",
            "--rate",
            "rate(1 minute)",
            "--table-key",
        ],
    )
    .await
    .unwrap();
    assert!(table.contains("every 1 min (configured)"), "{table}");
    assert!(table.contains("2 app clients"), "{table}");
    assert!(table.contains("$1.00"), "the key's dollar a month: {table}");
    // The --since syntax is a rate too.
    let short = cognito_watch_testbed::cli_output(&env, &["cost", "--since", "1h", "--rate", "1m"])
        .await
        .unwrap();
    assert!(short.contains("every 1 min (configured)"), "{short}");
    let bad = cognito_watch_testbed::cli_output(
        &env,
        &["cost", "--since", "1h", "--rate", "every now and then"],
    )
    .await
    .unwrap_err();
    assert!(bad.to_string().contains("rate(5 minutes)"), "{bad}");
}

/// `init` with `ALERT_TOPIC_ARN` set makes (or finds) that topic, not another named by
/// `ALERT_TOPIC_NAME`'s default; names that disagree are an error naming both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_makes_the_topic_alert_topic_arn_names() {
    let aws = LocalAws::start().await;
    let arn = "arn:aws:sns:us-east-1:123456789012:ops-alerts";
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", "status"),
        ("ALERT_TOPIC_ARN", arn),
    ]);
    let mut out = Vec::new();
    run(cli(&["init"]), &env, &mut out).await.unwrap();
    let init = String::from_utf8(out).unwrap();
    assert!(
        init.ends_with(&format!("topic ops-alerts: {arn} (created)\n")),
        "{init}"
    );
    let topics = aws_sdk_sns::Client::new(&aws.sdk)
        .list_topics()
        .send()
        .await
        .unwrap();
    let arns: Vec<&str> = topics
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn())
        .collect();
    assert_eq!(arns, [arn], "no other topic");
    // Again: it exists.
    let mut out = Vec::new();
    run(cli(&["init"]), &env, &mut out).await.unwrap();
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with(&format!("topic ops-alerts: {arn} (exists)\n")));
    // A name that is not the ARN's topic: refused, naming both, before anything is made.
    let both = env.clone().with([("ALERT_TOPIC_NAME", "other")]);
    let err = run(cli(&["init"]), &both, &mut Vec::new())
        .await
        .unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("ALERT_TOPIC_NAME") && said.contains(arn),
        "{said}"
    );
}

/// The header of CSV text.
fn reader_header(text: &str) -> Vec<String> {
    csv::Reader::from_reader(text.as_bytes())
        .headers()
        .unwrap()
        .iter()
        .map(String::from)
        .collect()
}

/// `thresholds list -o json` and `-o csv`: the same rows (it printed the table for both).
async fn thresholds_list_in_every_format(env: Env) {
    let text = |format: &str| {
        let cli =
            Cli::try_parse_from(["cognito-watch", "-o", format, "thresholds", "list"]).unwrap();
        let env = env.clone();
        async move {
            let mut out = Vec::new();
            run(cli, &env, &mut out).await.unwrap();
            String::from_utf8(out).unwrap()
        }
    };
    let json: serde_json::Value = serde_json::from_str(&text("json").await).unwrap();
    let csv = text("csv").await;
    let csv_rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(json.as_array().unwrap().len(), csv_rows.len(), "{csv}");
    let appclient = json
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == "appclient")
        .unwrap();
    assert_eq!(appclient["thresholds"], 6, "{json}");
    assert!(
        csv.starts_with("type,profile,inherits,thresholds,"),
        "{csv}"
    );
}

/// A threshold set on a new profile overrides that threshold alone (the profile
/// inherits the type's default, so the client keeps its other alarms); an assignment names a
/// monitor that exists (by id or name) and a profile of its type, says so in a sentence, and
/// can be taken back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_override_keeps_the_other_alarms_and_assignments_name_real_monitors() {
    use cognito_watch_core::alerting::profile::DEFAULT_PROFILE;
    use cognito_watch_core::MonitorKind;
    let aws = LocalAws::start().await;
    let (pool, web) = polled_shop(&aws).await;
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", "status"),
    ]);
    let cli = |args: &[&str]| {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let env = env.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cognito_watch_testbed::cli_output(&env, &args).await
        }
    };
    cli(&["init"]).await.unwrap();
    let set = cli(&[
        "thresholds",
        "set",
        "appclient",
        "SignInFailurePercentage",
        ">",
        "40",
        "--threshold-profile",
        "web-only",
    ])
    .await
    .unwrap();
    assert!(set.contains("inheriting appclient/default"), "{set}");
    let assigned = cli(&[
        "thresholds",
        "assign",
        "--monitor",
        "web",
        "--threshold-profile",
        "web-only",
    ])
    .await
    .unwrap();
    let client = format!("appclient/{pool}/{web}");
    assert!(
        assigned.contains(&format!(
            "web ({client}) now uses appclient profile \"web-only\": 6 threshold(s), inheriting default"
        )),
        "{assigned}"
    );

    // What the evaluator resolves for the client: every default threshold, one changed.
    let status = cognito_watch_aws::StatusStore::new(&aws.sdk, "status", Duration::days(30));
    let (profiles, _) = status.load_profiles().await.unwrap();
    let default = profiles
        .get(MonitorKind::AppClient, DEFAULT_PROFILE)
        .unwrap();
    let monitors = aws.store.load_estate().await.unwrap();
    let m = monitors.iter().find(|m| m.monitor_id == client).unwrap();
    let resolved = profiles.resolve(m, &Default::default());
    assert_eq!(resolved.name, "web-only");
    assert_eq!(resolved.thresholds.len(), default.thresholds.len());
    let rate = resolved
        .thresholds
        .iter()
        .find(|t| t.metric == "SignInFailurePercentage")
        .unwrap();
    assert_eq!(rate.value, 40.0);
    let show = cli(&[
        "thresholds",
        "show",
        "appclient",
        "--threshold-profile",
        "web-only",
    ])
    .await
    .unwrap();
    assert!(
        show.contains("inherits default") && show.contains("inherited from default"),
        "{show}"
    );

    // Assignments that cannot apply are refused, saying why.
    let unknown = cli(&[
        "thresholds",
        "assign",
        "--monitor",
        "nope",
        "--threshold-profile",
        "web-only",
    ])
    .await
    .unwrap_err();
    assert!(unknown.to_string().contains("no monitor nope"), "{unknown}");
    let pool_monitor = format!("userpool/{pool}");
    let wrong_type = cli(&[
        "thresholds",
        "assign",
        "--monitor",
        &pool_monitor,
        "--threshold-profile",
        "web-only",
    ])
    .await
    .unwrap_err();
    assert!(
        wrong_type
            .to_string()
            .contains("no userpool profile \"web-only\""),
        "{wrong_type}"
    );

    let removed = cli(&["thresholds", "unassign", "--monitor", &client])
        .await
        .unwrap();
    assert!(
        removed.contains("no longer has profile \"web-only\"; it now uses profile \"default\""),
        "{removed}"
    );
    // The Log Report and the history take the monitor's name as well as its id.
    let report = cli(&["report", "--monitor", "web", "--csv"]).await.unwrap();
    assert!(
        report.lines().count() >= 2,
        "a header and the poll row: {report}"
    );
    let history = cli(&["history", "web"]).await.unwrap();
    assert!(!history.trim().is_empty());
    let nobody = cli(&["history", "nobody"]).await.unwrap_err();
    assert!(nobody.to_string().contains("no monitor nobody"), "{nobody}");
    let again = cli(&["thresholds", "unassign", "--monitor", "web"])
        .await
        .unwrap_err();
    assert!(again.to_string().contains("nothing is assigned"), "{again}");
}
