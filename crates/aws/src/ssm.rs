//! SSM `GetParameter`, the one SSM call (the external id, once, at cold start), made through the
//! SDK's own orchestrator: the shared HTTPS client, the configured retries and timeouts, the
//! standard retry classifiers and the SDK's SigV4 signer with the configuration's credentials.
//!
//! The SSM SDK crate would do the same, but it is ~0.5 MB of the collector's binary and ~100 s
//! of CPU in a release build for this call (measured; README, Performance). What it brings
//! beyond this module is the endpoint rules, which [`endpoint`] covers for the partitions and
//! variants a Lambda function meets (a test checks it against the SSM SDK's own rules).

use aws_config::SdkConfig;
use aws_runtime::auth::sigv4::{SigV4AuthScheme, SCHEME_ID as SIGV4};
use aws_runtime::auth::SigV4OperationSigningConfig;
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_smithy_runtime::client::identity::IdentityCache;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime::client::retries::classifiers::{
    HttpStatusCodeClassifier, TransientErrorClassifier,
};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::auth::static_resolver::StaticAuthSchemeOptionResolver;
use aws_smithy_runtime_api::client::auth::AuthSchemeOptionResolverParams;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse, OrchestratorError};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponentsBuilder;
use aws_smithy_runtime_api::client::runtime_plugin::StaticRuntimePlugin;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::Layer;
use aws_smithy_types::error::metadata::{ErrorMetadata, ProvideErrorMetadata};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
use aws_types::region::SigningRegion;
use aws_types::service_config::ServiceConfigKey;
use aws_types::SigningName;
use serde::Deserialize;

use crate::error::AwsError;

const OPERATION: &str = "GetParameter";

/// The value of an SSM parameter, decrypted when it is a SecureString.
pub async fn get_parameter(base: &SdkConfig, name: &str) -> Result<String, AwsError> {
    let region = base
        .region()
        .map(|r| r.as_ref().to_string())
        .ok_or_else(|| AwsError::other(OPERATION, "no AWS region configured"))?;
    let credentials = base
        .credentials_provider()
        .ok_or_else(|| AwsError::other(OPERATION, "no AWS credentials configured"))?;
    let url = endpoint_url(base)
        .unwrap_or_else(|| endpoint(&region, base.use_fips(), base.use_dual_stack()));

    let mut signing = Layer::new("ssm");
    signing.store_put(SigV4OperationSigningConfig {
        region: Some(SigningRegion::from(aws_types::region::Region::new(
            region.clone(),
        ))),
        name: Some(SigningName::from_static("ssm")),
        ..Default::default()
    });
    signing.store_put(AuthSchemeOptionResolverParams::new(()));
    let auth = RuntimeComponentsBuilder::new("ssm-auth")
        .with_auth_scheme_option_resolver(Some(StaticAuthSchemeOptionResolver::new(vec![SIGV4])))
        .with_auth_scheme(SigV4AuthScheme::new())
        .with_identity_cache(Some(IdentityCache::no_cache()))
        .with_identity_resolver(SIGV4, credentials);

    let mut op = Operation::builder()
        .service_name("ssm")
        .operation_name(OPERATION)
        .http_client(base.http_client().unwrap_or_else(crate::sdk::https_client))
        .endpoint_url(&url)
        .standard_retry(
            &base
                .retry_config()
                .cloned()
                .unwrap_or_else(RetryConfig::standard),
        )
        .retry_classifier(HttpStatusCodeClassifier::default())
        .retry_classifier(AwsErrorCodeClassifier::<SsmError>::new())
        .retry_classifier(TransientErrorClassifier::<SsmError>::new())
        .timeout_config(
            base.timeout_config()
                .cloned()
                .unwrap_or_else(TimeoutConfig::disabled),
        )
        .runtime_plugin(
            StaticRuntimePlugin::new()
                .with_config(signing.freeze())
                .with_runtime_components(auth),
        );
    if let Some(sleep) = base.sleep_impl() {
        op = op.sleep_impl(sleep);
    }
    if let Some(time) = base.time_source() {
        op = op.time_source(time);
    }
    let op = op
        .serializer(|name: String| request(&name))
        .deserializer(answer)
        .build();
    let value = op
        .invoke(name.to_string())
        .await
        .map_err(|e| AwsError::from_sdk(OPERATION, e))?;
    Ok(value)
}

/// The endpoint the configuration names for SSM: `AWS_ENDPOINT_URL_SSM` (or the profile's
/// `ssm` endpoint_url), else the general endpoint URL; an endpoint set in code wins, as the SDK
/// clients do it.
fn endpoint_url(base: &SdkConfig) -> Option<String> {
    if base.get_origin("endpoint_url").is_client_config() {
        return base.endpoint_url().map(str::to_string);
    }
    let key = ServiceConfigKey::builder()
        .service_id("SSM")
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok();
    key.and_then(|key| base.service_config().and_then(|c| c.load_config(key)))
        .or_else(|| base.endpoint_url().map(str::to_string))
}

/// SSM's regional endpoint: the partition's DNS suffix (aws, aws-cn, aws-us-gov and the ISO
/// partitions), with the FIPS (`ssm-fips`) and dual-stack variants.
pub fn endpoint(region: &str, fips: Option<bool>, dual_stack: Option<bool>) -> String {
    let fips = fips.unwrap_or(false);
    let dual_stack = dual_stack.unwrap_or(false);
    let (suffix, dual_stack_suffix) = if region.starts_with("cn-") {
        ("amazonaws.com.cn", "api.amazonwebservices.com.cn")
    } else if region.starts_with("us-isob-") {
        ("sc2s.sgov.gov", "api.aws.scloud")
    } else if region.starts_with("us-iso-") {
        ("c2s.ic.gov", "api.aws.ic.gov")
    } else if region.starts_with("us-isof-") {
        ("csp.hci.ic.gov", "api.aws.hci.ic.gov")
    } else if region.starts_with("eu-isoe-") {
        ("cloud.adc-e.uk", "api.cloud-aws.adc-e.uk")
    } else {
        ("amazonaws.com", "api.aws")
    };
    // GovCloud's regular SSM endpoints are its FIPS endpoints (dual-stack ones excepted).
    let govcloud = region.starts_with("us-gov-");
    let fips_host = fips && (dual_stack || !govcloud);
    let service = if fips_host { "ssm-fips" } else { "ssm" };
    let suffix = if dual_stack {
        dual_stack_suffix
    } else {
        suffix
    };
    format!("https://{service}.{region}.{suffix}")
}

/// The awsJson1.1 request: `POST /` with the target header and the parameter's name.
fn request(name: &str) -> Result<HttpRequest, BoxError> {
    let body = serde_json::to_vec(&serde_json::json!({"Name": name, "WithDecryption": true}))?;
    let request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AmazonSSM.GetParameter")
        .body(SdkBody::from(body))?;
    Ok(HttpRequest::try_from(request)?)
}

#[derive(Deserialize)]
struct Answer {
    #[serde(rename = "Parameter")]
    parameter: Option<Parameter>,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Value")]
    value: Option<String>,
}

#[derive(Deserialize)]
struct Fault {
    #[serde(rename = "__type", alias = "code")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// The answer: the parameter's value, or AWS's error (code and message).
fn answer(response: &HttpResponse) -> Result<String, OrchestratorError<SsmError>> {
    let body = response.body().bytes().unwrap_or_default();
    if response.status().is_success() {
        let answer: Answer = serde_json::from_slice(body).map_err(|e| {
            OrchestratorError::other(format!("GetParameter's answer is not JSON: {e}"))
        })?;
        return Ok(answer.parameter.and_then(|p| p.value).unwrap_or_default());
    }
    let fault: Option<Fault> = serde_json::from_slice(body).ok();
    let header = response
        .headers()
        .get("x-amzn-errortype")
        .map(str::to_string);
    let code = header
        .or_else(|| fault.as_ref().and_then(|f| f.kind.clone()))
        .map(|c| error_code(&c).to_string());
    let mut meta = ErrorMetadata::builder();
    if let Some(code) = code {
        meta = meta.code(code);
    }
    if let Some(message) = fault.and_then(|f| f.message) {
        meta = meta.message(message);
    }
    Err(OrchestratorError::operation(SsmError(meta.build())))
}

/// `com.amazonaws.ssm#ParameterNotFound` → `ParameterNotFound`.
fn error_code(kind: &str) -> &str {
    let code = kind.rsplit('#').next().unwrap_or(kind);
    code.split(':').next().unwrap_or(code)
}

/// An error SSM answered with.
#[derive(Debug)]
pub struct SsmError(ErrorMetadata);

impl std::fmt::Display for SsmError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0.code(), self.0.message()) {
            (Some(c), Some(m)) => write!(f, "{c}: {m}"),
            (Some(c), None) => f.write_str(c),
            _ => f.write_str("SSM answered with an error"),
        }
    }
}

impl std::error::Error for SsmError {}

impl ProvideErrorMetadata for SsmError {
    fn meta(&self) -> &ErrorMetadata {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        let mut r = HttpResponse::new(status.try_into().unwrap(), SdkBody::from(body.to_string()));
        for (k, v) in headers {
            r.headers_mut().insert(k.to_string(), v.to_string());
        }
        r
    }

    #[test]
    fn the_value_is_read_from_the_answer() {
        let ok = response(
            200,
            &[],
            r#"{"Parameter":{"Name":"/cw/ext","Type":"SecureString","Value":"s3cr3t","Version":1}}"#,
        );
        assert_eq!(answer(&ok).unwrap(), "s3cr3t");
        assert_eq!(answer(&response(200, &[], "{}")).unwrap(), "");
        assert!(answer(&response(200, &[], "<html>")).is_err());
    }

    #[test]
    fn an_error_answer_keeps_aws_code_and_message() {
        let e = answer(&response(
            400,
            &[],
            r#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /cw/ext not found."}"#,
        ))
        .unwrap_err();
        let e = e.as_operation_error().expect("an operation error");
        assert_eq!(e.code(), Some("ParameterNotFound"));
        assert_eq!(e.message(), Some("Parameter /cw/ext not found."));

        let e = answer(&response(
            400,
            &[("x-amzn-errortype", "ThrottlingException:http://internal")],
            r#"{"Message":"Rate exceeded"}"#,
        ))
        .unwrap_err();
        let e = e.as_operation_error().unwrap();
        assert_eq!(e.code(), Some("ThrottlingException"));
        assert_eq!(e.message(), Some("Rate exceeded"));
        assert_eq!(e.to_string(), "ThrottlingException: Rate exceeded");

        let e = answer(&response(503, &[], "<html>busy</html>")).unwrap_err();
        assert_eq!(e.as_operation_error().unwrap().code(), None);
    }

    #[test]
    fn the_request_is_aws_json_with_the_target_and_decryption() {
        let r = request("/cognito-watch/external-id").unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(
            r.headers().get("x-amz-target"),
            Some("AmazonSSM.GetParameter")
        );
        assert_eq!(
            r.headers().get("content-type"),
            Some("application/x-amz-json-1.1")
        );
        let body: serde_json::Value = serde_json::from_slice(r.body().bytes().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Name": "/cognito-watch/external-id", "WithDecryption": true})
        );
    }

    #[test]
    fn endpoints_follow_the_partition_and_variants() {
        assert_eq!(
            endpoint("eu-west-1", None, None),
            "https://ssm.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint("us-east-1", Some(true), None),
            "https://ssm-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            endpoint("cn-north-1", None, None),
            "https://ssm.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            endpoint("us-west-2", None, Some(true)),
            "https://ssm.us-west-2.api.aws"
        );
    }

    #[tokio::test]
    async fn the_request_is_signed_with_sigv4_for_ssm_in_the_region() {
        use aws_smithy_http_client::test_util::capture_request;
        let (http, captured) = capture_request(Some(
            http::Response::builder()
                .status(200)
                .body(SdkBody::from(r#"{"Parameter":{"Value":"v"}}"#))
                .unwrap(),
        ));
        let config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(
                    aws_credential_types::Credentials::new(
                        "AKIDEXAMPLE",
                        "secret",
                        Some("session-token".into()),
                        None,
                        "test",
                    ),
                ),
            )
            .http_client(http)
            .build();
        assert_eq!(get_parameter(&config, "/p").await.unwrap(), "v");

        let sent = captured.expect_request();
        assert_eq!(sent.uri(), "https://ssm.eu-west-1.amazonaws.com/");
        let auth = sent.headers().get("authorization").expect("signed");
        let day = sent.headers().get("x-amz-date").expect("dated")[..8].to_string();
        assert!(
            auth.starts_with(&format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/{day}/eu-west-1/ssm/aws4_request, "
            )),
            "{auth}"
        );
        let signed = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or_default();
        for header in ["content-type", "host", "x-amz-date", "x-amz-target"] {
            assert!(
                signed.split(';').any(|h| h == header),
                "{header} in {signed}"
            );
        }
        assert_eq!(
            sent.headers().get("x-amz-security-token"),
            Some("session-token")
        );
    }
}
