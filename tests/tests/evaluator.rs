//! The evaluator on the local AWS test bed: real pools and datapoints in moto, the collector
//! writes state, the evaluator runs, and what reached the SNS topic is read back from a
//! subscribed SQS queue.

use crate::support::minute;
use chrono::{DateTime, Duration, Utc};
use cognito_watch_core::alerting::profile::{
    Assignment, Comparator, Profile, ProfileSet, Severity, Threshold, DEFAULT_PROFILE,
};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::inventory::monitor::MonitorId;
use cognito_watch_core::MonitorKind;
use cognito_watch_testbed::{seed, AlertInbox, Fault, LocalAws};
use collector::CollectorRequest;
use evaluator::Evaluator;
use serde_json::Value;

struct Setup {
    aws: LocalAws,
    inbox: AlertInbox,
    evaluator: Evaluator,
    pool: String,
    clients: Vec<String>,
}

async fn setup(clients: &[&str]) -> Setup {
    let (aws, inbox) = LocalAws::with_inbox().await;
    let evaluator = aws.evaluator(&inbox.topic_arn).await;
    let pool = seed::user_pool(&aws.idp, "shop").await.unwrap();
    let mut ids = Vec::new();
    for c in clients {
        ids.push(seed::app_client(&aws.idp, &pool, c, false).await.unwrap());
    }
    Setup {
        aws,
        inbox,
        evaluator,
        pool,
        clients: ids,
    }
}

impl Setup {
    fn dims(&self, i: usize) -> [(&str, &str); 2] {
        [
            ("UserPool", self.pool.as_str()),
            ("UserPoolClient", self.clients[i].as_str()),
        ]
    }

    /// One collector poll at `at`, then one evaluation of every root at `at`.
    async fn poll(&self, at: DateTime<Utc>) -> evaluator::EvaluatorReport {
        self.collect(at).await;
        self.evaluate(at).await
    }

    async fn evaluate(&self, at: DateTime<Utc>) -> evaluator::EvaluatorReport {
        let roots = self.aws.store.roots().await.unwrap();
        self.evaluator.evaluate(&roots, at).await.unwrap()
    }

    async fn status(&self, id: &str) -> cognito_watch_core::alerting::status::MonitorStatus {
        let root = MonitorId::UserPool {
            pool: self.pool.clone(),
        };
        let all = self.evaluator.status.load_statuses(&root).await.unwrap();
        all.get(id)
            .cloned()
            .unwrap_or_else(|| panic!("no status for {id}: {:?}", all.keys()))
    }

    /// Store `profile` (replacing the default of its type).
    async fn use_profile(&self, profile: Profile) {
        self.evaluator
            .status
            .import(&ProfileSet {
                profiles: vec![profile],
                assignments: vec![],
                ..Default::default()
            })
            .await
            .unwrap();
    }

    /// 90 % sign-in failures on the first client at `at`.
    async fn failing_sign_ins(&self, at: DateTime<Utc>) {
        seed::put(
            &self.aws.cw,
            vec![seed::requests("SignInSuccesses", &self.dims(0), at, 1, 9)],
        )
        .await
        .unwrap();
    }

    /// 90 % sign-in failures on every client at `at`.
    async fn every_client_failing(&self, at: DateTime<Utc>) {
        let data = (0..self.clients.len())
            .map(|i| seed::requests("SignInSuccesses", &self.dims(i), at, 1, 9))
            .collect();
        seed::put(&self.aws.cw, data).await.unwrap();
    }

    /// One collector poll at `at`, without an evaluation.
    async fn collect(&self, at: DateTime<Utc>) {
        self.aws
            .collector(&[])
            .run(&CollectorRequest::default(), at, None)
            .await
            .unwrap();
    }

    /// The pool's alerts as the evaluator stored them.
    async fn stored_alerts(&self) -> Vec<cognito_watch_aws::status::StoredAlert> {
        let root = MonitorId::UserPool {
            pool: self.pool.clone(),
        };
        self.evaluator.status.alerts(&root).await.unwrap()
    }

    fn client_id(&self, i: usize) -> String {
        format!("appclient/{}/{}", self.pool, self.clients[i])
    }
}

/// The JSON form of an alert from its SNS envelope (the `sqs` entry of the message).
fn alert_json(envelope: &Value) -> Value {
    serde_json::from_str(envelope["Message"].as_str().unwrap()).unwrap()
}

fn attribute<'a>(envelope: &'a Value, name: &str) -> &'a str {
    envelope["MessageAttributes"][name]["Value"]
        .as_str()
        .unwrap_or_else(|| panic!("no attribute {name} in {envelope}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_defaults_fire_on_the_cubeapm_scenarios_once_and_recover_once() {
    let s = setup(&["web", "mobile", "api"]).await;
    let now = minute();
    let (p1, p2, p3) = (now - Duration::minutes(10), now - Duration::minutes(5), now);
    // Poll 1 reads [p1-16m, p1-1m): failures 30% on web, a 150-throttle minute on mobile,
    // 60 token refresh failures on api; web also throttles sign-ups 5 minutes in a row.
    let t = p1 - Duration::minutes(8);
    let mut data = vec![
        seed::requests("SignInSuccesses", &s.dims(0), t, 7, 3),
        seed::throttles("SignInThrottles", &s.dims(1), t, 150),
        seed::throttles("SignInThrottles", &s.dims(1), t + Duration::minutes(1), 20),
        seed::requests("TokenRefreshSuccesses", &s.dims(2), t, 10, 60),
    ];
    for m in 0..5 {
        data.push(seed::throttles(
            "SignUpThrottles",
            &s.dims(0),
            t + Duration::minutes(m),
            1,
        ));
    }
    // Poll 2 reads [p1-1m, p2-1m): still 50% failures on web only.
    data.push(seed::requests(
        "SignInSuccesses",
        &s.dims(0),
        p2 - Duration::minutes(3),
        1,
        1,
    ));
    // Poll 3 reads [p2-1m, p3-1m): web signs in cleanly (a rate with no data would keep its
    // state: web recovers on a reading, not on silence).
    data.push(seed::requests(
        "SignInSuccesses",
        &s.dims(0),
        p3 - Duration::minutes(3),
        4,
        0,
    ));
    seed::put(&s.aws.cw, data).await.unwrap();

    let report = s.poll(p1).await;
    assert!(
        report.defaults_loaded,
        "first run loads the shipped profiles"
    );
    let first = s.inbox.drain().await;
    assert_eq!(first.len(), 3, "one alert per client: {first:#?}");
    let mut by_client = std::collections::BTreeMap::new();
    for e in &first {
        by_client.insert(attribute(e, "monitor_id").to_string(), e.clone());
        assert_eq!(attribute(e, "severity"), "critical");
        assert_eq!(attribute(e, "monitor_type"), "appclient");
        assert_eq!(attribute(e, "user_pool_id"), s.pool);
        assert_eq!(attribute(e, "region"), "us-east-1");
        assert_eq!(attribute(e, "account"), "123456789012");
        let subject = e["Subject"].as_str().unwrap();
        assert!(subject.starts_with("CRITICAL: App Client "), "{subject}");
        assert!(subject.len() < 100);
    }
    let web = alert_json(&by_client[&s.client_id(0)]);
    let reasons: Vec<&str> = web["reason_text"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons.contains(
            &"Sign In Failure Percentage = 30 (threshold > 20, critical, 1 consecutive poll)"
        ),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(
            &"Sign Up Throttled Minutes = 5 (threshold >= 5, trouble, 1 consecutive poll)"
        ),
        "{reasons:?}"
    );
    // The evaluator reads the trail table, which never saw this pool: the alert says so.
    assert_eq!(web["trail_evidence"]["trail"], "no_records", "{web}");
    let mobile = alert_json(&by_client[&s.client_id(1)]);
    assert_eq!(mobile["reasons"][0]["metric"], "SignInThrottlesPeakMinute");
    assert_eq!(mobile["reasons"][0]["value"], 150.0);
    let api = alert_json(&by_client[&s.client_id(2)]);
    assert_eq!(api["reasons"][0]["metric"], "TokenRefreshFailed");
    assert_eq!(api["reasons"][0]["value"], 60.0);
    // Propagation is on in the default user pool profile: the pool is critical and the
    // first child's alert tells the pool's change.
    assert_eq!(
        s.status(&format!("userpool/{}", s.pool)).await.status,
        Status::Critical
    );
    assert_eq!(web["pool"]["monitor_id"], format!("userpool/{}", s.pool));
    // The email form is readable text.
    let text = s.stored_alerts().await;
    assert_eq!(text.len(), 3);
    assert!(text.iter().all(|a| a.delivery.state
        == cognito_watch_aws::dynamo::outbox::DeliveryState::Sent
        && a.delivery.message_id.is_some()));

    // Poll 2: web still breaches, the others have no data and recover.
    s.poll(p2).await;
    let second = s.inbox.drain().await;
    assert_eq!(
        second.len(),
        2,
        "web stays critical without a new alert: {second:#?}"
    );
    for e in &second {
        assert_eq!(attribute(e, "severity"), "up");
        assert_eq!(attribute(e, "previous_status"), "critical");
        assert!(e["Subject"].as_str().unwrap().starts_with("RECOVERED: "));
    }
    // Poll 3: web's clean sign-ins recover it; the pool is up again.
    s.poll(p3).await;
    let third = s.inbox.drain().await;
    assert_eq!(third.len(), 1);
    assert_eq!(attribute(&third[0], "monitor_id"), s.client_id(0));
    let recovered = alert_json(&third[0]);
    assert_eq!(recovered["pool"]["to"], "up");
    assert_eq!(
        s.status(&format!("userpool/{}", s.pool)).await.status,
        Status::Up
    );
    // Outages: each client one, closed, with its duration.
    let outages = s.evaluator.status.outages(None).await.unwrap();
    let web_outage = outages
        .iter()
        .find(|o| o.monitor_id == s.client_id(0))
        .unwrap();
    assert_eq!(web_outage.started_at, p1);
    assert_eq!(web_outage.ended_at, Some(p3));
    assert_eq!(web_outage.duration(Utc::now()), Duration::minutes(10));
    assert!(outages.iter().all(|o| !o.is_open()));
    assert_eq!(outages.len(), 4, "three clients and the pool: {outages:#?}");
}

fn threshold(metric: &str, c: Comparator, v: f64, polls: u32) -> Threshold {
    Threshold {
        metric: metric.into(),
        comparator: c,
        value: v,
        severity: Severity::Trouble,
        consecutive_polls: polls,
        missing_data: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_comparator_breaches_exactly_where_it_should() {
    let s = setup(&["web"]).await;
    let now = minute();
    let t = now - Duration::minutes(8);
    // SignInTotal 10, SignInSuccesses 7, SignInFailed 3, SignInThrottles 4.
    seed::put(
        &s.aws.cw,
        vec![
            seed::requests("SignInSuccesses", &s.dims(0), t, 7, 3),
            seed::throttles("SignInThrottles", &s.dims(0), t, 4),
        ],
    )
    .await
    .unwrap();
    let mut profile = Profile::empty(MonitorKind::AppClient, DEFAULT_PROFILE);
    for (metric, comparator, value) in [
        // Breaching.
        ("SignInTotal", Comparator::Gt, 9.0),
        ("SignInFailed", Comparator::Ge, 3.0),
        ("SignInSuccessPercentage", Comparator::Lt, 71.0),
        ("SignInSuccesses", Comparator::Le, 7.0),
        ("SignInThrottles", Comparator::Eq, 4.0),
        ("SignInFailurePercentage", Comparator::Ne, 0.0),
        // Not breaching: the same values on the wrong side.
        ("SignInTotal", Comparator::Lt, 10.0),
        ("SignInFailed", Comparator::Gt, 3.0),
        ("SignInSuccessPercentage", Comparator::Ge, 71.0),
        ("SignInSuccesses", Comparator::Ne, 7.0),
        ("SignInThrottles", Comparator::Le, 3.0),
        ("SignInFailurePercentage", Comparator::Eq, 0.0),
        // No data (no token refreshes) breaches nothing.
        ("TokenRefreshFailed", Comparator::Ge, 0.0),
    ] {
        profile.set(threshold(metric, comparator, value, 1));
    }
    s.use_profile(profile).await;
    s.poll(now).await;
    let st = s.status(&s.client_id(0)).await;
    let breached: Vec<String> = st
        .reasons
        .iter()
        .map(|r| match r {
            cognito_watch_core::alerting::status::Reason::Breach {
                metric, comparator, ..
            } => format!("{metric}{comparator}"),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        breached,
        vec![
            "SignInTotal>",
            "SignInFailed>=",
            "SignInSuccessPercentage<",
            "SignInSuccesses<=",
            "SignInThrottles=",
            "SignInFailurePercentage!=",
        ]
    );
    assert_eq!(st.status, Status::Trouble);
    assert_eq!(s.inbox.drain().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_breach_counts_only_after_n_consecutive_polls() {
    let s = setup(&["web"]).await;
    let now = minute();
    let polls = [
        now - Duration::minutes(15),
        now - Duration::minutes(10),
        now - Duration::minutes(5),
    ];
    // Every window has 2 failures in 4 requests.
    let mut data = Vec::new();
    for p in polls {
        data.push(seed::requests(
            "SignInSuccesses",
            &s.dims(0),
            p - Duration::minutes(3),
            2,
            2,
        ));
    }
    seed::put(&s.aws.cw, data).await.unwrap();
    let mut profile = Profile::empty(MonitorKind::AppClient, DEFAULT_PROFILE);
    profile.set(threshold("SignInFailed", Comparator::Ge, 2.0, 3));
    s.use_profile(profile).await;
    s.poll(polls[0]).await;
    // Re-evaluating the same poll does not count it twice.
    s.evaluate(polls[0]).await;
    s.evaluate(polls[0]).await;
    assert_eq!(s.status(&s.client_id(0)).await.status, Status::Up);
    s.poll(polls[1]).await;
    assert_eq!(s.status(&s.client_id(0)).await.status, Status::Up);
    assert!(s.inbox.drain().await.is_empty());
    s.poll(polls[2]).await;
    let st = s.status(&s.client_id(0)).await;
    assert_eq!(st.status, Status::Trouble);
    assert!(st.reasons[0].to_string().contains("3 consecutive polls"));
    assert_eq!(s.inbox.drain().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn propagation_on_and_off_and_profiles_assigned_by_tag() {
    let s = setup(&["web"]).await;
    // A second pool, tagged to a profile with propagation off.
    let flat_pool = s
        .aws
        .idp
        .create_user_pool()
        .pool_name("flat")
        .user_pool_tags("alerting", "flat")
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let flat_client = seed::app_client(&s.aws.idp, &flat_pool, "web", false)
        .await
        .unwrap();
    let mut set = ProfileSet::shipped().unwrap();
    let mut flat = Profile::empty(MonitorKind::UserPool, "flat");
    flat.notify_child_status_changes = false;
    set.profiles.push(flat);
    set.assignments.push(Assignment {
        monitor: None,
        tag: Some("alerting=flat".into()),
        profile: "flat".into(),
    });
    s.evaluator.status.import(&set).await.unwrap();
    let now = minute();
    let t = now - Duration::minutes(5);
    let flat_dims = [
        ("UserPool", flat_pool.as_str()),
        ("UserPoolClient", flat_client.as_str()),
    ];
    seed::put(
        &s.aws.cw,
        vec![
            seed::requests("SignInSuccesses", &s.dims(0), t, 1, 9),
            seed::requests("SignInSuccesses", &flat_dims, t, 1, 9),
        ],
    )
    .await
    .unwrap();
    s.poll(now).await;
    let alerts = s.inbox.drain().await;
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    let on = alerts
        .iter()
        .map(alert_json)
        .find(|a| a["user_pool_id"] == s.pool.as_str())
        .unwrap();
    let off = alerts
        .iter()
        .map(alert_json)
        .find(|a| a["user_pool_id"] == flat_pool.as_str())
        .unwrap();
    assert_eq!(on["pool"]["to"], "critical", "{on}");
    assert!(on["pool"]["name"].as_str().is_some());
    assert!(off.get("pool").is_none(), "{off}");
    // The statuses say the same: the tagged pool is judged on its own metrics only.
    let root = |p: &str| MonitorId::UserPool { pool: p.into() };
    let flat_statuses = s
        .evaluator
        .status
        .load_statuses(&root(&flat_pool))
        .await
        .unwrap();
    let flat_status = &flat_statuses[&format!("userpool/{flat_pool}")];
    assert_eq!(flat_status.status, Status::Up);
    assert_eq!(flat_status.profile, "flat");
    let pool_status = s.status(&format!("userpool/{}", s.pool)).await;
    assert_eq!(pool_status.status, Status::Critical);
    assert_eq!(pool_status.profile, "default");
    assert!(pool_status
        .reasons
        .iter()
        .any(|r| r.to_string() == "Cognito App Client web is Critical"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_failing_once_then_succeeding_delivers_exactly_one_alert() {
    let s = setup(&["web"]).await;
    let now = minute();
    s.failing_sign_ins(now - Duration::minutes(5)).await;
    // The first Publish fails (one attempt: the SDK does not retry Publish, the outbox does).
    s.aws
        .moto
        .inject_fault("Action=Publish&", 1, 500, "InternalError");
    let first = s.poll(now).await;
    assert_eq!(s.aws.moto.faults_injected(), 1);
    assert_eq!(first.roots[0].alerts_created, 1);
    assert_eq!(first.roots[0].alerts_sent, 0);
    assert_eq!(first.roots[0].alerts_pending, 1);
    assert!(s.inbox.drain().await.is_empty());
    let root = MonitorId::UserPool {
        pool: s.pool.clone(),
    };
    let pending = s.evaluator.status.pending_alerts(&root).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert!(pending[0]
        .delivery
        .last_error
        .as_deref()
        .unwrap()
        .contains("InternalError"));
    // The next evaluation (no new poll, no new transition) delivers it.
    let second = s.evaluate(now + Duration::seconds(30)).await;
    assert_eq!(second.roots[0].alerts_created, 0);
    assert_eq!(second.roots[0].alerts_sent, 1);
    let got = s.inbox.drain().await;
    assert_eq!(got.len(), 1);
    assert_eq!(attribute(&got[0], "severity"), "critical");
    // And never again.
    s.evaluate(now + Duration::seconds(60)).await;
    assert!(s.inbox.drain().await.is_empty());
    let all = s.evaluator.status.alerts(&root).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].delivery.attempts, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_evaluations_of_one_pool_send_one_alert() {
    let s = setup(&["web"]).await;
    let now = minute();
    s.failing_sign_ins(now - Duration::minutes(5)).await;
    s.collect(now).await;
    let roots = s.aws.store.roots().await.unwrap();
    let evaluators: Vec<Evaluator> = (0..6)
        .map(|_| {
            Evaluator::new(
                cognito_watch_testbed::evaluator_config(&s.inbox.topic_arn),
                &s.aws.sdk,
            )
        })
        .collect();
    let runs = evaluators.iter().map(|e| e.evaluate(&roots, now));
    let reports: Vec<_> = futures::future::join_all(runs)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let created: usize = reports
        .iter()
        .flat_map(|r| r.roots.iter())
        .map(|r| r.alerts_created)
        .sum();
    let sent: usize = reports
        .iter()
        .flat_map(|r| r.roots.iter())
        .map(|r| r.alerts_sent)
        .sum();
    assert_eq!((created, sent), (1, 1), "{reports:#?}");
    assert_eq!(s.inbox.drain().await.len(), 1);
    // Whoever was busy retries later and finds nothing to do.
    s.evaluate(now).await;
    assert!(s.inbox.drain().await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_batch_is_evaluated_per_pool_and_a_busy_pool_is_retried() {
    let s = setup(&["web"]).await;
    let now = minute();
    s.failing_sign_ins(now - Duration::minutes(5)).await;
    s.collect(now).await;
    let record = |pk: &str, sk: &str, seq: &str| {
        serde_json::json!({
            "eventID": seq, "eventName": "MODIFY", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1",
            "dynamodb": {
                "ApproximateCreationDateTime": 1_763_719_200.0,
                "Keys": {"pk": {"S": pk}, "sk": {"S": sk}},
                "SequenceNumber": seq, "SizeBytes": 100,
                "StreamViewType": "NEW_AND_OLD_IMAGES"
            },
            "eventSourceARN": "arn:aws:dynamodb:us-east-1:123456789012:table/state/stream/2026-11-21T00:00:00.000"
        })
    };
    let pool_pk = format!("POOL#{}", s.pool);
    let pool_root = MonitorId::UserPool {
        pool: s.pool.clone(),
    };
    let batch = serde_json::json!({"Records": [
        record(&pool_pk, "POOL", "100"),
        record(&pool_pk, &format!("CLIENT#{}", s.clients[0]), "101"),
        record("SCOPE#123456789012#us-east-1", "CURSOR", "102"),
    ]});
    // Another evaluation holds the pool: its records are reported for retry.
    assert!(s
        .evaluator
        .status
        .acquire_lease(
            &pool_root,
            "someone-else",
            Utc::now(),
            Duration::seconds(60)
        )
        .await
        .unwrap());
    let busy = s.evaluator.handle(batch.clone()).await.unwrap();
    assert_eq!(
        busy,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "100"}, {"itemIdentifier": "101"}]})
    );
    assert!(s.inbox.drain().await.is_empty());
    s.evaluator
        .status
        .release_lease(&pool_root, "someone-else")
        .await
        .unwrap();
    let done = s.evaluator.handle(batch).await.unwrap();
    assert_eq!(done, serde_json::json!({"batchItemFailures": []}));
    assert_eq!(s.inbox.drain().await.len(), 1);
}

/// Defect: a poll that read no new metric window (a re-inventory) counted as another breaching
/// poll, so one breaching window plus one re-inventory met a 2-consecutive-polls threshold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_inventory_is_not_another_breaching_poll() {
    let s = setup(&["web", "app"]).await;
    let now = minute();
    s.every_client_failing(now - Duration::minutes(4)).await;
    let mut profile = Profile::empty(MonitorKind::AppClient, DEFAULT_PROFILE);
    profile.set(threshold("SignInFailed", Comparator::Ge, 2.0, 2));
    s.use_profile(profile).await;
    s.poll(now).await;
    for _ in 0..2 {
        s.aws
            .collector(&[])
            .handle(
                serde_json::json!({"tasks": ["inventory"], "user_pool_ids": [s.pool]}),
                None,
            )
            .await
            .unwrap();
        s.evaluate(now + Duration::seconds(30)).await;
    }
    for i in 0..2 {
        let st = s.status(&s.client_id(i)).await;
        assert_eq!(st.status, Status::Up, "one breaching window is one poll");
        assert_eq!(st.streaks.values().copied().max(), Some(1));
    }
    assert!(s.inbox.drain().await.is_empty());
    // The next window breaches too: now it is two polls.
    s.failing_sign_ins(now).await;
    s.poll(now + Duration::minutes(2)).await;
    assert_eq!(s.status(&s.client_id(0)).await.status, Status::Trouble);
}

/// Defect: one stream record the decoder could not read failed the whole stream batch.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_stream_record_fails_only_itself() {
    let s = setup(&["web"]).await;
    let now = minute();
    s.failing_sign_ins(now - Duration::minutes(5)).await;
    s.collect(now).await;
    let pool_pk = format!("POOL#{}", s.pool);
    let good = serde_json::json!({
        "eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
        "dynamodb": {"Keys": {"pk": {"S": pool_pk}, "sk": {"S": "POOL"}},
            "SequenceNumber": "200", "StreamViewType": "NEW_AND_OLD_IMAGES"}
    });
    let odd = serde_json::json!({
        "eventID": "2", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
        "dynamodb": {"ApproximateCreationDateTime": "not a time",
            "Keys": {"pk": {"N": 5}}, "NewImage": {"x": {"BOGUS": 1}},
            "SequenceNumber": "201"}
    });
    let answer = s
        .evaluator
        .handle(serde_json::json!({"Records": [good, odd]}))
        .await
        .expect("the batch is answered, not failed");
    assert_eq!(
        answer,
        serde_json::json!({"batchItemFailures": [{"itemIdentifier": "201"}]})
    );
    assert_eq!(s.inbox.drain().await.len(), 1, "the pool was evaluated");
}

/// Defect: when SNS took a Publish but its answer was lost (a 500 after the message took
/// effect), the SDK's retry published a second copy at once. Now one attempt per delivery
/// pass: the alert stays pending and its one re-publication carries the same `alert_id`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_publish_answer_gives_one_identifiable_duplicate() {
    let s = setup(&["web", "app"]).await;
    let now = minute();
    s.every_client_failing(now - Duration::minutes(4)).await;
    s.collect(now).await;
    s.aws.moto.arm(&Fault::on(&["Publish"]).through());
    let first = s.evaluate(now).await;
    let created: usize = first.roots.iter().map(|r| r.alerts_created).sum();
    let pending: usize = first.roots.iter().map(|r| r.alerts_pending).sum();
    assert!(created >= 1);
    assert_eq!(
        pending, 1,
        "the publish whose answer was lost stays pending"
    );
    let arrived = s.inbox.drain().await;
    assert_eq!(
        arrived.len(),
        created,
        "one message per alert, no SDK retry copy"
    );
    s.evaluate(now + Duration::seconds(90)).await;
    let again = s.inbox.drain().await;
    assert_eq!(again.len(), 1, "the pending alert, once more");
    let id_of = |e: &Value| {
        let attr = attribute(e, "alert_id").to_string();
        assert_eq!(
            alert_json(e)["alert_id"],
            attr.as_str(),
            "the same id in the JSON form"
        );
        attr
    };
    let first_ids: Vec<String> = arrived.iter().map(id_of).collect();
    assert!(
        first_ids.contains(&id_of(&again[0])),
        "the duplicate carries the alert_id of the copy already delivered"
    );
}

/// An alert on an app client carries what the trail saw of its pool in the same period: the
/// top failing IPs, the client's error codes, about how many users failed, and the brute
/// force raised for the pool; an evaluator without a trail table says so in one line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_carries_the_trails_evidence_of_the_same_period() {
    let s = setup(&["web", "mobile"]).await;
    let at = minute();
    s.every_client_failing(at - Duration::minutes(8)).await;
    s.collect(at).await;
    let trail = s.aws.trail(&s.inbox.topic_arn, &[]).await;
    let when = cognito_watch_core::trail::window_of(at) - Duration::minutes(5);
    let mut records = Vec::new();
    for n in 0..60 {
        records.push(cognito_watch_testbed::traffic::initiate_auth(
            &format!("x-{n}"),
            when + Duration::seconds(n),
            &s.clients[0],
            "203.0.113.9",
            &format!("user-{}", n % 4),
            Some("NotAuthorizedException"),
            None,
        ));
    }
    for n in 0..3 {
        records.push(cognito_watch_testbed::traffic::initiate_auth(
            &format!("y-{n}"),
            when + Duration::seconds(n),
            &s.clients[0],
            "198.51.100.2",
            "user-9",
            Some("UserNotFoundException"),
            None,
        ));
    }
    let texts: Vec<String> = records.iter().map(Value::to_string).collect();
    trail
        .handle(
            cognito_watch_testbed::traffic::logs_event(
                &cognito_watch_testbed::traffic::logs_batch("trail", "s", 1, &texts),
            ),
            None,
        )
        .await
        .unwrap();
    s.inbox.drain().await; // the brute force detection itself

    // The pool's trail is read once for the period, however many of its alerts carry it.
    s.aws.moto.arm(
        &cognito_watch_testbed::Fault::on(&["GetItem"])
            .and_matching("\"TableName\":\"trail\"")
            .watch(),
    );
    s.evaluate(at).await;
    let trail_reads = s.aws.moto.seen();
    s.aws.moto.disarm();
    let alerts = s.inbox.drain().await;
    let carrying = alerts
        .iter()
        .filter(|e| alert_json(e)["trail_evidence"]["trail"] == "seen")
        .count();
    assert_eq!(carrying, 2, "both clients' alerts: {alerts:#?}");
    assert_eq!(
        trail_reads,
        vec![1],
        "one look-up of the pool for both alerts"
    );
    let web = alerts
        .iter()
        .find(|e| attribute(e, "monitor_id").ends_with(s.clients[0].as_str()))
        .map(alert_json)
        .unwrap_or_else(|| panic!("no client alert: {alerts:#?}"));
    let evidence = &web["trail_evidence"];
    assert_eq!(evidence["trail"], "seen", "{web}");
    assert_eq!(evidence["client_id"], s.clients[0].as_str());
    assert_eq!(
        (evidence["requests"].clone(), evidence["failures"].clone()),
        (63.into(), 63.into())
    );
    assert_eq!(evidence["failing_ips"][0]["name"], "203.0.113.9");
    assert_eq!(evidence["failing_ips"][0]["count"], 60);
    assert_eq!(evidence["failing_ips"][1]["name"], "198.51.100.2");
    assert_eq!(evidence["error_codes"][0]["name"], "NotAuthorizedException");
    assert_eq!(evidence["error_codes"][1]["count"], 3);
    assert_eq!(evidence["distinct_users_failing"], 5);
    assert_eq!(evidence["detections"][0]["detection"], "brute_force");
    // The email text says the same, in lines.
    let stored = s.stored_alerts().await;
    let alert = &stored
        .iter()
        .find(|a| a.alert.kind == MonitorKind::AppClient)
        .unwrap()
        .alert;
    let found = s.evaluator.evidence(alert).await;
    let text = cognito_watch_core::alerting::message::text(alert, found.as_ref());
    assert!(
        text.contains("top failing IPs in the pool: 203.0.113.9 ×60, 198.51.100.2 ×3"),
        "{text}"
    );
    // Without a trail table: one line saying so.
    let mut config = cognito_watch_testbed::evaluator_config(&s.inbox.topic_arn);
    config.trail_table = None;
    let unwired = Evaluator::new(config, &s.aws.sdk);
    let found = unwired.evidence(alert).await;
    let lines = found.as_ref().map(|e| e.lines()).unwrap_or_default();
    assert_eq!(lines.len(), 1);
    assert!(lines[0].starts_with("no trail input is wired"), "{lines:?}");
}
