//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

pub mod alerting;
pub mod env;
pub mod render;
pub mod trail;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use cognito_watch_aws::{AlertSink, StateStore, StatusStore, TrailStore};
use cognito_watch_core::alerting::profile::ProfileSet;
use cognito_watch_core::config::{CollectorConfig, EvaluatorConfig, Tables, TrailConfig};
use cognito_watch_core::inventory::monitor::MonitorId;

pub use alerting::{OutageCommand, ThresholdsCommand};
pub use env::Env;

#[derive(Debug, Parser)]
#[command(
    name = "cognito-watch",
    version,
    about = "Self-hosted monitor for Amazon Cognito"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create what is missing: the state, history, status and trail tables (STATE_TABLE,
    /// HISTORY_TABLE, STATUS_TABLE, TRAIL_TABLE when set), the alert topic (ALERT_TOPIC_NAME, default
    /// cognito-watch-alerts) and the shipped threshold profiles. For local use; SAM creates
    /// these in AWS.
    Init,
    /// The monitor tree: region → user pool → app clients / identity providers / users; identity pools.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Include user monitors (they can be many).
        #[arg(long)]
        users: bool,
    },
    /// A monitor's Log Report: one row per poll.
    Report {
        /// Monitor id, e.g. userpool/us-east-1_abc or appclient/us-east-1_abc/<client id>.
        #[arg(long)]
        monitor: String,
        /// CSV (the spec's downloadable Log Report); a table otherwise.
        #[arg(long)]
        csv: bool,
    },
    /// Threshold profiles: list, show, set, import, export, and assignment.
    Thresholds {
        #[command(subcommand)]
        command: ThresholdsCommand,
    },
    /// Outages across the estate (the Outages tab): start, end, duration, reason, comment.
    Outages {
        /// Only this monitor's outages.
        #[arg(long)]
        monitor: Option<String>,
        /// Only outages still open.
        #[arg(long)]
        open: bool,
        #[arg(long)]
        csv: bool,
    },
    /// Edit an outage.
    Outage {
        #[command(subcommand)]
        command: OutageCommand,
    },
    /// The trail function's tallies: failures, refresh-failures, top-ips, m2m, detections.
    #[command(flatten)]
    Tallies(trail::TallyCommand),
    /// Run a function's handler in-process against AWS_ENDPOINT_URL (or real AWS).
    Invoke {
        function: Function,
        /// The event file (e.g. events/collector/schedule.json); none means `{}` (the
        /// collector polls everything; the evaluator evaluates every pool now).
        #[arg(long)]
        event: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Function {
    Collector,
    Evaluator,
    Trail,
}

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

    /// The process exit code: 2 for a usage error (a bad argument or a missing setting, as
    /// clap's own usage errors), 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
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

/// Run a command with the settings of `env`, writing to `out`. (The command's future is
/// boxed: it is large, and a caller's stack may be small.)
pub async fn run(cli: Cli, env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    Box::pin(dispatch(cli, env, out)).await
}

async fn dispatch(cli: Cli, env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    match cli.command {
        Command::Init => init(env, out).await,
        Command::Status { json, users } => status(env, json, users, out).await,
        Command::Thresholds { command } if !command.needs_store() => match command {
            ThresholdsCommand::Metrics { kind } => alerting::metrics(kind, out),
            other => Err(CliError::Usage(format!("{other:?} needs the status table"))),
        },
        Command::Thresholds { command } => {
            let status = status_store(env, &env.sdk(3).await)?;
            alerting::thresholds(&status, command, out).await
        }
        Command::Outages { monitor, open, csv } => {
            let status = status_store(env, &env.sdk(3).await)?;
            alerting::outages(&status, monitor, open, csv, out).await
        }
        Command::Outage { command } => {
            let status = status_store(env, &env.sdk(3).await)?;
            alerting::outage(&status, command, out).await
        }
        Command::Report { monitor, csv } => report(env, &monitor, csv, out).await,
        Command::Tallies(command) => {
            let store = trail_store(env, &env.sdk(3).await)?;
            trail::run(&store, command, out).await
        }
        Command::Invoke { function, event } => invoke(env, function, event, out).await,
    }
}

/// `init`: create what is missing, for the emulator and runs outside SAM.
async fn init(env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let tables = Tables::from_lookup(&env.lookup())?;
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, tables.clone());
    let created = store.create_tables().await?;
    let word = |created: bool| if created { "created" } else { "exists" };
    for t in [&tables.state, &tables.history] {
        line(out, &format!("table {t}: {}", word(created.contains(t))))?;
    }
    let status = status_store(env, &base)?;
    let made = status.create_table().await?;
    line(out, &format!("table {}: {}", status.table, word(made)))?;
    let defaults = ProfileSet::shipped()?;
    if status.seed(&defaults).await? {
        let n = defaults.profiles.len();
        line(
            out,
            &format!("threshold profiles: loaded {n} shipped profiles"),
        )?;
    } else {
        line(out, "threshold profiles: already loaded")?;
    }
    if env.get("TRAIL_TABLE").is_some() {
        let store = trail_store(env, &base)?;
        let made = store.create_table().await?;
        line(out, &format!("table {}: {}", store.table, word(made)))?;
    }
    let topic = env
        .get("ALERT_TOPIC_NAME")
        .unwrap_or_else(|| "cognito-watch-alerts".into());
    let arn = AlertSink::create_topic(&base, &topic).await?;
    line(out, &format!("topic {topic}: {arn}"))?;
    if env.get("ALERT_TOPIC_ARN").as_deref() != Some(arn.as_str()) {
        line(
            out,
            &format!("for the evaluator: export ALERT_TOPIC_ARN={arn}"),
        )?;
    }
    Ok(())
}

/// `status`: the monitor tree, with statuses when the evaluator has a table to read.
async fn status(
    env: &Env,
    json: bool,
    users: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let monitors = store.load_estate().await?;
    let mut statuses = std::collections::BTreeMap::new();
    if env.get("STATUS_TABLE").is_some() {
        let status = status_store(env, &base)?;
        for m in monitors.iter().filter(|m| m.parent_id.is_none()) {
            statuses.extend(status.load_statuses(&m.id()?).await?);
        }
    }
    let text = if json {
        render::status_json(&monitors, &statuses, users)
    } else {
        render::status_table(&monitors, &statuses, users)
    };
    line(out, &text)
}

/// `report`: a monitor's Log Report.
async fn report(
    env: &Env,
    monitor: &str,
    csv: bool,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let id = MonitorId::parse(monitor)?;
    let store = StateStore::new(&env.sdk(3).await, Tables::from_lookup(&env.lookup())?);
    let rows = store.history(&id.to_string()).await?;
    if rows.is_empty() && store.get_monitor(&id).await?.is_none() {
        return Err(CliError::NoMonitor(monitor.to_string()));
    }
    let text = if csv {
        render::report_csv(id.kind(), &rows)?
    } else {
        render::report_table(id.kind(), &rows)
    };
    write!(out, "{text}").map_err(CliError::output)
}

/// `invoke`: run a function's handler in-process with this environment's settings.
async fn invoke(
    env: &Env,
    function: Function,
    event: Option<PathBuf>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let payload = match &event {
        None => serde_json::json!({}),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
                path: path.clone(),
                source,
            })?;
            serde_json::from_str(&text).map_err(|source| CliError::Json {
                path: path.clone(),
                source,
            })?
        }
    };
    let lookup = env.lookup();
    let answer = match function {
        Function::Collector => {
            let config = CollectorConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            let report = collector::Collector::new(config, base)
                .handle(payload, None)
                .await?;
            serde_json::to_value(report).map_err(CliError::output)?
        }
        Function::Evaluator => {
            let config = EvaluatorConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            evaluator::Evaluator::new(config, &base)
                .handle(payload)
                .await?
        }
        Function::Trail => {
            let config = TrailConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            let trail = ::trail::Trail::new(config, &base);
            let report = Box::pin(trail.handle(payload, None)).await?;
            serde_json::to_value(report).map_err(CliError::output)?
        }
    };
    let text = serde_json::to_string_pretty(&answer).map_err(CliError::output)?;
    line(out, &text)
}

fn line(out: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(CliError::output)
}

/// The trail table (TRAIL_TABLE), for the tally queries.
fn trail_store(env: &Env, base: &aws_config::SdkConfig) -> Result<TrailStore, CliError> {
    let table = env.require("TRAIL_TABLE", "the DynamoDB trail table")?;
    let ttl = chrono::Duration::days(14);
    Ok(TrailStore::new(base, &table, ttl, ttl))
}

fn status_store(env: &Env, base: &aws_config::SdkConfig) -> Result<StatusStore, CliError> {
    let table = env.require("STATUS_TABLE", "the DynamoDB status table")?;
    Ok(StatusStore::new(base, &table, chrono::Duration::days(30)))
}
