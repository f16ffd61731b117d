//! The CLI's error: what failed and its cause, an exit code, and the report a person reads.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] cognito_watch_core::config::ConfigError),
    #[error(transparent)]
    Aws(#[from] cognito_watch_aws::AwsError),
    #[error(transparent)]
    MonitorId(#[from] cognito_watch_core::inventory::monitor::InvalidMonitorId),
    #[error("no monitor {0}")]
    NoMonitor(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Collector(#[from] collector::CollectorError),
    #[error(transparent)]
    Evaluator(#[from] evaluator::EvaluatorError),
    #[error(transparent)]
    Trail(#[from] ::trail::TrailError),
    #[error("{0}")]
    Usage(String),
    #[error("doctor: {failed} line(s) say FAIL")]
    Unhealthy { failed: usize },
    #[error("{function} failed ({error}): {answer}\n--- log tail ---\n{log_tail}")]
    FunctionFailed {
        function: String,
        error: String,
        answer: String,
        log_tail: String,
    },
    #[error("{name} is required ({what}): {hint}")]
    Setting {
        name: &'static str,
        what: &'static str,
        hint: String,
    },
    #[error("cannot read stack {stack} in {region}: is it deployed in this region?")]
    Stack {
        stack: String,
        region: String,
        #[source]
        source: Box<cognito_watch_aws::AwsError>,
    },
    #[error("{what} not found in {region}{stack}: is the stack deployed in this region?")]
    NotFound {
        what: String,
        region: String,
        stack: String,
        #[source]
        source: Box<cognito_watch_aws::AwsError>,
    },
    #[error(transparent)]
    Profile(#[from] cognito_watch_core::alerting::profile::ProfileError),
    #[error("{path}: {source}")]
    ProfileFile {
        path: PathBuf,
        #[source]
        source: cognito_watch_core::alerting::profile::ProfileError,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write output: {source}")]
    Output {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl CliError {
    /// Output that could not be written or rendered, with its cause.
    pub fn output<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> CliError {
        CliError::Output { source: e.into() }
    }

    /// Whether the output was a pipe its reader closed (`| head`): not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        let CliError::Output { source } = self else {
            return false;
        };
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(c) = cause {
            if c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            cause = c.source();
        }
        false
    }

    /// The process exit code: 2 for a usage error (a bad argument or a missing setting, as
    /// clap's own usage errors), 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Setting { .. }
            | CliError::Config(_)
            | CliError::MonitorId(_)
            | CliError::Profile(_)
            | CliError::ProfileFile { .. } => 2,
            _ => 1,
        }
    }
}

/// The error and each of its causes, one per line, a cause already said by the lines before it
/// left out (an AWS error's message is in its own line and in the SDK error beneath it).
pub fn error_report(e: &(dyn std::error::Error + 'static)) -> String {
    let mut said = format!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !said.contains(&text) {
            said.push_str(&format!("\n  caused by: {text}"));
        }
        source = s.source();
    }
    said
}
