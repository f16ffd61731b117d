//! `availability`: the share of the period each monitor, pool and account/region was up, from
//! the evaluator's record of status transitions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use cognito_watch_aws::{StateStore, StatusStore};
use cognito_watch_core::alerting::availability::{
    durations, roll_up, segments, Durations, Record, Segment, Transition, LONGEST_PERIOD_DAYS,
    ROLL_UP_RULE,
};
use cognito_watch_core::alerting::status::MonitorStatus;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::{status_store, statuses_of};
use crate::{period, style};

/// `availability`'s arguments.
#[derive(Debug, clap::Args)]
pub struct AvailabilityCommand {
    /// Only this user or identity pool (its id or name) and its children.
    #[arg(long)]
    pub pool: Option<String>,
    /// Every monitor, not only the roll-ups and the monitors that were not up all the time.
    #[arg(long)]
    pub all: bool,
    #[command(flatten)]
    pub since: period::Since,
}

/// The availability of one monitor or roll-up over a period.
#[derive(Debug, Clone)]
pub struct Measured {
    /// `account/region`, `pool` or `monitor`.
    pub scope: &'static str,
    pub account: String,
    pub region: String,
    /// Its name (the pool's for a pool, `account region` for an account and region).
    pub name: String,
    /// The monitor's or root's id (none for an account and region).
    pub monitor_id: Option<String>,
    pub kind: Option<MonitorKind>,
    pub durations: Durations,
    /// Status changes in the period.
    pub transitions: usize,
}

/// The availability of an estate over `[start, end)`.
#[derive(Debug, Clone, Default)]
pub struct Estate {
    /// Per account and region, per pool (roots with children), then per monitor.
    pub rows: Vec<Measured>,
    /// Every transition read, per root, oldest first (the timeline reuses them).
    pub transitions: BTreeMap<String, Vec<Transition>>,
}

impl Estate {
    /// Rows of one scope.
    pub fn of_scope<'a>(&'a self, scope: &'a str) -> impl Iterator<Item = &'a Measured> {
        self.rows.iter().filter(move |r| r.scope == scope)
    }
}

/// Refuse a period longer than the record is sure to cover.
pub fn check_period(period: &period::Period) -> Result<(), CliError> {
    if period.length > chrono::Duration::days(LONGEST_PERIOD_DAYS) {
        return Err(CliError::Usage(format!(
            "--since {period}: availability and the timeline cover at most {LONGEST_PERIOD_DAYS} \
             days (90d), the least the stack keeps status transitions for \
             (TransitionRetentionDays)"
        )));
    }
    Ok(())
}

/// Read every root's transitions from `start` on and measure each monitor (users left out:
/// they are many and their status is their own) and roll up each pool and account/region.
pub async fn measure(
    status: &StatusStore,
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Estate, CliError> {
    let mut estate = Estate::default();
    let watched: Vec<&Monitor> = monitors
        .iter()
        .filter(|m| m.kind != MonitorKind::User)
        .collect();
    for root in watched.iter().filter(|m| m.parent_id.is_none()) {
        let kept = status.transitions(&root.id()?, start).await?;
        estate.transitions.insert(root.monitor_id.clone(), kept);
    }
    let mut per_monitor: BTreeMap<&str, Vec<&Transition>> = BTreeMap::new();
    for t in estate.transitions.values().flatten() {
        per_monitor
            .entry(t.monitor_id.as_str())
            .or_default()
            .push(t);
    }
    let mut segs: BTreeMap<&str, Vec<Segment>> = BTreeMap::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for m in &watched {
        let kept = per_monitor
            .get(m.monitor_id.as_str())
            .cloned()
            .unwrap_or_default();
        let record = Record::of(statuses.get(&m.monitor_id), m.first_seen, &kept);
        segs.insert(&m.monitor_id, segments(record.as_ref(), start, end));
        counts.insert(&m.monitor_id, kept.iter().filter(|t| t.at < end).count());
    }
    let mut regions: BTreeMap<(&str, &str), Vec<&Monitor>> = BTreeMap::new();
    for m in &watched {
        regions
            .entry((m.account.as_str(), m.region.as_str()))
            .or_default()
            .push(m);
    }
    let measured = |scope, m: &Monitor, members: &[&Monitor], name: String| {
        let parts: Vec<Vec<Segment>> = members
            .iter()
            .filter_map(|c| segs.get(c.monitor_id.as_str()).cloned())
            .collect();
        let rolled = if members.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else {
            roll_up(&parts, start, end)
        };
        Measured {
            scope,
            account: m.account.clone(),
            region: m.region.clone(),
            name,
            monitor_id: (scope != "account/region").then(|| m.monitor_id.clone()),
            kind: (scope != "account/region").then_some(m.kind),
            durations: durations(&rolled),
            transitions: members
                .iter()
                .map(|c| counts.get(c.monitor_id.as_str()).copied().unwrap_or(0))
                .sum(),
        }
    };
    for ((account, region), members) in &regions {
        let Some(first) = members.first() else {
            continue;
        };
        estate.rows.push(measured(
            "account/region",
            first,
            members,
            format!("{account} {region}"),
        ));
    }
    for members in regions.values() {
        for root in members.iter().filter(|m| m.parent_id.is_none()) {
            let family: Vec<&Monitor> = members
                .iter()
                .copied()
                .filter(|m| {
                    m.monitor_id == root.monitor_id
                        || m.parent_id.as_deref() == Some(root.monitor_id.as_str())
                })
                .collect();
            if family.len() > 1 {
                estate
                    .rows
                    .push(measured("pool", root, &family, root.name.clone()));
            }
        }
    }
    for (_, m) in crate::render::tree(monitors, false) {
        estate
            .rows
            .push(measured("monitor", m, &[m], m.name.clone()));
    }
    Ok(estate)
}

/// Availability floored to two decimals (99.999 never shows as 100).
fn floored(d: &Durations) -> Option<f64> {
    d.availability().map(|p| (p * 100.0).floor() / 100.0)
}

/// The rows as a listing.
pub fn listing(rows: &[&Measured]) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("scope", "Scope"),
        Field::new("account", "Account").wide(),
        Field::new("region", "Region").wide(),
        Field::new("monitor_id", "Id").wide(),
        Field::new("name", "Name"),
        Field::new("type", "Type"),
        Field::new("availability_percent", "Up %"),
        Field::new("up_seconds", "Up"),
        Field::new("trouble_seconds", "Trouble"),
        Field::new("critical_seconds", "Critical"),
        Field::new("down_seconds", "Down"),
        Field::new("unknown_seconds", "No record"),
        Field::new("transitions", "Changes"),
    ]);
    for r in rows {
        let secs = |s: i64| Cell::Seconds(u64::try_from(s).unwrap_or(0));
        listing.push(vec![
            Cell::text(r.scope),
            Cell::text(r.account.clone()),
            Cell::text(r.region.clone()),
            Cell::text(r.monitor_id.clone().unwrap_or_default()),
            Cell::Child {
                text: r.name.clone(),
                depth: usize::from(r.scope == "monitor"),
            },
            Cell::text(r.kind.map(|k| k.label()).unwrap_or("account and region")),
            Cell::Number(floored(&r.durations)),
            secs(r.durations.up),
            secs(r.durations.trouble),
            secs(r.durations.critical),
            secs(r.durations.down),
            secs(r.durations.unknown),
            Cell::Count(r.transitions as u64),
        ]);
    }
    listing
}

/// `availability`.
pub(crate) async fn command(
    env: &Env,
    args: AvailabilityCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    check_period(&args.since.period)?;
    let format = Format::of(output, false, false);
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let status = status_store(env, &base)?;
    let mut monitors = store.load_estate().await?;
    if let Some(pool) = &args.pool {
        crate::commands::status::keep_pool(&mut monitors, pool)?;
    }
    let statuses = statuses_of(env, &base, &monitors).await?;
    let now = Utc::now();
    let start = args.since.period.start(now)?;
    let estate = Box::pin(measure(&status, &monitors, &statuses, start, now)).await?;
    let rows: Vec<&Measured> = estate
        .rows
        .iter()
        .filter(|r| args.all || r.scope != "monitor" || r.durations.up < r.durations.known())
        .collect();
    if format == Format::Table {
        crate::lookup::line(
            out,
            &format!(
                "Availability over the last {} (to {} UTC). Roll-up: {ROLL_UP_RULE}.{}",
                args.since.period,
                now.format("%Y-%m-%d %H:%M"),
                if args.all {
                    ""
                } else {
                    " Monitors up all the time are left out (--all lists them)."
                }
            ),
        )?;
    }
    listing(&rows).emit(
        out,
        format,
        &style::Style::of(env),
        "no monitors: run the collector (cognito-watch invoke collector)",
    )
}
