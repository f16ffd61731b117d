//! The status table (`STATUS_TABLE`): what the evaluator decides and remembers.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | monitor status | root partition (`POOL#<id>` / `IDPOOL#<id>`) | `STATUS#<monitor id>` |
//! | evaluation lease | root partition | `LEASE` |
//! | alert (outbox) | root partition | `ALERT#<time>#<alert id>` |
//! | status transition | root partition | `TRANSITION#<time, ms>#<monitor id>` |
//! | outage | `OUTAGE#<monitor id>` | start time |
//! | threshold profile | `PROFILES` | `PROFILE#<kind>#<name>` |
//! | profile assignment | `PROFILES` | `ASSIGN#monitor#<id>` / `ASSIGN#tag#<k>=<v>` |
//! | detection thresholds | `PROFILES` | `DETECTIONS` |
//! | defaults loaded marker | `PROFILES` | `SEEDED` |
//!
//! Outages carry `outage_index = "OUTAGE"` and `outage_sort = <start>#<monitor id>`, the keys
//! of the `outages` index, so the estate's outages are one Query.

use chrono::{DateTime, Utc};
use cognito_watch_core::inventory::monitor::{MonitorId, MonitorKind};

use crate::dynamo::spec::{IndexSpec, Projected, TableSpec};
use crate::dynamo::{parse_time, time, time_ms, Item, TableKey};
use crate::state::table::{root_of_pk, root_pk};
use prefix::{ALERT, ASSIGN, PROFILE, STATUS, TRANSITION};

/// The index of every outage, by start: hash key `outage_index` (always [`OUTAGE_PARTITION`]),
/// range key `outage_sort` = `<start>#<monitor id>`.
pub const OUTAGES: IndexSpec =
    IndexSpec::new("outages", ("outage_index", "outage_sort"), Projected::All);
/// The outage index's one partition.
pub const OUTAGE_PARTITION: &str = "OUTAGE";

/// The status table.
pub const SPEC: TableSpec = TableSpec::indexed("StatusTable", &[OUTAGES], false);

const PROFILES: &str = "PROFILES";
const OUTAGE: &str = "OUTAGE#";

/// The sort-key prefixes of a root partition's items.
pub mod prefix {
    /// Monitor statuses.
    pub const STATUS: &str = "STATUS#";
    /// Alerts.
    pub const ALERT: &str = "ALERT#";
    /// Status transitions.
    pub const TRANSITION: &str = "TRANSITION#";
    /// Threshold profiles (in the `PROFILES` partition).
    pub const PROFILE: &str = "PROFILE#";
    /// Profile assignments (in the `PROFILES` partition).
    pub const ASSIGN: &str = "ASSIGN#";
}

/// A status-table key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusKey {
    /// A monitor's status, in its root's partition.
    Status { root: MonitorId, monitor_id: String },
    /// A root's evaluation lease.
    Lease { root: MonitorId },
    /// An alert in a root's outbox.
    Alert {
        root: MonitorId,
        at: DateTime<Utc>,
        alert_id: String,
    },
    /// A status transition of a monitor, in its root's partition.
    Transition {
        root: MonitorId,
        at: DateTime<Utc>,
        monitor_id: String,
    },
    /// An outage of a monitor.
    Outage {
        monitor_id: String,
        started_at: DateTime<Utc>,
    },
    /// A threshold profile.
    Profile { kind: MonitorKind, name: String },
    /// A profile assignment (`monitor#<id>` or `tag#<k>=<v>`).
    Assignment { selector: String },
    /// The detection thresholds.
    Detections,
    /// The notification profiles and their assignments, one item.
    Notifications,
    /// The marker that the shipped profiles were loaded once.
    Seeded,
}

impl StatusKey {
    /// The partition holding every profile, assignment and the detection thresholds.
    pub const PROFILES: &'static str = PROFILES;

    /// The outage index's attributes of an outage.
    pub fn outage_index(monitor_id: &str, started_at: DateTime<Utc>) -> Item {
        Item::from([
            (OUTAGES.hash.to_string(), crate::dynamo::s(OUTAGE_PARTITION)),
            (
                OUTAGES.range.to_string(),
                crate::dynamo::s(format!("{}#{monitor_id}", time(started_at))),
            ),
        ])
    }

    /// The partition of a monitor's outages.
    pub fn outage_partition(monitor_id: &str) -> String {
        format!("{OUTAGE}{monitor_id}")
    }
}

impl TableKey for StatusKey {
    fn pk(&self) -> String {
        match self {
            StatusKey::Status { root, .. }
            | StatusKey::Lease { root }
            | StatusKey::Alert { root, .. }
            | StatusKey::Transition { root, .. } => root_pk(root),
            StatusKey::Outage { monitor_id, .. } => StatusKey::outage_partition(monitor_id),
            StatusKey::Profile { .. }
            | StatusKey::Assignment { .. }
            | StatusKey::Detections
            | StatusKey::Notifications
            | StatusKey::Seeded => PROFILES.into(),
        }
    }

    fn sk(&self) -> String {
        match self {
            StatusKey::Status { monitor_id, .. } => format!("{STATUS}{monitor_id}"),
            StatusKey::Lease { .. } => "LEASE".into(),
            StatusKey::Alert { at, alert_id, .. } => format!("{ALERT}{}#{alert_id}", time(*at)),
            StatusKey::Transition { at, monitor_id, .. } => {
                format!("{TRANSITION}{}#{monitor_id}", time_ms(*at))
            }
            StatusKey::Outage { started_at, .. } => time(*started_at),
            StatusKey::Profile { kind, name } => format!("{PROFILE}{}#{name}", kind.id_prefix()),
            StatusKey::Assignment { selector } => format!("{ASSIGN}{selector}"),
            StatusKey::Detections => "DETECTIONS".into(),
            StatusKey::Notifications => "NOTIFICATIONS".into(),
            StatusKey::Seeded => "SEEDED".into(),
        }
    }

    fn parse(pk: &str, sk: &str) -> Option<StatusKey> {
        if pk == PROFILES {
            return match sk {
                "DETECTIONS" => Some(StatusKey::Detections),
                "NOTIFICATIONS" => Some(StatusKey::Notifications),
                "SEEDED" => Some(StatusKey::Seeded),
                _ => {
                    if let Some(selector) = sk.strip_prefix(ASSIGN) {
                        Some(StatusKey::Assignment {
                            selector: selector.to_string(),
                        })
                    } else {
                        let (kind, name) = sk.strip_prefix(PROFILE)?.split_once('#')?;
                        Some(StatusKey::Profile {
                            kind: MonitorKind::parse(kind)?,
                            name: name.to_string(),
                        })
                    }
                }
            };
        }
        if let Some(monitor_id) = pk.strip_prefix(OUTAGE) {
            return Some(StatusKey::Outage {
                monitor_id: monitor_id.to_string(),
                started_at: parse_time(sk)?,
            });
        }
        let root = root_of_pk(pk)?;
        if sk == "LEASE" {
            return Some(StatusKey::Lease { root });
        }
        if let Some(monitor_id) = sk.strip_prefix(STATUS) {
            return Some(StatusKey::Status {
                root,
                monitor_id: monitor_id.to_string(),
            });
        }
        if let Some(rest) = sk.strip_prefix(TRANSITION) {
            let (at, monitor_id) = rest.split_once('#')?;
            return Some(StatusKey::Transition {
                root,
                at: parse_time(at)?,
                monitor_id: monitor_id.to_string(),
            });
        }
        let (at, alert_id) = sk.strip_prefix(ALERT)?.split_once('#')?;
        Some(StatusKey::Alert {
            root,
            at: parse_time(at)?,
            alert_id: alert_id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::dynamo::strategies;

    fn any_key() -> impl Strategy<Value = StatusKey> {
        let kind = proptest::sample::select(MonitorKind::ALL.to_vec());
        prop_oneof![
            strategies::monitor_id().prop_map(|id| StatusKey::Status {
                root: id.parent().unwrap_or_else(|| id.clone()),
                monitor_id: id.to_string()
            }),
            strategies::root().prop_map(|root| StatusKey::Lease { root }),
            (strategies::root(), strategies::time_s(), strategies::name())
                .prop_map(|(root, at, alert_id)| StatusKey::Alert { root, at, alert_id }),
            (strategies::monitor_id(), strategies::time_ms()).prop_map(|(id, at)| {
                StatusKey::Transition {
                    root: id.parent().unwrap_or_else(|| id.clone()),
                    at,
                    monitor_id: id.to_string(),
                }
            }),
            (strategies::monitor_id(), strategies::time_s()).prop_map(|(id, started_at)| {
                StatusKey::Outage {
                    monitor_id: id.to_string(),
                    started_at,
                }
            }),
            (kind, strategies::name()).prop_map(|(kind, name)| StatusKey::Profile { kind, name }),
            strategies::name().prop_map(|selector| StatusKey::Assignment { selector }),
            Just(StatusKey::Detections),
            Just(StatusKey::Notifications),
            Just(StatusKey::Seeded),
        ]
    }

    proptest! {
        #[test]
        fn every_key_reads_back_as_itself(key in any_key()) {
            prop_assert_eq!(StatusKey::parse(&key.pk(), &key.sk()), Some(key));
        }
    }
}
