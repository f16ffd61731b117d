//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

pub mod alerting;
pub mod render;
pub mod trail;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use cognito_watch_aws::{sdk, AlertSink, StateStore, StatusStore, TrailStore};
use cognito_watch_core::alerting::profile::ProfileSet;
use cognito_watch_core::config::{
    CollectorConfig, ConfigError, EvaluatorConfig, Tables, TrailConfig,
};
use cognito_watch_core::inventory::monitor::MonitorId;

pub use alerting::{OutageCommand, ThresholdsCommand};

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
    #[error("cannot write output: {0}")]
    Output(String),
}

impl CliError {
    /// The process exit code: 2 for a usage error (a bad argument or a missing setting, as
    /// clap's own usage errors), 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Config(_) | CliError::MonitorId(_) => 2,
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

/// Run a command, writing to `out`. (The command's future is boxed: it is large, and a
/// caller's stack may be small.)
pub async fn run(cli: Cli, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    Box::pin(dispatch(cli, out)).await
}

async fn dispatch(cli: Cli, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let env = |k: &str| std::env::var(k).ok();
    match cli.command {
        Command::Init => {
            let tables = Tables::from_lookup(&env)?;
            let base = sdk::load(3).await;
            let store = StateStore::new(&base, tables.clone());
            let created = store.create_tables().await?;
            for t in [&tables.state, &tables.history] {
                let what = if created.contains(t) {
                    "created"
                } else {
                    "exists"
                };
                line(out, &format!("table {t}: {what}"))?;
            }
            let status = status_store(&env, &base)?;
            let what = if status.create_table().await? {
                "created"
            } else {
                "exists"
            };
            line(out, &format!("table {}: {what}", status.table))?;
            let defaults = ProfileSet::shipped().map_err(|e| CliError::Usage(e.to_string()))?;
            if status.seed(&defaults).await? {
                line(
                    out,
                    &format!(
                        "threshold profiles: loaded {} shipped profiles",
                        defaults.profiles.len()
                    ),
                )?;
            } else {
                line(out, "threshold profiles: already loaded")?;
            }
            if env("TRAIL_TABLE").is_some() {
                let store = trail_store(&env).await?;
                let what = if store.create_table().await? {
                    "created"
                } else {
                    "exists"
                };
                line(out, &format!("table {}: {what}", store.table))?;
            }
            let topic = env("ALERT_TOPIC_NAME").unwrap_or_else(|| "cognito-watch-alerts".into());
            let arn = AlertSink::create_topic(&base, &topic).await?;
            line(out, &format!("topic {topic}: {arn}"))?;
            if env("ALERT_TOPIC_ARN").as_deref() != Some(arn.as_str()) {
                line(
                    out,
                    &format!("for the evaluator: export ALERT_TOPIC_ARN={arn}"),
                )?;
            }
        }
        Command::Status { json, users } => {
            let base = sdk::load(3).await;
            let store = StateStore::new(&base, Tables::from_lookup(&env)?);
            let monitors = store.load_estate().await?;
            // Statuses, when the evaluator has a table to read.
            let mut statuses = std::collections::BTreeMap::new();
            if env("STATUS_TABLE").is_some() {
                let status = status_store(&env, &base)?;
                for m in monitors.iter().filter(|m| m.parent_id.is_none()) {
                    let id = m.id()?;
                    statuses.extend(status.load_statuses(&id).await?);
                }
            }
            let text = if json {
                render::status_json(&monitors, &statuses, users)
            } else {
                render::status_table(&monitors, &statuses, users)
            };
            line(out, &text)?;
        }
        Command::Thresholds { command } => {
            let status = status_store(&env, &sdk::load(3).await)?;
            alerting::thresholds(&status, command, out).await?;
        }
        Command::Outages { monitor, open, csv } => {
            let status = status_store(&env, &sdk::load(3).await)?;
            alerting::outages(&status, monitor, open, csv, out).await?;
        }
        Command::Outage { command } => {
            let status = status_store(&env, &sdk::load(3).await)?;
            alerting::outage(&status, command, out).await?;
        }
        Command::Report { monitor, csv } => {
            let id = MonitorId::parse(&monitor)?;
            let store = StateStore::new(&sdk::load(3).await, Tables::from_lookup(&env)?);
            let rows = store.history(&id.to_string()).await?;
            if rows.is_empty() && store.get_monitor(&id).await?.is_none() {
                return Err(CliError::NoMonitor(monitor));
            }
            let text = if csv {
                render::report_csv(id.kind(), &rows)?
            } else {
                render::report_table(id.kind(), &rows)
            };
            write!(out, "{text}").map_err(|e| CliError::Output(e.to_string()))?;
        }
        Command::Tallies(command) => {
            let store = trail_store(&env).await?;
            trail::run(&store, command, out).await?;
        }
        Command::Invoke { function, event } => {
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
            let answer = match function {
                Function::Collector => {
                    let config = CollectorConfig::from_env()?;
                    let base = sdk::load(config.max_attempts).await;
                    let report = collector::Collector::new(config, base)
                        .handle(payload, None)
                        .await?;
                    serde_json::to_value(report).map_err(|e| CliError::Output(e.to_string()))?
                }
                Function::Evaluator => {
                    let config = EvaluatorConfig::from_env()?;
                    let base = sdk::load(config.max_attempts).await;
                    evaluator::Evaluator::new(config, &base)
                        .handle(payload)
                        .await?
                }
                Function::Trail => {
                    let config = TrailConfig::from_env()?;
                    let base = sdk::load(config.max_attempts).await;
                    let trail = ::trail::Trail::new(config, &base);
                    let report = Box::pin(trail.handle(payload, None)).await?;
                    serde_json::to_value(report).map_err(|e| CliError::Output(e.to_string()))?
                }
            };
            let text = serde_json::to_string_pretty(&answer)
                .map_err(|e| CliError::Output(e.to_string()))?;
            line(out, &text)?;
        }
    }
    Ok(())
}

fn line(out: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(|e| CliError::Output(e.to_string()))
}

/// The trail table (TRAIL_TABLE), for the tally queries.
async fn trail_store(env: &dyn Fn(&str) -> Option<String>) -> Result<TrailStore, CliError> {
    let table =
        env("TRAIL_TABLE")
            .filter(|t| !t.trim().is_empty())
            .ok_or(ConfigError::Missing {
                name: "TRAIL_TABLE",
                what: "the DynamoDB trail table",
            })?;
    let ttl = chrono::Duration::days(14);
    Ok(TrailStore::new(&sdk::load(3).await, &table, ttl, ttl))
}

fn status_store(
    env: &dyn Fn(&str) -> Option<String>,
    base: &aws_config::SdkConfig,
) -> Result<StatusStore, CliError> {
    let table =
        env("STATUS_TABLE")
            .filter(|t| !t.trim().is_empty())
            .ok_or(ConfigError::Missing {
                name: "STATUS_TABLE",
                what: "the DynamoDB status table",
            })?;
    Ok(StatusStore::new(base, &table, chrono::Duration::days(30)))
}
