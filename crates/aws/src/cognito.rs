//! Cognito readers: every Describe*/List* the collector uses, paged and rate limited, each
//! translated into the core's types. AdminGetUser is never called: it would bill the user as a
//! monthly active user. Client secrets are never read into our types.
//!
//! The calls are Cognito's JSON protocol through [`crate::wire`], not the Cognito SDK
//! crates (the user pools crate alone was a minute of the release build); each answer is read
//! into the fields below, named as AWS's API reference names them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cognito_watch_core::inventory::monitor::{
    AppClientDetails, CognitoProvider, IdentityPoolDetails, IdentityProviderDetails,
    IdentitySample, UserDetails, UserPoolDetails,
};
use cognito_watch_core::inventory::quota::ApiCategory;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::error::AwsError;
use crate::sdk::ScopeClients;
use crate::wire::{epoch_seconds, or_default, Pages, ServiceClient};

/// Page size of every Cognito listing (the maximum the APIs take).
pub const PAGE_SIZE: i32 = 60;

/// A timestamp field of an answer.
type Timestamp = Option<DateTime<Utc>>;

impl ScopeClients {
    /// One request, after waiting for its category's quota about `pool` (the calls are counted
    /// by the clients).
    async fn ask<T: DeserializeOwned>(
        &self,
        client: &ServiceClient,
        (category, pool): (ApiCategory, Option<&str>),
        operation: &'static str,
        input: &Value,
    ) -> Result<T, AwsError> {
        self.limits.acquire(category, pool).await;
        client.call(operation, input).await
    }

    /// Every page of a listing, the category's quota taken before each page's request: `take`
    /// keeps what it needs of a page and returns the page's `NextToken`.
    async fn each_page<P: DeserializeOwned>(
        &self,
        client: &ServiceClient,
        quota: (ApiCategory, Option<&str>),
        operation: &'static str,
        mut input: Value,
        mut take: impl FnMut(P) -> Option<String>,
    ) -> Result<(), AwsError> {
        let mut pages = Pages::default();
        loop {
            if let Some(token) = pages.token() {
                input["NextToken"] = json!(token);
            }
            let page = self.ask(client, quota, operation, &input).await?;
            if !pages.next(take(page)) {
                return Ok(());
            }
        }
    }

    /// ListUserPools, every page: (id, name).
    pub async fn list_user_pools(&self) -> Result<Vec<(String, String)>, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            user_pools: Vec<Listed>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            id: Option<String>,
            name: Option<String>,
        }
        let mut out = Vec::new();
        let take = |page: Page| {
            out.extend(
                page.user_pools
                    .into_iter()
                    .filter_map(|p| named(p.id, p.name)),
            );
            page.next_token
        };
        let input = json!({ "MaxResults": PAGE_SIZE });
        let quota = (ApiCategory::UserPoolRead, None);
        self.each_page(&self.idp, quota, "ListUserPools", input, take)
            .await?;
        Ok(out)
    }

    /// DescribeUserPool: (name, details, tags DescribeUserPool carries).
    pub async fn describe_user_pool(
        &self,
        pool_id: &str,
    ) -> Result<(String, UserPoolDetails, BTreeMap<String, String>), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            user_pool: Option<UserPool>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct UserPool {
            name: Option<String>,
            arn: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            estimated_number_of_users: i64,
            mfa_configuration: Option<String>,
            status: Option<String>,
            domain: Option<String>,
            custom_domain: Option<String>,
            deletion_protection: Option<String>,
            user_pool_tier: Option<String>,
            #[serde(default, deserialize_with = "epoch_seconds")]
            creation_date: Timestamp,
            #[serde(default, deserialize_with = "epoch_seconds")]
            last_modified_date: Timestamp,
            #[serde(default, deserialize_with = "or_default")]
            user_pool_tags: BTreeMap<String, String>,
        }
        let input = json!({ "UserPoolId": pool_id });
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let answer: Answer = self
            .ask(&self.idp, quota, "DescribeUserPool", &input)
            .await?;
        let p = answer
            .user_pool
            .ok_or_else(|| AwsError::other("DescribeUserPool", "no UserPool in the answer"))?;
        let details = UserPoolDetails {
            arn: p.arn.unwrap_or_default(),
            estimated_number_of_users: Some(p.estimated_number_of_users),
            mfa_configuration: p.mfa_configuration,
            status: p.status,
            domain: p.domain,
            custom_domain: p.custom_domain,
            deletion_protection: p.deletion_protection,
            user_pool_tier: p.user_pool_tier,
            creation_date: p.creation_date,
            last_modified_date: p.last_modified_date,
            ..Default::default()
        };
        let name = p.name.unwrap_or_else(|| pool_id.to_string());
        Ok((name, details, p.user_pool_tags))
    }

    /// ListUserPoolClients, every page: client ids.
    pub async fn list_user_pool_clients(&self, pool_id: &str) -> Result<Vec<String>, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            user_pool_clients: Vec<Listed>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            client_id: Option<String>,
        }
        let mut out = Vec::new();
        let take = |page: Page| {
            out.extend(
                page.user_pool_clients
                    .into_iter()
                    .filter_map(|c| c.client_id),
            );
            page.next_token
        };
        let input = json!({ "UserPoolId": pool_id, "MaxResults": PAGE_SIZE });
        let quota = (ApiCategory::UserPoolClientRead, Some(pool_id));
        self.each_page(&self.idp, quota, "ListUserPoolClients", input, take)
            .await?;
        Ok(out)
    }

    /// DescribeUserPoolClient: (name, details). The secret is dropped here.
    pub async fn describe_user_pool_client(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<(String, AppClientDetails), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            user_pool_client: Option<Client>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Client {
            client_name: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            read_attributes: Vec<String>,
            #[serde(default, deserialize_with = "or_default")]
            write_attributes: Vec<String>,
            #[serde(default, deserialize_with = "or_default")]
            explicit_auth_flows: Vec<String>,
            #[serde(default, rename = "AllowedOAuthFlows", deserialize_with = "or_default")]
            allowed_oauth_flows: Vec<String>,
            #[serde(
                default,
                rename = "AllowedOAuthScopes",
                deserialize_with = "or_default"
            )]
            allowed_oauth_scopes: Vec<String>,
            #[serde(
                default,
                rename = "AllowedOAuthFlowsUserPoolClient",
                deserialize_with = "or_default"
            )]
            allowed_oauth_flows_user_pool_client: bool,
            #[serde(default, deserialize_with = "or_default")]
            supported_identity_providers: Vec<String>,
            #[serde(default, rename = "CallbackURLs", deserialize_with = "or_default")]
            callback_urls: Vec<String>,
            prevent_user_existence_errors: Option<String>,
            /// Only whether there is one is kept.
            #[serde(default, rename = "ClientSecret", deserialize_with = "non_empty")]
            has_secret: bool,
            access_token_validity: Option<i32>,
            id_token_validity: Option<i32>,
            refresh_token_validity: Option<i32>,
            token_validity_units: Option<Units>,
            #[serde(default, deserialize_with = "or_default")]
            enable_token_revocation: bool,
            #[serde(default, deserialize_with = "epoch_seconds")]
            creation_date: Timestamp,
            #[serde(default, deserialize_with = "epoch_seconds")]
            last_modified_date: Timestamp,
        }
        #[derive(Deserialize, Default)]
        #[serde(rename_all = "PascalCase")]
        struct Units {
            access_token: Option<String>,
            id_token: Option<String>,
            refresh_token: Option<String>,
        }
        let input = json!({ "UserPoolId": pool_id, "ClientId": client_id });
        let quota = (ApiCategory::UserPoolClientRead, Some(pool_id));
        let answer: Answer = self
            .ask(&self.idp, quota, "DescribeUserPoolClient", &input)
            .await?;
        let c = answer.user_pool_client.ok_or_else(|| {
            AwsError::other("DescribeUserPoolClient", "no UserPoolClient in the answer")
        })?;
        let units = c.token_validity_units.unwrap_or_default();
        let validity = |v: Option<i32>, unit: Option<String>, default_unit: &str| {
            v.map(|v| format!("{v} {}", unit.as_deref().unwrap_or(default_unit)))
        };
        let details = AppClientDetails {
            client_id: client_id.to_string(),
            user_pool_id: pool_id.to_string(),
            read_attributes: c.read_attributes,
            write_attributes: c.write_attributes,
            explicit_auth_flows: c.explicit_auth_flows,
            allowed_oauth_flows: c.allowed_oauth_flows,
            allowed_oauth_scopes: c.allowed_oauth_scopes,
            allowed_oauth_flows_user_pool_client: c.allowed_oauth_flows_user_pool_client,
            supported_identity_providers: c.supported_identity_providers,
            callback_urls: c.callback_urls,
            prevent_user_existence_errors: c.prevent_user_existence_errors,
            has_secret: c.has_secret,
            access_token_validity: validity(c.access_token_validity, units.access_token, "hours"),
            id_token_validity: validity(c.id_token_validity, units.id_token, "hours"),
            refresh_token_validity: validity(
                c.refresh_token_validity.filter(|v| *v > 0),
                units.refresh_token,
                "days",
            ),
            enable_token_revocation: c.enable_token_revocation,
            creation_date: c.creation_date,
            last_modified_date: c.last_modified_date,
        };
        let name = c.client_name.unwrap_or_else(|| client_id.to_string());
        Ok((name, details))
    }

    /// ListIdentityProviders, every page: provider names.
    pub async fn list_identity_providers(&self, pool_id: &str) -> Result<Vec<String>, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            providers: Vec<Listed>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            provider_name: Option<String>,
        }
        let mut out = Vec::new();
        let take = |page: Page| {
            out.extend(page.providers.into_iter().filter_map(|p| p.provider_name));
            page.next_token
        };
        let input = json!({ "UserPoolId": pool_id, "MaxResults": PAGE_SIZE });
        let quota = (ApiCategory::UserPoolResourceRead, Some(pool_id));
        self.each_page(&self.idp, quota, "ListIdentityProviders", input, take)
            .await?;
        Ok(out)
    }

    /// DescribeIdentityProvider.
    pub async fn describe_identity_provider(
        &self,
        pool_id: &str,
        name: &str,
    ) -> Result<IdentityProviderDetails, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            identity_provider: Option<Provider>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Provider {
            provider_type: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            attribute_mapping: BTreeMap<String, String>,
            #[serde(default, deserialize_with = "or_default")]
            idp_identifiers: Vec<String>,
            #[serde(default, deserialize_with = "epoch_seconds")]
            creation_date: Timestamp,
            #[serde(default, deserialize_with = "epoch_seconds")]
            last_modified_date: Timestamp,
        }
        let input = json!({ "UserPoolId": pool_id, "ProviderName": name });
        let quota = (ApiCategory::UserPoolResourceRead, Some(pool_id));
        let answer: Answer = self
            .ask(&self.idp, quota, "DescribeIdentityProvider", &input)
            .await?;
        let p = answer.identity_provider.ok_or_else(|| {
            AwsError::other(
                "DescribeIdentityProvider",
                "no IdentityProvider in the answer",
            )
        })?;
        Ok(IdentityProviderDetails {
            provider_name: name.to_string(),
            provider_type: p.provider_type.unwrap_or_default(),
            user_pool_id: pool_id.to_string(),
            attribute_mapping: p.attribute_mapping,
            idp_identifiers: p.idp_identifiers,
            creation_date: p.creation_date,
            last_modified_date: p.last_modified_date,
        })
    }

    /// cognito-idp ListTagsForResource.
    pub async fn list_user_pool_tags(
        &self,
        arn: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            #[serde(default, deserialize_with = "or_default")]
            tags: BTreeMap<String, String>,
        }
        let pool = arn.rsplit_once('/').map(|(_, id)| id);
        let input = json!({ "ResourceArn": arn });
        let quota = (ApiCategory::UserPoolResourceRead, pool);
        let answer: Answer = self
            .ask(&self.idp, quota, "ListTagsForResource", &input)
            .await?;
        Ok(answer.tags)
    }

    /// One ListUsers page: the users and the token of the next page.
    pub async fn list_users_page(
        &self,
        pool_id: &str,
        token: Option<String>,
    ) -> Result<(Vec<UserDetails>, Option<String>), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            users: Vec<User>,
            pagination_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct User {
            username: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            attributes: Vec<Attribute>,
            #[serde(default, deserialize_with = "epoch_seconds")]
            user_create_date: Timestamp,
            #[serde(default, deserialize_with = "epoch_seconds")]
            user_last_modified_date: Timestamp,
            enabled: Option<bool>,
            user_status: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Attribute {
            name: String,
            value: Option<String>,
        }
        let mut input = json!({ "UserPoolId": pool_id, "Limit": PAGE_SIZE });
        if let Some(token) = token {
            input["PaginationToken"] = json!(token);
        }
        let quota = (ApiCategory::UserList, Some(pool_id));
        let page: Page = self.ask(&self.idp, quota, "ListUsers", &input).await?;
        let users = page
            .users
            .into_iter()
            .filter_map(|u| {
                let pairs: Vec<(String, String)> = u
                    .attributes
                    .into_iter()
                    .map(|a| (a.name, a.value.unwrap_or_default()))
                    .collect();
                Some(UserDetails {
                    username: u.username?,
                    user_pool_id: pool_id.to_string(),
                    user_status: u.user_status,
                    enabled: u.enabled.unwrap_or(false),
                    attributes: UserDetails::attributes_from(&pairs),
                    creation_date: u.user_create_date,
                    last_modified_date: u.user_last_modified_date,
                    sweep: 0,
                })
            })
            .collect();
        Ok((users, page.pagination_token.filter(|t| !t.is_empty())))
    }

    /// ListIdentityPools, every page: (id, name).
    pub async fn list_identity_pools(&self) -> Result<Vec<(String, String)>, AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            identity_pools: Vec<Listed>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Listed {
            identity_pool_id: Option<String>,
            identity_pool_name: Option<String>,
        }
        let mut out = Vec::new();
        let take = |page: Page| {
            out.extend(
                page.identity_pools
                    .into_iter()
                    .filter_map(|p| named(p.identity_pool_id, p.identity_pool_name)),
            );
            page.next_token
        };
        let input = json!({ "MaxResults": PAGE_SIZE });
        let quota = (ApiCategory::IdentityPoolRead, None);
        self.each_page(&self.identity, quota, "ListIdentityPools", input, take)
            .await?;
        Ok(out)
    }

    /// DescribeIdentityPool: (name, details, tags).
    pub async fn describe_identity_pool(
        &self,
        id: &str,
    ) -> Result<(String, IdentityPoolDetails, BTreeMap<String, String>), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            identity_pool_name: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            allow_unauthenticated_identities: bool,
            allow_classic_flow: Option<bool>,
            #[serde(default, deserialize_with = "or_default")]
            supported_login_providers: BTreeMap<String, String>,
            developer_provider_name: Option<String>,
            #[serde(
                default,
                rename = "OpenIdConnectProviderARNs",
                deserialize_with = "or_default"
            )]
            open_id_connect_provider_arns: Vec<String>,
            #[serde(default, deserialize_with = "or_default")]
            cognito_identity_providers: Vec<Provider>,
            #[serde(default, rename = "SamlProviderARNs", deserialize_with = "or_default")]
            saml_provider_arns: Vec<String>,
            #[serde(default, deserialize_with = "or_default")]
            identity_pool_tags: BTreeMap<String, String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Provider {
            provider_name: Option<String>,
            client_id: Option<String>,
            server_side_token_check: Option<bool>,
        }
        let input = json!({ "IdentityPoolId": id });
        let quota = (ApiCategory::IdentityPoolRead, None);
        let p: Answer = self
            .ask(&self.identity, quota, "DescribeIdentityPool", &input)
            .await?;
        let details = IdentityPoolDetails {
            identity_pool_id: id.to_string(),
            arn: identity_pool_arn(&self.scope.region, &self.scope.account, id),
            allow_unauthenticated_identities: p.allow_unauthenticated_identities,
            allow_classic_flow: p.allow_classic_flow,
            supported_login_providers: p.supported_login_providers,
            cognito_identity_providers: p
                .cognito_identity_providers
                .into_iter()
                .map(|c| CognitoProvider {
                    provider_name: c.provider_name.unwrap_or_default(),
                    client_id: c.client_id.unwrap_or_default(),
                    server_side_token_check: c.server_side_token_check.unwrap_or(false),
                })
                .collect(),
            open_id_connect_provider_arns: p.open_id_connect_provider_arns,
            saml_provider_arns: p.saml_provider_arns,
            developer_provider_name: p.developer_provider_name.filter(|d| !d.is_empty()),
            ..Default::default()
        };
        let name = p.identity_pool_name.unwrap_or_default();
        Ok((name, details, p.identity_pool_tags))
    }

    /// GetIdentityPoolRoles: (role kind -> ARN, role mappings as JSON).
    pub async fn identity_pool_roles(
        &self,
        id: &str,
    ) -> Result<(BTreeMap<String, String>, Option<String>), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Answer {
            #[serde(default, deserialize_with = "or_default")]
            roles: BTreeMap<String, String>,
            #[serde(default, deserialize_with = "or_default")]
            role_mappings: BTreeMap<String, RoleMapping>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct RoleMapping {
            r#type: Option<String>,
            ambiguous_role_resolution: Option<String>,
            rules_configuration: Option<Rules>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Rules {
            #[serde(default, deserialize_with = "or_default")]
            rules: Vec<Rule>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Rule {
            claim: Option<String>,
            match_type: Option<String>,
            value: Option<String>,
            #[serde(rename = "RoleARN")]
            role_arn: Option<String>,
        }
        let input = json!({ "IdentityPoolId": id });
        let quota = (ApiCategory::IdentityPoolRead, None);
        let out: Answer = self
            .ask(&self.identity, quota, "GetIdentityPoolRoles", &input)
            .await?;
        let mappings = (!out.role_mappings.is_empty()).then(|| {
            let json: BTreeMap<&String, Value> = out
                .role_mappings
                .iter()
                .map(|(provider, rm)| {
                    let rules: Vec<Value> = rm
                        .rules_configuration
                        .iter()
                        .flat_map(|r| &r.rules)
                        .map(|rule| {
                            json!({
                                "claim": rule.claim, "match_type": rule.match_type,
                                "value": rule.value, "role_arn": rule.role_arn,
                            })
                        })
                        .collect();
                    let mapping = json!({
                        "type": rm.r#type,
                        "ambiguous_role_resolution": rm.ambiguous_role_resolution,
                        "rules": rules,
                    });
                    (provider, mapping)
                })
                .collect();
            serde_json::to_string(&json).unwrap_or_default()
        });
        Ok((out.roles, mappings))
    }

    /// One ListIdentities page: the identities and the token of the next page.
    pub async fn list_identities_page(
        &self,
        id: &str,
        token: Option<String>,
    ) -> Result<(Vec<IdentitySample>, Option<String>), AwsError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Page {
            #[serde(default, deserialize_with = "or_default")]
            identities: Vec<Identity>,
            next_token: Option<String>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct Identity {
            identity_id: Option<String>,
            #[serde(default, deserialize_with = "or_default")]
            logins: Vec<String>,
            #[serde(default, deserialize_with = "epoch_seconds")]
            creation_date: Timestamp,
            #[serde(default, deserialize_with = "epoch_seconds")]
            last_modified_date: Timestamp,
        }
        let mut input = json!({ "IdentityPoolId": id, "MaxResults": PAGE_SIZE });
        if let Some(token) = token {
            input["NextToken"] = json!(token);
        }
        let quota = (ApiCategory::IdentityList, None);
        let page: Page = self
            .ask(&self.identity, quota, "ListIdentities", &input)
            .await?;
        let identities = page
            .identities
            .into_iter()
            .filter_map(|i| {
                Some(IdentitySample {
                    identity_id: i.identity_id?,
                    logins: i.logins,
                    creation_date: i.creation_date,
                    last_modified_date: i.last_modified_date,
                })
            })
            .collect();
        Ok((identities, page.next_token.filter(|t| !t.is_empty())))
    }
}

/// A field kept only as whether it holds a non-empty string (a client secret).
fn non_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Option::<String>::deserialize(d)?.is_some_and(|s| !s.is_empty()))
}

/// A listed pool's (id, name), its id standing for a missing name; none without an id.
fn named(id: Option<String>, name: Option<String>) -> Option<(String, String)> {
    let id = id?;
    let name = name.unwrap_or_else(|| id.clone());
    Some((id, name))
}

/// An identity pool's ARN (DescribeIdentityPool does not say it).
fn identity_pool_arn(region: &str, account: &str, id: &str) -> String {
    let partition = crate::wire::partition_of(region).name;
    format!("arn:{partition}:cognito-identity:{region}:{account}:identitypool/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_identity_pool_arn_names_its_regions_partition() {
        let id = "cn-north-1:0f1e2d3c-0000-4000-8000-00000000abcd";
        assert_eq!(
            identity_pool_arn("cn-north-1", "123456789012", id),
            format!("arn:aws-cn:cognito-identity:cn-north-1:123456789012:identitypool/{id}")
        );
        assert_eq!(
            identity_pool_arn("us-gov-west-1", "123456789012", "us-gov-west-1:x"),
            "arn:aws-us-gov:cognito-identity:us-gov-west-1:123456789012:identitypool/us-gov-west-1:x"
        );
        assert_eq!(
            identity_pool_arn("eu-west-1", "123456789012", "eu-west-1:x"),
            "arn:aws:cognito-identity:eu-west-1:123456789012:identitypool/eu-west-1:x"
        );
    }
}
