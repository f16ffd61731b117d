//! The collector Lambda: EventBridge Scheduler → discovery and metrics → DynamoDB.

use chrono::{DateTime, Utc};
use collector::Collector;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    cognito_watch_aws::sdk::init_lambda_tracing();
    // Typed configuration and SDK clients, once per cold start.
    let collector = Collector::from_env().await?;
    let collector = &collector;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let deadline = DateTime::<Utc>::from_timestamp_millis(event.context.deadline as i64);
            collector.handle(event.payload, deadline).await
        },
    ))
    .await
}
