//! The domain of cognito-watch, free of any AWS SDK: pure functions and plain types, tested
//! without I/O. The map (dependencies run one way: alerting and the trail read the inventory,
//! alerting reads the trail's findings and thresholds, the trail reads nothing of alerting):
//!
//! | module | what lives there |
//! |---|---|
//! | `inventory` | monitors, the metric catalogue, poll windows, GetMetricData planning, sweeps, quotas, write batching, Log Report rows |
//! | `posture` | security posture checks of pools, clients and identity pools, and what their changes notify |
//! | `alerting` | threshold profiles and the profile document, statuses, propagation, outages, alert messages |
//! | `trail` | CloudTrail records, user logs, intake, 5-minute tallies, detections and their thresholds |
//! | `backoff` | the one jittered backoff of every retry loop |
//! | `severity` | trouble / critical, shared by profiles and detections |
//! | `progress` | how far long work has come (users swept, records read), for whoever shows it |
//! | `text` | the one sanitizer for everything a message shows, and the bounds of storage keys |
//! | `config` | each function's configuration, read once at cold start |
//! | `emf` | derived metrics in CloudWatch embedded metric format |
//! | `cost` | the monthly cost of an estate, from its poll log and list prices |

#![warn(missing_docs)]

pub mod alerting;
pub mod backoff;
pub mod config;
pub mod cost;
pub mod doctor;
pub mod emf;
pub mod inventory;
pub mod posture;
pub mod progress;
pub mod severity;
pub mod text;
pub mod trail;

pub use inventory::catalogue::{MetricDef, MetricFamily};
pub use inventory::monitor::{Monitor, MonitorDetails, MonitorKind, PollOutcome};
pub use inventory::window::Window;
