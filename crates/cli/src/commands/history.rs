//! `history`: a monitor's metrics over the period.

use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::{history_of, monitor_named};
use crate::{period, render, style};

/// `history`'s arguments.
#[derive(Debug, clap::Args)]
pub struct HistoryCommand {
    /// The monitor: its id (appclient/us-east-1_abc/<client id>) or its name.
    pub monitor: String,
    /// Only these metrics (ids as `thresholds metrics` lists them); all with data otherwise.
    #[arg(long = "metric")]
    pub metrics: Vec<String>,
    #[command(flatten)]
    pub since: period::Since,
}

/// `history`: the monitor's charts over the period.
pub(crate) async fn command(
    env: &Env,
    args: HistoryCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let format = Format::of(output, false, false);
    let period = &args.since.period;
    Box::pin(run(env, &args.monitor, &args.metrics, period, format, out)).await
}

/// `history`: a monitor's metrics over the period.
pub(crate) async fn run(
    env: &Env,
    monitor: &str,
    metrics: &[String],
    period: &period::Period,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let store = StateStore::new(&env.sdk(3).await, Tables::from_lookup(&env.lookup())?);
    let id = monitor_named(&store, monitor).await?;
    let from = period.start(chrono::Utc::now())?;
    let unknown: Vec<&String> = metrics
        .iter()
        .filter(|m| cognito_watch_core::inventory::catalogue::find(id.kind(), m).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Usage(format!(
            "no metric {unknown:?} on {}: `cognito-watch thresholds metrics` lists them",
            id.kind().label()
        )));
    }
    let mut rows = history_of(&store, &id).await?;
    rows.retain(|r| r.in_period(from));
    let series = render::Series::of(id.kind(), &rows, metrics);
    render::history(out, format, &style::Style::of(env), &series)
}
