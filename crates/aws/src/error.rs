//! One error type for every AWS call: the operation, AWS's error code and message, and the
//! SDK error as the source.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

#[derive(Debug, thiserror::Error)]
#[error("{operation}: {summary}")]
pub struct AwsError {
    pub operation: &'static str,
    /// AWS's error code, when the service answered with one.
    pub code: Option<String>,
    /// Code and message, or the transport failure, on one line.
    pub summary: String,
    /// HTTP status, when the service answered.
    pub status: Option<u16>,
    #[source]
    pub source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl AwsError {
    pub fn from_sdk<E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let code = err.code().map(str::to_string);
        let status = err.raw_response().map(|r| r.status().as_u16());
        let summary = match (err.code(), err.message()) {
            (Some(c), Some(m)) => format!("{c}: {m}"),
            (Some(c), None) => c.to_string(),
            _ => match status {
                // The service answered, but not with an AWS error (an HTML page, say).
                Some(s) => format!("HTTP {s} without an AWS error body"),
                None => first_line(&DisplayErrorContext(&err).to_string()),
            },
        };
        AwsError {
            operation,
            code,
            summary,
            status,
            source: Some(Box::new(err)),
        }
    }

    /// An error that did not come from an SDK call (a malformed answer, say).
    pub fn other(operation: &'static str, summary: impl Into<String>) -> AwsError {
        AwsError {
            operation,
            code: None,
            summary: summary.into(),
            status: None,
            source: None,
        }
    }

    /// The resource does not exist (any more).
    pub fn is_not_found(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("ResourceNotFoundException" | "ResourceNotFound" | "UserPoolNotFound")
        )
    }

    /// A pagination token the service no longer accepts.
    pub fn is_bad_token(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some("InvalidParameterException" | "InvalidParameterValue" | "InvalidNextToken")
        ) && self.summary.to_ascii_lowercase().contains("token")
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    if line.len() > 300 {
        let mut end = 300;
        while !line.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &line[..end])
    } else {
        line.to_string()
    }
}
