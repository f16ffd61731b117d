//! AWS adapters of cognito-watch: the Cognito discovery reader, the CloudWatch metric source
//! and the DynamoDB state store, plus the SDK wiring they share. Domain decisions live in
//! `cognito-watch-core`; this crate only translates between AWS's SDK crates (`aws-sdk-*`,
//! every call) and the core's types.

pub mod cloudwatch;
pub mod cognito;
pub mod dynamo;
pub mod error;
pub mod events;
pub mod failures;
pub mod limits;
pub mod logging;
pub mod outbox;
pub mod retry;
pub mod s3;
pub mod sdk;
pub mod sns;
pub mod status_store;
pub mod store;
pub mod trail_store;

pub use error::AwsError;
pub use sdk::{Scope, ScopeClients};
pub use sns::AlertSink;
pub use status_store::StatusStore;
pub use store::StateStore;
pub use trail_store::TrailStore;
