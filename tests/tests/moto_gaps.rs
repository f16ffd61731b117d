//! What moto cannot show, while DynamoDB (and where used, Cognito user pools) stay real on
//! moto: identity pool paging and the authenticated/unauthenticated split (moto drops
//! `Logins`), answered over HTTP in AWS's JSON, and GetMetricData failing then recovering, at
//! the SDK level with aws-smithy-mocks.

use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
use aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{Duration, DurationRound, Utc};
use cognito_watch_core::inventory::monitor::{MonitorDetails, PollOutcome};
use cognito_watch_testbed::{estate, seed, LocalAws};
use collector::{CollectorRequest, Task};
use serde_json::{json, Value};

/// One poll of the local AWS's scope with these (partly mocked) clients, five minutes to spare.
async fn poll(
    collector: &collector::Collector,
    clients: cognito_watch_aws::ScopeClients,
    request: &CollectorRequest,
    at: chrono::DateTime<Utc>,
) -> cognito_watch_core::inventory::record::PollLog {
    collector
        .poll(clients, request, at, at + Duration::minutes(5))
        .await
        .unwrap()
}

/// Cognito identity pools as AWS answers them (awsJson 1.1), for the operations the collector
/// calls: 61 pools in two pages, each with 61 identities in two pages, two thirds of them with
/// `Logins`.
fn identity_pools(operation: &str, input: &Value) -> Value {
    let pool_id = |i: usize| format!("us-east-1:{i:08}-aaaa-bbbb-cccc-000000000000");
    let second_page = input.get("NextToken").is_some();
    match operation {
        "ListIdentityPools" => {
            let range = if second_page { 60..61 } else { 0..60 };
            let pools: Vec<Value> = range
                .map(
                    |i| json!({"IdentityPoolId": pool_id(i), "IdentityPoolName": format!("ip{i}")}),
                )
                .collect();
            let mut page = json!({ "IdentityPools": pools });
            if !second_page {
                page["NextToken"] = json!("page2");
            }
            page
        }
        "DescribeIdentityPool" => json!({
            "IdentityPoolId": input["IdentityPoolId"], "IdentityPoolName": "ip",
            "AllowUnauthenticatedIdentities": true,
            "SupportedLoginProviders": {"accounts.google.com": "app"},
            "DeveloperProviderName": "login.example",
            "OpenIdConnectProviderARNs": ["arn:aws:iam::123456789012:oidc-provider/issuer.example.com"],
        }),
        "GetIdentityPoolRoles" => json!({
            "IdentityPoolId": input["IdentityPoolId"],
            "Roles": {
                "authenticated": "arn:aws:iam::123456789012:role/Auth",
                "unauthenticated": "arn:aws:iam::123456789012:role/Unauth",
            },
            "RoleMappings": {"accounts.google.com": {
                "Type": "Rules",
                "RulesConfiguration": {"Rules": [{
                    "Claim": "groups", "MatchType": "Contains", "Value": "admins",
                    "RoleARN": "arn:aws:iam::123456789012:role/Admin",
                }]},
            }},
        }),
        "ListIdentities" => {
            let range = if second_page { 60..61 } else { 0..60 };
            let identities: Vec<Value> = range
                .map(|i| {
                    let logins: &[&str] = match i % 3 {
                        0 => &[],
                        1 => &["accounts.google.com"],
                        _ => &["login.example", "accounts.google.com"],
                    };
                    let mut identity = json!({
                        "IdentityId": format!("us-east-1:{i:08}-0000-0000-0000-000000000000"),
                        "CreationDate": 1_700_000_000 + i,
                        "LastModifiedDate": 1_700_100_000.5 + i as f64,
                    });
                    if !logins.is_empty() {
                        identity["Logins"] = json!(logins);
                    }
                    identity
                })
                .collect();
            let mut page =
                json!({ "IdentityPoolId": input["IdentityPoolId"], "Identities": identities });
            if !second_page {
                page["NextToken"] = json!("more");
            }
            page
        }
        other => panic!("the collector called {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_pools_page_and_split_authenticated_from_unauthenticated() {
    let aws = LocalAws::start().await;
    let pool_id = |i: usize| format!("us-east-1:{i:08}-aaaa-bbbb-cccc-000000000000");
    // Identity pools answered over HTTP in AWS's JSON (moto drops `Logins`); everything else
    // (user pools, CloudWatch, DynamoDB) is moto's.
    let answers = estate::json_answers(identity_pools);
    let mut clients = aws.scope_clients();
    let config = aws.sdk.to_builder().http_client(answers).build();
    // Counted into the scope's counts, as the scope's own client is.
    clients.identity = aws_sdk_cognitoidentity::Client::from_conf(
        aws_sdk_cognitoidentity::config::Builder::from(&config)
            .interceptor(clients.calls.interceptor())
            .build(),
    );
    let collector = aws.collector(&[]);
    let now = Utc::now();
    let log = poll(&collector, clients, &CollectorRequest::default(), now).await;
    assert_eq!(log.calls["ListIdentityPools"], 2);
    assert_eq!(
        log.calls["ListIdentities"],
        61 * 2,
        "two pages per identity pool"
    );
    let ip = aws.monitor(&format!("identitypool/{}", pool_id(60))).await;
    assert_eq!(ip.poll.outcome, PollOutcome::Ok);
    assert_eq!(
        (
            ip.metrics["TotalIdentities"],
            ip.metrics["AuthenticatedIdentities"],
            ip.metrics["UnauthenticatedIdentities"]
        ),
        (61.0, 40.0, 21.0)
    );
    assert_eq!(
        ip.metrics["TotalIdentityProviders"], 3.0,
        "login provider + OIDC + developer provider"
    );
    let MonitorDetails::IdentityPool(d) = &ip.details else {
        panic!()
    };
    let census = d.identity_census.as_ref().unwrap();
    assert_eq!(census.per_provider["accounts.google.com"], 40);
    assert_eq!(census.per_provider["login.example"], 20);
    assert_eq!(census.sample.len(), 50);
    assert_eq!(
        d.roles["authenticated"],
        "arn:aws:iam::123456789012:role/Auth"
    );
    let mappings: serde_json::Value =
        serde_json::from_str(d.role_mappings.as_deref().unwrap()).unwrap();
    assert_eq!(
        mappings["accounts.google.com"]["rules"][0]["claim"],
        "groups"
    );
    assert_eq!(aws.store.load_estate().await.unwrap().len(), 61);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_get_metric_data_stales_its_monitors_and_loses_nothing() {
    let aws = LocalAws::start().await;
    let (pool, client) = seed::pool_with_client(&aws.idp, "p", "web").await.unwrap();
    let collector = aws.collector(&[]);
    let now = Utc::now().duration_trunc(Duration::minutes(1)).unwrap();
    let series = Metric::builder()
        .namespace("AWS/Cognito")
        .metric_name("SignInSuccesses")
        .dimensions(Dimension::builder().name("UserPool").value(&pool).build())
        .dimensions(
            Dimension::builder()
                .name("UserPoolClient")
                .value(&client)
                .build(),
        )
        .build();
    let list = mock!(aws_sdk_cloudwatch::Client::list_metrics)
        .then_output(move || ListMetricsOutput::builder().metrics(series.clone()).build());
    let throttled = mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_error(|| {
        GetMetricDataError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("Throttling")
                .message("Rate exceeded")
                .build(),
        )
    });
    let mut clients = aws.scope_clients();
    clients.cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &throttled]);
    let log = poll(&collector, clients, &CollectorRequest::default(), now).await;
    assert!(
        log.errors.iter().any(|e| e.contains("Throttling")),
        "{:?}",
        log.errors
    );
    let m = aws.monitor(&format!("appclient/{pool}/{client}")).await;
    assert_eq!(m.poll.outcome, PollOutcome::Stale);
    assert!(m
        .poll
        .reason
        .as_deref()
        .unwrap()
        .contains("GetMetricData: Throttling: Rate exceeded"));
    let w0 = m.metrics_window.unwrap();
    assert_eq!(
        w0.start, w0.end,
        "the window did not advance: it only marks where reading starts"
    );
    assert_eq!(
        aws.monitor(&format!("userpool/{pool}")).await.poll.outcome,
        PollOutcome::Ok,
        "only the monitors of the failed call"
    );

    // CloudWatch recovers: the next poll reads everything since the last good window.
    let t = now - Duration::minutes(12);
    let answer =
        mock!(aws_sdk_cloudwatch::Client::get_metric_data).then_compute_output(move |req| {
            let results = req
                .metric_data_queries()
                .iter()
                .map(|q| {
                    let stat = q.metric_stat().and_then(|s| s.stat()).unwrap_or_default();
                    let v = if stat == "Sum" { 6.0 } else { 10.0 };
                    MetricDataResult::builder()
                        .id(q.id().unwrap_or_default())
                        .timestamps(aws_smithy_types::DateTime::from_secs(t.timestamp()))
                        .values(v)
                        .build()
                })
                .collect();
            GetMetricDataOutput::builder()
                .set_metric_data_results(Some(results))
                .build()
        });
    let mut clients = aws.scope_clients();
    clients.cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &answer]);
    let later = now + Duration::minutes(5);
    let req = CollectorRequest {
        tasks: Some(vec![Task::Metrics]),
        ..Default::default()
    };
    poll(&collector, clients, &req, later).await;
    let m = aws.monitor(&format!("appclient/{pool}/{client}")).await;
    assert_eq!(m.poll.outcome, PollOutcome::Ok);
    let w = m.metrics_window.unwrap();
    assert_eq!(
        w.start,
        now - Duration::minutes(1) - Duration::minutes(15),
        "starts where a first poll would have"
    );
    assert_eq!(
        (m.metrics["SignInTotal"], m.metrics["SignInFailed"]),
        (10.0, 4.0)
    );
}
