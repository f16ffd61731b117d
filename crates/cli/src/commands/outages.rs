//! `outages` and `outage`: the Outages tab, and a comment on an outage.

use chrono::Utc;
use clap::Subcommand;
use cognito_watch_aws::StatusStore;
use cognito_watch_core::alerting::status::{parse_outage_id, Outage};

use crate::env::Env;
use crate::error::CliError;
use crate::lookup::{monitor_named, status_store};
use crate::period;
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

/// `outages`'s arguments.
#[derive(Debug, clap::Args)]
pub struct OutagesCommand {
    /// Only this monitor's outages.
    #[arg(long)]
    pub monitor: Option<String>,
    /// Only outages still open.
    #[arg(long)]
    pub open: bool,
    /// CSV (the same as `-o csv`).
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    pub since: period::Since,
}

/// `outages`: those of the period, or only the open ones.
pub(crate) async fn command(
    env: &Env,
    args: OutagesCommand,
    output: Option<crate::format::Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let shown = Shown {
        open: args.open,
        period: &args.since.period,
    };
    let format = crate::format::Format::of(output, false, args.csv);
    Box::pin(run(env, args.monitor, shown, format, out)).await
}

#[derive(Debug, Subcommand)]
pub enum OutageCommand {
    /// Set an outage's comment (the id as `outages` shows it, or its first 4+ characters).
    Comment {
        /// The outage's id, or its first 4+ characters.
        id: String,
        /// The comment.
        text: String,
    },
}

/// Which outages `outages` shows.
pub struct Shown<'a> {
    /// Only those still open.
    pub open: bool,
    /// Those open at any time in the period.
    pub period: &'a crate::period::Period,
}

/// `outages`: of one monitor (its id) or every one, those open at any time in the period.
pub async fn list(
    store: &StatusStore,
    monitor: Option<String>,
    shown: Shown<'_>,
    format: crate::format::Format,
    style: &crate::style::Style,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    use crate::listing::{Cell, Field, Listing};
    let now = Utc::now();
    let from = shown.period.start(now)?;
    let list: Vec<Outage> = store
        .outages(monitor.as_deref())
        .await?
        .into_iter()
        .filter(|o| !shown.open || o.is_open())
        .filter(|o| o.in_period(from))
        .collect();
    let mut listing = Listing::new(vec![
        Field::new("id", "Id"),
        Field::new("outage_id", "Outage").wide(),
        Field::new("monitor_id", "Monitor id").wide(),
        Field::new("name", "Name"),
        Field::new("type", "Type"),
        Field::new("started_at", "Start (UTC)"),
        Field::new("ended_at", "End (UTC)"),
        Field::new("duration_seconds", "Duration"),
        Field::new("worst_status", "Worst status"),
        Field::new("reason", "Reason"),
        Field::new("comment", "Comment"),
    ]);
    for o in &list {
        let seconds = o.duration(now).num_seconds().max(0);
        listing.push(vec![
            Cell::text(o.short_id()),
            Cell::text(o.id()),
            Cell::text(o.monitor_id.clone()),
            Cell::text(o.name.clone()),
            Cell::text(o.kind.label()),
            Cell::Time(Some(o.started_at)),
            Cell::Until(o.ended_at),
            Cell::Seconds(seconds as u64),
            Cell::Status(o.status.as_str().to_string()),
            Cell::text(o.reason.clone()),
            Cell::text(o.comment.clone().unwrap_or_default()),
        ]);
    }
    let empty = format!("no outages in the last {}", shown.period);
    listing.emit(w, format, style, &empty)
}

/// The outage whose short id starts with `prefix` (at least 4 characters, and only one).
async fn find_outage(
    store: &StatusStore,
    prefix: &str,
) -> Result<(String, chrono::DateTime<Utc>), CliError> {
    if prefix.len() < 4 {
        return Err(CliError::Usage(format!(
            "{prefix:?}: give at least 4 characters of an outage id (as `outages` shows)"
        )));
    }
    let found: Vec<Outage> = store
        .outages(None)
        .await?
        .into_iter()
        .filter(|o| o.short_id().starts_with(&prefix.to_lowercase()))
        .collect();
    match found.as_slice() {
        [one] => Ok((one.monitor_id.clone(), one.started_at)),
        [] => Err(CliError::Usage(format!(
            "no outage {prefix:?} (ids as `outages` shows)"
        ))),
        many => Err(CliError::Usage(format!(
            "{prefix:?} names {} outages: give more of the id",
            many.len()
        ))),
    }
}

pub async fn edit(
    store: &StatusStore,
    cmd: OutageCommand,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    match cmd {
        OutageCommand::Comment { id, text } => {
            let (monitor, start) = match parse_outage_id(&id) {
                Some(full) => full,
                None => find_outage(store, &id).await?,
            };
            store.comment_outage(&monitor, start, &text).await?;
            crate::lookup::line(w, &format!("comment set on {id}"))
        }
    }
}

/// `outages`: the status table's outages, of one monitor (by id or name) or all.
pub(crate) async fn run(
    env: &Env,
    monitor: Option<String>,
    shown: Shown<'_>,
    format: crate::format::Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let status = status_store(env, &base)?;
    let monitor = match monitor {
        Some(m) => {
            let state = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
            Some(monitor_named(&state, &m).await?.to_string())
        }
        None => None,
    };
    let style = crate::style::Style::of(env);
    Box::pin(list(&status, monitor, shown, format, &style, out)).await
}
