//! Every file in `events/` is fed to its function, and the CLI reads back what the collector
//! wrote through the same adapter code.

use chrono::{Duration, DurationRound, Utc};
use clap::Parser;
use cognito_watch_cli::{run, Cli};
use cognito_watch_testbed::{seed, Bed};

fn events() -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../events");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_file_is_accepted_by_the_collector() {
    let bed = Bed::start().await;
    let pool = seed::user_pool(&bed.idp, "p").await.unwrap();
    let collector = bed.collector(&[]);
    let files = events();
    assert!(files.len() >= 3, "{files:?}");
    for file in files {
        let payload: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let report = collector
            .handle(payload, Some(Utc::now() + Duration::minutes(5)))
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(report.scopes.len(), 1, "{}", file.display());
        assert!(!report.scopes[0].tasks.is_empty(), "{}", file.display());
    }
    assert!(bed
        .store
        .load_estate()
        .await
        .unwrap()
        .iter()
        .any(|m| m.monitor_id == format!("userpool/{pool}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_and_report_read_what_the_collector_wrote() {
    let bed = Bed::start().await;
    let pool = seed::user_pool(&bed.idp, "shop").await.unwrap();
    let web = seed::app_client(&bed.idp, &pool, "web", false)
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
        &bed.cw,
        vec![seed::requests("SignInSuccesses", &d, at, 3, 1)],
    )
    .await
    .unwrap();
    bed.collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();

    // The CLI reads its tables and endpoint from the environment, like the functions; every
    // CLI call in this binary uses the same values, so setting them here is race-free.
    for (k, v) in bed.moto.env() {
        std::env::set_var(k, v);
    }
    std::env::set_var("STATE_TABLE", "state");
    std::env::set_var("HISTORY_TABLE", "history");
    let cli = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("cognito-watch").chain(args.iter().copied())).unwrap()
    };

    let mut out = Vec::new();
    run(cli(&["status", "--json"]), &mut out).await.unwrap();
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
    run(cli(&["status"]), &mut out).await.unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(table.contains("Total Sign In Request: 4"), "{table}");

    let mut out = Vec::new();
    run(
        cli(&[
            "report",
            "--monitor",
            &format!("appclient/{pool}/{web}"),
            "--csv",
        ]),
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
            col("Total Sign In Request"),
            col("Sign In Failed"),
            col("Sign In Success Percentage"),
            col("Status")
        ),
        ("4".into(), "1".into(), "75".into(), "Ok".into())
    );
    assert_eq!(col("Sign Up Failed"), "", "no data is an empty cell");

    let err = run(
        cli(&["report", "--monitor", "userpool/us-east-1_nope"]),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("no monitor userpool/us-east-1_nope"));
    let mut out = Vec::new();
    run(cli(&["init"]), &mut out).await.unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "table state: exists\ntable history: exists\n"
    );
}
