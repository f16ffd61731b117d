//! `posture`: each user pool, app client and identity pool judged against the posture checks,
//! from the configuration the collector's last inventory read; and the overrides an operator
//! records (`posture accept`, `posture revoke`, `posture overrides`).

use chrono::Utc;
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::Monitor;
use cognito_watch_core::posture::overrides::{self, Override, Target};
use cognito_watch_core::posture::{check, judge_all, CheckSeverity, Outcome, PostureSettings};

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::{find_monitor, line};
use crate::style::Style;

/// `posture`'s arguments.
#[derive(Debug, clap::Args)]
pub struct PostureCommand {
    /// Only this user or identity pool (its id or name) and its app clients.
    #[arg(long)]
    pub pool: Option<String>,
    /// Only the checks that fail or cannot be judged (unknown).
    #[arg(long)]
    pub failed: bool,
    /// Record, revoke or list overrides (accepted risks, severities) instead of listing.
    #[command(subcommand)]
    pub action: Option<PostureAction>,
}

/// What an override applies to, on the command line.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct TargetArgs {
    /// One user or identity pool (its id or name), with its app clients.
    #[arg(long = "for-pool", value_name = "POOL")]
    pub for_pool: Option<String>,
    /// Every pool tagged KEY=VALUE, with their app clients.
    #[arg(long, value_name = "KEY=VALUE")]
    pub tag: Option<String>,
}

/// `posture accept|revoke|overrides`.
#[derive(Debug, clap::Subcommand)]
pub enum PostureAction {
    /// Accept a check's risk (listed with the reason, never alerted) or give it another
    /// severity, for a pool or a tag; the reason is required and recorded with the time.
    Accept {
        /// The check's id (`cognito-watch posture` lists them).
        check: String,
        #[command(flatten)]
        target: TargetArgs,
        /// Why (recorded; shown in listings and alerts' absence).
        #[arg(long)]
        reason: String,
        /// Instead of accepting the risk, the severity the check has there: informational,
        /// low, medium or high.
        #[arg(long)]
        severity: Option<String>,
    },
    /// Remove an override.
    Revoke {
        /// The check's id.
        check: String,
        #[command(flatten)]
        target: TargetArgs,
    },
    /// List the overrides: check, target, effect, reason, when.
    Overrides,
}

/// `posture`: the checks of every monitor the inventory holds (or one pool's), or an
/// override action.
pub(crate) async fn command(
    env: &Env,
    args: PostureCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let store = StateStore::new(&env.sdk(3).await, Tables::from_lookup(&env.lookup())?);
    let mut monitors: Vec<Monitor> = store
        .load_estate()
        .await?
        .into_iter()
        .filter(|m| !m.is_deleted())
        .collect();
    let format = Format::of(output, false, false);
    match args.action {
        Some(PostureAction::Overrides) => {
            let stored = Box::pin(store.posture_overrides()).await?;
            return override_listing(&stored.overrides).emit(
                out,
                format,
                &Style::of(env),
                "no override recorded",
            );
        }
        Some(action) => return Box::pin(edit(&store, &monitors, action, out)).await,
        None => {}
    }
    let overrides = Box::pin(store.posture_overrides()).await?.overrides;
    if let Some(pool) = &args.pool {
        let root = find_monitor(&monitors, pool)?.monitor_id.clone();
        monitors.retain(|m| m.monitor_id == root || m.parent_id.as_deref() == Some(&root));
    }
    let settings = cognito_watch_core::config::posture_settings(&env.lookup())?;
    let listing = listing(&monitors, args.failed, &settings, &overrides);
    let empty = if args.failed {
        "every check passes"
    } else {
        "no user pool, app client or identity pool in the inventory"
    };
    listing.emit(out, format, &Style::of(env), empty)
}

fn target(monitors: &[Monitor], args: &TargetArgs) -> Result<Target, CliError> {
    if let Some(pool) = &args.for_pool {
        // A pool not inventoried yet may be named by its id.
        let well_formed = cognito_watch_core::trail::record::valid_pool_id(pool)
            .or_else(|| cognito_watch_core::trail::valid_identity_pool_id(pool));
        let m = match (find_monitor(monitors, pool), well_formed) {
            (Ok(m), _) => m,
            (Err(_), Some(id)) => return Ok(Target::Pool { id: id.to_string() }),
            (Err(e), None) => return Err(e),
        };
        let id = m
            .monitor_id
            .split_once('/')
            .map(|(_, id)| id.to_string())
            .filter(|_| m.parent_id.is_none())
            .ok_or_else(|| CliError::Usage(format!("{pool} is not a user or identity pool")))?;
        return Ok(Target::Pool { id });
    }
    let tag = args.tag.as_deref().unwrap_or_default();
    let (key, value) = tag
        .split_once('=')
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| CliError::Usage(format!("--tag {tag:?}: expected KEY=VALUE")))?;
    Ok(Target::Tag {
        key: key.to_string(),
        value: value.to_string(),
    })
}

fn severity(s: &str) -> Result<CheckSeverity, CliError> {
    serde_json::from_value(serde_json::Value::String(s.to_lowercase())).map_err(|_| {
        CliError::Usage(format!(
            "--severity {s:?}: expected informational, low, medium or high"
        ))
    })
}

/// Record or revoke an override (a read, then a write on condition that nothing changed in
/// between; retried once when something did).
async fn edit(
    store: &StateStore,
    monitors: &[Monitor],
    action: PostureAction,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    for _ in 0..3 {
        let stored = Box::pin(store.posture_overrides()).await?;
        let mut list = stored.overrides.clone();
        let said = match &action {
            PostureAction::Accept {
                check: id,
                target: t,
                reason,
                severity: s,
            } => {
                if check(id).is_none() {
                    return Err(CliError::Usage(format!(
                        "no posture check {id} (cognito-watch posture lists them)"
                    )));
                }
                if reason.trim().is_empty() {
                    return Err(CliError::Usage("--reason must say why".into()));
                }
                let o = Override {
                    check: id.clone(),
                    target: target(monitors, t)?,
                    severity: s.as_deref().map(severity).transpose()?,
                    reason: reason.trim().to_string(),
                    at: Utc::now(),
                };
                let said = format!("recorded: {} on {}", id, o.describe());
                overrides::record(&mut list, o);
                said
            }
            PostureAction::Revoke {
                check: id,
                target: t,
            } => {
                let t = target(monitors, t)?;
                if !overrides::revoke(&mut list, id, &t) {
                    return Err(CliError::Usage(format!("no override of {id} on {t}")));
                }
                format!("revoked: {id} on {t}")
            }
            PostureAction::Overrides => return Ok(()),
        };
        if store.put_posture_overrides(&stored, list).await? {
            return line(
                out,
                &format!("{said}; the collector applies it at its next inventory"),
            );
        }
    }
    Err(CliError::Usage(
        "the overrides kept changing while this one was written; try again".into(),
    ))
}

/// The overrides as a listing.
pub fn override_listing(list: &[Override]) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("check", "Check"),
        Field::new("target", "Target"),
        Field::new("effect", "Effect"),
        Field::new("reason", "Reason"),
        Field::new("at", "Recorded"),
    ]);
    for o in list {
        listing.push(vec![
            Cell::text(o.check.clone()),
            Cell::text(o.target.to_string()),
            Cell::text(o.severity.map_or("accepted risk".to_string(), |s| {
                format!("severity {}", format!("{s:?}").to_lowercase())
            })),
            Cell::text(o.reason.clone()),
            Cell::text(o.at.format("%Y-%m-%d %H:%M UTC").to_string()),
        ]);
    }
    listing
}

/// The listing: per monitor and check, its result, severity (an override's, if one
/// applies), why, how to fix it, the override, and the same control in other tools.
pub fn listing(
    monitors: &[Monitor],
    failed_only: bool,
    settings: &PostureSettings,
    overrides: &[Override],
) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("check", "Check"),
        Field::new("resource", "Resource").named(),
        Field::new("result", "Result"),
        Field::new("severity", "Severity"),
        Field::new("why", "Why"),
        Field::new("override", "Override"),
        Field::new("fix", "Fix").wide(),
        Field::new("references", "References").wide(),
    ]);
    let refs: Vec<&Monitor> = monitors.iter().collect();
    let names: std::collections::HashMap<&str, &str> = monitors
        .iter()
        .map(|m| (m.monitor_id.as_str(), m.name.as_str()))
        .collect();
    for j in judge_all(&refs, settings, overrides) {
        if failed_only && matches!(j.outcome, Outcome::Pass { .. }) {
            continue;
        }
        let why = match &j.outcome {
            Outcome::Pass { note } => note.clone().unwrap_or_default(),
            Outcome::Fail { why } | Outcome::Unknown { why } => why.clone(),
        };
        listing.push(vec![
            Cell::text(j.check.id),
            Cell::Named {
                name: names.get(j.monitor_id.as_str()).map(|n| n.to_string()),
                id: j.monitor_id.clone(),
            },
            Cell::Status(j.outcome.as_str().to_string()),
            Cell::text(format!("{:?}", j.effective.severity).to_lowercase()),
            Cell::text(why),
            Cell::text(j.effective.by.map(Override::describe).unwrap_or_default()),
            Cell::text(j.check.fix),
            Cell::List(j.check.references.iter().map(|r| r.to_string()).collect()),
        ]);
    }
    listing
}

/// One judged check, as the describe page and the HTML report show it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostureRow {
    /// The resource.
    pub monitor_id: String,
    /// The check's id.
    pub check: &'static str,
    /// `pass`, `fail` or `unknown`.
    pub result: &'static str,
    /// Its severity there (an override's, if one applies).
    pub severity: String,
    /// What was found (a pass's note).
    pub why: String,
    /// How to fix a failure.
    pub fix: &'static str,
    /// The override that applies, described.
    pub by: String,
}

/// Every check on every resource of `monitors`, overrides applied.
pub fn rows(
    monitors: &[Monitor],
    settings: &PostureSettings,
    overrides: &[Override],
) -> Vec<PostureRow> {
    let refs: Vec<&Monitor> = monitors.iter().filter(|m| !m.is_deleted()).collect();
    judge_all(&refs, settings, overrides)
        .into_iter()
        .map(|j| PostureRow {
            why: match &j.outcome {
                Outcome::Pass { note } => note.clone().unwrap_or_default(),
                Outcome::Fail { why } | Outcome::Unknown { why } => why.clone(),
            },
            result: j.outcome.as_str(),
            severity: format!("{:?}", j.effective.severity).to_lowercase(),
            by: j.effective.by.map(Override::describe).unwrap_or_default(),
            monitor_id: j.monitor_id,
            check: j.check.id,
            fix: j.check.fix,
        })
        .collect()
}
