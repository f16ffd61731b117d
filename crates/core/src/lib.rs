//! The domain of cognito-watch, free of any AWS SDK: monitor kinds and state, the metric
//! catalogue, poll windows, GetMetricData query planning and aggregation, resumable sweeps,
//! write batching and configuration. Everything here is a pure function or a plain type.

pub mod activity;
pub mod batch;
pub mod catalogue;
pub mod config;
pub mod detect;
pub mod emf;
pub mod intake;
pub mod monitor;
pub mod notify;
pub mod quota;
pub mod record;
pub mod series;
pub mod status;
pub mod sweep;
pub mod text;
pub mod threshold;
pub mod trail;
pub mod window;

pub use catalogue::{MetricDef, MetricFamily};
pub use monitor::{Monitor, MonitorDetails, MonitorKind, PollOutcome};
pub use window::Window;
