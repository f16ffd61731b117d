//! Threshold profiles (the spec's "Threshold and Availability" profiles): per monitor type, a
//! set of thresholds on catalogue metrics, how many failed polls make a monitor down, and for
//! user pools the "Notify for Any Child Monitor Status Changes" switch. Profiles are assigned
//! to monitors by monitor id or by tag; otherwise the type's `default` profile applies.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::alerting::notification::Notifications;
use crate::inventory::catalogue;
use crate::inventory::monitor::{Monitor, MonitorKind};
pub use crate::severity::Severity;
use crate::trail::thresholds::{DetectionThresholds, InvalidThreshold};

/// The name of each monitor type's fallback profile.
pub const DEFAULT_PROFILE: &str = "default";

/// The profile set shipped with cognito-watch, loaded into DynamoDB on first run.
pub const SHIPPED_PROFILES: &str = include_str!("../../../../profiles/default.toml");

/// How a value is compared with a threshold (as CloudWatch alarms and the spec's thresholds
/// compare).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparator {
    /// Greater than (`>`).
    #[serde(rename = ">")]
    Gt,
    /// Greater than or equal (`>=`).
    #[serde(rename = ">=")]
    Ge,
    /// Less than (`<`).
    #[serde(rename = "<")]
    Lt,
    /// Less than or equal (`<=`).
    #[serde(rename = "<=")]
    Le,
    /// Equal (`=`).
    #[serde(rename = "=")]
    Eq,
    /// Not equal (`!=`).
    #[serde(rename = "!=")]
    Ne,
}

impl Comparator {
    /// Every comparator, in the order the CLI lists them.
    pub const ALL: [Comparator; 6] = [
        Comparator::Gt,
        Comparator::Ge,
        Comparator::Lt,
        Comparator::Le,
        Comparator::Eq,
        Comparator::Ne,
    ];

    /// The comparator as written in profiles: `>`, `>=`, `<`, `<=`, `=`, `!=`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::Gt => ">",
            Comparator::Ge => ">=",
            Comparator::Lt => "<",
            Comparator::Le => "<=",
            Comparator::Eq => "=",
            Comparator::Ne => "!=",
        }
    }

    /// Reads a comparator as written in profiles.
    pub fn parse(s: &str) -> Option<Comparator> {
        Comparator::ALL.into_iter().find(|c| c.symbol() == s)
    }

    /// Whether `value` breaches `threshold`. Equality is exact to 1e-9 (values are counts
    /// and percentages).
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        let eq = (value - threshold).abs() < 1e-9;
        match self {
            Comparator::Gt => value > threshold && !eq,
            Comparator::Ge => value > threshold || eq,
            Comparator::Lt => value < threshold && !eq,
            Comparator::Le => value < threshold || eq,
            Comparator::Eq => eq,
            Comparator::Ne => !eq,
        }
    }
}

impl fmt::Display for Comparator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

/// How a poll with no datapoint for a threshold's metric is judged (CloudWatch alarms'
/// `TreatMissingData`, less `missing`: cognito-watch has no insufficient-data state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MissingData {
    /// Not a breach: the breach streak ends (Cognito sends no datapoint when nothing happened,
    /// so a count with no data is zero).
    NotBreaching,
    /// A breach, as if the value crossed the threshold.
    Breaching,
    /// Nothing changes: the streak and the status stay what they were.
    Ignore,
}

impl MissingData {
    /// The choice as written in profiles: `notBreaching`, `breaching`, `ignore`.
    pub fn as_str(self) -> &'static str {
        match self {
            MissingData::NotBreaching => "notBreaching",
            MissingData::Breaching => "breaching",
            MissingData::Ignore => "ignore",
        }
    }

    /// Reads the choice as written in profiles.
    pub fn parse(s: &str) -> Option<MissingData> {
        [
            MissingData::NotBreaching,
            MissingData::Breaching,
            MissingData::Ignore,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(s.trim()))
    }

    /// Without a choice: a rate (a percentage) keeps its state, since one quiet poll says
    /// nothing about it; a count is not breaching.
    pub fn default_for(kind: MonitorKind, metric: &str) -> MissingData {
        match catalogue::find(kind, metric).map(|d| d.unit) {
            Some(catalogue::Unit::Percent) => MissingData::Ignore,
            _ => MissingData::NotBreaching,
        }
    }
}

impl fmt::Display for MissingData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One threshold on one metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    /// A catalogue metric id of the profile's monitor type.
    pub metric: String,
    /// How the metric's value is compared with `value`.
    pub comparator: Comparator,
    /// The threshold's value, in the metric's unit.
    pub value: f64,
    /// How bad a breach is: trouble or critical.
    pub severity: Severity,
    /// Breach only after this many consecutive polls breach (at least 1).
    #[serde(default = "one")]
    pub consecutive_polls: u32,
    /// How a poll with no data is judged (else the profile's choice, else by the metric:
    /// [`MissingData::default_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_data: Option<MissingData>,
}

impl Threshold {
    /// The key under which a monitor's breach streak for this threshold is kept.
    pub fn key(&self) -> String {
        format!("{}{}{}", self.metric, self.comparator, self.value)
    }

    /// Whether `value` breaches. No data (`None`) never breaches.
    pub fn breached_by(&self, value: Option<f64>) -> bool {
        value.is_some_and(|v| self.comparator.holds(v, self.value))
    }
}

/// A threshold profile for one monitor type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name, unique per monitor type.
    pub name: String,
    /// The monitor type it is for.
    pub kind: MonitorKind,
    /// What it is for, in a person's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// "Notify for Any Child Monitor Status Changes" (user pool profiles only).
    #[serde(default)]
    pub notify_child_status_changes: bool,
    /// A monitor whose poll fails this many consecutive times is down (default 2). A deleted
    /// resource is down at once.
    #[serde(default = "two")]
    pub down_after_failed_polls: u32,
    /// The profile of the same type this one overrides: its thresholds apply too, unless this
    /// profile sets one on the same metric and comparator or drops the metric (`without`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherits: Option<String>,
    /// Metrics whose inherited thresholds this profile drops.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub without: Vec<String>,
    /// How its thresholds judge a poll with no data, unless a threshold says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missing_data: Option<MissingData>,
    /// Its thresholds (`[[profile.threshold]]` in TOML).
    #[serde(default, rename = "threshold")]
    pub thresholds: Vec<Threshold>,
}

impl Profile {
    /// A profile with no thresholds and the defaults otherwise.
    pub fn empty(kind: MonitorKind, name: &str) -> Profile {
        Profile {
            name: name.to_string(),
            kind,
            description: None,
            notify_child_status_changes: false,
            down_after_failed_polls: 2,
            inherits: None,
            without: Vec::new(),
            missing_data: None,
            thresholds: Vec::new(),
        }
    }

    /// How `t` (one of this profile's thresholds) judges a poll with no data.
    pub fn missing_data(&self, t: &Threshold) -> MissingData {
        t.missing_data
            .or(self.missing_data)
            .unwrap_or_else(|| MissingData::default_for(self.kind, &t.metric))
    }

    /// Check every metric id against the catalogue and the numbers for sense.
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() {
            return Err(ProfileError::Invalid(format!(
                "a {} profile has no name",
                self.kind.label()
            )));
        }
        if self.notify_child_status_changes && self.kind != MonitorKind::UserPool {
            return Err(ProfileError::Invalid(format!(
                "profile {:?}: notify_child_status_changes is for user pool profiles only",
                self.name
            )));
        }
        if self.down_after_failed_polls == 0 {
            return Err(ProfileError::Invalid(format!(
                "profile {:?}: down_after_failed_polls must be at least 1",
                self.name
            )));
        }
        if self.inherits.as_deref() == Some(self.name.as_str()) {
            return Err(ProfileError::Invalid(format!(
                "profile {:?} inherits itself",
                self.name
            )));
        }
        if !self.without.is_empty() && self.inherits.is_none() {
            return Err(ProfileError::Invalid(format!(
                "profile {:?}: `without` drops inherited thresholds, but it inherits none",
                self.name
            )));
        }
        let metrics = self
            .thresholds
            .iter()
            .map(|t| t.metric.as_str())
            .chain(self.without.iter().map(String::as_str));
        for metric in metrics {
            if catalogue::find(self.kind, metric).is_none() {
                let known: Vec<_> = catalogue::metrics(self.kind)
                    .into_iter()
                    .map(|m| m.id)
                    .collect();
                return Err(ProfileError::UnknownMetric {
                    profile: self.name.clone(),
                    kind: self.kind,
                    metric: metric.to_string(),
                    known: known.join(", "),
                });
            }
        }
        for t in &self.thresholds {
            if t.consecutive_polls == 0 || !t.value.is_finite() {
                return Err(ProfileError::Invalid(format!(
                    "profile {:?}, metric {}: consecutive_polls must be at least 1 and value a number",
                    self.name, t.metric
                )));
            }
        }
        Ok(())
    }

    /// Add or replace the threshold on `metric` with the same comparator (an inherited one on
    /// that metric applies again if it was dropped).
    pub fn set(&mut self, threshold: Threshold) {
        self.without.retain(|m| *m != threshold.metric);
        match self
            .thresholds
            .iter_mut()
            .find(|t| t.metric == threshold.metric && t.comparator == threshold.comparator)
        {
            Some(t) => *t = threshold,
            None => self.thresholds.push(threshold),
        }
    }

    /// Remove every threshold on `metric` (an inheriting profile also drops the inherited
    /// ones); returns how many of its own were removed.
    pub fn unset(&mut self, metric: &str) -> usize {
        let before = self.thresholds.len();
        self.thresholds.retain(|t| t.metric != metric);
        if self.inherits.is_some() && !self.without.iter().any(|m| m == metric) {
            self.without.push(metric.to_string());
        }
        before - self.thresholds.len()
    }
}

/// What a profile is assigned to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// A monitor id, e.g. `appclient/<pool>/<client>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitor: Option<String>,
    /// A tag, `key=value`. A user pool's tags also select its children.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The profile it assigns.
    pub profile: String,
}

impl Assignment {
    /// The stable key of what the assignment selects.
    pub fn selector(&self) -> Result<String, ProfileError> {
        match (&self.monitor, &self.tag) {
            (Some(m), None) => Ok(format!("monitor#{m}")),
            (None, Some(t)) if t.contains('=') => Ok(format!("tag#{t}")),
            _ => Err(ProfileError::Invalid(format!(
                "an assignment needs exactly one of monitor = \"<id>\" or tag = \"key=value\" (profile {:?})",
                self.profile
            ))),
        }
    }
}

/// Why a profile file or a change to it is refused.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ProfileError {
    /// A threshold names a metric the monitor type does not have.
    #[error("profile {profile:?}: {metric:?} is not a {} metric; known: {known}", kind.label())]
    UnknownMetric {
        /// The profile's name.
        profile: String,
        /// Its monitor type.
        kind: MonitorKind,
        /// The unknown metric.
        metric: String,
        /// The type's metrics, listed.
        known: String,
    },
    /// Anything else that does not hold, said in a sentence.
    #[error("{0}")]
    Invalid(String),
    /// The file is not TOML of the profile file's shape.
    #[error("cannot read the profile file: {0}")]
    Parse(#[source] toml::de::Error),
    /// The profiles could not be written as TOML.
    #[error("cannot write the profile file: {0}")]
    Write(#[source] toml::ser::Error),
    /// A detection threshold is out of its range.
    #[error(transparent)]
    Detections(#[from] InvalidThreshold),
}

/// Every profile and assignment: what the evaluator needs to pick a profile for a monitor.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSet {
    /// The threshold profiles (`[[profile]]` in TOML).
    #[serde(default, rename = "profile")]
    pub profiles: Vec<Profile>,
    /// What each is assigned to (`[[assignment]]` in TOML).
    #[serde(default, rename = "assignment")]
    pub assignments: Vec<Assignment>,
    /// The trail function's security detection thresholds (per 5-minute window).
    #[serde(default)]
    pub detections: DetectionThresholds,
    /// Notification profiles and their assignments (`[notifications]`).
    #[serde(default, skip_serializing_if = "Notifications::is_empty")]
    pub notifications: Notifications,
}

impl ProfileSet {
    /// Parse and validate a profile file (TOML).
    pub fn from_toml(text: &str) -> Result<ProfileSet, ProfileError> {
        let set: ProfileSet = toml::from_str(text).map_err(ProfileError::Parse)?;
        set.validate()?;
        Ok(set)
    }

    /// The set as a profile file (TOML).
    pub fn to_toml(&self) -> Result<String, ProfileError> {
        toml::to_string_pretty(self).map_err(ProfileError::Write)
    }

    /// The shipped defaults.
    pub fn shipped() -> Result<ProfileSet, ProfileError> {
        ProfileSet::from_toml(SHIPPED_PROFILES)
    }

    /// Checks names are unique, parents exist without cycles, detections are in range and
    /// assignments select something.
    pub fn validate(&self) -> Result<(), ProfileError> {
        let mut seen = std::collections::BTreeSet::new();
        for p in &self.profiles {
            p.validate()?;
            if !seen.insert((p.kind, p.name.as_str())) {
                return Err(ProfileError::Invalid(format!(
                    "two {} profiles are named {:?}",
                    p.kind.label(),
                    p.name
                )));
            }
        }
        for p in &self.profiles {
            self.chain(p)?;
        }
        self.detections.validate()?;
        self.notifications.validate()?;
        for a in &self.assignments {
            a.selector()?;
            if !self.profiles.iter().any(|p| p.name == a.profile) {
                return Err(ProfileError::Invalid(format!(
                    "assignment to profile {:?}, which no monitor type has",
                    a.profile
                )));
            }
        }
        Ok(())
    }

    /// The profile of `kind` named `name`.
    pub fn get(&self, kind: MonitorKind, name: &str) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.kind == kind && p.name == name)
    }

    /// `p` and the profiles it inherits from, nearest first; an error for a parent that does
    /// not exist (for its type) or a cycle.
    pub fn chain<'a>(&'a self, p: &'a Profile) -> Result<Vec<&'a Profile>, ProfileError> {
        let mut chain = vec![p];
        let mut at = p;
        while let Some(parent) = at.inherits.as_deref() {
            let next = self.get(p.kind, parent).ok_or_else(|| {
                ProfileError::Invalid(format!(
                    "{} profile {:?} inherits {parent:?}, which is not a {} profile",
                    p.kind.label(),
                    at.name,
                    p.kind.label()
                ))
            })?;
            if chain.iter().any(|c| c.name == next.name) {
                let names: Vec<&str> = chain.iter().map(|c| c.name.as_str()).collect();
                return Err(ProfileError::Invalid(format!(
                    "{} profiles inherit in a circle: {} → {}",
                    p.kind.label(),
                    names.join(" → "),
                    next.name
                )));
            }
            chain.push(next);
            at = next;
        }
        Ok(chain)
    }

    /// What `p` applies: its ancestors' thresholds, each profile's `without` dropping what it
    /// inherits and its own thresholds replacing those on the same metric and comparator;
    /// each threshold's missing-data choice resolved (its own, else the nearest profile's in
    /// the chain, else the metric's default). The rest of `p` is its own. With a broken chain (see [`ProfileSet::chain`]) only `p`'s own thresholds.
    pub fn effective(&self, p: &Profile) -> Profile {
        let Ok(chain) = self.chain(p) else {
            return p.clone();
        };
        let mut thresholds: Vec<Threshold> = Vec::new();
        for profile in chain.iter().rev() {
            thresholds.retain(|t| !profile.without.contains(&t.metric));
            for t in profile.thresholds.iter().cloned() {
                match thresholds
                    .iter_mut()
                    .find(|o| o.metric == t.metric && o.comparator == t.comparator)
                {
                    Some(o) => *o = t,
                    None => thresholds.push(t),
                }
            }
        }
        // A threshold's own choice, else the nearest profile's, else the metric's default.
        let nearest = chain.iter().find_map(|c| c.missing_data);
        for t in &mut thresholds {
            t.missing_data = Some(
                t.missing_data
                    .or(nearest)
                    .unwrap_or_else(|| MissingData::default_for(p.kind, &t.metric)),
            );
        }
        Profile {
            thresholds,
            ..p.clone()
        }
    }

    /// Where each of `p`'s effective thresholds comes from: the profile that set it.
    pub fn origins(&self, p: &Profile) -> Vec<(Threshold, String)> {
        let chain = self.chain(p).unwrap_or_else(|_| vec![p]);
        self.effective(p)
            .thresholds
            .into_iter()
            .map(|t| {
                let from = chain
                    .iter()
                    .find(|c| {
                        c.thresholds
                            .iter()
                            .any(|o| o.metric == t.metric && o.comparator == t.comparator)
                    })
                    .map_or_else(|| p.name.clone(), |c| c.name.clone());
                (t, from)
            })
            .collect()
    }

    /// The profile for `monitor`: assigned by monitor id, else by one of its tags (a child
    /// also matches its user pool's tags, `pool_tags`), else its type's default, else an empty
    /// profile. An assignment to a profile the monitor's type lacks is skipped.
    pub fn resolve(&self, monitor: &Monitor, pool_tags: &BTreeMap<String, String>) -> Profile {
        let by_id = self
            .assignments
            .iter()
            .filter(|a| a.monitor.as_deref() == Some(monitor.monitor_id.as_str()))
            .find_map(|a| self.get(monitor.kind, &a.profile));
        let tag_matches = |tags: &BTreeMap<String, String>| {
            let mut matching: Vec<&Assignment> = self
                .assignments
                .iter()
                .filter(|a| {
                    a.tag.as_deref().is_some_and(|t| {
                        t.split_once('=')
                            .is_some_and(|(k, v)| tags.get(k).is_some_and(|tv| tv == v))
                    })
                })
                .collect();
            matching.sort();
            matching
                .into_iter()
                .find_map(|a| self.get(monitor.kind, &a.profile))
        };
        by_id
            .or_else(|| tag_matches(&monitor.tags))
            .or_else(|| tag_matches(pool_tags))
            .or_else(|| self.get(monitor.kind, DEFAULT_PROFILE))
            .map(|p| self.effective(p))
            .unwrap_or_else(|| Profile::empty(monitor.kind, DEFAULT_PROFILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::monitor::{MonitorDetails, MonitorId, UserPoolDetails};
    use proptest::prelude::*;

    #[test]
    fn each_comparator_holds_where_it_should() {
        let cases = [
            (Comparator::Gt, [false, false, true]),
            (Comparator::Ge, [false, true, true]),
            (Comparator::Lt, [true, false, false]),
            (Comparator::Le, [true, true, false]),
            (Comparator::Eq, [false, true, false]),
            (Comparator::Ne, [true, false, true]),
        ];
        for (c, expect) in cases {
            let got = [9.0, 10.0, 11.0].map(|v| c.holds(v, 10.0));
            assert_eq!(got, expect, "{c}");
            assert_eq!(Comparator::parse(c.symbol()), Some(c));
        }
    }

    #[test]
    fn no_data_never_breaches() {
        for comparator in Comparator::ALL {
            let t = Threshold {
                metric: "SignInFailed".into(),
                comparator,
                value: 0.0,
                severity: Severity::Critical,
                consecutive_polls: 1,
                missing_data: None,
            };
            assert!(!t.breached_by(None), "{comparator}");
        }
    }

    #[test]
    fn the_shipped_profiles_are_valid_and_carry_the_cubeapm_and_aws_alarms() {
        let set = ProfileSet::shipped().expect("valid");
        for kind in MonitorKind::ALL {
            assert!(set.get(kind, DEFAULT_PROFILE).is_some(), "{kind:?}");
        }
        let client = set.get(MonitorKind::AppClient, DEFAULT_PROFILE).unwrap();
        let has = |m: &str, c: Comparator, v: f64| {
            client
                .thresholds
                .iter()
                .any(|t| t.metric == m && t.comparator == c && t.value == v)
        };
        assert!(has("SignInFailurePercentage", Comparator::Gt, 20.0));
        assert!(has("SignInThrottlesPeakMinute", Comparator::Gt, 100.0));
        assert!(has("TokenRefreshFailed", Comparator::Gt, 50.0));
        assert!(has("SignInThrottledMinutes", Comparator::Ge, 5.0));
        assert!(has("SignUpThrottledMinutes", Comparator::Ge, 5.0));
        assert!(has("TokenRefreshThrottledMinutes", Comparator::Ge, 5.0));
        let idp = set
            .get(MonitorKind::IdentityProvider, DEFAULT_PROFILE)
            .unwrap();
        assert!(idp
            .thresholds
            .iter()
            .any(|t| t.metric == "FederationThrottledMinutes"));
        assert!(
            set.get(MonitorKind::UserPool, DEFAULT_PROFILE)
                .unwrap()
                .notify_child_status_changes
        );
        let round = ProfileSet::from_toml(&set.to_toml().unwrap()).unwrap();
        assert_eq!(round, set);
    }

    #[test]
    fn unknown_metrics_are_rejected_with_the_known_ones() {
        let mut p = Profile::empty(MonitorKind::IdentityProvider, "x");
        p.set(Threshold {
            metric: "SignInFailed".into(),
            comparator: Comparator::Gt,
            value: 1.0,
            severity: Severity::Trouble,
            missing_data: None,
            consecutive_polls: 1,
        });
        let err = p.validate().unwrap_err().to_string();
        assert!(err.contains("FederationFailed"), "{err}");
    }

    fn pool(tags: &[(&str, &str)]) -> Monitor {
        let mut m = Monitor::new(
            &MonitorId::UserPool { pool: "p".into() },
            "p".into(),
            "1",
            "r",
            MonitorDetails::UserPool(UserPoolDetails::default()),
            chrono::Utc::now(),
        );
        m.tags = tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        m
    }

    #[test]
    fn a_profile_inheriting_the_default_changes_one_threshold_and_keeps_the_others() {
        let mut set = ProfileSet::shipped().unwrap();
        let default = set
            .get(MonitorKind::UserPool, DEFAULT_PROFILE)
            .unwrap()
            .clone();
        assert!(default.thresholds.len() >= 2, "{default:?}");
        let first = default.thresholds[0].clone();
        let mut quiet = Profile::empty(MonitorKind::UserPool, "quiet");
        quiet.inherits = Some(DEFAULT_PROFILE.into());
        quiet.set(Threshold {
            value: first.value * 10.0 + 1.0,
            ..first.clone()
        });
        set.profiles.push(quiet.clone());
        set.assignments.push(Assignment {
            monitor: Some("userpool/p".into()),
            tag: None,
            profile: "quiet".into(),
        });
        set.validate().unwrap();
        let resolved = set.resolve(&pool(&[]), &BTreeMap::new());
        assert_eq!(resolved.name, "quiet");
        assert_eq!(resolved.thresholds.len(), default.thresholds.len());
        let changed = resolved
            .thresholds
            .iter()
            .find(|t| t.metric == first.metric && t.comparator == first.comparator)
            .unwrap();
        assert_eq!(changed.value, first.value * 10.0 + 1.0);
        let origins = set.origins(&quiet);
        assert_eq!(
            origins.iter().filter(|(_, from)| from == "quiet").count(),
            1
        );
        // Removing a metric from the inheriting profile drops the inherited threshold too.
        let mut without = quiet.clone();
        without.unset(&default.thresholds[1].metric);
        let i = set.profiles.iter().position(|p| p.name == "quiet").unwrap();
        set.profiles[i] = without;
        let resolved = set.resolve(&pool(&[]), &BTreeMap::new());
        assert!(resolved
            .thresholds
            .iter()
            .all(|t| t.metric != default.thresholds[1].metric));
    }

    #[test]
    fn inheritance_from_nowhere_or_in_a_circle_is_refused() {
        let mut set = ProfileSet::default();
        let mut a = Profile::empty(MonitorKind::AppClient, "a");
        a.inherits = Some("b".into());
        set.profiles.push(a.clone());
        let err = set.validate().unwrap_err().to_string();
        assert!(err.contains("inherits \"b\", which is not a"), "{err}");
        let mut b = Profile::empty(MonitorKind::AppClient, "b");
        b.inherits = Some("a".into());
        set.profiles.push(b);
        let err = set.validate().unwrap_err().to_string();
        assert!(err.contains("in a circle"), "{err}");
        // A broken chain applies the profile's own thresholds, never panics.
        assert_eq!(set.effective(&a).thresholds, vec![]);
    }

    #[test]
    fn assignment_by_id_beats_tag_beats_default() {
        let mut set = ProfileSet::default();
        for name in ["default", "strict", "mine"] {
            set.profiles
                .push(Profile::empty(MonitorKind::UserPool, name));
        }
        set.assignments.push(Assignment {
            monitor: None,
            tag: Some("env=prod".into()),
            profile: "strict".into(),
        });
        let none = BTreeMap::new();
        assert_eq!(set.resolve(&pool(&[]), &none).name, "default");
        assert_eq!(set.resolve(&pool(&[("env", "prod")]), &none).name, "strict");
        assert_eq!(set.resolve(&pool(&[("env", "dev")]), &none).name, "default");
        set.assignments.push(Assignment {
            monitor: Some("userpool/p".into()),
            tag: None,
            profile: "mine".into(),
        });
        assert_eq!(set.resolve(&pool(&[("env", "prod")]), &none).name, "mine");
        // A profile the kind lacks falls back.
        let client = Monitor::new(
            &MonitorId::AppClient {
                pool: "p".into(),
                client_id: "c".into(),
            },
            "c".into(),
            "1",
            "r",
            MonitorDetails::UserPool(UserPoolDetails::default()),
            chrono::Utc::now(),
        );
        let prod: BTreeMap<_, _> = [("env".to_string(), "prod".to_string())].into();
        assert_eq!(set.resolve(&client, &prod).name, "default");
        assert!(set.resolve(&client, &prod).thresholds.is_empty());
    }

    proptest! {
        #[test]
        fn exactly_one_of_a_comparator_and_its_negation_holds(v in -1e6f64..1e6, t in -1e6f64..1e6) {
            prop_assert_ne!(Comparator::Gt.holds(v, t), Comparator::Le.holds(v, t));
            prop_assert_ne!(Comparator::Lt.holds(v, t), Comparator::Ge.holds(v, t));
            prop_assert_ne!(Comparator::Eq.holds(v, t), Comparator::Ne.holds(v, t));
        }
    }

    /// Defect: a profile file that does not parse kept only the parser's message, so
    /// the cause was lost to callers that walk the error chain.
    #[test]
    fn a_profile_file_that_does_not_parse_keeps_its_cause() {
        let e = ProfileSet::from_toml("[[profile]\nname = ").expect_err("not TOML");
        let source = std::error::Error::source(&e).expect("the TOML error as the source");
        assert!(e.to_string().contains(&source.to_string()), "{e}");
    }
}
