//! The trail's evidence for a status alert: when the evaluator alerts on a user pool or an app
//! client, the alert carries what CloudTrail saw in the same period — the top failing source
//! IPs, the top error codes, about how many distinct users failed, and the detections raised
//! for that pool — or says in one line why it cannot.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::status::{Alert, Status};
use crate::inventory::monitor::MonitorId;
use crate::trail::detect::Finding;
use crate::trail::record::window_of;
use crate::trail::tally::{Counts, TallyId, TallyKey};

/// The period an alert's evidence covers: the 5-minute window of the alert and the two
/// before it (the metric windows that made the alert end inside them).
pub const PERIOD_WINDOWS: i64 = 3;
/// How many failing IPs, error codes and detections an alert names.
pub const TOP: usize = 5;

/// One named count (an address, an error code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Top {
    /// The address or error code.
    pub name: String,
    /// How many failures it had.
    pub count: u64,
}

/// A detection raised for the pool in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenDetection {
    /// The detection's kind (`brute_force`, ...).
    pub detection: String,
    /// Its title, as its alert's subject says it.
    pub title: String,
    /// The start of its window.
    pub window: DateTime<Utc>,
    /// Its alert's id.
    pub alert_id: String,
}

/// What the trail saw of a pool (and app client) in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The start of the period.
    pub from: DateTime<Utc>,
    /// Its end.
    pub to: DateTime<Utc>,
    /// The app client the alert is on, when it is on one: its own requests and failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Requests in the period (the client's, when on a client).
    pub requests: u64,
    /// Failed requests in the period (the client's, when on a client).
    pub failures: u64,
    /// The addresses with the most failures, most first.
    pub failing_ips: Vec<Top>,
    /// The error codes answered most, most first.
    pub error_codes: Vec<Top>,
    /// About how many distinct users failed in the pool (never more than its failures).
    pub distinct_users_failing: usize,
    /// The detections raised for the pool in the period.
    pub detections: Vec<OpenDetection>,
}

/// The evidence an alert carries, or why it has none.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "trail", rename_all = "snake_case")]
pub enum TrailEvidence {
    /// The evaluator has no trail table (`TRAIL_TABLE` unset).
    NotWired,
    /// No CloudTrail record of the pool ever reached the trail function.
    NoRecords {
        /// The pool.
        pool: String,
    },
    /// What the trail saw.
    Seen(Evidence),
    /// The trail table could not be read; the alert goes out without its evidence.
    Unavailable {
        /// Why it could not be read.
        reason: String,
    },
}

impl TrailEvidence {
    /// The lines the alert's text carries.
    pub fn lines(&self) -> Vec<String> {
        match self {
            TrailEvidence::NotWired => vec![
                "no trail input is wired (the evaluator has no TRAIL_TABLE): no CloudTrail evidence"
                    .to_string(),
            ],
            TrailEvidence::NoRecords { pool } => vec![format!(
                "no CloudTrail record of {pool} has reached the trail function: is a CloudTrail trail (EventBridge, a log group or an S3 bucket) wired to it?"
            )],
            TrailEvidence::Seen(e) => e.lines(),
            TrailEvidence::Unavailable { reason } => {
                vec![format!("the trail's evidence could not be read: {reason}")]
            }
        }
    }
}

fn list(tops: &[Top]) -> String {
    tops.iter()
        .map(|t| format!("{} ×{}", t.name, t.count))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Evidence {
    fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "CloudTrail {} to {} UTC: {} requests, {} failed{}",
            self.from.format("%H:%M"),
            self.to.format("%H:%M"),
            self.requests,
            self.failures,
            self.client_id
                .as_deref()
                .map(|c| format!(" (app client {c})"))
                .unwrap_or_default()
        )];
        // The addresses and users are the pool's (an address is tallied per pool).
        let of_pool = if self.client_id.is_some() {
            " in the pool"
        } else {
            ""
        };
        if !self.failing_ips.is_empty() {
            out.push(format!(
                "top failing IPs{of_pool}: {}",
                list(&self.failing_ips)
            ));
        }
        if !self.error_codes.is_empty() {
            out.push(format!("top error codes: {}", list(&self.error_codes)));
        }
        if self.distinct_users_failing > 0 {
            out.push(format!(
                "distinct users failing{of_pool}: about {}",
                self.distinct_users_failing
            ));
        }
        if self.detections.is_empty() {
            out.push("no security detection for this pool in the period".to_string());
        }
        for d in &self.detections {
            out.push(format!(
                "detection {} at {}: {}",
                d.detection,
                d.window.format("%H:%M"),
                d.title
            ));
        }
        out
    }
}

/// The pool (and app client) an alert's evidence is about: alerts that go wrong (not
/// recoveries) on a user pool or an app client.
pub fn subject_of(alert: &Alert) -> Option<(String, Option<String>)> {
    if alert.to == Status::Up {
        return None;
    }
    match MonitorId::parse(&alert.monitor_id).ok()? {
        MonitorId::UserPool { pool } => Some((pool, None)),
        MonitorId::AppClient { pool, client_id } => Some((pool, Some(client_id))),
        _ => None,
    }
}

/// The period an alert at `at` looks at: `[from, to)`.
pub fn period(at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = window_of(at) + Duration::minutes(crate::trail::WINDOW_MINUTES);
    (
        to - Duration::minutes(crate::trail::WINDOW_MINUTES * PERIOD_WINDOWS),
        to,
    )
}

/// The most frequent entries, at most `TOP`.
fn top(counts: BTreeMap<String, u64>) -> Vec<Top> {
    let mut v: Vec<Top> = counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, count)| Top { name, count })
        .collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then(a.name.cmp(&b.name)));
    v.truncate(TOP);
    v
}

/// The evidence for `pool` (and `client_id`) over `[from, to)` from the pool's stored
/// tallies (`tallies`: its IP, error code and app client tallies from `from` on) and the
/// detections raised since `from`.
pub fn evidence(
    pool: &str,
    client_id: Option<&str>,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    tallies: &[(TallyId, Counts)],
    findings: &[Finding],
) -> Evidence {
    let in_period =
        |id: &TallyId| id.window >= from && id.window < to && id.pool.as_deref() == Some(pool);
    let mut ips = BTreeMap::new();
    let mut codes = BTreeMap::new();
    let mut all_ips = Counts::default();
    let mut totals = Counts::default();
    for (id, c) in tallies.iter().filter(|(id, _)| in_period(id)) {
        match &id.key {
            TallyKey::Ip { ip } => {
                *ips.entry(ip.clone()).or_default() += c.failures;
                all_ips.merge(c);
            }
            TallyKey::ErrorCode { code } if client_id.is_none() => {
                *codes.entry(code.clone()).or_default() += c.failures;
            }
            TallyKey::Client { client_id: c_id } if Some(c_id.as_str()) == client_id => {
                totals.merge(c);
                for (code, n) in &c.by_error {
                    *codes.entry(code.clone()).or_default() += n;
                }
            }
            _ => {}
        }
    }
    // The pool's requests and failures: its addresses' (every request from an address is in
    // exactly one of them), or the client's own.
    let (requests, failures) = match client_id {
        Some(_) => (totals.requests, totals.failures),
        None => (all_ips.requests, all_ips.failures),
    };
    let mut detections: Vec<OpenDetection> = findings
        .iter()
        .filter(|f| f.window >= from && f.window < to && f.concerns(pool))
        .map(|f| OpenDetection {
            detection: f.detection.kind().to_string(),
            title: f.detection.title(),
            window: f.window,
            alert_id: f.key(),
        })
        .collect();
    detections.sort_by(|a, b| a.window.cmp(&b.window).then(a.alert_id.cmp(&b.alert_id)));
    detections.truncate(TOP);
    Evidence {
        from,
        to,
        client_id: client_id.map(str::to_string),
        requests,
        failures,
        failing_ips: top(ips),
        error_codes: top(codes),
        distinct_users_failing: all_ips.distinct_failing_subs(),
        detections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trail::detect::Detection;
    use crate::trail::sub_bucket;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 21, h, m, 0).unwrap()
    }

    fn tally(pool: &str, m: u32, key: TallyKey, c: Counts) -> (TallyId, Counts) {
        (
            TallyId {
                pool: Some(pool.into()),
                window: at(10, m),
                key,
            },
            c,
        )
    }

    fn failing(requests: u64, failures: u64, code: &str, subs: &[&str]) -> Counts {
        Counts {
            requests,
            attempts: requests,
            failures,
            by_error: BTreeMap::from([(code.to_string(), failures)]),
            failing_subs: subs.iter().map(|s| sub_bucket(s)).collect(),
            ..Default::default()
        }
    }

    #[test]
    #[allow(clippy::too_many_lines, reason = "one scenario, read top to bottom")]
    fn the_evidence_is_the_pools_period_its_top_ips_codes_users_and_detections() {
        let pool = "us-east-1_P";
        let period = period(at(10, 12));
        assert_eq!(period, (at(10, 0), at(10, 15)));
        let tallies = vec![
            tally(
                pool,
                5,
                TallyKey::new(crate::trail::TallyKind::Ip, "203.0.113.9"),
                failing(60, 58, "NotAuthorizedException", &["a", "b", "c"]),
            ),
            tally(
                pool,
                10,
                TallyKey::new(crate::trail::TallyKind::Ip, "198.51.100.2"),
                failing(5, 2, "UserNotFoundException", &["d"]),
            ),
            // The period's first window (in), and another pool's tally (left out).
            tally(
                pool,
                0,
                TallyKey::new(crate::trail::TallyKind::Ip, "192.0.2.1"),
                failing(9, 9, "NotAuthorizedException", &[]),
            ),
            tally(
                "us-east-1_Other",
                5,
                TallyKey::new(crate::trail::TallyKind::Ip, "192.0.2.2"),
                failing(9, 9, "NotAuthorizedException", &[]),
            ),
            tally(
                pool,
                5,
                TallyKey::new(crate::trail::TallyKind::Error, "NotAuthorizedException"),
                failing(58, 58, "NotAuthorizedException", &[]),
            ),
            tally(
                pool,
                10,
                TallyKey::new(crate::trail::TallyKind::Error, "UserNotFoundException"),
                failing(2, 2, "UserNotFoundException", &[]),
            ),
        ];
        let mut brute = Finding::new(
            None,
            at(10, 5),
            Detection::BruteForce {
                ip: "203.0.113.9".into(),
                failures: 58,
                threshold: 50,
            },
        );
        brute.scope = Some("111122223333/us-east-1".into());
        brute.pools = vec![pool.into()];
        let elsewhere = Finding::new(
            Some("us-east-1_Other".into()),
            at(10, 5),
            Detection::BruteForce {
                ip: "192.0.2.2".into(),
                failures: 58,
                threshold: 50,
            },
        );
        let e = evidence(pool, None, period, &tallies, &[brute, elsewhere]);
        assert_eq!((e.requests, e.failures), (74, 69));
        assert_eq!(
            e.failing_ips,
            vec![
                Top {
                    name: "203.0.113.9".into(),
                    count: 58
                },
                Top {
                    name: "192.0.2.1".into(),
                    count: 9
                },
                Top {
                    name: "198.51.100.2".into(),
                    count: 2
                },
            ]
        );
        assert_eq!(
            e.error_codes[0],
            Top {
                name: "NotAuthorizedException".into(),
                count: 58
            }
        );
        assert_eq!(e.distinct_users_failing, 4);
        assert_eq!(
            e.detections.len(),
            1,
            "only the detection seen in this pool"
        );
        let text = TrailEvidence::Seen(e).lines().join("\n");
        assert!(
            text.contains("top failing IPs: 203.0.113.9 ×58, 192.0.2.1 ×9"),
            "{text}"
        );
        assert!(
            text.contains("detection brute_force at 10:05: Brute force from 203.0.113.9"),
            "{text}"
        );
    }

    #[test]
    fn a_clients_evidence_counts_its_own_requests_and_codes() {
        let pool = "us-east-1_P";
        let tallies = vec![
            tally(
                pool,
                5,
                TallyKey::new(crate::trail::TallyKind::Client, "web"),
                failing(10, 4, "NotAuthorizedException", &[]),
            ),
            tally(
                pool,
                5,
                TallyKey::new(crate::trail::TallyKind::Client, "other"),
                failing(90, 90, "UserNotFoundException", &[]),
            ),
        ];
        let e = evidence(pool, Some("web"), period(at(10, 7)), &tallies, &[]);
        assert_eq!((e.requests, e.failures), (10, 4));
        assert_eq!(
            e.error_codes,
            vec![Top {
                name: "NotAuthorizedException".into(),
                count: 4
            }]
        );
        assert!(TrailEvidence::Seen(e).lines()[0].contains("(app client web)"));
    }

    #[test]
    fn without_a_trail_the_alert_says_so_in_one_line() {
        assert_eq!(TrailEvidence::NotWired.lines().len(), 1);
        assert_eq!(
            TrailEvidence::NoRecords {
                pool: "us-east-1_P".into()
            }
            .lines()
            .len(),
            1
        );
    }
}
