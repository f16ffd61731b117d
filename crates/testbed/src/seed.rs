//! Seeding a Cognito estate and Cognito-shaped CloudWatch datapoints through the SDK.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit, StatisticSet};
use aws_sdk_cognitoidentityprovider::types::{
    AttributeType, IdentityProviderTypeType, OAuthFlowType,
};
use chrono::{DateTime, Utc};

pub type SeedResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Create a user pool; returns its id.
pub async fn user_pool(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    name: &str,
) -> SeedResult<String> {
    let out = idp.create_user_pool().pool_name(name).send().await?;
    Ok(out.user_pool.and_then(|p| p.id).ok_or("no pool id")?)
}

/// A user pool named `name` tagged `key=value`.
pub async fn tagged_user_pool(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    name: &str,
    (key, value): (&str, &str),
) -> SeedResult<String> {
    let out = idp
        .create_user_pool()
        .pool_name(name)
        .user_pool_tags(key, value)
        .send()
        .await?;
    Ok(out.user_pool.and_then(|p| p.id).ok_or("no pool id")?)
}

/// Create an app client; `m2m` gives it the client_credentials grant and a secret.
/// A user pool named `pool_name` with one (non-M2M) app client named `client_name`: (pool id,
/// client id).
pub async fn pool_with_client(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool_name: &str,
    client_name: &str,
) -> SeedResult<(String, String)> {
    let pool = user_pool(idp, pool_name).await?;
    let client = app_client(idp, &pool, client_name, false).await?;
    Ok((pool, client))
}

pub async fn app_client(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    name: &str,
    m2m: bool,
) -> SeedResult<String> {
    let mut req = idp
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .read_attributes("email")
        .read_attributes("name")
        .write_attributes("name");
    if m2m {
        req = req
            .generate_secret(true)
            .allowed_o_auth_flows(OAuthFlowType::ClientCredentials)
            .allowed_o_auth_flows_user_pool_client(true)
            .allowed_o_auth_scopes("api/read");
    }
    let out = req.send().await?;
    Ok(out
        .user_pool_client
        .and_then(|c| c.client_id)
        .ok_or("no client id")?)
}

/// Create a SAML or OIDC identity provider with an attribute mapping.
pub async fn identity_provider(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    name: &str,
) -> SeedResult<()> {
    idp.create_identity_provider()
        .user_pool_id(pool)
        .provider_name(name)
        .provider_type(IdentityProviderTypeType::Oidc)
        .provider_details("client_id", "idp-client")
        .provider_details("authorize_scopes", "openid email")
        .provider_details("oidc_issuer", "https://issuer.example.com")
        .attribute_mapping("email", "email")
        .attribute_mapping("username", "sub")
        .send()
        .await?;
    Ok(())
}

/// Create a user with an email (verified) and a name.
pub async fn user(
    idp: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    username: &str,
) -> SeedResult<()> {
    let attr = |n: &str, v: &str| AttributeType::builder().name(n).value(v).build();
    idp.admin_create_user()
        .user_pool_id(pool)
        .username(username)
        .user_attributes(attr("email", &format!("{username}@example.com"))?)
        .user_attributes(attr("email_verified", "true")?)
        .user_attributes(attr("name", username)?)
        .send()
        .await?;
    Ok(())
}

/// Create an identity pool (unauthenticated identities allowed) with a Cognito provider.
pub async fn identity_pool(
    identity: &aws_sdk_cognitoidentity::Client,
    name: &str,
    pool: &str,
    client: &str,
) -> SeedResult<String> {
    let provider = aws_sdk_cognitoidentity::types::CognitoIdentityProvider::builder()
        .provider_name(format!("cognito-idp.us-east-1.amazonaws.com/{pool}"))
        .client_id(client)
        .build();
    let out = identity
        .create_identity_pool()
        .identity_pool_name(name)
        .allow_unauthenticated_identities(true)
        .supported_login_providers("accounts.google.com", "google-app-id")
        .cognito_identity_providers(provider)
        .send()
        .await?;
    Ok(out.identity_pool_id)
}

/// Create an identity (GetId) in an identity pool.
pub async fn identity(
    identity: &aws_sdk_cognitoidentity::Client,
    pool: &str,
) -> SeedResult<String> {
    let out = identity
        .get_id()
        .identity_pool_id(pool)
        .account_id(crate::ACCOUNT)
        .send()
        .await?;
    Ok(out.identity_id.ok_or("no identity id")?)
}

/// One `AWS/Cognito` datapoint for a minute, as a statistic set.
fn datum(
    metric: &str,
    dims: &[(&str, &str)],
    at: DateTime<Utc>,
    stats: StatisticSet,
) -> MetricDatum {
    MetricDatum::builder()
        .metric_name(metric)
        .set_dimensions(Some(
            dims.iter()
                .map(|(k, v)| Dimension::builder().name(*k).value(*v).build())
                .collect(),
        ))
        .timestamp(aws_smithy_types::DateTime::from_secs(at.timestamp()))
        .unit(StandardUnit::Count)
        .statistic_values(stats)
        .build()
}

/// One datapoint as Cognito publishes `<Family>Successes`: `successes` ones and `failures`
/// zeros in one minute, as a statistic set (SampleCount = requests, Sum = successes).
pub fn requests(
    metric: &str,
    dims: &[(&str, &str)],
    at: DateTime<Utc>,
    successes: u32,
    failures: u32,
) -> MetricDatum {
    let stats = StatisticSet::builder()
        .sample_count(f64::from(successes + failures))
        .sum(f64::from(successes))
        .minimum(if failures > 0 { 0.0 } else { 1.0 })
        .maximum(if successes > 0 { 1.0 } else { 0.0 })
        .build();
    datum(metric, dims, at, stats)
}

/// `<Family>Throttles`: one per throttled request in a minute.
pub fn throttles(
    metric: &str,
    dims: &[(&str, &str)],
    at: DateTime<Utc>,
    count: u32,
) -> MetricDatum {
    let n = f64::from(count);
    datum(
        metric,
        dims,
        at,
        StatisticSet::builder()
            .sample_count(n)
            .sum(n)
            .minimum(1.0)
            .maximum(1.0)
            .build(),
    )
}

/// PutMetricData in `AWS/Cognito`, 500 datapoints per call.
pub async fn put(cw: &aws_sdk_cloudwatch::Client, data: Vec<MetricDatum>) -> SeedResult<()> {
    for chunk in data.chunks(500) {
        cw.put_metric_data()
            .namespace("AWS/Cognito")
            .set_metric_data(Some(chunk.to_vec()))
            .send()
            .await?;
    }
    Ok(())
}
