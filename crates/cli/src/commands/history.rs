//! `history`: a monitor's metrics over the period.

use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

use crate::lookup::{history_of, monitor_named};
use crate::{look, period, render, CliError, Env, Format};

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
    render::history(out, format, &look::Look::of(env), &series)
}
