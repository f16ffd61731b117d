//! Alerting: threshold profiles and the profile document (`profile`), statuses, propagation,
//! outages and the alerts they raise (`status`), and the messages published for alerts and
//! security detections (`message`).

pub mod message;
pub mod profile;
pub mod status;
