//! Alerting: threshold profiles and the profile document (`profile`), statuses, propagation,
//! outages and the alerts they raise (`status`), what the trail saw of a pool lent to its
//! alerts (`evidence`), and the messages published for alerts and security detections
//! (`message`), and posture notices (`posture`).

pub mod evidence;
pub mod message;
pub mod posture;
pub mod profile;
pub mod status;
