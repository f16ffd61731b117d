//! What a detection is (`Detection`, its kinds, subjects and severities) and where and when it
//! happened (`Finding`, its key: unique per kind, pool, window and subject).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::severity::Severity;
use crate::trail::record::CloudTrailRecord;

/// A security detection: what was seen, against which threshold. Its name is [`Detection::kind`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "detection", rename_all = "snake_case")]
pub enum Detection {
    /// Failed sign-ins from one address in a window over the threshold.
    BruteForce {
        /// The source address.
        ip: String,
        /// Failed requests from it in the window.
        failures: u64,
        /// The threshold (`brute_force_failures`): more raises it.
        threshold: u64,
    },
    /// UserNotFoundException answers to one address in a window over the threshold.
    AccountEnumeration {
        /// The source address.
        ip: String,
        /// UserNotFoundException answers in the window.
        user_not_found: u64,
        /// The threshold (`enumeration_user_not_found`): more raises it.
        threshold: u64,
    },
    /// Failed sign-ins for many distinct users from one address in a window.
    CredentialStuffing {
        /// The source address.
        ip: String,
        /// About how many distinct users failed from it (a sketch's estimate).
        distinct_subs: usize,
        /// The threshold (`stuffing_distinct_subs`): more raises it.
        threshold: usize,
    },
    /// A pool's sign-in failure rate in a window over the threshold, with enough attempts to judge.
    PoolFailureSpike {
        /// Sign-in attempts in the window.
        attempts: u64,
        /// Failed sign-ins in the window.
        failures: u64,
        /// Failures as a percentage of attempts.
        rate_percent: f64,
        /// The threshold (`pool_failure_rate_percent`): more raises it.
        threshold_percent: f64,
    },
    /// A machine-to-machine client's client_credentials token requests over its cap or over a
    /// multiple of its trailing baseline.
    M2mAnomaly {
        /// The app client id.
        client_id: String,
        /// Token requests in the window.
        requests: u64,
        /// The trailing mean of requests per window.
        baseline: f64,
        /// The cap (`m2m_cap`): more raises it.
        cap: u64,
        /// The multiple of the baseline (`m2m_multiple`) above which it is raised.
        multiple: f64,
    },
    /// A client's OAuth endpoint requests refused for their redirect: a misconfigured callback
    /// URL, or redirect URI manipulation.
    CallbackMismatch {
        /// The app client id.
        client_id: String,
        /// Requests refused for their redirect in the window.
        refused: u64,
        /// The threshold (`callback_mismatches`): more raises it.
        threshold: u64,
    },
    /// A machine-to-machine client requested tokens from a network it had not used.
    M2mNewSource {
        /// The app client id.
        client_id: String,
        /// The new network (the address's /24, or /48 for IPv6).
        network: String,
        /// The address the request came from.
        ip: String,
        /// The networks it used before (at most 10 named).
        usual: Vec<String>,
    },
    /// Password reset requests from one IP over a cap (`ip` set), or a pool's over a multiple of
    /// its trailing baseline (`ip` none).
    PasswordResetAbuse {
        /// The source address; none when the pool's total is judged.
        ip: Option<String>,
        /// Password reset requests in the window.
        requests: u64,
        /// The pool's trailing mean per window (pool-wide only).
        baseline: Option<f64>,
        /// The per-address cap (`reset_ip_requests`).
        threshold: u64,
        /// The multiple of the baseline (`reset_multiple`) above which the pool is raised.
        multiple: f64,
    },
    /// A change to a pool, client, provider or identity pool's configuration (CloudTrail management
    /// event).
    ConfigurationChange {
        /// The API call (`UpdateUserPool`, `DeleteUserPoolClient`, ...).
        event_name: String,
        /// The caller (its ARN, or its type and principal).
        who: String,
        /// The caller's address, when CloudTrail records one.
        source_ip: Option<String>,
        /// What was changed (the pool, client or provider it names).
        target: String,
        /// CloudTrail's `eventID`.
        event_id: String,
    },
    /// A configuration change that weakens security, judged on its request parameters.
    RiskyConfiguration {
        /// The API call.
        event_name: String,
        /// The caller (its ARN, or its type and principal).
        who: String,
        /// The caller's address, when CloudTrail records one.
        source_ip: Option<String>,
        /// What was changed.
        target: String,
        /// What was weakened, one change per entry (`MFA set to OFF`...).
        weakened: Vec<String>,
        /// CloudTrail's `eventID`.
        event_id: String,
    },
    /// An unauthenticated caller got AWS credentials from an identity pool where that had not
    /// happened for `quiet_days` (Elastic's rule for Cognito).
    UnauthenticatedCredentials {
        /// The identity pool id.
        identity_pool: String,
        /// The caller's address, when CloudTrail records one.
        ip: Option<String>,
        /// How long such a call had not been seen on it.
        quiet_days: i64,
        /// CloudTrail's `eventID`.
        event_id: String,
    },
    /// One source enumerating identity pools: an address calling GetId or
    /// GetCredentialsForIdentity on many identity pools, or a principal not seen lately
    /// listing or describing them.
    IdentityPoolEnumeration {
        /// The address or principal.
        source: String,
        /// By guest calls over many pools, or by reads from a principal not seen lately.
        how: Enumeration,
    },
    /// A sign-in that threat protection judged risky (its user activity log).
    RiskySignIn {
        /// The user's `sub`.
        user_sub: Option<String>,
        /// The app client id.
        client_id: Option<String>,
        /// The source address.
        ip: Option<String>,
        /// The event type (SignIn, SignUp, ForgotPassword, ...).
        event_type: Option<String>,
        /// The event's response (Pass, Fail, InProgress).
        event_response: Option<String>,
        /// The risk level (Low, Medium, High).
        risk_level: Option<String>,
        /// The risk decision (NoRisk, AccountTakeover, Block, ...).
        risk_decision: Option<String>,
        /// Whether the password was found among compromised credentials.
        compromised_credentials: bool,
        /// Where the address is (city and country), when the log says.
        location: Option<String>,
        /// The user activity event's id.
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
        /// About how many distinct identity pools the source called.
        identity_pools: usize,
        /// Its requests in the window.
        requests: u64,
        /// Its failed requests in the window.
        failures: u64,
        /// The threshold (`identity_pools_per_source`): this many raises it.
        threshold: usize,
    },
    /// ListIdentityPools / DescribeIdentityPool by a principal that had not called them for
    /// `quiet_days`.
    Reads {
        /// The API call (ListIdentityPools or DescribeIdentityPool).
        event_name: String,
        /// The identity pool described, if one.
        identity_pool: Option<String>,
        /// The caller's address, when CloudTrail records one.
        ip: Option<String>,
        /// How long the principal had not read identity pools.
        quiet_days: i64,
        /// CloudTrail's `eventID`.
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
}

/// A detection with where and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The user pool it happened in; none for an identity pool or an account and region scope.
    pub pool: Option<String>,
    /// The start of its 5-minute window.
    pub window: DateTime<Utc>,
    /// The account and region, where the source says (CloudTrail's `recipientAccountId` and
    /// `awsRegion`); the region otherwise comes from the pool id.
    #[serde(default)]
    pub account: Option<String>,
    /// The region.
    #[serde(default)]
    pub region: Option<String>,
    /// The account and region scope a per-IP detection judged ([`region_scope`]), when it is
    /// one: then `pool` is the one pool the address was seen in, if it was one, and `pools`
    /// every pool it was seen in.
    ///
    /// [`region_scope`]: crate::trail::record::region_scope
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Every pool a per-IP detection's address was seen in (an account and region scope).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<String>,
    /// The names of the pools and app clients the finding names, from the inventory.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub names: BTreeMap<String, String>,
    /// What was detected.
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
