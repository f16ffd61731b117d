//! `report`: a monitor's Log Report, or the estate as one HTML page.

use aws_config::SdkConfig;
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;
use cognito_watch_core::trail::detect::Finding;

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::{history_of, line, monitor_named, status_store, statuses_of, trail_store};
use crate::{html, period, render, style};
use std::path::PathBuf;

/// `report`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ReportCommand {
    /// The monitor: its id (userpool/us-east-1_abc, appclient/us-east-1_abc/<client id>)
    /// or its name, as `history` and `describe` take it (with --html: only this monitor;
    /// the whole estate otherwise).
    #[arg(required_unless_present_any = ["html", "monitor_flag"])]
    pub monitor: Option<String>,
    /// The monitor, as earlier versions took it (`--monitor web`).
    #[arg(long = "monitor", value_name = "MONITOR", conflicts_with = "monitor")]
    pub monitor_flag: Option<String>,
    /// CSV, the downloadable Log Report (the same as `-o csv`); a table otherwise.
    #[arg(long)]
    pub csv: bool,
    /// Write one self-contained HTML page instead: a summary (statuses per account/region,
    /// availability, outages), what is not up and why, each pool as a collapsible section
    /// (open when not all up) with its monitors' metrics charted over the period (a time axis,
    /// the threshold drawn, outages shaded), outages, top failing IPs, detections and posture.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    #[command(flatten)]
    pub since: period::Since,
}

/// `report`: the HTML page with `--html`, else the monitor's Log Report.
pub(crate) async fn command(
    env: &Env,
    args: ReportCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let monitor = args.monitor.or(args.monitor_flag);
    match args.html {
        Some(file) => {
            Box::pin(html(
                env,
                monitor.as_deref(),
                &args.since.period,
                &file,
                out,
            ))
            .await
        }
        None => {
            let format = Format::of(output, false, args.csv);
            let monitor = monitor.unwrap_or_default();
            Box::pin(run(env, &monitor, &args.since.period, format, out)).await
        }
    }
}

/// `report`: a monitor's Log Report.
pub(crate) async fn run(
    env: &Env,
    monitor: &str,
    period: &period::Period,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let id = monitor_named(&store, monitor).await?;
    let from = period.start(chrono::Utc::now())?;
    let mut rows = history_of(&store, &id).await?;
    rows.retain(|r| r.in_period(from));
    let name = store
        .get_monitor(&id)
        .await?
        .map_or_else(|| id.to_string(), |m| m.name);
    let outages = match env.get("STATUS_TABLE") {
        Some(_) => Some(
            status_store(env, &base)?
                .outages(Some(&id.to_string()))
                .await?,
        ),
        None => None,
    };
    let listing = render::report_listing(id.kind(), &name, &rows, outages.as_deref());
    let empty = format!("no polls of {id} in the last {period}");
    listing.emit(out, format, &style::Style::of(env), &empty)
}

/// `report --html FILE`: the estate (or one monitor) over the period, as one page.
pub(crate) async fn html(
    env: &Env,
    monitor: Option<&str>,
    period: &period::Period,
    file: &std::path::Path,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let now = chrono::Utc::now();
    let from = period.start(now)?;
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let estate = store.load_estate().await?;
    // Statuses are read per root: from the whole estate, so one app client has its own.
    let statuses = statuses_of(env, &base, &estate).await?;
    let mut monitors = estate.clone();
    let mut only = None;
    if let Some(id) = monitor {
        let keep = crate::lookup::find_monitor(&monitors, id)?
            .monitor_id
            .clone();
        monitors.retain(|m| m.monitor_id == keep);
        only = Some(keep);
    }
    let part = if env.get("STATUS_TABLE").is_some() {
        let status = status_store(env, &base)?;
        Box::pin(status_part(
            &status,
            (&estate, &statuses),
            &monitors,
            only.as_deref(),
            period,
            now,
        ))
        .await?
    } else {
        StatusPart::default()
    };
    let StatusPart {
        outages,
        profiles,
        availability,
        transitions,
        alerts,
    } = part;
    let mut charts = Vec::new();
    for (depth, m) in render::tree(&monitors, false) {
        let mut rows = store.history(&m.monitor_id).await?;
        rows.retain(|r| r.in_period(from));
        charts.push(html::Charts {
            monitor: m.clone(),
            status: statuses.get(&m.monitor_id).cloned(),
            depth,
            series: render::Series::of(m.kind, &rows, &[]),
            thresholds: thresholds_of(profiles.as_ref(), m, &monitors),
            outages: outages
                .iter()
                .filter(|o| o.monitor_id == m.monitor_id)
                .map(|o| (o.started_at, o.ended_at))
                .collect(),
        });
    }
    let trail = env.get("TRAIL_TABLE").is_some();
    let (failing_ips, detections) = if trail {
        trail_since(env, &base, from).await?
    } else {
        (Vec::new(), Vec::new())
    };
    let settings = cognito_watch_core::config::posture_settings(&env.lookup())?;
    let overrides = Box::pin(store.posture_overrides()).await?.overrides;
    let posture = crate::commands::posture::rows(&monitors, &settings, &overrides);
    let timeline = timeline_entries(
        &estate,
        &monitors,
        (&transitions, &outages, &alerts),
        &detections,
        from,
    );
    let page = html::Page {
        generated_at: now,
        since: period.text.clone(),
        from,
        availability,
        timeline,
        monitors: charts,
        outages,
        failing_ips,
        detections,
        trail,
        posture,
    };
    let text = html::render(&page);
    std::fs::write(file, &text).map_err(|source| CliError::Write {
        path: file.to_path_buf(),
        source,
    })?;
    line(
        out,
        &format!(
            "wrote {} ({} monitors, {} charts, {} KB)",
            file.display(),
            page.monitors.len(),
            page.monitors.iter().map(|c| c.series.len()).sum::<usize>(),
            text.len().div_ceil(1024)
        ),
    )
}

/// The thresholds of a monitor's profile: (metric, comparator, value).
fn thresholds_of(
    profiles: Option<&cognito_watch_core::alerting::profile::ProfileSet>,
    m: &cognito_watch_core::Monitor,
    monitors: &[cognito_watch_core::Monitor],
) -> Vec<(String, String, f64)> {
    let Some(profiles) = profiles else {
        return Vec::new();
    };
    let root_tags = monitors
        .iter()
        .find(|r| Some(&r.monitor_id) == m.parent_id.as_ref())
        .map_or_else(|| m.tags.clone(), |r| r.tags.clone());
    profiles
        .resolve(m, &root_tags)
        .thresholds
        .iter()
        .map(|t| (t.metric.clone(), t.comparator.to_string(), t.value))
        .collect()
}

/// What the page reads from the status table.
#[derive(Default)]
struct StatusPart {
    /// The outages of the monitors shown, in the period.
    outages: Vec<cognito_watch_core::alerting::status::Outage>,
    /// The threshold profiles.
    profiles: Option<cognito_watch_core::alerting::profile::ProfileSet>,
    /// Availability per account and region (`<account> <region>`) and per pool (its monitor
    /// id), as the page shows it (none beyond 90 days).
    availability: Vec<(String, String)>,
    /// Every status transition in the period.
    transitions: Vec<cognito_watch_core::alerting::availability::Transition>,
    /// The alerts of the roots shown, with their delivery state.
    alerts: Vec<(cognito_watch_core::alerting::status::Alert, String)>,
}

async fn status_part(
    status: &cognito_watch_aws::StatusStore,
    (estate, statuses): (
        &[cognito_watch_core::Monitor],
        &std::collections::BTreeMap<String, cognito_watch_core::alerting::status::MonitorStatus>,
    ),
    shown: &[cognito_watch_core::Monitor],
    only: Option<&str>,
    period: &period::Period,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<StatusPart, CliError> {
    use cognito_watch_core::alerting::availability::percent_text;
    let from = period.start(now)?;
    let mut part = StatusPart {
        outages: status
            .outages(only)
            .await?
            .into_iter()
            .filter(|o| o.in_period(from))
            .filter(|o| shown.iter().any(|m| m.monitor_id == o.monitor_id))
            .collect(),
        profiles: Some(status.load_profiles().await?.0),
        ..StatusPart::default()
    };
    if crate::commands::availability::check_period(period).is_ok() {
        let measured = Box::pin(crate::commands::availability::measure(
            status, estate, statuses, from, now,
        ))
        .await?;
        part.availability = measured
            .rows
            .iter()
            .filter(|r| r.scope != "monitor")
            .map(|r| {
                let key = match (&r.monitor_id, r.scope) {
                    (Some(id), "pool") => id.clone(),
                    _ => r.name.clone(),
                };
                (key, percent_text(&r.durations))
            })
            .collect();
        part.transitions = measured.transitions.into_values().flatten().collect();
    }
    let mut roots: Vec<&str> = shown
        .iter()
        .map(|m| m.parent_id.as_deref().unwrap_or(&m.monitor_id))
        .collect();
    roots.sort_unstable();
    roots.dedup();
    for root in roots {
        let id = cognito_watch_core::inventory::monitor::MonitorId::parse(root)?;
        part.alerts.extend(
            status
                .alerts(&id)
                .await?
                .into_iter()
                .filter(|a| a.alert.at >= from)
                .map(|a| (a.alert, a.delivery.summary())),
        );
    }
    Ok(part)
}

/// The most entries the page's timeline shows (the latest).
const TIMELINE_ENTRIES: usize = 200;

/// The timeline of the monitors shown: their status changes, outages and alerts, and the
/// detections of their pools; the latest [`TIMELINE_ENTRIES`], oldest first.
fn timeline_entries(
    estate: &[cognito_watch_core::Monitor],
    shown: &[cognito_watch_core::Monitor],
    (transitions, outages, alerts): (
        &[cognito_watch_core::alerting::availability::Transition],
        &[cognito_watch_core::alerting::status::Outage],
        &[(cognito_watch_core::alerting::status::Alert, String)],
    ),
    detections: &[Finding],
    from: chrono::DateTime<chrono::Utc>,
) -> Vec<cognito_watch_core::alerting::timeline::Entry> {
    use cognito_watch_core::alerting::timeline::{timeline, Parts};
    let is_shown = |id: &str| shown.iter().any(|m| m.monitor_id == id);
    let transitions: Vec<_> = transitions
        .iter()
        .filter(|t| is_shown(&t.monitor_id))
        .cloned()
        .collect();
    let alerts: Vec<_> = alerts
        .iter()
        .filter(|(a, _)| {
            is_shown(&a.monitor_id) || shown.iter().any(|m| m.kind == a.kind && m.name == a.name)
        })
        .cloned()
        .collect();
    let pools: Vec<&str> = shown
        .iter()
        .filter_map(|m| m.user_pool_id.as_deref())
        .collect();
    let detections: Vec<_> = detections
        .iter()
        .filter_map(|f| {
            let pool = pools.iter().find(|p| f.concerns(p))?;
            let name = estate
                .iter()
                .find(|m| m.parent_id.is_none() && m.user_pool_id.as_deref() == Some(pool))
                .map_or_else(|| (*pool).to_string(), |m| m.name.clone());
            Some((f.clone(), name))
        })
        .collect();
    let mut entries = timeline(
        Parts {
            transitions: &transitions,
            outages,
            alerts: &alerts,
            detections: &detections,
        },
        from,
    );
    let cut = entries.len().saturating_sub(TIMELINE_ENTRIES);
    entries.drain(..cut);
    entries
}

/// The trail's part of the page: the ten addresses with the most failures since `from`, over
/// every pool, and the detections since then, newest first.
async fn trail_since(
    env: &Env,
    base: &SdkConfig,
    from: chrono::DateTime<chrono::Utc>,
) -> Result<(Vec<(String, String, u64, u64)>, Vec<Finding>), CliError> {
    let store = trail_store(env, base)?;
    let since_window = cognito_watch_core::trail::window_of(from);
    let mut rows = Vec::new();
    for pool in store.pools().await? {
        if cognito_watch_core::trail::valid_region_scope(&pool).is_some() {
            continue;
        }
        rows.extend(
            store
                .tallies(
                    &pool,
                    cognito_watch_core::trail::TallyKind::Ip,
                    since_window,
                )
                .await?,
        );
    }
    let mut merged: Vec<(String, String, u64, u64)> =
        cognito_watch_core::trail::merge_windows(rows)
            .into_iter()
            .filter(|(_, c)| c.failures > 0)
            .map(|((pool, key), c)| {
                (
                    pool.unwrap_or_else(|| "-".into()),
                    key.value().to_string(),
                    c.failures,
                    c.requests,
                )
            })
            .collect();
    merged.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
    merged.truncate(10);
    let mut detections: Vec<Finding> = store
        .findings(since_window)
        .await?
        .into_iter()
        .map(|s| s.finding)
        .collect();
    detections.reverse();
    Ok((merged, detections))
}
