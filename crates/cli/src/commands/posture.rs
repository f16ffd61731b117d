//! `posture`: each user pool, app client and identity pool judged against the posture checks,
//! from the configuration the collector's last inventory read.

use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::Monitor;
use cognito_watch_core::posture::{judge, Outcome, PostureSettings};

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::find_monitor;
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
}

/// `posture`: the checks of every monitor the inventory holds (or one pool's).
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
    if let Some(pool) = &args.pool {
        let root = find_monitor(&monitors, pool)?.monitor_id.clone();
        monitors.retain(|m| m.monitor_id == root || m.parent_id.as_deref() == Some(&root));
    }
    let settings = cognito_watch_core::config::posture_settings(&env.lookup())?;
    let listing = listing(&monitors, args.failed, &settings);
    let empty = if args.failed {
        "every check passes"
    } else {
        "no user pool, app client or identity pool in the inventory"
    };
    listing.emit(
        out,
        Format::of(output, false, false),
        &Style::of(env),
        empty,
    )
}

/// One row per check and resource: the check, the resource, its result and why, its severity,
/// how to fix it, and the same control in other tools.
pub fn listing(monitors: &[Monitor], failed_only: bool, settings: &PostureSettings) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("check", "Check"),
        Field::new("resource", "Resource").named(),
        Field::new("result", "Result"),
        Field::new("severity", "Severity"),
        Field::new("why", "Why"),
        Field::new("fix", "Fix").wide(),
        Field::new("references", "References").wide(),
    ]);
    for m in monitors {
        for (check, outcome) in judge(m, settings) {
            if failed_only && matches!(outcome, Outcome::Pass { .. }) {
                continue;
            }
            let why = match &outcome {
                Outcome::Pass { note } => note.clone().unwrap_or_default(),
                Outcome::Fail { why } | Outcome::Unknown { why } => why.clone(),
            };
            listing.push(vec![
                Cell::text(check.id),
                Cell::Named {
                    id: m.monitor_id.clone(),
                    name: Some(m.name.clone()),
                },
                Cell::Status(outcome.as_str().to_string()),
                Cell::text(format!("{:?}", check.severity).to_lowercase()),
                Cell::text(why),
                Cell::text(check.fix),
                Cell::List(check.references.iter().map(|r| r.to_string()).collect()),
            ]);
        }
    }
    listing
}
