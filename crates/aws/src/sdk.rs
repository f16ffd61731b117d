//! SDK wiring: the shared configuration (retries, timeouts, endpoint from `AWS_ENDPOINT_URL`),
//! scopes (one account and region), and the clients of a scope, assuming a cross-account role
//! where configured.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::sts::AssumeRoleProvider;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use cognito_watch_core::config::AssumeRole;

use crate::error::AwsError;
use crate::limits::Limits;

/// One account and region to poll.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub account: String,
    pub region: String,
}

impl Scope {
    pub fn key(&self) -> String {
        format!("{}#{}", self.account, self.region)
    }
}

/// The HTTPS client every SDK client uses: hyper with rustls on ring (plain HTTP too, for a local
/// endpoint). The SDK's default client would bring aws-lc, a second crypto library to compile and
/// link (see the workspace's Cargo.toml).
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(
            tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

/// The shared SDK configuration's loader: standard retry mode (retries throttling and 5xx with
/// backoff) with `max_attempts`, bounded timeouts.
fn loader(max_attempts: u32) -> aws_config::ConfigLoader {
    let loader = aws_config::defaults(BehaviorVersion::latest());
    // `app/cognito-watch` in every call's user agent: the monitor's own calls are told apart in
    // CloudTrail.
    let loader = match aws_types::app_name::AppName::new("cognito-watch") {
        Ok(name) => loader.app_name(name),
        Err(_) => loader,
    };
    loader
        .http_client(https_client())
        .retry_config(RetryConfig::standard().with_max_attempts(max_attempts))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(5))
                .operation_attempt_timeout(Duration::from_secs(20))
                .operation_timeout(Duration::from_secs(60))
                .build(),
        )
}

/// Load the shared SDK configuration once at cold start, from the process environment.
pub async fn load(max_attempts: u32) -> SdkConfig {
    loader(max_attempts).load().await
}

/// Load the SDK configuration with the endpoint, region and static credentials of `lookup`
/// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/
/// `AWS_SESSION_TOKEN`) where it has them, the default chain for the rest: a caller that
/// passes its environment in (the CLI, tests) gets that environment, not the process's.
pub async fn load_with(max_attempts: u32, lookup: &dyn Fn(&str) -> Option<String>) -> SdkConfig {
    let mut loader = loader(max_attempts);
    if let Some(url) = lookup("AWS_ENDPOINT_URL") {
        loader = loader.endpoint_url(url);
    }
    if let Some(profile) = lookup("AWS_PROFILE") {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = lookup("AWS_REGION").or_else(|| lookup("AWS_DEFAULT_REGION")) {
        loader = loader.region(Region::new(region));
    }
    if let (Some(id), Some(secret)) = (lookup("AWS_ACCESS_KEY_ID"), lookup("AWS_SECRET_ACCESS_KEY"))
    {
        loader = loader.credentials_provider(aws_credential_types::Credentials::new(
            id,
            secret,
            lookup("AWS_SESSION_TOKEN"),
            None,
            "environment",
        ));
    }
    loader.load().await
}

/// Whom the base credentials belong to: the account, and the partition their ARN names (an
/// account, and every region it is polled in, lives in one partition).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub account: String,
    pub partition: String,
}

/// The account and partition of the base credentials (STS GetCallerIdentity).
pub async fn caller(base: &SdkConfig) -> Result<Caller, AwsError> {
    let out = aws_sdk_sts::Client::new(base)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("GetCallerIdentity", e))?;
    let account = out
        .account
        .ok_or_else(|| AwsError::other("GetCallerIdentity", "no account in the answer"))?;
    let arn = out.arn.unwrap_or_default();
    let partition = cognito_watch_core::config::partition_of_arn(&arn)
        .ok_or_else(|| {
            AwsError::other(
                "GetCallerIdentity",
                format!("the caller's ARN names no partition: {arn:?}"),
            )
        })?
        .to_string();
    Ok(Caller { account, partition })
}

/// The external id kept in an SSM SecureString parameter (decrypted; read once, at cold start).
/// An error names the parameter, never the value.
pub async fn external_id(base: &SdkConfig, parameter: &str) -> Result<String, AwsError> {
    let out = aws_sdk_ssm::Client::new(base)
        .get_parameter()
        .name(parameter)
        .with_decryption(true)
        .send()
        .await
        .map_err(|e| {
            let mut e = AwsError::from_sdk("GetParameter", e);
            // SSM's ParameterNotFound and AccessDenied answers need not say which parameter.
            e.summary = format!("{} (SSM parameter {parameter})", e.summary);
            e
        })?;
    let value = out
        .parameter
        .and_then(|p| p.value)
        .unwrap_or_default()
        .trim()
        .to_string();
    if value.is_empty() {
        return Err(AwsError::other(
            "GetParameter",
            format!("the SSM parameter {parameter} holds no external id"),
        ));
    }
    Ok(value)
}

/// The SDK configuration for a region, with an assumed role's credentials when given.
pub async fn scoped_config(base: &SdkConfig, region: &str, role: Option<&AssumeRole>) -> SdkConfig {
    let mut builder = base.to_builder().region(Region::new(region.to_string()));
    if let Some(role) = role {
        let mut provider = AssumeRoleProvider::builder(role.role_arn.clone())
            .session_name("cognito-watch")
            .region(Region::new(region.to_string()))
            .configure(base);
        if let Some(ext) = &role.external_id {
            provider = provider.external_id(ext.clone());
        }
        builder = builder.credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider.build().await),
        );
    }
    builder.build()
}

/// The clients and request budgets of one scope.
#[derive(Clone)]
pub struct ScopeClients {
    pub scope: Scope,
    /// The partition of the scope's credentials (the ARNs built for its resources).
    pub partition: String,
    /// Cognito user pools (`cognito-idp`).
    pub idp: aws_sdk_cognitoidentityprovider::Client,
    /// Cognito identity pools (`cognito-identity`).
    pub identity: aws_sdk_cognitoidentity::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// AWS WAF (`wafv2`): which web ACL protects a user pool.
    pub waf: aws_sdk_wafv2::Client,
    pub limits: Limits,
    pub calls: Calls,
}

impl ScopeClients {
    /// The scope's clients, every call of each counted into the scope's [`Calls`].
    pub fn new(
        scope: Scope,
        partition: &str,
        config: &SdkConfig,
        quota_share: f64,
    ) -> ScopeClients {
        let calls = Calls::default();
        ScopeClients {
            scope,
            partition: partition.to_string(),
            idp: aws_sdk_cognitoidentityprovider::Client::from_conf(
                aws_sdk_cognitoidentityprovider::config::Builder::from(config)
                    .interceptor(calls.interceptor())
                    .build(),
            ),
            identity: aws_sdk_cognitoidentity::Client::from_conf(
                aws_sdk_cognitoidentity::config::Builder::from(config)
                    .interceptor(calls.interceptor())
                    .build(),
            ),
            cloudwatch: aws_sdk_cloudwatch::Client::from_conf(
                aws_sdk_cloudwatch::config::Builder::from(config)
                    .interceptor(calls.interceptor())
                    .build(),
            ),
            waf: aws_sdk_wafv2::Client::from_conf(
                aws_sdk_wafv2::config::Builder::from(config)
                    .interceptor(calls.interceptor())
                    .build(),
            ),
            limits: Limits::new(quota_share),
            calls,
        }
    }
}

/// aws_smithy_types::DateTime to chrono.
pub fn to_chrono(t: &aws_smithy_types::DateTime) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// chrono to aws_smithy_types::DateTime.
pub fn from_chrono(t: chrono::DateTime<chrono::Utc>) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

/// Counts of AWS calls by operation, for the poll log and the trail's report. Filled by the
/// [`CountCalls`] interceptor of the clients that share it, never by hand.
#[derive(Clone, Default, Debug)]
pub struct Calls(std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, u64>>>);

impl Calls {
    fn count(&self, operation: &str) {
        if let Ok(mut m) = self.0.lock() {
            match m.get_mut(operation) {
                Some(n) => *n += 1,
                None => {
                    m.insert(operation.to_string(), 1);
                }
            }
        }
    }

    /// The counts so far.
    pub fn snapshot(&self) -> std::collections::BTreeMap<String, u64> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The interceptor that counts into these counts.
    pub fn interceptor(&self) -> CountCalls {
        CountCalls(self.clone())
    }
}

/// An SDK interceptor counting each operation a client executes (a paginator's pages each
/// count; the SDK's own retries of one operation do not). It reads the operation's name before
/// serialization: before that, the operation's configuration is not in the bag yet.
#[derive(Debug, Clone)]
pub struct CountCalls(Calls);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(operation) = cfg.load::<Metadata>() {
            self.0.count(operation.name());
        }
        Ok(())
    }
}

/// The logs of a Lambda function: flat JSON lines at Lambda's log level (see `logging`).
pub fn init_lambda_tracing() {
    crate::logging::init_lambda();
}
