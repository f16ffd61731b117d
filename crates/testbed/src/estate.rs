//! A synthetic estate answered in process at the SDK's HTTP layer, for the collector's scale run
//! (`bench collect`): `pools` user pools with `clients` app clients and `providers` identity
//! providers each, no identity pools, and in CloudWatch the series the planner bench uses
//! (sign-in, sign-up and token refresh per client, federation per provider); DynamoDB is a sink
//! that holds nothing (a first poll: no stored state, every write accepted). The clients under
//! test are the real SDK clients: requests are serialised and answers parsed as on the wire
//! (JSON for Cognito, CBOR for CloudWatch); only the transport is replaced. Every request is
//! recorded with its time, operation and user pool, so the run can show its calls and rates.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use ciborium::Value as Cbor;
use serde_json::{json, Value};

use crate::{ACCOUNT, REGION};

/// Cognito's page size for the listings the collector makes (it asks for 60).
const COGNITO_PAGE: usize = 60;
/// ListMetrics answers at most 500 metrics a page.
const LIST_METRICS_PAGE: usize = 500;

/// The estate's shape.
#[derive(Debug, Clone, Copy)]
pub struct Estate {
    pub pools: usize,
    pub clients: usize,
    pub providers: usize,
}

impl Estate {
    pub fn pool_id(p: usize) -> String {
        format!("{REGION}_Pool{p:05}")
    }

    fn pool_index(id: &str) -> Option<usize> {
        id.rsplit_once("_Pool").and_then(|(_, n)| n.parse().ok())
    }

    fn client_id(p: usize, c: usize) -> String {
        format!("client{p:05}{c:02}")
    }

    fn pool_arn(p: usize) -> String {
        format!(
            "arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{}",
            Estate::pool_id(p)
        )
    }

    /// Every series CloudWatch lists for the estate: (metric name, dimensions).
    pub fn series(&self) -> Vec<ListedSeries> {
        let mut out = Vec::new();
        for p in 0..self.pools {
            let pool = Estate::pool_id(p);
            for c in 0..self.clients {
                for family in ["SignIn", "SignUp", "TokenRefresh"] {
                    for suffix in ["Successes", "Throttles"] {
                        out.push((
                            format!("{family}{suffix}"),
                            vec![
                                ("UserPool", pool.clone()),
                                ("UserPoolClient", Estate::client_id(p, c)),
                            ],
                        ));
                    }
                }
            }
            for i in 0..self.providers {
                for suffix in ["Successes", "Throttles"] {
                    out.push((
                        format!("Federation{suffix}"),
                        vec![
                            ("UserPool", pool.clone()),
                            ("UserPoolClient", Estate::client_id(p, 0)),
                            ("IdentityProvider", format!("idp{i}")),
                        ],
                    ));
                }
            }
        }
        out
    }
}

/// A series CloudWatch lists: metric name and dimensions.
pub type ListedSeries = (String, Vec<(&'static str, String)>);

/// One request the stub answered.
#[derive(Debug, Clone)]
pub struct Seen {
    /// Since the stub was built.
    pub at: Duration,
    /// `cognito-idp`, `cognito-identity`, `monitoring` (CloudWatch) or `dynamodb`.
    pub service: &'static str,
    pub operation: String,
    /// The user pool the request names, if any.
    pub pool: Option<String>,
}

/// One collector poll (inventory and metrics, the first: no stored state) of `estate` at
/// `share` of the quotas, answered by a fresh stub: the poll log, every request the stub saw,
/// and the poll's time.
pub async fn poll(
    estate: Estate,
    share: f64,
) -> Result<
    (
        cognito_watch_core::inventory::record::PollLog,
        Vec<Seen>,
        Duration,
    ),
    collector::CollectorError,
> {
    let stub = StubAws::new(estate);
    let sdk = stub.sdk_config().await;
    let config = crate::collector_config(&[("QUOTA_SHARE", &share.to_string())]);
    let collector = collector::Collector::new(config, sdk.clone());
    let scope = cognito_watch_aws::Scope {
        account: ACCOUNT.into(),
        region: REGION.into(),
    };
    let clients = cognito_watch_aws::ScopeClients::new(scope, crate::PARTITION, &sdk, share);
    let request = collector::CollectorRequest {
        tasks: Some(vec![collector::Task::Inventory, collector::Task::Metrics]),
        ..Default::default()
    };
    let now = chrono::Utc::now();
    let started = Instant::now();
    let log = collector
        .poll(clients, &request, now, now + chrono::Duration::minutes(10))
        .await?;
    Ok((log, stub.seen(), started.elapsed()))
}

/// The requests by operation: (the Cognito and CloudWatch calls, the state store's calls).
pub fn calls_by_operation(
    seen: &[Seen],
) -> (
    std::collections::BTreeMap<String, u64>,
    std::collections::BTreeMap<String, u64>,
) {
    let (mut aws, mut store) = <(std::collections::BTreeMap<_, _>, _)>::default();
    for s in seen {
        let to = if s.service == "dynamodb" {
            &mut store
        } else {
            &mut aws
        };
        *to.entry(s.operation.clone()).or_default() += 1;
    }
    (aws, store)
}

/// The most requests in any one second (a half-open window) of these times.
pub fn busiest_second(mut times: Vec<Duration>) -> usize {
    times.sort();
    let second = Duration::from_secs(1);
    let (mut best, mut from) = (0, 0);
    for to in 0..times.len() {
        while times[to] - times[from] >= second {
            from += 1;
        }
        best = best.max(to - from + 1);
    }
    best
}

/// How a run used one Cognito quota category.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuotaUse {
    pub category: &'static str,
    pub calls: usize,
    pub busiest_second: usize,
    pub half_quota: f64,
    /// Where the category has a per-pool quota: the busiest second of any one pool.
    pub busiest_second_of_a_pool: Option<usize>,
    pub half_pool_quota: Option<f64>,
}

impl QuotaUse {
    /// Whether the run stayed within half the quota (and half the per-pool quota).
    pub fn within_half(&self) -> bool {
        self.busiest_second as f64 <= self.half_quota
            && match (self.busiest_second_of_a_pool, self.half_pool_quota) {
                (Some(b), Some(h)) => b as f64 <= h,
                _ => true,
            }
    }
}

/// The quota use of these requests, per category the collector paces (`share` of each quota
/// is what it may use).
pub fn quota_use(seen: &[Seen], share: f64) -> Vec<QuotaUse> {
    use cognito_watch_core::inventory::quota::ApiCategory;
    ApiCategory::ALL
        .into_iter()
        .filter_map(|c| {
            let of_c: Vec<&Seen> = seen
                .iter()
                .filter(|s| ApiCategory::of(&s.operation) == Some(c))
                .collect();
            if of_c.is_empty() {
                return None;
            }
            let mut by_pool: std::collections::BTreeMap<&str, Vec<Duration>> = Default::default();
            for s in &of_c {
                if let Some(p) = &s.pool {
                    by_pool.entry(p).or_default().push(s.at);
                }
            }
            let pool_peak = by_pool.into_values().map(busiest_second).max();
            Some(QuotaUse {
                category: c.as_str(),
                calls: of_c.len(),
                busiest_second: busiest_second(of_c.iter().map(|s| s.at).collect()),
                half_quota: c.quota_rps() * share,
                busiest_second_of_a_pool: c.pool_quota_rps().and(pool_peak),
                half_pool_quota: c.pool_quota_rps().map(|q| q * share),
            })
        })
        .collect()
}

/// The stub: an HTTP client for an [`SdkConfig`] that answers from the estate.
#[derive(Debug, Clone)]
pub struct StubAws {
    estate: Estate,
    series: Arc<Vec<ListedSeries>>,
    started: Instant,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl StubAws {
    pub fn new(estate: Estate) -> StubAws {
        StubAws {
            estate,
            series: Arc::new(estate.series()),
            started: Instant::now(),
            seen: Arc::default(),
        }
    }

    /// SDK configuration whose every request this stub answers (no retries: a stub that
    /// answers wrongly must show, not be retried away).
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .http_client(self.clone())
            .endpoint_url("http://estate.stub")
            .region(Region::new(REGION))
            .credentials_provider(Credentials::for_tests())
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(1))
            .load()
            .await
    }

    /// Every request so far, in the order they arrived.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn record(&self, service: &'static str, operation: &str, pool: Option<String>) {
        let seen = Seen {
            at: self.started.elapsed(),
            service,
            operation: operation.to_string(),
            pool,
        };
        self.seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(seen);
    }

    fn answer(&self, request: &HttpRequest) -> HttpResponse {
        let body = request.body().bytes().unwrap_or_default();
        if let Some(target) = request.headers().get("x-amz-target") {
            let (prefix, operation) = target.split_once('.').unwrap_or(("", target));
            let input: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            let pool = input["UserPoolId"]
                .as_str()
                .map(str::to_string)
                .or_else(|| {
                    input["ResourceArn"]
                        .as_str()
                        .and_then(|a| a.rsplit_once('/'))
                        .map(|(_, id)| id.to_string())
                });
            let (service, out) = match prefix {
                p if p.starts_with("DynamoDB") => ("dynamodb", dynamodb(operation)),
                "AWSCognitoIdentityService" => {
                    ("cognito-identity", self.cognito(operation, &input))
                }
                p if p.starts_with("AWSWAF") => ("wafv2", self.cognito(operation, &input)),
                _ => ("cognito-idp", self.cognito(operation, &input)),
            };
            self.record(service, operation, pool);
            return match out {
                Some(out) => json_response(200, &out),
                None => json_response(
                    400,
                    &json!({"__type": "UnknownOperationException", "message": operation}),
                ),
            };
        }
        let operation = request
            .uri()
            .rsplit_once("/operation/")
            .map(|(_, op)| op.to_string())
            .unwrap_or_default();
        self.record("monitoring", &operation, None);
        let input: Cbor = ciborium::from_reader(body).unwrap_or(Cbor::Null);
        match operation.as_str() {
            "ListMetrics" => cbor_response(&self.list_metrics(&input)),
            "GetMetricData" => cbor_response(&get_metric_data(&input)),
            _ => cbor_response(&Cbor::Map(vec![(
                text("__type"),
                text("UnknownOperationException"),
            )])),
        }
    }

    fn cognito(&self, operation: &str, input: &Value) -> Option<Value> {
        let e = self.estate;
        let pool = input["UserPoolId"].as_str().and_then(Estate::pool_index);
        Some(match operation {
            "ListUserPools" => listing(
                "UserPools",
                e.pools,
                input,
                |p| json!({"Id": Estate::pool_id(p), "Name": format!("pool {p}")}),
            ),
            "DescribeUserPool" => {
                let p = pool?;
                json!({"UserPool": {
                    "Id": Estate::pool_id(p), "Name": format!("pool {p}"), "Arn": Estate::pool_arn(p),
                    "EstimatedNumberOfUsers": 1000, "MfaConfiguration": "OPTIONAL",
                    "DeletionProtection": "ACTIVE", "UserPoolTier": "ESSENTIALS",
                    "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9,
                    "UserPoolTags": {"team": format!("team{}", p % 7)}
                }})
            }
            "GetUserPoolMfaConfig" => json!({
                "MfaConfiguration": "OPTIONAL",
                "SoftwareTokenMfaConfiguration": {"Enabled": true}
            }),
            "DescribeRiskConfiguration" => {
                json!({"RiskConfiguration": {"UserPoolId": pool.map(Estate::pool_id)}})
            }
            "GetLogDeliveryConfiguration" => json!({"LogDeliveryConfiguration": {
                "UserPoolId": pool.map(Estate::pool_id), "LogConfigurations": []
            }}),
            "ListTagsForResource" => json!({"Tags": {"team": "identity"}}),
            // AWS WAF (same stub): no web ACL protects the pool.
            "GetWebACLForResource" => json!({}),
            "ListUserPoolClients" => {
                let p = pool?;
                listing(
                    "UserPoolClients",
                    e.clients,
                    input,
                    |c| json!({"ClientId": Estate::client_id(p, c), "UserPoolId": Estate::pool_id(p), "ClientName": format!("app {c}")}),
                )
            }
            "DescribeUserPoolClient" => {
                let p = pool?;
                json!({"UserPoolClient": {
                    "UserPoolId": Estate::pool_id(p), "ClientId": input["ClientId"],
                    "ClientName": "app", "RefreshTokenValidity": 30,
                    "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                    "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email"],
                    "AllowedOAuthFlowsUserPoolClient": true,
                    "SupportedIdentityProviders": ["COGNITO", "idp0"],
                    "CallbackURLs": ["https://app.example.com/callback"],
                    "PreventUserExistenceErrors": "ENABLED", "EnableTokenRevocation": true,
                    "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9
                }})
            }
            "ListIdentityProviders" => {
                pool?;
                listing(
                    "Providers",
                    e.providers,
                    input,
                    |i| json!({"ProviderName": format!("idp{i}"), "ProviderType": "SAML"}),
                )
            }
            "DescribeIdentityProvider" => {
                let p = pool?;
                json!({"IdentityProvider": {
                    "UserPoolId": Estate::pool_id(p), "ProviderName": input["ProviderName"],
                    "ProviderType": "SAML", "AttributeMapping": {"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
                    "CreationDate": 1.7e9, "LastModifiedDate": 1.7e9
                }})
            }
            "ListIdentityPools" => json!({"IdentityPools": []}),
            _ => return None,
        })
    }

    fn list_metrics(&self, input: &Cbor) -> Cbor {
        let from = field(input, "NextToken")
            .and_then(Cbor::as_text)
            .and_then(|t| t.parse().ok())
            .unwrap_or(0usize);
        let to = (from + LIST_METRICS_PAGE).min(self.series.len());
        let metrics = self.series[from..to]
            .iter()
            .map(|(name, dims)| {
                let dims = dims
                    .iter()
                    .map(|(n, v)| {
                        Cbor::Map(vec![(text("Name"), text(n)), (text("Value"), text(v))])
                    })
                    .collect();
                Cbor::Map(vec![
                    (text("Namespace"), text("AWS/Cognito")),
                    (text("MetricName"), text(name)),
                    (text("Dimensions"), Cbor::Array(dims)),
                ])
            })
            .collect();
        let mut out = vec![(text("Metrics"), Cbor::Array(metrics))];
        if to < self.series.len() {
            out.push((text("NextToken"), text(&to.to_string())));
        }
        Cbor::Map(out)
    }
}

/// DynamoDB as a sink: nothing stored, every write accepted.
fn dynamodb(operation: &str) -> Option<Value> {
    Some(match operation {
        "Query" | "Scan" => json!({"Items": [], "Count": 0, "ScannedCount": 0}),
        "GetItem" | "TransactWriteItems" | "PutItem" => json!({}),
        "BatchWriteItem" => json!({"UnprocessedItems": {}}),
        _ => return None,
    })
}

/// GetMetricData: one datapoint (value 1) at the window's start for every query.
fn get_metric_data(input: &Cbor) -> Cbor {
    let start = field(input, "StartTime").cloned().unwrap_or(Cbor::Null);
    let results = field(input, "MetricDataQueries")
        .and_then(Cbor::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter_map(|q| field(q, "Id").cloned())
        .map(|id| {
            Cbor::Map(vec![
                (text("Id"), id),
                (text("StatusCode"), text("Complete")),
                (text("Timestamps"), Cbor::Array(vec![start.clone()])),
                (text("Values"), Cbor::Array(vec![Cbor::Float(1.0)])),
            ])
        })
        .collect();
    Cbor::Map(vec![(text("MetricDataResults"), Cbor::Array(results))])
}

fn text(s: &str) -> Cbor {
    Cbor::Text(s.to_string())
}

fn field<'a>(map: &'a Cbor, key: &str) -> Option<&'a Cbor> {
    map.as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some(key))
        .map(|(_, v)| v)
}

/// A Cognito listing's page: the items of `0..len` from the request's NextToken (an offset),
/// at most a page of them under `key`, and the next token while more remain.
fn listing(key: &str, len: usize, input: &Value, item: impl Fn(usize) -> Value) -> Value {
    let from = input["NextToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0usize)
        .min(len);
    let to = (from + COGNITO_PAGE).min(len);
    let mut out = json!({ key: (from..to).map(item).collect::<Vec<_>>() });
    if to < len {
        out["NextToken"] = json!(to.to_string());
    }
    out
}

fn json_response(status: u16, body: &Value) -> HttpResponse {
    response(
        status,
        "application/x-amz-json-1.1",
        body.to_string().into_bytes(),
    )
}

fn cbor_response(body: &Cbor) -> HttpResponse {
    let mut bytes = Vec::new();
    if let Err(e) = ciborium::into_writer(body, &mut bytes) {
        panic!("encoding a CBOR answer: {e}");
    }
    let mut r = response(200, "application/cbor", bytes);
    r.headers_mut().insert("smithy-protocol", "rpc-v2-cbor");
    r
}

/// An answer (panics on an invalid status: test fixture).
fn response(status: u16, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let status = match StatusCode::try_from(status) {
        Ok(s) => s,
        Err(e) => panic!("status {status}: {e}"),
    };
    let mut r = HttpResponse::new(status, SdkBody::from(body));
    r.headers_mut().insert("content-type", content_type);
    r
}

/// An HTTP client answering every JSON-protocol request (`X-Amz-Target: <prefix>.<Operation>`)
/// with `answer(operation, input)`, status 200: one service in AWS's documented shapes, for
/// what moto lacks (panics on a request without a target or a JSON body: test fixture).
pub fn json_answers(
    answer: impl Fn(&str, &Value) -> Value + Send + Sync + 'static,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_runtime_api::client::http::SharedHttpClient::new(JsonAnswers(Arc::new(answer)))
}

/// A service's answer to an operation and its input.
type Answer = dyn Fn(&str, &Value) -> Value + Send + Sync;

#[derive(Clone)]
struct JsonAnswers(Arc<Answer>);

impl std::fmt::Debug for JsonAnswers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JsonAnswers")
    }
}

impl HttpConnector for JsonAnswers {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let Some((_, operation)) = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.split_once('.'))
        else {
            panic!("not a JSON-protocol request: {:?}", request.uri());
        };
        let input: Value = match serde_json::from_slice(request.body().bytes().unwrap_or_default())
        {
            Ok(input) => input,
            Err(e) => panic!("{operation}: the input is not JSON: {e}"),
        };
        HttpConnectorFuture::ready(Ok(json_response(200, &(self.0)(operation, &input))))
    }
}

impl HttpConnector for StubAws {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(Ok(self.answer(&request)))
    }
}

/// A connector that answers every request itself is its own HTTP client.
macro_rules! its_own_http_client {
    ($($connector:ty),+) => {$(
        impl HttpClient for $connector {
            fn http_connector(
                &self,
                _settings: &HttpConnectorSettings,
                _components: &RuntimeComponents,
            ) -> SharedHttpConnector {
                SharedHttpConnector::new(self.clone())
            }
        }
    )+};
}
its_own_http_client!(JsonAnswers, StubAws);
