//! Security posture: each user pool, app client and identity pool judged on how it is
//! configured, against the controls people already use (AWS Security Hub's Cognito.1–6, AWS
//! Config's managed rules, Prowler, Checkov, cfn-nag, cdk-nag). The checks are pure functions of
//! what the inventory read; one file per family (`user_pool`, `app_client`, `identity_pool`),
//! each registered once in [`CHECKS`]. `change` turns two judgements into what to notify.

pub mod app_client;
pub mod change;
pub mod identity_pool;
pub mod overrides;

pub mod user_pool;

use serde::{Deserialize, Serialize};

use crate::inventory::monitor::{
    AppClientDetails, IdentityPoolDetails, Monitor, MonitorDetails, MonitorKind, UserPoolDetails,
};

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// The configuration meets the check; `note` says what is worth knowing anyway.
    Pass {
        /// Something worth knowing about a pass (MFA optional rather than required, say).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The configuration does not meet the check.
    Fail {
        /// What was found, in the resource's own terms.
        why: String,
    },
    /// The configuration could not be read (the account refused the call, or it was not read
    /// yet): never taken for a pass.
    Unknown {
        /// Why it is not known.
        why: String,
    },
}

impl Outcome {
    /// A pass without a note.
    pub fn pass() -> Outcome {
        Outcome::Pass { note: None }
    }

    /// A failure, saying why.
    pub fn fail(why: impl Into<String>) -> Outcome {
        Outcome::Fail { why: why.into() }
    }

    /// Not known, saying why.
    pub fn unknown(why: impl Into<String>) -> Outcome {
        Outcome::Unknown { why: why.into() }
    }

    /// `pass`, `fail` or `unknown`, as listings show it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pass { .. } => "pass",
            Outcome::Fail { .. } => "fail",
            Outcome::Unknown { .. } => "unknown",
        }
    }
}

/// How much a failed check matters, in Security Hub's words. High pages as critical, medium and
/// low as trouble; informational checks are shown, never alerted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckSeverity {
    /// Shown, not alerted: a fact about the resource worth knowing.
    Informational,
    /// Alerted as trouble.
    Low,
    /// Alerted as trouble.
    Medium,
    /// Alerted as critical.
    High,
}

/// What a check judges.
#[derive(Clone, Copy)]
pub enum Judge {
    /// A user pool's configuration.
    UserPool(fn(&UserPoolDetails, &PostureSettings) -> Outcome),
    /// An app client's configuration.
    AppClient(fn(&AppClientDetails, &PostureSettings) -> Outcome),
    /// An identity pool's configuration.
    IdentityPool(fn(&IdentityPoolDetails, &PostureSettings) -> Outcome),
}

impl Judge {
    /// The kind of monitor the check applies to.
    pub fn kind(&self) -> MonitorKind {
        match self {
            Judge::UserPool(_) => MonitorKind::UserPool,
            Judge::AppClient(_) => MonitorKind::AppClient,
            Judge::IdentityPool(_) => MonitorKind::IdentityPool,
        }
    }
}

/// One posture check.
#[derive(Clone, Copy)]
pub struct Check {
    /// Its stable id (`user_pool.mfa`, ...), as in listings, overrides and alert ids.
    pub id: &'static str,
    /// What it requires, in one line.
    pub title: &'static str,
    /// How much a failure matters, unless an override says otherwise.
    pub severity: CheckSeverity,
    /// What the trail's `risky_configuration` says when a change weakens what this check
    /// judges (AWS's request parameter, or the words of the detection): a regression the trail
    /// already raised for the same resource is not paged twice.
    pub trail_words: &'static [&'static str],
    /// The same control in the tools people use (`Security Hub Cognito.5`, ...).
    pub references: &'static [&'static str],
    /// How to fix a failure.
    pub fix: &'static str,
    /// The judgement.
    pub judge: Judge,
}

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Check").field("id", &self.id).finish()
    }
}

/// The bounds the checks judge against that an operator may tune.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PostureSettings {
    /// The longest refresh token validity an app client may have, in days.
    pub max_refresh_token_days: u32,
}

impl Default for PostureSettings {
    fn default() -> PostureSettings {
        PostureSettings {
            max_refresh_token_days: 30,
        }
    }
}

/// Every check, in the order listings show them.
pub const CHECKS: &[Check] = &[
    user_pool::THREAT_PROTECTION,
    user_pool::THREAT_PROTECTION_CUSTOM_AUTH,
    user_pool::PASSWORD_POLICY,
    user_pool::PASSWORD_LENGTH_14,
    user_pool::MFA,
    user_pool::DELETION_PROTECTION,
    user_pool::RISK_ACTIONS,
    user_pool::SELF_REGISTRATION,
    user_pool::WAF,
    user_pool::ACTIVITY_LOG_EXPORT,
    user_pool::FEATURE_PLAN,
    app_client::PREVENT_USER_EXISTENCE_ERRORS,
    app_client::TOKEN_REVOCATION,
    app_client::HTTP_CALLBACKS,
    app_client::REFRESH_TOKEN_VALIDITY,
    app_client::RISK_ACTIONS,
    identity_pool::GUEST_ACCESS,
    identity_pool::CLASSIC_FLOW,
];

/// The check of this id.
pub fn check(id: &str) -> Option<&'static Check> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Every check that applies to `m`, judged. A deleted monitor is judged on nothing.
pub fn judge(m: &Monitor, settings: &PostureSettings) -> Vec<(&'static Check, Outcome)> {
    if m.is_deleted() {
        return Vec::new();
    }
    CHECKS
        .iter()
        .filter_map(|c| {
            let outcome = match (c.judge, &m.details) {
                (Judge::UserPool(f), MonitorDetails::UserPool(d)) => f(d, settings),
                (Judge::AppClient(f), MonitorDetails::AppClient(d)) => f(d, settings),
                (Judge::IdentityPool(f), MonitorDetails::IdentityPool(d)) => f(d, settings),
                _ => return None,
            };
            Some((c, outcome))
        })
        .collect()
}

/// One check judged on one resource, overrides applied.
#[derive(Debug, Clone)]
pub struct Judged<'o> {
    /// The check.
    pub check: &'static Check,
    /// The resource.
    pub monitor_id: String,
    /// What it found.
    pub outcome: Outcome,
    /// Its severity and whether it alerts there, with the override that says so.
    pub effective: overrides::Effective<'o>,
}

/// Every check on every resource of `monitors` that is not deleted, each with the first
/// override that applies to it (an app client's pool tags are its pool's).
pub fn judge_all<'o>(
    monitors: &[&Monitor],
    settings: &PostureSettings,
    overrides: &'o [overrides::Override],
) -> Vec<Judged<'o>> {
    let none = std::collections::BTreeMap::new();
    // Each root's tags, looked up once (an estate holds thousands of user monitors).
    let roots: std::collections::HashMap<&str, &std::collections::BTreeMap<String, String>> =
        monitors
            .iter()
            .filter(|m| matches!(m.kind, MonitorKind::UserPool | MonitorKind::IdentityPool))
            .map(|m| (m.monitor_id.as_str(), &m.tags))
            .collect();
    let tags_of = |m: &Monitor| {
        let root = match m.kind {
            MonitorKind::UserPool | MonitorKind::IdentityPool => Some(m.monitor_id.as_str()),
            _ => m.parent_id.as_deref(),
        };
        root.and_then(|r| roots.get(r).copied()).unwrap_or(&none)
    };
    monitors
        .iter()
        .flat_map(|m| {
            let tags = tags_of(m);
            judge(m, settings)
                .into_iter()
                .map(move |(check, outcome)| Judged {
                    check,
                    monitor_id: m.monitor_id.clone(),
                    outcome,
                    effective: overrides::effective(check, m, tags, overrides),
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_ids_are_unique_and_name_their_family() {
        let mut ids: Vec<&str> = CHECKS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CHECKS.len());
        for c in CHECKS {
            let family = match c.judge.kind() {
                MonitorKind::UserPool => "user_pool.",
                MonitorKind::AppClient => "app_client.",
                MonitorKind::IdentityPool => "identity_pool.",
                other => panic!("{}: {other:?}", c.id),
            };
            assert!(c.id.starts_with(family), "{}", c.id);
            assert!(!c.fix.is_empty() && !c.title.is_empty(), "{}", c.id);
            assert_eq!(check(c.id).map(|k| k.id), Some(c.id));
        }
    }
}
