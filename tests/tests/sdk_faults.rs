//! What moto cannot show, at the SDK level with aws-smithy-mocks, while DynamoDB (and where
//! used, Cognito) stay real on moto: identity pool paging and the authenticated/unauthenticated
//! split (moto drops `Logins`), and GetMetricData failing then recovering.

use aws_sdk_cloudwatch::operation::get_metric_data::{GetMetricDataError, GetMetricDataOutput};
use aws_sdk_cloudwatch::operation::list_metrics::ListMetricsOutput;
use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataResult};
use aws_sdk_cognitoidentity::operation::describe_identity_pool::DescribeIdentityPoolOutput;
use aws_sdk_cognitoidentity::operation::get_identity_pool_roles::GetIdentityPoolRolesOutput;
use aws_sdk_cognitoidentity::operation::list_identities::ListIdentitiesOutput;
use aws_sdk_cognitoidentity::operation::list_identity_pools::ListIdentityPoolsOutput;
use aws_sdk_cognitoidentity::types::{
    IdentityDescription, IdentityPoolShortDescription, MappingRule, MappingRuleMatchType,
    RoleMapping, RoleMappingType, RulesConfigurationType,
};
use aws_smithy_mocks::{mock, mock_client, RuleMode};
use chrono::{Duration, DurationRound, Utc};
use cognito_watch_core::inventory::monitor::{MonitorDetails, PollOutcome};
use cognito_watch_testbed::{seed, Bed};
use collector::{CollectorRequest, Task};

/// One poll of the bed's scope with these (partly mocked) clients, five minutes to spare.
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

fn identity(id: usize, logins: &[&str]) -> IdentityDescription {
    IdentityDescription::builder()
        .identity_id(format!("us-east-1:{id:08}-0000-0000-0000-000000000000"))
        .set_logins(if logins.is_empty() {
            None
        } else {
            Some(logins.iter().map(|s| s.to_string()).collect())
        })
        .creation_date(aws_smithy_types::DateTime::from_secs(
            1_700_000_000 + id as i64,
        ))
        .last_modified_date(aws_smithy_types::DateTime::from_secs(
            1_700_100_000 + id as i64,
        ))
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_pools_page_and_split_authenticated_from_unauthenticated() {
    let bed = Bed::start().await;
    let pool_id = |i: usize| format!("us-east-1:{i:08}-aaaa-bbbb-cccc-000000000000");
    // ListIdentityPools: 61 pools in two pages.
    let list_pools = mock!(aws_sdk_cognitoidentity::Client::list_identity_pools)
        .then_compute_output(move |req| {
            let (range, next) = if req.next_token().is_none() {
                (0..60, Some("page2"))
            } else {
                (60..61, None)
            };
            ListIdentityPoolsOutput::builder()
                .set_identity_pools(Some(
                    range
                        .map(|i| {
                            IdentityPoolShortDescription::builder()
                                .identity_pool_id(pool_id(i))
                                .identity_pool_name(format!("ip{i}"))
                                .build()
                        })
                        .collect(),
                ))
                .set_next_token(next.map(str::to_string))
                .build()
        });
    let describe = mock!(aws_sdk_cognitoidentity::Client::describe_identity_pool)
        .then_compute_output(|req| {
            DescribeIdentityPoolOutput::builder()
                .identity_pool_id(req.identity_pool_id().unwrap_or_default())
                .identity_pool_name("ip")
                .allow_unauthenticated_identities(true)
                .supported_login_providers("accounts.google.com", "app")
                .developer_provider_name("login.example")
                .open_id_connect_provider_arns(
                    "arn:aws:iam::123456789012:oidc-provider/issuer.example.com",
                )
                .build()
                .expect("valid output")
        });
    let rule = MappingRule::builder()
        .claim("groups")
        .match_type(MappingRuleMatchType::Contains)
        .value("admins")
        .role_arn("arn:aws:iam::123456789012:role/Admin")
        .build()
        .unwrap();
    let roles =
        mock!(aws_sdk_cognitoidentity::Client::get_identity_pool_roles).then_output(move || {
            GetIdentityPoolRolesOutput::builder()
                .roles("authenticated", "arn:aws:iam::123456789012:role/Auth")
                .roles("unauthenticated", "arn:aws:iam::123456789012:role/Unauth")
                .role_mappings(
                    "accounts.google.com",
                    RoleMapping::builder()
                        .r#type(RoleMappingType::Rules)
                        .rules_configuration(
                            RulesConfigurationType::builder()
                                .rules(rule.clone())
                                .build()
                                .unwrap(),
                        )
                        .build()
                        .unwrap(),
                )
                .build()
        });
    // ListIdentities: 61 identities in two pages, two thirds with Logins.
    let list_ids =
        mock!(aws_sdk_cognitoidentity::Client::list_identities).then_compute_output(|req| {
            let (range, next) = if req.next_token().is_none() {
                (0..60, Some("more"))
            } else {
                (60..61, None)
            };
            ListIdentitiesOutput::builder()
                .set_identities(Some(
                    range
                        .map(|i| {
                            identity(
                                i,
                                match i % 3 {
                                    0 => &[],
                                    1 => &["accounts.google.com"],
                                    _ => &["login.example", "accounts.google.com"],
                                },
                            )
                        })
                        .collect(),
                ))
                .set_next_token(next.map(str::to_string))
                .build()
        });
    let mut clients = bed.scope_clients();
    // The mocked client counts its calls into the scope's counts, as the real one does.
    let count = clients.calls.interceptor();
    clients.identity = mock_client!(
        aws_sdk_cognitoidentity,
        RuleMode::MatchAny,
        [&list_pools, &describe, &roles, &list_ids],
        move |c| c.interceptor(count.clone())
    );
    let collector = bed.collector(&[]);
    let now = Utc::now();
    let log = poll(&collector, clients, &CollectorRequest::default(), now).await;
    assert_eq!(log.calls["ListIdentityPools"], 2);
    assert_eq!(
        log.calls["ListIdentities"],
        61 * 2,
        "two pages per identity pool"
    );
    let ip = bed.monitor(&format!("identitypool/{}", pool_id(60))).await;
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
    assert_eq!(bed.store.load_estate().await.unwrap().len(), 61);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_get_metric_data_stales_its_monitors_and_loses_nothing() {
    let bed = Bed::start().await;
    let (pool, client) = seed::pool_with_client(&bed.idp, "p", "web").await.unwrap();
    let collector = bed.collector(&[]);
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
    let mut clients = bed.scope_clients();
    clients.cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &throttled]);
    let log = poll(&collector, clients, &CollectorRequest::default(), now).await;
    assert!(
        log.errors.iter().any(|e| e.contains("Throttling")),
        "{:?}",
        log.errors
    );
    let m = bed.monitor(&format!("appclient/{pool}/{client}")).await;
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
        bed.monitor(&format!("userpool/{pool}")).await.poll.outcome,
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
    let mut clients = bed.scope_clients();
    clients.cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, [&list, &answer]);
    let later = now + Duration::minutes(5);
    let req = CollectorRequest {
        tasks: Some(vec![Task::Metrics]),
        ..Default::default()
    };
    poll(&collector, clients, &req, later).await;
    let m = bed.monitor(&format!("appclient/{pool}/{client}")).await;
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
