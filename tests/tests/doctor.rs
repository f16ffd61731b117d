//! `cognito-watch doctor` on the local AWS test bed: a working account (a logging multi-region
//! trail with management and identity-pool data events, records arriving, a confirmed
//! subscription, a fresh poll) says OK on every line and exits 0; broken ones say exactly
//! what is missing and exit 1. moto keeps no pending subscriptions (it confirms every one):
//! an unconfirmed subscription is judged in the core's unit tests.

use aws_sdk_cloudtrail::types::{AdvancedEventSelector, AdvancedFieldSelector};
use chrono::{DurationRound, Utc};
use cognito_watch_cli::{run, Env};
use cognito_watch_core::cost::TrailUsage;
use cognito_watch_testbed::{seed, LocalAws, TRAIL_TABLE};

use crate::support::{cli, minute};

/// A pool with a client and an identity pool, requests in CloudWatch, one collector poll.
async fn estate(aws: &LocalAws) {
    let (pool, web) = seed::pool_with_client(&aws.idp, "shop", "web")
        .await
        .unwrap();
    seed::identity_pool(&aws.identity, "ids", &pool, &web)
        .await
        .unwrap();
    let c = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", web.as_str()),
    ];
    let at = minute() - chrono::Duration::minutes(3);
    seed::put(
        &aws.cw,
        vec![seed::requests("SignInSuccesses", &c, at, 8, 2)],
    )
    .await
    .unwrap();
    aws.collector(&[])
        .run(&Default::default(), Utc::now(), None)
        .await
        .unwrap();
}

fn field(name: &str, values: &[&str]) -> AdvancedFieldSelector {
    AdvancedFieldSelector::builder()
        .field(name)
        .set_equals(Some(values.iter().map(|v| v.to_string()).collect()))
        .build()
        .unwrap()
}

/// A multi-region trail, logging; with identity pools' data events when `data`.
async fn trail(aws: &LocalAws, data: bool) {
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&aws.sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket("trail-logs")
        .send()
        .await
        .unwrap();
    let ct = aws_sdk_cloudtrail::Client::new(&aws.sdk);
    ct.create_trail()
        .name("org-trail")
        .s3_bucket_name("trail-logs")
        .is_multi_region_trail(true)
        .send()
        .await
        .unwrap();
    ct.start_logging().name("org-trail").send().await.unwrap();
    let mut selectors = vec![AdvancedEventSelector::builder()
        .name("management")
        .field_selectors(field("eventCategory", &["Management"]))
        .build()
        .unwrap()];
    if data {
        selectors.push(
            AdvancedEventSelector::builder()
                .name("identity pools")
                .field_selectors(field("eventCategory", &["Data"]))
                .field_selectors(field("resources.type", &["AWS::Cognito::IdentityPool"]))
                .build()
                .unwrap(),
        );
    }
    ct.put_event_selectors()
        .trail_name("org-trail")
        .set_advanced_event_selectors(Some(selectors))
        .send()
        .await
        .unwrap();
}

/// The trail table, with records read in the current hour when `alive`.
async fn trail_table(aws: &LocalAws, alive: bool) {
    let store = cognito_watch_aws::TrailStore::new(
        &aws.sdk,
        TRAIL_TABLE,
        chrono::Duration::days(1),
        chrono::Duration::hours(1),
    );
    store.create_table().await.unwrap();
    if alive {
        store
            .add_usage(&TrailUsage {
                source: "sqs".into(),
                hour: Utc::now()
                    .duration_trunc(chrono::Duration::hours(1))
                    .unwrap(),
                invocations: 3,
                deliveries: 3,
                records: 40,
                ..Default::default()
            })
            .await
            .unwrap();
    }
}

/// `doctor -o json`: each line's (check, level), and whether it exited with an error.
async fn doctor(
    aws: &LocalAws,
    extra: &[(&str, &str)],
) -> (Vec<serde_json::Value>, Option<String>) {
    let env = Env::from_pairs(aws.moto.env()).with(
        [
            ("STATE_TABLE", "state"),
            ("HISTORY_TABLE", "history"),
            ("TRAIL_TABLE", TRAIL_TABLE),
        ]
        .into_iter()
        .chain(extra.iter().copied()),
    );
    let mut out = Vec::new();
    let result = run(cli(&["doctor", "-o", "json"]), &env, &mut out).await;
    let rows: serde_json::Value = serde_json::from_slice(&out)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out)));
    (
        rows.as_array().unwrap().clone(),
        result.err().map(|e| e.to_string()),
    )
}

fn level<'a>(rows: &'a [serde_json::Value], check: &str) -> Vec<&'a str> {
    rows.iter()
        .filter(|r| r["check"] == check)
        .map(|r| r["level"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_account_is_ok_on_every_line() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    estate(&aws).await;
    trail(&aws, true).await;
    trail_table(&aws, true).await;
    let (rows, failed) = doctor(
        &aws,
        &[
            ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
            ("TRAIL_SOURCE", "LogGroup"),
        ],
    )
    .await;
    let not_ok: Vec<_> = rows.iter().filter(|r| r["level"] != "OK").collect();
    assert!(not_ok.is_empty(), "{rows:#?}");
    assert_eq!(failed, None);
    let checks: Vec<&str> = rows.iter().map(|r| r["check"].as_str().unwrap()).collect();
    assert_eq!(checks, cognito_watch_core::doctor::LINES);
    // The ESSENTIALS pool is OK, and says which detection its plan rules out.
    let pool = rows
        .iter()
        .find(|r| r["check"] == "pool.activity_logs")
        .unwrap();
    assert!(
        pool["cannot_fire"].to_string().contains("risky_sign_in"),
        "{pool}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_account_says_what_is_missing_and_exits_1() {
    let aws = LocalAws::start().await;
    estate(&aws).await;
    // No trail; the trail function read nothing though Cognito counts requests; a topic no
    // one subscribed to.
    trail_table(&aws, false).await;
    let sns = aws_sdk_sns::Client::new(&aws.sdk);
    let topic = sns
        .create_topic()
        .name("nobody")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (rows, failed) = doctor(
        &aws,
        &[
            ("ALERT_TOPIC_ARN", topic.as_str()),
            ("TRAIL_SOURCE", "LogGroup"),
        ],
    )
    .await;
    assert_eq!(level(&rows, "trail.management"), ["FAIL"], "{rows:#?}");
    assert_eq!(level(&rows, "trail.data_events"), ["WARN"], "{rows:#?}");
    assert_eq!(level(&rows, "trail.alive"), ["FAIL"], "{rows:#?}");
    assert_eq!(level(&rows, "alerts.subscriptions"), ["FAIL"], "{rows:#?}");
    assert_eq!(level(&rows, "collector.last_poll"), ["OK"], "{rows:#?}");
    let alive = rows.iter().find(|r| r["check"] == "trail.alive").unwrap();
    assert!(
        alive["found"]
            .as_str()
            .unwrap()
            .contains("10 Cognito requests"),
        "{alive}"
    );
    assert_eq!(failed.as_deref(), Some("doctor: 3 line(s) say FAIL"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_data_events_and_a_disabled_rule_are_named() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    estate(&aws).await;
    trail(&aws, false).await;
    trail_table(&aws, true).await;
    let events = aws_sdk_eventbridge::Client::new(&aws.sdk);
    events
        .put_rule()
        .name("cognito-watch-cloudtrail")
        .event_pattern(r#"{"source":["aws.cognito-idp"]}"#)
        .state(aws_sdk_eventbridge::types::RuleState::Disabled)
        .send()
        .await
        .unwrap();
    let (rows, failed) = doctor(
        &aws,
        &[
            ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
            ("TRAIL_SOURCE", "EventBridge"),
            ("CLOUDTRAIL_RULE", "cognito-watch-cloudtrail"),
        ],
    )
    .await;
    assert_eq!(level(&rows, "trail.management"), ["OK"], "{rows:#?}");
    let data = rows
        .iter()
        .find(|r| r["check"] == "trail.data_events")
        .unwrap();
    assert_eq!(data["level"], "WARN");
    assert!(
        data["cannot_fire"]
            .to_string()
            .contains("unauthenticated_credentials"),
        "{data}"
    );
    assert_eq!(level(&rows, "trail.source"), ["FAIL"], "{rows:#?}");
    assert_eq!(failed.as_deref(), Some("doctor: 1 line(s) say FAIL"));
}
