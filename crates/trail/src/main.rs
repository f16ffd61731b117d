//! The trail Lambda: CloudTrail records (EventBridge, CloudWatch Logs subscription, S3 trail
//! files) and Cognito user logs → tallies and security detections.

use lambda_runtime::{service_fn, Error, LambdaEvent};
use trail::Trail;

#[tokio::main]
async fn main() -> Result<(), Error> {
    cognito_watch_aws::sdk::init_lambda_tracing();
    // Typed configuration and SDK clients, once per cold start.
    let trail = Trail::from_env().await?;
    let trail = &trail;
    lambda_runtime::run(service_fn(
        // The payload stays JSON text: the trail reads it straight into typed records.
        move |event: LambdaEvent<Box<serde_json::value::RawValue>>| async move {
            // The function's own account, from its ARN (arn:aws:lambda:<region>:<account>:...).
            let account = event
                .context
                .invoked_function_arn
                .split(':')
                .nth(4)
                .map(str::to_string);
            trail.handle(event.payload, account).await
        },
    ))
    .await
}
