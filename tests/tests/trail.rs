//! The trail function on the moto test bed: every input shape, duplicates, a 10,000-record
//! batch's write count, each detection once per window, a 50 MB trail file, infrastructure
//! failures and the re-inventory request of a configuration change.

use std::collections::BTreeMap;
use std::io::Write;

use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::trail::{window_of, Counts, TallyId, TallyKind};
use cognito_watch_testbed::traffic::{self, eventbridge, logs_batch, logs_event};
use cognito_watch_testbed::{AlertInbox, TrailSetup};
use serde_json::{json, Value};

const IP_A: &str = "198.51.100.1";

struct Scenario {
    setup: TrailSetup,
    base: DateTime<Utc>,
}

impl std::ops::Deref for Scenario {
    type Target = TrailSetup;
    fn deref(&self) -> &TrailSetup {
        &self.setup
    }
}

/// A pool with a web and an M2M client, inventoried by the collector; the trail function.
async fn scenario(extra: &[(&str, &str)]) -> Scenario {
    let setup = TrailSetup::start(extra).await;
    let base = window_of(Utc::now() - Duration::minutes(30));
    Scenario { setup, base }
}

impl Scenario {
    /// Every tally of every pool and kind, from `since`.
    async fn tallies(&self, since: DateTime<Utc>) -> BTreeMap<TallyId, Counts> {
        let mut out = BTreeMap::new();
        for pool in self.trail.store.pools().await.unwrap() {
            for kind in TallyKind::ALL {
                out.extend(self.trail.store.tallies(&pool, kind, since).await.unwrap());
            }
        }
        out
    }

    async fn tally(&self, pool: &str, kind: &str, value: &str) -> Counts {
        let kind = TallyKind::parse(kind).expect("a tally kind");
        let rows = self
            .trail
            .store
            .tallies(pool, kind, self.base - Duration::hours(2))
            .await
            .unwrap();
        let mut total = Counts::default();
        for (id, c) in rows {
            if id.key.value() == value {
                total.merge(&c);
            }
        }
        total
    }

    /// `n` failed sign-ins of the web client at `at`, each from its own address (192.0.2.i).
    fn failed_sign_ins(&self, id: &str, at: DateTime<Utc>, n: usize) -> Vec<Value> {
        (0..n)
            .map(|i| {
                traffic::initiate_auth(
                    &format!("{id}-{i}"),
                    at,
                    &self.web,
                    &format!("192.0.2.{i}"),
                    "s",
                    Some("NotAuthorizedException"),
                    None,
                )
            })
            .collect()
    }

    /// The detections that reached the topic: (kind, JSON form).
    async fn alerts(&self) -> Vec<(String, Value)> {
        self.inbox
            .drain()
            .await
            .into_iter()
            .map(|e| {
                let kind = e["MessageAttributes"]["detection"]["Value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
                (
                    kind,
                    serde_json::from_str(e["Message"].as_str().unwrap()).unwrap(),
                )
            })
            .collect()
    }
}

fn texts(records: &[Value]) -> Vec<String> {
    records.iter().map(Value::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_input_shape_is_tallied_and_a_duplicate_changes_nothing() {
    let w = scenario(&[]).await;
    let at = w.base + Duration::seconds(30);
    // EventBridge: one failed sign-in, secrets redacted.
    let r1 = traffic::initiate_auth(
        "ev-1",
        at,
        &w.web,
        IP_A,
        "sub-1",
        Some("NotAuthorizedException"),
        Some("Mozilla/5.0"),
    );
    let report = w.trail.handle(eventbridge(&r1), None).await.unwrap();
    assert_eq!(report.records.cognito_records, 1);
    assert_eq!(
        report.tallies_written, 6,
        "event name, its class (sign-in), error code, client, IP in the pool and over the \
         account and region"
    );
    assert_eq!(report.transactions, 1);
    let again = w.trail.handle(eventbridge(&r1), None).await.unwrap();
    assert_eq!((again.duplicates, again.tallies_written), (1, 0));

    // A CloudWatch Logs batch of every kind of message.
    let mut plain_client =
        traffic::token_post("ev-5", at, &w.pool, &w.m2m, "client_credentials", IP_A, 200);
    plain_client["additionalEventData"]["requestParameters"]["client_id"] = w.m2m.clone().into();
    let mut messages = texts(&[
        // No userAgent; the client id as a string (an API call).
        traffic::initiate_auth("ev-2", at, &w.web, IP_A, "sub-2", None, None),
        traffic::refresh("ev-3", at, &w.web, IP_A, Some("NotAuthorizedException")),
        // The client id in an array (an OAuth endpoint event) and, oddly, as a plain string.
        traffic::token_post(
            "ev-4",
            at,
            &w.pool,
            &w.m2m,
            "client_credentials",
            "192.0.2.10",
            200,
        ),
        plain_client,
        // A client the inventory does not know: kept under the client, pool "-".
        traffic::initiate_auth(
            "ev-6",
            at,
            "unknownclient",
            "192.0.2.99",
            "sub-9",
            Some("UserNotFoundException"),
            None,
        ),
        traffic::other_service("ev-7", at),
        traffic::user_activity(
            "ua-1",
            at,
            &w.pool,
            &w.web,
            "sub-2",
            ("Low", "NoRisk", false),
        ),
        traffic::user_notification(at, &w.pool, "Email delivery failed"),
    ]);
    messages.push("{\"eventSource\": \"cognito-idp.amazonaws.com\", truncated".into());
    messages.push("not json at all".into());
    let batch = logs_event(&logs_batch("/aws/cloudtrail/cognito", "s1", 1, &messages));
    let report = w.trail.handle(batch.clone(), None).await.unwrap();
    assert_eq!(report.records.cognito_records, 5);
    assert_eq!(report.records.skipped_non_cognito, 1);
    assert_eq!(report.records.user_activity, 1);
    assert_eq!(report.records.notification_errors, 1);
    assert_eq!(report.records.malformed, 2);
    assert_eq!(report.unresolved_clients, 1);

    let before = w.tallies(w.base).await;
    let again = w.trail.handle(batch, None).await.unwrap();
    assert_eq!((again.duplicates, again.tallies_written), (1, 0));
    assert_eq!(
        w.tallies(w.base).await,
        before,
        "a duplicate batch changed a tally"
    );

    // A control message and a truncated payload: nothing tallied, nothing failed.
    let control = logs_event(
        &json!({"messageType": "CONTROL_MESSAGE", "owner": "CloudwatchLogs",
        "logGroup": "", "logStream": "", "subscriptionFilters": [], "logEvents": [
            {"id": "", "timestamp": 1, "message": "CWL CONTROL MESSAGE: Checking health of destination Lambda."}]}),
    );
    assert_eq!(w.trail.handle(control, None).await.unwrap().ignored, 1);
    let good = logs_event(&logs_batch("g", "s", 9, &texts(std::slice::from_ref(&r1))));
    let data = good["awslogs"]["data"].as_str().unwrap();
    let truncated = json!({"awslogs": {"data": &data[..data.len() / 2]}});
    let report = w.trail.handle(truncated, None).await.unwrap();
    assert_eq!((report.records.malformed, report.tallies_written), (1, 0));

    // An S3 trail file.
    let file = traffic::trail_file(&[
        traffic::initiate_auth(
            "ev-10",
            at,
            &w.web,
            IP_A,
            "sub-3",
            Some("NotAuthorizedException"),
            None,
        ),
        traffic::token_post(
            "ev-11",
            at,
            &w.pool,
            &w.m2m,
            "client_credentials",
            "192.0.2.10",
            400,
        ),
    ]);
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/123456789012_CloudTrail_us-east-1_20261121T1205Z_a.json.gz";
    w.aws.put_object("trail", key, file.clone()).await;
    let note = traffic::s3_notification("trail", key, file.len());
    let report = w.trail.handle(note.clone(), None).await.unwrap();
    assert_eq!(report.records.cognito_records, 2);
    assert_eq!(w.trail.handle(note, None).await.unwrap().duplicates, 1);

    // What the tallies say, per client, IP and error code.
    let web = w.tally(&w.pool, "client", &w.web).await;
    assert_eq!(web.attempts, 4, "ev-1, ev-2, ev-3, ev-10");
    assert_eq!(web.failures, 3);
    assert_eq!(web.by_error["NotAuthorizedException"], 3);
    assert_eq!((web.refreshes, web.refresh_failures), (1, 1));
    let m2m = w.tally(&w.pool, "client", &w.m2m).await;
    assert_eq!(
        m2m.by_grant["client_credentials"], 3,
        "array, string and the file"
    );
    assert_eq!(m2m.by_error["HTTP 400"], 1);
    let ip = w.tally(&w.pool, "ip", IP_A).await;
    assert_eq!((ip.attempts, ip.failures), (5, 3));
    assert_eq!(
        ip.distinct_failing_subs(),
        2,
        "sub-1 and sub-3 (the refresh hides its sub)"
    );
    let unknown = w.tally("-", "client", "unknownclient").await;
    assert_eq!(unknown.by_error["UserNotFoundException"], 1);
    let notification = w.tally(&w.pool, "error", "UserNotificationError").await;
    assert_eq!(notification.failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_10k_record_batch_from_one_ip_costs_one_transaction() {
    let w = scenario(&[]).await;
    let at = w.base + Duration::seconds(10);
    let records: Vec<Value> = (0..10_000)
        .map(|i| {
            traffic::initiate_auth(
                &format!("burst-{i}"),
                at + Duration::milliseconds(i),
                &w.web,
                IP_A,
                &format!("sub-{}", i % 5),
                Some("NotAuthorizedException"),
                Some("python-requests/2.32"),
            )
        })
        .collect();
    let batch = logs_event(&logs_batch(
        "/aws/cloudtrail/cognito",
        "s",
        100,
        &texts(&records),
    ));
    let calls_before = w.trail.store.calls.snapshot();
    let report = w.trail.handle(batch, None).await.unwrap();
    let calls = w.trail.store.calls.snapshot();
    let writes = calls.get("TransactWriteItems").copied().unwrap_or(0)
        - calls_before.get("TransactWriteItems").copied().unwrap_or(0);
    println!(
        "10,000 records: {} tallies written in {writes} TransactWriteItems",
        report.tallies_written
    );
    assert_eq!(report.records.cognito_records, 10_000);
    assert_eq!(report.tallies_written, 6);
    assert_eq!(writes, 1);
    let ip = w.tally(&w.pool, "ip", IP_A).await;
    assert_eq!(ip.failures, 10_000);
    // The burst is a brute force and a pool-wide failure spike; five users are not stuffing.
    let kinds: Vec<String> = w.alerts().await.into_iter().map(|(k, _)| k).collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(
        kinds.contains(&"brute_force".to_string())
            && kinds.contains(&"pool_failure_spike".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_detection_fires_once_per_window() {
    let w = scenario(&[]).await;
    let events =
        AlertInbox::for_events(&w.aws.sdk, "reinventory", cognito_watch_aws::events::SOURCE).await;
    let at = w.base + Duration::seconds(5);
    let fail = |id: String, ip: &str, sub: String, code: &str| {
        traffic::initiate_auth(&id, at, &w.web, ip, &sub, Some(code), None)
    };
    // Brute force, over two batches: 30 + 30 failures from one IP (threshold 50).
    let half = |from: usize| -> Vec<Value> {
        (from..from + 30)
            .map(|i| {
                fail(
                    format!("bf-{i}"),
                    "203.0.113.1",
                    "sub-x".into(),
                    "NotAuthorizedException",
                )
            })
            .collect()
    };
    // Enumeration: 25 UserNotFoundException from one IP (threshold 20).
    let enumeration: Vec<Value> = (0..25)
        .map(|i| {
            fail(
                format!("en-{i}"),
                "203.0.113.2",
                cognito_watch_core::trail::HIDDEN.into(),
                "UserNotFoundException",
            )
        })
        .collect();
    // Credential stuffing: 15 distinct users failing from one IP (threshold 10).
    let stuffing: Vec<Value> = (0..15)
        .map(|i| {
            fail(
                format!("cs-{i}"),
                "203.0.113.3",
                format!("victim-{i}"),
                "NotAuthorizedException",
            )
        })
        .collect();
    // M2M: 20 client_credentials requests per window for an hour, then 150 (5x baseline).
    let mut m2m = Vec::new();
    for k in 1..=12 {
        for i in 0..20 {
            m2m.push(traffic::token_post(
                &format!("m-{k}-{i}"),
                at - Duration::minutes(5 * k),
                &w.pool,
                &w.m2m,
                "client_credentials",
                "10.0.0.5",
                200,
            ));
        }
    }
    let spike: Vec<Value> = (0..150)
        .map(|i| {
            traffic::token_post(
                &format!("ms-{i}"),
                at,
                &w.pool,
                &w.m2m,
                "client_credentials",
                "10.0.0.5",
                200,
            )
        })
        .collect();
    // A risky configuration change and a risky sign-in.
    let change = traffic::config_change(
        "cfg-1",
        at,
        "UpdateUserPool",
        json!({"userPoolId": w.pool, "mfaConfiguration": "OFF"}),
        "arn:aws:sts::123456789012:assumed-role/admin/jane",
        "203.0.113.50",
    );
    let risky = traffic::user_activity(
        "ua-9",
        at,
        &w.pool,
        &w.web,
        "sub-7",
        ("High", "AccountTakeover", true),
    );

    let deliveries: Vec<Value> = vec![
        logs_event(&logs_batch("g", "a", 1, &texts(&half(0)))),
        logs_event(&logs_batch("g", "b", 1, &texts(&half(30)))),
        logs_event(&logs_batch("g", "c", 1, &texts(&enumeration))),
        logs_event(&logs_batch("g", "d", 1, &texts(&stuffing))),
        logs_event(&logs_batch("g", "e", 1, &texts(&m2m))),
        logs_event(&logs_batch("g", "f", 1, &texts(&spike))),
        eventbridge(&change),
        logs_event(&logs_batch(
            "/aws/cognito/userpool",
            "g",
            1,
            &texts(&[risky]),
        )),
    ];
    for d in &deliveries {
        w.trail.handle(d.clone(), None).await.unwrap();
    }
    let alerts = w.alerts().await;
    let mut kinds: Vec<&str> = alerts.iter().map(|(k, _)| k.as_str()).collect();
    kinds.sort();
    assert_eq!(
        kinds,
        vec![
            "account_enumeration",
            "brute_force",
            "configuration_change",
            "credential_stuffing",
            "m2m_anomaly",
            "pool_failure_spike",
            "risky_configuration",
            "risky_sign_in",
        ],
        "one alert per detection (the change turns MFA off: a weakening too)"
    );
    let json = |kind: &str| &alerts.iter().find(|(k, _)| k == kind).unwrap().1;
    assert_eq!(
        json("brute_force")["detection"]["failures"],
        60,
        "totals span batches"
    );
    assert_eq!(json("m2m_anomaly")["detection"]["requests"], 150);
    assert_eq!(json("m2m_anomaly")["detection"]["baseline"], 20.0);
    assert_eq!(
        json("configuration_change")["detection"]["who"],
        "arn:aws:sts::123456789012:assumed-role/admin/jane"
    );
    assert_eq!(json("risky_sign_in")["severity"], "critical");
    assert_eq!(json("brute_force")["account"], "123456789012");

    // More of the same in the same window, and every delivery again: no second alert.
    w.trail
        .handle(
            logs_event(&logs_batch("g", "h", 1, &texts(&half(60)))),
            None,
        )
        .await
        .unwrap();
    for d in &deliveries {
        w.trail.handle(d.clone(), None).await.unwrap();
    }
    assert_eq!(
        w.alerts().await.len(),
        0,
        "a detection fires once per window and key"
    );

    // The change asked the collector to re-inventory the pool, which the collector accepts.
    let requests = events.drain().await;
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(
        requests[0]["detail-type"],
        cognito_watch_aws::events::REINVENTORY
    );
    assert_eq!(requests[0]["detail"]["user_pool_ids"], json!([w.pool]));
    let collected = w
        .aws
        .collector(&[])
        .handle(requests[0].clone(), None)
        .await
        .unwrap();
    assert_eq!(collected.scopes.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_fails_the_delivery_and_its_retry_counts_once() {
    let w = scenario(&[]).await;
    let at = w.base + Duration::seconds(5);
    // 75 IPs, each tallied in the pool and over the account and region: 153 tallies, two
    // transactions (99 + the rest).
    let records = w.failed_sign_ins("f", at, 75);
    let batch = logs_event(&logs_batch("g", "s", 1, &texts(&records)));
    // The second transaction (idempotency record `...#1`) fails on both SDK attempts:
    // DynamoDB unavailable.
    w.aws
        .moto
        .inject_fault("#1\"", 2, 500, "InternalServerError");
    let err = w.trail.handle(batch.clone(), None).await.unwrap_err();
    assert!(err.to_string().contains("will be retried"), "{err}");
    assert!(w.aws.moto.faults_injected() >= 2);
    let report = w.trail.handle(batch.clone(), None).await.unwrap();
    assert_eq!(
        report.transactions, 1,
        "only the chunk that failed is applied on retry"
    );
    let web = w.tally(&w.pool, "client", &w.web).await;
    assert_eq!(web.failures, 75, "every record counted exactly once");
    let code = w.tally(&w.pool, "error", "NotAuthorizedException").await;
    assert_eq!(code.failures, 75);
    let again = w.trail.handle(batch, None).await.unwrap();
    assert_eq!((again.duplicates, again.transactions), (1, 0));
}

/// A trail file is finished a part at a time, so memory holds a part's tallies: a part that
/// fails fails the delivery, and its retry applies only the parts not applied, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trail_file_in_parts_counts_each_record_once_across_a_failed_part() {
    let mut w = scenario(&[]).await;
    w.setup.trail.part_records = 4;
    let at = w.base + Duration::seconds(5);
    let records = w.failed_sign_ins("p", at, 10);
    let file = traffic::trail_file(&records);
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/parts.json.gz";
    w.aws.put_object("trail", key, file.clone()).await;
    let note = traffic::s3_notification("trail", key, file.len());
    // Parts: records 0-3 (the delivery's own key), 4-7 (`#part-1`), 8-9 (`#part-2`). The
    // second part's transaction fails on both SDK attempts.
    w.aws
        .moto
        .inject_fault("#part-1#0", 2, 500, "InternalServerError");
    let err = w.trail.handle(note.clone(), None).await.unwrap_err();
    assert!(err.to_string().contains("will be retried"), "{err}");
    assert!(w.aws.moto.faults_injected() >= 2);
    let web = w.tally(&w.pool, "client", &w.web).await;
    assert_eq!(
        web.failures, 4,
        "the first part was applied before the failure"
    );
    let report = w.trail.handle(note.clone(), None).await.unwrap();
    assert_eq!(report.records.cognito_records, 10);
    assert_eq!(
        (report.transactions, report.duplicates),
        (2, 0),
        "the retry applies the second and third parts; the first is seen as applied"
    );
    let web = w.tally(&w.pool, "client", &w.web).await;
    assert_eq!(web.failures, 10, "every record counted exactly once");
    let again = w.trail.handle(note, None).await.unwrap();
    assert_eq!((again.duplicates, again.transactions), (1, 0));
    assert_eq!(w.tally(&w.pool, "client", &w.web).await.failures, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_trail_file_is_read_as_a_stream() {
    let w = scenario(&[]).await;
    let at = w.base + Duration::seconds(5);
    // Records with a long random user agent, so the gzip file itself is 50 MB.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut noise = |n: usize| -> String {
        (0..n)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [(seed % 64) as usize],
                )
            })
            .collect()
    };
    // Written as a stream, as CloudTrail does, until the gzip file reaches 50 MB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(b"{\"Records\":[").unwrap();
    let mut total = 0usize;
    while gz.get_ref().len() < 50 * 1024 * 1024 {
        let ua = noise(900);
        let r = traffic::initiate_auth(
            &format!("big-{total}"),
            at,
            &w.web,
            &format!("10.1.{}.{}", total % 7, total % 3),
            "s",
            total.is_multiple_of(2).then_some("NotAuthorizedException"),
            Some(&ua),
        );
        if total > 0 {
            gz.write_all(b",").unwrap();
        }
        gz.write_all(r.to_string().as_bytes()).unwrap();
        total += 1;
    }
    gz.write_all(b"]}").unwrap();
    let file = gz.finish().unwrap();
    println!("trail file: {} records, {} bytes gzip", total, file.len());
    let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/big.json.gz";
    w.aws.put_object("trail", key, file.clone()).await;
    let report = w
        .trail
        .handle(traffic::s3_notification("trail", key, file.len()), None)
        .await
        .unwrap();
    assert_eq!(report.records.cognito_records as usize, total);
    assert_eq!(report.records.malformed, 0);
    assert_eq!(
        w.trail.progress.snapshot().records_read as usize,
        total,
        "every record read is counted for the progress line"
    );
    let web = w.tally(&w.pool, "client", &w.web).await;
    assert_eq!(web.attempts as usize, total);
    assert_eq!(web.failures as usize, total.div_ceil(2));

    // The same file cut in half: what was read before the break is kept, the break counted.
    let cut = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/21/cut.json.gz";
    w.aws
        .put_object("trail", cut, file[..file.len() / 2].to_vec())
        .await;
    let report = w
        .trail
        .handle(traffic::s3_notification("trail", cut, file.len() / 2), None)
        .await
        .unwrap();
    assert_eq!(report.records.malformed, 1);
    assert!(
        report.records.cognito_records > 0 && (report.records.cognito_records as usize) < total
    );
}
