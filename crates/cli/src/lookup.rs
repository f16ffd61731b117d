//! What several commands look up: the stores the environment names, the evaluator's statuses,
//! a monitor by its id or name, an event file, one line of output.

use cognito_watch_aws::{StateStore, StatusStore, TrailStore};
use cognito_watch_core::inventory::monitor::MonitorId;

use cognito_watch_core::inventory::monitor::Monitor;

use crate::env::Env;
use crate::error::CliError;

/// The evaluator's statuses of every monitor under these roots (one Query per root), none
/// when there is no status table.
pub(crate) async fn statuses_of(
    env: &Env,
    base: &aws_config::SdkConfig,
    monitors: &[cognito_watch_core::inventory::monitor::Monitor],
) -> Result<
    std::collections::BTreeMap<String, cognito_watch_core::alerting::status::MonitorStatus>,
    CliError,
> {
    let mut statuses = std::collections::BTreeMap::new();
    if env.get("STATUS_TABLE").is_some() {
        let status = status_store(env, base)?;
        for m in monitors.iter().filter(|m| m.parent_id.is_none()) {
            statuses.extend(status.load_statuses(&m.id()?).await?);
        }
    }
    Ok(statuses)
}

/// A monitor's Log Report rows; a monitor with neither rows nor an inventory entry is
/// unknown.
/// The monitor `what` names: an id as it is (`history_of` says when no such monitor exists),
/// else a name, looked up in the inventory (an unknown name or one naming several monitors is
/// an error, the latter listing their ids).
pub(crate) async fn monitor_named(store: &StateStore, what: &str) -> Result<MonitorId, CliError> {
    if let Ok(id) = MonitorId::parse(what) {
        return Ok(id);
    }
    let estate = store.load_estate().await?;
    let m = find_monitor(&estate, what)?;
    Ok(MonitorId::parse(&m.monitor_id)?)
}

pub(crate) async fn history_of(
    store: &StateStore,
    id: &MonitorId,
) -> Result<Vec<cognito_watch_core::inventory::record::HistoryRow>, CliError> {
    let rows = store.history(&id.to_string()).await?;
    if rows.is_empty() && store.get_monitor(id).await?.is_none() {
        return Err(CliError::NoMonitor(id.to_string()));
    }
    Ok(rows)
}

pub(crate) fn line(out: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(CliError::output)
}

/// The trail table (TRAIL_TABLE), for the tally queries.
pub(crate) fn trail_store(env: &Env, base: &aws_config::SdkConfig) -> Result<TrailStore, CliError> {
    let table = env.require("TRAIL_TABLE", "the DynamoDB trail table")?;
    let ttl = chrono::Duration::days(14);
    Ok(TrailStore::new(base, &table, ttl, ttl))
}

pub(crate) fn status_store(
    env: &Env,
    base: &aws_config::SdkConfig,
) -> Result<StatusStore, CliError> {
    let table = env.require("STATUS_TABLE", "the DynamoDB status table")?;
    Ok(StatusStore::new(base, &table, chrono::Duration::days(30)))
}

/// An event file, read and parsed.
pub(crate) fn read_event(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CliError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// The monitor named `what`: its monitor id, or its name when only one monitor has it.
pub(crate) fn find_monitor<'a>(
    monitors: &'a [Monitor],
    what: &str,
) -> Result<&'a Monitor, CliError> {
    if let Some(m) = monitors.iter().find(|m| m.monitor_id == what) {
        return Ok(m);
    }
    let named: Vec<&Monitor> = monitors.iter().filter(|m| m.name == what).collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(CliError::NoMonitor(what.to_string())),
        many => Err(CliError::Usage(format!(
            "{what:?} names {} monitors; give one of their ids: {}",
            many.len(),
            many.iter()
                .map(|m| m.monitor_id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}
