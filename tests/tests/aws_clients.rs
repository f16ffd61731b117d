//! The functions' AWS clients as AWS's SDK crates build them: every call goes to the host the
//! SDK's partition data names for its region (a region of every partition the SDK knows), and
//! carries what the SDK's interceptors add (the invocation id and attempt header, the Lambda
//! trace id for recursion detection, the app's user agent). The requests are recorded by an
//! HTTP client answering each service in its documented shape; nothing leaves the machine.
//! And the external id's SSM `GetParameter` against moto: decrypted, retried within the
//! configured attempts, AWS's error code kept, the parameter named in every error.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_smithy_http_client::test_util::infallible_client_fn;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_types::body::SdkBody;
use cognito_watch_aws::events::Requests;
use cognito_watch_aws::failures::{FailedDelivery, FailureQueue};
use cognito_watch_aws::sdk::{self, Scope, ScopeClients};
use cognito_watch_aws::AlertSink;
use cognito_watch_core::alerting::message::Message;
use cognito_watch_testbed::{Fault, LocalAws};

/// One request as it left the client.
#[derive(Debug, Clone)]
struct Sent {
    host: String,
    headers: BTreeMap<String, String>,
}

/// Records each request the clients send, and answers it as its service documents an empty
/// success (SNS and STS in XML, the JSON services with the fields the callers read).
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Sent>>>);

impl Recorder {
    fn sent(&self) -> Vec<Sent> {
        self.0.lock().unwrap().clone()
    }

    /// The HTTP client the SDK configuration is given.
    fn client(&self) -> SharedHttpClient {
        let seen = self.0.clone();
        infallible_client_fn(move |request: http::Request<SdkBody>| {
            let host = request.uri().host().unwrap_or_default().to_string();
            let headers = request
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
                .collect();
            seen.lock().unwrap().push(Sent { host, headers });
            let (content_type, body) = answer(&request);
            http::Response::builder()
                .status(200)
                .header("content-type", content_type)
                .body(SdkBody::from(body))
                .unwrap()
        })
    }
}

/// A service's answer to `request`: (content type, body).
fn answer(request: &http::Request<SdkBody>) -> (&'static str, String) {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|t| t.to_str().ok())
        .unwrap_or_default();
    let form = std::str::from_utf8(request.body().bytes().unwrap_or_default()).unwrap_or_default();
    let json = "application/x-amz-json-1.1";
    match target.rsplit('.').next().unwrap_or_default() {
        "GetParameter" => (
            json,
            r#"{"Parameter":{"Name":"/x","Value":"ext-1","Type":"SecureString"}}"#.into(),
        ),
        "PutEvents" => (json, r#"{"FailedEntryCount":0,"Entries":[{"EventId":"e"}]}"#.into()),
        "SendMessage" => ("application/x-amz-json-1.0", r#"{"MessageId":"m"}"#.into()),
        "DescribeIdentityPool" => (
            json,
            r#"{"IdentityPoolId":"eusc-de-east-1:0f1e2d3c-0000-4000-8000-00000000abcd","IdentityPoolName":"ip","AllowUnauthenticatedIdentities":false}"#.into(),
        ),
        "" if form.contains("Action=Publish") => (
            "text/xml",
            "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><PublishResult><MessageId>m-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>".into(),
        ),
        "" if form.contains("Action=GetCallerIdentity") => (
            "text/xml",
            "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws-eusc:sts::123456789012:assumed-role/cognito-watch/s</Arn><UserId>AROA:s</UserId><Account>123456789012</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>".into(),
        ),
        _ => (json, "{}".into()),
    }
}

fn config(region: &str, recorder: &Recorder) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_string()))
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(
                Credentials::for_tests(),
            ),
        )
        .app_name(aws_types::app_name::AppName::new("cognito-watch").unwrap())
        .http_client(recorder.client())
        .build()
}

fn scope(region: &str) -> Scope {
    Scope {
        account: "123456789012".into(),
        region: region.into(),
    }
}

fn message() -> Message {
    Message {
        subject: "CRITICAL: shop".into(),
        body: r#"{"default":"x"}"#.into(),
        text: String::new(),
        json: String::new(),
        attributes: BTreeMap::from([("severity".to_string(), "critical".to_string())]),
        arrays: BTreeMap::new(),
        chat: Default::default(),
    }
}

/// Every AWS call the functions make without a table of their own, once each.
async fn call_everything(config: &SdkConfig, region: &str) {
    let clients = ScopeClients::new(scope(region), "aws", config, 1.0);
    clients.list_user_pools().await.unwrap();
    clients.list_identity_pools().await.unwrap();
    AlertSink::new(config, "arn:aws:sns:us-east-1:123456789012:t")
        .publish(&message())
        .await
        .unwrap();
    FailureQueue::new(config, "https://sqs.example/123456789012/q")
        .send(&FailedDelivery {
            kind: "permanent-failure",
            delivery: "d".into(),
            source: "s3",
            object: None,
            operation: "GetObject",
            error_code: None,
            reason: "gone".into(),
        })
        .await
        .unwrap();
    Requests::new(config, "default")
        .reinventory(region, None)
        .await
        .unwrap();
    sdk::external_id(config, "/x").await.unwrap();
}

/// A region of every partition the SDK knows, and the DNS suffix AWS publishes for it.
const PARTITIONS: &[(&str, &str)] = &[
    ("us-east-1", "amazonaws.com"),
    ("cn-north-1", "amazonaws.com.cn"),
    ("us-gov-west-1", "amazonaws.com"),
    ("eusc-de-east-1", "amazonaws.eu"),
    ("us-iso-east-1", "c2s.ic.gov"),
    ("us-isob-east-1", "sc2s.sgov.gov"),
    ("eu-isoe-west-1", "cloud.adc-e.uk"),
    ("us-isof-south-1", "csp.hci.ic.gov"),
];

#[tokio::test]
async fn every_call_goes_to_its_partitions_host() {
    for (region, suffix) in PARTITIONS {
        let recorder = Recorder::default();
        call_everything(&config(region, &recorder), region).await;
        let hosts: Vec<String> = recorder.sent().into_iter().map(|s| s.host).collect();
        let expected: Vec<String> = [
            "cognito-idp",
            "cognito-identity",
            "sns",
            "sqs",
            "events",
            "ssm",
        ]
        .iter()
        .map(|service| format!("{service}.{region}.{suffix}"))
        .collect();
        assert_eq!(hosts, expected, "{region}");
    }
}

#[tokio::test]
async fn every_call_carries_the_sdks_invocation_id_attempt_and_lambda_trace_id() {
    // What Lambda sets in a function's environment; the SDK's recursion detection forwards
    // the trace id as X-Amzn-Trace-Id (only this test reads these variables).
    let trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
    std::env::set_var("AWS_LAMBDA_FUNCTION_NAME", "cognito-watch-trail");
    std::env::set_var("_X_AMZN_TRACE_ID", trace);
    let recorder = Recorder::default();
    call_everything(&config("eu-west-1", &recorder), "eu-west-1").await;
    let sent = recorder.sent();
    assert_eq!(sent.len(), 6);
    let mut invocations = std::collections::BTreeSet::new();
    for s in &sent {
        let header = |name: &str| s.headers.get(name).cloned();
        let id = header("amz-sdk-invocation-id")
            .unwrap_or_else(|| panic!("{}: no invocation id", s.host));
        invocations.insert(id);
        assert!(
            header("amz-sdk-request").is_some_and(|r| r.starts_with("attempt=1")),
            "{}: {:?}",
            s.host,
            header("amz-sdk-request")
        );
        assert_eq!(
            header("x-amzn-trace-id").as_deref(),
            Some(trace),
            "{}",
            s.host
        );
        assert!(
            header("x-amz-user-agent")
                .or(header("user-agent"))
                .is_some_and(|ua| ua.contains("app/cognito-watch")),
            "{}",
            s.host
        );
    }
    assert_eq!(invocations.len(), 6, "one invocation id per call");
}

#[tokio::test]
async fn an_identity_pool_arn_in_the_sovereign_cloud_names_its_partition() {
    let recorder = Recorder::default();
    let config = config("eusc-de-east-1", &recorder);
    // The collector's path: the partition of the credentials' own ARN (GetCallerIdentity).
    let caller = sdk::caller(&config).await.unwrap();
    assert_eq!(caller.account, "123456789012");
    let clients = ScopeClients::new(scope("eusc-de-east-1"), &caller.partition, &config, 1.0);
    let id = "eusc-de-east-1:0f1e2d3c-0000-4000-8000-00000000abcd";
    let (_, details, _) = clients.describe_identity_pool(id).await.unwrap();
    assert_eq!(
        details.arn,
        format!("arn:aws-eusc:cognito-identity:eusc-de-east-1:123456789012:identitypool/{id}")
    );
}

const PARAMETER: &str = "/cognito-watch/external-id";

async fn put(aws: &LocalAws, value: &str, kind: aws_sdk_ssm::types::ParameterType) {
    aws_sdk_ssm::Client::new(&aws.sdk)
        .put_parameter()
        .name(PARAMETER)
        .value(value)
        .r#type(kind)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secure_string_is_read_decrypted_and_trimmed() {
    let aws = LocalAws::start().await;
    put(
        &aws,
        " ext-7d1c2f9a0b6e4c3d\n",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;
    // moto answers a SecureString read without WithDecryption as "kms:<key>:<value>": the
    // plain value shows the flag went over the wire.
    assert_eq!(
        sdk::external_id(&aws.sdk, PARAMETER).await.unwrap(),
        "ext-7d1c2f9a0b6e4c3d"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_within_the_configured_attempts() {
    let aws = LocalAws::start().await;
    put(
        &aws,
        "ext-1",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;

    // The local AWS's configuration allows 2 attempts: one throttled answer is mended.
    aws.moto.arm(
        &Fault::on(&["GetParameter"])
            .times(Some(1))
            .status(400, "ThrottlingException"),
    );
    assert_eq!(
        sdk::external_id(&aws.sdk, PARAMETER).await.unwrap(),
        "ext-1"
    );
    assert_eq!(aws.moto.faults_injected(), 1);

    // A 503 on every attempt: both attempts are made, then the error says what AWS said.
    aws.moto.disarm();
    aws.moto.arm(
        &Fault::on(&["GetParameter"])
            .times(None)
            .status(503, "ServiceUnavailable"),
    );
    let e = sdk::external_id(&aws.sdk, PARAMETER).await.unwrap_err();
    assert_eq!(aws.moto.faults_injected(), 1 + 2, "two attempts: {e}");
    assert_eq!(e.operation, "GetParameter");
    assert_eq!(e.status, Some(503));
    assert_eq!(e.code.as_deref(), Some("ServiceUnavailable"));
    assert!(!e.is_permanent(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_parameter_is_a_permanent_error_naming_it() {
    let aws = LocalAws::start().await;
    let missing = sdk::external_id(&aws.sdk, PARAMETER).await.unwrap_err();
    assert_eq!(
        missing.code.as_deref(),
        Some("ParameterNotFound"),
        "{missing}"
    );
    assert_eq!(missing.status, Some(400));
    assert!(missing.is_permanent(), "{missing}");
    assert!(
        missing
            .to_string()
            .starts_with("GetParameter: ParameterNotFound"),
        "{missing}"
    );
    assert!(
        missing
            .to_string()
            .ends_with(&format!("(SSM parameter {PARAMETER})")),
        "{missing}"
    );

    put(&aws, "  ", aws_sdk_ssm::types::ParameterType::String).await;
    let empty = sdk::external_id(&aws.sdk, PARAMETER).await.unwrap_err();
    assert!(empty.to_string().contains(PARAMETER), "{empty}");
    assert!(empty.to_string().contains("no external id"), "{empty}");
}
