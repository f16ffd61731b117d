//! Posture alerts: what `posture::change` decided to notify, as stored notices (one per
//! message: the baseline's summary, or one regression, or one fix) and as SNS messages in the
//! envelope status alerts and detections use. A regression the trail already raised as
//! `risky_configuration` for the same resource is not published: its notice names the
//! detection ([`covering`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerting::message::{envelope, json_form, Message};
use crate::inventory::monitor::MonitorId;
use crate::posture::change::Notice;
use crate::posture::{check, CheckSeverity};
use crate::text::{ascii, clean};
use crate::trail::detect::{Detection, Finding};

/// The JSON form's schema tag of a posture notice.
pub const POSTURE_SCHEMA: &str = "cognito-watch.posture/1";

/// The most lines a baseline message lists; the rest are counted (`cognito-watch posture
/// --failed` lists them all). SNS takes at most 256 KB.
pub const MAX_LINES: usize = 100;

/// What a notice says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NoticeKind {
    /// The first judgement of an account and region: every failing check, in one message.
    Baseline,
    /// A check that passed fails.
    Regressed,
    /// A check that failed passes.
    Fixed,
}

impl NoticeKind {
    /// `baseline`, `regressed` or `fixed`.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Baseline => "baseline",
            NoticeKind::Regressed => "regressed",
            NoticeKind::Fixed => "fixed",
        }
    }
}

/// One check on one resource, as a notice names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostureLine {
    /// The check's id (`user_pool.mfa`).
    pub check: String,
    /// What the check requires.
    pub title: String,
    /// How much a failure matters.
    pub severity: CheckSeverity,
    /// The resource (`userpool/us-east-1_A`).
    pub monitor_id: String,
    /// The resource's name.
    pub name: String,
    /// Why it fails (none for a fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How to fix it.
    pub fix: String,
}

/// One posture message, stored before it is published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostureNotice {
    /// Stable across retries of one judgement: `posture/<account>/<region>/g<generation>/<kind>`
    /// and, for one resource, `/<check>/<monitor>`.
    pub notice_id: String,
    /// What it says.
    pub kind: NoticeKind,
    /// The account judged.
    pub account: String,
    /// The region judged.
    pub region: String,
    /// When the judgement was made.
    pub at: DateTime<Utc>,
    /// How many checks the judgement made (a baseline's denominator).
    #[serde(default)]
    pub judged: usize,
    /// The checks it is about: every failing one (baseline), or the one that changed.
    pub lines: Vec<PostureLine>,
}

impl PostureNotice {
    /// The most severe line's severity (informational for none).
    pub fn severity(&self) -> CheckSeverity {
        self.lines
            .iter()
            .map(|l| l.severity)
            .max()
            .unwrap_or(CheckSeverity::Informational)
    }

    /// The alert severity its message carries: `critical` for a high-severity regression,
    /// `trouble` for another, `up` for a fix, `info` for a baseline.
    pub fn alert_severity(&self) -> &'static str {
        match (self.kind, self.severity()) {
            (NoticeKind::Fixed, _) => "up",
            (NoticeKind::Baseline, _) => "info",
            (NoticeKind::Regressed, CheckSeverity::High) => "critical",
            (NoticeKind::Regressed, _) => "trouble",
        }
    }
}

/// Each judged check's severity on its resource, overrides applied (absent: the check's own).
pub type Severities = BTreeMap<(String, String), CheckSeverity>;

fn line(
    (check_id, monitor_id): (&str, &str),
    why: Option<&str>,
    monitors: &Monitors,
    severities: &Severities,
) -> PostureLine {
    let c = check(check_id);
    let own = c.map_or(CheckSeverity::Informational, |c| c.severity);
    PostureLine {
        check: check_id.to_string(),
        title: c.map(|c| c.title).unwrap_or_default().to_string(),
        severity: severities
            .get(&(check_id.to_string(), monitor_id.to_string()))
            .copied()
            .unwrap_or(own),
        monitor_id: monitor_id.to_string(),
        name: monitors.get(monitor_id).cloned().unwrap_or_default(),
        why: why.map(str::to_string),
        fix: c.map(|c| c.fix).unwrap_or_default().to_string(),
    }
}

/// The judged monitors' names, by id.
pub type Monitors = BTreeMap<String, String>;

/// The notices for what `posture::change` decided, judged in `account` and `region` at `at`,
/// the scope's `generation`-th judgement (the notices' ids name it); each line with its
/// severity on its resource (`severities`, overrides applied).
pub fn notices(
    (account, region): (&str, &str),
    (at, generation): (DateTime<Utc>, u64),
    decided: &[Notice],
    monitors: &Monitors,
    severities: &Severities,
) -> Vec<PostureNotice> {
    let notice =
        |kind: NoticeKind, suffix: String, judged: usize, lines: Vec<PostureLine>| PostureNotice {
            notice_id: format!(
                "posture/{account}/{region}/g{generation}/{}{suffix}",
                kind.as_str()
            ),
            kind,
            account: account.to_string(),
            region: region.to_string(),
            at,
            judged,
            lines,
        };
    decided
        .iter()
        .map(|d| match d {
            Notice::Baseline { failing, judged } => notice(
                NoticeKind::Baseline,
                String::new(),
                *judged,
                failing
                    .iter()
                    .map(|((c, m), why)| line((c, m), Some(why), monitors, severities))
                    .collect(),
            ),
            Notice::Regressed { key: (c, m), why } => notice(
                NoticeKind::Regressed,
                format!("/{c}/{m}"),
                0,
                vec![line((c, m), Some(why), monitors, severities)],
            ),
            Notice::Fixed { key: (c, m) } => notice(
                NoticeKind::Fixed,
                format!("/{c}/{m}"),
                0,
                vec![line((c, m), None, monitors, severities)],
            ),
        })
        .collect()
}

/// The trail's `risky_configuration` detection that already raised this regression: one on
/// the same resource (the user pool, the app client within it, or the identity pool) whose
/// weakened settings name what the check judges. None for a baseline or a fix.
pub fn covering<'f>(notice: &PostureNotice, findings: &'f [Finding]) -> Option<&'f Finding> {
    let [l] = notice.lines.as_slice() else {
        return None;
    };
    if notice.kind != NoticeKind::Regressed {
        return None;
    }
    let words = check(&l.check)?.trail_words;
    let (pool, client) = match MonitorId::parse(&l.monitor_id).ok()? {
        MonitorId::UserPool { pool } => (pool, None),
        MonitorId::AppClient { pool, client_id } => (pool, Some(client_id)),
        MonitorId::IdentityPool { id } => (id, None),
        _ => return None,
    };
    findings.iter().find(|f| {
        let Detection::RiskyConfiguration {
            weakened, target, ..
        } = &f.detection
        else {
            return false;
        };
        f.pool.as_deref() == Some(pool.as_str())
            && client.as_ref().is_none_or(|c| target.contains(c.as_str()))
            && weakened
                .iter()
                .any(|w| words.iter().any(|word| w.contains(word)))
    })
}

fn resource(l: &PostureLine) -> String {
    if l.name.is_empty() || l.monitor_id.ends_with(&l.name) {
        l.monitor_id.clone()
    } else {
        format!("\"{}\" ({})", clean(&l.name, 128), l.monitor_id)
    }
}

fn subject(n: &PostureNotice) -> String {
    let head = match n.kind {
        NoticeKind::Baseline => {
            let failing = n.lines.len();
            format!("POSTURE: {failing} of {} checks fail", n.judged)
        }
        NoticeKind::Regressed => format!(
            "{}: posture {} fails",
            n.alert_severity().to_uppercase(),
            n.lines
                .first()
                .map(|l| l.check.as_str())
                .unwrap_or_default()
        ),
        NoticeKind::Fixed => format!(
            "FIXED: posture {} passes",
            n.lines
                .first()
                .map(|l| l.check.as_str())
                .unwrap_or_default()
        ),
    };
    let on = n
        .lines
        .first()
        .filter(|_| n.kind != NoticeKind::Baseline)
        .map(|l| format!(" on {}", l.monitor_id))
        .unwrap_or_default();
    [
        format!("{head}{on} [{}]", n.region),
        format!("{head}{on}"),
        format!("{head} [{} {}]", n.account, n.region),
    ]
    .into_iter()
    .map(|s| ascii(&s, 200))
    .find(|s| s.len() <= 99)
    .unwrap_or_else(|| ascii(&head, 99))
}

fn text(n: &PostureNotice) -> String {
    let mut out = match n.kind {
        NoticeKind::Baseline => format!(
            "Security posture baseline: {} of {} checks fail in account {}, region {}.\n\
             From now on each check that starts failing alerts once, and once more when it is \
             fixed.\n\n",
            n.lines.len(),
            n.judged,
            n.account,
            n.region
        ),
        NoticeKind::Regressed => "A security posture check that passed now fails.\n\n".into(),
        NoticeKind::Fixed => "A security posture check that failed now passes.\n\n".into(),
    };
    for l in n.lines.iter().take(MAX_LINES) {
        out.push_str(&format!(
            "Check:     {} ({:?}): {}\n",
            l.check,
            l.severity,
            clean(&l.title, 200)
        ));
        out.push_str(&format!("Resource:  {}\n", resource(l)));
        if let Some(why) = &l.why {
            out.push_str(&format!("Found:     {}\n", clean(why, 400)));
            out.push_str(&format!("Fix:       {}\n", clean(&l.fix, 400)));
        }
        out.push('\n');
    }
    if n.lines.len() > MAX_LINES {
        out.push_str(&format!(
            "... and {} more: cognito-watch posture --failed lists them all.\n",
            n.lines.len() - MAX_LINES
        ));
    }
    out.push_str(&format!(
        "Account:   {}, region {}\nWhen:      {}\nAlert id:  {}\n",
        n.account,
        n.region,
        n.at.format("%Y-%m-%d %H:%M UTC"),
        n.notice_id
    ));
    out
}

#[derive(Serialize)]
struct JsonForm<'a> {
    schema: &'static str,
    subject: &'a str,
    alert_id: &'a str,
    severity: &'static str,
    kind: NoticeKind,
    account: &'a str,
    region: &'a str,
    at: DateTime<Utc>,
    judged: usize,
    failing: usize,
    lines: &'a [PostureLine],
}

/// The SNS message for a notice: `monitor_type` = `posture`, `posture` = its kind, and for a
/// notice about one resource its `monitor_id` and `check`.
pub fn posture_message(n: &PostureNotice) -> Result<Message, serde_json::Error> {
    let subject = subject(n);
    let json = json_form(&JsonForm {
        schema: POSTURE_SCHEMA,
        subject: &subject,
        alert_id: &n.notice_id,
        severity: n.alert_severity(),
        kind: n.kind,
        account: &n.account,
        region: &n.region,
        at: n.at,
        judged: n.judged,
        failing: n.lines.len(),
        lines: &n.lines[..n.lines.len().min(MAX_LINES)],
    })?;
    let mut attributes = BTreeMap::new();
    attributes.insert("severity".into(), n.alert_severity().to_string());
    attributes.insert("monitor_type".into(), "posture".to_string());
    attributes.insert("posture".into(), n.kind.as_str().to_string());
    attributes.insert("alert_id".into(), ascii(&n.notice_id, 256));
    attributes.insert("account".into(), n.account.clone());
    attributes.insert("region".into(), n.region.clone());
    if let [l] = n.lines.as_slice() {
        if n.kind != NoticeKind::Baseline {
            attributes.insert("monitor_id".into(), ascii(&l.monitor_id, 256));
            attributes.insert("check".into(), l.check.clone());
        }
    }
    envelope(subject, text(n), json, attributes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::posture::{app_client, user_pool};

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default()
    }

    fn risky(pool: &str, target: &str, weakened: &[&str]) -> Finding {
        Finding {
            pool: Some(pool.into()),
            window: at(),
            account: None,
            region: None,
            scope: None,
            pools: Vec::new(),
            names: BTreeMap::new(),
            detection: Detection::RiskyConfiguration {
                event_name: "UpdateUserPool".into(),
                who: "arn:aws:iam::111122223333:user/ops".into(),
                source_ip: None,
                target: target.into(),
                weakened: weakened.iter().map(|w| w.to_string()).collect(),
                event_id: "e-1".into(),
            },
        }
    }

    fn regressed(check: &str, monitor: &str) -> PostureNotice {
        notices(
            ("111122223333", "us-east-1"),
            (at(), 1),
            &[Notice::Regressed {
                key: (check.into(), monitor.into()),
                why: "MFA is OFF".into(),
            }],
            &Monitors::new(),
            &Severities::new(),
        )
        .remove(0)
    }

    #[test]
    fn a_regression_the_trail_raised_for_the_same_resource_is_covered() {
        let pool = "us-east-1_A";
        let mfa = regressed(user_pool::MFA.id, &format!("userpool/{pool}"));
        let found = [risky(pool, pool, &["MFA (mfaConfiguration) set to OFF"])];
        assert!(covering(&mfa, &found).is_some());
        // Another pool, another setting, or a plain configuration change: not covered.
        let other_pool = [risky(
            "us-east-1_B",
            "us-east-1_B",
            &["MFA (mfaConfiguration) set to OFF"],
        )];
        assert!(covering(&mfa, &other_pool).is_none());
        let other_setting = [risky(pool, pool, &["deletionProtection set to INACTIVE"])];
        assert!(covering(&mfa, &other_setting).is_none());
        // A client's check needs the finding to name the client.
        let client = regressed(
            app_client::PREVENT_USER_EXISTENCE_ERRORS.id,
            &format!("appclient/{pool}/c1"),
        );
        let words = ["preventUserExistenceErrors set to LEGACY (reveals which users exist)"];
        assert!(covering(&client, &[risky(pool, &format!("{pool}/c1"), &words)]).is_some());
        assert!(covering(&client, &[risky(pool, &format!("{pool}/c2"), &words)]).is_none());
        // A check the trail cannot see is never covered.
        let waf = regressed(user_pool::WAF.id, &format!("userpool/{pool}"));
        assert!(covering(&waf, &found).is_none());
    }

    #[test]
    fn every_trail_word_is_what_the_trail_says() {
        let said = [
            "MFA (mfaConfiguration) set to OFF",
            "deletionProtection set to INACTIVE",
            "threat protection (userPoolAddOns.advancedSecurityMode) set to OFF",
            "preventUserExistenceErrors set to LEGACY (reveals which users exist)",
            "plain-HTTP callback URL http://example.com/cb allowed",
            "allowUnauthenticatedIdentities set to true (guests get AWS credentials)",
        ];
        for c in crate::posture::CHECKS {
            for w in c.trail_words {
                assert!(said.iter().any(|s| s.contains(w)), "{}: {w}", c.id);
            }
        }
    }

    #[test]
    fn a_baseline_is_one_message_that_counts_and_caps_its_lines() {
        let failing: Vec<_> = (0..MAX_LINES + 5)
            .map(|i| {
                (
                    (
                        user_pool::MFA.id.to_string(),
                        format!("userpool/us-east-1_{i}"),
                    ),
                    "MFA is OFF".to_string(),
                )
            })
            .collect();
        let n = notices(
            ("111122223333", "us-east-1"),
            (at(), 1),
            &[Notice::Baseline {
                failing,
                judged: 500,
            }],
            &Monitors::new(),
            &Severities::new(),
        );
        let [n] = n.as_slice() else { panic!("{n:?}") };
        let m = posture_message(n).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.subject, "POSTURE: 105 of 500 checks fail [us-east-1]");
        assert!(m.text.contains("... and 5 more"), "{}", m.text);
        assert_eq!(
            m.attributes.get("severity").map(String::as_str),
            Some("info")
        );
        assert!(m.body.len() < 256 * 1024);
    }

    #[test]
    fn a_regression_says_what_and_how_to_fix_and_a_fix_says_up() {
        let n = regressed(user_pool::MFA.id, "userpool/us-east-1_A");
        let m = posture_message(&n).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            m.subject,
            "TROUBLE: posture user_pool.mfa fails on userpool/us-east-1_A [us-east-1]"
        );
        assert!(m.text.contains("Fix:"), "{}", m.text);
        assert_eq!(
            m.attributes.get("check").map(String::as_str),
            Some("user_pool.mfa")
        );
        let fixed = notices(
            ("111122223333", "us-east-1"),
            (at(), 2),
            &[Notice::Fixed {
                key: (user_pool::MFA.id.into(), "userpool/us-east-1_A".into()),
            }],
            &Monitors::new(),
            &Severities::new(),
        );
        let m = posture_message(&fixed[0]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.attributes.get("severity").map(String::as_str), Some("up"));
        assert!(m.subject.starts_with("FIXED: posture user_pool.mfa passes"));
        assert_ne!(fixed[0].notice_id, n.notice_id);
    }
}
