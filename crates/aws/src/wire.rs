//! AWS calls on the wire, in AWS's JSON protocols (awsJson1.0 and 1.1) and its query protocol,
//! to the services the functions speak to through a handful of operations: Cognito user pools
//! and identity pools (the collector's discovery), SSM `GetParameter` (the collector's external
//! id, at cold start), EventBridge `PutEvents` and SQS `SendMessage` (the trail's re-inventory
//! requests and failure queue), and SNS `Publish` (the alerts, query protocol).
//!
//! They go through the SDK's own orchestrator (the shared HTTPS client, the configured retries
//! and timeouts, the standard retry classifiers) and its SigV4 signer with the configuration's
//! credentials, but not through those services' SDK crates: each of them is 0.3–1.5 MB of a
//! binary and up to a minute of a release build for the few operations we call (README,
//! Performance). What a crate brings beyond this module is its request and answer types,
//! written where each operation is called, for the fields we read, and its endpoint rules,
//! which [`endpoint`] covers for the partitions and variants a Lambda function meets
//! (tests/tests/wire.rs checks it against each crate's own rules).

use aws_config::SdkConfig;
use aws_runtime::auth::sigv4::{SigV4AuthScheme, SCHEME_ID as SIGV4};
use aws_runtime::auth::SigV4OperationSigningConfig;
use aws_runtime::retries::classifiers::AwsErrorCodeClassifier;
use aws_runtime::user_agent::{ApiMetadata, UserAgentInterceptor};
use aws_smithy_query::QueryWriter;
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
use aws_smithy_xml::decode::{try_data, Document, ScopedDecoder};
use aws_types::region::{Region, SigningRegion};
use aws_types::service_config::ServiceConfigKey;
use aws_types::SigningName;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::AwsError;
use crate::sdk::Calls;

/// A service spoken to on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The SDK's service id, as in `AWS_ENDPOINT_URL_<ID>` (upper case, spaces as `_`).
    pub id: &'static str,
    /// The SigV4 signing name, and the first label of the service's endpoints.
    pub name: &'static str,
    pub protocol: Protocol,
    /// Which host FIPS asks for in GovCloud.
    pub govcloud_fips: GovCloudFips,
    /// The `aws` partition's regular endpoints are dual-stack already (Cognito's): dual-stack
    /// there asks for the regular host, not the `api.aws` one (for FIPS, in the four US
    /// regions only).
    pub dual_stack_is_regular: bool,
}

/// How a service's requests and answers are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson: `POST /` with `X-Amz-Target: <target>.<Operation>`, a JSON input, a JSON
    /// answer; `version` `1.0` or `1.1` names the content type.
    Json {
        target: &'static str,
        version: &'static str,
    },
    /// awsQuery: `POST /` with a form-encoded input (`Action=<Operation>&Version=<version>&…`)
    /// and an XML answer.
    Query { version: &'static str },
}

/// Where a service's endpoint rules send FIPS in GovCloud, whose regular endpoints are most
/// services' FIPS endpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GovCloudFips {
    /// The plain host, dual-stack or not (EventBridge).
    Plain,
    /// The plain host, but the `-fips` host for dual-stack (SSM, SQS).
    PlainUnlessDualStack,
    /// The `-fips` host, as in every other partition (Cognito).
    FipsHost,
}

pub const SSM: Service = Service {
    id: "SSM",
    name: "ssm",
    protocol: Protocol::Json {
        target: "AmazonSSM",
        version: "1.1",
    },
    govcloud_fips: GovCloudFips::PlainUnlessDualStack,
    dual_stack_is_regular: false,
};

pub const EVENTBRIDGE: Service = Service {
    id: "EventBridge",
    name: "events",
    protocol: Protocol::Json {
        target: "AWSEvents",
        version: "1.1",
    },
    govcloud_fips: GovCloudFips::Plain,
    dual_stack_is_regular: false,
};

pub const SQS: Service = Service {
    id: "SQS",
    name: "sqs",
    protocol: Protocol::Json {
        target: "AmazonSQS",
        version: "1.0",
    },
    govcloud_fips: GovCloudFips::PlainUnlessDualStack,
    dual_stack_is_regular: false,
};

pub const SNS: Service = Service {
    id: "SNS",
    name: "sns",
    protocol: Protocol::Query {
        version: "2010-03-31",
    },
    govcloud_fips: GovCloudFips::PlainUnlessDualStack,
    dual_stack_is_regular: false,
};

pub const COGNITO_IDP: Service = Service {
    id: "Cognito Identity Provider",
    name: "cognito-idp",
    protocol: Protocol::Json {
        target: "AWSCognitoIdentityProviderService",
        version: "1.1",
    },
    govcloud_fips: GovCloudFips::FipsHost,
    dual_stack_is_regular: true,
};

pub const COGNITO_IDENTITY: Service = Service {
    id: "Cognito Identity",
    name: "cognito-identity",
    protocol: Protocol::Json {
        target: "AWSCognitoIdentityService",
        version: "1.1",
    },
    govcloud_fips: GovCloudFips::FipsHost,
    dual_stack_is_regular: true,
};

/// A service's client: the configuration (region, credentials, HTTP client, retries) and,
/// when its calls are counted (the collector's poll log), the counts.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    config: SdkConfig,
    service: Service,
    calls: Option<Calls>,
    /// Attempts per call, when not the configuration's.
    max_attempts: Option<u32>,
}

impl ServiceClient {
    pub fn new(config: &SdkConfig, service: Service) -> ServiceClient {
        ServiceClient {
            config: config.clone(),
            service,
            calls: None,
            max_attempts: None,
        }
    }

    /// The same client, making at most `attempts` attempts per call whatever the
    /// configuration's retry settings (1: never retried).
    pub fn with_max_attempts(mut self, attempts: u32) -> ServiceClient {
        self.max_attempts = Some(attempts);
        self
    }

    /// The same client, each call it makes counted into `calls` (as the SDK clients' counting
    /// interceptor does it: one per operation sent, the SDK's retries not counted again).
    pub fn counted(mut self, calls: &Calls) -> ServiceClient {
        self.calls = Some(calls.clone());
        self
    }

    /// Call `operation` of a JSON-protocol service with `input`; the answer read as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        input: &impl Serialize,
    ) -> Result<T, AwsError> {
        let Protocol::Json { .. } = self.service.protocol else {
            return Err(AwsError::other(operation, "not a JSON-protocol service"));
        };
        let body = serde_json::to_vec(input)
            .map_err(|e| AwsError::local(operation, "cannot encode request", e))?;
        let answer = self.call_raw(operation, body).await?;
        serde_json::from_slice(&answer)
            .map_err(|e| AwsError::local(operation, "the answer is not what AWS documents", e))
    }

    /// Call `operation` of a query-protocol service, its parameters written by `input` after
    /// `Action` and `Version`; the answer is the XML document.
    pub async fn query(
        &self,
        operation: &'static str,
        input: impl FnOnce(&mut QueryWriter<'_>),
    ) -> Result<String, AwsError> {
        let Protocol::Query { version } = self.service.protocol else {
            return Err(AwsError::other(operation, "not a query-protocol service"));
        };
        let mut body = String::new();
        let mut writer = QueryWriter::new(&mut body, operation, version);
        input(&mut writer);
        writer.finish();
        let answer = self.call_raw(operation, body.into_bytes()).await?;
        String::from_utf8(answer)
            .map_err(|e| AwsError::local(operation, "the answer is not what AWS documents", e))
    }

    /// [`ServiceClient::call`] and [`ServiceClient::query`] on bytes: one orchestrator for
    /// every service, operation and protocol.
    async fn call_raw(&self, operation: &'static str, body: Vec<u8>) -> Result<Vec<u8>, AwsError> {
        let (base, service) = (&self.config, self.service);
        let region = base
            .region()
            .map(|r| r.as_ref().to_string())
            .ok_or_else(|| AwsError::other(operation, "no AWS region configured"))?;
        let credentials = base
            .credentials_provider()
            .ok_or_else(|| AwsError::other(operation, "no AWS credentials configured"))?;
        let url = endpoint_url(base, service).unwrap_or_else(|| {
            endpoint(
                service,
                &region,
                base.use_fips().unwrap_or(false),
                base.use_dual_stack().unwrap_or(false),
            )
        });

        let mut signing = Layer::new("wire");
        signing.store_put(SigV4OperationSigningConfig {
            region: Some(SigningRegion::from(Region::new(region))),
            name: Some(SigningName::from_static(service.name)),
            ..Default::default()
        });
        signing.store_put(AuthSchemeOptionResolverParams::new(()));
        // The user agent the SDK clients send (`aws-sdk-rust/…`, the service, and the
        // configuration's app name): CloudTrail records it with each call.
        signing.store_put(ApiMetadata::new(service.name, env!("CARGO_PKG_VERSION")));
        if let Some(app) = base.app_name() {
            signing.store_put(app.clone());
        }
        let auth = RuntimeComponentsBuilder::new("wire-auth")
            .with_auth_scheme_option_resolver(Some(StaticAuthSchemeOptionResolver::new(vec![
                SIGV4,
            ])))
            .with_auth_scheme(SigV4AuthScheme::new())
            // The configuration's credentials cache, shared with its SDK clients (an assumed
            // role's credentials are not fetched again for each call).
            .with_identity_cache(Some(
                base.identity_cache()
                    .unwrap_or_else(|| IdentityCache::lazy().build()),
            ))
            .with_identity_resolver(SIGV4, credentials);

        let mut op = Operation::builder()
            .service_name(service.name)
            .operation_name(operation)
            .http_client(base.http_client().unwrap_or_else(crate::sdk::https_client))
            .endpoint_url(&url)
            .standard_retry(&match self.max_attempts {
                Some(attempts) => RetryConfig::standard().with_max_attempts(attempts),
                None => base
                    .retry_config()
                    .cloned()
                    .unwrap_or_else(RetryConfig::standard),
            })
            .retry_classifier(HttpStatusCodeClassifier::default())
            .retry_classifier(AwsErrorCodeClassifier::<ServiceError>::new())
            .retry_classifier(TransientErrorClassifier::<ServiceError>::new())
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
        op = op.interceptor(UserAgentInterceptor::new());
        if let Some(calls) = &self.calls {
            op = op.interceptor(calls.interceptor());
        }
        let (content_type, target) = match service.protocol {
            Protocol::Json { target, version } => (
                format!("application/x-amz-json-{version}"),
                Some(format!("{target}.{operation}")),
            ),
            Protocol::Query { .. } => ("application/x-www-form-urlencoded".to_string(), None),
        };
        let op =
            op.serializer(move |body: Vec<u8>| request(target.as_deref(), &content_type, body));
        match service.protocol {
            Protocol::Json { .. } => op.deserializer(answer),
            Protocol::Query { .. } => op.deserializer(xml_answer),
        }
        .build()
        .invoke(body)
        .await
        .map_err(|e| AwsError::from_sdk(operation, e))
    }
}

/// The endpoint the configuration names for `service`: `AWS_ENDPOINT_URL_<ID>` (or the
/// profile's service section), else the general endpoint URL; an endpoint set in code wins, as
/// the SDK clients do it.
fn endpoint_url(base: &SdkConfig, service: Service) -> Option<String> {
    if base.get_origin("endpoint_url").is_client_config() {
        return base.endpoint_url().map(str::to_string);
    }
    let key = ServiceConfigKey::builder()
        .service_id(service.id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok();
    key.and_then(|key| base.service_config().and_then(|c| c.load_config(key)))
        .or_else(|| base.endpoint_url().map(str::to_string))
}

/// An AWS partition, as far as ARNs and endpoints need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// The ARN's partition (`aws`, `aws-cn`, `aws-us-gov`, …).
    pub name: &'static str,
    /// The regular endpoints' DNS suffix.
    pub dns_suffix: &'static str,
    /// The dual-stack endpoints' DNS suffix.
    pub dual_stack_dns_suffix: &'static str,
}

/// The partitions other than `aws`, by their regions' prefix.
const PARTITIONS: [(&str, Partition); 6] = [
    (
        "cn-",
        partition("aws-cn", "amazonaws.com.cn", "api.amazonwebservices.com.cn"),
    ),
    (
        "us-gov-",
        partition("aws-us-gov", "amazonaws.com", "api.aws"),
    ),
    (
        "us-iso-",
        partition("aws-iso", "c2s.ic.gov", "api.aws.ic.gov"),
    ),
    (
        "us-isob-",
        partition("aws-iso-b", "sc2s.sgov.gov", "api.aws.scloud"),
    ),
    (
        "us-isof-",
        partition("aws-iso-f", "csp.hci.ic.gov", "api.aws.hci.ic.gov"),
    ),
    (
        "eu-isoe-",
        partition("aws-iso-e", "cloud.adc-e.uk", "api.cloud-aws.adc-e.uk"),
    ),
];

const fn partition(
    name: &'static str,
    dns_suffix: &'static str,
    dual_stack_dns_suffix: &'static str,
) -> Partition {
    Partition {
        name,
        dns_suffix,
        dual_stack_dns_suffix,
    }
}

/// The partition a region is in (`aws` for the commercial regions).
pub fn partition_of(region: &str) -> Partition {
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or(partition("aws", "amazonaws.com", "api.aws"), |(_, p)| *p)
}

/// A service's regional endpoint: the partition's DNS suffix, with the FIPS (`<name>-fips`)
/// and dual-stack variants.
pub fn endpoint(service: Service, region: &str, fips: bool, dual_stack: bool) -> String {
    let partition = partition_of(region);
    let govcloud = partition.name == "aws-us-gov";
    let fips_host = fips
        && !(govcloud
            && match service.govcloud_fips {
                GovCloudFips::Plain => true,
                GovCloudFips::PlainUnlessDualStack => !dual_stack,
                GovCloudFips::FipsHost => false,
            });
    let host = if fips_host {
        format!("{}-fips", service.name)
    } else {
        service.name.to_string()
    };
    // In the `aws` partition, where a service's regular hosts are dual-stack already, so are
    // its FIPS hosts in the four US regions.
    let aws_partition = partition.name == "aws";
    let us = matches!(
        region,
        "us-east-1" | "us-east-2" | "us-west-1" | "us-west-2"
    );
    let regular_is_dual_stack =
        service.dual_stack_is_regular && aws_partition && (!fips_host || us);
    let suffix = if dual_stack && !regular_is_dual_stack {
        partition.dual_stack_dns_suffix
    } else {
        partition.dns_suffix
    };
    format!("https://{host}.{region}.{suffix}")
}

/// The request: `POST /` with the input, and for the JSON protocols the operation's target
/// header.
fn request(
    target: Option<&str>,
    content_type: &str,
    body: Vec<u8>,
) -> Result<HttpRequest, BoxError> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("content-type", content_type);
    if let Some(target) = target {
        request = request.header("x-amz-target", target);
    }
    Ok(HttpRequest::try_from(request.body(SdkBody::from(body))?)?)
}

#[derive(Deserialize)]
struct Fault {
    #[serde(rename = "__type", alias = "code")]
    kind: Option<String>,
    #[serde(alias = "Message")]
    message: Option<String>,
}

/// The answer's JSON, or AWS's error (code and message). A service compatible with its old
/// query protocol (SQS) names its error in `x-amzn-query-error` as that protocol did, and the
/// SDK reports that code; so does this.
fn answer(response: &HttpResponse) -> Result<Vec<u8>, OrchestratorError<ServiceError>> {
    body_or_fault(response, |body| {
        let fault: Option<Fault> = serde_json::from_slice(body).ok();
        let header = |name: &str| response.headers().get(name).map(str::to_string);
        let code = header("x-amzn-query-error")
            .map(|q| q.split(';').next().unwrap_or_default().to_string())
            .filter(|c| !c.is_empty())
            .or_else(|| header("x-amzn-errortype"))
            .or_else(|| fault.as_ref().and_then(|f| f.kind.clone()))
            .map(|c| error_code(&c).to_string());
        (code, fault.and_then(|f| f.message))
    })
}

/// The query protocol's answer, or AWS's error from its XML
/// (`<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error></ErrorResponse>`).
fn xml_answer(response: &HttpResponse) -> Result<Vec<u8>, OrchestratorError<ServiceError>> {
    body_or_fault(response, |body| {
        let text = std::str::from_utf8(body).unwrap_or_default();
        let field = |name: &str| xml_text(text, &["ErrorResponse", "Error", name]);
        (field("Code"), field("Message"))
    })
}

/// A successful answer's body, or the error whose code and message `fault` reads from it.
fn body_or_fault(
    response: &HttpResponse,
    fault: impl FnOnce(&[u8]) -> (Option<String>, Option<String>),
) -> Result<Vec<u8>, OrchestratorError<ServiceError>> {
    let body = response.body().bytes().unwrap_or_default();
    if response.status().is_success() {
        return Ok(body.to_vec());
    }
    let (code, message) = fault(body);
    let mut meta = ErrorMetadata::builder();
    if let Some(code) = code {
        meta = meta.code(code);
    }
    if let Some(message) = message {
        meta = meta.message(message);
    }
    Err(OrchestratorError::operation(ServiceError(meta.build())))
}

/// The text of the element at `path` (from the root element down), unescaped; none when the
/// document is not XML or has no such element.
pub fn xml_text(document: &str, path: &[&str]) -> Option<String> {
    let (root, children) = path.split_first()?;
    let mut doc = Document::new(document);
    let mut scope = doc.root_element().ok()?;
    if !scope.start_el().matches(root) {
        return None;
    }
    fn descend(scope: &mut ScopedDecoder<'_, '_>, path: &[&str]) -> Option<String> {
        let Some((name, rest)) = path.split_first() else {
            return try_data(scope).ok().map(|t| t.into_owned());
        };
        while let Some(mut child) = scope.next_tag() {
            if child.start_el().matches(name) {
                return descend(&mut child, rest);
            }
        }
        None
    }
    descend(&mut scope, children)
}

/// `com.amazonaws.ssm#ParameterNotFound` or `ThrottlingException:http://…` → the code alone.
fn error_code(kind: &str) -> &str {
    let code = kind.rsplit('#').next().unwrap_or(kind);
    code.split(':').next().unwrap_or(code)
}

/// An error a service answered with.
#[derive(Debug)]
pub struct ServiceError(ErrorMetadata);

impl std::fmt::Display for ServiceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.0.code(), self.0.message()) {
            (Some(c), Some(m)) => write!(f, "{c}: {m}"),
            (Some(c), None) => f.write_str(c),
            _ => f.write_str("the service answered with an error"),
        }
    }
}

impl std::error::Error for ServiceError {}

impl ProvideErrorMetadata for ServiceError {
    fn meta(&self) -> &ErrorMetadata {
        &self.0
    }
}

/// A timestamp as the JSON protocols send it (seconds since the epoch, with a fraction), or
/// none when the field is absent or null: `#[serde(default, deserialize_with = "epoch_seconds")]`.
pub fn epoch_seconds<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, D::Error> {
    let Some(secs) = Option::<f64>::deserialize(d)? else {
        return Ok(None);
    };
    let whole = secs.floor();
    // Rounded to the microsecond: f64 holds no more of a present-day timestamp.
    let micros = ((secs - whole) * 1e6).round() as u32;
    Ok(chrono::DateTime::from_timestamp(
        whole as i64,
        micros.min(999_999) * 1_000,
    ))
}

/// A field an answer may leave out or send as `null` (moto does; the SDKs read null as
/// absent): its default then. `#[serde(default, deserialize_with = "or_default")]`.
pub fn or_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A listing's pages: the token to ask the next page with, or none when the last page is read
/// (no token, an empty one, or the token just used again: the SDK's paginators stop there too).
#[derive(Debug, Default)]
pub struct Pages {
    token: Option<String>,
}

impl Pages {
    /// The token of the page to ask for now (none for the first).
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// A page answered with `next`: whether there is another page to ask for.
    pub fn next(&mut self, next: Option<String>) -> bool {
        match next.filter(|t| !t.is_empty()) {
            Some(t) if self.token.as_deref() != Some(t.as_str()) => {
                self.token = Some(t);
                true
            }
            _ => false,
        }
    }
}

/// SSM `GetParameter`: a parameter's value, decrypted when it is a SecureString.
pub async fn get_parameter(base: &SdkConfig, name: &str) -> Result<String, AwsError> {
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
    let input = serde_json::json!({"Name": name, "WithDecryption": true});
    let answer: Answer = ServiceClient::new(base, SSM)
        .call("GetParameter", &input)
        .await?;
    Ok(answer.parameter.and_then(|p| p.value).unwrap_or_default())
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

    fn code_and_message(r: HttpResponse) -> (Option<String>, Option<String>) {
        let e = answer(&r).unwrap_err();
        let e = e.as_operation_error().expect("an operation error");
        (e.code().map(String::from), e.message().map(String::from))
    }

    #[test]
    fn a_successful_answer_is_its_body() {
        let body = r#"{"Parameter":{"Name":"/cw/ext","Type":"SecureString","Value":"s3cr3t"}}"#;
        assert_eq!(answer(&response(200, &[], body)).unwrap(), body.as_bytes());
    }

    #[test]
    fn an_error_answer_keeps_aws_code_and_message() {
        assert_eq!(
            code_and_message(response(
                400,
                &[],
                r#"{"__type":"com.amazonaws.ssm#ParameterNotFound","message":"Parameter /cw/ext not found."}"#,
            )),
            (
                Some("ParameterNotFound".into()),
                Some("Parameter /cw/ext not found.".into())
            )
        );
        assert_eq!(
            code_and_message(response(
                400,
                &[("x-amzn-errortype", "ThrottlingException:http://internal")],
                r#"{"Message":"Rate exceeded"}"#,
            )),
            (
                Some("ThrottlingException".into()),
                Some("Rate exceeded".into())
            )
        );
        // SQS: the query protocol's code, as the SDK reports it.
        assert_eq!(
            code_and_message(response(
                400,
                &[(
                    "x-amzn-query-error",
                    "AWS.SimpleQueueService.NonExistentQueue;Sender"
                )],
                r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#,
            ))
            .0
            .as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
        assert_eq!(
            code_and_message(response(503, &[], "<html>busy</html>")),
            (None, None)
        );
        let e = answer(&response(400, &[], r#"{"__type":"X","message":"y"}"#)).unwrap_err();
        assert_eq!(e.as_operation_error().unwrap().to_string(), "X: y");
    }

    #[test]
    fn the_request_carries_the_target_the_content_type_and_the_input() {
        let r = request(
            Some("AmazonSSM.GetParameter"),
            "application/x-amz-json-1.1",
            br#"{"Name":"/p"}"#.to_vec(),
        )
        .unwrap();
        assert_eq!(r.method(), "POST");
        assert_eq!(r.uri(), "/");
        assert_eq!(
            r.headers().get("x-amz-target"),
            Some("AmazonSSM.GetParameter")
        );
        assert_eq!(
            r.headers().get("content-type"),
            Some("application/x-amz-json-1.1")
        );
        assert_eq!(r.body().bytes(), Some(&br#"{"Name":"/p"}"#[..]));
    }

    #[tokio::test]
    async fn a_call_in_the_wrong_protocol_is_refused_before_it_is_sent() {
        let http = aws_smithy_http_client::test_util::infallible_client_fn(
            |_| -> http::Response<SdkBody> { panic!("nothing is sent") },
        );
        let config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
            .http_client(http)
            .build();
        let e = ServiceClient::new(&config, SNS)
            .call::<serde::de::IgnoredAny>("Publish", &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(e.to_string().contains("not a JSON-protocol service"), "{e}");
        let e = ServiceClient::new(&config, SSM)
            .query("GetParameter", |_| {})
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("not a query-protocol service"),
            "{e}"
        );
    }

    #[test]
    fn pages_end_on_a_missing_empty_or_repeated_token() {
        let mut pages = Pages::default();
        assert_eq!(pages.token(), None);
        assert!(pages.next(Some("a".into())));
        assert_eq!(pages.token(), Some("a"));
        assert!(pages.next(Some("b".into())));
        assert!(!pages.next(Some("b".into())), "the token just used, again");
        let mut pages = Pages::default();
        assert!(!pages.next(Some(String::new())));
        assert!(!Pages::default().next(None));
    }

    #[test]
    fn timestamps_are_epoch_seconds_with_a_fraction() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "epoch_seconds")]
            at: Option<chrono::DateTime<chrono::Utc>>,
        }
        let at = |json: &str| serde_json::from_str::<T>(json).unwrap().at;
        assert_eq!(
            at(r#"{"at":1700000000.25}"#).unwrap().to_rfc3339(),
            "2023-11-14T22:13:20.250+00:00"
        );
        assert_eq!(
            at(r#"{"at":1700000000}"#).unwrap().timestamp(),
            1_700_000_000
        );
        assert_eq!(at(r#"{"at":null}"#), None);
        assert_eq!(at("{}"), None);
        assert!(serde_json::from_str::<T>(r#"{"at":"yesterday"}"#).is_err());
    }

    #[test]
    fn a_null_collection_reads_as_empty() {
        #[derive(Deserialize)]
        struct T {
            #[serde(default, deserialize_with = "or_default")]
            names: Vec<String>,
        }
        let names = |json: &str| serde_json::from_str::<T>(json).unwrap().names;
        assert_eq!(names(r#"{"names":null}"#), Vec::<String>::new());
        assert_eq!(names("{}"), Vec::<String>::new());
        assert_eq!(names(r#"{"names":["a"]}"#), ["a"]);
    }

    #[test]
    fn endpoints_follow_the_partition_and_variants() {
        assert_eq!(
            endpoint(SSM, "eu-west-1", false, false),
            "https://ssm.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            endpoint(SQS, "us-east-1", true, false),
            "https://sqs-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            endpoint(EVENTBRIDGE, "cn-north-1", false, false),
            "https://events.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            endpoint(SSM, "us-west-2", false, true),
            "https://ssm.us-west-2.api.aws"
        );
    }

    #[tokio::test]
    async fn a_call_is_signed_with_sigv4_for_the_service_in_the_region() {
        use aws_smithy_http_client::test_util::capture_request;
        let (http, captured) = capture_request(Some(
            http::Response::builder()
                .status(200)
                .body(SdkBody::from(r#"{"Parameter":{"Value":"v"}}"#))
                .unwrap(),
        ));
        let config = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("eu-west-1"))
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
            .app_name(aws_types::app_name::AppName::new("cognito-watch").unwrap())
            .build();
        assert_eq!(get_parameter(&config, "/p").await.unwrap(), "v");

        let sent = captured.expect_request();
        assert_eq!(sent.uri(), "https://ssm.eu-west-1.amazonaws.com/");
        let body: serde_json::Value = serde_json::from_slice(sent.body().bytes().unwrap()).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Name": "/p", "WithDecryption": true})
        );
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
        // The SDK's user agent, naming the service and the app, for CloudTrail's userAgent.
        let agent = sent
            .headers()
            .get("x-amz-user-agent")
            .expect("a user agent");
        for part in ["aws-sdk-rust/", "api/ssm/", "app/cognito-watch"] {
            assert!(agent.contains(part), "{part} in {agent}");
        }
        assert!(sent.headers().get("user-agent").is_some());
    }
}
