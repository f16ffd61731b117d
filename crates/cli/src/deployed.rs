//! `invoke` against the deployment: the deployed function runs (Lambda Invoke), and the CLI
//! shows its answer and the tail of its log — never a second, in-process collector beside the
//! scheduled one.

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{InvocationType, LogType};
use base64::Engine;
use serde_json::Value;

use crate::error::CliError;

/// What a deployed function answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoked {
    pub function: String,
    /// The HTTP status of the invocation (200 when it ran).
    pub status: i32,
    /// The function's answer (its report, or its error document).
    pub answer: Value,
    /// The last 4 KB of its log (Lambda's `LogType=Tail`).
    pub log_tail: String,
}

/// Invoke `function` with `payload`, synchronously, with its log tail.
pub async fn invoke(
    client: &aws_sdk_lambda::Client,
    function: &str,
    payload: &Value,
) -> Result<Invoked, CliError> {
    let body = serde_json::to_vec(payload).map_err(CliError::output)?;
    let answer = client
        .invoke()
        .function_name(function)
        .invocation_type(InvocationType::RequestResponse)
        .log_type(LogType::Tail)
        .payload(Blob::new(body))
        .send()
        .await
        .map_err(|e| cognito_watch_aws::AwsError::from_sdk("Invoke", e))?;
    let log_tail = answer
        .log_result()
        .and_then(|l| base64::engine::general_purpose::STANDARD.decode(l).ok())
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let text = answer.payload().map(|p| p.as_ref()).unwrap_or_default();
    let value = serde_json::from_slice(text)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(text).into_owned()));
    if let Some(error) = answer.function_error() {
        return Err(CliError::FunctionFailed {
            function: function.to_string(),
            error: error.to_string(),
            answer: value.to_string(),
            log_tail,
        });
    }
    Ok(Invoked {
        function: function.to_string(),
        status: answer.status_code(),
        answer: value,
        log_tail,
    })
}

/// The answer, then the log's tail.
pub fn print(invoked: &Invoked, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let answer = serde_json::to_string_pretty(&invoked.answer).map_err(CliError::output)?;
    writeln!(
        out,
        "{answer}\n--- log tail of {} ---\n{}",
        invoked.function,
        invoked.log_tail.trim_end()
    )
    .map_err(CliError::output)
}
