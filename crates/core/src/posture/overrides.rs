//! Overrides: an operator accepts a risk, or changes how much a check matters, for one pool
//! (and its app clients) or for every pool with a tag, always with a recorded reason. An
//! accepted check is still judged and listed (with its reason); it never alerts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Check, CheckSeverity};
use crate::inventory::monitor::Monitor;

/// What an override applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// One user pool (and its app clients) or identity pool, by id.
    Pool {
        /// The pool's id.
        id: String,
    },
    /// Every pool tagged `key` = `value` (and their app clients).
    Tag {
        /// The tag's key.
        key: String,
        /// The tag's value.
        value: String,
    },
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Pool { id } => write!(f, "pool {id}"),
            Target::Tag { key, value } => write!(f, "tag {key}={value}"),
        }
    }
}

/// One override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Override {
    /// The check's id.
    pub check: String,
    /// What it applies to.
    pub target: Target,
    /// The severity it gives the check; none: the risk is accepted (never alerted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<CheckSeverity>,
    /// Why (required).
    pub reason: String,
    /// When it was recorded.
    pub at: DateTime<Utc>,
}

impl Override {
    /// Whether it applies to `m`, whose pool carries `pool_tags` (a pool's own tags for a
    /// pool; its pool's for an app client).
    pub fn applies(
        &self,
        check: &str,
        m: &Monitor,
        pool_tags: &std::collections::BTreeMap<String, String>,
    ) -> bool {
        if self.check != check {
            return false;
        }
        match &self.target {
            Target::Pool { id } => {
                m.user_pool_id.as_deref() == Some(id.as_str())
                    || m.monitor_id == format!("identitypool/{id}")
            }
            Target::Tag { key, value } => pool_tags.get(key) == Some(value),
        }
    }

    /// What it says, in a listing.
    pub fn describe(&self) -> String {
        match self.severity {
            None => format!("accepted risk ({}): {}", self.target, self.reason),
            Some(s) => format!(
                "severity {} ({}): {}",
                format!("{s:?}").to_lowercase(),
                self.target,
                self.reason
            ),
        }
    }
}

/// A check's effect on one resource, overrides applied.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective<'o> {
    /// The severity it has there.
    pub severity: CheckSeverity,
    /// Whether a failure alerts (not accepted, not informational).
    pub alerts: bool,
    /// The override that applies, if one does (the first recorded).
    pub by: Option<&'o Override>,
}

/// `check` on `m`, with the first override that applies.
pub fn effective<'o>(
    check: &Check,
    m: &Monitor,
    pool_tags: &std::collections::BTreeMap<String, String>,
    overrides: &'o [Override],
) -> Effective<'o> {
    let by = overrides.iter().find(|o| o.applies(check.id, m, pool_tags));
    let severity = by.and_then(|o| o.severity).unwrap_or(check.severity);
    let accepted = by.is_some_and(|o| o.severity.is_none());
    Effective {
        severity,
        alerts: !accepted && severity != CheckSeverity::Informational,
        by,
    }
}

/// Record `new`, replacing an override of the same check and target.
pub fn record(overrides: &mut Vec<Override>, new: Override) {
    overrides.retain(|o| !(o.check == new.check && o.target == new.target));
    overrides.push(new);
}

/// Remove the override of `check` on `target`; whether there was one.
pub fn revoke(overrides: &mut Vec<Override>, check: &str, target: &Target) -> bool {
    let before = overrides.len();
    overrides.retain(|o| !(o.check == check && &o.target == target));
    overrides.len() != before
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::inventory::monitor::{MonitorDetails, MonitorId};
    use crate::posture::{app_client, user_pool};

    fn monitor(pool: &str, client: &str) -> Monitor {
        let id = MonitorId::AppClient {
            pool: pool.into(),
            client_id: client.into(),
        };
        let details = MonitorDetails::AppClient(Default::default());
        Monitor::new(&id, "web".into(), "1", "us-east-1", details, Utc::now())
    }

    #[test]
    fn an_accepted_risk_is_not_alerted_and_a_severity_override_is() {
        let m = monitor("us-east-1_A", "c1");
        let tags = BTreeMap::from([("env".to_string(), "dev".to_string())]);
        let check = app_client::TOKEN_REVOCATION;
        let at = Utc::now();
        let accept = Override {
            check: check.id.into(),
            target: Target::Tag {
                key: "env".into(),
                value: "dev".into(),
            },
            severity: None,
            reason: "dev pools have no production users".into(),
            at,
        };
        let e = effective(&check, &m, &tags, std::slice::from_ref(&accept));
        assert!(!e.alerts && e.by == Some(&accept));
        // Another tag value, another check, another pool: no effect.
        assert!(effective(&check, &m, &BTreeMap::new(), std::slice::from_ref(&accept)).alerts);
        assert!(effective(&user_pool::MFA, &m, &tags, std::slice::from_ref(&accept)).alerts);
        let raise = Override {
            check: check.id.into(),
            target: Target::Pool {
                id: "us-east-1_A".into(),
            },
            severity: Some(CheckSeverity::High),
            reason: "holds payment data".into(),
            at,
        };
        let e = effective(&check, &m, &BTreeMap::new(), std::slice::from_ref(&raise));
        assert_eq!((e.severity, e.alerts), (CheckSeverity::High, true));
        let mut all = vec![accept.clone()];
        record(&mut all, raise.clone());
        record(
            &mut all,
            Override {
                reason: "again".into(),
                ..raise.clone()
            },
        );
        assert_eq!(all.len(), 2);
        assert!(revoke(&mut all, check.id, &raise.target));
        assert_eq!(all, vec![accept]);
    }
}
