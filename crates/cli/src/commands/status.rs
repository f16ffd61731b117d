//! `status`: the monitor tree with the evaluator's statuses.

use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::MonitorKind;

use crate::commands::thresholds;
use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::statuses_of;
use crate::{render, style};

/// A status to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusArg {
    Up,
    Trouble,
    Critical,
    Down,
}

/// What `status` shows.
#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    pub users: bool,
    pub pool: Option<String>,
    pub kind: Option<thresholds::KindArg>,
    pub status: Vec<StatusArg>,
}

/// `status`'s arguments.
#[derive(Debug, clap::Args)]
pub struct StatusCommand {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Include user monitors (they can be many).
    #[arg(long)]
    pub users: bool,
    /// Only this user or identity pool (its id or name) and its children.
    #[arg(long)]
    pub pool: Option<String>,
    /// Only monitors of this type.
    #[arg(long = "type", value_enum)]
    pub kind: Option<thresholds::KindArg>,
    /// Only monitors with this status (as the evaluator last judged it); repeat it for
    /// several: `--status trouble --status critical --status down`.
    #[arg(long, value_enum)]
    pub status: Vec<StatusArg>,
}

/// `status`: the filter its flags make (`--type user` includes users).
pub(crate) async fn command(
    env: &Env,
    args: StatusCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let filter = StatusFilter {
        users: args.users || args.kind == Some(thresholds::KindArg::User),
        pool: args.pool,
        kind: args.kind,
        status: args.status,
    };
    Box::pin(run(env, Format::of(output, args.json, false), &filter, out)).await
}

/// `status`: the monitor tree, with statuses when the evaluator has a table to read and, in
/// the compact view, the trend of each monitor's key metric over its last polls.
pub(crate) async fn run(
    env: &Env,
    format: Format,
    filter: &StatusFilter,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let mut monitors = store.load_estate().await?;
    let statuses = statuses_of(env, &base, &monitors).await?;
    if env.get("STATUS_TABLE").is_none() {
        eprintln!(
            "warning: statuses not shown: STATUS_TABLE is not set and no stack output names it"
        );
    }
    if let Some(pool) = &filter.pool {
        let roots: Vec<String> = monitors
            .iter()
            .filter(|m| m.parent_id.is_none())
            .filter(|m| &m.name == pool || m.monitor_id.ends_with(&format!("/{pool}")))
            .map(|m| m.monitor_id.clone())
            .collect();
        if roots.is_empty() {
            return Err(CliError::NoMonitor(format!("pool {pool}")));
        }
        monitors.retain(|m| {
            roots.contains(&m.monitor_id) || m.parent_id.as_ref().is_some_and(|p| roots.contains(p))
        });
    }
    if let Some(kind) = filter.kind {
        monitors.retain(|m| m.kind == MonitorKind::from(kind));
    }
    if !filter.status.is_empty() {
        let words: Vec<String> = filter
            .status
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect();
        monitors.retain(|m| {
            statuses
                .get(&m.monitor_id)
                .is_some_and(|s| words.iter().any(|w| s.status.as_str() == w))
        });
    }
    let mut trends = std::collections::BTreeMap::new();
    for m in monitors
        .iter()
        .filter(|m| filter.users || m.kind != MonitorKind::User)
    {
        let Some(metric) = render::key_metric_id(m) else {
            continue;
        };
        let rows = store
            .recent_history(&m.monitor_id, render::TREND_POLLS as i32)
            .await?;
        trends.insert(
            m.monitor_id.clone(),
            rows.iter()
                .map(|r| (r.row_time(), r.metrics.get(metric).copied()))
                .collect(),
        );
    }
    let empty =
        "no monitors: run the collector (cognito-watch invoke collector), or loosen the filters";
    render::status_listing(&monitors, &statuses, filter.users, &trends).emit(
        out,
        format,
        &style::Style::of(env),
        empty,
    )
}
