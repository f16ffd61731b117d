//! Notification profiles on the moto test bed: two profiles and three topics (plus the stack's
//! own), configured through the CLI; each topic receives exactly its pools' alerts and
//! detections, in its format; one destination failing holds back and duplicates nothing, and
//! gets each message once after it recovers.

use std::collections::BTreeSet;

use chrono::Duration;
use cognito_watch_cli::Env;
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::inventory::monitor::MonitorId;
use cognito_watch_testbed::traffic::{self, eventbridge};
use cognito_watch_testbed::{cli_output, seed, AlertInbox, Fault, LocalAws, STATUS_TABLE};
use serde_json::Value;

use crate::support::minute;

fn attribute<'a>(envelope: &'a Value, name: &str) -> Option<&'a str> {
    envelope["MessageAttributes"][name]["Value"].as_str()
}

fn message(envelope: &Value) -> Value {
    serde_json::from_str(envelope["Message"].as_str().unwrap())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {envelope}"))
}

/// The pool each message is about, by its format.
fn pools_of(messages: &[Value], chat: bool) -> BTreeSet<String> {
    messages
        .iter()
        .map(|e| {
            let m = message(e);
            let pool = if chat {
                m["metadata"]["relatedResources"]
                    .as_array()
                    .and_then(|r| r.last())
                    .and_then(Value::as_str)
                    .map(str::to_string)
            } else {
                m["user_pool_id"]
                    .as_str()
                    .map(str::to_string)
                    .or_else(|| m["pool"].as_str().map(str::to_string))
            };
            pool.unwrap_or_else(|| panic!("no pool in {m}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_profiles_and_three_topics_each_get_their_pools_alerts_once_even_when_one_fails() {
    let (aws, stack) = LocalAws::with_inbox().await;
    let oncall = AlertInbox::create(&aws.sdk, "payments-oncall").await;
    let chat = AlertInbox::create(&aws.sdk, "payments-chat").await;
    let shop_topic = AlertInbox::create(&aws.sdk, "shop-oncall").await;
    let evaluator = aws.evaluator(&stack.topic_arn).await;
    let trail = aws.trail(&stack.topic_arn, &[]).await;
    let payments = seed::tagged_user_pool(&aws.idp, "payments", ("team", "payments"))
        .await
        .unwrap();
    let pay_web = seed::app_client(&aws.idp, &payments, "web", false)
        .await
        .unwrap();
    let shop = seed::tagged_user_pool(&aws.idp, "shop", ("env", "prod"))
        .await
        .unwrap();
    // One topic, many teams: filter policies on the routing attributes of a `json` destination.
    let prod = AlertInbox::filtered(
        &aws.sdk,
        &shop_topic.topic_arn,
        "shop-prod",
        &serde_json::json!({"tags": ["env=prod"], "notification_profile": ["shop"]}),
    )
    .await;
    let staging = AlertInbox::filtered(
        &aws.sdk,
        &shop_topic.topic_arn,
        "shop-staging",
        &serde_json::json!({"tags": ["env=staging"]}),
    )
    .await;
    let shop_web = seed::app_client(&aws.idp, &shop, "web", false)
        .await
        .unwrap();
    let now = minute();
    let mut data = Vec::new();
    for (pool, client) in [(&payments, &pay_web), (&shop, &shop_web)] {
        let dims = [
            ("UserPool", pool.as_str()),
            ("UserPoolClient", client.as_str()),
        ];
        data.push(seed::requests(
            "SignInSuccesses",
            &dims,
            now - Duration::minutes(5),
            1,
            9,
        ));
    }
    seed::put(&aws.cw, data).await.unwrap();
    aws.collector(&[])
        .run(&Default::default(), now, None)
        .await
        .unwrap();

    // The profiles, through the CLI: a destination that is not in the stack's
    // DestinationTopicArns, or does not exist, is refused.
    let missing = "arn:aws:sns:us-east-1:123456789012:not-there";
    let allowed = [
        oncall.topic_arn.as_str(),
        chat.topic_arn.as_str(),
        shop_topic.topic_arn.as_str(),
        missing,
    ]
    .join(",");
    let env = Env::from_pairs(aws.moto.env()).with([
        ("STATE_TABLE", "state".to_string()),
        ("HISTORY_TABLE", "history".to_string()),
        ("STATUS_TABLE", STATUS_TABLE.to_string()),
        ("ALERT_TOPIC_ARN", stack.topic_arn.clone()),
        ("DESTINATION_TOPIC_ARNS", allowed),
    ]);
    let run = |args: Vec<String>| {
        let env = env.clone();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli_output(&env, &args).await
        }
    };
    let outside = "arn:aws:sns:us-east-1:123456789012:elsewhere";
    let refused = run(vec![
        "notifications".into(),
        "set".into(),
        "x".into(),
        "--destination".into(),
        outside.into(),
    ])
    .await
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("not in the stack's DestinationTopicArns"),
        "{refused}"
    );
    let refused = run(vec![
        "notifications".into(),
        "set".into(),
        "x".into(),
        "--destination".into(),
        missing.into(),
    ])
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.contains("does not exist"), "{refused}");
    run(vec![
        "notifications".into(),
        "set".into(),
        "payments".into(),
        "--destination".into(),
        format!("{},chat:{}", oncall.topic_arn, chat.topic_arn),
    ])
    .await
    .unwrap();
    run(vec![
        "notifications".into(),
        "set".into(),
        "shop".into(),
        "--destination".into(),
        format!("json:{}", shop_topic.topic_arn),
        "--severity".into(),
        "down,critical".into(),
    ])
    .await
    .unwrap();
    run(vec![
        "notifications".into(),
        "assign".into(),
        "payments".into(),
        "--tag".into(),
        "team=payments".into(),
    ])
    .await
    .unwrap();
    let refused = run(vec![
        "notifications".into(),
        "assign".into(),
        "shop".into(),
        "--pool".into(),
        "us-east-1_nope".into(),
    ])
    .await
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("no user pool or identity pool"),
        "{refused}"
    );
    run(vec![
        "notifications".into(),
        "assign".into(),
        "shop".into(),
        "--pool".into(),
        shop.clone(),
    ])
    .await
    .unwrap();
    let listed = run(vec!["notifications".into(), "list".into()])
        .await
        .unwrap();
    for part in [
        "payments",
        "tag team=payments",
        &format!("pool {shop}"),
        "everything else",
        "json:arn:aws:sns:us-east-1:123456789012:shop-oncall",
    ] {
        assert!(listed.contains(part), "{part}: {listed}");
    }
    let described = run(vec![
        "describe".into(),
        format!("appclient/{payments}/{pay_web}"),
    ])
    .await
    .unwrap();
    assert!(
        described.contains("notification profile \"payments\" (by tag team=payments)"),
        "{described}"
    );

    // Publishing to the payments on-call topic fails until disarmed (the needle is its ARN as
    // a Publish request's form encodes it: the outbox's DynamoDB writes name it too).
    aws.moto
        .arm(&Fault::matching("%3Apayments-oncall").times(None));
    // And every outbox write on an alert is counted: what a destination costs.
    let alert_writes = Fault::on(&["UpdateItem"]).and_matching("ALERT#").watch();
    aws.moto.arm(&alert_writes);
    let roots = aws.store.roots().await.unwrap();
    let first = evaluator.evaluate(&roots, now).await.unwrap();
    let writes = aws.moto.seen()[1];
    let pay_root = MonitorId::UserPool {
        pool: payments.clone(),
    };
    let shop_root = MonitorId::UserPool { pool: shop.clone() };
    let pay_alerts = evaluator.status.alerts(&pay_root).await.unwrap();
    let shop_alerts = evaluator.status.alerts(&shop_root).await.unwrap();
    assert!(
        !pay_alerts.is_empty() && !shop_alerts.is_empty(),
        "{first:#?}"
    );
    let chat_got = chat.drain().await;
    let shop_got = shop_topic.drain().await;
    assert_eq!(chat_got.len(), pay_alerts.len(), "chat is not held back");
    // The shop's profile wants down and critical only (anything else would be settled unsent).
    let shop_wanted = shop_alerts
        .iter()
        .filter(|a| matches!(a.alert.to, Status::Down | Status::Critical))
        .count();
    assert!(shop_wanted > 0, "{shop_alerts:#?}");
    assert_eq!(shop_got.len(), shop_wanted);
    assert!(evaluator
        .status
        .pending_alerts(&shop_root)
        .await
        .unwrap()
        .is_empty());
    assert!(oncall.drain().await.is_empty());
    assert!(stack.drain().await.is_empty(), "every pool has its profile");
    assert_eq!(
        pools_of(&chat_got, true),
        BTreeSet::from([payments.clone()])
    );
    assert_eq!(pools_of(&shop_got, false), BTreeSet::from([shop.clone()]));
    // The chat form: Amazon Q Developer's custom notification, the profile and tags as
    // attributes (a string message: SNS delivers them).
    for e in &chat_got {
        let m = message(e);
        assert_eq!(
            (m["version"].as_str(), m["source"].as_str()),
            (Some("1.0"), Some("custom"))
        );
        assert!(m["content"]["description"]
            .as_str()
            .unwrap()
            .contains("Sign In Failure Percentage"));
        assert_eq!(attribute(e, "notification_profile"), Some("payments"));
        assert_eq!(e["MessageAttributes"]["tags"]["Type"], "String.Array");
        assert_eq!(attribute(e, "tags"), Some(r#"["team=payments"]"#));
    }
    for e in &shop_got {
        assert_eq!(message(e)["schema"], "cognito-watch.alert/1");
        assert_eq!(attribute(e, "notification_profile"), Some("shop"));
        assert_eq!(attribute(e, "tags"), Some(r#"["env=prod"]"#));
        assert!(e["MessageAttributes"].as_object().unwrap().len() <= 10);
    }
    assert_eq!(
        prod.drain().await.len(),
        shop_got.len(),
        "the filter matches the pool's tag"
    );
    assert!(staging.drain().await.is_empty(), "and no other");
    // Beside each payments alert: chat sent, the on-call topic pending with its error.
    let oncall_key = format!("sns:{}", oncall.topic_arn);
    let chat_key = format!("chat:{}", chat.topic_arn);
    for a in evaluator.status.pending_alerts(&pay_root).await.unwrap() {
        let d = &a.delivery.destinations;
        assert_eq!(d[&chat_key].state.as_str(), "sent", "{d:?}");
        assert_eq!(d[&oncall_key].state.as_str(), "pending", "{d:?}");
        assert!(d[&oncall_key]
            .last_error
            .as_deref()
            .unwrap()
            .contains("InternalError"));
    }
    assert_eq!(
        first.roots.iter().map(|r| r.alerts_pending).sum::<usize>(),
        pay_alerts.len()
    );
    // A message to one destination: its claim and its mark (as before destinations); to two:
    // the claim, the first destination's outcome, and the second's with the message's mark.
    assert_eq!(
        writes as usize,
        3 * pay_alerts.len() + 2 * shop_alerts.len(),
        "{pay_alerts:#?} {shop_alerts:#?}"
    );

    // The timeline says which destination still waits, and why.
    let timeline = run(vec![
        "timeline".into(),
        format!("appclient/{payments}/{pay_web}"),
        "-o".into(),
        "json".into(),
    ])
    .await
    .unwrap();
    assert!(
        timeline.contains(&format!(
            "pending ({oncall_key} failed 1×: Publish: InternalError"
        )),
        "{timeline}"
    );

    // A retry while it still fails duplicates nothing.
    evaluator
        .evaluate(&roots, now + Duration::seconds(30))
        .await
        .unwrap();
    assert!(chat.drain().await.is_empty());
    assert!(shop_topic.drain().await.is_empty());
    assert!(oncall.drain().await.is_empty());

    // It recovers: each payments alert reaches it once, and nothing else moves; a retry to one
    // destination is again a claim and a mark.
    aws.moto.disarm();
    aws.moto.arm(&alert_writes);
    let third = evaluator
        .evaluate(&roots, now + Duration::seconds(60))
        .await
        .unwrap();
    assert_eq!(aws.moto.seen()[0] as usize, 2 * pay_alerts.len());
    aws.moto.disarm();
    let oncall_got = oncall.drain().await;
    assert_eq!(oncall_got.len(), pay_alerts.len(), "{third:#?}");
    assert_eq!(
        pools_of(&oncall_got, false),
        BTreeSet::from([payments.clone()])
    );
    assert!(chat.drain().await.is_empty());
    assert!(shop_topic.drain().await.is_empty());
    evaluator
        .evaluate(&roots, now + Duration::seconds(90))
        .await
        .unwrap();
    assert!(oncall.drain().await.is_empty(), "sent once");
    for a in evaluator.status.alerts(&pay_root).await.unwrap() {
        assert_eq!(a.delivery.state.as_str(), "sent");
        assert_eq!(a.delivery.notification_profile.as_deref(), Some("payments"));
        assert_eq!(a.delivery.destinations[&oncall_key].attempts, 3);
        assert_eq!(a.delivery.destinations[&chat_key].attempts, 1);
    }

    // An attack on the payments pool from one address: detections, routed by the pool's tag
    // to both of its topics; nothing reaches the shop's or the stack's.
    let at = chrono::Utc::now();
    for i in 0..60 {
        let r = traffic::initiate_auth(
            &format!("bf-{i}"),
            at,
            &pay_web,
            "198.51.100.9",
            &format!("sub-{}", i % 40),
            Some("NotAuthorizedException"),
            None,
        );
        trail.handle(eventbridge(&r), None).await.unwrap();
    }
    let detections = oncall.drain().await;
    let kinds: BTreeSet<String> = detections
        .iter()
        .map(|e| message(e)["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        kinds.contains("brute_force") || kinds.contains("credential_stuffing"),
        "{detections:?}"
    );
    assert!(detections
        .iter()
        .all(|e| message(e)["pool"] == payments.as_str()));
    let chat_detections = chat.drain().await;
    assert_eq!(chat_detections.len(), detections.len());
    assert!(chat_detections.iter().all(|e| {
        let m = message(e);
        m["content"]["keywords"][1] == "detection"
            && kinds.contains(m["content"]["keywords"][2].as_str().unwrap_or_default())
    }));
    assert!(shop_topic.drain().await.is_empty());
    // A per-address detection across the account names no pool: no pool's profile takes it,
    // and with no account/region assignment it goes to the default profile, the stack topic.
    for e in stack.drain().await {
        let m = message(&e);
        assert!(m["pool"].is_null(), "{m}");
        assert_eq!(m["scope"], "123456789012/us-east-1");
        assert_eq!(attribute(&e, "notification_profile"), Some("default"));
    }
}
