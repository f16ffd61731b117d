//! The external id's SSM `GetParameter`, made without the SSM SDK crate (crates/aws/src/ssm.rs),
//! against moto: decrypted, retried on throttling and 5xx as the SDK would, AWS's error code
//! kept; and its endpoints checked against the SSM SDK's own endpoint rules.

use aws_sdk_ssm::config::endpoint::{Params, ResolveEndpoint};
use cognito_watch_aws::sdk::external_id;
use cognito_watch_aws::ssm::{endpoint, get_parameter};
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

    put(&bed, "  ", aws_sdk_ssm::types::ParameterType::String).await;
    let empty = external_id(&bed.sdk, PARAMETER).await.unwrap_err();
    assert!(empty.to_string().contains(PARAMETER), "{empty}");
    assert!(empty.to_string().contains("no external id"), "{empty}");
}

#[test]
fn endpoints_are_the_ssm_sdks_own() {
    let rules = aws_sdk_ssm::config::endpoint::DefaultResolver::new();
    let regions = [
        "us-east-1",
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
    let mut checked = 0;
    let mut wrong = Vec::new();
    for region in regions {
        for (fips, dual_stack) in [(false, false), (true, false), (false, true), (true, true)] {
            let params = Params::builder()
                .region(region)
                .use_fips(fips)
                .use_dual_stack(dual_stack)
                .build()
                .unwrap();
            // A variant a partition does not offer is an error in the rules: nothing to match.
            let Ok(expected) = futures::executor::block_on(rules.resolve_endpoint(&params)) else {
                continue;
            };
            let ours = endpoint(region, Some(fips), Some(dual_stack));
            if ours != expected.url() {
                wrong.push(format!(
                    "{region} fips={fips} dual_stack={dual_stack}: {ours}, rules say {}",
                    expected.url()
                ));
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(checked >= regions.len() * 2, "only {checked} checked");
}
