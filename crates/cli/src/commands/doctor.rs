//! `doctor`: whether the monitor's own inputs are there and alive, for the account and region
//! of the CLI's credentials: the trail and its selectors, the stack's trail source and whether
//! records still arrive, each pool's plan and log delivery, the collector's last poll of each
//! scope, the alert topic's confirmed subscriptions. Exits 1 when a line says FAIL.

use chrono::{Duration, Utc};
use cognito_watch_aws::sdk::{self, Scope};
use cognito_watch_aws::{AlertSink, AwsError, StateStore};
use cognito_watch_core::config::Tables;
use cognito_watch_core::doctor::{self, Level, Line, SourceFacts};
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};
use cognito_watch_core::inventory::security::Readout;

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::listing::{Cell, Field, Listing};
use crate::lookup::{status_store, trail_store};
use crate::style::Style;

/// `doctor`'s arguments.
#[derive(Debug, clap::Args)]
pub struct DoctorCommand {
    /// Minutes without a poll after which a scope is late (WARN); an hour is FAIL.
    #[arg(long, default_value_t = 15)]
    pub late_minutes: i64,
}

fn readout<T>(answer: Result<T, AwsError>) -> Readout<T> {
    match answer {
        Ok(value) => Readout::Answered { value },
        Err(e) => Readout::Refused {
            reason: e.to_string(),
        },
    }
}

/// `doctor`: every line, then exit 1 if any says FAIL.
pub(crate) async fn command(
    env: &Env,
    args: DoctorCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let lines = Box::pin(lines(env, &args)).await?;
    let failed = lines.iter().filter(|l| l.level == Level::Fail).count();
    listing(&lines).emit(
        out,
        Format::of(output, false, false),
        &Style::of(env),
        "nothing to check",
    )?;
    if failed > 0 {
        return Err(CliError::Unhealthy { failed });
    }
    Ok(())
}

/// The doctor's lines, in the order the docs list them.
pub async fn lines(env: &Env, args: &DoctorCommand) -> Result<Vec<Line>, CliError> {
    let base = env.sdk(3).await;
    let now = Utc::now();
    let region = base
        .region()
        .map(ToString::to_string)
        .unwrap_or_else(|| "unknown region".into());
    let account = sdk::caller(&base)
        .await
        .map(|c| c.account)
        .unwrap_or_else(|_| "unknown account".into());
    let here = format!("{account}/{region}");
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let monitors = store.load_estate().await?;
    let live = |k: MonitorKind| {
        monitors
            .iter()
            .filter(|m| m.kind == k && !m.is_deleted())
            .count()
    };

    let mut lines = Vec::new();
    let trails = readout(cognito_watch_aws::cloudtrail::trails(&base).await);
    lines.extend(doctor::trail_lines(
        &here,
        &trails,
        live(MonitorKind::IdentityPool),
    ));
    let facts = source_facts(env, &base, &monitors, now).await;
    lines.extend(doctor::source_lines(&here, &facts, now));
    lines.extend(
        poll_lines(
            &store,
            &monitors,
            &here,
            Duration::minutes(args.late_minutes),
            now,
        )
        .await?,
    );
    lines.extend(doctor::pool_lines(&monitors));
    lines.push(match env.get("ALERT_TOPIC_ARN") {
        Some(topic) => {
            let sink = AlertSink::new(&base, &topic);
            doctor::subscription_line(&topic, &readout(sink.subscriptions().await))
        }
        None => doctor::subscription_line(
            "ALERT_TOPIC_ARN",
            &Readout::Refused {
                reason: "ALERT_TOPIC_ARN is not set and no stack names it".into(),
            },
        ),
    });
    // Each notification profile's own topics: a profile whose topic reaches no one loses the
    // alerts routed to it as surely as the stack's topic would.
    if env.get("STATUS_TABLE").is_some() {
        let topics = match status_store(env, &base) {
            Ok(status) => readout(status.load_notifications().await).map_answer(|n| n.topics()),
            Err(e) => Readout::Refused {
                reason: e.to_string(),
            },
        };
        match topics {
            Readout::Answered { value } => {
                for topic in value {
                    let sink = AlertSink::new(&base, &topic);
                    lines.push(doctor::subscription_line(
                        &topic,
                        &readout(sink.subscriptions().await),
                    ));
                }
            }
            Readout::Refused { reason } => lines.push(doctor::subscription_line(
                "notification profiles",
                &Readout::Refused { reason },
            )),
        }
    }
    Ok(lines)
}

/// The trail source, its rule's state, when records last arrived, and what the collector
/// counted meanwhile.
async fn source_facts(
    env: &Env,
    base: &aws_config::SdkConfig,
    monitors: &[Monitor],
    now: chrono::DateTime<Utc>,
) -> SourceFacts {
    let source = env.get("TRAIL_SOURCE");
    let rule_state = match (source.as_deref(), env.get("CLOUDTRAIL_RULE")) {
        (Some("EventBridge"), Some(rule)) => Some(readout(
            cognito_watch_aws::events::rule_state(base, &rule).await,
        )),
        (Some("EventBridge"), None) => Some(Readout::Refused {
            reason: "CLOUDTRAIL_RULE is not set and no stack names it".into(),
        }),
        _ => None,
    };
    let last_records = match trail_store(env, base) {
        Ok(trail) => readout(trail.usage(now - Duration::days(7)).await)
            .map_answer(|usage| usage.iter().filter(|u| u.records > 0).map(|u| u.hour).max()),
        Err(e) => Readout::Refused {
            reason: e.to_string(),
        },
    };
    let (requests, metrics_until) = doctor::requests_seen(monitors);
    SourceFacts {
        source,
        rule_state,
        last_records,
        requests,
        metrics_until,
    }
}

/// `collector.last_poll` of each scope the inventory holds (of this account and region when it
/// holds none).
async fn poll_lines(
    store: &StateStore,
    monitors: &[Monitor],
    here: &str,
    late: Duration,
    now: chrono::DateTime<Utc>,
) -> Result<Vec<Line>, CliError> {
    let mut scopes: Vec<(String, String)> = monitors
        .iter()
        .map(|m| (m.account.clone(), m.region.clone()))
        .collect();
    scopes.sort();
    scopes.dedup();
    if scopes.is_empty() {
        return Ok(vec![doctor::poll_line(here, None, &[], late, now)]);
    }
    let mut lines = Vec::new();
    for (account, region) in scopes {
        let scope = Scope {
            account: account.clone(),
            region: region.clone(),
        };
        let cursor = store.cursor(&scope).await?;
        let of_scope: Vec<&Monitor> = monitors
            .iter()
            .filter(|m| m.account == account && m.region == region)
            .collect();
        lines.push(doctor::poll_line(
            &format!("{account}/{region}"),
            cursor.last_poll_at,
            &of_scope,
            late,
            now,
        ));
    }
    Ok(lines)
}

/// The lines as a listing: check, scope, level, found, what to do, what cannot fire.
pub fn listing(lines: &[Line]) -> Listing {
    let mut listing = Listing::new(vec![
        Field::new("check", "Check"),
        Field::new("scope", "Scope"),
        Field::new("level", "Level"),
        Field::new("found", "Found"),
        Field::new("todo", "To do"),
        Field::new("cannot_fire", "Cannot fire").wide(),
    ]);
    for l in lines {
        listing.push(vec![
            Cell::text(l.check),
            Cell::text(l.scope.clone()),
            Cell::Status(l.level.as_str().to_string()),
            Cell::text(l.found.clone()),
            Cell::text(l.todo.clone()),
            Cell::List(l.cannot_fire.iter().map(|d| d.to_string()).collect()),
        ]);
    }
    listing
}
