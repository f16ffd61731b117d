//! The trail: CloudTrail records (`record`) and Cognito user logs (`activity`) taken in per
//! delivery (`intake`), counted in 5-minute tallies (`tally`) by what each event is (`events`), and judged by the security
//! detections (`detect`) against their thresholds (`thresholds`). The shapes the trail function is invoked with (`input`) and the
//! CloudTrail log files it reads (`file`) are read here too. The record and tally
//! vocabulary is re-exported here.

pub mod activity;
pub mod detect;
pub mod events;
pub mod file;
pub mod input;
pub mod intake;
pub mod lenient;
pub mod record;
pub mod tally;
pub mod thresholds;

pub use record::*;
pub use tally::*;
