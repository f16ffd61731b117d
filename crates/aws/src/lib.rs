//! AWS adapters of cognito-watch: every call goes through AWS's SDK crates (`aws-sdk-*`) and
//! is translated to and from the core's types; domain decisions live in `cognito-watch-core`.
//!
//! | module | what lives there |
//! |---|---|
//! | `state` | the inventory's store, `StateStore`: the state table (`table`) and the history table (`history`) |
//! | `status` | the evaluator's store, `StatusStore`: the status table (`table`) |
//! | `trail` | the trail's store, `TrailStore`: the trail table (`table`) |
//! | `dynamo` | what every table shares: item helpers, the table spec (`spec`), the outbox's delivery marks (`outbox`) |
//! | `cognito`, `cloudwatch`, `sns`, `s3`, `events`, `cloudtrail` | one service each: Cognito discovery, metrics, alerts, trail files, EventBridge, the trails `doctor` reads |
//! | `sdk` | the SDK configuration, one HTTPS client, the scopes polled and their clients |
//! | `error`, `retry`, `limits`, `failures` | one error type, the retry pause, service limits, failure metrics |
//! | `logging` | flat JSON log lines in Lambda, plain text in a terminal |

pub mod cloudtrail;
pub mod cloudwatch;
pub mod cognito;
pub mod dynamo;
pub mod error;
pub mod events;
pub mod failures;
pub mod limits;
pub mod logging;
pub mod retry;
pub mod s3;
pub mod sdk;
pub mod sns;
pub mod state;
pub mod status;
pub mod trail;

pub use error::AwsError;
pub use sdk::{Scope, ScopeClients};
pub use sns::AlertSink;
pub use state::StateStore;
pub use status::StatusStore;
pub use trail::TrailStore;
