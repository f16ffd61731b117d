//! `doctor`: whether the monitor's own inputs are there and alive, judged from facts the CLI
//! reads (CloudTrail's trails, the trail source and its rule, the trail function's usage, the
//! collector's polls, each pool's plan and log delivery, the alert topic's subscriptions). Each
//! line says OK, WARN or FAIL, what was found, what to do, and which detections cannot fire
//! because of it. Pure functions; the reads are the CLI's.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::inventory::catalogue::{self, Source};
use crate::inventory::monitor::{Monitor, MonitorDetails, PollOutcome};
use crate::inventory::security::Readout;

/// Every line `doctor` says, in its order (the docs list each).
pub const LINES: [&str; 7] = [
    "trail.management",
    "trail.data_events",
    "trail.source",
    "trail.alive",
    "collector.last_poll",
    "pool.activity_logs",
    "alerts.subscriptions",
];

/// How a line judges its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// Working as it should.
    Ok,
    /// Working in part, or not known: something may be missed.
    Warn,
    /// Broken: alerts or detections are lost.
    Fail,
}

impl Level {
    /// `OK`, `WARN` or `FAIL`.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
        }
    }
}

/// One line of the doctor's answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    /// What it checks (`trail.management`, `alerts.subscriptions`, ...): the ids the docs'
    /// detections table links to.
    pub check: &'static str,
    /// Where: `<account>/<region>`, a pool, the topic.
    pub scope: String,
    /// The judgement.
    pub level: Level,
    /// What was found.
    pub found: String,
    /// What to do (empty when nothing is).
    pub todo: String,
    /// The detections that cannot fire because of what was found.
    pub cannot_fire: Vec<&'static str>,
}

fn line(check: &'static str, scope: &str, level: Level, found: impl Into<String>) -> Line {
    debug_assert!(LINES.contains(&check), "{check} is not in LINES");
    Line {
        check,
        scope: scope.to_string(),
        level,
        found: found.into(),
        todo: String::new(),
        cannot_fire: Vec::new(),
    }
}

impl Line {
    fn todo(mut self, todo: impl Into<String>) -> Line {
        self.todo = todo.into();
        self
    }

    fn cannot_fire(mut self, detections: &[&'static str]) -> Line {
        self.cannot_fire = detections.to_vec();
        self
    }
}

/// Which management events a trail logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Management {
    /// None.
    Off,
    /// Write events only (no List/Get/Describe).
    WriteOnly,
    /// Read-only events only.
    ReadOnly,
    /// Both.
    All,
}

/// One CloudTrail trail that applies to the region (its own, a multi-region or an organization
/// trail), as DescribeTrails, GetTrailStatus and GetEventSelectors describe it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trail {
    /// Its name (or ARN for a trail of another region or account).
    pub name: String,
    /// Its home region.
    pub home_region: String,
    /// Whether it logs every region.
    pub multi_region: bool,
    /// Whether it is an organization trail.
    pub organization: bool,
    /// Whether it is logging (None: GetTrailStatus was refused).
    pub logging: Option<bool>,
    /// Which management events its selectors log.
    pub management: Management,
    /// Whether its advanced selectors log Cognito identity pools' data events.
    pub identity_pool_data_events: bool,
}

/// The detections that read management events through a trail.
const FROM_MANAGEMENT: &[&str] = &[
    "brute_force",
    "account_enumeration",
    "credential_stuffing",
    "pool_failure_spike",
    "password_reset_abuse",
    "m2m_anomaly",
    "m2m_new_source",
    "callback_mismatch",
    "configuration_change",
    "risky_configuration",
];
/// The detections that read identity pools' data events.
const FROM_DATA_EVENTS: &[&str] = &["unauthenticated_credentials", "identity_pool_enumeration"];

fn names(ts: &[&Trail]) -> String {
    ts.iter()
        .map(|t| t.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `trail.management` and `trail.data_events` for a region with `identity_pools` identity
/// pools in its inventory.
pub fn trail_lines(scope: &str, trails: &Readout<Vec<Trail>>, identity_pools: usize) -> Vec<Line> {
    match trails {
        Readout::Answered { value } => vec![
            management_line(scope, value),
            data_events_line(scope, value, identity_pools),
        ],
        Readout::Refused { reason } => {
            let todo = "allow cloudtrail:DescribeTrails, GetTrailStatus and GetEventSelectors \
                        (docs/doctor.md has the policy)";
            vec![
                line(
                    "trail.management",
                    scope,
                    Level::Warn,
                    format!("not known: {reason}"),
                )
                .todo(todo),
                line("trail.data_events", scope, Level::Warn, "not known").todo(todo),
            ]
        }
    }
}

/// The trails that are logging and log these management events.
fn logging_with<'t>(trails: &'t [Trail], m: &[Management]) -> Vec<&'t Trail> {
    trails
        .iter()
        .filter(|t| t.logging == Some(true) && m.contains(&t.management))
        .collect()
}

fn management_line(scope: &str, trails: &[Trail]) -> Line {
    let all = logging_with(trails, &[Management::All]);
    let writes = logging_with(trails, &[Management::All, Management::WriteOnly]);
    let unknown_status: Vec<&Trail> = trails.iter().filter(|t| t.logging.is_none()).collect();
    if !all.is_empty() {
        return line(
            "trail.management",
            scope,
            Level::Ok,
            format!(
                "management events (read and write) logged by {}",
                names(&all)
            ),
        );
    }
    if !writes.is_empty() {
        return line(
            "trail.management",
            scope,
            Level::Warn,
            format!(
                "{} logs write management events only: the read-only calls (DescribeIdentityPool, \
                 ListUsers) are not recorded",
                names(&writes)
            ),
        )
        .todo("set the trail's management events to All (ReadWriteType All)")
        .cannot_fire(&["identity_pool_enumeration"]);
    }
    if !unknown_status.is_empty() {
        return line(
            "trail.management",
            scope,
            Level::Warn,
            format!(
                "GetTrailStatus or GetEventSelectors was refused for {}: whether it logs is not \
                 known",
                names(&unknown_status)
            ),
        )
        .todo("allow cloudtrail:GetTrailStatus and cloudtrail:GetEventSelectors");
    }
    let found = if trails.is_empty() {
        "no CloudTrail trail applies to this region".to_string()
    } else {
        format!(
            "no trail that applies here is logging management events ({} found, none logging \
             them)",
            trails.len()
        )
    };
    line("trail.management", scope, Level::Fail, found)
        .todo(
            "create a multi-region trail with management events All and logging on \
             (aws cloudtrail create-trail --is-multi-region-trail, then start-logging)",
        )
        .cannot_fire(FROM_MANAGEMENT)
}

fn data_events_line(scope: &str, trails: &[Trail], identity_pools: usize) -> Line {
    let data: Vec<&Trail> = trails
        .iter()
        .filter(|t| t.logging == Some(true) && t.identity_pool_data_events)
        .collect();
    if identity_pools == 0 {
        return line(
            "trail.data_events",
            scope,
            Level::Ok,
            "no identity pool in the inventory: no data events needed",
        );
    }
    if !data.is_empty() {
        return line(
            "trail.data_events",
            scope,
            Level::Ok,
            format!("identity pools' data events logged by {}", names(&data)),
        );
    }
    line(
        "trail.data_events",
        scope,
        Level::Warn,
        format!(
            "{identity_pools} identity pool(s), but no logging trail records their data events \
             (GetId, GetCredentialsForIdentity are data events, off by default)"
        ),
    )
    .todo(
        "add an advanced event selector with resources.type = AWS::Cognito::IdentityPool \
         (CloudTrail prices data events at $0.10 per 100,000)",
    )
    .cannot_fire(FROM_DATA_EVENTS)
}

/// What the CLI found of the stack's trail source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceFacts {
    /// The stack's `TrailSource` (EventBridge, LogGroup, Bucket), if known.
    pub source: Option<String>,
    /// The EventBridge rule's state (with the EventBridge source).
    pub rule_state: Option<Readout<String>>,
    /// The start of the last hour the trail function read a record in (its usage records,
    /// kept as long as its tallies), or the refusal to read them.
    pub last_records: Readout<Option<DateTime<Utc>>>,
    /// Requests the collector counted in the monitors' last windows (AWS/Cognito
    /// SampleCount), and the newest window's end.
    pub requests: f64,
    /// When the newest metrics window ended.
    pub metrics_until: Option<DateTime<Utc>>,
}

/// A source silent this long while Cognito counts requests is broken.
const SILENT: i64 = 2;

/// `trail.source` and `trail.alive`.
pub fn source_lines(scope: &str, f: &SourceFacts, now: DateTime<Utc>) -> Vec<Line> {
    let source = match (&f.source, &f.rule_state) {
        (None, _) => line(
            "trail.source",
            scope,
            Level::Warn,
            "the trail source is not known (no TRAIL_SOURCE and no stack output)",
        )
        .todo("deploy the stack (its TrailSource output) or set TRAIL_SOURCE"),
        (Some(s), Some(Readout::Answered { value: state })) if s == "EventBridge" => {
            match state.as_str() {
                "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" => line(
                    "trail.source",
                    scope,
                    Level::Ok,
                    "EventBridge rule ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: write and \
                     read-only events",
                ),
                "ENABLED" => line(
                    "trail.source",
                    scope,
                    Level::Ok,
                    "EventBridge rule ENABLED: write events only (read-only events are not \
                     sent to rules in this state; the stack's ReadOnlyEvents default)",
                )
                .todo("for identity_pool_enumeration's read rule, deploy with ReadOnlyEvents=true")
                .cannot_fire(&["identity_pool_enumeration"]),
                other => line(
                    "trail.source",
                    scope,
                    Level::Fail,
                    format!("EventBridge rule is {other}: no CloudTrail event reaches the trail function"),
                )
                .todo("enable the rule (aws events enable-rule --name <stack>-cloudtrail)")
                .cannot_fire(FROM_MANAGEMENT),
            }
        }
        (Some(s), Some(Readout::Refused { reason })) if s == "EventBridge" => line(
            "trail.source",
            scope,
            Level::Warn,
            format!("EventBridge rule's state not known: {reason}"),
        )
        .todo("allow events:DescribeRule"),
        (Some(s), _) => line(
            "trail.source",
            scope,
            Level::Ok,
            format!("{s}: read-only events come when the trail logs them (trail.management)"),
        ),
    };
    vec![source, alive(scope, f, now)]
}

fn alive(scope: &str, f: &SourceFacts, now: DateTime<Utc>) -> Line {
    let last = match &f.last_records {
        Readout::Answered { value } => *value,
        Readout::Refused { reason } => {
            return line(
                "trail.alive",
                scope,
                Level::Warn,
                format!("the trail function's usage records cannot be read: {reason}"),
            )
            .todo("allow dynamodb:Query on the trail table")
        }
    };
    let traffic = f.requests > 0.0;
    let recent = last.is_some_and(|t| now - t <= Duration::hours(SILENT));
    let seen = last.map_or("never".to_string(), |t| {
        format!("last in the hour from {}", t.format("%Y-%m-%d %H:%M UTC"))
    });
    let counted = format!(
        "{} Cognito requests in the collector's last windows{}",
        f.requests,
        f.metrics_until
            .map(|t| format!(" (to {})", t.format("%H:%M UTC")))
            .unwrap_or_default()
    );
    match (recent, traffic) {
        (true, _) => line(
            "trail.alive",
            scope,
            Level::Ok,
            format!("the trail function reads records: {seen}"),
        ),
        (false, true) => line(
            "trail.alive",
            scope,
            Level::Fail,
            format!(
                "no record reached the trail function ({seen}), yet {counted}: the pipe is broken"
            ),
        )
        .todo(
            "check the trail (trail.management), the source (trail.source), the trail \
             function's errors and its failure queue",
        )
        .cannot_fire(FROM_MANAGEMENT),
        (false, false) => line(
            "trail.alive",
            scope,
            Level::Ok,
            format!("quiet: no record ({seen}) and no traffic either ({counted})"),
        ),
    }
}

/// The AWS/Cognito requests (SampleCount) in the monitors' last windows (a user pool's own
/// are the `Admin` client's, each app client its own: none counted twice), and the newest
/// window's end: what tells a quiet source from a broken one.
pub fn requests_seen(monitors: &[Monitor]) -> (f64, Option<DateTime<Utc>>) {
    let mut requests = 0.0;
    let mut until = None;
    for m in monitors.iter().filter(|m| !m.is_deleted()) {
        for (id, v) in &m.metrics {
            let total =
                catalogue::find(m.kind, id).is_some_and(|d| matches!(d.source, Source::Total(_)));
            if total {
                requests += v;
            }
        }
        until = until.max(m.metrics_window.map(|w| w.end));
    }
    (requests, until)
}

/// `collector.last_poll` for one scope: FAIL when it has not polled for an hour, WARN after
/// `late`; and its stale monitors.
pub fn poll_line(
    scope: &str,
    last_poll: Option<DateTime<Utc>>,
    monitors: &[&Monitor],
    late: Duration,
    now: DateTime<Utc>,
) -> Line {
    let stale: Vec<&str> = monitors
        .iter()
        .filter(|m| !m.is_deleted() && m.poll.outcome == PollOutcome::Stale)
        .map(|m| m.monitor_id.as_str())
        .collect();
    let stale_text = if stale.is_empty() {
        String::new()
    } else {
        format!(
            "; {} stale monitor(s): {}",
            stale.len(),
            stale.iter().take(5).copied().collect::<Vec<_>>().join(", ")
        )
    };
    match last_poll {
        None => line(
            "collector.last_poll",
            scope,
            Level::Fail,
            "the collector never polled this scope",
        )
        .todo("invoke the collector (cognito-watch invoke collector) and read its errors"),
        Some(t) if now - t > Duration::hours(1) => line(
            "collector.last_poll",
            scope,
            Level::Fail,
            format!("last poll {}{stale_text}", t.format("%Y-%m-%d %H:%M UTC")),
        )
        .todo("the collector stopped: check its schedule, its errors and the events dead-letter queue"),
        Some(t) if now - t > late || !stale.is_empty() => line(
            "collector.last_poll",
            scope,
            Level::Warn,
            format!("last poll {}{stale_text}", t.format("%Y-%m-%d %H:%M UTC")),
        )
        .todo("cognito-watch status shows why each stale monitor is stale"),
        Some(t) => line(
            "collector.last_poll",
            scope,
            Level::Ok,
            format!("last poll {}", t.format("%Y-%m-%d %H:%M UTC")),
        ),
    }
}

/// `pool.activity_logs` per user pool: its feature plan, and whether user activity logs are
/// exported (what `risky_sign_in` reads). Shares the posture checks' reads.
pub fn pool_lines(monitors: &[Monitor]) -> Vec<Line> {
    monitors
        .iter()
        .filter(|m| !m.is_deleted())
        .filter_map(|m| match &m.details {
            MonitorDetails::UserPool(d) => Some((m, d)),
            _ => None,
        })
        .map(|(m, d)| {
            let scope = format!("{} ({})", m.monitor_id, m.name);
            let tier = d.user_pool_tier.as_deref().unwrap_or("ESSENTIALS");
            let export = d.security.as_ref().and_then(|s| s.activity_log_export.as_ref());
            match (tier, export) {
                (_, Some(Readout::Answered { value: true })) => line(
                    "pool.activity_logs",
                    &scope,
                    Level::Ok,
                    format!("{tier} plan; user activity logs exported"),
                ),
                ("PLUS", Some(Readout::Answered { value: false })) => line(
                    "pool.activity_logs",
                    &scope,
                    Level::Warn,
                    "PLUS plan, but user activity logs are not exported",
                )
                .todo("SetLogDeliveryConfiguration: userAuthEvents at INFO to the log group the trail function reads")
                .cannot_fire(&["risky_sign_in"]),
                (_, Some(Readout::Refused { reason })) => line(
                    "pool.activity_logs",
                    &scope,
                    Level::Warn,
                    format!("{tier} plan; log delivery not known: {reason}"),
                )
                .todo("allow cognito-idp:GetLogDeliveryConfiguration"),
                (_, None) => line(
                    "pool.activity_logs",
                    &scope,
                    Level::Warn,
                    format!("{tier} plan; log delivery not read yet"),
                )
                .todo("the next inventory reads it"),
                (tier, _) => line(
                    "pool.activity_logs",
                    &scope,
                    Level::Ok,
                    format!(
                        "{tier} plan: threat protection and user activity logs need PLUS \
                         (watching the pool costs the same on any plan)"
                    ),
                )
                .cannot_fire(&["risky_sign_in"]),
            }
        })
        .collect()
}

/// One subscription of the alert topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Subscription {
    /// Its protocol (email, sqs, https, ...).
    pub protocol: String,
    /// Whether it is confirmed (SNS lists an unconfirmed one as `PendingConfirmation`).
    pub confirmed: bool,
}

/// `alerts.subscriptions`: someone must receive the alerts.
pub fn subscription_line(topic: &str, subs: &Readout<Vec<Subscription>>) -> Line {
    let subs = match subs {
        Readout::Answered { value } => value,
        Readout::Refused { reason } => {
            return line(
                "alerts.subscriptions",
                topic,
                Level::Warn,
                format!("not known: {reason}"),
            )
            .todo("allow sns:ListSubscriptionsByTopic")
        }
    };
    let confirmed: Vec<&str> = subs
        .iter()
        .filter(|s| s.confirmed)
        .map(|s| s.protocol.as_str())
        .collect();
    let pending = subs.len() - confirmed.len();
    let todo = "subscribe an endpoint (aws sns subscribe --topic-arn ... --protocol email \
                --notification-endpoint you@example.com) and confirm it";
    match (confirmed.len(), pending) {
        (0, 0) => line(
            "alerts.subscriptions",
            topic,
            Level::Fail,
            "no subscription: alerts reach no one",
        )
        .todo(todo),
        (0, p) => line(
            "alerts.subscriptions",
            topic,
            Level::Fail,
            format!("{p} subscription(s), none confirmed: alerts reach no one"),
        )
        .todo("confirm the subscription (the link SNS sent), or subscribe again"),
        (c, 0) => line(
            "alerts.subscriptions",
            topic,
            Level::Ok,
            format!("{c} confirmed subscription(s): {}", confirmed.join(", ")),
        ),
        (c, p) => line(
            "alerts.subscriptions",
            topic,
            Level::Warn,
            format!(
                "{c} confirmed ({}), {p} pending confirmation",
                confirmed.join(", ")
            ),
        )
        .todo("confirm the pending subscription(s) (the link SNS sent)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(logging: bool, management: Management, data: bool) -> Trail {
        Trail {
            name: "t".into(),
            home_region: "us-east-1".into(),
            multi_region: true,
            organization: false,
            logging: Some(logging),
            management,
            identity_pool_data_events: data,
        }
    }

    fn levels(lines: &[Line]) -> Vec<(&str, Level)> {
        lines.iter().map(|l| (l.check, l.level)).collect()
    }

    #[test]
    fn a_trail_that_logs_everything_is_ok_and_none_fails() {
        let ok = Readout::Answered {
            value: vec![trail(true, Management::All, true)],
        };
        assert_eq!(
            levels(&trail_lines("a/r", &ok, 1)),
            [
                ("trail.management", Level::Ok),
                ("trail.data_events", Level::Ok)
            ]
        );
        let none = Readout::Answered { value: vec![] };
        let lines = trail_lines("a/r", &none, 1);
        assert_eq!(
            levels(&lines),
            [
                ("trail.management", Level::Fail),
                ("trail.data_events", Level::Warn)
            ]
        );
        assert!(lines[0].cannot_fire.contains(&"brute_force"));
        assert!(lines[1]
            .cannot_fire
            .contains(&"unauthenticated_credentials"));
        // A trail that stopped logging counts for nothing; write-only is a warning.
        let stopped = Readout::Answered {
            value: vec![trail(false, Management::All, true)],
        };
        assert_eq!(trail_lines("a/r", &stopped, 0)[0].level, Level::Fail);
        let writes = Readout::Answered {
            value: vec![trail(true, Management::WriteOnly, false)],
        };
        assert_eq!(
            levels(&trail_lines("a/r", &writes, 0)),
            [
                ("trail.management", Level::Warn),
                ("trail.data_events", Level::Ok)
            ]
        );
    }

    #[test]
    fn a_silent_source_is_broken_only_when_cognito_counts_requests() {
        let now = Utc::now();
        let facts = |last: Option<DateTime<Utc>>, requests: f64| SourceFacts {
            source: Some("EventBridge".into()),
            rule_state: Some(Readout::Answered {
                value: "ENABLED".into(),
            }),
            last_records: Readout::Answered { value: last },
            requests,
            metrics_until: Some(now),
        };
        let level = |f: SourceFacts| source_lines("a/r", &f, now)[1].level;
        assert_eq!(
            level(facts(Some(now - Duration::minutes(30)), 5.0)),
            Level::Ok
        );
        assert_eq!(level(facts(None, 5.0)), Level::Fail);
        assert_eq!(
            level(facts(Some(now - Duration::hours(5)), 5.0)),
            Level::Fail
        );
        assert_eq!(level(facts(None, 0.0)), Level::Ok);
        let disabled = SourceFacts {
            rule_state: Some(Readout::Answered {
                value: "DISABLED".into(),
            }),
            ..facts(None, 0.0)
        };
        assert_eq!(source_lines("a/r", &disabled, now)[0].level, Level::Fail);
    }

    #[test]
    fn subscriptions_none_pending_or_confirmed() {
        let subs = |v: &[(&str, bool)]| Readout::Answered {
            value: v
                .iter()
                .map(|(p, c)| Subscription {
                    protocol: p.to_string(),
                    confirmed: *c,
                })
                .collect(),
        };
        assert_eq!(subscription_line("t", &subs(&[])).level, Level::Fail);
        assert_eq!(
            subscription_line("t", &subs(&[("email", false)])).level,
            Level::Fail
        );
        assert_eq!(
            subscription_line("t", &subs(&[("email", false), ("sqs", true)])).level,
            Level::Warn
        );
        assert_eq!(
            subscription_line("t", &subs(&[("sqs", true)])).level,
            Level::Ok
        );
    }

    #[test]
    fn a_scope_that_stopped_polling_fails() {
        let now = Utc::now();
        let late = Duration::minutes(15);
        assert_eq!(poll_line("s", None, &[], late, now).level, Level::Fail);
        assert_eq!(
            poll_line("s", Some(now - Duration::minutes(5)), &[], late, now).level,
            Level::Ok
        );
        assert_eq!(
            poll_line("s", Some(now - Duration::minutes(30)), &[], late, now).level,
            Level::Warn
        );
        assert_eq!(
            poll_line("s", Some(now - Duration::hours(2)), &[], late, now).level,
            Level::Fail
        );
    }
}
