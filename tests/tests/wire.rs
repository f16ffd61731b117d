//! The JSON-protocol calls made without their services' SDK crates (crates/aws/src/wire.rs):
//! the external id's SSM `GetParameter` against moto (decrypted, retried on throttling and 5xx
//! as the SDK would, AWS's error code kept), and the endpoints of SSM, EventBridge and SQS
//! checked against each SDK crate's own endpoint rules. EventBridge `PutEvents` and SQS
//! `SendMessage` are run end to end by tests/tests/trail.rs (the re-inventory request, the
//! failure queue).

use aws_smithy_types::endpoint::Endpoint;
use cognito_watch_aws::sdk::external_id;
use cognito_watch_aws::wire::{
    endpoint, get_parameter, Service, COGNITO_IDENTITY, COGNITO_IDP, EVENTBRIDGE, SNS, SQS, SSM,
};
use cognito_watch_testbed::{Bed, Fault};

const PARAMETER: &str = "/cognito-watch/external-id";

async fn put(bed: &Bed, value: &str, kind: aws_sdk_ssm::types::ParameterType) {
    aws_sdk_ssm::Client::new(&bed.sdk)
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
    let bed = Bed::start().await;
    put(
        &bed,
        " ext-7d1c2f9a0b6e4c3d\n",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;
    // moto answers a SecureString read without WithDecryption as "kms:<key>:<value>": the
    // plain value shows the flag went over the wire.
    assert_eq!(
        get_parameter(&bed.sdk, PARAMETER).await.unwrap(),
        " ext-7d1c2f9a0b6e4c3d\n"
    );
    assert_eq!(
        external_id(&bed.sdk, PARAMETER).await.unwrap(),
        "ext-7d1c2f9a0b6e4c3d"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_and_server_errors_are_retried_within_the_configured_attempts() {
    let bed = Bed::start().await;
    put(
        &bed,
        "ext-1",
        aws_sdk_ssm::types::ParameterType::SecureString,
    )
    .await;

    // The bed's configuration allows 2 attempts: one throttled answer is mended.
    bed.moto.arm(
        &Fault::on(&["GetParameter"])
            .times(Some(1))
            .status(400, "ThrottlingException"),
    );
    assert_eq!(external_id(&bed.sdk, PARAMETER).await.unwrap(), "ext-1");
    assert_eq!(bed.moto.faults_injected(), 1);

    // A 503 on every attempt: both attempts are made, then the error says what AWS said.
    bed.moto.disarm();
    bed.moto.arm(
        &Fault::on(&["GetParameter"])
            .times(None)
            .status(503, "ServiceUnavailable"),
    );
    let e = external_id(&bed.sdk, PARAMETER).await.unwrap_err();
    assert_eq!(bed.moto.faults_injected(), 1 + 2, "two attempts: {e}");
    assert_eq!(e.operation, "GetParameter");
    assert_eq!(e.status, Some(503));
    assert_eq!(e.code.as_deref(), Some("ServiceUnavailable"));
    assert!(!e.is_permanent(), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_or_empty_parameter_is_a_permanent_error_naming_it() {
    let bed = Bed::start().await;
    let missing = external_id(&bed.sdk, PARAMETER).await.unwrap_err();
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

    put(&bed, "  ", aws_sdk_ssm::types::ParameterType::String).await;
    let empty = external_id(&bed.sdk, PARAMETER).await.unwrap_err();
    assert!(empty.to_string().contains(PARAMETER), "{empty}");
    assert!(empty.to_string().contains("no external id"), "{empty}");
}

const REGIONS: [&str; 12] = [
    "us-east-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-5",
    "il-central-1",
    "cn-north-1",
    "cn-northwest-1",
    "us-gov-west-1",
    "us-iso-east-1",
    "us-isob-east-1",
    "us-isof-south-1",
    "eu-isoe-west-1",
];

/// Every region and variant the SDK's rules resolve, against [`endpoint`]; a variant a
/// partition does not offer is an error in the rules, and not compared.
fn same_as_the_rules(
    service: Service,
    rules: impl Fn(&str, bool, bool) -> Result<Endpoint, String>,
) {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for region in REGIONS {
        for (fips, dual_stack) in [(false, false), (true, false), (false, true), (true, true)] {
            let Ok(expected) = rules(region, fips, dual_stack) else {
                continue;
            };
            let ours = endpoint(service, region, fips, dual_stack);
            if ours != expected.url() {
                wrong.push(format!(
                    "{} {region} fips={fips} dual_stack={dual_stack}: {ours}, rules say {}",
                    service.id,
                    expected.url()
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= REGIONS.len() * 2, "only {checked} checked");
}

/// An SDK crate's own endpoint rules, as a function of the region and the variants.
macro_rules! rules_of {
    ($sdk:ident) => {{
        use $sdk::config::endpoint::{DefaultResolver, Params, ResolveEndpoint};
        let rules = DefaultResolver::new();
        move |region: &str, fips: bool, dual_stack: bool| {
            let params = Params::builder()
                .region(region)
                .use_fips(fips)
                .use_dual_stack(dual_stack)
                .build()
                .map_err(|e| e.to_string())?;
            futures::executor::block_on(rules.resolve_endpoint(&params)).map_err(|e| e.to_string())
        }
    }};
}

#[test]
fn ssm_endpoints_are_the_ssm_sdks_own() {
    same_as_the_rules(SSM, rules_of!(aws_sdk_ssm));
}

#[test]
fn eventbridge_endpoints_are_the_eventbridge_sdks_own() {
    same_as_the_rules(EVENTBRIDGE, rules_of!(aws_sdk_eventbridge));
}

#[test]
fn sqs_endpoints_are_the_sqs_sdks_own() {
    same_as_the_rules(SQS, rules_of!(aws_sdk_sqs));
}

#[test]
fn cognito_user_pools_endpoints_are_its_sdks_own() {
    same_as_the_rules(COGNITO_IDP, rules_of!(aws_sdk_cognitoidentityprovider));
}

#[test]
fn cognito_identity_pools_endpoints_are_its_sdks_own() {
    same_as_the_rules(COGNITO_IDENTITY, rules_of!(aws_sdk_cognitoidentity));
}

#[test]
fn sns_endpoints_are_the_sns_sdks_own() {
    same_as_the_rules(SNS, rules_of!(aws_sdk_sns));
}
