//! `timeline`: what happened to a monitor or a pool, in time order: status changes, outages
//! opened and closed with their comments, alerts sent, and the trail's detections for the pool.

use chrono::Utc;
use cognito_watch_aws::StateStore;
use cognito_watch_core::alerting::timeline::{timeline, Entry, Parts};
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::Monitor;

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::{find_monitor, status_store, trail_store};
use crate::{period, style};

/// `timeline`'s arguments.
#[derive(Debug, clap::Args)]
pub struct TimelineCommand {
    /// The monitor or pool: its id (as `status -o wide` shows it) or its name. A user or
    /// identity pool's timeline holds its children's too.
    pub monitor: String,
    #[command(flatten)]
    pub since: period::Since,
}

/// The timeline of `monitor` (a root: with its children) from `start` on.
pub(crate) async fn entries(
    env: &Env,
    base: &aws_config::SdkConfig,
    estate: &[Monitor],
    monitor: &Monitor,
    start: chrono::DateTime<Utc>,
) -> Result<Vec<Entry>, CliError> {
    let status = status_store(env, base)?;
    let root_id = monitor
        .parent_id
        .clone()
        .unwrap_or_else(|| monitor.monitor_id.clone());
    let root = cognito_watch_core::inventory::monitor::MonitorId::parse(&root_id)?;
    let is_root = monitor.parent_id.is_none();
    let concerns = |id: &str| is_root || id == monitor.monitor_id;
    let transitions: Vec<_> = status
        .transitions(&root, start)
        .await?
        .into_iter()
        .filter(|t| concerns(&t.monitor_id))
        .collect();
    let members: Vec<&str> = estate
        .iter()
        .filter(|m| {
            m.monitor_id == monitor.monitor_id
                || (is_root && m.parent_id.as_deref() == Some(monitor.monitor_id.as_str()))
        })
        .map(|m| m.monitor_id.as_str())
        .collect();
    let outages: Vec<_> = if is_root {
        status
            .outages(None)
            .await?
            .into_iter()
            .filter(|o| members.contains(&o.monitor_id.as_str()))
            .collect()
    } else {
        status.outages(Some(&monitor.monitor_id)).await?
    };
    // Alerts name a monitor by its public id (a user by its sub): matched by name and kind
    // too.
    let alerts: Vec<_> = status
        .alerts(&root)
        .await?
        .into_iter()
        .filter(|a| {
            is_root
                || a.alert.monitor_id == monitor.monitor_id
                || (a.alert.kind == monitor.kind && a.alert.name == monitor.name)
        })
        .map(|a| (a.alert, a.delivery.summary()))
        .collect();
    let pool = monitor.user_pool_id.clone();
    let detections = match (&pool, env.get("TRAIL_TABLE")) {
        (Some(pool), Some(_)) => trail_store(env, base)?
            .findings(start)
            .await?
            .into_iter()
            .filter(|f| f.finding.concerns(pool))
            .filter(|f| {
                is_root
                    || f.finding.client_id().is_none()
                    || monitor
                        .monitor_id
                        .ends_with(&format!("/{}", f.finding.client_id().unwrap_or_default()))
            })
            .map(|f| {
                let name = estate
                    .iter()
                    .find(|m| m.parent_id.is_none() && m.user_pool_id.as_deref() == Some(pool))
                    .map_or_else(|| pool.clone(), |m| m.name.clone());
                (f.finding, name)
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(timeline(
        Parts {
            transitions: &transitions,
            outages: &outages,
            alerts: &alerts,
            detections: &detections,
        },
        start,
    ))
}

/// The entries as a listing.
pub fn listing(entries: &[Entry]) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("at", "When (UTC)"),
        Field::new("monitor_id", "Monitor id").wide(),
        Field::new("name", "Name"),
        Field::new("kind", "Kind"),
        Field::new("what", "What"),
    ]);
    for e in entries {
        listing.push(vec![
            Cell::Time(Some(e.at)),
            Cell::text(e.monitor_id.clone().unwrap_or_default()),
            Cell::text(e.name.clone()),
            Cell::text(e.kind()),
            Cell::text(e.text()),
        ]);
    }
    listing
}

/// `timeline`.
pub(crate) async fn command(
    env: &Env,
    args: TimelineCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    crate::commands::availability::check_period(&args.since.period)?;
    let format = Format::of(output, false, false);
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let estate = store.load_estate().await?;
    let monitor = find_root_or_monitor(&estate, &args.monitor)?;
    let start = args.since.period.start(Utc::now())?;
    let found = Box::pin(entries(env, &base, &estate, monitor, start)).await?;
    let empty = format!(
        "nothing happened to {} in the last {}",
        monitor.name, args.since.period
    );
    listing(&found).emit(out, format, &style::Style::of(env), &empty)
}

/// A monitor by id or name, or a pool by its pool id (`us-east-1_AbC`).
pub(crate) fn find_root_or_monitor<'a>(
    estate: &'a [Monitor],
    what: &str,
) -> Result<&'a Monitor, CliError> {
    find_monitor(estate, what).or_else(|e| {
        estate
            .iter()
            .find(|m| m.parent_id.is_none() && m.monitor_id.ends_with(&format!("/{what}")))
            .ok_or(e)
    })
}
