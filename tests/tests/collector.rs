//! The collector on the local AWS test bed: real pools, clients, IdPs, users, identity pools and
//! Cognito-shaped datapoints in moto; the handler runs; DynamoDB is read back through the SDK.

use chrono::{DateTime, Duration, DurationRound, Utc};
use cognito_watch_core::inventory::monitor::{MonitorDetails, MonitorKind, PollOutcome};
use cognito_watch_testbed::{seed, LocalAws};
use collector::{sweep_deadline, CollectorRequest, Task};

fn minute_ago(n: i64) -> DateTime<Utc> {
    (Utc::now() - Duration::minutes(n))
        .duration_trunc(Duration::minutes(1))
        .unwrap()
}

fn tasks(t: &[Task]) -> CollectorRequest {
    CollectorRequest {
        tasks: Some(t.to_vec()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_of_every_kind_is_read_with_the_right_statistic() {
    let aws = LocalAws::start().await;
    let (pool, web) = seed::pool_with_client(&aws.idp, "shop", "web")
        .await
        .unwrap();
    let m2m = seed::app_client(&aws.idp, &pool, "orders", true)
        .await
        .unwrap();
    seed::identity_provider(&aws.idp, &pool, "Okta")
        .await
        .unwrap();
    seed::user(&aws.idp, &pool, "alice").await.unwrap();
    seed::user(&aws.idp, &pool, "bob").await.unwrap();
    let idpool = seed::identity_pool(&aws.identity, "ids", &pool, &web)
        .await
        .unwrap();
    seed::identity(&aws.identity, &idpool).await.unwrap();
    seed::identity(&aws.identity, &idpool).await.unwrap();
    let (t1, t2) = (minute_ago(4), minute_ago(5));
    let c = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", web.as_str()),
    ];
    let admin = [("UserPool", pool.as_str()), ("UserPoolClient", "Admin")];
    let fed_web = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", web.as_str()),
        ("IdentityProvider", "Okta"),
    ];
    let fed_m2m = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", m2m.as_str()),
        ("IdentityProvider", "Okta"),
    ];
    let risk = [
        ("UserPoolId", pool.as_str()),
        ("Operation", "SignIn"),
        ("RiskLevel", "High"),
    ];
    seed::put(
        &aws.cw,
        vec![
            seed::requests("SignUpSuccesses", &c, t1, 3, 1),
            seed::throttles("SignUpThrottles", &c, t1, 1),
            seed::requests("SignInSuccesses", &c, t1, 8, 2),
            seed::requests("SignInSuccesses", &c, t2, 5, 5),
            seed::throttles("SignInThrottles", &c, t1, 4),
            seed::throttles("SignInThrottles", &c, t2, 9),
            seed::requests("TokenRefreshSuccesses", &c, t1, 20, 0),
            seed::throttles("TokenRefreshThrottles", &c, t2, 2),
            seed::requests("SignUpSuccesses", &admin, t1, 6, 2),
            seed::throttles("SignUpThrottles", &admin, t1, 3),
            seed::requests("FederationSuccesses", &fed_web, t1, 4, 1),
            seed::requests("FederationSuccesses", &fed_m2m, t2, 2, 3),
            seed::throttles("FederationThrottles", &fed_web, t1, 1),
            seed::throttles("AccountTakeOverRisk", &risk, t1, 2),
        ],
    )
    .await
    .unwrap();

    let report = aws
        .collector(&[])
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .expect("poll");
    let log = &report.scopes[0];
    assert!(log.errors.is_empty(), "{:?}", log.errors);

    let client = aws.monitor(&format!("appclient/{pool}/{web}")).await;
    let v = &client.metrics;
    assert_eq!(client.poll.outcome, PollOutcome::Ok);
    // Sign up: Sum, SampleCount, Average as %, SampleCount - Sum, Throttles Sum.
    assert_eq!(
        (
            v["SignUpSuccesses"],
            v["SignUpTotal"],
            v["SignUpSuccessPercentage"],
            v["SignUpFailed"],
            v["SignUpThrottles"]
        ),
        (3.0, 4.0, 75.0, 1.0, 1.0)
    );
    // Sign in over two minutes: totals added across periods, percentage from the totals.
    assert_eq!(
        (
            v["SignInSuccesses"],
            v["SignInTotal"],
            v["SignInSuccessPercentage"],
            v["SignInFailed"]
        ),
        (13.0, 20.0, 65.0, 7.0)
    );
    assert_eq!(
        (v["SignInThrottles"], v["SignInThrottlesPeakMinute"]),
        (13.0, 9.0)
    );
    assert_eq!(
        (
            v["TokenRefreshSuccesses"],
            v["TokenRefreshTotal"],
            v["TokenRefreshFailed"],
            v["TokenRefreshThrottles"]
        ),
        (20.0, 20.0, 0.0, 2.0)
    );
    // The M2M client had no traffic: no data, not zeros.
    let idle = aws.monitor(&format!("appclient/{pool}/{m2m}")).await;
    assert!(
        idle.metrics.keys().all(|k| !k.starts_with("SignIn")),
        "{:?}",
        idle.metrics
    );
    let MonitorDetails::AppClient(d) = &idle.details else {
        panic!()
    };
    assert!(d.is_m2m() && d.has_secret);
    // Identity provider: summed over the pool's clients.
    let idp = aws.monitor(&format!("idp/{pool}/Okta")).await;
    assert_eq!(
        (
            idp.metrics["FederationSuccesses"],
            idp.metrics["FederationTotal"],
            idp.metrics["FederationFailed"]
        ),
        (6.0, 10.0, 4.0)
    );
    assert_eq!(idp.metrics["FederationSuccessPercentage"], 60.0);
    assert_eq!(idp.metrics["FederationThrottles"], 1.0);
    let MonitorDetails::IdentityProvider(d) = &idp.details else {
        panic!()
    };
    assert_eq!(d.provider_type, "OIDC");
    assert_eq!(
        d.attribute_mapping.get("email").map(String::as_str),
        Some("email")
    );
    // User pool: inventory counts and the Admin client's sign-ups; threat protection.
    let up = aws.monitor(&format!("userpool/{pool}")).await;
    let u = &up.metrics;
    assert_eq!(
        (u["AppClients"], u["FederatedIdentityProviders"]),
        (2.0, 1.0)
    );
    assert!(u.contains_key("NumberOfUsers"));
    assert_eq!(
        (
            u["AdminSignUpSuccesses"],
            u["AdminSignUpTotal"],
            u["AdminSignUpSuccessPercentage"],
            u["AdminSignUpFailed"],
            u["AdminSignUpThrottles"]
        ),
        (6.0, 8.0, 75.0, 2.0, 3.0)
    );
    assert_eq!(
        (u["AccountTakeoverRisk"], u["AccountTakeoverRiskHigh"]),
        (2.0, 2.0)
    );
    let MonitorDetails::UserPool(d) = &up.details else {
        panic!()
    };
    assert_eq!(d.user_census.as_ref().map(|c| c.listed), Some(2));
    assert!(d.arn.starts_with("arn:aws:cognito-idp:"));
    // Users: attributes with their verification flags.
    let alice = aws.monitor(&format!("user/{pool}/alice")).await;
    let MonitorDetails::User(d) = &alice.details else {
        panic!()
    };
    let email = d.attributes.iter().find(|a| a.name == "email").unwrap();
    assert_eq!(
        (email.value.as_str(), email.verified),
        ("alice@example.com", Some(true))
    );
    assert_eq!(alice.metrics["Enabled"], 1.0);
    // Identity pool: counts from ListIdentities, providers from DescribeIdentityPool.
    let ip = aws.monitor(&format!("identitypool/{idpool}")).await;
    assert_eq!(ip.metrics["TotalIdentities"], 2.0);
    assert_eq!(ip.metrics["TotalIdentityProviders"], 2.0);
    // History (Log Report) and poll log were written.
    assert_eq!(
        aws.store.history(&client.monitor_id).await.unwrap().len(),
        1
    );
    let polls = aws
        .store
        .poll_log(&cognito_watch_aws::Scope {
            account: log.account.clone(),
            region: log.region.clone(),
        })
        .await
        .unwrap();
    assert_eq!(polls.len(), 1);
    assert_eq!(
        polls[0].calls["GetMetricData"], 1,
        "one GetMetricData call for the whole poll"
    );
    println!("calls of one poll: {:?}", polls[0].calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_past_sixty_of_everything() {
    let aws = LocalAws::start().await;
    let big = seed::user_pool(&aws.idp, "big").await.unwrap();
    let mut client_ids = Vec::new();
    for i in 0..61 {
        client_ids.push(
            seed::app_client(&aws.idp, &big, &format!("c{i}"), false)
                .await
                .unwrap(),
        );
        seed::identity_provider(&aws.idp, &big, &format!("idp{i}"))
            .await
            .unwrap();
        seed::user(&aws.idp, &big, &format!("user{i}"))
            .await
            .unwrap();
    }
    for i in 0..60 {
        seed::user_pool(&aws.idp, &format!("pool{i}"))
            .await
            .unwrap();
    }
    // moto does not page ListIdentityPools / ListIdentities ("MaxResults not implemented"):
    // paging those is proven at the SDK level in identity_pools.rs.
    let idpool = seed::identity_pool(&aws.identity, "ids", &big, &client_ids[0])
        .await
        .unwrap();
    let report = aws
        .collector(&[])
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .expect("poll");
    let log = &report.scopes[0];
    println!("calls: {:?}", log.calls);
    assert_eq!(log.calls["ListUserPools"], 2, "61 pools = 2 pages");
    assert_eq!(
        log.calls["ListUserPoolClients"],
        61 + 1,
        "61 clients in one pool = 2 pages"
    );
    assert_eq!(log.calls["ListIdentityProviders"], 61 + 1);
    assert_eq!(log.calls["ListUsers"], 61 + 1);
    assert_eq!(
        log.calls["ListTagsForResource"], 1,
        "an optional call failing is not repeated in the poll"
    );
    let estate = aws.store.load_estate().await.unwrap();
    let count = |k: MonitorKind| estate.iter().filter(|m| m.kind == k).count();
    assert_eq!(count(MonitorKind::UserPool), 61);
    assert_eq!(count(MonitorKind::AppClient), 61);
    assert_eq!(count(MonitorKind::IdentityProvider), 61);
    assert_eq!(count(MonitorKind::User), 61);
    assert_eq!(count(MonitorKind::IdentityPool), 1);
    assert!(aws
        .monitor(&format!("identitypool/{idpool}"))
        .await
        .metrics
        .contains_key("TotalIdentityProviders"));
    assert_eq!(
        aws.monitor(&format!("userpool/{big}")).await.metrics["AppClients"],
        61.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_pool_is_marked_deleted_not_dropped() {
    let aws = LocalAws::start().await;
    let keep = seed::user_pool(&aws.idp, "keep").await.unwrap();
    let gone = seed::user_pool(&aws.idp, "gone").await.unwrap();
    let client = seed::app_client(&aws.idp, &gone, "web", false)
        .await
        .unwrap();
    let collector = aws.collector(&[]);
    collector
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .unwrap();
    aws.idp
        .delete_user_pool()
        .user_pool_id(&gone)
        .send()
        .await
        .unwrap();
    let report = collector
        .run(&tasks(&[Task::Inventory, Task::Metrics]), Utc::now(), None)
        .await
        .unwrap();
    assert_eq!(
        report.scopes[0].monitors_deleted, 2,
        "the pool and its client"
    );
    let pool = aws.monitor(&format!("userpool/{gone}")).await;
    assert_eq!(pool.poll.outcome, PollOutcome::Deleted);
    assert!(pool.deleted_at.is_some());
    assert_eq!(
        aws.monitor(&format!("appclient/{gone}/{client}"))
            .await
            .poll
            .outcome,
        PollOutcome::Deleted
    );
    assert_eq!(
        aws.monitor(&format!("userpool/{keep}")).await.poll.outcome,
        PollOutcome::Ok
    );
    // Still listed in the estate, marked.
    let estate = aws.store.load_estate().await.unwrap();
    assert!(estate
        .iter()
        .any(|m| m.monitor_id == format!("userpool/{gone}") && m.is_deleted()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_optional_call_is_noted_and_stales_nothing() {
    let aws = LocalAws::start().await;
    for name in ["a", "b", "c"] {
        seed::user_pool(&aws.idp, name).await.unwrap();
    }
    let (pool, client) = seed::pool_with_client(&aws.idp, "d", "web").await.unwrap();
    seed::identity_pool(&aws.identity, "ids", &pool, &client)
        .await
        .unwrap();
    let report = aws
        .collector(&[])
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .unwrap();
    let log = &report.scopes[0];
    // moto answers ListTagsForResource and GetIdentityPoolRoles with HTTP 500.
    assert_eq!(log.calls["ListTagsForResource"], 1);
    assert!(
        log.notes.iter().any(|n| n.contains("ListTagsForResource")),
        "{:?}",
        log.notes
    );
    assert!(
        log.notes.iter().any(|n| n.contains("GetIdentityPoolRoles")),
        "{:?}",
        log.notes
    );
    assert_eq!(log.monitors_stale, 0);
    assert!(log.errors.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_than_500_queries_go_in_several_calls() {
    let aws = LocalAws::start().await;
    let pool = seed::user_pool(&aws.idp, "wide").await.unwrap();
    let at = minute_ago(4);
    let mut data = Vec::new();
    let mut clients = Vec::new();
    // 56 clients x 3 families x (Sum + SampleCount + Throttles) = 504 queries.
    for i in 0..56 {
        let c = seed::app_client(&aws.idp, &pool, &format!("c{i}"), false)
            .await
            .unwrap();
        let d = [("UserPool", pool.as_str()), ("UserPoolClient", c.as_str())];
        for fam in ["SignUp", "SignIn", "TokenRefresh"] {
            data.push(seed::requests(&format!("{fam}Successes"), &d, at, i + 1, 1));
            data.push(seed::throttles(&format!("{fam}Throttles"), &d, at, 1));
        }
        clients.push(c);
    }
    seed::put(&aws.cw, data).await.unwrap();
    let report = aws
        .collector(&[])
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .unwrap();
    let log = &report.scopes[0];
    assert_eq!(log.metric_queries, 504);
    assert_eq!(
        log.calls["GetMetricData"], 2,
        "504 queries = 2 calls of at most 500"
    );
    for (i, c) in clients.iter().enumerate() {
        let m = aws.monitor(&format!("appclient/{pool}/{c}")).await;
        assert_eq!(
            m.metrics["TokenRefreshSuccesses"],
            (i + 1) as f64,
            "client {i}"
        );
        assert_eq!(m.metrics["SignUpFailed"], 1.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_sweeps_resume_from_their_checkpoint_and_respect_the_cap() {
    let aws = LocalAws::start().await;
    let pool = seed::user_pool(&aws.idp, "many").await.unwrap();
    for i in 0..65 {
        seed::user(&aws.idp, &pool, &format!("u{i:02}"))
            .await
            .unwrap();
    }
    let collector = aws.collector(&[("SWEEP_PAGES_PER_RUN", "1"), ("MAX_USER_MONITORS", "10")]);
    let now = Utc::now();
    let first = collector
        .run(&CollectorRequest::default(), now, None)
        .await
        .unwrap();
    assert_eq!(first.scopes[0].calls["ListUsers"], 1);
    let swept = collector.progress.snapshot().users_swept;
    assert!(
        (1..65).contains(&swept),
        "one page of users counted for the progress line: {swept}"
    );
    assert!(
        first.scopes[0]
            .notes
            .iter()
            .any(|n| n.contains("paused after 1 pages")),
        "{:?}",
        first.scopes[0].notes
    );
    let up = aws.monitor(&format!("userpool/{pool}")).await;
    let MonitorDetails::UserPool(d) = &up.details else {
        panic!()
    };
    assert!(d.user_census.is_none(), "no census until a sweep completes");
    // The next run resumes (the sweep is in progress, so users is due).
    let second = collector
        .run(
            &CollectorRequest::default(),
            now + Duration::minutes(1),
            None,
        )
        .await
        .unwrap();
    assert!(second.scopes[0].tasks.contains(&"users".to_string()));
    assert_eq!(second.scopes[0].calls["ListUsers"], 1);
    let up = aws.monitor(&format!("userpool/{pool}")).await;
    let MonitorDetails::UserPool(d) = &up.details else {
        panic!()
    };
    let census = d
        .user_census
        .as_ref()
        .expect("census after the second page");
    assert_eq!(
        (census.listed, census.monitored, census.enabled),
        (65, 10, 65)
    );
    assert_eq!(collector.progress.snapshot().users_swept, 65);
    let users = aws
        .store
        .load_estate()
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.kind == MonitorKind::User)
        .count();
    assert_eq!(users, 10, "user monitors capped");
    // Users deleted since are marked at the end of the next complete sweep.
    let estate = aws.store.load_estate().await.unwrap();
    let victim = estate
        .iter()
        .find(|m| m.kind == MonitorKind::User)
        .unwrap()
        .name
        .clone();
    aws.idp
        .admin_delete_user()
        .user_pool_id(&pool)
        .username(&victim)
        .send()
        .await
        .unwrap();
    let c2 = aws.collector(&[("MAX_USER_MONITORS", "10")]);
    c2.run(&tasks(&[Task::Users]), now + Duration::minutes(2), None)
        .await
        .unwrap();
    assert_eq!(
        aws.monitor(&format!("user/{pool}/{victim}"))
            .await
            .poll
            .outcome,
        PollOutcome::Deleted
    );
    let _ = sweep_deadline(now, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_continue_where_the_previous_poll_ended() {
    let aws = LocalAws::start().await;
    let (pool, c) = seed::pool_with_client(&aws.idp, "p", "web").await.unwrap();
    let d = [("UserPool", pool.as_str()), ("UserPoolClient", c.as_str())];
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    seed::put(
        &aws.cw,
        vec![seed::requests(
            "SignInSuccesses",
            &d,
            now - Duration::minutes(10),
            1,
            1,
        )],
    )
    .await
    .unwrap();
    let collector = aws.collector(&[]);
    // First poll, as if it ran 4 minutes ago: reads [now-20, now-5).
    collector
        .run(
            &CollectorRequest::default(),
            now - Duration::minutes(4),
            None,
        )
        .await
        .unwrap();
    let m = aws.monitor(&format!("appclient/{pool}/{c}")).await;
    let w1 = m.metrics_window.unwrap();
    assert_eq!(w1.duration(), Duration::minutes(15));
    assert_eq!(m.metrics["SignInTotal"], 2.0);
    // A datapoint in the next window only.
    seed::put(
        &aws.cw,
        vec![seed::requests(
            "SignInSuccesses",
            &d,
            now - Duration::minutes(3),
            5,
            0,
        )],
    )
    .await
    .unwrap();
    collector
        .run(&tasks(&[Task::Metrics]), now, None)
        .await
        .unwrap();
    let m = aws.monitor(&format!("appclient/{pool}/{c}")).await;
    let w2 = m.metrics_window.unwrap();
    assert_eq!(w2.start, w1.end, "windows tile");
    assert_eq!(
        m.metrics["SignInTotal"], 5.0,
        "the earlier datapoint is not counted twice"
    );
    assert_eq!(m.metrics["SignInFailed"], 0.0);
    assert_eq!(aws.store.history(&m.monitor_id).await.unwrap().len(), 2);
}

/// A poll of a small estate answered at the SDK's HTTP layer (`estate::StubAws`: the real SDK
/// clients, the transport replaced) makes exactly the calls of the documented formula, counts
/// them in the poll log, and stays within half of every Cognito quota, per account and per pool
/// (before the pacer, a pool's client reads could reach 3 in a second against its half quota
/// of 2.5: the per-pool budget let a request through, then the account's held it back).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_makes_the_formulas_calls_within_half_of_every_quota() {
    use cognito_watch_core::inventory::quota::{self, EstateShape};
    use cognito_watch_testbed::estate::{self, Estate};
    let estate = Estate {
        pools: 6,
        clients: 4,
        providers: 2,
    };
    let (log, seen, _) = estate::poll(estate, 0.5).await.expect("poll");
    assert!(log.errors.is_empty(), "{:?}", log.errors);
    assert_eq!(log.monitors_new, 6 + 6 * 4 + 6 * 2);

    let (wire, _) = estate::calls_by_operation(&seen);
    let mut expected = quota::inventory_calls(&EstateShape {
        user_pools: vec![(4, 2); 6],
        identity_pools: 0,
    });
    // 6 series per client, 2 per provider; queries: the planner's count, in one call
    expected.extend(quota::metrics_calls(
        6 * (4 * 6 + 2 * 2),
        log.metric_queries,
    ));
    let expected: std::collections::BTreeMap<String, u64> = expected
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    assert_eq!(wire, expected, "the calls on the wire are the formula's");
    assert_eq!(
        log.calls, expected,
        "the poll log counts what went over the wire"
    );
    assert!(log.metric_queries > 0);
    assert_eq!(expected["GetMetricData"], 1);

    let uses = estate::quota_use(&seen, 0.5);
    let client_reads = uses
        .iter()
        .find(|u| u.category == "UserPoolClientRead")
        .expect("client reads were made");
    assert_eq!(client_reads.calls, 6 * 5);
    assert!(client_reads.busiest_second_of_a_pool.is_some());
    for u in &uses {
        assert!(u.within_half(), "{u:?}");
    }
}
