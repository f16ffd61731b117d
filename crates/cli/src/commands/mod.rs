//! One module per command (`tallies`: the six tally commands; `outages`: `outages` and
//! `outage`).

pub mod availability;
pub mod completions;
pub mod cost;
pub mod describe;
pub mod doctor;
pub mod history;
pub mod init;
pub mod invoke;
pub mod notifications;
pub mod outages;
pub mod posture;
pub mod report;
pub mod status;
pub mod tallies;
pub mod thresholds;
pub mod timeline;
