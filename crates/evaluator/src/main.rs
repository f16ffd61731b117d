//! The evaluator Lambda: DynamoDB Streams (state table) or an on-demand request → statuses,
//! outages and SNS alerts.

use evaluator::Evaluator;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_current_span(false)
        .with_target(false)
        .without_time()
        .init();
    // Typed configuration and SDK clients, once per cold start.
    let evaluator = Evaluator::from_env().await?;
    let evaluator = &evaluator;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            let out = evaluator.handle(event.payload).await?;
            Ok::<_, Error>(out)
        },
    ))
    .await
}
