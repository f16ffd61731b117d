//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

pub mod render;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use cognito_watch_aws::{sdk, StateStore};
use cognito_watch_core::config::{CollectorConfig, Tables};
use cognito_watch_core::monitor::MonitorId;

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
    /// Create the state and history tables if missing (names from STATE_TABLE / HISTORY_TABLE).
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
    /// Run a function's handler in-process against AWS_ENDPOINT_URL (or real AWS).
    Invoke {
        function: Function,
        /// The event file (e.g. events/schedule.json); none means `{}`.
        #[arg(long)]
        event: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Function {
    Collector,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] cognito_watch_core::config::ConfigError),
    #[error(transparent)]
    Aws(#[from] cognito_watch_aws::AwsError),
    #[error(transparent)]
    MonitorId(#[from] cognito_watch_core::monitor::InvalidMonitorId),
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
    #[error("cannot write output: {0}")]
    Output(String),
}

/// Run a command, writing to `out`.
pub async fn run(cli: Cli, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let env = |k: &str| std::env::var(k).ok();
    match cli.command {
        Command::Init => {
            let tables = Tables::from_lookup(&env)?;
            let store = StateStore::new(&sdk::load(3).await, tables.clone());
            let created = store.create_tables().await?;
            for t in [&tables.state, &tables.history] {
                let what = if created.contains(t) {
                    "created"
                } else {
                    "exists"
                };
                writeln!(out, "table {t}: {what}").map_err(|e| CliError::Output(e.to_string()))?;
            }
        }
        Command::Status { json, users } => {
            let store = StateStore::new(&sdk::load(3).await, Tables::from_lookup(&env)?);
            let monitors = store.load_estate().await?;
            let text = if json {
                render::status_json(&monitors, users)
            } else {
                render::status_table(&monitors, users)
            };
            writeln!(out, "{text}").map_err(|e| CliError::Output(e.to_string()))?;
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
        Command::Invoke {
            function: Function::Collector,
            event,
        } => {
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
            let config = CollectorConfig::from_env()?;
            let base = sdk::load(config.max_attempts).await;
            let report = collector::Collector::new(config, base)
                .handle(payload, None)
                .await?;
            let text = serde_json::to_string_pretty(&report)
                .map_err(|e| CliError::Output(e.to_string()))?;
            writeln!(out, "{text}").map_err(|e| CliError::Output(e.to_string()))?;
        }
    }
    Ok(())
}
