use chrono::{Duration, DurationRound, Utc};
use cognito_watch_aws::store::StateStore;
use cognito_watch_core::monitor::{MonitorDetails, MonitorId, PollOutcome};
use cognito_watch_testbed::{collector_config, seed, Moto};
use collector::{Collector, CollectorRequest};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovers_a_pool_and_reads_its_metrics() {
    let moto = Moto::start().expect("moto");
    let sdk = moto.sdk_config().await;
    let cfg = collector_config(&[]);
    let store = StateStore::new(&sdk, cfg.tables.clone());
    store.create_tables().await.expect("tables");
    let idp = aws_sdk_cognitoidentityprovider::Client::new(&sdk);
    let cw = aws_sdk_cloudwatch::Client::new(&sdk);
    let pool = seed::user_pool(&idp, "shop").await.unwrap();
    let web = seed::app_client(&idp, &pool, "web", false).await.unwrap();
    seed::identity_provider(&idp, &pool, "Okta").await.unwrap();
    seed::user(&idp, &pool, "alice").await.unwrap();
    let at = (Utc::now() - Duration::minutes(5))
        .duration_trunc(Duration::minutes(1))
        .unwrap();
    let dims = [
        ("UserPool", pool.as_str()),
        ("UserPoolClient", web.as_str()),
    ];
    seed::put(
        &cw,
        vec![
            seed::requests("SignInSuccesses", &dims, at, 8, 2),
            seed::requests("SignInSuccesses", &dims, at - Duration::minutes(1), 5, 5),
            seed::throttles("SignInThrottles", &dims, at, 4),
        ],
    )
    .await
    .unwrap();

    let collector = Collector::new(cfg, sdk.clone());
    let report = collector
        .run(&CollectorRequest::default(), Utc::now(), None)
        .await
        .expect("poll");
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
    let client = store
        .get_monitor(&MonitorId::AppClient {
            pool: pool.clone(),
            client_id: web.clone(),
        })
        .await
        .unwrap()
        .expect("client monitor");
    assert_eq!(client.poll.outcome, PollOutcome::Ok);
    assert_eq!(client.metrics["SignInTotal"], 20.0);
    assert_eq!(client.metrics["SignInSuccesses"], 13.0);
    assert_eq!(client.metrics["SignInFailed"], 7.0);
    assert_eq!(client.metrics["SignInThrottles"], 4.0);
    let MonitorDetails::AppClient(d) = &client.details else {
        panic!()
    };
    assert_eq!(d.read_attributes, vec!["email", "name"]);
}
