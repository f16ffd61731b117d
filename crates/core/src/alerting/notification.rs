//! Notification profiles (the spec's "Notification Profiles"): where an alert, a security
//! detection or a posture notice is published, and which of them a team wants. A profile names
//! its destinations (SNS topics, each in a message format), the severities it wants and whether
//! recoveries, detections and posture notices are sent. Profiles are assigned like threshold
//! profiles: to a monitor, a tag, a pool (with its children and its detections) or an
//! account/region (detections and posture notices that name no pool), else `default`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alerting::profile::ProfileError;
use crate::alerting::status::Status;
use crate::inventory::monitor::{Monitor, MonitorKind};

/// The destination topic that stands for the stack's own alert topic (`ALERT_TOPIC_ARN`).
pub const STACK_TOPIC: &str = "default";

/// The name of the profile that applies where nothing else is assigned.
pub const DEFAULT_NOTIFICATION_PROFILE: &str = "default";

/// How a message is published to a destination.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// `MessageStructure = json`: readable text to email, the subject to SMS, the JSON form to
    /// SQS, Lambda and HTTP(S). SNS evaluates filter policies on the message attributes but,
    /// per its documentation, delivers attributes only with a string structure.
    #[default]
    Sns,
    /// The JSON form as a string message: SQS, Lambda and HTTP(S) subscribers receive the
    /// message attributes too (at most 10, the limit for raw delivery to SQS).
    Json,
    /// Amazon Q Developer in chat applications (formerly AWS Chatbot) custom notification
    /// schema, for a topic a Slack channel or Teams channel configuration subscribes to.
    Chat,
}

impl Format {
    /// Every format, in the order the CLI lists them.
    pub const ALL: [Format; 3] = [Format::Sns, Format::Json, Format::Chat];

    /// The name as written in profiles.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Sns => "sns",
            Format::Json => "json",
            Format::Chat => "chat",
        }
    }

    /// Reads a format as written in profiles.
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One place a profile publishes to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    /// An SNS topic ARN, or `default` for the stack's alert topic.
    pub topic: String,
    /// How messages are published to it.
    #[serde(default)]
    pub format: Format,
}

impl Destination {
    /// The stack's topic in the `sns` format.
    pub fn stack() -> Destination {
        Destination {
            topic: STACK_TOPIC.to_string(),
            format: Format::Sns,
        }
    }

    /// Reads `[format:]topic` as the CLI takes it (`chat:arn:aws:sns:...`, `default`).
    pub fn parse(s: &str) -> Result<Destination, ProfileError> {
        let s = s.trim();
        let (format, topic) = match s.split_once(':') {
            Some((f, rest)) if Format::parse(f).is_some() => (Format::parse(f), rest),
            _ => (None, s),
        };
        let d = Destination {
            topic: topic.to_string(),
            format: format.unwrap_or_default(),
        };
        d.validate()?;
        Ok(d)
    }

    /// The key its delivery state is kept under beside each message: `<format>:<topic>`.
    pub fn key(&self) -> String {
        format!("{}:{}", self.format, self.topic)
    }

    /// The topic ARN to publish to, `stack_topic` standing for `default`.
    pub fn arn<'a>(&'a self, stack_topic: &'a str) -> &'a str {
        if self.topic == STACK_TOPIC {
            stack_topic
        } else {
            &self.topic
        }
    }

    /// `default`, or an SNS topic ARN (`arn:<partition>:sns:<region>:<account>:<name>`).
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.topic == STACK_TOPIC || is_topic_arn(&self.topic) {
            return Ok(());
        }
        Err(ProfileError::Invalid(format!(
            "destination {:?} is neither `default` (the stack's topic) nor an SNS topic ARN \
             (arn:aws:sns:<region>:<account>:<name>)",
            self.topic
        )))
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.format, self.topic)
    }
}

/// Whether `s` has the shape of an SNS topic ARN.
pub fn is_topic_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.len() <= 256
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    };
    parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && name_ok(parts[5])
}

fn yes() -> bool {
    true
}

fn every_severity() -> Vec<Status> {
    vec![Status::Down, Status::Critical, Status::Trouble]
}

/// What is being notified, as a profile judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A monitor's status changed to `to` (a recovery when `to` is up).
    Status {
        /// The new status.
        to: Status,
    },
    /// A security detection of this severity (critical or trouble).
    Detection {
        /// Its severity.
        severity: Status,
    },
    /// A posture notice: a regression of this severity, a fix (`up`), or a baseline (`None`).
    Posture {
        /// The regression's severity, `up` for a fix, none for a baseline.
        severity: Option<Status>,
    },
}

/// A notification profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationProfile {
    /// The profile's name, unique.
    pub name: String,
    /// What it is for, in a person's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Where it publishes (`[[notifications.profile.destination]]`), at least one.
    #[serde(rename = "destination")]
    pub destinations: Vec<Destination>,
    /// The statuses and detection severities it wants: `down`, `critical`, `trouble`.
    #[serde(default = "every_severity")]
    pub severities: Vec<Status>,
    /// Whether a monitor back up (and a posture check fixed) is sent.
    #[serde(default = "yes")]
    pub recoveries: bool,
    /// Whether the trail's security detections are sent.
    #[serde(default = "yes")]
    pub detections: bool,
    /// Whether posture notices (baselines, regressions, fixes) are sent.
    #[serde(default = "yes")]
    pub posture: bool,
}

impl NotificationProfile {
    /// The profile that applies when none is stored: everything to the stack's topic.
    pub fn stack_default() -> NotificationProfile {
        NotificationProfile {
            name: DEFAULT_NOTIFICATION_PROFILE.to_string(),
            description: Some(
                "every alert, detection and posture notice to the stack's topic".into(),
            ),
            destinations: vec![Destination::stack()],
            severities: every_severity(),
            recoveries: true,
            detections: true,
            posture: true,
        }
    }

    /// Whether it wants `notice`.
    pub fn wants(&self, notice: Notice) -> bool {
        let severity = |s: Status| self.severities.contains(&s);
        match notice {
            Notice::Status { to: Status::Up } => self.recoveries,
            Notice::Status { to } => severity(to),
            Notice::Detection { severity: s } => self.detections && severity(s),
            Notice::Posture { severity: None } => self.posture,
            Notice::Posture {
                severity: Some(Status::Up),
            } => self.posture && self.recoveries,
            Notice::Posture { severity: Some(s) } => self.posture && severity(s),
        }
    }

    /// Checks its name, destinations and severities.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let name = self.name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        {
            return Err(ProfileError::Invalid(format!(
                "notification profile {:?}: a name is letters, digits, '-', '_' and '.'",
                self.name
            )));
        }
        if self.destinations.is_empty() {
            return Err(ProfileError::Invalid(format!(
                "notification profile {:?} has no destination: give it `default` (the stack's \
                 topic) or a topic ARN",
                self.name
            )));
        }
        let mut seen = BTreeSet::new();
        for d in &self.destinations {
            d.validate()?;
            if !seen.insert(d.key()) {
                return Err(ProfileError::Invalid(format!(
                    "notification profile {:?} names destination {d} twice",
                    self.name
                )));
            }
        }
        if self.severities.contains(&Status::Up) {
            return Err(ProfileError::Invalid(format!(
                "notification profile {:?}: `up` is not a severity; recoveries = true sends them",
                self.name
            )));
        }
        Ok(())
    }
}

/// What a notification profile is assigned to: exactly one of a monitor, a tag, a pool or an
/// account and region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationAssignment {
    /// A monitor id: that monitor's alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    /// A tag, `key=value`: monitors carrying it, a tagged pool's children and its detections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// A user pool or identity pool id: its monitors' alerts, its detections and posture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<String>,
    /// `<account>/<region>`: everything there no narrower assignment takes, including
    /// detections and posture notices that name no pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The notification profile it assigns.
    pub profile: String,
}

impl NotificationAssignment {
    /// The stable key of what it selects (`monitor#…`, `tag#…`, `pool#…`, `scope#…`).
    pub fn selector(&self) -> Result<String, ProfileError> {
        match (&self.monitor, &self.tag, &self.pool, &self.scope) {
            (Some(m), None, None, None) if !m.is_empty() => Ok(format!("monitor#{m}")),
            (None, Some(t), None, None) if t.split_once('=').is_some_and(|(k, _)| !k.is_empty()) => {
                Ok(format!("tag#{t}"))
            }
            (None, None, Some(p), None) if !p.is_empty() => Ok(format!("pool#{p}")),
            (None, None, None, Some(s)) if valid_scope(s) => Ok(format!("scope#{s}")),
            _ => Err(ProfileError::Invalid(format!(
                "a notification assignment needs exactly one of monitor = \"<id>\", tag = \
                 \"key=value\", pool = \"<pool id>\" or scope = \"<account>/<region>\" (profile {:?})",
                self.profile
            ))),
        }
    }

    /// What it selects, in words.
    pub fn target(&self) -> String {
        match (&self.monitor, &self.tag, &self.pool, &self.scope) {
            (Some(m), ..) => format!("monitor {m}"),
            (_, Some(t), ..) => format!("tag {t}"),
            (_, _, Some(p), _) => format!("pool {p}"),
            (.., Some(s)) => format!("account/region {s}"),
            _ => "nothing".to_string(),
        }
    }
}

/// `<12-digit account>/<region>`.
pub fn valid_scope(s: &str) -> bool {
    s.split_once('/').is_some_and(|(a, r)| {
        a.len() == 12
            && a.chars().all(|c| c.is_ascii_digit())
            && !r.is_empty()
            && r.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    })
}

/// Who a notice is about, for choosing its profile.
#[derive(Debug, Clone, Default)]
pub struct Subject<'a> {
    /// The monitor it is about (a status alert, a posture check on one resource).
    pub monitor_id: Option<&'a str>,
    /// That monitor's tags.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// The user pool or identity pool it is in.
    pub pool: Option<&'a str>,
    /// That pool's tags.
    pub pool_tags: Option<&'a BTreeMap<String, String>>,
    /// `<account>/<region>`.
    pub scope: Option<String>,
}

impl<'a> Subject<'a> {
    /// A monitor's subject: itself and its tags, its pool (a child's user pool, or the pool
    /// itself) and that pool's tags (`root`: the pool's monitor), its account and region.
    pub fn of_monitor(m: &'a Monitor, root: Option<&'a Monitor>) -> Subject<'a> {
        let pool = m.user_pool_id.as_deref().or_else(|| {
            (m.kind == MonitorKind::IdentityPool)
                .then(|| m.monitor_id.strip_prefix("identitypool/"))
                .flatten()
        });
        let root = root.or_else(|| m.parent_id.is_none().then_some(m));
        Subject {
            monitor_id: Some(&m.monitor_id),
            tags: Some(&m.tags),
            pool,
            pool_tags: root.map(|r| &r.tags),
            scope: Some(format!("{}/{}", m.account, m.region)),
        }
    }
}

impl Subject<'_> {
    /// Every tag it carries, `key=value`, its own over its pool's (for the `tags` attribute).
    pub fn tag_values(&self) -> Vec<String> {
        let mut all: BTreeMap<&str, &str> = BTreeMap::new();
        for tags in [self.pool_tags, self.tags].into_iter().flatten() {
            for (k, v) in tags {
                all.insert(k, v);
            }
        }
        all.into_iter().map(|(k, v)| format!("{k}={v}")).collect()
    }
}

/// Where one notice goes: its profile and the destinations that want it (none: it is
/// settled unsent, saying why).
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// The notification profile that chose.
    pub profile: String,
    /// How it was chosen (`monitor …`, `tag …`, `pool …`, `account/region …`, `default`).
    pub by: String,
    /// The destinations, in the profile's order; empty when the profile does not want it.
    pub destinations: Vec<Destination>,
}

/// Every notification profile and assignment (`[notifications]` in the profile file).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notifications {
    /// The profiles (`[[notifications.profile]]`).
    #[serde(default, rename = "profile", skip_serializing_if = "Vec::is_empty")]
    pub profiles: Vec<NotificationProfile>,
    /// Their assignments (`[[notifications.assignment]]`).
    #[serde(default, rename = "assignment", skip_serializing_if = "Vec::is_empty")]
    pub assignments: Vec<NotificationAssignment>,
}

impl Notifications {
    /// Whether nothing is configured (the stack default applies).
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty() && self.assignments.is_empty()
    }

    /// The profile named `name`; `default` is the stack default until one is stored.
    pub fn get(&self, name: &str) -> Option<NotificationProfile> {
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .cloned()
            .or_else(|| {
                (name == DEFAULT_NOTIFICATION_PROFILE).then(NotificationProfile::stack_default)
            })
    }

    /// Every profile, the stack default among them when none named `default` is stored.
    pub fn all(&self) -> Vec<NotificationProfile> {
        let mut out = self.profiles.clone();
        if !out.iter().any(|p| p.name == DEFAULT_NOTIFICATION_PROFILE) {
            out.insert(0, NotificationProfile::stack_default());
        }
        out
    }

    /// Checks every profile, unique names, and that every assignment selects one thing and
    /// names a profile that exists.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let mut names = BTreeSet::new();
        for p in &self.profiles {
            p.validate()?;
            if !names.insert(p.name.as_str()) {
                return Err(ProfileError::Invalid(format!(
                    "two notification profiles are named {:?}",
                    p.name
                )));
            }
        }
        let mut selectors = BTreeSet::new();
        for a in &self.assignments {
            let selector = a.selector()?;
            if self.get(&a.profile).is_none() {
                return Err(ProfileError::Invalid(format!(
                    "notification assignment of {} to profile {:?}, which does not exist",
                    a.target(),
                    a.profile
                )));
            }
            if !selectors.insert(selector) {
                return Err(ProfileError::Invalid(format!(
                    "{} is assigned two notification profiles",
                    a.target()
                )));
            }
        }
        Ok(())
    }

    /// Every topic ARN a profile names (`default` aside), sorted.
    pub fn topics(&self) -> Vec<String> {
        let set: BTreeSet<String> = self
            .profiles
            .iter()
            .flat_map(|p| p.destinations.iter())
            .filter(|d| d.topic != STACK_TOPIC)
            .map(|d| d.topic.clone())
            .collect();
        set.into_iter().collect()
    }

    /// Add or replace an assignment of what `a` selects.
    pub fn assign(&mut self, a: NotificationAssignment) -> Result<(), ProfileError> {
        let selector = a.selector()?;
        self.assignments
            .retain(|o| o.selector().ok().as_deref() != Some(selector.as_str()));
        self.assignments.push(a);
        self.assignments.sort();
        self.validate()
    }

    /// The profile for `subject`: assigned to its monitor, else to one of its tags, else to
    /// its pool, else to one of its pool's tags, else to its account/region, else `default`.
    /// Of several matching tags the first in order wins; an assignment to a missing profile
    /// is skipped.
    pub fn profile_for(&self, subject: &Subject<'_>) -> (NotificationProfile, String) {
        let find = |pred: &dyn Fn(&NotificationAssignment) -> bool| {
            let mut matching: Vec<&NotificationAssignment> =
                self.assignments.iter().filter(|a| pred(a)).collect();
            matching.sort();
            matching
                .into_iter()
                .find_map(|a| self.get(&a.profile).map(|p| (p, a.target())))
        };
        let tagged = |tags: Option<&BTreeMap<String, String>>| {
            let tags = tags?;
            find(&|a: &NotificationAssignment| {
                a.tag.as_deref().is_some_and(|t| {
                    t.split_once('=')
                        .is_some_and(|(k, v)| tags.get(k).is_some_and(|tv| tv == v))
                })
            })
        };
        subject
            .monitor_id
            .and_then(|m| find(&|a: &NotificationAssignment| a.monitor.as_deref() == Some(m)))
            .or_else(|| tagged(subject.tags))
            .or_else(|| {
                subject
                    .pool
                    .and_then(|p| find(&|a: &NotificationAssignment| a.pool.as_deref() == Some(p)))
            })
            .or_else(|| tagged(subject.pool_tags))
            .or_else(|| {
                subject
                    .scope
                    .as_deref()
                    .and_then(|s| find(&|a: &NotificationAssignment| a.scope.as_deref() == Some(s)))
            })
            .unwrap_or_else(|| {
                (
                    self.get(DEFAULT_NOTIFICATION_PROFILE)
                        .unwrap_or_else(NotificationProfile::stack_default),
                    DEFAULT_NOTIFICATION_PROFILE.to_string(),
                )
            })
    }

    /// Where `notice` about `subject` goes.
    pub fn route(&self, subject: &Subject<'_>, notice: Notice) -> Route {
        let (profile, by) = self.profile_for(subject);
        let destinations = if profile.wants(notice) {
            profile.destinations.clone()
        } else {
            Vec::new()
        };
        Route {
            profile: profile.name,
            by,
            destinations,
        }
    }
}

#[cfg(test)]
mod tests;
