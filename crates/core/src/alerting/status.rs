//! Statuses, status propagation, outages and alerts: the evaluator's decisions, as pure
//! functions of the stored monitors, their previous statuses and the threshold profiles.
//!
//! - A monitor's own status comes from its profile: a breach after N consecutive polls, down
//!   when the resource is deleted or its poll has failed `down_after_failed_polls` times.
//! - With the user pool profile's "Notify for Any Child Monitor Status Changes" on, the pool's
//!   status is the worst of its own and its children's (deleted children excepted), and a
//!   child's change that moves the pool is reported in one alert that names the child.
//! - A transition (any status change, recovery included) makes exactly one alert; an outage
//!   opens when a monitor leaves up and closes when it returns.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::alerting::profile::{Comparator, MissingData, Profile, ProfileSet, Severity, Threshold};
use crate::inventory::catalogue;
use crate::inventory::monitor::{Monitor, MonitorDetails, MonitorKind, PollOutcome};
use crate::text::{clean, clean_masked};

/// A monitor's status, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every threshold holds and the poll read the monitor.
    Up,
    /// A threshold of severity trouble is breached, or a child is not up.
    Trouble,
    /// A threshold of severity critical is breached.
    Critical,
    /// The resource is deleted, or its polls keep failing.
    Down,
}

impl Status {
    /// The status as stored and in message attributes: `up`, `trouble`, `critical`, `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Up => "up",
            Status::Trouble => "trouble",
            Status::Critical => "critical",
            Status::Down => "down",
        }
    }

    /// The status as people read it: `Up`, `Trouble`, `Critical`, `Down`.
    pub fn title(self) -> &'static str {
        match self {
            Status::Up => "Up",
            Status::Trouble => "Trouble",
            Status::Critical => "Critical",
            Status::Down => "Down",
        }
    }
}

impl From<Severity> for Status {
    fn from(s: Severity) -> Status {
        match s {
            Severity::Trouble => Status::Trouble,
            Severity::Critical => Status::Critical,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.title())
    }
}

/// Why a monitor is not up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reason {
    /// A metric breaches a threshold.
    Breach {
        /// The metric's catalogue id.
        metric: String,
        /// The metric's label, as the spec names it.
        label: String,
        /// The value read.
        value: f64,
        /// How the value is compared with the threshold.
        comparator: Comparator,
        /// The threshold's value.
        threshold: f64,
        /// The threshold's severity.
        severity: Severity,
        /// Consecutive polls breaching so far.
        polls: u32,
    },
    /// A metric had no data, which its threshold treats as a breach (`missing_data =
    /// "breaching"`).
    NoData {
        /// The metric's catalogue id.
        metric: String,
        /// The metric's label, as the spec names it.
        label: String,
        /// How a value would be compared with the threshold.
        comparator: Comparator,
        /// The threshold's value.
        threshold: f64,
        /// The threshold's severity.
        severity: Severity,
        /// Consecutive polls without data so far.
        polls: u32,
    },
    /// The monitor's poll keeps failing.
    PollFailing {
        /// Consecutive polls that failed.
        failed_polls: u32,
        /// The latest failure.
        error: String,
    },
    /// The resource no longer exists.
    /// The resource is gone since `since`.
    Deleted {
        /// When it was found gone.
        since: DateTime<Utc>,
    },
    /// A child's status, propagated to its user pool.
    Child {
        /// The child's monitor id.
        monitor_id: String,
        /// The child's kind.
        kind: MonitorKind,
        /// The child's name.
        name: String,
        /// The child's status.
        status: Status,
    },
    /// More children are not up than are listed.
    /// `count` more children are not up.
    MoreChildren {
        /// How many more.
        count: usize,
    },
}

impl Reason {
    fn is_child(&self) -> bool {
        matches!(self, Reason::Child { .. } | Reason::MoreChildren { .. })
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Breach {
                label,
                value,
                comparator,
                threshold,
                severity,
                polls,
                ..
            } => {
                let sev = severity.as_str();
                write!(
                    f,
                    "{label} = {} (threshold {comparator} {}, {sev}, {polls} consecutive poll{})",
                    crate::inventory::record::format_value(*value),
                    crate::inventory::record::format_value(*threshold),
                    if *polls == 1 { "" } else { "s" }
                )
            }
            Reason::NoData {
                label,
                comparator,
                threshold,
                severity,
                polls,
                ..
            } => write!(
                f,
                "{label}: no data, treated as breaching (threshold {comparator} {}, {}, {polls} consecutive poll{})",
                crate::inventory::record::format_value(*threshold),
                severity.as_str(),
                if *polls == 1 { "" } else { "s" }
            ),
            Reason::PollFailing {
                failed_polls,
                error,
            } => write!(
                f,
                "poll failing ({failed_polls} consecutive): {}",
                clean(error, 300)
            ),
            Reason::Deleted { since } => write!(
                f,
                "resource deleted (missing since {})",
                since.format("%Y-%m-%d %H:%M UTC")
            ),
            Reason::Child {
                kind, name, status, ..
            } => write!(f, "{} {name} is {status}", kind.label()),
            Reason::MoreChildren { count } => write!(f, "and {count} more child monitors"),
        }
    }
}

/// The evaluator's record of one monitor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorStatus {
    /// The monitor's id.
    pub monitor_id: String,
    /// The monitor's kind.
    pub kind: MonitorKind,
    /// The status alerts and outages follow (for a user pool with propagation on, the worst
    /// of its own and its children's).
    pub status: Status,
    /// The status from the monitor's own metrics and poll.
    pub own_status: Status,
    /// Why it is not up (none when up).
    #[serde(default)]
    pub reasons: Vec<Reason>,
    /// When `status` began.
    pub since: DateTime<Utc>,
    /// When it was last evaluated.
    pub evaluated_at: DateTime<Utc>,
    /// The collector poll (`poll.at`) this evaluation saw; a poll is counted once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_poll_at: Option<DateTime<Utc>>,
    /// The end of the CloudWatch window this evaluation saw: a breach streak advances only
    /// when a poll read a new window (a re-inventory or a second poll within the same minute
    /// reads none, and must not count as another breaching poll).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluated_window_end: Option<DateTime<Utc>>,
    /// Consecutive breaching polls per threshold key.
    #[serde(default)]
    pub streaks: BTreeMap<String, u32>,
    /// Consecutive polls that could not read the monitor.
    #[serde(default)]
    pub failed_polls: u32,
    /// How many transitions this monitor has had; numbers its alerts.
    #[serde(default)]
    pub transitions: u64,
    /// The threshold profile it was judged by.
    pub profile: String,
    /// When its open outage started, if one is open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_started_at: Option<DateTime<Utc>>,
    /// From when its transitions are recorded (none: judged only by an evaluator that did not
    /// record them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_since: Option<DateTime<Utc>>,
}

impl MonitorStatus {
    /// Whether anything but the evaluation times differs: an unchanged status is not
    /// rewritten, so a quiet estate costs no writes.
    pub fn same_as(&self, other: &MonitorStatus) -> bool {
        let strip = |s: &MonitorStatus| MonitorStatus {
            evaluated_at: DateTime::<Utc>::MIN_UTC,
            evaluated_poll_at: None,
            evaluated_window_end: None,
            ..s.clone()
        };
        strip(self) == strip(other)
    }

    /// The reasons from the monitor itself, not from its children.
    pub fn own_reasons(&self) -> impl Iterator<Item = &Reason> {
        self.reasons.iter().filter(|r| !r.is_child())
    }
}

/// An outage: a monitor away from up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outage {
    /// The monitor's id.
    pub monitor_id: String,
    /// The monitor's kind.
    pub kind: MonitorKind,
    /// The monitor's name.
    pub name: String,
    /// The monitor's account.
    pub account: String,
    /// The monitor's region.
    pub region: String,
    /// The user pool it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// When it left up.
    pub started_at: DateTime<Utc>,
    /// When it came back up; none while open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// The worst status during the outage.
    pub status: Status,
    /// Why it started.
    pub reason: String,
    /// A comment an operator added (`cognito-watch outage comment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Outage {
    /// `<monitor id>@<start>`: what `outage comment` takes.
    pub fn id(&self) -> String {
        outage_id(&self.monitor_id, self.started_at)
    }

    /// A short, stable id for people: the first 8 hex digits of a digest of [`Outage::id`].
    pub fn short_id(&self) -> String {
        use sha2::Digest;
        let d = sha2::Sha256::digest(self.id().as_bytes());
        d.iter().take(4).map(|b| format!("{b:02x}")).collect()
    }

    /// How long it lasted, or has lasted by `now` while open.
    pub fn duration(&self, now: DateTime<Utc>) -> chrono::Duration {
        self.ended_at.unwrap_or(now) - self.started_at
    }

    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.ended_at.is_none()
    }

    /// Whether the outage was open at any time in a period starting at `from`.
    pub fn in_period(&self, from: DateTime<Utc>) -> bool {
        self.ended_at.is_none_or(|e| e >= from)
    }
}

/// A monitor's status at `at`, as its outages record it: the (worst) status of the outage
/// open then, else up.
pub fn status_at(outages: &[Outage], at: DateTime<Utc>) -> Status {
    outages
        .iter()
        .find(|o| o.started_at <= at && o.ended_at.is_none_or(|e| at < e))
        .map_or(Status::Up, |o| o.status)
}

/// An outage's id: `<monitor id>@<start, RFC 3339>`.
pub fn outage_id(monitor_id: &str, started_at: DateTime<Utc>) -> String {
    format!("{monitor_id}@{}", started_at.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// Split an outage id into monitor id and start.
pub fn parse_outage_id(id: &str) -> Option<(String, DateTime<Utc>)> {
    let (monitor, start) = id.rsplit_once('@')?;
    let start = DateTime::parse_from_rfc3339(start)
        .ok()?
        .with_timezone(&Utc);
    Some((monitor.to_string(), start))
}

/// A change to an outage record.
#[derive(Debug, Clone, PartialEq)]
pub enum OutageWrite {
    /// A new outage.
    Open(Outage),
    /// The status got worse during the outage.
    Worsen {
        /// The monitor's id.
        monitor_id: String,
        /// When the outage started.
        started_at: DateTime<Utc>,
        /// The worse status.
        status: Status,
    },
    /// The monitor came back up.
    Close {
        /// The monitor's id.
        monitor_id: String,
        /// When the outage started.
        started_at: DateTime<Utc>,
        /// When it ended.
        ended_at: DateTime<Utc>,
    },
}

/// The user pool's change reported inside a child's alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PoolChange {
    /// The pool's monitor id.
    pub monitor_id: String,
    /// The pool's name.
    pub name: String,
    /// The pool's status before the change.
    pub from: Status,
    /// The pool's status after it.
    pub to: Status,
}

/// One status transition to notify. Carries no raw user names: user monitors are named by
/// their `sub` (see [`public_name`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// `<public monitor id>#<transition number>`: the same transition always has the same id.
    pub alert_id: String,
    /// The monitor's public id (a user's is by `sub`).
    pub monitor_id: String,
    /// The monitor's kind.
    pub kind: MonitorKind,
    /// The monitor's public name (a user's is its `sub`).
    pub name: String,
    /// The monitor's account.
    pub account: String,
    /// The monitor's region.
    pub region: String,
    /// The user pool it belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_pool_id: Option<String>,
    /// The status it left.
    pub from: Status,
    /// The status it entered.
    pub to: Status,
    /// When the change was judged.
    pub at: DateTime<Utc>,
    /// When the previous status began.
    pub previous_since: DateTime<Utc>,
    /// Why, in the new status (none on recovery).
    pub reasons: Vec<Reason>,
    /// For a child of a user pool whose profile propagates: the pool's status around this
    /// change (`from == to` when the pool did not move).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolChange>,
    /// On recovery: the outage that ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outage_started_at: Option<DateTime<Utc>>,
    /// The threshold profile it was judged by.
    pub profile: String,
}

/// What the evaluator writes for one monitor; written together.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorChange {
    /// The new status.
    pub status: MonitorStatus,
    /// Whether the status item must be written (false: only evaluation times moved).
    pub write_status: bool,
    /// The outage record to open, worsen or close.
    pub outage: Option<OutageWrite>,
    /// The alert to publish, if the change is one to notify.
    pub alert: Option<Alert>,
    /// The status change to record for availability and the timeline (every change, told in
    /// an alert or not).
    pub transition: Option<crate::alerting::availability::Transition>,
}

/// The evaluation of one root (a user pool with its children, or an identity pool).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// One change per monitor of the root.
    pub changes: Vec<MonitorChange>,
}

impl Evaluation {
    /// The alerts the evaluation publishes.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> {
        self.changes.iter().filter_map(|c| c.alert.as_ref())
    }

    /// How many changes open, worsen or close an outage, or alert.
    pub fn transitions(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.outage.is_some() || c.alert.is_some())
            .count()
    }
}

/// A monitor's own status, from its profile, its latest poll and its previous status.
#[derive(Debug, Clone, PartialEq)]
struct Own {
    status: Status,
    reasons: Vec<Reason>,
    streaks: BTreeMap<String, u32>,
    failed_polls: u32,
}

/// Whether the monitor's latest poll produced a reading a breach streak may count: for a kind
/// read from CloudWatch, a new non-empty metric window; for the others (inventory values), a
/// new poll.
fn produced_new_reading(m: &Monitor, prev: Option<&MonitorStatus>, new_poll: bool) -> bool {
    if catalogue::families(m.kind).is_empty() {
        return new_poll;
    }
    match m.metrics_window {
        Some(w) if w.start < w.end => prev.and_then(|p| p.evaluated_window_end) != Some(w.end),
        _ => false,
    }
}

fn evaluate_own(m: &Monitor, profile: &Profile, prev: Option<&MonitorStatus>) -> Own {
    let new_poll = prev.and_then(|p| p.evaluated_poll_at) != Some(m.poll.at);
    let new_reading = produced_new_reading(m, prev, new_poll);
    let prev_failed = prev.map_or(0, |p| p.failed_polls);
    match m.poll.outcome {
        PollOutcome::Deleted => Own {
            status: Status::Down,
            reasons: vec![Reason::Deleted {
                since: m.deleted_at.unwrap_or(m.poll.at),
            }],
            streaks: BTreeMap::new(),
            failed_polls: prev_failed,
        },
        PollOutcome::Stale => stale_own(m, profile, prev, new_poll),
        PollOutcome::Ok => judge_thresholds(m, profile, prev, new_reading),
    }
}

/// A stale poll: down once `down_after_failed_polls` polls in a row failed; until then the
/// previous judgement stands, since the values are stale.
fn stale_own(m: &Monitor, profile: &Profile, prev: Option<&MonitorStatus>, new_poll: bool) -> Own {
    let prev_failed = prev.map_or(0, |p| p.failed_polls);
    let failed = if new_poll {
        prev_failed + 1
    } else {
        prev_failed.max(1)
    };
    if failed >= profile.down_after_failed_polls {
        return Own {
            status: Status::Down,
            reasons: vec![Reason::PollFailing {
                failed_polls: failed,
                error: m.poll.reason.clone().unwrap_or_default(),
            }],
            streaks: prev.map(|p| p.streaks.clone()).unwrap_or_default(),
            failed_polls: failed,
        };
    }
    // Not down yet: the values are stale, so nothing is re-judged.
    Own {
        status: prev.map_or(Status::Up, |p| p.own_status),
        reasons: prev
            .map(|p| p.own_reasons().cloned().collect())
            .unwrap_or_default(),
        streaks: prev.map(|p| p.streaks.clone()).unwrap_or_default(),
        failed_polls: failed,
    }
}

/// A poll that read its values: each threshold judged, with its streak of breaching readings.
fn judge_thresholds(
    m: &Monitor,
    profile: &Profile,
    prev: Option<&MonitorStatus>,
    new_reading: bool,
) -> Own {
    let mut status = Status::Up;
    let mut reasons = Vec::new();
    let mut streaks = BTreeMap::new();
    for t in &profile.thresholds {
        let key = t.key();
        let before = prev.and_then(|p| p.streaks.get(&key)).copied().unwrap_or(0);
        let value = m.metrics.get(&t.metric).copied();
        let missing = value.is_none().then(|| profile.missing_data(t));
        if missing == Some(MissingData::Ignore) {
            // No data, and the threshold keeps its state: its streak and its breach.
            if before > 0 {
                streaks.insert(key, before);
            }
            if let Some(r) = prev.and_then(|p| p.own_reasons().find(|r| same_threshold(r, t))) {
                status = status.max(t.severity.into());
                reasons.push(r.clone());
            }
            continue;
        }
        let breached = match missing {
            Some(treat) => treat == MissingData::Breaching,
            None => t.breached_by(value),
        };
        let streak = match (breached, new_reading) {
            (false, _) => 0,
            (true, true) => before.saturating_add(1),
            (true, false) => before.max(1),
        };
        if streak > 0 {
            streaks.insert(key, streak);
        }
        let label = || {
            catalogue::find(m.kind, &t.metric)
                .map_or_else(|| t.metric.clone(), |d| d.label.to_string())
        };
        if value.is_none() && breached && streak >= t.consecutive_polls {
            status = status.max(t.severity.into());
            reasons.push(Reason::NoData {
                metric: t.metric.clone(),
                label: label(),
                comparator: t.comparator,
                threshold: t.value,
                severity: t.severity,
                polls: streak,
            });
        }
        if let (Some(value), true) = (value, streak >= t.consecutive_polls) {
            status = status.max(t.severity.into());
            reasons.push(Reason::Breach {
                metric: t.metric.clone(),
                label: label(),
                value,
                comparator: t.comparator,
                threshold: t.value,
                severity: t.severity,
                polls: streak,
            });
        }
    }
    Own {
        status,
        reasons,
        streaks,
        failed_polls: 0,
    }
}

/// Whether `r` is a breach of threshold `t` (the same metric, comparator and value).
fn same_threshold(r: &Reason, t: &Threshold) -> bool {
    match r {
        Reason::Breach {
            metric,
            comparator,
            threshold,
            ..
        }
        | Reason::NoData {
            metric,
            comparator,
            threshold,
            ..
        } => *metric == t.metric && *comparator == t.comparator && *threshold == t.value,
        _ => false,
    }
}

/// At most this many children are named in a pool's reasons.
pub const MAX_CHILD_REASONS: usize = 20;

/// One monitor with its resolved profile and own status.
type Judged<'a> = (&'a Monitor, Profile, Own);

/// Evaluate one root: `monitors` holds the root and its children as stored, `previous` the
/// stored statuses by monitor id.
pub fn evaluate_root(
    monitors: &[Monitor],
    previous: &BTreeMap<String, MonitorStatus>,
    profiles: &ProfileSet,
    now: DateTime<Utc>,
) -> Evaluation {
    let evaluated = judge(monitors, previous, profiles);
    let propagate = evaluated
        .iter()
        .any(|(m, p, _)| m.kind == MonitorKind::UserPool && p.notify_child_status_changes);
    let mut changes = Vec::new();
    let mut child_alerts = Vec::new();
    let mut root_change: Option<(usize, Status, Status)> = None;
    for (m, profile, own) in &evaluated {
        let prev = previous.get(&m.monitor_id);
        let (status, reasons) = if propagate && m.kind == MonitorKind::UserPool {
            with_children(own, &evaluated)
        } else {
            (own.status, own.reasons.clone())
        };
        let change = change_of(m, profile, own, prev, status, reasons, now);
        let prev_status = prev.map_or(Status::Up, |p| p.status);
        if m.kind == MonitorKind::UserPool && status != prev_status {
            root_change = Some((changes.len(), prev_status, status));
        }
        if m.parent_id.is_some() && change.alert.is_some() {
            child_alerts.push(changes.len());
        }
        changes.push(change);
    }
    if propagate {
        tell_children(
            &evaluated,
            previous,
            &mut changes,
            &child_alerts,
            root_change,
        );
    }
    Evaluation { changes }
}

/// Own statuses first (a pool's status needs its children's), the root first, then children
/// worst first, then by id.
fn judge<'a>(
    monitors: &'a [Monitor],
    previous: &BTreeMap<String, MonitorStatus>,
    profiles: &ProfileSet,
) -> Vec<Judged<'a>> {
    let root = monitors
        .iter()
        .find(|m| matches!(m.kind, MonitorKind::UserPool | MonitorKind::IdentityPool));
    let pool_tags = root.map(|r| r.tags.clone()).unwrap_or_default();
    let mut evaluated: Vec<Judged<'a>> = monitors
        .iter()
        .map(|m| {
            let profile = profiles.resolve(m, &pool_tags);
            let own = evaluate_own(m, &profile, previous.get(&m.monitor_id));
            (m, profile, own)
        })
        .collect();
    evaluated.sort_by(|a, b| {
        let root_first = |m: &Monitor| m.parent_id.is_some();
        root_first(a.0)
            .cmp(&root_first(b.0))
            .then(b.2.status.cmp(&a.2.status))
            .then(a.0.monitor_id.cmp(&b.0.monitor_id))
    });
    evaluated
}

/// A pool's status and reasons with its troubled children's ("Notify for Any Child Monitor
/// Status Changes"): the worst of all, the first few named.
fn with_children(own: &Own, evaluated: &[Judged<'_>]) -> (Status, Vec<Reason>) {
    let mut status = own.status;
    let mut reasons = own.reasons.clone();
    let troubled: Vec<&Judged<'_>> = evaluated
        .iter()
        .filter(|(c, _, o)| c.parent_id.is_some() && !c.is_deleted() && o.status != Status::Up)
        .collect();
    for (c, _, o) in troubled.iter().take(MAX_CHILD_REASONS) {
        reasons.push(Reason::Child {
            monitor_id: public_id(c),
            kind: c.kind,
            name: public_name(c),
            status: o.status,
        });
    }
    for (_, _, o) in &troubled {
        status = status.max(o.status);
    }
    if troubled.len() > MAX_CHILD_REASONS {
        reasons.push(Reason::MoreChildren {
            count: troubled.len() - MAX_CHILD_REASONS,
        });
    }
    (status, reasons)
}

/// What a monitor's new status means to store: the status, its outage write and its alert.
fn change_of(
    m: &Monitor,
    profile: &Profile,
    own: &Own,
    prev: Option<&MonitorStatus>,
    status: Status,
    reasons: Vec<Reason>,
    now: DateTime<Utc>,
) -> MonitorChange {
    let prev_status = prev.map_or(Status::Up, |p| p.status);
    let prev_since = prev.map_or(m.first_seen, |p| p.since);
    let moved = status != prev_status;
    let next = MonitorStatus {
        monitor_id: m.monitor_id.clone(),
        kind: m.kind,
        status,
        own_status: own.status,
        reasons: reasons.clone(),
        since: if moved { now } else { prev_since },
        evaluated_at: now,
        evaluated_poll_at: Some(m.poll.at),
        evaluated_window_end: m.metrics_window.map(|w| w.end),
        streaks: own.streaks.clone(),
        failed_polls: own.failed_polls,
        transitions: prev.map_or(0, |p| p.transitions) + u64::from(moved),
        profile: profile.name.clone(),
        outage_started_at: match (prev_status, status) {
            (_, Status::Up) => None,
            (Status::Up, _) => Some(now),
            _ => prev.and_then(|p| p.outage_started_at).or(Some(now)),
        },
        recorded_since: Some(crate::alerting::availability::recorded_since(
            prev,
            m.first_seen,
        )),
    };
    let outage = outage_write(m, prev, status, &reasons, now);
    let transition = moved.then(|| crate::alerting::availability::Transition {
        monitor_id: m.monitor_id.clone(),
        kind: m.kind,
        name: m.name.clone(),
        at: now,
        from: prev_status,
        to: status,
        number: next.transitions,
        reasons: if status == Status::Up {
            Vec::new()
        } else {
            reasons.iter().map(ToString::to_string).collect()
        },
    });
    let alert = moved.then(|| {
        let up = status == Status::Up;
        Alert {
            alert_id: format!("{}#{}", public_id(m), next.transitions),
            monitor_id: public_id(m),
            kind: m.kind,
            name: public_name(m),
            account: m.account.clone(),
            region: m.region.clone(),
            user_pool_id: m.user_pool_id.clone(),
            from: prev_status,
            to: status,
            at: now,
            previous_since: prev_since,
            reasons: if up { Vec::new() } else { reasons },
            pool: None,
            outage_started_at: if up {
                prev.and_then(|p| p.outage_started_at)
            } else {
                None
            },
            profile: profile.name.clone(),
        }
    });
    MonitorChange {
        write_status: prev.is_none_or(|p| !p.same_as(&next)),
        status: next,
        outage,
        alert,
        transition,
    }
}

/// The outage a status move opens, worsens or closes.
fn outage_write(
    m: &Monitor,
    prev: Option<&MonitorStatus>,
    status: Status,
    reasons: &[Reason],
    now: DateTime<Utc>,
) -> Option<OutageWrite> {
    let prev_status = prev.map_or(Status::Up, |p| p.status);
    let started_at = prev.and_then(|p| p.outage_started_at);
    match (prev_status, status) {
        (a, b) if a == b => None,
        (Status::Up, _) => Some(OutageWrite::Open(Outage {
            monitor_id: m.monitor_id.clone(),
            kind: m.kind,
            name: m.name.clone(),
            account: m.account.clone(),
            region: m.region.clone(),
            user_pool_id: m.user_pool_id.clone(),
            started_at: now,
            ended_at: None,
            status,
            reason: reasons
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            comment: None,
        })),
        (_, Status::Up) => started_at.map(|started_at| OutageWrite::Close {
            monitor_id: m.monitor_id.clone(),
            started_at,
            ended_at: now,
        }),
        (a, b) if b > a => started_at.map(|started_at| OutageWrite::Worsen {
            monitor_id: m.monitor_id.clone(),
            started_at,
            status: b,
        }),
        _ => None,
    }
}

/// Propagation: children's alerts carry the pool's status; a pool change that only its
/// children caused is told in their alerts, not in one more.
fn tell_children(
    evaluated: &[Judged<'_>],
    previous: &BTreeMap<String, MonitorStatus>,
    changes: &mut [MonitorChange],
    child_alerts: &[usize],
    root_change: Option<(usize, Status, Status)>,
) {
    let Some(pool) = evaluated
        .iter()
        .find(|(m, _, _)| m.kind == MonitorKind::UserPool)
        .map(|(m, _, _)| *m)
    else {
        return;
    };
    let (from, to) = match root_change {
        Some((_, from, to)) => (from, to),
        None => {
            let s = changes
                .iter()
                .find(|c| c.status.monitor_id == pool.monitor_id)
                .map_or(Status::Up, |c| c.status.status);
            (s, s)
        }
    };
    for &i in child_alerts {
        if let Some(a) = changes[i].alert.as_mut() {
            a.pool = Some(PoolChange {
                monitor_id: public_id(pool),
                name: public_name(pool),
                from,
                to,
            });
        }
    }
    if let Some((i, _, _)) = root_change {
        let own_moved = previous
            .get(&pool.monitor_id)
            .map_or(Status::Up, |p| p.own_status)
            != changes[i].status.own_status;
        if !own_moved && !child_alerts.is_empty() {
            changes[i].alert = None;
        }
    }
}

/// The name an alert may show: users by their `sub` (a username is often an email address or
/// a phone number), everything else by its name with any address or number masked.
pub fn public_name(m: &Monitor) -> String {
    match &m.details {
        MonitorDetails::User(u) => u
            .attributes
            .iter()
            .find(|a| a.name == "sub")
            .map(|a| format!("sub {}", clean(&a.value, 64)))
            .unwrap_or_else(|| clean_masked(&u.username, 64)),
        _ => clean_masked(&m.name, 128),
    }
}

/// The monitor id an alert may show: a user's id carries its `sub`, not its username.
pub fn public_id(m: &Monitor) -> String {
    match &m.details {
        MonitorDetails::User(u) => {
            let who = u
                .attributes
                .iter()
                .find(|a| a.name == "sub")
                .map(|a| clean(&a.value, 64))
                .unwrap_or_else(|| clean_masked(&u.username, 64));
            format!("user/{}/{who}", u.user_pool_id)
        }
        _ => m.monitor_id.clone(),
    }
}

#[cfg(test)]
mod tests;
