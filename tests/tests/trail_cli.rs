//! The CLI's answers to the four CubeAPM queries, read from what the trail function tallied,
//! and `invoke trail`.

use chrono::{Duration, Utc};
use clap::Parser;
use cognito_watch_cli::{run, Cli, Env};
use cognito_watch_core::trail::window_of;
use cognito_watch_testbed::traffic::{self, logs_batch, logs_event};
use cognito_watch_testbed::TrailSetup;
use serde_json::{json, Value};

use crate::support::{cli, cli_text};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_four_queries_answer_from_the_tallies() {
    let setup = TrailSetup::start(&[]).await;
    let (aws, inbox, pool, web, m2m, trail) = (
        &setup.aws,
        &setup.inbox,
        &setup.pool,
        &setup.web,
        &setup.m2m,
        &setup.trail,
    );
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(1);
    let mut records = Vec::new();
    for i in 0..12 {
        let code = if i % 3 == 0 {
            "UserNotFoundException"
        } else {
            "NotAuthorizedException"
        };
        records.push(traffic::initiate_auth(
            &format!("a{i}"),
            at,
            web,
            "203.0.113.9",
            &format!("u{i}"),
            Some(code),
            None,
        ));
    }
    for i in 0..3 {
        records.push(traffic::initiate_auth(
            &format!("b{i}"),
            at,
            web,
            "192.0.2.1",
            "u1",
            Some("NotAuthorizedException"),
            None,
        ));
    }
    records.push(traffic::refresh(
        "r1",
        at,
        web,
        "192.0.2.1",
        Some("NotAuthorizedException"),
    ));
    records.push(traffic::refresh(
        "r2",
        at + Duration::minutes(5),
        web,
        "192.0.2.1",
        None,
    ));
    for i in 0..7 {
        records.push(traffic::token_post(
            &format!("t{i}"),
            at,
            pool,
            m2m,
            "client_credentials",
            "10.0.0.5",
            200,
        ));
    }
    records.push(traffic::token_post(
        "t-code",
        at,
        pool,
        web,
        "authorization_code",
        "192.0.2.1",
        200,
    ));
    let texts: Vec<String> = records.iter().map(Value::to_string).collect();
    trail
        .handle(logs_event(&logs_batch("g", "s", 1, &texts)), None)
        .await
        .unwrap();

    let env = std::cell::RefCell::new(Env::from_pairs(aws.moto.env()).with([
        ("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE),
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
    ]));
    let env = &env;
    // The environment as it is now (no borrow held across an await).
    let snap = || env.borrow().clone();
    let json_of = |args: Vec<&'static str>| async move {
        let text = cli_text(&snap(), &args).await;
        serde_json::from_str::<Value>(&text).unwrap()
    };

    // Query 1: failures by error code (and by IP, by client).
    let by_code = json_of(vec!["failures", "--json"]).await;
    assert_eq!(by_code[0]["error_code"], "NotAuthorizedException");
    assert_eq!(by_code[0]["failures"], 12, "8 + 3 + the failed refresh");
    assert_eq!(by_code[1]["error_code"], "UserNotFoundException");
    assert_eq!(by_code[1]["failures"], 4);
    let by_client = json_of(vec!["failures", "--by", "client", "--json"]).await;
    assert_eq!(by_client.as_array().unwrap().len(), 1);
    assert_eq!(by_client[0]["client"], web.as_str());
    assert_eq!(by_client[0]["failures"], 16);

    // Query 2: refresh failures per 5-minute bin, newest first.
    let bins = json_of(vec!["refresh-failures", "--json"]).await;
    assert_eq!(bins.as_array().unwrap().len(), 2, "{bins}");
    assert_eq!(
        (
            bins[0]["refreshes"].clone(),
            bins[0]["refresh_failures"].clone()
        ),
        (json!(1), json!(0))
    );
    assert_eq!(
        (
            bins[1]["refreshes"].clone(),
            bins[1]["refresh_failures"].clone()
        ),
        (json!(1), json!(1))
    );

    // Query 3: top IPs, across every pool (no --pool), limited.
    let ips = json_of(vec!["top-ips", "--limit", "1", "--json"]).await;
    assert_eq!(ips.as_array().unwrap().len(), 1);
    assert_eq!(ips[0]["ip"], "203.0.113.9");
    assert_eq!(ips[0]["failures"], 12);
    assert_eq!(ips[0]["distinct_failing_users"], 12);

    // Query 4: token requests per client, M2M first.
    let tokens = json_of(vec!["m2m", "--json"]).await;
    assert_eq!(tokens[0]["client"], m2m.as_str());
    assert_eq!(tokens[0]["client_credentials_requests"], 7);
    assert_eq!(tokens[1]["by_grant"]["authorization_code"], 1);

    // Tables, a pool filter, a period and an error.
    let mut out = Vec::new();
    run(cli(&["top-ips", "--pool", pool]), &snap(), &mut out)
        .await
        .unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(
        table.contains("203.0.113.9") && table.contains("NotAuthorizedException ×8"),
        "{table}"
    );
    // The pool by its inventory name, and a pool the trail never saw: an error naming the
    // pools it has tallies for (it printed "nothing in the last 1h").
    let mut out = Vec::new();
    run(cli(&["top-ips", "--pool", "shop"]), &snap(), &mut out)
        .await
        .unwrap();
    assert!(String::from_utf8(out).unwrap().contains("203.0.113.9"));
    let err = run(
        cli(&["failures", "--pool", "us-east-1_other"]),
        &snap(),
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("no tallies for a pool of that id or name")
            && err.to_string().contains(pool),
        "{err}"
    );
    // A period is checked as the arguments are read (one parser for every command): a usage
    // error, never a panic ("TimeDelta::hours out of bounds").
    let parse = |args: &[&str]| {
        Cli::try_parse_from(std::iter::once("cognito-watch").chain(args.iter().copied()))
            .unwrap_err()
    };
    let err = parse(&["failures", "--since", "yesterday"]);
    assert!(err.to_string().contains("not a period"), "{err}");
    for (command, since) in [
        ("failures", "999999999999999991h"),
        ("top-ips", "9223372036854775807s"),
        ("m2m", "3651d"),
        ("report", "3651d"),
        ("outages", "999999999999999991h"),
    ] {
        let err = parse(&[command, "--since", since]);
        assert_eq!(
            err.kind(),
            clap::error::ErrorKind::ValueValidation,
            "{command} --since {since}: {err}"
        );
        assert!(err.to_string().contains("at most 3650 days"), "{err}");
        assert_eq!(err.exit_code(), 2, "a usage error");
    }
    // A failure (a table that does not exist) exits 1 and says each cause once.
    env.borrow_mut().set("TRAIL_TABLE", "no-such-table");
    let err = run(cli(&["top-ips"]), &snap(), &mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), 1);
    let report = cognito_watch_cli::error_report(&err);
    let lines: Vec<&str> = report.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let text = line
            .trim_start_matches("error: ")
            .trim_start_matches("  caused by: ");
        assert!(
            !lines[..i].iter().any(|l| l.contains(text)),
            "said twice: {report}"
        );
    }
    assert!(report.contains("ResourceNotFoundException"), "{report}");
    env.borrow_mut()
        .set("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE);

    // invoke trail, in-process, with an events/ sample; then the detection it raised.
    env.borrow_mut().set("STATE_TABLE", "state");
    env.borrow_mut()
        .set("STATUS_TABLE", cognito_watch_testbed::STATUS_TABLE);
    env.borrow_mut().set("ALERT_TOPIC_ARN", &inbox.topic_arn);
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../events/trail/eventbridge-config-change.json"
    );
    let report = json_of(vec!["invoke", "trail", "--event", file]).await;
    assert_eq!(report["cognito_records"], 1);
    assert_eq!(
        report["detections"], 2,
        "MFA set OFF: the change and the weakening"
    );
    // With the inventory readable, tables name pools and clients beside their ids.
    let mut out = Vec::new();
    run(cli(&["m2m"]), &snap(), &mut out).await.unwrap();
    let named = String::from_utf8(out).unwrap();
    assert!(
        named.contains(&format!("shop ({pool})")) && named.contains(&format!("backend ({m2m})")),
        "{named}"
    );
    // Every tally command prints the same rows in every format.
    let bed_env = snap();
    for args in [
        &["failures"][..],
        &["failures", "--by", "ip"],
        &["failures", "--by", "client"],
        &["refresh-failures"],
        &["top-ips"],
        &["m2m"],
        &["detections", "--since", "520w"],
    ] {
        cognito_watch_testbed::same_rows_in_every_format(&bed_env, args).await;
    }
    let found = json_of(vec!["detections", "--since", "520w", "--json"]).await;
    for kind in ["configuration_change", "risky_configuration"] {
        assert!(has_detection(&found, kind), "{kind}: {found}");
    }
}

/// `identity-pools`: each identity pool's requests, failures by error code, source IPs, and
/// guest against authenticated callers; user pools are not listed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_pools_show_their_callers_failures_and_addresses() {
    let setup = TrailSetup::start(&[]).await;
    let at = window_of(Utc::now() - Duration::minutes(20)) + Duration::seconds(1);
    let call = |n: usize, event: &str, caller: &str, ip: &str, error: Option<&str>| -> String {
        json!({"eventVersion": "1.08", "eventTime": (at + Duration::seconds(n as i64)).to_rfc3339(),
            "eventSource": "cognito-identity.amazonaws.com", "eventName": event,
            "awsRegion": "us-east-1", "sourceIPAddress": ip,
            "userIdentity": {"type": caller, "principalId": "x"},
            "requestParameters": {"identityPoolId": traffic::IDENTITY_POOL},
            "errorCode": error, "eventID": format!("ip-{n}"), "eventType": "AwsApiCall",
            "managementEvent": true, "recipientAccountId": cognito_watch_testbed::ACCOUNT})
        .to_string()
    };
    let mut texts = Vec::new();
    for n in 0..5 {
        texts.push(call(n, "GetId", "Unknown", "198.51.100.1", None));
    }
    for n in 5..7 {
        texts.push(call(
            n,
            "GetCredentialsForIdentity",
            "Unknown",
            "198.51.100.2",
            Some("NotAuthorizedException"),
        ));
    }
    for n in 7..10 {
        texts.push(call(
            n,
            "GetOpenIdToken",
            "AssumedRole",
            "198.51.100.1",
            None,
        ));
    }
    // A user pool's sign-in in the same delivery: not an identity pool.
    texts.push(
        traffic::initiate_auth("u", at, &setup.web, "198.51.100.9", "s", None, None).to_string(),
    );
    setup
        .trail
        .handle(logs_event(&logs_batch("g", "s", 1, &texts)), None)
        .await
        .unwrap();
    let env = Env::from_pairs(setup.aws.moto.env())
        .with([("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE)]);
    let cli = Cli::try_parse_from(["cognito-watch", "identity-pools", "--json"]).unwrap();
    let mut out = Vec::new();
    run(cli, &env, &mut out).await.unwrap();
    let rows: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(rows.as_array().map(Vec::len), Some(1), "{rows}");
    let row = &rows[0];
    assert_eq!(row["identity_pool"], traffic::IDENTITY_POOL);
    assert_eq!(
        (row["requests"].clone(), row["failures"].clone()),
        (json!(10), json!(2))
    );
    assert_eq!(row["by_error"]["NotAuthorizedException"], 2);
    assert_eq!(
        (row["source_ips"].clone(), row["failing_source_ips"].clone()),
        (json!(2), json!(1))
    );
    assert_eq!(
        (
            row["guest_requests"].clone(),
            row["authenticated_requests"].clone()
        ),
        (json!(7), json!(3))
    );
    assert_eq!(row["by_event"]["GetId"], 5);
    cognito_watch_testbed::same_rows_in_every_format(&env, &["identity-pools"]).await;
    // The table form names the same.
    let cli = Cli::try_parse_from(["cognito-watch", "identity-pools"]).unwrap();
    let mut out = Vec::new();
    run(cli, &env, &mut out).await.unwrap();
    let table = String::from_utf8(out).unwrap();
    assert!(
        table.contains(traffic::IDENTITY_POOL) && table.contains("NotAuthorizedException ×2"),
        "{table}"
    );
}

/// The sample events, fed with `invoke --now`, show in the views' default period
/// (24h): dated when they were written, they showed nothing in `top-ips` or `detections`
/// without a `--since` reaching back to then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_event_fed_now_shows_in_the_default_period() {
    use cognito_watch_testbed::cli_output;
    let setup = TrailSetup::start(&[]).await;
    let events = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/trail");
    let load = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(format!("{events}/{name}")).unwrap()).unwrap()
    };
    // The S3 sample names a trail file: put one there (the records of trail-file.json).
    let note = load("s3-notification.json");
    let object = &note["Records"][0]["s3"];
    let file = load("trail-file.json");
    setup
        .aws
        .put_object(
            object["bucket"]["name"].as_str().unwrap(),
            object["object"]["key"].as_str().unwrap(),
            traffic::trail_file(file["Records"].as_array().unwrap()),
        )
        .await;
    let env = Env::from_pairs(setup.aws.moto.env()).with([
        ("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE),
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", cognito_watch_testbed::STATUS_TABLE),
        ("ALERT_TOPIC_ARN", setup.inbox.topic_arn.as_str()),
    ]);
    let mut names: Vec<String> = std::fs::read_dir(events)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    // As written, the samples are older than the default period: nothing shows.
    for name in ["logs-subscription.json", "eventbridge-config-change.json"] {
        let path = format!("{events}/{name}");
        cli_output(&env, &["invoke", "trail", "--local", "--event", &path])
            .await
            .unwrap();
    }
    let before = cli_output(&env, &["-o", "json", "detections"])
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&before).unwrap(),
        json!([]),
        "the samples are dated before the last 24h"
    );
    for name in &names {
        let path = format!("{events}/{name}");
        let answer = cli_output(
            &env,
            &["invoke", "trail", "--local", "--event", &path, "--now"],
        )
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let report: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(report["malformed"], 0, "{name}: {report}");
        assert_eq!(report["permanent_failures"], 0, "{name}: {report}");
    }
    let ips = cli_output(&env, &["-o", "json", "top-ips"]).await.unwrap();
    let ips: Value = serde_json::from_str(&ips).unwrap();
    assert!(
        ips.as_array()
            .unwrap()
            .iter()
            .any(|r| r["ip"] == "198.51.100.7"),
        "the subscription's failing IP, within the last 24h: {ips}"
    );
    let found = cli_output(&env, &["-o", "json", "detections"])
        .await
        .unwrap();
    let found: Value = serde_json::from_str(&found).unwrap();
    for kind in [
        "configuration_change",
        "risky_configuration",
        "risky_sign_in",
    ] {
        assert!(
            has_detection(&found, kind),
            "{kind} within the last 24h: {found}"
        );
    }
    // `redate` prints the event moved, for `sam local invoke -e -`.
    let path = format!("{events}/eventbridge-config-change.json");
    let moved: Value =
        serde_json::from_str(&cli_output(&env, &["redate", &path]).await.unwrap()).unwrap();
    let time = chrono::DateTime::parse_from_rfc3339(moved["time"].as_str().unwrap()).unwrap();
    assert!(
        (Utc::now() - time.with_timezone(&Utc)).num_seconds().abs() < 60,
        "{moved}"
    );
}

/// Whether a `detections -o json` answer lists a detection of `kind`.
fn has_detection(found: &Value, kind: &str) -> bool {
    found
        .as_array()
        .is_some_and(|rows| rows.iter().any(|f| f["detection"] == kind))
}
