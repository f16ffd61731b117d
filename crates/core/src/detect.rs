//! Security detections over CloudTrail tallies and records: brute force, account enumeration,
//! credential stuffing, M2M token anomalies and risky configuration changes. Each detection has
//! a key that is unique per kind, pool, window and subject, so it is raised once per window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::trail::{CloudTrailRecord, Counts, TallyId, TallyKey};

/// Detection thresholds, per 5-minute window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectionThresholds {
    /// Brute force: failures from one IP.
    pub brute_force_failures: u64,
    /// Account enumeration: UserNotFoundException from one IP.
    pub enumeration_user_not_found: u64,
    /// Credential stuffing: distinct subs failing from one IP.
    pub stuffing_distinct_subs: usize,
    /// Credential stuffing, pool-wide: failure rate (percent) over at least `pool_min_attempts`.
    pub pool_failure_rate_percent: f64,
    pub pool_min_attempts: u64,
    /// M2M: client_credentials token requests of one client above this cap...
    pub m2m_cap: u64,
    /// ...or above this multiple of its trailing baseline (when the baseline is at least
    /// `m2m_min_baseline` per window).
    pub m2m_multiple: f64,
    pub m2m_min_baseline: f64,
}

impl Default for DetectionThresholds {
    fn default() -> Self {
        DetectionThresholds {
            brute_force_failures: 50,
            enumeration_user_not_found: 20,
            stuffing_distinct_subs: 10,
            pool_failure_rate_percent: 50.0,
            pool_min_attempts: 100,
            m2m_cap: 5000,
            m2m_multiple: 5.0,
            m2m_min_baseline: 10.0,
        }
    }
}

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
    ConfigurationChange {
        event_name: String,
        who: String,
        source_ip: Option<String>,
        target: String,
        event_id: String,
    },
}

/// A detection with where and when it happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub pool: Option<String>,
    pub window: DateTime<Utc>,
    pub detection: Detection,
}

impl Finding {
    /// Unique per kind, pool, window and subject: the once-per-window key.
    pub fn key(&self) -> String {
        let (kind, subject) = match &self.detection {
            Detection::BruteForce { ip, .. } => ("brute_force", ip.clone()),
            Detection::AccountEnumeration { ip, .. } => ("account_enumeration", ip.clone()),
            Detection::CredentialStuffing { ip, .. } => ("credential_stuffing", ip.clone()),
            Detection::PoolFailureSpike { .. } => ("pool_failure_spike", String::new()),
            Detection::M2mAnomaly { client_id, .. } => ("m2m_anomaly", client_id.clone()),
            Detection::ConfigurationChange { event_id, .. } => {
                ("configuration_change", event_id.clone())
            }
        };
        format!(
            "{kind}#{}#{}#{subject}",
            self.pool.as_deref().unwrap_or("-"),
            self.window.format("%Y-%m-%dT%H:%MZ")
        )
    }
}

/// Detections on one tally's window totals. `baseline` is the client's trailing mean of
/// client_credentials requests per window (M2M only).
pub fn detect(
    id: &TallyId,
    totals: &Counts,
    baseline: Option<f64>,
    t: &DetectionThresholds,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |detection| {
        out.push(Finding {
            pool: id.pool.clone(),
            window: id.window,
            detection,
        })
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
            if totals.failing_subs.len() > t.stuffing_distinct_subs {
                push(Detection::CredentialStuffing {
                    ip: ip.clone(),
                    distinct_subs: totals.failing_subs.len(),
                    threshold: t.stuffing_distinct_subs,
                });
            }
        }
        TallyKey::EventName { name }
            if name == "InitiateAuth" && totals.attempts >= t.pool_min_attempts.max(1) =>
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
            let requests = totals
                .by_grant
                .get("client_credentials")
                .copied()
                .unwrap_or(0);
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

/// A risky configuration change: who (userIdentity), from where, what.
pub fn configuration_change(r: &CloudTrailRecord) -> Option<Finding> {
    if !r.is_cognito() || !RISKY_CHANGES.contains(&r.event_name.as_str()) || r.failure().is_some() {
        return None;
    }
    let identity = r.user_identity.as_ref();
    let who = identity
        .and_then(|u| u.get("arn").and_then(|a| a.as_str()))
        .or_else(|| identity.and_then(|u| u.get("principalId").and_then(|a| a.as_str())))
        .or_else(|| identity.and_then(|u| u.get("type").and_then(|a| a.as_str())))
        .unwrap_or("unknown")
        .to_string();
    let params = r.request_parameters.as_ref();
    let field = |k: &str| params.and_then(|p| p.get(k)).and_then(|v| v.as_str());
    let target = [
        field("userPoolId"),
        field("clientId").or(field("clientName")),
        field("providerName"),
        field("identityPoolId"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join("/");
    Some(Finding {
        pool: r.user_pool_id(),
        window: r.window(),
        detection: Detection::ConfigurationChange {
            event_name: r.event_name.clone(),
            who,
            source_ip: r.source_ip_address.clone(),
            target,
            event_id: r.event_id.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trail::window_of;
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
        c.failing_subs = (0..11).map(|i| format!("s{i}")).collect();
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
        let name = id(TallyKey::EventName {
            name: "InitiateAuth".into(),
        });
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
}
