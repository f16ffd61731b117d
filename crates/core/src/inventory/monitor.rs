//! Monitors: one per Cognito resource, with the configuration the spec's tabs show, the latest
//! metric values and the outcome of the latest poll.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::inventory::window::Window;

/// The spec's five monitor types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MonitorKind {
    UserPool,
    AppClient,
    IdentityProvider,
    User,
    IdentityPool,
}

impl MonitorKind {
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
    UserPool { pool: String },
    AppClient { pool: String, client_id: String },
    IdentityProvider { pool: String, provider_name: String },
    User { pool: String, username: String },
    IdentityPool { id: String },
}

impl MonitorId {
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
    pub outcome: PollOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// One monitor as stored: identity, configuration, latest values, poll outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    pub monitor_id: String,
    pub kind: MonitorKind,
    pub name: String,
    pub account: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    pub details: MonitorDetails,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Latest values by catalogue id. A metric absent here had no data in `metrics_window`.
    #[serde(default)]
    pub metrics: BTreeMap<String, f64>,
    /// The CloudWatch window the CloudWatch-sourced values cover; also the metrics cursor:
    /// the next poll of this monitor starts at its end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_window: Option<Window>,
    pub poll: PollState,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Why the latest inventory of this resource failed. It keeps the monitor stale, poll after
    /// poll, until an inventory succeeds; metric failures last only for their poll.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory_error: Option<String>,
}

impl Monitor {
    pub fn id(&self) -> Result<MonitorId, InvalidMonitorId> {
        MonitorId::parse(&self.monitor_id)
    }

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
    UserPool(UserPoolDetails),
    AppClient(AppClientDetails),
    IdentityProvider(IdentityProviderDetails),
    User(UserDetails),
    IdentityPool(IdentityPoolDetails),
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserPoolDetails {
    pub arn: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_number_of_users: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mfa_configuration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_domain: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_protection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_tier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
    #[serde(default)]
    pub app_clients: u32,
    #[serde(default)]
    pub identity_providers: u32,
    /// The latest complete user sweep (ListUsers), if one has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_census: Option<UserCensus>,
}

/// Counts from a complete ListUsers sweep of a pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserCensus {
    pub listed: u64,
    pub enabled: u64,
    pub disabled: u64,
    /// By UserStatus (CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD, ...).
    pub by_status: BTreeMap<String, u64>,
    /// User monitors kept (at most the configured cap).
    pub monitored: u64,
    pub completed_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppClientDetails {
    pub client_id: String,
    pub user_pool_id: String,
    /// The Permissions tab: attributes the client can read.
    #[serde(default)]
    pub read_attributes: Vec<String>,
    /// The Permissions tab: attributes the client can write.
    #[serde(default)]
    pub write_attributes: Vec<String>,
    #[serde(default)]
    pub explicit_auth_flows: Vec<String>,
    #[serde(default)]
    pub allowed_oauth_flows: Vec<String>,
    #[serde(default)]
    pub allowed_oauth_scopes: Vec<String>,
    #[serde(default)]
    pub allowed_oauth_flows_user_pool_client: bool,
    #[serde(default)]
    pub supported_identity_providers: Vec<String>,
    #[serde(default)]
    pub callback_urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prevent_user_existence_errors: Option<String>,
    /// Whether the client has a secret. The secret itself is never stored.
    #[serde(default)]
    pub has_secret: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token_validity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_validity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token_validity: Option<String>,
    #[serde(default)]
    pub enable_token_revocation: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityProviderDetails {
    pub provider_name: String,
    pub provider_type: String,
    pub user_pool_id: String,
    /// The Attribute Mapping tab: user pool attribute -> identity provider attribute.
    #[serde(default)]
    pub attribute_mapping: BTreeMap<String, String>,
    #[serde(default)]
    pub idp_identifiers: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserAttribute {
    pub name: String,
    pub value: String,
    /// For email and phone_number: the matching `*_verified` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserDetails {
    pub username: String,
    pub user_pool_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_status: Option<String>,
    pub enabled: bool,
    /// The User Attributes tab.
    #[serde(default)]
    pub attributes: Vec<UserAttribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityPoolDetails {
    pub identity_pool_id: String,
    #[serde(default)]
    pub arn: String,
    #[serde(default)]
    pub allow_unauthenticated_identities: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_classic_flow: Option<bool>,
    #[serde(default)]
    pub supported_login_providers: BTreeMap<String, String>,
    #[serde(default)]
    pub cognito_identity_providers: Vec<CognitoProvider>,
    #[serde(default)]
    pub open_id_connect_provider_arns: Vec<String>,
    #[serde(default)]
    pub saml_provider_arns: Vec<String>,
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

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CognitoProvider {
    pub provider_name: String,
    pub client_id: String,
    #[serde(default)]
    pub server_side_token_check: bool,
}

/// One identity as the spec's Identities tab shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentitySample {
    pub identity_id: String,
    /// Login providers of the identity; empty for an unauthenticated identity.
    pub logins: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_date: Option<DateTime<Utc>>,
}

/// Counts from a complete ListIdentities sweep of an identity pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IdentityCensus {
    pub total: u64,
    pub authenticated: u64,
    pub unauthenticated: u64,
    /// Identities per login provider.
    pub per_provider: BTreeMap<String, u64>,
    /// The first identities listed, for the Identities tab.
    pub sample: Vec<IdentitySample>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_creation_date: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_modified_date: Option<DateTime<Utc>>,
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
