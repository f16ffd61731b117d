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
    let mut outages = Vec::new();
    let mut profiles = None;
    let mut availability = Vec::new();
    if env.get("STATUS_TABLE").is_some() {
        let status = status_store(env, &base)?;
        outages = status
            .outages(only.as_deref())
            .await?
            .into_iter()
            .filter(|o| o.in_period(from))
            .filter(|o| monitors.iter().any(|m| m.monitor_id == o.monitor_id))
            .collect();
        profiles = Some(status.load_profiles().await?.0);
        if crate::commands::availability::check_period(period).is_ok() {
            availability =
                Box::pin(availability_of(&status, &estate, &statuses, from, now)).await?;
        }
    }
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
    let page = html::Page {
        generated_at: now,
        since: period.text.clone(),
        from,
        availability,
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

/// Availability over the period as the page shows it: per account and region (`<account>
/// <region>`) and per pool (its monitor id).
async fn availability_of(
    status: &cognito_watch_aws::StatusStore,
    monitors: &[cognito_watch_core::Monitor],
    statuses: &std::collections::BTreeMap<
        String,
        cognito_watch_core::alerting::status::MonitorStatus,
    >,
    from: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(String, String)>, CliError> {
    use cognito_watch_core::alerting::availability::percent_text;
    let estate = Box::pin(crate::commands::availability::measure(
        status, monitors, statuses, from, now,
    ))
    .await?;
    Ok(estate
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
        .collect())
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
