//! The evaluator Lambda: DynamoDB Streams (state table) or an on-demand request → statuses,
//! outages and SNS alerts.

use evaluator::Evaluator;
use lambda_runtime::{service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    cognito_watch_aws::sdk::init_lambda_tracing();
    // Typed configuration and SDK clients, once per cold start.
    let evaluator = Evaluator::from_env().await?;
    let evaluator = &evaluator;
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<serde_json::Value>| async move {
            evaluator.handle(event.payload).await
        },
    ))
    .await
}
