//! `status`: a summary of the estate, then the monitors that are not up with their reasons,
//! or the monitor tree with the evaluator's statuses.

mod summary;

use cognito_watch_aws::StateStore;
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};

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
    /// Every monitor; otherwise (with no pool or status asked for) only those not up.
    pub all: bool,
}

impl StatusFilter {
    /// Whether the listing is the default one: the monitors that are not up.
    fn not_up_only(&self) -> bool {
        !self.all && self.pool.is_none() && self.status.is_empty()
    }
}

/// `status`'s arguments.
#[derive(Debug, clap::Args)]
pub struct StatusCommand {
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Every monitor as a tree (region → pool → children), not only those that are not up.
    #[arg(long)]
    pub all: bool,
    /// Include user monitors (they can be many).
    #[arg(long)]
    pub users: bool,
    /// Only this user or identity pool (its id or name) and its children, every one of them.
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
        all: args.all,
    };
    Box::pin(run(env, Format::of(output, args.json, false), &filter, out)).await
}

/// Keep `pool` (a user or identity pool's id or name) and its children; an error when no pool
/// is so named.
pub(crate) fn keep_pool(monitors: &mut Vec<Monitor>, pool: &str) -> Result<(), CliError> {
    let roots: Vec<String> = monitors
        .iter()
        .filter(|m| m.parent_id.is_none())
        .filter(|m| m.name == pool || m.monitor_id.ends_with(&format!("/{pool}")))
        .map(|m| m.monitor_id.clone())
        .collect();
    if roots.is_empty() {
        return Err(CliError::NoMonitor(format!("pool {pool}")));
    }
    monitors.retain(|m| {
        roots.contains(&m.monitor_id) || m.parent_id.as_ref().is_some_and(|p| roots.contains(p))
    });
    Ok(())
}

/// `status`: a summary of the estate (in a table), then the monitors that are not up, each
/// with its reason, or with `--all`, `--pool` or `--status` the monitor tree so filtered;
/// with statuses when the evaluator has a table to read and, in the compact view, the trend
/// of each monitor's key metric over its last polls.
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
        keep_pool(&mut monitors, pool)?;
    }
    if format == Format::Table {
        let text = Box::pin(summary::text(env, &base, &monitors, &statuses)).await?;
        crate::lookup::line(out, &summary::fit(&text, style::Style::of(env).width))?;
    }
    let roots: std::collections::BTreeMap<String, String> = monitors
        .iter()
        .filter(|m| m.parent_id.is_none())
        .map(|m| (m.monitor_id.clone(), m.name.clone()))
        .collect();
    if let Some(kind) = filter.kind {
        monitors.retain(|m| m.kind == MonitorKind::from(kind));
    }
    let counted = monitors
        .iter()
        .filter(|m| filter.users || m.kind != MonitorKind::User)
        .count();
    if filter.not_up_only() {
        monitors.retain(|m| {
            statuses
                .get(&m.monitor_id)
                .is_some_and(|s| s.status != Status::Up)
        });
    } else if !filter.status.is_empty() {
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
        let Some(metric) = render::key_metric_id(m, statuses.get(&m.monitor_id)) else {
            continue;
        };
        let rows = store
            .recent_history(&m.monitor_id, render::TREND_POLLS as i32)
            .await?;
        trends.insert(
            m.monitor_id.clone(),
            rows.iter()
                .map(|r| (r.row_time(), r.metrics.get(&metric).copied()))
                .collect(),
        );
    }
    let empty = if counted == 0 {
        "no monitors: run the collector (cognito-watch invoke collector), or loosen the filters"
            .to_string()
    } else if filter.not_up_only() {
        format!("every monitor is up ({counted}); --all lists them")
    } else {
        "no monitor matches the filters; --all lists every one".to_string()
    };
    if format == Format::Table && filter.not_up_only() && !monitors.is_empty() {
        let heading = format!(
            "\nNot up ({}; --all lists every monitor, --pool P one pool, --status S by status):",
            monitors
                .iter()
                .filter(|m| filter.users || m.kind != MonitorKind::User)
                .count()
        );
        crate::lookup::line(out, &summary::fit(&heading, style::Style::of(env).width))?;
    }
    let why = filter.not_up_only() || !filter.status.is_empty();
    render::status_listing(&monitors, &statuses, filter.users, &trends, why, &roots).emit(
        out,
        format,
        &style::Style::of(env),
        &empty,
    )
}
