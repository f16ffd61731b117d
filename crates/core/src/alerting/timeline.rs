//! The timeline of a monitor or a pool: its status changes, outages opened and closed (with
//! their comments), the alerts sent, and the trail's detections, in time order.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::alerting::availability::{duration_text, Transition};
use crate::alerting::status::{Alert, Outage, Status};
use crate::trail::detect::Finding;

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum What {
    /// The monitor's status changed.
    StatusChanged {
        /// From.
        from: Status,
        /// To.
        to: Status,
        /// Why (none for a recovery).
        reasons: Vec<String>,
    },
    /// An outage opened.
    OutageOpened {
        /// Why.
        reason: String,
    },
    /// An outage closed.
    OutageClosed {
        /// How long it lasted, in seconds.
        seconds: i64,
        /// Its worst status.
        worst: Status,
        /// The operator's comment.
        comment: Option<String>,
    },
    /// An alert was published (or is waiting to be).
    Alert {
        /// From.
        from: Status,
        /// To.
        to: Status,
        /// Its delivery state (`sent`, `pending`, ...).
        delivery: String,
    },
    /// A security detection of the trail.
    Detection {
        /// Its kind (`brute_force`, ...).
        kind: String,
        /// Its severity.
        severity: String,
        /// What it saw.
        facts: Vec<String>,
    },
}

/// One line of a timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    /// When.
    pub at: DateTime<Utc>,
    /// The monitor it concerns (none for a pool's detection).
    pub monitor_id: Option<String>,
    /// What it concerns, as people name it (the monitor's or the pool's name).
    pub name: String,
    /// What happened.
    #[serde(flatten)]
    pub what: What,
}

impl Entry {
    /// The entry's kind in one word: `status`, `outage`, `alert`, `detection`.
    pub fn kind(&self) -> &'static str {
        match self.what {
            What::StatusChanged { .. } => "status",
            What::OutageOpened { .. } | What::OutageClosed { .. } => "outage",
            What::Alert { .. } => "alert",
            What::Detection { .. } => "detection",
        }
    }

    /// What happened in one line.
    pub fn text(&self) -> String {
        match &self.what {
            What::StatusChanged { from, to, reasons } if reasons.is_empty() => {
                format!("{from} → {to}")
            }
            What::StatusChanged { from, to, reasons } => {
                format!("{from} → {to}: {}", reasons.join("; "))
            }
            What::OutageOpened { reason } => format!("outage opened: {reason}"),
            What::OutageClosed {
                seconds,
                worst,
                comment,
            } => format!(
                "outage closed after {} (worst {worst}){}",
                duration_text(*seconds),
                comment
                    .as_deref()
                    .map(|c| format!("; comment: {c}"))
                    .unwrap_or_default()
            ),
            What::Alert { from, to, delivery } => {
                format!("alert {from} → {to} ({delivery})")
            }
            What::Detection {
                kind,
                severity,
                facts,
            } => format!("detection {kind} ({severity}): {}", facts.join("; ")),
        }
    }
}

/// What a timeline is made of; each part already narrowed to the monitor or pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts<'a> {
    /// Status transitions.
    pub transitions: &'a [Transition],
    /// Outages.
    pub outages: &'a [Outage],
    /// Alerts, each with its delivery state.
    pub alerts: &'a [(Alert, String)],
    /// The trail's detections, each with the name of the pool it concerns.
    pub detections: &'a [(Finding, String)],
}

/// The timeline from `start` on, oldest first (an outage open at `start` shows its opening
/// only if it opened in the period, its closing if it closed in it).
pub fn timeline(parts: Parts<'_>, start: DateTime<Utc>) -> Vec<Entry> {
    let mut out = Vec::new();
    for t in parts.transitions.iter().filter(|t| t.at >= start) {
        out.push(Entry {
            at: t.at,
            monitor_id: Some(t.monitor_id.clone()),
            name: t.name.clone(),
            what: What::StatusChanged {
                from: t.from,
                to: t.to,
                reasons: t.reasons.clone(),
            },
        });
    }
    for o in parts.outages {
        if o.started_at >= start {
            out.push(Entry {
                at: o.started_at,
                monitor_id: Some(o.monitor_id.clone()),
                name: o.name.clone(),
                what: What::OutageOpened {
                    reason: o.reason.clone(),
                },
            });
        }
        if let Some(end) = o.ended_at.filter(|e| *e >= start) {
            out.push(Entry {
                at: end,
                monitor_id: Some(o.monitor_id.clone()),
                name: o.name.clone(),
                what: What::OutageClosed {
                    seconds: (end - o.started_at).num_seconds(),
                    worst: o.status,
                    comment: o.comment.clone(),
                },
            });
        }
    }
    for (a, delivery) in parts.alerts.iter().filter(|(a, _)| a.at >= start) {
        out.push(Entry {
            at: a.at,
            monitor_id: Some(a.monitor_id.clone()),
            name: a.name.clone(),
            what: What::Alert {
                from: a.from,
                to: a.to,
                delivery: delivery.clone(),
            },
        });
    }
    for (f, pool) in parts.detections {
        if f.window < start {
            continue;
        }
        out.push(Entry {
            at: f.window,
            monitor_id: None,
            name: pool.clone(),
            what: What::Detection {
                kind: f.detection.kind().to_string(),
                severity: f.detection.severity().to_string(),
                facts: f.detection.facts(),
            },
        });
    }
    // Same instant: the change first, then its outage, its alert, then detections.
    out.sort_by_key(|e| {
        let order = match e.what {
            What::StatusChanged { .. } => 0,
            What::OutageOpened { .. } | What::OutageClosed { .. } => 1,
            What::Alert { .. } => 2,
            What::Detection { .. } => 3,
        };
        (e.at, order, e.name.clone())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerting::availability::Transition;
    use crate::inventory::monitor::MonitorKind;
    use chrono::{Duration, TimeZone};

    fn t(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap() + Duration::minutes(m)
    }

    #[test]
    fn a_timeline_is_in_time_order_with_each_change_before_what_it_caused() {
        let moved = |at, from, to, number| Transition {
            monitor_id: "appclient/p/c".into(),
            kind: MonitorKind::AppClient,
            name: "web".into(),
            at,
            from,
            to,
            number,
            reasons: if to == Status::Up {
                vec![]
            } else {
                vec!["Sign In Failure Percentage = 45 (threshold > 20, critical, 3 consecutive polls)".into()]
            },
        };
        let transitions = vec![
            moved(t(10), Status::Up, Status::Critical, 1),
            moved(t(40), Status::Critical, Status::Up, 2),
        ];
        let outages = vec![Outage {
            monitor_id: "appclient/p/c".into(),
            kind: MonitorKind::AppClient,
            name: "web".into(),
            account: "123456789012".into(),
            region: "eu-west-1".into(),
            user_pool_id: Some("p".into()),
            started_at: t(10),
            ended_at: Some(t(40)),
            status: Status::Critical,
            reason: "Sign In Failure Percentage = 45".into(),
            comment: Some("bad deploy, rolled back".into()),
        }];
        let entries = timeline(
            Parts {
                transitions: &transitions,
                outages: &outages,
                ..Parts::default()
            },
            t(0),
        );
        let lines: Vec<(i64, &str, String)> = entries
            .iter()
            .map(|e| ((e.at - t(0)).num_minutes(), e.kind(), e.text()))
            .collect();
        assert_eq!(lines.len(), 4, "{lines:#?}");
        assert_eq!(lines[0].0, 10);
        assert_eq!(lines[0].1, "status");
        assert!(
            lines[0].2.starts_with("Up → Critical: Sign In Failure"),
            "{lines:#?}"
        );
        assert_eq!(lines[1].1, "outage");
        assert_eq!(lines[2], (40, "status", "Critical → Up".to_string()));
        assert_eq!(
            lines[3].2,
            "outage closed after 30m (worst Critical); comment: bad deploy, rolled back"
        );
        // A period that starts after the opening shows the closing only.
        let later = timeline(
            Parts {
                transitions: &transitions,
                outages: &outages,
                ..Parts::default()
            },
            t(20),
        );
        assert_eq!(later.len(), 2);
        assert!(later.iter().all(|e| e.at == t(40)));
    }
}
