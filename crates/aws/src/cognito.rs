//! Cognito readers: every Describe*/List* the collector uses, paged and rate limited, each
//! translated into the core's types. AdminGetUser is never called: it would bill the user as a
//! monthly active user. Client secrets are never read into our types: only whether a client
//! has one.

use std::collections::BTreeMap;

use cognito_watch_core::inventory::monitor::{
    AppClientDetails, CognitoProvider, IdentityPoolDetails, IdentityProviderDetails,
    IdentitySample, UserDetails, UserPoolDetails,
};
use cognito_watch_core::inventory::quota::ApiCategory;
use cognito_watch_core::inventory::security::{
    MfaConfig, PasswordPolicy, PoolSecurity, RiskActions,
};

use aws_sdk_cognitoidentity::operation::list_identity_pools::ListIdentityPoolsOutput;
use aws_sdk_cognitoidentityprovider::operation::list_identity_providers::ListIdentityProvidersOutput;
use aws_sdk_cognitoidentityprovider::operation::list_user_pool_clients::ListUserPoolClientsOutput;
use aws_sdk_cognitoidentityprovider::operation::list_user_pools::ListUserPoolsOutput;
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::AwsError;
use crate::sdk::{to_chrono, ScopeClients};

/// Cognito's modeled errors, user pools and identity pools: each call's error is read into its
/// service's type, which says what kind of error it is.
type Idp = aws_sdk_cognitoidentityprovider::Error;
type Identity = aws_sdk_cognitoidentity::Error;

/// Page size of every Cognito listing (the maximum the APIs take).
pub const PAGE_SIZE: i32 = 60;

/// A listing's pages, as the SDK's paginator yields them.
type Pages<P, E> = PaginationStream<Result<P, SdkError<E, HttpResponse>>>;

impl ScopeClients {
    /// Wait for the category's quota before a request about `pool` (the calls are counted by
    /// the clients' interceptor).
    async fn slot(&self, category: ApiCategory, pool: Option<&str>) {
        self.limits.acquire(category, pool).await;
    }

    /// One request, sent once its category's quota about `pool` allows it (an SDK request's
    /// future sends nothing until awaited), its error read into the service's modeled type `S`.
    async fn ask<S, T, E>(
        &self,
        (category, pool): (ApiCategory, Option<&str>),
        operation: &'static str,
        request: impl std::future::Future<Output = Result<T, SdkError<E, HttpResponse>>>,
    ) -> Result<T, AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        S: crate::error::ModeledError + From<SdkError<E, HttpResponse>>,
    {
        self.slot(category, pool).await;
        request
            .await
            .map_err(|e| AwsError::modeled::<S, _>(operation, e))
    }

    /// Every page of a listing, the category's quota taken before each page's request (the
    /// paginator sends a page's request when asked for it): `token` reads a page's next token,
    /// `take` keeps what it needs of the page.
    async fn each_page<S, P, E>(
        &self,
        (category, pool): (ApiCategory, Option<&str>),
        operation: &'static str,
        mut pages: Pages<P, E>,
        token: fn(&P) -> Option<&str>,
        mut take: impl FnMut(P),
    ) -> Result<(), AwsError>
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        S: crate::error::ModeledError + From<SdkError<E, HttpResponse>>,
    {
        self.slot(category, pool).await;
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| AwsError::modeled::<S, _>(operation, e))?;
            // The SDK's paginators stop on a missing or empty token.
            let more = token(&page).is_some_and(|t| !t.is_empty());
            take(page);
            if more {
                self.slot(category, pool).await;
            }
        }
        Ok(())
    }

    /// ListUserPools, every page: (id, name).
    pub async fn list_user_pools(&self) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let pages = self
            .idp
            .list_user_pools()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let take = |page: ListUserPoolsOutput| {
            out.extend(
                page.user_pools
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| named(p.id, p.name)),
            );
        };
        let token = ListUserPoolsOutput::next_token;
        self.each_page::<Idp, _, _>(
            (ApiCategory::UserPoolRead, None),
            "ListUserPools",
            pages,
            token,
            take,
        )
        .await?;
        Ok(out)
    }

    /// DescribeUserPool: (name, details, tags DescribeUserPool carries).
    pub async fn describe_user_pool(
        &self,
        pool_id: &str,
    ) -> Result<(String, UserPoolDetails, BTreeMap<String, String>), AwsError> {
        let request = self.idp.describe_user_pool().user_pool_id(pool_id).send();
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "DescribeUserPool", request)
            .await?;
        let p = out
            .user_pool
            .ok_or_else(|| AwsError::other("DescribeUserPool", "no UserPool in the answer"))?;
        let details = UserPoolDetails {
            arn: p.arn.clone().unwrap_or_default(),
            estimated_number_of_users: Some(i64::from(p.estimated_number_of_users)),
            mfa_configuration: p.mfa_configuration.as_ref().map(|m| m.as_str().to_string()),
            #[allow(deprecated)]
            status: p.status.as_ref().map(|s| s.as_str().to_string()),
            domain: p.domain.clone(),
            custom_domain: p.custom_domain.clone(),
            deletion_protection: p
                .deletion_protection
                .as_ref()
                .map(|d| d.as_str().to_string()),
            user_pool_tier: p.user_pool_tier.as_ref().map(|t| t.as_str().to_string()),
            creation_date: p.creation_date.as_ref().and_then(to_chrono),
            last_modified_date: p.last_modified_date.as_ref().and_then(to_chrono),
            security: Some(pool_security(&p)),
            ..Default::default()
        };
        let tags = p
            .user_pool_tags
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        Ok((p.name.unwrap_or_else(|| pool_id.to_string()), details, tags))
    }

    /// ListUserPoolClients, every page: client ids.
    pub async fn list_user_pool_clients(&self, pool_id: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let pages = self
            .idp
            .list_user_pool_clients()
            .user_pool_id(pool_id)
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let take = |page: ListUserPoolClientsOutput| {
            out.extend(
                page.user_pool_clients
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|c| c.client_id),
            );
        };
        let (category, token) = (
            ApiCategory::UserPoolClientRead,
            ListUserPoolClientsOutput::next_token,
        );
        self.each_page::<Idp, _, _>(
            (category, Some(pool_id)),
            "ListUserPoolClients",
            pages,
            token,
            take,
        )
        .await?;
        Ok(out)
    }

    /// DescribeUserPoolClient: (name, details). The secret is dropped here.
    pub async fn describe_user_pool_client(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<(String, AppClientDetails), AwsError> {
        let request = self
            .idp
            .describe_user_pool_client()
            .user_pool_id(pool_id)
            .client_id(client_id)
            .send();
        let quota = (ApiCategory::UserPoolClientRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "DescribeUserPoolClient", request)
            .await?;
        let c = out.user_pool_client.ok_or_else(|| {
            AwsError::other("DescribeUserPoolClient", "no UserPoolClient in the answer")
        })?;
        let units = c.token_validity_units.as_ref();
        let validity = |v: Option<i32>, unit: Option<&str>, default_unit: &str| {
            v.map(|v| format!("{v} {}", unit.unwrap_or(default_unit)))
        };
        let details = AppClientDetails {
            client_id: client_id.to_string(),
            user_pool_id: pool_id.to_string(),
            read_attributes: c.read_attributes.clone().unwrap_or_default(),
            write_attributes: c.write_attributes.clone().unwrap_or_default(),
            explicit_auth_flows: c
                .explicit_auth_flows()
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
            allowed_oauth_flows: c
                .allowed_o_auth_flows()
                .iter()
                .map(|f| f.as_str().to_string())
                .collect(),
            allowed_oauth_scopes: c.allowed_o_auth_scopes.clone().unwrap_or_default(),
            allowed_oauth_flows_user_pool_client: c
                .allowed_o_auth_flows_user_pool_client
                .unwrap_or(false),
            supported_identity_providers: c
                .supported_identity_providers
                .clone()
                .unwrap_or_default(),
            callback_urls: c.callback_urls.clone().unwrap_or_default(),
            prevent_user_existence_errors: c
                .prevent_user_existence_errors
                .as_ref()
                .map(|p| p.as_str().to_string()),
            has_secret: c.client_secret.as_deref().is_some_and(|s| !s.is_empty()),
            access_token_validity: validity(
                c.access_token_validity,
                units.and_then(|u| u.access_token()).map(|u| u.as_str()),
                "hours",
            ),
            id_token_validity: validity(
                c.id_token_validity,
                units.and_then(|u| u.id_token()).map(|u| u.as_str()),
                "hours",
            ),
            refresh_token_validity: validity(
                Some(c.refresh_token_validity).filter(|v| *v > 0),
                units.and_then(|u| u.refresh_token()).map(|u| u.as_str()),
                "days",
            ),
            enable_token_revocation: c.enable_token_revocation.unwrap_or(false),
            risk_actions: None,
            creation_date: c.creation_date.as_ref().and_then(to_chrono),
            last_modified_date: c.last_modified_date.as_ref().and_then(to_chrono),
        };
        Ok((
            c.client_name
                .clone()
                .unwrap_or_else(|| client_id.to_string()),
            details,
        ))
    }

    /// ListIdentityProviders, every page: provider names.
    pub async fn list_identity_providers(&self, pool_id: &str) -> Result<Vec<String>, AwsError> {
        let mut out = Vec::new();
        let pages = self
            .idp
            .list_identity_providers()
            .user_pool_id(pool_id)
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let take = |page: ListIdentityProvidersOutput| {
            out.extend(page.providers.into_iter().filter_map(|p| p.provider_name));
        };
        let (category, token) = (
            ApiCategory::UserPoolResourceRead,
            ListIdentityProvidersOutput::next_token,
        );
        self.each_page::<Idp, _, _>(
            (category, Some(pool_id)),
            "ListIdentityProviders",
            pages,
            token,
            take,
        )
        .await?;
        Ok(out)
    }

    /// DescribeIdentityProvider.
    pub async fn describe_identity_provider(
        &self,
        pool_id: &str,
        name: &str,
    ) -> Result<IdentityProviderDetails, AwsError> {
        let request = self
            .idp
            .describe_identity_provider()
            .user_pool_id(pool_id)
            .provider_name(name)
            .send();
        let quota = (ApiCategory::UserPoolResourceRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "DescribeIdentityProvider", request)
            .await?;
        let p = out.identity_provider.ok_or_else(|| {
            AwsError::other(
                "DescribeIdentityProvider",
                "no IdentityProvider in the answer",
            )
        })?;
        Ok(IdentityProviderDetails {
            provider_name: name.to_string(),
            provider_type: p
                .provider_type
                .as_ref()
                .map(|t| t.as_str().to_string())
                .unwrap_or_default(),
            user_pool_id: pool_id.to_string(),
            attribute_mapping: p
                .attribute_mapping
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            idp_identifiers: p.idp_identifiers.clone().unwrap_or_default(),
            creation_date: p.creation_date.as_ref().and_then(to_chrono),
            last_modified_date: p.last_modified_date.as_ref().and_then(to_chrono),
        })
    }

    /// cognito-idp ListTagsForResource.
    pub async fn list_user_pool_tags(
        &self,
        arn: &str,
    ) -> Result<BTreeMap<String, String>, AwsError> {
        let pool = arn.rsplit_once('/').map(|(_, id)| id);
        let request = self.idp.list_tags_for_resource().resource_arn(arn).send();
        let quota = (ApiCategory::UserPoolResourceRead, pool);
        let out = self
            .ask::<Idp, _, _>(quota, "ListTagsForResource", request)
            .await?;
        Ok(out.tags.unwrap_or_default().into_iter().collect())
    }

    /// GetUserPoolMfaConfig: the MFA mode and which factors are on.
    pub async fn user_pool_mfa(&self, pool_id: &str) -> Result<MfaConfig, AwsError> {
        let request = self
            .idp
            .get_user_pool_mfa_config()
            .user_pool_id(pool_id)
            .send();
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "GetUserPoolMfaConfig", request)
            .await?;
        Ok(MfaConfig {
            mode: out
                .mfa_configuration
                .as_ref()
                .map_or("OFF", |m| m.as_str())
                .to_string(),
            totp: out
                .software_token_mfa_configuration
                .is_some_and(|t| t.enabled),
            sms: out.sms_mfa_configuration.is_some(),
            email: out.email_mfa_configuration.is_some(),
        })
    }

    /// DescribeRiskConfiguration of the pool itself: threat protection's actions for high-risk
    /// account takeover and for compromised credentials.
    pub async fn user_pool_risk_actions(&self, pool_id: &str) -> Result<RiskActions, AwsError> {
        let request = self
            .idp
            .describe_risk_configuration()
            .user_pool_id(pool_id)
            .send();
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "DescribeRiskConfiguration", request)
            .await?;
        let risk = out.risk_configuration;
        Ok(RiskActions {
            account_takeover_high: risk
                .as_ref()
                .and_then(|r| r.account_takeover_risk_configuration.as_ref())
                .and_then(|a| a.actions.as_ref())
                .and_then(|a| a.high_action.as_ref())
                .map(|h| h.event_action.as_str().to_string()),
            compromised_credentials: risk
                .as_ref()
                .and_then(|r| r.compromised_credentials_risk_configuration.as_ref())
                .and_then(|c| c.actions.as_ref())
                .map(|a| a.event_action.as_str().to_string()),
        })
    }

    /// DescribeRiskConfiguration with a ClientId: the client's own risk actions, or none when
    /// the answer is not the client's (it has none of its own: the pool's apply).
    pub async fn client_risk_actions(
        &self,
        pool_id: &str,
        client_id: &str,
    ) -> Result<Option<RiskActions>, AwsError> {
        let request = self
            .idp
            .describe_risk_configuration()
            .user_pool_id(pool_id)
            .client_id(client_id)
            .send();
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "DescribeRiskConfiguration", request)
            .await?;
        let Some(risk) = out
            .risk_configuration
            .filter(|r| r.client_id.as_deref() == Some(client_id))
            .filter(|r| {
                r.account_takeover_risk_configuration.is_some()
                    || r.compromised_credentials_risk_configuration.is_some()
            })
        else {
            return Ok(None);
        };
        Ok(Some(RiskActions {
            account_takeover_high: risk
                .account_takeover_risk_configuration
                .as_ref()
                .and_then(|a| a.actions.as_ref())
                .and_then(|a| a.high_action.as_ref())
                .map(|h| h.event_action.as_str().to_string()),
            compromised_credentials: risk
                .compromised_credentials_risk_configuration
                .as_ref()
                .and_then(|c| c.actions.as_ref())
                .map(|a| a.event_action.as_str().to_string()),
        }))
    }

    /// GetLogDeliveryConfiguration: whether user activity (`userAuthEvents`) logs are exported.
    pub async fn user_pool_activity_export(&self, pool_id: &str) -> Result<bool, AwsError> {
        let request = self
            .idp
            .get_log_delivery_configuration()
            .user_pool_id(pool_id)
            .send();
        let quota = (ApiCategory::UserPoolRead, Some(pool_id));
        let out = self
            .ask::<Idp, _, _>(quota, "GetLogDeliveryConfiguration", request)
            .await?;
        Ok(out.log_delivery_configuration.is_some_and(|c| {
            c.log_configurations.iter().any(|l| {
                l.event_source
                    == aws_sdk_cognitoidentityprovider::types::EventSourceName::UserAuthEvents
            })
        }))
    }

    /// WAFv2 GetWebACLForResource on the pool's ARN: the associated web ACL's name, or none.
    pub async fn user_pool_web_acl(&self, arn: &str) -> Result<Option<String>, AwsError> {
        let request = self.waf.get_web_acl_for_resource().resource_arn(arn).send();
        let quota = (ApiCategory::WebAclRead, None);
        let out = self
            .ask::<aws_sdk_wafv2::Error, _, _>(quota, "GetWebACLForResource", request)
            .await?;
        Ok(out.web_acl.map(|acl| acl.name))
    }

    /// One ListUsers page: the users and the token of the next page.
    pub async fn list_users_page(
        &self,
        pool_id: &str,
        token: Option<String>,
    ) -> Result<(Vec<UserDetails>, Option<String>), AwsError> {
        let request = self
            .idp
            .list_users()
            .user_pool_id(pool_id)
            .limit(PAGE_SIZE)
            .set_pagination_token(token)
            .send();
        let quota = (ApiCategory::UserList, Some(pool_id));
        let page = self.ask::<Idp, _, _>(quota, "ListUsers", request).await?;
        let users = page
            .users()
            .iter()
            .filter_map(|u| {
                let username = u.username.clone()?;
                let pairs: Vec<(String, String)> = u
                    .attributes()
                    .iter()
                    .map(|a| (a.name.clone(), a.value.clone().unwrap_or_default()))
                    .collect();
                Some(UserDetails {
                    username,
                    user_pool_id: pool_id.to_string(),
                    user_status: u.user_status.as_ref().map(|s| s.as_str().to_string()),
                    enabled: u.enabled,
                    attributes: UserDetails::attributes_from(&pairs),
                    creation_date: u.user_create_date.as_ref().and_then(to_chrono),
                    last_modified_date: u.user_last_modified_date.as_ref().and_then(to_chrono),
                    sweep: 0,
                })
            })
            .collect();
        Ok((users, page.pagination_token.filter(|t| !t.is_empty())))
    }

    /// ListIdentityPools, every page: (id, name).
    pub async fn list_identity_pools(&self) -> Result<Vec<(String, String)>, AwsError> {
        let mut out = Vec::new();
        let pages = self
            .identity
            .list_identity_pools()
            .max_results(PAGE_SIZE)
            .into_paginator()
            .send();
        let take = |page: ListIdentityPoolsOutput| {
            out.extend(
                page.identity_pools
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|p| named(p.identity_pool_id, p.identity_pool_name)),
            );
        };
        let (category, token) = (
            ApiCategory::IdentityPoolRead,
            ListIdentityPoolsOutput::next_token,
        );
        self.each_page::<Identity, _, _>((category, None), "ListIdentityPools", pages, token, take)
            .await?;
        Ok(out)
    }

    /// DescribeIdentityPool: (name, details, tags).
    pub async fn describe_identity_pool(
        &self,
        id: &str,
    ) -> Result<(String, IdentityPoolDetails, BTreeMap<String, String>), AwsError> {
        let request = self
            .identity
            .describe_identity_pool()
            .identity_pool_id(id)
            .send();
        let quota = (ApiCategory::IdentityPoolRead, None);
        let p = self
            .ask::<Identity, _, _>(quota, "DescribeIdentityPool", request)
            .await?;
        let details = IdentityPoolDetails {
            identity_pool_id: id.to_string(),
            arn: identity_pool_arn(&self.partition, &self.scope, id),
            allow_unauthenticated_identities: p.allow_unauthenticated_identities,
            allow_classic_flow: p.allow_classic_flow,
            supported_login_providers: p
                .supported_login_providers
                .clone()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            cognito_identity_providers: p
                .cognito_identity_providers()
                .iter()
                .map(|c| CognitoProvider {
                    provider_name: c.provider_name.clone().unwrap_or_default(),
                    client_id: c.client_id.clone().unwrap_or_default(),
                    server_side_token_check: c.server_side_token_check.unwrap_or(false),
                })
                .collect(),
            open_id_connect_provider_arns: p
                .open_id_connect_provider_arns
                .clone()
                .unwrap_or_default(),
            saml_provider_arns: p.saml_provider_arns.clone().unwrap_or_default(),
            developer_provider_name: p.developer_provider_name.clone().filter(|d| !d.is_empty()),
            ..Default::default()
        };
        let tags = p
            .identity_pool_tags
            .clone()
            .unwrap_or_default()
            .into_iter()
            .collect();
        Ok((p.identity_pool_name.clone(), details, tags))
    }

    /// GetIdentityPoolRoles: (role kind -> ARN, role mappings as JSON).
    pub async fn identity_pool_roles(
        &self,
        id: &str,
    ) -> Result<(BTreeMap<String, String>, Option<String>), AwsError> {
        let request = self
            .identity
            .get_identity_pool_roles()
            .identity_pool_id(id)
            .send();
        let quota = (ApiCategory::IdentityPoolRead, None);
        let out = self
            .ask::<Identity, _, _>(quota, "GetIdentityPoolRoles", request)
            .await?;
        let roles = out.roles.clone().unwrap_or_default().into_iter().collect();
        let mappings = out.role_mappings.as_ref().filter(|m| !m.is_empty()).map(|m| {
            let json: BTreeMap<&String, serde_json::Value> = m
                .iter()
                .map(|(provider, rm)| {
                    let rules: Vec<serde_json::Value> = rm
                        .rules_configuration
                        .as_ref()
                        .map(|r| {
                            r.rules
                                .iter()
                                .map(|rule| {
                                    serde_json::json!({
                                        "claim": rule.claim, "match_type": rule.match_type.as_str(),
                                        "value": rule.value, "role_arn": rule.role_arn,
                                    })
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    (
                        provider,
                        serde_json::json!({
                            "type": rm.r#type.as_str(),
                            "ambiguous_role_resolution": rm.ambiguous_role_resolution.as_ref().map(|a| a.as_str()),
                            "rules": rules,
                        }),
                    )
                })
                .collect();
            serde_json::to_string(&json).unwrap_or_default()
        });
        Ok((roles, mappings))
    }

    /// One ListIdentities page: the identities and the token of the next page.
    pub async fn list_identities_page(
        &self,
        id: &str,
        token: Option<String>,
    ) -> Result<(Vec<IdentitySample>, Option<String>), AwsError> {
        let request = self
            .identity
            .list_identities()
            .identity_pool_id(id)
            .max_results(PAGE_SIZE)
            .set_next_token(token)
            .send();
        let quota = (ApiCategory::IdentityList, None);
        let page = self
            .ask::<Identity, _, _>(quota, "ListIdentities", request)
            .await?;
        let identities = page
            .identities()
            .iter()
            .filter_map(|i| {
                Some(IdentitySample {
                    identity_id: i.identity_id.clone()?,
                    logins: i.logins.clone().unwrap_or_default(),
                    creation_date: i.creation_date.as_ref().and_then(to_chrono),
                    last_modified_date: i.last_modified_date.as_ref().and_then(to_chrono),
                })
            })
            .collect();
        Ok((identities, page.next_token.filter(|t| !t.is_empty())))
    }
}

/// A listed pool's (id, name), its id standing for a missing name; none without an id.
fn named(id: Option<String>, name: Option<String>) -> Option<(String, String)> {
    let id = id?;
    let name = name.unwrap_or_else(|| id.clone());
    Some((id, name))
}

/// An identity pool's ARN (DescribeIdentityPool does not say it), in the partition of the
/// credentials that read it.
fn identity_pool_arn(partition: &str, scope: &crate::sdk::Scope, id: &str) -> String {
    let (region, account) = (&scope.region, &scope.account);
    format!("arn:{partition}:cognito-identity:{region}:{account}:identitypool/{id}")
}

/// What DescribeUserPool says of the pool's security (the calls the posture checks add are
/// read beside it).
fn pool_security(p: &aws_sdk_cognitoidentityprovider::types::UserPoolType) -> PoolSecurity {
    let policy = p.policies.as_ref().and_then(|x| x.password_policy.as_ref());
    let add_ons = p.user_pool_add_ons.as_ref();
    PoolSecurity {
        password_policy: policy.map(|pp| PasswordPolicy {
            minimum_length: pp
                .minimum_length
                .map_or(0, |n| u32::try_from(n).unwrap_or(0)),
            require_uppercase: pp.require_uppercase,
            require_lowercase: pp.require_lowercase,
            require_numbers: pp.require_numbers,
            require_symbols: pp.require_symbols,
            temporary_password_validity_days: u32::try_from(pp.temporary_password_validity_days)
                .unwrap_or(0),
        }),
        threat_protection: add_ons.map(|a| a.advanced_security_mode.as_str().to_string()),
        threat_protection_custom_auth: add_ons
            .and_then(|a| a.advanced_security_additional_flows.as_ref())
            .and_then(|f| f.custom_auth_mode.as_ref())
            .map(|m| m.as_str().to_string()),
        admin_create_user_only: p
            .admin_create_user_config
            .as_ref()
            .map(|c| c.allow_admin_create_user_only),
        ..PoolSecurity::default()
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_cognitoidentityprovider::operation::describe_user_pool::DescribeUserPoolError;
    use aws_sdk_cognitoidentityprovider::operation::list_users::ListUsersError;
    use aws_sdk_cognitoidentityprovider::types::error::{
        InvalidParameterException, ResourceNotFoundException,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;
    use crate::error::ErrorKind;

    /// The metadata the SDK's deserializer gives a modeled error.
    fn meta(code: &str, message: &str) -> aws_smithy_types::error::ErrorMetadata {
        aws_smithy_types::error::ErrorMetadata::builder()
            .code(code)
            .message(message)
            .build()
    }

    fn clients(idp: aws_sdk_cognitoidentityprovider::Client) -> ScopeClients {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_types::region::Region::new("eu-west-1"))
            .build();
        let scope = crate::sdk::Scope {
            account: "123456789012".into(),
            region: "eu-west-1".into(),
        };
        let mut clients = ScopeClients::new(scope, "aws", &config, 1.0);
        clients.idp = idp;
        clients
    }

    #[tokio::test]
    async fn cognitos_modeled_errors_are_told_apart_by_their_type() {
        let gone =
            mock!(aws_sdk_cognitoidentityprovider::Client::describe_user_pool).then_error(|| {
                DescribeUserPoolError::ResourceNotFoundException(
                    ResourceNotFoundException::builder()
                        .message("User pool eu-west-1_gone does not exist.")
                        .meta(meta(
                            "ResourceNotFoundException",
                            "User pool eu-west-1_gone does not exist.",
                        ))
                        .build(),
                )
            });
        let stale = mock!(aws_sdk_cognitoidentityprovider::Client::list_users).then_error(|| {
            ListUsersError::InvalidParameterException(
                InvalidParameterException::builder()
                    .message("Invalid pagination token")
                    .meta(meta(
                        "InvalidParameterException",
                        "Invalid pagination token",
                    ))
                    .build(),
            )
        });
        let clients = clients(mock_client!(
            aws_sdk_cognitoidentityprovider,
            RuleMode::MatchAny,
            [&gone, &stale]
        ));
        let e = clients
            .describe_user_pool("eu-west-1_gone")
            .await
            .unwrap_err();
        assert_eq!(e.kind, Some(ErrorKind::NotFound));
        assert!(e.is_not_found() && !e.is_bad_token(), "{e}");
        assert_eq!(e.operation, "DescribeUserPool");
        let e = clients
            .list_users_page("eu-west-1_x", Some("stale".into()))
            .await
            .unwrap_err();
        assert_eq!(e.kind, Some(ErrorKind::InvalidParameter));
        assert!(e.is_bad_token() && !e.is_not_found(), "{e}");
    }

    #[test]
    fn an_identity_pool_arn_names_its_partition() {
        let scope = |region: &str| crate::sdk::Scope {
            account: "123456789012".into(),
            region: region.into(),
        };
        let id = "eusc-de-east-1:0f1e2d3c-0000-4000-8000-00000000abcd";
        assert_eq!(
            identity_pool_arn("aws-eusc", &scope("eusc-de-east-1"), id),
            format!("arn:aws-eusc:cognito-identity:eusc-de-east-1:123456789012:identitypool/{id}")
        );
        assert_eq!(
            identity_pool_arn("aws-cn", &scope("cn-north-1"), "cn-north-1:x"),
            "arn:aws-cn:cognito-identity:cn-north-1:123456789012:identitypool/cn-north-1:x"
        );
    }
}
