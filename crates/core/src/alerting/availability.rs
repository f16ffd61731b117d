//! Availability: the share of a period each monitor (and each pool, account and region) was
//! up, from the durable record of its status transitions, never from the polls that happened
//! to run.
//!
//! - A monitor's status is known from the moment its transitions are recorded: its first
//!   sighting, or for a monitor judged before the record existed (an upgraded stack), the start
//!   of the status it was in then. Time before that, and for a monitor never judged, is
//!   *unknown* and is left out of the percentage.
//! - A roll-up (a pool with its children, an account and region) is up only while every one of
//!   its monitors whose status is known is up: at each instant its status is the worst of
//!   theirs, the same rule as the pool's propagated status. Unknown while none is known.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::alerting::status::{MonitorStatus, Status};
use crate::inventory::monitor::MonitorKind;

/// How long transitions are kept unless the stack says otherwise (`TransitionRetentionDays`):
/// longer than the longest period the views offer (90 days).
pub const DEFAULT_RETENTION_DAYS: i64 = 400;

/// The longest period the availability and timeline views offer, in days.
pub const LONGEST_PERIOD_DAYS: i64 = 90;

/// One status change of a monitor, as the evaluator records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    /// The monitor's id.
    pub monitor_id: String,
    /// The monitor's kind.
    pub kind: MonitorKind,
    /// The monitor's name.
    pub name: String,
    /// When it changed.
    pub at: DateTime<Utc>,
    /// The status it left.
    pub from: Status,
    /// The status it entered.
    pub to: Status,
    /// The monitor's count of transitions with this one (1: its first ever).
    pub number: u64,
    /// Why, in words (none for a recovery).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

/// A stretch of time in one status (`None`: unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment {
    /// Its start.
    pub start: DateTime<Utc>,
    /// Its end (excluded).
    pub end: DateTime<Utc>,
    /// The status, or None where the record does not tell.
    pub status: Option<Status>,
}

/// Time per status over a period, in seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Durations {
    /// Seconds up.
    pub up: i64,
    /// Seconds in trouble.
    pub trouble: i64,
    /// Seconds critical.
    pub critical: i64,
    /// Seconds down.
    pub down: i64,
    /// Seconds the record does not cover.
    pub unknown: i64,
}

impl Durations {
    fn add(&mut self, status: Option<Status>, seconds: i64) {
        let slot = match status {
            Some(Status::Up) => &mut self.up,
            Some(Status::Trouble) => &mut self.trouble,
            Some(Status::Critical) => &mut self.critical,
            Some(Status::Down) => &mut self.down,
            None => &mut self.unknown,
        };
        *slot += seconds;
    }

    /// Seconds whose status is known.
    pub fn known(&self) -> i64 {
        self.up + self.trouble + self.critical + self.down
    }

    /// Seconds in a status.
    pub fn of(&self, status: Status) -> i64 {
        match status {
            Status::Up => self.up,
            Status::Trouble => self.trouble,
            Status::Critical => self.critical,
            Status::Down => self.down,
        }
    }

    /// The share of the known time spent up, in percent; None when nothing is known.
    pub fn availability(&self) -> Option<f64> {
        let known = self.known();
        (known > 0).then(|| self.up as f64 * 100.0 / known as f64)
    }
}

/// What the record says of one monitor over a period.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// From when its transitions are recorded ([`recorded_since`]).
    pub since: DateTime<Utc>,
    /// Its status now.
    pub now: Status,
    /// Its transitions from the period's start on, in any order (none of them has expired:
    /// transitions are kept longer than the longest period).
    pub transitions: &'a [&'a Transition],
}

impl<'a> Record<'a> {
    /// The record of a monitor the evaluator has judged; None for one it never has.
    pub fn of(
        status: Option<&MonitorStatus>,
        first_seen: DateTime<Utc>,
        transitions: &'a [&'a Transition],
    ) -> Option<Record<'a>> {
        status.map(|s| Record {
            since: recorded_since(Some(s), first_seen),
            now: s.status,
            transitions,
        })
    }
}

/// From when a monitor's transitions are recorded: since it was first seen for a monitor
/// judged by an evaluator that records them; for one judged before (a stack upgraded), since
/// its current status began, or since first seen if it never moved.
pub fn recorded_since(status: Option<&MonitorStatus>, first_seen: DateTime<Utc>) -> DateTime<Utc> {
    match status {
        None => first_seen,
        Some(s) => s.recorded_since.unwrap_or(if s.transitions == 0 {
            first_seen
        } else {
            s.since
        }),
    }
}

/// A monitor's status over `[start, end)` as segments, in time order, covering the period
/// (unknown where the record does not tell, or for a monitor never judged).
pub fn segments(
    record: Option<&Record<'_>>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<Segment> {
    let mut changes: Vec<(DateTime<Utc>, Option<Status>)> = vec![(start, None)];
    if let Some(record) = record {
        let mut kept: Vec<&Transition> = record
            .transitions
            .iter()
            .copied()
            .filter(|t| t.at >= record.since)
            .collect();
        kept.sort_by_key(|t| (t.at, t.number));
        // Before its first transition of the period, a monitor was in the status it left.
        let initial = kept.first().map_or(record.now, |t| t.from);
        changes.push((record.since, Some(initial)));
        changes.extend(kept.iter().map(|t| (t.at, Some(t.to))));
    }
    let mut out: Vec<Segment> = Vec::new();
    for (i, (at, status)) in changes.iter().enumerate() {
        let next = changes.get(i + 1).map_or(end, |(t, _)| *t);
        let (from, to) = ((*at).max(start), next.min(end));
        if from >= to {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.status == *status && last.end == from => last.end = to,
            _ => out.push(Segment {
                start: from,
                end: to,
                status: *status,
            }),
        }
    }
    out
}

/// Time per status in segments (summed to the millisecond, then rounded to the second: a
/// period that starts mid-second loses nothing).
pub fn durations(segments: &[Segment]) -> Durations {
    let mut ms: BTreeMap<Option<Status>, i64> = BTreeMap::new();
    for s in segments {
        *ms.entry(s.status).or_default() += (s.end - s.start).num_milliseconds();
    }
    let mut d = Durations::default();
    for (status, total) in ms {
        d.add(status, (total + 500).div_euclid(1000));
    }
    d
}

/// The roll-up of several monitors' segments over `[start, end)`: at each instant the worst
/// status among the monitors whose status is known, unknown while none is.
pub fn roll_up(members: &[Vec<Segment>], start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Segment> {
    // Each member's status changes as events; counts per status give the worst at any time.
    let mut events: BTreeMap<DateTime<Utc>, Vec<(usize, Option<Status>)>> = BTreeMap::new();
    for (i, segs) in members.iter().enumerate() {
        for s in segs {
            events.entry(s.start).or_default().push((i, s.status));
        }
    }
    let mut current: Vec<Option<Status>> = vec![None; members.len()];
    let mut counts: BTreeMap<Status, usize> = BTreeMap::new();
    let mut out: Vec<Segment> = Vec::new();
    let times: Vec<DateTime<Utc>> = events.keys().copied().collect();
    for (k, at) in times.iter().enumerate() {
        for (i, status) in &events[at] {
            if let Some(old) = current[*i] {
                if let Some(n) = counts.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        counts.remove(&old);
                    }
                }
            }
            if let Some(new) = status {
                *counts.entry(*new).or_default() += 1;
            }
            current[*i] = *status;
        }
        let worst = counts.keys().next_back().copied();
        let next = times.get(k + 1).copied().unwrap_or(end);
        let (from, to) = ((*at).max(start), next.min(end));
        if from >= to {
            continue;
        }
        match out.last_mut() {
            Some(last) if last.status == worst && last.end == from => last.end = to,
            _ => out.push(Segment {
                start: from,
                end: to,
                status: worst,
            }),
        }
    }
    if out.is_empty() && start < end {
        out.push(Segment {
            start,
            end,
            status: None,
        });
    }
    out
}

/// The roll-up rule, as the views state it.
pub const ROLL_UP_RULE: &str = "a pool, or an account and region, is up while every monitor in \
it whose status is known is up; otherwise it is in the worst of their statuses; time no record \
covers is left out";

/// Availability as people read it: `99.95%`, or `no record`.
pub fn percent_text(d: &Durations) -> String {
    match d.availability() {
        None => "no record".into(),
        Some(p) if p >= 100.0 => "100%".into(),
        // Never rounded up to 100%: any time not up shows.
        Some(p) => format!("{:.2}%", (p * 100.0).floor() / 100.0),
    }
}

/// A duration as people read it: `0s`, `4m`, `2h 5m`, `3d 4h`.
pub fn duration_text(seconds: i64) -> String {
    let d = Duration::seconds(seconds.max(0));
    let (days, hours, minutes) = (d.num_days(), d.num_hours() % 24, d.num_minutes() % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{}s", d.num_seconds()),
        (0, 0, m) => format!("{m}m"),
        (0, h, 0) => format!("{h}h"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, 0, _) => format!("{d}d"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests;
