//! Alerting: threshold profiles and the profile document (`profile`), statuses, propagation,
//! outages and the alerts they raise (`status`), the record of status transitions and the
//! availability computed from it (`availability`), what the trail saw of a pool lent to its
//! alerts (`evidence`), and the messages published for alerts and security detections
//! (`message`) in their chat form too (`chat`), where they go (`notification`), posture
//! notices (`posture`), and the timeline of a monitor or pool (`timeline`).

pub mod availability;
pub mod chat;
pub mod evidence;
pub mod message;
pub mod notification;
pub mod posture;
pub mod profile;
pub mod status;
pub mod timeline;
