//! `init`: create what is missing, for the emulator and runs outside SAM.

use cognito_watch_aws::{AlertSink, StateStore};
use cognito_watch_core::alerting::profile::ProfileSet;
use cognito_watch_core::config::Tables;

use crate::env::Env;
use crate::error::CliError;
use crate::lookup::{line, status_store, trail_store};

/// `init`: create what is missing, for the emulator and runs outside SAM.
pub(crate) async fn run(env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let tables = Tables::from_lookup(&env.lookup())?;
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, tables.clone());
    let created = store.create_tables().await?;
    let word = |created: bool| if created { "created" } else { "exists" };
    for t in [&tables.state, &tables.history] {
        line(out, &format!("table {t}: {}", word(created.contains(t))))?;
    }
    let status = status_store(env, &base)?;
    let made = status.create_table().await?;
    line(out, &format!("table {}: {}", status.table, word(made)))?;
    let defaults = ProfileSet::shipped()?;
    if status.seed(&defaults).await? {
        let n = defaults.profiles.len();
        line(
            out,
            &format!("threshold profiles: loaded {n} shipped profiles"),
        )?;
    } else {
        line(out, "threshold profiles: already loaded")?;
    }
    if env.get("TRAIL_TABLE").is_some() {
        let store = trail_store(env, &base)?;
        let made = store.create_table().await?;
        line(out, &format!("table {}: {}", store.table, word(made)))?;
    }
    match env.get("ALERT_TOPIC_ARN") {
        Some(arn) => init_topic_arn(env, &base, &arn, out).await,
        None => {
            let topic = env
                .get("ALERT_TOPIC_NAME")
                .unwrap_or_else(|| "cognito-watch-alerts".into());
            let arn = AlertSink::create_topic(&base, &topic).await?;
            line(out, &format!("topic {topic}: {arn}"))?;
            line(
                out,
                &format!("for the evaluator: export ALERT_TOPIC_ARN={arn}"),
            )
        }
    }
}

/// `init` with `ALERT_TOPIC_ARN` set: that topic, found or made (never one of another name).
pub(crate) async fn init_topic_arn(
    env: &Env,
    base: &aws_config::SdkConfig,
    arn: &str,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let name = arn
        .strip_prefix("arn:")
        .and_then(|rest| rest.rsplit(':').next())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| CliError::Usage(format!("ALERT_TOPIC_ARN {arn:?} is not a topic ARN")))?;
    if let Some(other) = env.get("ALERT_TOPIC_NAME").filter(|n| n != name) {
        return Err(CliError::Usage(format!(
            "ALERT_TOPIC_NAME {other} and ALERT_TOPIC_ARN {arn} name different topics: unset \
             ALERT_TOPIC_NAME, or set ALERT_TOPIC_ARN to the topic you mean"
        )));
    }
    if AlertSink::topic_exists(base, arn).await? {
        return line(out, &format!("topic {name}: {arn} (exists)"));
    }
    let made = AlertSink::create_topic(base, name).await?;
    if made != arn {
        return Err(CliError::Usage(format!(
            "ALERT_TOPIC_ARN names {arn}, but these credentials and region make {made}: set \
             ALERT_TOPIC_ARN to {made}, or run init in the topic's account and region"
        )));
    }
    line(out, &format!("topic {name}: {arn} (created)"))
}
