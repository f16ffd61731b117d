//! Monitors: one per Cognito resource, with the configuration the spec's tabs show, the latest
//! metric values and the outcome of the latest poll.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::window::Window;

/// The spec's five monitor types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitorKind {
    /// A Cognito user pool.
    UserPool,
    /// An app client of a user pool.
    AppClient,
    /// A federated identity provider (SAML, OIDC, social) of a user pool.
    IdentityProvider,
    /// A user of a user pool (kept up to the configured cap per pool).
    User,
    /// A Cognito identity pool.
    IdentityPool,
}

impl MonitorKind {
    /// Every kind, in the order the status tree shows them.
    pub const ALL: [MonitorKind; 5] = [
        MonitorKind::UserPool,
        MonitorKind::AppClient,
        MonitorKind::IdentityProvider,
        MonitorKind::User,
        MonitorKind::IdentityPool,
    ];

    /// The prefix of this kind's monitor ids.
    pub fn id_prefix(self) -> &'static str {
        match self {
            MonitorKind::UserPool => "userpool",
            MonitorKind::AppClient => "appclient",
            MonitorKind::IdentityProvider => "idp",
            MonitorKind::User => "user",
            MonitorKind::IdentityPool => "identitypool",
        }
    }

    /// The kind whose id prefix (or label, or enum name) is `s`, case-insensitively.
    pub fn parse(s: &str) -> Option<MonitorKind> {
        let s = s.trim();
        MonitorKind::ALL.into_iter().find(|k| {
            k.id_prefix().eq_ignore_ascii_case(s)
                || k.label().eq_ignore_ascii_case(s)
                || format!("{k:?}").eq_ignore_ascii_case(s)
        })
    }

    /// The spec's display name of the monitor type.
    pub fn label(self) -> &'static str {
        match self {
            MonitorKind::UserPool => "Cognito User Pool",
            MonitorKind::AppClient => "Cognito App Client",
            MonitorKind::IdentityProvider => "Cognito Identity Provider",
            MonitorKind::User => "Cognito User",
            MonitorKind::IdentityPool => "Cognito Identity Pool",
        }
    }
}

/// A monitor's identity: its kind, its user pool (for user pools and their children) and its
/// own resource id. The string form is `<prefix>/<pool id>[/<child id>]` or
/// `identitypool/<identity pool id>`; child ids may contain `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MonitorId {
    /// `userpool/<pool id>`.
    UserPool {
        /// The user pool id.
        pool: String,
    },
    /// `appclient/<pool id>/<client id>`.
    AppClient {
        /// The user pool id.
        pool: String,
        /// The app client id.
        client_id: String,
    },
    /// `idp/<pool id>/<provider name>`.
    IdentityProvider {
        /// The user pool id.
        pool: String,
        /// The provider's name.
        provider_name: String,
    },
    /// `user/<pool id>/<username>`.
    User {
        /// The user pool id.
        pool: String,
        /// The user's username.
        username: String,
    },
    /// `identitypool/<identity pool id>`.
    IdentityPool {
        /// The identity pool id.
        id: String,
    },
}

impl MonitorId {
    /// The kind of resource this id names.
    pub fn kind(&self) -> MonitorKind {
        match self {
            MonitorId::UserPool { .. } => MonitorKind::UserPool,
            MonitorId::AppClient { .. } => MonitorKind::AppClient,
            MonitorId::IdentityProvider { .. } => MonitorKind::IdentityProvider,
            MonitorId::User { .. } => MonitorKind::User,
            MonitorId::IdentityPool { .. } => MonitorKind::IdentityPool,
        }
    }

    /// The user pool the monitor belongs to (None for identity pools).
    pub fn user_pool_id(&self) -> Option<&str> {
        match self {
            MonitorId::UserPool { pool }
            | MonitorId::AppClient { pool, .. }
            | MonitorId::IdentityProvider { pool, .. }
            | MonitorId::User { pool, .. } => Some(pool),
            MonitorId::IdentityPool { .. } => None,
        }
    }

    /// The parent monitor: the user pool for its children, none for roots.
    pub fn parent(&self) -> Option<MonitorId> {
        match self {
            MonitorId::UserPool { .. } | MonitorId::IdentityPool { .. } => None,
            other => other.user_pool_id().map(|p| MonitorId::UserPool {
                pool: p.to_string(),
            }),
        }
    }

    /// Reads the string form back (`userpool/<pool id>`, `appclient/<pool id>/<client id>`, ...).
    pub fn parse(s: &str) -> Result<MonitorId, InvalidMonitorId> {
        let bad = || InvalidMonitorId(s.to_string());
        let (prefix, rest) = s.split_once('/').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let child = || -> Result<(String, String), InvalidMonitorId> {
            let (pool, id) = rest.split_once('/').ok_or_else(bad)?;
            if pool.is_empty() || id.is_empty() {
                return Err(bad());
            }
            Ok((pool.to_string(), id.to_string()))
        };
        Ok(match prefix {
            "userpool" if !rest.contains('/') => MonitorId::UserPool {
                pool: rest.to_string(),
            },
            "identitypool" if !rest.contains('/') => MonitorId::IdentityPool {
                id: rest.to_string(),
            },
            "appclient" => {
                let (pool, client_id) = child()?;
                MonitorId::AppClient { pool, client_id }
            }
            "idp" => {
                let (pool, provider_name) = child()?;
                MonitorId::IdentityProvider {
                    pool,
                    provider_name,
                }
            }
            "user" => {
                let (pool, username) = child()?;
                MonitorId::User { pool, username }
            }
            _ => return Err(bad()),
        })
    }
}

impl std::fmt::Display for MonitorId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = self.kind().id_prefix();
        match self {
            MonitorId::UserPool { pool } => write!(f, "{p}/{pool}"),
            MonitorId::IdentityPool { id } => write!(f, "{p}/{id}"),
            MonitorId::AppClient { pool, client_id: c }
            | MonitorId::IdentityProvider {
                pool,
                provider_name: c,
            }
            | MonitorId::User { pool, username: c } => write!(f, "{p}/{pool}/{c}"),
        }
    }
}

/// A monitor id that is not of the string form; holds the text.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("not a monitor id: {0:?} (expected e.g. userpool/<pool id>, appclient/<pool id>/<client id>, idp/<pool id>/<name>, user/<pool id>/<username>, identitypool/<id>)")]
pub struct InvalidMonitorId(pub String);

/// The outcome of the latest poll of a monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PollOutcome {
    /// Everything the monitor needs was read.
    Ok,
    /// Some call failed: the monitor keeps its last values, `reason` says what failed.
    Stale,
    /// The resource no longer exists.
    Deleted,
}

/// What the latest poll did to a monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollState {
    /// Whether the poll read the monitor, could not (stale), or found it gone.
    pub outcome: PollOutcome,
    /// Why the poll was stale or the resource deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When the poll ran.
    pub at: DateTime<Utc>,
}

/// One monitor as stored: identity, configuration, latest values, poll outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// The id's string form (`userpool/us-east-1_abc`, `appclient/us-east-1_abc/<client id>`, ...).
    pub monitor_id: String,
    /// What kind of resource it is.
    pub kind: MonitorKind,
    /// The resource's name in Cognito (a user's username; a client's ClientName).
    pub name: String,
    /// The AWS account the resource is in.
    pub account: String,
    /// The region the resource is in.
    pub region: String,
    /// The monitor it sits under in the tree (a child's user pool); none for pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// The user pool it belongs to; none for identity pools.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// The configuration read from Cognito, by kind.
    pub details: MonitorDetails,
    /// The resource's tags (user and identity pools).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Latest values by catalogue id. A metric absent here had no data in `metrics_window`.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// The CloudWatch window the CloudWatch-sourced values cover; also the metrics cursor:
    /// the next poll of this monitor starts at its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_window: Option<Window>,
    /// What the latest poll did.
    pub poll: PollState,
    /// When an inventory first listed the resource.
    pub first_seen: DateTime<Utc>,
    /// When an inventory last listed it.
    pub last_seen: DateTime<Utc>,
    /// When it was found deleted; it is kept, marked, not dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Why the latest inventory of this resource failed. It keeps the monitor stale, poll after
    /// poll, until an inventory succeeds; metric failures last only for their poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_error: Option<String>,
}

impl Monitor {
    /// The parsed [`MonitorId`].
    pub fn id(&self) -> Result<MonitorId, InvalidMonitorId> {
        MonitorId::parse(&self.monitor_id)
    }

    /// Whether the resource was found deleted.
    pub fn is_deleted(&self) -> bool {
        self.poll.outcome == PollOutcome::Deleted
    }

    /// A new monitor first seen now.
    pub fn new(
        id: &MonitorId,
        name: String,
        account: &str,
        region: &str,
        details: MonitorDetails,
        now: DateTime<Utc>,
    ) -> Monitor {
        Monitor {
            monitor_id: id.to_string(),
            kind: id.kind(),
            name,
            account: account.to_string(),
            region: region.to_string(),
            parent_id: id.parent().map(|p| p.to_string()),
            user_pool_id: id.user_pool_id().map(str::to_string),
            details,
            tags: BTreeMap::new(),
            metrics: BTreeMap::new(),
            metrics_window: None,
            poll: PollState {
                outcome: PollOutcome::Ok,
                reason: None,
                at: now,
            },
            first_seen: now,
            last_seen: now,
            deleted_at: None,
            inventory_error: None,
        }
    }

    /// Take a freshly described version of this resource: new configuration and name, the
    /// history (first seen, values, metrics cursor) of the stored one.
    pub fn refreshed(previous: Option<&Monitor>, mut fresh: Monitor) -> Monitor {
        if let Some(prev) = previous {
            fresh.first_seen = prev.first_seen;
            fresh.metrics_window = prev.metrics_window;
            fresh.poll = prev.poll.clone();
            // Inventory values are replaced by the fresh ones; CloudWatch values are kept.
            for (k, v) in &prev.metrics {
                fresh.metrics.entry(k.clone()).or_insert(*v);
            }
            if fresh.tags.is_empty() {
                fresh.tags = prev.tags.clone();
            }
        }
        fresh
    }

    /// Keep the last known state, marked stale with the reason.
    pub fn mark_stale(&mut self, reason: impl Into<String>, now: DateTime<Utc>) {
        if self.is_deleted() {
            return;
        }
        let reason = reason.into();
        self.poll = match self.poll.outcome {
            // Several failures in one poll: keep every reason.
            PollOutcome::Stale if self.poll.at == now => PollState {
                outcome: PollOutcome::Stale,
                reason: Some(match &self.poll.reason {
                    Some(r) if !r.contains(&reason) => format!("{r}; {reason}"),
                    Some(r) => r.clone(),
                    None => reason,
                }),
                at: now,
            },
            _ => PollState {
                outcome: PollOutcome::Stale,
                reason: Some(reason),
                at: now,
            },
        };
    }

    /// The resource is gone: keep the monitor, marked deleted.
    pub fn mark_deleted(&mut self, reason: impl Into<String>, now: DateTime<Utc>) {
        if self.deleted_at.is_none() {
            self.deleted_at = Some(now);
        }
        self.poll = PollState {
            outcome: PollOutcome::Deleted,
            reason: Some(reason.into()),
            at: now,
        };
    }

    /// A poll starts: the outcome is Ok unless the latest inventory failed.
    pub fn begin_poll(&mut self, now: DateTime<Utc>) {
        if self.is_deleted() {
            return;
        }
        self.poll = PollState {
            outcome: PollOutcome::Ok,
            reason: None,
            at: now,
        };
        if let Some(e) = self.inventory_error.clone() {
            self.mark_stale(e, now);
        }
    }

    /// An inventory of this resource failed: stale until one succeeds.
    pub fn inventory_failed(&mut self, reason: String, now: DateTime<Utc>) {
        self.inventory_error = Some(reason.clone());
        self.mark_stale(reason, now);
    }

    /// The resource was seen now (described or listed).
    pub fn seen(&mut self, now: DateTime<Utc>) {
        self.last_seen = now;
        self.deleted_at = None;
        self.inventory_error = None;
        // Inventory runs before metrics within a poll, so nothing else has failed yet.
        self.poll = PollState {
            outcome: PollOutcome::Ok,
            reason: None,
            at: now,
        };
    }
}

/// Configuration details per kind: what the spec's Configuration Details, Permissions,
/// Attribute Mapping, User Attributes, Identities and Identity Providers tabs show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum MonitorDetails {
    /// DescribeUserPool's answer.
    UserPool(UserPoolDetails),
    /// DescribeUserPoolClient's answer.
    AppClient(AppClientDetails),
    /// DescribeIdentityProvider's answer.
    IdentityProvider(IdentityProviderDetails),
    /// ListUsers' entry.
    User(UserDetails),
    /// DescribeIdentityPool's and GetIdentityPoolRoles' answers.
    IdentityPool(IdentityPoolDetails),
}

/// A user pool's configuration, from DescribeUserPool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPoolDetails {
    /// The pool's ARN.
    pub arn: String,
    /// `EstimatedNumberOfUsers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_number_of_users: Option<i64>,
    /// `MfaConfiguration`: OFF, ON or OPTIONAL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_configuration: Option<String>,
    /// `Status`, where Cognito still reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The Cognito prefix domain of the hosted UI / managed login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The custom domain of the hosted UI / managed login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
    /// `DeletionProtection`: ACTIVE or INACTIVE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<String>,
    /// `UserPoolTier`: LITE, ESSENTIALS or PLUS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_tier: Option<String>,
    /// `CreationDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    /// `LastModifiedDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// App clients listed at the latest inventory.
    #[serde(default)]
    pub app_clients: u32,
    /// Identity providers listed at the latest inventory.
    #[serde(default)]
    pub identity_providers: u32,
    /// What the posture checks read besides DescribeUserPool's basics; none until an inventory
    /// has read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security: Option<super::security::PoolSecurity>,
    /// The latest complete user sweep (ListUsers), if one has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_census: Option<UserCensus>,
}

/// Counts from a complete ListUsers sweep of a pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserCensus {
    /// Users listed.
    pub listed: u64,
    /// Users listed as enabled.
    pub enabled: u64,
    /// Users listed as disabled.
    pub disabled: u64,
    /// By UserStatus (CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD, ...).
    pub by_status: BTreeMap<String, u64>,
    /// User monitors kept (at most the configured cap).
    pub monitored: u64,
    /// When the sweep finished.
    pub completed_at: DateTime<Utc>,
}

/// An app client's configuration, from DescribeUserPoolClient.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppClientDetails {
    /// `ClientId`.
    pub client_id: String,
    /// The user pool it belongs to.
    pub user_pool_id: String,
    /// The Permissions tab: attributes the client can read.
    #[serde(default)]
    pub read_attributes: Vec<String>,
    /// The Permissions tab: attributes the client can write.
    #[serde(default)]
    pub write_attributes: Vec<String>,
    /// `ExplicitAuthFlows` (ALLOW_USER_SRP_AUTH, ALLOW_USER_PASSWORD_AUTH, ...).
    #[serde(default)]
    pub explicit_auth_flows: Vec<String>,
    /// `AllowedOAuthFlows`: code, implicit, client_credentials.
    #[serde(default)]
    pub allowed_oauth_flows: Vec<String>,
    /// `AllowedOAuthScopes`.
    #[serde(default)]
    pub allowed_oauth_scopes: Vec<String>,
    /// `AllowedOAuthFlowsUserPoolClient`: OAuth is on for the client.
    #[serde(default)]
    pub allowed_oauth_flows_user_pool_client: bool,
    /// `SupportedIdentityProviders`: COGNITO and the federated providers the client signs in with.
    #[serde(default)]
    pub supported_identity_providers: Vec<String>,
    /// `CallbackURLs`: where the hosted UI / managed login may redirect after sign-in.
    #[serde(default)]
    pub callback_urls: Vec<String>,
    /// `PreventUserExistenceErrors`: ENABLED or LEGACY.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevent_user_existence_errors: Option<String>,
    /// Whether the client has a secret. The secret itself is never stored.
    #[serde(default)]
    pub has_secret: bool,
    /// `AccessTokenValidity`, with its unit (`60 minutes`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_validity: Option<String>,
    /// `IdTokenValidity`, with its unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_validity: Option<String>,
    /// `RefreshTokenValidity`, with its unit (`30 days`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_validity: Option<String>,
    /// `EnableTokenRevocation`.
    #[serde(default)]
    pub enable_token_revocation: bool,
    /// The client's own risk configuration (DescribeRiskConfiguration with its ClientId),
    /// read only where the pool's threat protection is on: none answered means it inherits the
    /// pool's. Not read: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_actions: Option<
        crate::inventory::security::Readout<Option<crate::inventory::security::RiskActions>>,
    >,
    /// `CreationDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    /// `LastModifiedDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

impl AppClientDetails {
    /// A client allowed the `client_credentials` grant is machine-to-machine.
    pub fn is_m2m(&self) -> bool {
        self.allowed_oauth_flows
            .iter()
            .any(|f| f == "client_credentials")
    }
}

/// A federated identity provider's configuration, from DescribeIdentityProvider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityProviderDetails {
    /// `ProviderName`.
    pub provider_name: String,
    /// `ProviderType`: SAML, OIDC, Google, Facebook, LoginWithAmazon, SignInWithApple.
    pub provider_type: String,
    /// The user pool it belongs to.
    pub user_pool_id: String,
    /// The Attribute Mapping tab: user pool attribute -> identity provider attribute.
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    /// `IdpIdentifiers`.
    #[serde(default)]
    pub idp_identifiers: Vec<String>,
    /// `CreationDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    /// `LastModifiedDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

/// One attribute of a user, as ListUsers returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAttribute {
    /// The attribute's name (`email`, `custom:tier`, ...).
    pub name: String,
    /// Its value.
    pub value: String,
    /// For email and phone_number: the matching `*_verified` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

/// A user, as ListUsers returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserDetails {
    /// `Username`.
    pub username: String,
    /// The user pool it belongs to.
    pub user_pool_id: String,
    /// `UserStatus`: CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
    /// `Enabled`.
    pub enabled: bool,
    /// The User Attributes tab.
    #[serde(default)]
    pub attributes: Vec<UserAttribute>,
    /// `UserCreateDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    /// `UserLastModifiedDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
    /// The user sweep that last saw this user.
    #[serde(default)]
    pub sweep: u64,
}

impl UserDetails {
    /// Pair each attribute with its verification flag: `email` with `email_verified`,
    /// `phone_number` with `phone_number_verified`. The flags themselves are folded in.
    pub fn attributes_from(pairs: &[(String, String)]) -> Vec<UserAttribute> {
        let lookup: BTreeMap<&str, &str> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        pairs
            .iter()
            .filter(|(k, _)| {
                !(k.ends_with("_verified") && lookup.contains_key(k.trim_end_matches("_verified")))
            })
            .map(|(k, v)| UserAttribute {
                name: k.clone(),
                value: v.clone(),
                verified: lookup
                    .get(format!("{k}_verified").as_str())
                    .map(|f| f.eq_ignore_ascii_case("true")),
            })
            .collect()
    }
}

/// An identity pool's configuration, from DescribeIdentityPool and GetIdentityPoolRoles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityPoolDetails {
    /// `IdentityPoolId`.
    pub identity_pool_id: String,
    /// The identity pool's ARN.
    #[serde(default)]
    pub arn: String,
    /// `AllowUnauthenticatedIdentities`: guests get credentials.
    #[serde(default)]
    pub allow_unauthenticated_identities: bool,
    /// `AllowClassicFlow`: the basic (classic) authentication flow is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_classic_flow: Option<bool>,
    /// `SupportedLoginProviders`: social provider → app id.
    #[serde(default)]
    pub supported_login_providers: BTreeMap<String, String>,
    /// `CognitoIdentityProviders`: the user pools and clients it trusts.
    #[serde(default)]
    pub cognito_identity_providers: Vec<CognitoProvider>,
    /// `OpenIdConnectProviderARNs`.
    #[serde(default)]
    pub open_id_connect_provider_arns: Vec<String>,
    /// `SamlProviderARNs`.
    #[serde(default)]
    pub saml_provider_arns: Vec<String>,
    /// `DeveloperProviderName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_provider_name: Option<String>,
    /// GetIdentityPoolRoles: role kind (authenticated/unauthenticated) -> role ARN.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// GetIdentityPoolRoles role mappings, per provider, as AWS returns them (JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_mappings: Option<String>,
    /// The latest complete ListIdentities sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_census: Option<IdentityCensus>,
}

impl IdentityPoolDetails {
    /// login providers + Cognito providers + OIDC + SAML + developer provider.
    pub fn total_identity_providers(&self) -> usize {
        self.supported_login_providers.len()
            + self.cognito_identity_providers.len()
            + self.open_id_connect_provider_arns.len()
            + self.saml_provider_arns.len()
            + usize::from(self.developer_provider_name.is_some())
    }
}

/// A user pool and app client an identity pool trusts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CognitoProvider {
    /// `ProviderName`: the user pool's issuer (`cognito-idp.<region>.amazonaws.com/<pool id>`).
    pub provider_name: String,
    /// `ClientId`.
    pub client_id: String,
    /// `ServerSideTokenCheck`.
    #[serde(default)]
    pub server_side_token_check: bool,
}

/// One identity as the spec's Identities tab shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentitySample {
    /// `IdentityId`.
    pub identity_id: String,
    /// Login providers of the identity; empty for an unauthenticated identity.
    pub logins: Vec<String>,
    /// `CreationDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    /// `LastModifiedDate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

/// Counts from a complete ListIdentities sweep of an identity pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityCensus {
    /// Identities listed.
    pub total: u64,
    /// Identities with at least one login.
    pub authenticated: u64,
    /// Identities with no login (guests).
    pub unauthenticated: u64,
    /// Identities per login provider.
    pub per_provider: BTreeMap<String, u64>,
    /// The first identities listed, for the Identities tab.
    pub sample: Vec<IdentitySample>,
    /// The earliest `CreationDate` seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_creation_date: Option<DateTime<Utc>>,
    /// The latest `LastModifiedDate` seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_modified_date: Option<DateTime<Utc>>,
    /// When the sweep finished.
    pub completed_at: DateTime<Utc>,
}

/// Inventory-sourced metric values of a monitor (the CloudWatch ones come from `series`).
pub fn inventory_metrics(details: &MonitorDetails) -> BTreeMap<String, f64> {
    let mut m = BTreeMap::new();
    match details {
        MonitorDetails::UserPool(d) => {
            if let Some(n) = d.estimated_number_of_users {
                m.insert("NumberOfUsers".into(), n as f64);
            }
            m.insert("AppClients".into(), f64::from(d.app_clients));
            m.insert(
                "FederatedIdentityProviders".into(),
                f64::from(d.identity_providers),
            );
        }
        MonitorDetails::User(d) => {
            m.insert("Enabled".into(), if d.enabled { 1.0 } else { 0.0 });
            m.insert(
                "Confirmed".into(),
                if d.user_status.as_deref() == Some("CONFIRMED") {
                    1.0
                } else {
                    0.0
                },
            );
        }
        MonitorDetails::IdentityPool(d) => {
            m.insert(
                "TotalIdentityProviders".into(),
                d.total_identity_providers() as f64,
            );
            if let Some(c) = &d.identity_census {
                m.insert("TotalIdentities".into(), c.total as f64);
                m.insert("AuthenticatedIdentities".into(), c.authenticated as f64);
                m.insert("UnauthenticatedIdentities".into(), c.unauthenticated as f64);
            }
        }
        MonitorDetails::AppClient(_) | MonitorDetails::IdentityProvider(_) => {}
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ids_round_trip_and_know_their_parent() {
        let id = MonitorId::parse("idp/us-east-1_abc/Okta/Prod").unwrap();
        assert_eq!(
            id,
            MonitorId::IdentityProvider {
                pool: "us-east-1_abc".into(),
                provider_name: "Okta/Prod".into()
            }
        );
        assert_eq!(id.to_string(), "idp/us-east-1_abc/Okta/Prod");
        assert_eq!(id.parent().unwrap().to_string(), "userpool/us-east-1_abc");
        assert!(MonitorId::parse("userpool/").is_err());
        assert!(MonitorId::parse("appclient/pool").is_err());
        assert!(MonitorId::parse("nope/x").is_err());
        assert_eq!(
            MonitorId::parse("identitypool/us-east-1:1-2")
                .unwrap()
                .parent(),
            None
        );
    }

    proptest! {
        #[test]
        fn any_child_id_round_trips(pool in "[a-z0-9-]{1,12}_[A-Za-z0-9]{1,9}", child in "[^\\s]{1,40}") {
            for id in [
                MonitorId::AppClient { pool: pool.clone(), client_id: child.clone() },
                MonitorId::User { pool: pool.clone(), username: child.clone() },
                MonitorId::IdentityProvider { pool: pool.clone(), provider_name: child.clone() },
            ] {
                prop_assert_eq!(MonitorId::parse(&id.to_string()).unwrap(), id);
            }
        }
    }

    #[test]
    fn verification_flags_pair_with_their_attribute() {
        let pairs = vec![
            ("email".to_string(), "a@example.com".to_string()),
            ("email_verified".to_string(), "true".to_string()),
            ("phone_number".to_string(), "+100".to_string()),
            ("custom:tier".to_string(), "gold".to_string()),
        ];
        let attrs = UserDetails::attributes_from(&pairs);
        assert_eq!(attrs.len(), 3);
        assert_eq!(attrs[0].verified, Some(true));
        assert_eq!(attrs[1].verified, None);
        assert_eq!(attrs[2].name, "custom:tier");
    }

    #[test]
    fn identity_pool_counts_every_provider_kind() {
        let d = IdentityPoolDetails {
            supported_login_providers: [("accounts.google.com".to_string(), "x".to_string())]
                .into(),
            cognito_identity_providers: vec![
                CognitoProvider::default(),
                CognitoProvider::default(),
            ],
            open_id_connect_provider_arns: vec!["arn:oidc".into()],
            saml_provider_arns: vec!["arn:saml".into()],
            developer_provider_name: Some("login.dev".into()),
            ..Default::default()
        };
        assert_eq!(d.total_identity_providers(), 6);
    }

    #[test]
    fn stale_keeps_values_and_accumulates_reasons() {
        let now = Utc::now();
        let id = MonitorId::UserPool { pool: "p".into() };
        let mut m = Monitor::new(
            &id,
            "n".into(),
            "1",
            "r",
            MonitorDetails::UserPool(Default::default()),
            now,
        );
        m.metrics.insert("SignInFailed".into(), 3.0);
        m.mark_stale("DescribeUserPool failed", now);
        m.mark_stale("GetMetricData failed", now);
        assert_eq!(m.poll.outcome, PollOutcome::Stale);
        assert_eq!(
            m.poll.reason.as_deref(),
            Some("DescribeUserPool failed; GetMetricData failed")
        );
        assert_eq!(m.metrics["SignInFailed"], 3.0);
        m.mark_deleted("gone", now);
        m.mark_stale("x", now);
        assert!(m.is_deleted());
    }
}
