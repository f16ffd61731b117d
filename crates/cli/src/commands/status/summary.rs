//! The summary `status` leads with: monitors per status per account/region and per pool,
//! open outages, availability over the last 24 hours, and the alerts and detections of the
//! last 24 hours.

use std::collections::BTreeMap;

use chrono::{Duration, Utc};
use cognito_watch_core::alerting::availability::percent_text;
use cognito_watch_core::alerting::message::subject;
use cognito_watch_core::alerting::status::{MonitorStatus, Status};
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};

use crate::env::Env;
use crate::error::CliError;
use crate::lookup::{status_store, trail_store};

/// How many pools, alerts and detection kinds the summary names before it counts the rest.
const NAMED: usize = 5;

/// Monitors per status: up, trouble, critical, down, not evaluated.
#[derive(Debug, Default, Clone, Copy)]
struct Counts([usize; 5]);

impl Counts {
    fn add(&mut self, status: Option<Status>) {
        let i = match status {
            Some(Status::Up) => 0,
            Some(Status::Trouble) => 1,
            Some(Status::Critical) => 2,
            Some(Status::Down) => 3,
            None => 4,
        };
        self.0[i] += 1;
    }

    fn total(&self) -> usize {
        self.0.iter().sum()
    }

    fn not_up(&self) -> usize {
        self.0[1] + self.0[2] + self.0[3]
    }

    /// `26 monitors: 24 up, 1 trouble, 1 critical` (the statuses with none left out).
    fn text(&self) -> String {
        let words = ["up", "trouble", "critical", "down", "not evaluated"];
        let parts: Vec<String> = self
            .0
            .iter()
            .zip(words)
            .filter(|(n, w)| **n > 0 || *w == "up")
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        format!(
            "{} monitor{}: {}",
            self.total(),
            if self.total() == 1 { "" } else { "s" },
            parts.join(", ")
        )
    }
}

/// Each line cut to the terminal's width, if it has one (`…` where cut).
pub(super) fn fit(text: &str, width: Option<u16>) -> String {
    let Some(width) = width.map(usize::from) else {
        return text.to_string();
    };
    text.lines()
        .map(|l| {
            if l.chars().count() <= width {
                l.to_string()
            } else {
                let cut: String = l.chars().take(width.saturating_sub(1)).collect();
                format!("{cut}…")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The summary's text (users left out: they are many, and `--users` lists them).
pub(super) async fn text(
    env: &Env,
    base: &aws_config::SdkConfig,
    monitors: &[Monitor],
    statuses: &BTreeMap<String, MonitorStatus>,
) -> Result<String, CliError> {
    let now = Utc::now();
    let day = now - Duration::hours(24);
    let watched: Vec<Monitor> = monitors
        .iter()
        .filter(|m| m.kind != MonitorKind::User)
        .cloned()
        .collect();
    let status_of = |m: &Monitor| statuses.get(&m.monitor_id).map(|s| s.status);
    let mut regions: BTreeMap<(String, String), Counts> = BTreeMap::new();
    let mut pools: BTreeMap<String, (String, Counts)> = BTreeMap::new();
    for m in &watched {
        regions
            .entry((m.account.clone(), m.region.clone()))
            .or_default()
            .add(status_of(m));
        let root = m.parent_id.clone().unwrap_or_else(|| m.monitor_id.clone());
        pools.entry(root).or_default().1.add(status_of(m));
        if m.parent_id.is_none() {
            pools.entry(m.monitor_id.clone()).or_default().0 = m.name.clone();
        }
    }
    let mut lines = vec![format!("Summary at {} UTC", now.format("%Y-%m-%d %H:%M"))];
    let stores = env.get("STATUS_TABLE").map(|_| status_store(env, base));
    let availability = match &stores {
        Some(Ok(status)) => Some(
            Box::pin(crate::commands::availability::measure(
                status, &watched, statuses, day, now,
            ))
            .await?,
        ),
        _ => None,
    };
    for ((account, region), counts) in &regions {
        let up = availability
            .as_ref()
            .and_then(|a| {
                a.of_scope("account/region")
                    .find(|r| &r.account == account && &r.region == region)
            })
            .map(|r| format!("; up {} of the last 24h", percent_text(&r.durations)))
            .unwrap_or_default();
        lines.push(format!("  {account} {region}: {}{up}", counts.text()));
    }
    let mut troubled: Vec<&(String, Counts)> =
        pools.values().filter(|(_, c)| c.not_up() > 0).collect();
    troubled.sort_by_key(|(name, c)| (std::cmp::Reverse((c.0[3], c.0[2], c.0[1])), name.clone()));
    if !troubled.is_empty() {
        lines.push(format!(
            "  Pools not all up ({} of {}):",
            troubled.len(),
            pools.len()
        ));
        for (name, c) in troubled.iter().take(NAMED) {
            lines.push(format!("    {name}: {}", c.text()));
        }
        if troubled.len() > NAMED {
            lines.push(format!(
                "    and {} more (`cognito-watch availability` lists every pool)",
                troubled.len() - NAMED
            ));
        }
    }
    match stores {
        Some(Ok(status)) => {
            lines.extend(Box::pin(outages_and_alerts(&status, &watched, day)).await?)
        }
        Some(Err(e)) => return Err(e),
        None => lines.push("Outages and alerts: STATUS_TABLE is not set".into()),
    }
    lines.push(Box::pin(detections(env, base, day)).await?);
    Ok(lines.join("\n"))
}

/// Open outages, and the alerts of the last day, newest first.
async fn outages_and_alerts(
    status: &cognito_watch_aws::StatusStore,
    watched: &[Monitor],
    day: chrono::DateTime<Utc>,
) -> Result<Vec<String>, CliError> {
    let mut lines = Vec::new();
    let open: Vec<_> = status
        .outages(None)
        .await?
        .into_iter()
        .filter(|o| o.is_open())
        .collect();
    let oldest = open.iter().min_by_key(|o| o.started_at).map(|o| {
        format!(
            " (oldest: {} since {} UTC)",
            o.name,
            o.started_at.format("%Y-%m-%d %H:%M")
        )
    });
    lines.push(format!(
        "Open outages: {}{}",
        open.len(),
        oldest.unwrap_or_default()
    ));
    let mut alerts = Vec::new();
    for root in watched.iter().filter(|m| m.parent_id.is_none()) {
        alerts.extend(
            status
                .alerts(&root.id()?)
                .await?
                .into_iter()
                .filter(|a| a.alert.at >= day),
        );
    }
    alerts.sort_by_key(|a| std::cmp::Reverse(a.alert.at));
    lines.push(format!("Alerts in the last 24h: {}", alerts.len()));
    for a in alerts.iter().take(NAMED) {
        lines.push(format!(
            "  {} {} ({})",
            a.alert.at.format("%m-%d %H:%M"),
            subject(&a.alert),
            a.delivery.summary()
        ));
    }
    Ok(lines)
}

/// The trail's detections of the last day, by kind.
async fn detections(
    env: &Env,
    base: &aws_config::SdkConfig,
    day: chrono::DateTime<Utc>,
) -> Result<String, CliError> {
    if env.get("TRAIL_TABLE").is_none() {
        return Ok("Detections: TRAIL_TABLE is not set (no trail wired)".into());
    }
    let found = trail_store(env, base)?.findings(day).await?;
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &found {
        *kinds.entry(f.finding.detection.kind()).or_default() += 1;
    }
    let mut by: Vec<(&str, usize)> = kinds.into_iter().collect();
    by.sort_by_key(|(k, n)| (std::cmp::Reverse(*n), *k));
    let named: Vec<String> = by
        .iter()
        .take(NAMED)
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    Ok(format!(
        "Detections in the last 24h: {}{}",
        found.len(),
        if named.is_empty() {
            String::new()
        } else {
            format!(
                " ({}; `cognito-watch detections` lists them)",
                named.join(", ")
            )
        }
    ))
}
