//! The collector's translation of Cognito's answers from the SDK crates' types into the core's
//! (`crates/aws/src/cognito.rs`): each answer here, in AWS's documented shape with every field
//! the collector keeps, is read by the SDK crate directly and through the collector's reader,
//! over the same HTTP stub, and the two must agree field by field (a field dropped or mixed up
//! in the translation fails it).

use std::collections::BTreeMap;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use chrono::{DateTime, Utc};
use cognito_watch_aws::{Scope, ScopeClients};
use cognito_watch_testbed::estate;
use serde_json::{json, Value};

const POOL: &str = "us-east-1_AbCdEf123";
const CLIENT: &str = "4u37654rhubjei088dj85clscq";
const IDENTITY_POOL: &str = "us-east-1:0f1e2d3c-0000-4000-8000-00000000abcd";

/// Cognito's answer to `operation`, as AWS documents it.
fn answer(operation: &str) -> Value {
    match operation {
        "ListUserPools" => {
            json!({"UserPools": [{"Id": POOL, "Name": "shop", "Status": "Enabled"}]})
        }
        "DescribeUserPool" => json!({"UserPool": {
            "Id": POOL, "Name": "shop",
            "Arn": format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}"),
            "EstimatedNumberOfUsers": 1234, "MfaConfiguration": "OPTIONAL", "Status": "Enabled",
            "Domain": "shop-auth", "CustomDomain": "auth.shop.example",
            "DeletionProtection": "ACTIVE", "UserPoolTier": "PLUS",
            "CreationDate": 1_700_000_000.125, "LastModifiedDate": 1_700_100_000.5,
            "UserPoolTags": {"team": "identity"},
            "Policies": {"PasswordPolicy": {"MinimumLength": 8}}, "LambdaConfig": {}
        }}),
        "ListUserPoolClients" => json!({"UserPoolClients": [
            {"ClientId": CLIENT, "UserPoolId": POOL, "ClientName": "web"}
        ]}),
        "DescribeUserPoolClient" => json!({"UserPoolClient": {
            "UserPoolId": POOL, "ClientName": "web", "ClientId": CLIENT, "ClientSecret": "s3cr3t",
            "ReadAttributes": ["email", "name"], "WriteAttributes": ["name"],
            "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "SupportedIdentityProviders": ["COGNITO", "corp"],
            "CallbackURLs": ["https://app.example.com/callback"],
            "PreventUserExistenceErrors": "ENABLED",
            "AccessTokenValidity": 60, "IdTokenValidity": 2, "RefreshTokenValidity": 30,
            "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "hours", "RefreshToken": "days"},
            "EnableTokenRevocation": true, "AuthSessionValidity": 3,
            "CreationDate": 1_700_000_001, "LastModifiedDate": 1_700_000_002.75
        }}),
        "ListIdentityProviders" => {
            json!({"Providers": [{"ProviderName": "corp", "ProviderType": "SAML"}]})
        }
        "DescribeIdentityProvider" => json!({"IdentityProvider": {
            "UserPoolId": POOL, "ProviderName": "corp", "ProviderType": "SAML",
            "ProviderDetails": {"MetadataURL": "https://idp.example.com/metadata"},
            "AttributeMapping": {"email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"},
            "IdpIdentifiers": ["corp.example"],
            "CreationDate": 1_700_000_003, "LastModifiedDate": 1_700_000_004
        }}),
        "ListTagsForResource" => json!({"Tags": {"team": "identity", "env": "prod"}}),
        "ListUsers" => json!({"Users": [{
            "Username": "alice",
            "Attributes": [
                {"Name": "sub", "Value": "5f3c1a2b-0000-4000-8000-000000000001"},
                {"Name": "email", "Value": "alice@example.com"},
                {"Name": "email_verified", "Value": "true"}
            ],
            "UserCreateDate": 1_700_000_005.5, "UserLastModifiedDate": 1_700_000_006,
            "Enabled": true, "UserStatus": "CONFIRMED"
        }], "PaginationToken": "page-2"}),
        "ListIdentityPools" => json!({"IdentityPools": [
            {"IdentityPoolId": IDENTITY_POOL, "IdentityPoolName": "shop_identities"}
        ]}),
        "DescribeIdentityPool" => json!({
            "IdentityPoolId": IDENTITY_POOL, "IdentityPoolName": "shop_identities",
            "AllowUnauthenticatedIdentities": true, "AllowClassicFlow": false,
            "SupportedLoginProviders": {"accounts.google.com": "123.apps.googleusercontent.com"},
            "DeveloperProviderName": "login.shop",
            "OpenIdConnectProviderARNs": ["arn:aws:iam::123456789012:oidc-provider/issuer.example.com"],
            "CognitoIdentityProviders": [{
                "ProviderName": format!("cognito-idp.us-east-1.amazonaws.com/{POOL}"),
                "ClientId": CLIENT, "ServerSideTokenCheck": true
            }],
            "SamlProviderARNs": ["arn:aws:iam::123456789012:saml-provider/corp"],
            "IdentityPoolTags": {"team": "identity"}
        }),
        "GetIdentityPoolRoles" => json!({
            "IdentityPoolId": IDENTITY_POOL,
            "Roles": {
                "authenticated": "arn:aws:iam::123456789012:role/Auth",
                "unauthenticated": "arn:aws:iam::123456789012:role/Unauth"
            },
            "RoleMappings": {"accounts.google.com": {
                "Type": "Rules", "AmbiguousRoleResolution": "Deny",
                "RulesConfiguration": {"Rules": [{
                    "Claim": "groups", "MatchType": "Contains", "Value": "admins",
                    "RoleARN": "arn:aws:iam::123456789012:role/Admin"
                }]}
            }}
        }),
        "ListIdentities" => json!({
            "IdentityPoolId": IDENTITY_POOL,
            "Identities": [{
                "IdentityId": "us-east-1:00000001-0000-4000-8000-000000000000",
                "Logins": ["accounts.google.com"],
                "CreationDate": 1_700_000_007, "LastModifiedDate": 1_700_000_008.25
            }],
            "NextToken": "more"
        }),
        other => panic!("no answer for {other}"),
    }
}

/// A configuration whose every Cognito request is answered by [`answer`].
fn config() -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(
            Credentials::for_tests(),
        ))
        .http_client(estate::json_answers(|operation, _input| answer(operation)))
        .build()
}

fn clients(config: &SdkConfig) -> ScopeClients {
    let scope = Scope {
        account: "123456789012".into(),
        region: "us-east-1".into(),
    };
    ScopeClients::new(scope, "aws", config, 1.0)
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> Option<DateTime<Utc>> {
    let t = t.expect("the SDK read the timestamp");
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

fn map(m: Option<&std::collections::HashMap<String, String>>) -> BTreeMap<String, String> {
    let m = m.expect("the SDK read the map");
    assert!(!m.is_empty());
    m.clone().into_iter().collect()
}

#[tokio::test]
async fn user_pool_answers_read_as_the_sdk_reads_them() {
    use aws_sdk_cognitoidentityprovider::Client;
    let config = config();
    let sdk = Client::new(&config);
    let ours = clients(&config);

    let listed = sdk.list_user_pools().max_results(60).send().await.unwrap();
    let p = &listed.user_pools()[0];
    assert_eq!(
        ours.list_user_pools().await.unwrap(),
        [(p.id().unwrap().to_string(), p.name().unwrap().to_string())]
    );

    let p = sdk
        .describe_user_pool()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    let p = p.user_pool().unwrap();
    let (name, d, tags) = ours.describe_user_pool(POOL).await.unwrap();
    assert_eq!(name, p.name().unwrap());
    assert_eq!(d.arn, p.arn().unwrap());
    assert_eq!(d.estimated_number_of_users, Some(1234));
    assert_eq!(p.estimated_number_of_users(), 1234);
    assert_eq!(
        d.mfa_configuration.as_deref(),
        p.mfa_configuration().map(|m| m.as_str())
    );
    #[allow(deprecated)]
    let status = p.status().map(|s| s.as_str());
    assert_eq!(d.status.as_deref(), Some(status.unwrap()));
    assert_eq!(d.domain.as_deref(), Some(p.domain().unwrap()));
    assert_eq!(d.custom_domain.as_deref(), Some(p.custom_domain().unwrap()));
    let deletion = p.deletion_protection().map(|x| x.as_str());
    assert_eq!(d.deletion_protection.as_deref(), Some(deletion.unwrap()));
    let tier = p.user_pool_tier().map(|x| x.as_str());
    assert_eq!(d.user_pool_tier.as_deref(), Some(tier.unwrap()));
    assert_eq!(d.creation_date, time(p.creation_date()));
    assert_eq!(d.last_modified_date, time(p.last_modified_date()));
    assert_eq!(tags, map(p.user_pool_tags()));

    let listed = sdk
        .list_user_pool_clients()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    let sdk_ids: Vec<String> = listed
        .user_pool_clients()
        .iter()
        .map(|c| c.client_id().unwrap().to_string())
        .collect();
    assert_eq!(ours.list_user_pool_clients(POOL).await.unwrap(), sdk_ids);

    let c = sdk
        .describe_user_pool_client()
        .user_pool_id(POOL)
        .client_id(CLIENT)
        .send()
        .await
        .unwrap();
    let c = c.user_pool_client().unwrap();
    let (name, d) = ours.describe_user_pool_client(POOL, CLIENT).await.unwrap();
    let strings = |v: &[String]| {
        assert!(!v.is_empty(), "the SDK read the list");
        v.to_vec()
    };
    let names = |v: Vec<&str>| v.into_iter().map(String::from).collect::<Vec<_>>();
    assert_eq!(name, c.client_name().unwrap());
    assert_eq!(d.read_attributes, strings(c.read_attributes()));
    assert_eq!(d.write_attributes, strings(c.write_attributes()));
    let flows = names(c.explicit_auth_flows().iter().map(|f| f.as_str()).collect());
    assert_eq!(d.explicit_auth_flows, strings(&flows));
    let flows = names(
        c.allowed_o_auth_flows()
            .iter()
            .map(|f| f.as_str())
            .collect(),
    );
    assert_eq!(d.allowed_oauth_flows, strings(&flows));
    assert_eq!(d.allowed_oauth_scopes, strings(c.allowed_o_auth_scopes()));
    assert_eq!(
        Some(d.allowed_oauth_flows_user_pool_client),
        c.allowed_o_auth_flows_user_pool_client()
    );
    assert!(d.allowed_oauth_flows_user_pool_client);
    assert_eq!(
        d.supported_identity_providers,
        strings(c.supported_identity_providers())
    );
    assert_eq!(d.callback_urls, strings(c.callback_urls()));
    let prevent = c.prevent_user_existence_errors().map(|p| p.as_str());
    assert_eq!(
        d.prevent_user_existence_errors.as_deref(),
        Some(prevent.unwrap())
    );
    assert!(d.has_secret && c.client_secret().is_some());
    let units = c.token_validity_units().unwrap();
    let validity =
        |v: Option<i32>, unit: Option<&aws_sdk_cognitoidentityprovider::types::TimeUnitsType>| {
            Some(format!("{} {}", v.unwrap(), unit.unwrap().as_str()))
        };
    assert_eq!(
        d.access_token_validity,
        validity(c.access_token_validity(), units.access_token())
    );
    assert_eq!(d.access_token_validity.as_deref(), Some("60 minutes"));
    assert_eq!(
        d.id_token_validity,
        validity(c.id_token_validity(), units.id_token())
    );
    assert_eq!(
        d.refresh_token_validity,
        validity(Some(c.refresh_token_validity()), units.refresh_token())
    );
    assert_eq!(Some(d.enable_token_revocation), c.enable_token_revocation());
    assert!(d.enable_token_revocation);
    assert_eq!(d.creation_date, time(c.creation_date()));
    assert_eq!(d.last_modified_date, time(c.last_modified_date()));

    let listed = sdk
        .list_identity_providers()
        .user_pool_id(POOL)
        .send()
        .await
        .unwrap();
    let sdk_names: Vec<String> = listed
        .providers()
        .iter()
        .map(|p| p.provider_name().unwrap().to_string())
        .collect();
    assert_eq!(ours.list_identity_providers(POOL).await.unwrap(), sdk_names);

    let p = sdk
        .describe_identity_provider()
        .user_pool_id(POOL)
        .provider_name("corp")
        .send()
        .await
        .unwrap();
    let p = p.identity_provider().unwrap();
    let d = ours.describe_identity_provider(POOL, "corp").await.unwrap();
    assert_eq!(d.provider_type, p.provider_type().unwrap().as_str());
    assert_eq!(d.attribute_mapping, map(p.attribute_mapping()));
    assert_eq!(d.idp_identifiers, strings(p.idp_identifiers()));
    assert_eq!(d.creation_date, time(p.creation_date()));
    assert_eq!(d.last_modified_date, time(p.last_modified_date()));

    let arn = format!("arn:aws:cognito-idp:us-east-1:123456789012:userpool/{POOL}");
    let tags = sdk
        .list_tags_for_resource()
        .resource_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ours.list_user_pool_tags(&arn).await.unwrap(),
        map(tags.tags())
    );

    let page = sdk.list_users().user_pool_id(POOL).send().await.unwrap();
    let u = &page.users()[0];
    let (users, token) = ours.list_users_page(POOL, None).await.unwrap();
    assert_eq!(token.as_deref(), page.pagination_token());
    assert_eq!(token.as_deref(), Some("page-2"));
    let d = &users[0];
    assert_eq!(d.username, u.username().unwrap());
    assert_eq!(
        d.user_status.as_deref(),
        u.user_status().map(|s| s.as_str())
    );
    assert!(d.enabled && u.enabled());
    let pairs: Vec<(String, String)> = u
        .attributes()
        .iter()
        .map(|a| (a.name().to_string(), a.value().unwrap().to_string()))
        .collect();
    assert_eq!(pairs.len(), 3);
    assert_eq!(
        d.attributes,
        cognito_watch_core::inventory::monitor::UserDetails::attributes_from(&pairs)
    );
    assert_eq!(d.creation_date, time(u.user_create_date()));
    assert_eq!(d.last_modified_date, time(u.user_last_modified_date()));
}

#[tokio::test]
async fn identity_pool_answers_read_as_the_sdk_reads_them() {
    use aws_sdk_cognitoidentity::Client;
    let config = config();
    let sdk = Client::new(&config);
    let ours = clients(&config);

    let listed = sdk
        .list_identity_pools()
        .max_results(60)
        .send()
        .await
        .unwrap();
    let p = &listed.identity_pools()[0];
    assert_eq!(
        ours.list_identity_pools().await.unwrap(),
        [(
            p.identity_pool_id().unwrap().to_string(),
            p.identity_pool_name().unwrap().to_string()
        )]
    );

    let p = sdk
        .describe_identity_pool()
        .identity_pool_id(IDENTITY_POOL)
        .send()
        .await
        .unwrap();
    let (name, d, tags) = ours.describe_identity_pool(IDENTITY_POOL).await.unwrap();
    assert_eq!(name, p.identity_pool_name());
    assert_eq!(
        d.allow_unauthenticated_identities,
        p.allow_unauthenticated_identities()
    );
    assert!(d.allow_unauthenticated_identities);
    assert_eq!(d.allow_classic_flow, p.allow_classic_flow());
    assert_eq!(d.allow_classic_flow, Some(false));
    assert_eq!(
        d.supported_login_providers,
        map(p.supported_login_providers())
    );
    assert_eq!(
        d.developer_provider_name.as_deref(),
        Some(p.developer_provider_name().unwrap())
    );
    assert_eq!(
        d.open_id_connect_provider_arns,
        p.open_id_connect_provider_arns().to_vec()
    );
    assert_eq!(d.saml_provider_arns, p.saml_provider_arns().to_vec());
    assert!(!d.open_id_connect_provider_arns.is_empty() && !d.saml_provider_arns.is_empty());
    let sdk_providers: Vec<(String, String, bool)> = p
        .cognito_identity_providers()
        .iter()
        .map(|c| {
            (
                c.provider_name().unwrap().to_string(),
                c.client_id().unwrap().to_string(),
                c.server_side_token_check().unwrap(),
            )
        })
        .collect();
    let our_providers: Vec<(String, String, bool)> = d
        .cognito_identity_providers
        .iter()
        .map(|c| {
            (
                c.provider_name.clone(),
                c.client_id.clone(),
                c.server_side_token_check,
            )
        })
        .collect();
    assert_eq!(our_providers, sdk_providers);
    assert_eq!(our_providers.len(), 1);
    assert_eq!(tags, map(p.identity_pool_tags()));

    let r = sdk
        .get_identity_pool_roles()
        .identity_pool_id(IDENTITY_POOL)
        .send()
        .await
        .unwrap();
    let (roles, mappings) = ours.identity_pool_roles(IDENTITY_POOL).await.unwrap();
    assert_eq!(roles, map(r.roles()));
    let (provider, m) = r.role_mappings().unwrap().iter().next().unwrap();
    let rule = &m.rules_configuration().unwrap().rules()[0];
    let mappings: Value = serde_json::from_str(&mappings.unwrap()).unwrap();
    assert_eq!(
        mappings,
        json!({ provider: {
            "type": m.r#type().as_str(),
            "ambiguous_role_resolution": m.ambiguous_role_resolution().unwrap().as_str(),
            "rules": [{
                "claim": rule.claim(), "match_type": rule.match_type().as_str(),
                "value": rule.value(), "role_arn": rule.role_arn()
            }]
        }})
    );

    let page = sdk
        .list_identities()
        .identity_pool_id(IDENTITY_POOL)
        .max_results(60)
        .send()
        .await
        .unwrap();
    let i = &page.identities()[0];
    let (identities, token) = ours
        .list_identities_page(IDENTITY_POOL, None)
        .await
        .unwrap();
    assert_eq!(token.as_deref(), page.next_token());
    assert_eq!(token.as_deref(), Some("more"));
    let d = &identities[0];
    assert_eq!(d.identity_id, i.identity_id().unwrap());
    assert_eq!(d.logins, i.logins().to_vec());
    assert!(!d.logins.is_empty());
    assert_eq!(d.creation_date, time(i.creation_date()));
    assert_eq!(d.last_modified_date, time(i.last_modified_date()));
}
