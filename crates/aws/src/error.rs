//! One error type for every AWS call: the operation, AWS's error code and message, the kind of
//! error where the SDK models it as a type of its own, and the SDK error as the source.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// What a service's modeled error is, read from the SDK's own error type (not its code string).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The resource does not exist (any more).
    NotFound,
    /// The request was throttled.
    Throttled,
    /// The request was refused as invalid (a stale pagination token, say).
    InvalidParameter,
    /// The caller may not do this.
    NotAuthorized,
}

/// A service's error type, as its SDK crate models it, that says which [`ErrorKind`] it is.
pub trait ModeledError: std::error::Error + Send + Sync + 'static {
    fn kind(&self) -> Option<ErrorKind>;
}

/// Cognito's two services model the same four errors.
macro_rules! cognito_modeled {
    ($($error:ty),+) => {$(
        impl ModeledError for $error {
            fn kind(&self) -> Option<ErrorKind> {
                match self {
                    Self::ResourceNotFoundException(_) => Some(ErrorKind::NotFound),
                    Self::TooManyRequestsException(_) => Some(ErrorKind::Throttled),
                    Self::InvalidParameterException(_) => Some(ErrorKind::InvalidParameter),
                    Self::NotAuthorizedException(_) => Some(ErrorKind::NotAuthorized),
                    _ => None,
                }
            }
        }
    )+};
}

cognito_modeled!(
    aws_sdk_cognitoidentityprovider::Error,
    aws_sdk_cognitoidentity::Error
);

/// WAF's errors: a missing item is not found, a bad parameter (an ARN WAF does not take) is
/// invalid; throttling comes as the common `ThrottlingException`.
impl ModeledError for aws_sdk_wafv2::Error {
    fn kind(&self) -> Option<ErrorKind> {
        match self {
            Self::WafNonexistentItemException(_) => Some(ErrorKind::NotFound),
            Self::WafInvalidParameterException(_) => Some(ErrorKind::InvalidParameter),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{operation}: {summary}")]
pub struct AwsError {
    pub operation: &'static str,
    /// AWS's error code, when the service answered with one.
    pub code: Option<String>,
    /// The kind of error, where the SDK models the service's errors as types (Cognito's).
    pub kind: Option<ErrorKind>,
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
        let mut e = AwsError::described(operation, &err);
        e.source = Some(Box::new(err));
        e
    }

    /// An SDK error read into the service's modeled error type `S` (the SDK crate's `Error`),
    /// which says its [`ErrorKind`] and is kept as the source.
    pub fn modeled<S, E>(operation: &'static str, err: SdkError<E, HttpResponse>) -> AwsError
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        S: ModeledError + From<SdkError<E, HttpResponse>>,
    {
        let mut e = AwsError::described(operation, &err);
        let modeled = S::from(err);
        e.kind = modeled.kind();
        e.source = Some(Box::new(modeled));
        e
    }

    /// The operation, code, status and summary of an SDK error; no source yet.
    fn described<E>(operation: &'static str, err: &SdkError<E, HttpResponse>) -> AwsError
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
                None => first_line(&DisplayErrorContext(err).to_string()),
            },
        };
        AwsError {
            operation,
            code,
            kind: None,
            summary,
            status,
            source: None,
        }
    }

    /// An error that did not come from an SDK call (a malformed answer, say).
    pub fn other(operation: &'static str, summary: impl Into<String>) -> AwsError {
        AwsError {
            operation,
            code: None,
            kind: None,
            summary: summary.into(),
            status: None,
            source: None,
        }
    }

    /// An error of our own making around a call (an item that does not encode, a request the
    /// builder refused), with its cause kept as the source.
    pub fn local(
        operation: &'static str,
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> AwsError {
        AwsError {
            operation,
            code: None,
            kind: None,
            summary: format!("{what}: {source}"),
            status: None,
            source: Some(Box::new(source)),
        }
    }

    /// An item that cannot be written in DynamoDB's form.
    pub fn encode(operation: &'static str, e: serde_dynamo::Error) -> AwsError {
        AwsError::local(operation, "cannot encode item", e)
    }

    /// A stored item that does not read back as what it should be.
    pub fn decode(operation: &'static str, e: serde_dynamo::Error) -> AwsError {
        AwsError::local(operation, "cannot decode item", e)
    }

    /// A request the SDK's builder refused.
    pub fn build(operation: &'static str, e: aws_sdk_dynamodb::error::BuildError) -> AwsError {
        AwsError::local(operation, "cannot build request", e)
    }

    /// The resource does not exist (any more): the modeled kind where the SDK has one, else
    /// the code of a service whose SDK crate does not model it.
    pub fn is_not_found(&self) -> bool {
        self.kind == Some(ErrorKind::NotFound)
            || matches!(
                self.code.as_deref(),
                Some("ResourceNotFoundException" | "ResourceNotFound")
            )
    }

    /// An error retrying cannot mend: the object or bucket is gone, access is denied, the
    /// request is invalid. Throttling, 5xx answers, timeouts and transport failures are
    /// transient (worth a retry by the source).
    pub fn is_permanent(&self) -> bool {
        const PERMANENT: &[&str] = &[
            "NoSuchBucket",
            "NoSuchKey",
            "NoSuchVersion",
            "InvalidObjectState",
            "AccessDenied",
            "AccessDeniedException",
            "ValidationException",
            "InvalidParameterValue",
            "InvalidParameterException",
            "ResourceNotFoundException",
            "NotFound",
        ];
        const TRANSIENT: &[&str] = &[
            "Throttling",
            "ThrottlingException",
            "ThrottledException",
            "TooManyRequestsException",
            "RequestLimitExceeded",
            "ProvisionedThroughputExceededException",
            "SlowDown",
            "RequestTimeout",
            "RequestTimeoutException",
            "TransactionConflict",
            "TransactionInProgressException",
        ];
        match self.code.as_deref() {
            Some(c) if PERMANENT.contains(&c) => true,
            Some(c) if TRANSIENT.contains(&c) => false,
            _ => matches!(self.status, Some(400..=499)) && !matches!(self.status, Some(408 | 429)),
        }
    }

    /// A pagination token the service no longer accepts (Cognito models it as an invalid
    /// parameter whose message names the token).
    pub fn is_bad_token(&self) -> bool {
        let invalid = self.kind == Some(ErrorKind::InvalidParameter)
            || matches!(
                self.code.as_deref(),
                Some("InvalidParameterException" | "InvalidParameterValue" | "InvalidNextToken")
            );
        invalid && self.summary.to_ascii_lowercase().contains("token")
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

#[cfg(test)]
mod tests {
    use super::*;

    fn err(code: Option<&str>, status: Option<u16>) -> AwsError {
        AwsError {
            operation: "GetObject",
            code: code.map(str::to_string),
            kind: None,
            summary: String::new(),
            status,
            source: None,
        }
    }

    #[test]
    fn permanent_and_transient_errors_are_told_apart() {
        for (code, status) in [
            (Some("NoSuchKey"), Some(404)),
            (Some("NoSuchBucket"), Some(404)),
            (Some("AccessDenied"), Some(403)),
            (None, Some(400)),
        ] {
            assert!(err(code, status).is_permanent(), "{code:?} {status:?}");
        }
        for (code, status) in [
            (Some("SlowDown"), Some(503)),
            (Some("ThrottlingException"), Some(400)),
            (Some("InternalError"), Some(500)),
            (None, Some(429)),
            (None, None),
        ] {
            assert!(!err(code, status).is_permanent(), "{code:?} {status:?}");
        }
    }
}
