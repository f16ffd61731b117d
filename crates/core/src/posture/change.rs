//! What to notify when a judgement changes. The first judgement of an estate is its baseline:
//! one summary of what fails, not an alert per finding. After it, a check that goes from pass
//! to fail alerts once, and once more when it passes again. `unknown` changes nothing: the last
//! known result stands, so pass → unknown → fail is a regression, and fail → unknown → fail is
//! not news. A check failing on a resource first seen after the baseline alerts as a
//! regression. Informational checks never alert.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Outcome;

/// A check on one resource: (check id, monitor id).
pub type Key = (String, String);

/// What a check last concluded for certain on a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Known {
    /// It passed.
    Pass,
    /// It failed.
    Fail,
}

/// One thing to notify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The first judgement: what fails, in one message.
    Baseline {
        /// Each failing check that alerts: its key and why.
        failing: Vec<(Key, String)>,
        /// How many checks were judged.
        judged: usize,
    },
    /// A check that passed (or was never judged) fails.
    Regressed {
        /// The check and resource.
        key: Key,
        /// Why it fails.
        why: String,
    },
    /// A check that failed passes.
    Fixed {
        /// The check and resource.
        key: Key,
    },
}

/// The new memory and what to notify, from the previous memory (none before the first
/// judgement) and the checks just judged, each with whether its failure alerts (not
/// informational, not an accepted risk).
pub fn changes(
    previous: Option<&BTreeMap<Key, Known>>,
    judged: &[(Key, bool, Outcome)],
) -> (BTreeMap<Key, Known>, Vec<Notice>) {
    let mut memory = BTreeMap::new();
    let mut notices = Vec::new();
    let mut failing = Vec::new();
    for (key, alerts, outcome) in judged {
        let before = previous.and_then(|p| p.get(key)).copied();
        let now = match outcome {
            Outcome::Pass { .. } => Known::Pass,
            Outcome::Fail { .. } => Known::Fail,
            Outcome::Unknown { .. } => {
                if let Some(k) = before {
                    memory.insert(key.clone(), k);
                }
                continue;
            }
        };
        memory.insert(key.clone(), now);
        let Outcome::Fail { why } = outcome else {
            if before == Some(Known::Fail) && *alerts {
                notices.push(Notice::Fixed { key: key.clone() });
            }
            continue;
        };
        if !alerts {
            continue;
        }
        match (previous, before) {
            (None, _) => failing.push((key.clone(), why.clone())),
            (Some(_), Some(Known::Fail)) => {}
            (Some(_), _) => notices.push(Notice::Regressed {
                key: key.clone(),
                why: why.clone(),
            }),
        }
    }
    if previous.is_none() {
        notices.insert(
            0,
            Notice::Baseline {
                failing,
                judged: judged.len(),
            },
        );
    }
    (memory, notices)
}

#[cfg(test)]
mod tests {
    use super::super::{app_client, user_pool, Check, CheckSeverity};
    use super::*;

    fn alerts(c: &Check) -> bool {
        c.severity != CheckSeverity::Informational
    }

    fn key(check: &Check, monitor: &str) -> Key {
        (check.id.to_string(), monitor.to_string())
    }

    #[test]
    fn the_first_judgement_is_one_summary_then_each_change_alerts_once() {
        let pool = "userpool/us-east-1_A";
        let (mfa, waf, plan) = (user_pool::MFA, user_pool::WAF, user_pool::FEATURE_PLAN);
        let first = vec![
            (key(&mfa, pool), alerts(&mfa), Outcome::fail("MFA is OFF")),
            (key(&waf, pool), alerts(&waf), Outcome::pass()),
            (
                key(&plan, pool),
                alerts(&plan),
                Outcome::fail("informational"),
            ),
        ];
        let (memory, notices) = changes(None, &first);
        assert_eq!(
            notices,
            vec![Notice::Baseline {
                failing: vec![(key(&mfa, pool), "MFA is OFF".into())],
                judged: 3,
            }]
        );
        // The same again: nothing.
        let (memory, notices) = changes(Some(&memory), &first);
        assert!(notices.is_empty(), "{notices:?}");
        // MFA fixed, the WAF removed: one each.
        let second = vec![
            (key(&mfa, pool), alerts(&mfa), Outcome::pass()),
            (
                key(&waf, pool),
                alerts(&waf),
                Outcome::fail("no AWS WAF web ACL is associated"),
            ),
        ];
        let (memory, notices) = changes(Some(&memory), &second);
        assert_eq!(
            notices,
            vec![
                Notice::Fixed {
                    key: key(&mfa, pool)
                },
                Notice::Regressed {
                    key: key(&waf, pool),
                    why: "no AWS WAF web ACL is associated".into()
                },
            ]
        );
        // Unknown keeps the last known result: fail → unknown → fail is not news, and
        // pass → unknown → fail is a regression.
        let unknown = vec![
            (key(&mfa, pool), alerts(&mfa), Outcome::unknown("refused")),
            (key(&waf, pool), alerts(&waf), Outcome::unknown("refused")),
        ];
        let (memory, notices) = changes(Some(&memory), &unknown);
        assert!(notices.is_empty(), "{notices:?}");
        let third = vec![
            (key(&mfa, pool), alerts(&mfa), Outcome::fail("MFA is OFF")),
            (
                key(&waf, pool),
                alerts(&waf),
                Outcome::fail("no AWS WAF web ACL is associated"),
            ),
        ];
        let (_, notices) = changes(Some(&memory), &third);
        assert_eq!(
            notices,
            vec![Notice::Regressed {
                key: key(&mfa, pool),
                why: "MFA is OFF".into()
            }]
        );
    }

    #[test]
    fn a_resource_created_weak_after_the_baseline_alerts() {
        let check = app_client::TOKEN_REVOCATION;
        let (memory, _) = changes(None, &[]);
        let new = vec![(
            key(&check, "appclient/us-east-1_A/new"),
            alerts(&check),
            Outcome::fail("token revocation is off"),
        )];
        let (_, notices) = changes(Some(&memory), &new);
        assert!(
            matches!(notices.as_slice(), [Notice::Regressed { .. }]),
            "{notices:?}"
        );
    }
}
