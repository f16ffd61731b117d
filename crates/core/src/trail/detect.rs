//! Security detections over CloudTrail tallies and records: brute force, account enumeration,
//! credential stuffing, M2M token anomalies and risky configuration changes. Each detection has
//! a key that is unique per kind, pool, window and subject, so it is raised once per window.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::events::EventClass;
use super::record::{valid_region_scope, CloudTrailRecord, RequestParameters};
use super::tally::{Counts, TallyId, TallyKey};
pub use super::thresholds::DetectionThresholds;
use crate::severity::Severity;
use crate::text::{clean, clean_masked};

/// The configuration changes worth an alert (and a re-inventory of the pool).
pub const RISKY_CHANGES: [&str; 13] = [
    "UpdateUserPool",
    "SetUserPoolMfaConfig",
    "CreateUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPool",
    "DeleteUserPoolClient",
    "CreateIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "SetRiskConfiguration",
    "UpdateIdentityPool",
    "SetIdentityPoolRoles",
    "DeleteIdentityPool",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detection", rename_all = "snake_case")]
pub enum Detection {
    BruteForce {
        ip: String,
        failures: u64,
        threshold: u64,
    },
    AccountEnumeration {
        ip: String,
        user_not_found: u64,
        threshold: u64,
    },
    CredentialStuffing {
        ip: String,
        distinct_subs: usize,
        threshold: usize,
    },
    PoolFailureSpike {
        attempts: u64,
        failures: u64,
        rate_percent: f64,
        threshold_percent: f64,
    },
    M2mAnomaly {
        client_id: String,
        requests: u64,
        baseline: f64,
        cap: u64,
        multiple: f64,
    },
    /// A client's OAuth endpoint requests refused for their redirect: a misconfigured callback
    /// URL, or redirect URI manipulation.
    CallbackMismatch {
        client_id: String,
        refused: u64,
        threshold: u64,
    },
    /// A machine-to-machine client requested tokens from a network it had not used.
    M2mNewSource {
        client_id: String,
        network: String,
        ip: String,
        /// The networks it used before (at most 10 named).
        usual: Vec<String>,
    },
    /// Password reset requests from one IP over a cap (`ip` set), or a pool's over a multiple of
    /// its trailing baseline (`ip` none).
    PasswordResetAbuse {
        ip: Option<String>,
        requests: u64,
        baseline: Option<f64>,
        threshold: u64,
        multiple: f64,
    },
    ConfigurationChange {
        event_name: String,
        who: String,
        source_ip: Option<String>,
        target: String,
        event_id: String,
    },
    /// A configuration change that weakens security, judged on its request parameters.
    RiskyConfiguration {
        event_name: String,
        who: String,
        source_ip: Option<String>,
        target: String,
        /// What was weakened, one change per entry (`MFA set to OFF`...).
        weakened: Vec<String>,
        event_id: String,
    },
    /// An unauthenticated caller got AWS credentials from an identity pool where that had not
    /// happened for `quiet_days` (Elastic's rule for Cognito).
    UnauthenticatedCredentials {
        identity_pool: String,
        ip: Option<String>,
        quiet_days: i64,
        event_id: String,
    },
    /// One source enumerating identity pools: an address calling GetId or
    /// GetCredentialsForIdentity on many identity pools, or a principal not seen lately
    /// listing or describing them.
    IdentityPoolEnumeration {
        /// The address or principal.
        source: String,
        how: Enumeration,
    },
    RiskySignIn {
        user_sub: Option<String>,
        client_id: Option<String>,
        ip: Option<String>,
        event_type: Option<String>,
        event_response: Option<String>,
        risk_level: Option<String>,
        risk_decision: Option<String>,
        compromised_credentials: bool,
        location: Option<String>,
        event_id: Option<String>,
    },
}

/// How a source enumerated identity pools.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum Enumeration {
    /// GetId / GetCredentialsForIdentity on about `identity_pools` distinct identity pools in
    /// one window (threshold: at least `threshold`).
    GuestCalls {
        identity_pools: usize,
        requests: u64,
        failures: u64,
        threshold: usize,
    },
    /// ListIdentityPools / DescribeIdentityPool by a principal that had not called them for
    /// `quiet_days`.
    Reads {
        event_name: String,
        identity_pool: Option<String>,
        ip: Option<String>,
        quiet_days: i64,
        event_id: String,
    },
}

impl Detection {
    /// The detection's name, as in keys and message attributes.
    pub fn kind(&self) -> &'static str {
        match self {
            Detection::BruteForce { .. } => "brute_force",
            Detection::AccountEnumeration { .. } => "account_enumeration",
            Detection::CredentialStuffing { .. } => "credential_stuffing",
            Detection::PoolFailureSpike { .. } => "pool_failure_spike",
            Detection::M2mAnomaly { .. } => "m2m_anomaly",
            Detection::M2mNewSource { .. } => "m2m_new_source",
            Detection::CallbackMismatch { .. } => "callback_mismatch",
            Detection::PasswordResetAbuse { .. } => "password_reset_abuse",
            Detection::ConfigurationChange { .. } => "configuration_change",
            Detection::RiskyConfiguration { .. } => "risky_configuration",
            Detection::UnauthenticatedCredentials { .. } => "unauthenticated_credentials",
            Detection::IdentityPoolEnumeration { .. } => "identity_pool_enumeration",
            Detection::RiskySignIn { .. } => "risky_sign_in",
        }
    }

    /// What the detection is about within its pool and window (the last part of its key).
    pub fn subject(&self) -> String {
        match self {
            Detection::BruteForce { ip, .. }
            | Detection::AccountEnumeration { ip, .. }
            | Detection::CredentialStuffing { ip, .. } => ip.clone(),
            Detection::PoolFailureSpike { .. } => String::new(),
            Detection::PasswordResetAbuse { ip, .. } => ip.clone().unwrap_or_default(),
            Detection::UnauthenticatedCredentials { identity_pool, .. } => identity_pool.clone(),
            Detection::IdentityPoolEnumeration { source, .. } => source.clone(),
            Detection::M2mAnomaly { client_id, .. }
            | Detection::CallbackMismatch { client_id, .. } => client_id.clone(),
            Detection::M2mNewSource {
                client_id, network, ..
            } => format!("{client_id}@{network}"),
            Detection::ConfigurationChange { event_id, .. }
            | Detection::RiskyConfiguration { event_id, .. } => event_id.clone(),
            Detection::RiskySignIn {
                user_sub, event_id, ..
            } => user_sub
                .clone()
                .or_else(|| event_id.clone())
                .unwrap_or_default(),
        }
    }

    /// For a detection that holds only the first time in a while, how long "a while" is.
    pub fn quiet_days(&self) -> Option<i64> {
        match self {
            Detection::UnauthenticatedCredentials { quiet_days, .. }
            | Detection::IdentityPoolEnumeration {
                how: Enumeration::Reads { quiet_days, .. },
                ..
            } => Some(*quiet_days),
            _ => None,
        }
    }

    /// How bad: attacks in progress are critical, anomalies and changes are trouble.
    pub fn severity(&self) -> Severity {
        match self {
            Detection::BruteForce { .. }
            | Detection::CredentialStuffing { .. }
            | Detection::PoolFailureSpike { .. }
            | Detection::RiskyConfiguration { .. }
            | Detection::RiskySignIn { .. } => Severity::Critical,
            Detection::AccountEnumeration { .. }
            | Detection::M2mAnomaly { .. }
            | Detection::M2mNewSource { .. }
            | Detection::CallbackMismatch { .. }
            | Detection::PasswordResetAbuse { .. }
            | Detection::ConfigurationChange { .. }
            | Detection::UnauthenticatedCredentials { .. }
            | Detection::IdentityPoolEnumeration { .. } => Severity::Trouble,
        }
    }

    /// A short title: what and where from.
    pub fn title(&self) -> String {
        match self {
            Detection::BruteForce { ip, .. } => format!("Brute force from {ip}"),
            Detection::AccountEnumeration { ip, .. } => format!("Account enumeration from {ip}"),
            Detection::CredentialStuffing { ip, .. } => format!("Credential stuffing from {ip}"),
            Detection::PoolFailureSpike { .. } => "Sign-in failure spike".to_string(),
            Detection::PasswordResetAbuse { ip: Some(ip), .. } => {
                format!("Password reset abuse from {ip}")
            }
            Detection::PasswordResetAbuse { ip: None, .. } => "Password reset spike".to_string(),
            Detection::M2mAnomaly { client_id, .. } => {
                format!("M2M token spike on client {client_id}")
            }
            Detection::M2mNewSource {
                client_id, network, ..
            } => format!("M2M client {client_id} from a new network {network}"),
            Detection::CallbackMismatch { client_id, .. } => {
                format!("Callback URL mismatches on client {client_id}")
            }
            Detection::ConfigurationChange { event_name, .. } => {
                format!("Configuration change {event_name}")
            }
            Detection::RiskyConfiguration { event_name, .. } => {
                format!("Security weakened by {event_name}")
            }
            Detection::UnauthenticatedCredentials { identity_pool, .. } => {
                format!("Unauthenticated credentials from {identity_pool}")
            }
            Detection::IdentityPoolEnumeration { source, .. } => {
                format!("Identity pool enumeration by {source}")
            }
            Detection::RiskySignIn { risk_decision, .. } => format!(
                "Risky sign-in ({})",
                risk_decision.as_deref().unwrap_or("high risk")
            ),
        }
    }

    /// What was seen, against which threshold, one fact per line.
    pub fn facts(&self) -> Vec<String> {
        let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        match self {
            Detection::BruteForce {
                ip,
                failures,
                threshold,
            } => vec![format!(
                "{failures} failed requests from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::AccountEnumeration {
                ip,
                user_not_found,
                threshold,
            } => vec![format!(
                "{user_not_found} UserNotFoundException from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::CredentialStuffing {
                ip,
                distinct_subs,
                threshold,
            } => vec![format!(
                "about {distinct_subs} distinct users failing from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::PoolFailureSpike {
                attempts,
                failures,
                rate_percent,
                threshold_percent,
            } => vec![format!(
                "{failures} of {attempts} sign-in attempts failed ({rate_percent:.1}%, threshold > {threshold_percent}%)"
            )],
            Detection::CallbackMismatch {
                client_id,
                refused,
                threshold,
            } => vec![format!(
                "{refused} OAuth requests of {client_id} refused for their redirect in 5 minutes (threshold > {threshold}): a misconfigured callback URL, or redirect URI manipulation"
            )],
            Detection::M2mNewSource {
                client_id,
                network,
                ip,
                usual,
            } => vec![
                format!("client_credentials token requests by {client_id} from {ip} ({network})"),
                format!("its usual networks: {}", usual.join(", ")),
            ],
            Detection::PasswordResetAbuse {
                ip: Some(ip),
                requests,
                threshold,
                ..
            } => vec![format!(
                "{requests} password reset requests from {ip} in 5 minutes (threshold > {threshold})"
            )],
            Detection::PasswordResetAbuse {
                ip: None,
                requests,
                baseline,
                multiple,
                ..
            } => vec![format!(
                "{requests} password reset requests in 5 minutes; trailing baseline {:.1} per window (alert above {multiple}x)",
                baseline.unwrap_or(0.0)
            )],
            Detection::M2mAnomaly {
                client_id,
                requests,
                baseline,
                cap,
                multiple,
            } => vec![format!(
                "{requests} client_credentials token requests by {client_id} in 5 minutes (cap {cap}; trailing baseline {baseline:.1} per window, alert above {multiple}x)"
            )],
            Detection::ConfigurationChange {
                event_name,
                who,
                source_ip,
                target,
                event_id,
            } => vec![
                format!("{event_name} on {target}"),
                format!("by {who} from {}", opt(source_ip)),
                format!("CloudTrail event {event_id}"),
            ],
            Detection::RiskyConfiguration {
                event_name,
                who,
                source_ip,
                target,
                weakened,
                event_id,
            } => {
                let mut facts = vec![format!("{event_name} on {target}")];
                facts.extend(weakened.iter().cloned());
                facts.push(format!("by {who} from {}", opt(source_ip)));
                facts.push(format!("CloudTrail event {event_id}"));
                facts
            }
            Detection::UnauthenticatedCredentials {
                identity_pool,
                ip,
                quiet_days,
                event_id,
            } => vec![
                format!(
                    "GetCredentialsForIdentity succeeded for an unauthenticated caller (userIdentity.type Unknown) on {identity_pool} from {}",
                    opt(ip)
                ),
                format!("the first time in {quiet_days} days on this identity pool"),
                format!("CloudTrail event {event_id}"),
            ],
            Detection::IdentityPoolEnumeration {
                source,
                how:
                    Enumeration::GuestCalls {
                        identity_pools,
                        requests,
                        failures,
                        threshold,
                    },
            } => vec![format!(
                "GetId / GetCredentialsForIdentity on about {identity_pools} distinct identity pools from {source} in 5 minutes ({requests} requests, {failures} failed; threshold {threshold} pools)"
            )],
            Detection::IdentityPoolEnumeration {
                source,
                how:
                    Enumeration::Reads {
                        event_name,
                        identity_pool,
                        ip,
                        quiet_days,
                        event_id,
                    },
            } => vec![
                format!(
                    "{event_name}{} by {source} from {}",
                    identity_pool
                        .as_deref()
                        .map(|p| format!(" on {p}"))
                        .unwrap_or_default(),
                    opt(ip)
                ),
                format!("the first time in {quiet_days} days this principal read identity pools"),
                format!("CloudTrail event {event_id}"),
            ],
            Detection::RiskySignIn {
                user_sub,
                client_id,
                ip,
                event_type,
                event_response,
                risk_level,
                risk_decision,
                compromised_credentials,
                location,
                event_id,
            } => vec![
                format!(
                    "{} ({}) by user sub {} via client {}",
                    opt(event_type),
                    opt(event_response),
                    opt(user_sub),
                    opt(client_id)
                ),
                format!(
                    "risk level {}, decision {}, compromised credentials {}",
                    opt(risk_level),
                    opt(risk_decision),
                    if *compromised_credentials { "yes" } else { "no" }
                ),
                format!("from {} ({})", opt(ip), opt(location)),
                format!("activity event {}", opt(event_id)),
            ],
        }
    }
}

/// A detection with where and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub pool: Option<String>,
    pub window: DateTime<Utc>,
    /// The account and region, where the source says (CloudTrail's `recipientAccountId` and
    /// `awsRegion`); the region otherwise comes from the pool id.
    #[serde(default)]
    pub account: Option<String>,
    #[serde(default)]
    pub region: Option<String>,
    /// The account and region scope a per-IP detection judged ([`region_scope`]), when it is
    /// one: then `pool` is the one pool the address was seen in, if it was one, and `pools`
    /// every pool it was seen in.
    ///
    /// [`region_scope`]: super::record::region_scope
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<String>,
    /// The names of the pools and app clients the finding names, from the inventory.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    pub detection: Detection,
}

impl Finding {
    /// A finding in `pool` (if known) and the window from `window`; no account, region,
    /// scope or names yet.
    pub fn new(pool: Option<String>, window: DateTime<Utc>, detection: Detection) -> Finding {
        Finding {
            pool,
            window,
            account: None,
            region: None,
            scope: None,
            pools: Vec::new(),
            names: BTreeMap::new(),
            detection,
        }
    }

    /// A finding about one CloudTrail record: its window, account and region.
    pub fn of_record(r: &CloudTrailRecord, pool: Option<String>, detection: Detection) -> Finding {
        let mut f = Finding::new(pool, r.window(), detection);
        f.account = r.recipient_account_id.as_deref().map(str::to_string);
        f.region = r.aws_region.as_deref().map(str::to_string);
        f
    }

    /// Unique per kind, scope (or pool), window and subject: the once-per-window key.
    pub fn key(&self) -> String {
        format!(
            "{}#{}#{}#{}",
            self.detection.kind(),
            self.scope
                .as_deref()
                .or(self.pool.as_deref())
                .unwrap_or("-"),
            self.window.format("%Y-%m-%dT%H:%MZ"),
            self.detection.subject()
        )
    }

    /// The address of a per-IP finding of an account and region scope not yet placed in a
    /// pool ([`seen_in`]).
    pub fn scoped_address(&self) -> Option<&str> {
        if self.scope.is_none() || self.pool.is_some() {
            return None;
        }
        match &self.detection {
            Detection::BruteForce { ip, .. }
            | Detection::AccountEnumeration { ip, .. }
            | Detection::CredentialStuffing { ip, .. }
            | Detection::PasswordResetAbuse { ip: Some(ip), .. }
            | Detection::IdentityPoolEnumeration {
                source: ip,
                how: Enumeration::GuestCalls { .. },
            } => Some(ip),
            _ => None,
        }
    }

    /// The app client the detection is about, if it is about one.
    pub fn client_id(&self) -> Option<&str> {
        match &self.detection {
            Detection::M2mAnomaly { client_id, .. }
            | Detection::CallbackMismatch { client_id, .. }
            | Detection::M2mNewSource { client_id, .. } => Some(client_id),
            Detection::RiskySignIn { client_id, .. } => client_id.as_deref(),
            _ => None,
        }
    }

    /// Whether the finding concerns `pool`: in it, or (a per-IP detection over the account
    /// and region) seen in it.
    pub fn concerns(&self, pool: &str) -> bool {
        self.pool.as_deref() == Some(pool) || self.pools.iter().any(|p| p == pool)
    }

    /// The principal of a finding that is a detection only the first time a principal does
    /// something (reading identity pools), to be left alone when trusted.
    pub fn principal(&self) -> Option<&str> {
        match &self.detection {
            Detection::IdentityPoolEnumeration {
                source,
                how: Enumeration::Reads { .. },
            } => Some(source),
            _ => None,
        }
    }

    /// The region: as the source said, or the user pool id's prefix (`us-east-1_AbC`).
    pub fn region(&self) -> Option<String> {
        self.region.clone().or_else(|| {
            self.pool
                .as_deref()
                .and_then(|p| p.split_once('_'))
                .map(|(r, _)| r.to_string())
        })
    }

    /// A configuration change asks the collector to re-inventory: the region, and the user
    /// pool when the change names one (an identity pool change re-inventories the region).
    pub fn reinventory(&self) -> Option<(String, Option<String>)> {
        match &self.detection {
            Detection::ConfigurationChange { .. } => Some((self.region()?, self.pool.clone())),
            _ => None,
        }
    }
}

/// Detections on one tally's window totals. `baseline` is the trailing mean per window of what
/// the detection compares ([`baseline_of`]): a client's client_credentials requests, a pool's
/// password reset requests.
pub fn detect(
    id: &TallyId,
    totals: &Counts,
    baseline: Option<f64>,
    t: &DetectionThresholds,
) -> Vec<Finding> {
    let mut out = Vec::new();
    // A per-IP tally of an account and region scope: the finding is keyed by the scope; the
    // trail names the pools the address was seen in.
    let scope = id
        .pool
        .as_deref()
        .and_then(valid_region_scope)
        .map(str::to_string);
    let mut push = |detection| {
        let mut f = Finding::new(id.pool.clone(), id.window, detection);
        if scope.is_some() {
            f.pool = None;
            f.scope = scope.clone();
        }
        out.push(f)
    };
    match &id.key {
        TallyKey::Ip { ip } => {
            if totals.failures > t.brute_force_failures {
                push(Detection::BruteForce {
                    ip: ip.clone(),
                    failures: totals.failures,
                    threshold: t.brute_force_failures,
                });
            }
            let not_found = totals
                .by_error
                .get("UserNotFoundException")
                .copied()
                .unwrap_or(0);
            if not_found > t.enumeration_user_not_found {
                push(Detection::AccountEnumeration {
                    ip: ip.clone(),
                    user_not_found: not_found,
                    threshold: t.enumeration_user_not_found,
                });
            }
            let distinct = totals.distinct_failing_subs();
            if distinct > t.stuffing_distinct_subs {
                push(Detection::CredentialStuffing {
                    ip: ip.clone(),
                    distinct_subs: distinct,
                    threshold: t.stuffing_distinct_subs,
                });
            }
            if totals.password_resets > t.reset_ip_requests {
                push(Detection::PasswordResetAbuse {
                    ip: Some(ip.clone()),
                    requests: totals.password_resets,
                    baseline: None,
                    threshold: t.reset_ip_requests,
                    multiple: t.reset_multiple,
                });
            }
            let identity_pools = totals.distinct_identity_pools();
            if !totals.identity_pools.is_empty() && identity_pools >= t.identity_pools_per_source {
                push(Detection::IdentityPoolEnumeration {
                    source: ip.clone(),
                    how: Enumeration::GuestCalls {
                        identity_pools,
                        requests: totals.requests,
                        failures: totals.failures,
                        threshold: t.identity_pools_per_source,
                    },
                });
            }
        }
        TallyKey::Class { class } if class == EventClass::Reset.as_str() => {
            let base = baseline.unwrap_or(0.0);
            let requests = totals.password_resets;
            if base >= t.reset_min_baseline && requests as f64 > t.reset_multiple * base {
                push(Detection::PasswordResetAbuse {
                    ip: None,
                    requests,
                    baseline: Some(base),
                    threshold: t.reset_ip_requests,
                    multiple: t.reset_multiple,
                });
            }
        }
        TallyKey::Class { class }
            if class == EventClass::SignIn.as_str()
                && totals.attempts >= t.pool_min_attempts.max(1) =>
        {
            let rate = 100.0 * totals.failures as f64 / totals.attempts as f64;
            if rate > t.pool_failure_rate_percent {
                push(Detection::PoolFailureSpike {
                    attempts: totals.attempts,
                    failures: totals.failures,
                    rate_percent: rate,
                    threshold_percent: t.pool_failure_rate_percent,
                });
            }
        }
        TallyKey::Client { client_id } => {
            if totals.callback_mismatches > t.callback_mismatches {
                push(Detection::CallbackMismatch {
                    client_id: client_id.clone(),
                    refused: totals.callback_mismatches,
                    threshold: t.callback_mismatches,
                });
            }
            let requests = totals.m2m_requests();
            let base = baseline.unwrap_or(0.0);
            let over_cap = requests > t.m2m_cap;
            let over_baseline =
                base >= t.m2m_min_baseline && requests as f64 > t.m2m_multiple * base;
            if over_cap || over_baseline {
                push(Detection::M2mAnomaly {
                    client_id: client_id.clone(),
                    requests,
                    baseline: base,
                    cap: t.m2m_cap,
                    multiple: t.m2m_multiple,
                });
            }
        }
        _ => {}
    }
    out
}

/// How long a machine-to-machine client's networks are remembered after its last request.
pub const M2M_MEMORY_DAYS: i64 = 7;

/// Whether a delivery's tally may raise a detection, so its window totals are worth reading:
/// IPs with failures or password resets, a pool's sign-in and reset tallies (every API, hosted UI
/// and managed login event of those classes), clients
/// with M2M token requests or refused redirects.
///
/// Per-IP detections judge the address over its account and region
/// ([`region_scope`](super::record::region_scope)), never per pool, so one address raises each
/// detection once per window however many pools it touched.
pub fn is_candidate(id: &TallyId, c: &Counts) -> bool {
    match &id.key {
        TallyKey::Ip { .. } => {
            id.pool.as_deref().and_then(valid_region_scope).is_some()
                && (c.failures > 0 || c.password_resets > 0 || !c.identity_pools.is_empty())
        }
        TallyKey::Class { class } => {
            (class == EventClass::SignIn.as_str() && c.attempts > 0) || c.password_resets > 0
        }
        TallyKey::Client { .. } => c.m2m_requests() > 0 || c.callback_mismatches > 0,
        TallyKey::EventName { .. } | TallyKey::ErrorCode { .. } | TallyKey::Caller { .. } => false,
    }
}

/// Where a per-IP finding of an account and region scope was seen: the pools among
/// `tallies` with their own tally of the same address and window (`pools`), and `pool` when
/// that is one.
pub fn seen_in(f: &mut Finding, tallies: &BTreeMap<TallyId, Counts>) {
    let Some(ip) = f.scoped_address().map(str::to_string) else {
        return;
    };
    let pools: Vec<String> = tallies
        .keys()
        .filter(|id| {
            id.window == f.window
                && !id.is_region_scope()
                && matches!(&id.key, TallyKey::Ip { ip: i } if *i == ip)
        })
        .filter_map(|id| id.pool.clone())
        .collect();
    if let [only] = pools.as_slice() {
        f.pool = Some(only.clone());
    }
    f.pools = pools;
}

/// An `m2m_new_source` finding: `client_id` requested tokens from `ip` in a `network` new to
/// it, beside its `usual` ones (at most 10 named).
pub fn m2m_new_source(
    pool: Option<String>,
    window: DateTime<Utc>,
    client_id: String,
    network: String,
    ip: String,
    mut usual: Vec<String>,
) -> Finding {
    usual.truncate(10);
    Finding::new(
        pool,
        window,
        Detection::M2mNewSource {
            client_id,
            network,
            ip,
            usual,
        },
    )
}

/// What a tally's detection compares with its trailing windows, if any: a client's
/// client_credentials requests, a pool's password reset requests.
pub fn baseline_of(key: &TallyKey) -> Option<fn(&Counts) -> u64> {
    match key {
        TallyKey::Client { .. } => Some(Counts::m2m_requests),
        TallyKey::Class { class } if class == EventClass::Reset.as_str() => {
            Some(|c: &Counts| c.password_resets)
        }
        _ => None,
    }
}

/// Who made a change (`userIdentity`'s ARN, principal or type; masked: an SSO session name is
/// often the person's email address) and what it targets (ids as they are, cleaned; names a
/// person chose masked).
fn who_and_target(r: &CloudTrailRecord) -> (String, String) {
    let identity = r.user_identity.get();
    let who = identity
        .and_then(|u| {
            u.arn
                .raw()
                .or(u.principal_id.raw())
                .or(u.identity_type.raw())
        })
        .unwrap_or("unknown");
    let params = r.request_parameters.get();
    let field = |k: for<'p> fn(&'p RequestParameters<'_>) -> Option<&'p str>| params.and_then(k);
    let target = [
        field(|p| p.user_pool_id.raw()).map(|v| clean(v, 64)),
        field(|p| p.client_id.raw())
            .map(|v| clean(v, 128))
            .or(field(|p| p.client_name.raw()).map(|v| clean_masked(v, 128))),
        field(|p| p.provider_name.raw()).map(|v| clean_masked(v, 128)),
        field(|p| p.identity_pool_id.raw()).map(|v| clean(v, 64)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    (clean_masked(who, 256), clean(&target, 256))
}

/// A configuration change worth an alert: who (userIdentity), from where, what.
pub fn configuration_change(r: &CloudTrailRecord) -> Option<Finding> {
    if !r.is_cognito() || !RISKY_CHANGES.contains(&&*r.event_name) || r.failure().is_some() {
        return None;
    }
    let (who, target) = who_and_target(r);
    Some(Finding::of_record(
        r,
        r.user_pool_id().map(str::to_string),
        Detection::ConfigurationChange {
            event_name: r.event_name.to_string(),
            who,
            source_ip: r.source_ip_address.as_deref().map(str::to_string),
            target,
            event_id: r.event_id.to_string(),
        },
    ))
}

/// What a successful change weakens, judged on its request parameters (AWS's parameter
/// names): unauthenticated identities allowed, MFA off, user existence errors back to LEGACY,
/// threat protection off, deletion protection off, a plain-HTTP callback URL that is not
/// localhost, the client_credentials flow granted.
pub fn weakened(r: &CloudTrailRecord) -> Vec<String> {
    let Some(p) = r.request_parameters.get() else {
        return Vec::new();
    };
    fn text<'t>(v: &'t super::lenient::Text<'_>) -> &'t str {
        v.raw().unwrap_or_default()
    }
    let mut out = Vec::new();
    let name = &*r.event_name;
    if matches!(name, "CreateIdentityPool" | "UpdateIdentityPool")
        && p.allow_unauthenticated_identities.0 == Some(true)
    {
        out.push("allowUnauthenticatedIdentities set to true (guests get AWS credentials)".into());
    }
    if matches!(name, "SetUserPoolMfaConfig" | "UpdateUserPool")
        && text(&p.mfa_configuration) == "OFF"
    {
        out.push("MFA (mfaConfiguration) set to OFF".into());
    }
    if name == "UpdateUserPool" {
        if text(&p.deletion_protection) == "INACTIVE" {
            out.push("deletionProtection set to INACTIVE".into());
        }
        let mode = p
            .user_pool_add_ons
            .get()
            .and_then(|a| a.advanced_security_mode.raw());
        if mode == Some("OFF") {
            out.push("threat protection (userPoolAddOns.advancedSecurityMode) set to OFF".into());
        }
    }
    if matches!(name, "CreateUserPoolClient" | "UpdateUserPoolClient") {
        if text(&p.prevent_user_existence_errors) == "LEGACY" {
            out.push("preventUserExistenceErrors set to LEGACY (reveals which users exist)".into());
        }
        let list = |l: &super::lenient::Strings<'_>| -> Vec<String> {
            l.0.iter().map(|s| clean(s, 200)).collect()
        };
        for url in list(&p.callback_urls) {
            let plain = url.to_ascii_lowercase();
            let local = ["http://localhost", "http://127.0.0.1", "http://[::1]"]
                .iter()
                .any(|l| plain.starts_with(l));
            if plain.starts_with("http://") && !local {
                out.push(format!("plain-HTTP callback URL {url} allowed"));
            }
        }
        if list(&p.allowed_oauth_flows)
            .iter()
            .any(|f| f == "client_credentials")
        {
            out.push("client_credentials flow (machine-to-machine tokens) allowed".into());
        }
    }
    out
}

/// How long an identity pool must have given no unauthenticated caller credentials for the
/// next one to be an `unauthenticated_credentials` detection.
pub const GUEST_QUIET_DAYS: i64 = 7;

/// A candidate `unauthenticated_credentials` detection: GetCredentialsForIdentity succeeded for
/// an unauthenticated caller. It is a detection only when the identity pool gave none for
/// [`GUEST_QUIET_DAYS`] (the trail function keeps that memory).
pub fn guest_credentials(r: &CloudTrailRecord) -> Option<Finding> {
    let guest = r.event_name == "GetCredentialsForIdentity"
        && r.failure().is_none()
        && r.caller_type() == Some("Unknown");
    if !guest {
        return None;
    }
    let identity_pool = r.identity_pool_id()?.to_string();
    Some(Finding::of_record(
        r,
        Some(identity_pool.clone()),
        Detection::UnauthenticatedCredentials {
            identity_pool,
            ip: r.source_ip_address.as_deref().map(str::to_string),
            quiet_days: GUEST_QUIET_DAYS,
            event_id: r.event_id.to_string(),
        },
    ))
}

/// How long a principal that lists or describes identity pools is remembered: a read by one
/// not seen for this long is `identity_pool_enumeration`.
pub const READER_QUIET_DAYS: i64 = 7;

/// ListIdentityPools / DescribeIdentityPool by a principal: an `identity_pool_enumeration`
/// candidate, a detection when the principal is not trusted and had not read identity pools
/// for `READER_QUIET_DAYS` (the trail function asks its memory).
pub fn identity_pool_reads(r: &CloudTrailRecord) -> Option<Finding> {
    use super::record::IDENTITY_POOL_READ_EVENTS;
    if r.event_source != super::record::COGNITO_IDENTITY
        || !IDENTITY_POOL_READ_EVENTS.contains(&&*r.event_name)
        || r.failure().is_some()
    {
        return None;
    }
    let principal = r.principal()?;
    let identity_pool = r.identity_pool_id().map(str::to_string);
    let mut f = Finding::of_record(
        r,
        identity_pool.clone(),
        Detection::IdentityPoolEnumeration {
            source: principal,
            how: Enumeration::Reads {
                event_name: r.event_name.to_string(),
                identity_pool,
                ip: r.source_ip_address.as_deref().map(str::to_string),
                quiet_days: READER_QUIET_DAYS,
                event_id: r.event_id.to_string(),
            },
        },
    );
    // Keyed by the account and region: one alert per principal and window, whichever pools
    // it read.
    f.scope = r.region_scope(f.pool.as_deref());
    Some(f)
}

/// A successful configuration change that weakens security (critical), beside the generic
/// configuration change.
pub fn risky_configuration(r: &CloudTrailRecord) -> Option<Finding> {
    if !r.is_cognito() || r.failure().is_some() {
        return None;
    }
    let weakened = weakened(r);
    if weakened.is_empty() {
        return None;
    }
    let (who, target) = who_and_target(r);
    Some(Finding::of_record(
        r,
        r.user_pool_id()
            .or_else(|| r.identity_pool_id())
            .map(str::to_string),
        Detection::RiskyConfiguration {
            event_name: r.event_name.to_string(),
            who,
            source_ip: r.source_ip_address.as_deref().map(str::to_string),
            target,
            weakened,
            event_id: r.event_id.to_string(),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trail::{window_of, TallyKind};
    use chrono::TimeZone;

    fn id(key: TallyKey) -> TallyId {
        TallyId {
            pool: Some("p1".into()),
            window: window_of(Utc.with_ymd_and_hms(2026, 11, 21, 10, 3, 0).unwrap()),
            key,
        }
    }

    #[test]
    fn ip_detections_fire_above_their_thresholds_only() {
        let t = DetectionThresholds::default();
        let ip = id(TallyKey::Ip {
            ip: "198.51.100.7".into(),
        });
        let mut c = Counts {
            attempts: 50,
            failures: 50,
            ..Default::default()
        };
        assert!(detect(&ip, &c, None, &t).is_empty(), "at the threshold: no");
        c.failures = 51;
        c.by_error.insert("UserNotFoundException".into(), 21);
        c.failing_subs = (0..11).collect();
        let found = detect(&ip, &c, None, &t);
        let kinds: Vec<String> = found.iter().map(|f| f.key()).collect();
        assert_eq!(
            kinds,
            vec![
                "brute_force#p1#2026-11-21T10:00Z#198.51.100.7",
                "account_enumeration#p1#2026-11-21T10:00Z#198.51.100.7",
                "credential_stuffing#p1#2026-11-21T10:00Z#198.51.100.7",
            ]
        );
    }

    #[test]
    fn m2m_fires_on_the_cap_or_a_multiple_of_the_baseline() {
        let t = DetectionThresholds::default();
        let client = id(TallyKey::Client {
            client_id: "svc".into(),
        });
        let mut c = Counts::default();
        c.by_grant.insert("client_credentials".into(), 60);
        assert!(detect(&client, &c, Some(20.0), &t).is_empty());
        assert_eq!(detect(&client, &c, Some(10.0), &t).len(), 1, "6x baseline");
        assert!(
            detect(&client, &c, Some(5.0), &t).is_empty(),
            "baseline too small to judge"
        );
        c.by_grant.insert("client_credentials".into(), 5001);
        assert_eq!(detect(&client, &c, None, &t).len(), 1, "over the cap");
    }

    #[test]
    fn a_pool_wide_failure_spike_needs_volume() {
        let t = DetectionThresholds::default();
        let name = id(TallyKey::new(TallyKind::Class, "sign-in"));
        let c = Counts {
            attempts: 99,
            failures: 90,
            ..Default::default()
        };
        assert!(detect(&name, &c, None, &t).is_empty());
        let c = Counts {
            attempts: 200,
            failures: 120,
            ..Default::default()
        };
        assert_eq!(detect(&name, &c, None, &t).len(), 1);
    }

    #[test]
    fn configuration_changes_name_who_where_and_what() {
        let r: CloudTrailRecord = serde_json::from_str(
            r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com",
            "eventName":"UpdateUserPoolClient","sourceIPAddress":"203.0.113.9","eventID":"ev-1",
            "userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/admin/jane"},
            "requestParameters":{"userPoolId":"us-east-1_AbC","clientId":"c1"}}"#,
        )
        .unwrap();
        let f = configuration_change(&r).unwrap();
        assert_eq!(f.pool.as_deref(), Some("us-east-1_AbC"));
        assert_eq!(
            f.detection,
            Detection::ConfigurationChange {
                event_name: "UpdateUserPoolClient".into(),
                who: "arn:aws:sts::123456789012:assumed-role/admin/jane".into(),
                source_ip: Some("203.0.113.9".into()),
                target: "us-east-1_AbC/c1".into(),
                event_id: "ev-1".into(),
            }
        );
        let mut failed = r.clone();
        failed.error_code = Some("AccessDeniedException".into());
        assert!(
            configuration_change(&failed).is_none(),
            "a refused change changed nothing"
        );
        let mut read = r;
        read.event_name = "DescribeUserPool".into();
        assert!(configuration_change(&read).is_none());
    }

    /// Ids are not masked as phone numbers (a pool id with 7 digits in a row was shown as
    /// `us-east-1_e4b9fd[phone]de9`); names a person chose are.
    #[test]
    fn a_change_keeps_ids_and_masks_names() {
        let r: CloudTrailRecord = serde_json::from_str(
            r#"{"eventTime":"2026-11-21T10:04:00Z","eventSource":"cognito-idp.amazonaws.com",
            "eventName":"CreateUserPoolClient","eventID":"ev-2",
            "requestParameters":{"userPoolId":"us-east-1_e4b9fd4891434de9","clientName":"jane@example.com app"}}"#,
        )
        .unwrap();
        let Detection::ConfigurationChange { target, .. } =
            configuration_change(&r).unwrap().detection
        else {
            panic!("not a configuration change")
        };
        assert_eq!(target, "us-east-1_e4b9fd4891434de9/[email] app");
    }

    fn change(name: &str, params: serde_json::Value) -> CloudTrailRecord<'static> {
        CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
            "eventSource": if name.contains("IdentityPool") { "cognito-identity.amazonaws.com" } else { "cognito-idp.amazonaws.com" },
            "eventName": name, "eventID": "ev-9", "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Admin/ops"},
            "requestParameters": params}))
        .unwrap()
    }

    #[test]
    fn changes_that_weaken_security_are_named_and_others_are_not() {
        let cases = [
            (
                "CreateIdentityPool",
                serde_json::json!({"identityPoolName": "x", "allowUnauthenticatedIdentities": true}),
                "allowUnauthenticatedIdentities",
            ),
            (
                "UpdateIdentityPool",
                serde_json::json!({"identityPoolId": "us-east-1:1a", "allowUnauthenticatedIdentities": true}),
                "allowUnauthenticatedIdentities",
            ),
            (
                "SetUserPoolMfaConfig",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
                "MFA",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
                "MFA",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "deletionProtection": "INACTIVE"}),
                "deletionProtection",
            ),
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "userPoolAddOns": {"advancedSecurityMode": "OFF"}}),
                "threat protection",
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "preventUserExistenceErrors": "LEGACY"}),
                "LEGACY",
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "callbackURLs": ["https://shop.example", "http://evil.example/cb"]}),
                "http://evil.example/cb",
            ),
            (
                "CreateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientName": "svc", "allowedOAuthFlows": ["client_credentials"]}),
                "client_credentials",
            ),
        ];
        for (name, params, says) in cases {
            let f = risky_configuration(&change(name, params.clone()))
                .unwrap_or_else(|| panic!("{name} {params}: not risky"));
            assert_eq!(f.detection.severity(), Severity::Critical);
            assert!(
                f.detection.facts().iter().any(|l| l.contains(says)),
                "{name}: {:?}",
                f.detection.facts()
            );
        }
        let harmless = [
            (
                "UpdateUserPool",
                serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "ON", "deletionProtection": "ACTIVE"}),
            ),
            (
                "UpdateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "clientId": "c1", "preventUserExistenceErrors": "ENABLED", "callbackURLs": ["https://shop.example", "http://localhost:3000/cb"]}),
            ),
            (
                "CreateIdentityPool",
                serde_json::json!({"identityPoolName": "x", "allowUnauthenticatedIdentities": false}),
            ),
            (
                "CreateUserPoolClient",
                serde_json::json!({"userPoolId": "us-east-1_A", "allowedOAuthFlows": ["code"]}),
            ),
        ];
        for (name, params) in harmless {
            assert!(
                risky_configuration(&change(name, params.clone())).is_none(),
                "{name} {params}"
            );
        }
        let mut failed = change(
            "SetUserPoolMfaConfig",
            serde_json::json!({"userPoolId": "us-east-1_A", "mfaConfiguration": "OFF"}),
        );
        failed.error_code = Some("AccessDeniedException".into());
        assert!(
            risky_configuration(&failed).is_none(),
            "a refused change weakens nothing"
        );
    }

    #[test]
    fn only_a_successful_unauthenticated_credentials_call_is_a_guest_candidate() {
        let pool = "us-east-1:1a234567-8901-2345-6789-0123456789ab";
        let record = |caller: &str, error: Option<&str>| -> CloudTrailRecord {
            CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
                "eventSource": "cognito-identity.amazonaws.com", "eventName": "GetCredentialsForIdentity",
                "eventID": "ev-1", "sourceIPAddress": "203.0.113.40", "errorCode": error,
                "userIdentity": {"type": caller},
                "resources": [{"ARN": format!("arn:aws:cognito-identity:us-east-1:111122223333:identitypool/{pool}")}]}))
            .unwrap()
        };
        let f = guest_credentials(&record("Unknown", None)).expect("a guest");
        assert_eq!(
            f.key(),
            format!("unauthenticated_credentials#{pool}#2026-11-21T10:00Z#{pool}")
        );
        assert!(guest_credentials(&record("AssumedRole", None)).is_none());
        assert!(guest_credentials(&record("Unknown", Some("NotAuthorizedException"))).is_none());
    }

    #[test]
    fn password_resets_fire_per_ip_over_the_cap_or_pool_wide_over_the_baseline() {
        let (t, ip) = (
            DetectionThresholds::default(),
            id(TallyKey::new(TallyKind::Ip, "198.51.100.7")),
        );
        let mut c = Counts {
            password_resets: 20,
            ..Counts::default()
        };
        assert!(detect(&ip, &c, None, &t).is_empty(), "at the cap: no");
        c.password_resets = 21;
        let found = detect(&ip, &c, None, &t);
        assert_eq!(
            found[0].key(),
            "password_reset_abuse#p1#2026-11-21T10:00Z#198.51.100.7"
        );
        let pool = id(TallyKey::new(TallyKind::Class, "reset"));
        c.password_resets = 31;
        assert_eq!(
            detect(&pool, &c, Some(6.0), &t).len(),
            1,
            "over 5x the baseline"
        );
        assert!(detect(&pool, &c, Some(7.0), &t).is_empty(), "under 5x");
        assert!(
            detect(&pool, &c, Some(4.0), &t).is_empty(),
            "a baseline too small to judge"
        );
        assert!(baseline_of(&pool.key).is_some() && baseline_of(&ip.key).is_none());
    }

    #[test]
    fn callback_mismatches_fire_over_their_threshold() {
        let t = DetectionThresholds::default();
        let client = id(TallyKey::new(TallyKind::Client, "web"));
        let mut c = Counts {
            callback_mismatches: 20,
            ..Counts::default()
        };
        assert!(detect(&client, &c, None, &t).is_empty());
        c.callback_mismatches = 21;
        let found = detect(&client, &c, None, &t);
        assert_eq!(found[0].key(), "callback_mismatch#p1#2026-11-21T10:00Z#web");
    }

    /// CloudTrail records of one address in one window, as the trail's intake tallies them.
    fn tallies_of(records: &[serde_json::Value]) -> crate::trail::Tallies {
        let mut tallies = crate::trail::Tallies::default();
        for r in records {
            let r = CloudTrailRecord::from_value(r.clone()).unwrap();
            tallies.add(&r.bounded().unwrap(), &|c: &str| {
                (c == "web").then(|| "us-east-1_B".to_string())
            });
        }
        tallies
    }

    fn sign_in_failure(pool: Option<&str>, client: &str, n: usize) -> serde_json::Value {
        serde_json::json!({"eventTime": "2026-11-21T10:04:00Z", "eventSource": "cognito-idp.amazonaws.com",
            "eventName": "InitiateAuth", "eventID": format!("ev-{client}-{n}"), "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "sourceIPAddress": "198.51.100.7",
            "errorCode": "NotAuthorizedException",
            "requestParameters": {"clientId": client, "userPoolId": pool}})
    }

    #[test]
    fn per_ip_detections_judge_the_account_and_region_so_a_spread_attack_is_caught_once() {
        let t = DetectionThresholds::default();
        // 20 failures in pool A (named), 20 in pool B (through its client), 20 whose pool is
        // unknown: no pool is over 50, the account and region is (60).
        let mut records = Vec::new();
        for n in 0..20 {
            records.push(sign_in_failure(Some("us-east-1_A"), "a-client", n));
            records.push(sign_in_failure(None, "web", n));
            records.push(sign_in_failure(None, "unknown-client", n));
        }
        let tallies = tallies_of(&records);
        let judged: Vec<Finding> = tallies
            .counts
            .iter()
            .filter(|(id, c)| is_candidate(id, c))
            .flat_map(|(id, c)| detect(id, c, None, &t))
            .collect();
        let keys: Vec<String> = judged.iter().map(Finding::key).collect();
        assert_eq!(
            keys,
            vec!["brute_force#111122223333/us-east-1#2026-11-21T10:00Z#198.51.100.7"],
            "one finding, keyed by the account and region"
        );
        assert_eq!(judged[0].scope.as_deref(), Some("111122223333/us-east-1"));
        assert_eq!(
            judged[0].pool, None,
            "the trail names the pools it was seen in"
        );
        // A pool's own IP tally is kept (for the CLI and evidence) but never judged.
        let per_pool = tallies
            .counts
            .keys()
            .filter(|id| matches!(id.key, TallyKey::Ip { .. }) && !id.is_region_scope())
            .count();
        assert_eq!(per_pool, 3, "A, B and unknown");
        assert!(tallies
            .counts
            .iter()
            .filter(|(id, _)| !id.is_region_scope())
            .all(|(id, c)| !is_candidate(id, c) || !matches!(id.key, TallyKey::Ip { .. })));
    }

    fn guest_call(event: &str, identity_pool: &str, n: usize) -> serde_json::Value {
        serde_json::json!({"eventTime": "2026-11-21T10:04:00Z", "eventSource": "cognito-identity.amazonaws.com",
            "eventName": event, "eventID": format!("ev-{identity_pool}-{n}"), "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333", "sourceIPAddress": "203.0.113.9",
            "userIdentity": {"type": "Unknown"}, "errorCode": "ResourceNotFoundException",
            "requestParameters": {"identityPoolId": identity_pool}})
    }

    #[test]
    fn guest_calls_across_identity_pools_are_enumeration_at_the_threshold() {
        let t = DetectionThresholds::default();
        let pools = [
            "us-east-1:00000000-0000-0000-0000-00000000000a",
            "us-east-1:00000000-0000-0000-0000-00000000000b",
            "us-east-1:00000000-0000-0000-0000-00000000000c",
        ];
        let judge = |records: &[serde_json::Value]| -> Vec<Finding> {
            tallies_of(records)
                .counts
                .iter()
                .filter(|(id, c)| is_candidate(id, c))
                .flat_map(|(id, c)| detect(id, c, None, &t))
                .collect()
        };
        // Many calls on two identity pools: not enumeration (threshold 3).
        let two: Vec<_> = (0..30)
            .map(|n| guest_call("GetId", pools[n % 2], n))
            .collect();
        assert!(judge(&two).is_empty());
        // One call on each of three: enumeration, once.
        let three: Vec<_> = pools
            .iter()
            .enumerate()
            .map(|(n, p)| {
                guest_call(
                    if n == 0 {
                        "GetCredentialsForIdentity"
                    } else {
                        "GetId"
                    },
                    p,
                    n,
                )
            })
            .collect();
        let found = judge(&three);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].key(),
            "identity_pool_enumeration#111122223333/us-east-1#2026-11-21T10:00Z#203.0.113.9"
        );
        assert!(found[0].detection.facts()[0].contains("about 3 distinct identity pools"));
        // Other identity pool calls (an authenticated app's GetOpenIdToken) do not count.
        let other: Vec<_> = pools
            .iter()
            .enumerate()
            .map(|(n, p)| guest_call("GetOpenIdToken", p, n))
            .collect();
        assert!(judge(&other).is_empty());
    }

    #[test]
    fn identity_pool_reads_name_the_principal_and_only_succeeding_reads_count() {
        let record = |event: &str, error: Option<&str>| -> CloudTrailRecord {
            CloudTrailRecord::from_value(serde_json::json!({"eventTime": "2026-11-21T10:04:00Z",
                "eventSource": "cognito-identity.amazonaws.com", "eventName": event,
                "eventID": "ev-r", "awsRegion": "eu-west-1", "recipientAccountId": "111122223333",
                "sourceIPAddress": "192.0.2.44", "errorCode": error,
                "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::111122223333:assumed-role/Recon/session-1",
                    "sessionContext": {"sessionIssuer": {"type": "Role", "arn": "arn:aws:iam::111122223333:role/Recon"}}},
                "requestParameters": {"maxResults": 60}}))
            .unwrap()
        };
        let f = identity_pool_reads(&record("ListIdentityPools", None)).expect("a candidate");
        assert_eq!(f.principal(), Some("arn:aws:iam::111122223333:role/Recon"));
        assert_eq!(
            f.key(),
            "identity_pool_enumeration#111122223333/eu-west-1#2026-11-21T10:00Z#arn:aws:iam::111122223333:role/Recon"
        );
        assert_eq!(f.detection.quiet_days(), Some(READER_QUIET_DAYS));
        assert!(identity_pool_reads(&record("DescribeIdentityPool", None)).is_some());
        assert!(
            identity_pool_reads(&record("ListIdentityPools", Some("AccessDeniedException")))
                .is_none()
        );
        assert!(identity_pool_reads(&record("GetId", None)).is_none());
    }

    #[test]
    fn a_distinct_users_estimate_never_exceeds_its_failures() {
        let c = Counts {
            failures: 3,
            failing_subs: (0..40).collect(),
            ..Default::default()
        };
        assert_eq!(c.distinct_failing_subs(), 3);
    }
}
