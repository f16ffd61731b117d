//! `notifications …`: notification profiles (where alerts, detections and posture notices go,
//! and which of them), their assignment to monitors, tags, pools and accounts, and a check of
//! each destination before it is stored.

use clap::{Subcommand, ValueEnum};
use cognito_watch_aws::{AlertSink, StateStore, StatusStore};
use cognito_watch_core::alerting::notification::{
    Destination, NotificationAssignment, NotificationProfile, Notifications, Subject, STACK_TOPIC,
};
use cognito_watch_core::alerting::status::Status;
use cognito_watch_core::config::Tables;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::status_store;

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// A severity a profile may want.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Wanted {
    Down,
    Critical,
    Trouble,
}

impl From<Wanted> for Status {
    fn from(w: Wanted) -> Status {
        match w {
            Wanted::Down => Status::Down,
            Wanted::Critical => Status::Critical,
            Wanted::Trouble => Status::Trouble,
        }
    }
}

/// What an assignment selects (exactly one).
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub struct Target {
    /// A monitor (its id or name): its alerts.
    #[arg(long)]
    pub monitor: Option<String>,
    /// A tag, `key=value`: monitors carrying it, a tagged pool's children and detections.
    #[arg(long)]
    pub tag: Option<String>,
    /// A user pool or identity pool id: its monitors' alerts, its detections and posture.
    #[arg(long)]
    pub pool: Option<String>,
    /// `<account>/<region>`: what no narrower assignment takes there, including detections
    /// and posture notices that name no pool.
    #[arg(long)]
    pub scope: Option<String>,
}

/// `notifications set`: what to change (what is not given stays).
#[derive(Debug, clap::Args)]
pub struct SetArgs {
    /// The profile's name.
    pub name: String,
    /// Its destinations (repeat, or comma-separate), replacing the ones it had.
    #[arg(
        long = "destination",
        value_delimiter = ',',
        value_name = "[FORMAT:]TOPIC"
    )]
    pub destinations: Vec<String>,
    /// The severities it wants (replacing the ones it had): down, critical, trouble.
    #[arg(long = "severity", value_delimiter = ',', value_enum)]
    pub severities: Vec<Wanted>,
    /// Whether recoveries (and posture fixes) are sent.
    #[arg(long, value_enum)]
    pub recoveries: Option<Switch>,
    /// Whether the trail's security detections are sent.
    #[arg(long, value_enum)]
    pub detections: Option<Switch>,
    /// Whether posture notices are sent.
    #[arg(long, value_enum)]
    pub posture: Option<Switch>,
    /// What it is for.
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum NotificationsCommand {
    /// Every notification profile: destinations, what it sends, and what it is assigned to.
    List,
    /// Create or change a profile. Destinations are `default` (the stack's topic) or a topic
    /// ARN, prefixed `json:` (the JSON form, message attributes delivered) or `chat:` (Amazon
    /// Q Developer in chat applications); each topic is checked to exist, and to be in the
    /// stack's DestinationTopicArns when the stack says.
    Set(SetArgs),
    /// Remove a profile that nothing is assigned to.
    Remove {
        /// The profile's name.
        name: String,
    },
    /// Assign a profile to a monitor, a tag, a pool or an account and region.
    Assign {
        /// The profile's name.
        name: String,
        #[command(flatten)]
        target: Target,
    },
    /// Remove the assignment of a monitor, tag, pool or account and region: it falls back to
    /// what else matches, at last the `default` profile.
    Unassign {
        #[command(flatten)]
        target: Target,
    },
}

impl NotificationsCommand {
    fn needs_estate(&self) -> bool {
        matches!(
            self,
            NotificationsCommand::Assign { .. } | NotificationsCommand::Unassign { .. }
        )
    }
}

fn out(w: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(w, "{text}").map_err(CliError::output)
}

fn on(s: Switch) -> bool {
    s == Switch::On
}

/// A profile's destinations, in words.
pub(crate) fn destinations_text(p: &NotificationProfile, stack_topic: Option<&str>) -> String {
    p.destinations
        .iter()
        .map(|d| match (d.topic.as_str(), stack_topic) {
            (STACK_TOPIC, Some(t)) => format!("{}:default ({t})", d.format),
            _ => d.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a profile sends, in words.
pub(crate) fn wants_text(p: &NotificationProfile) -> String {
    let severities: Vec<&str> = p.severities.iter().map(|s| s.as_str()).collect();
    let yes_no = |b: bool| if b { "on" } else { "off" };
    format!(
        "{}; recoveries {}, detections {}, posture {}",
        if severities.is_empty() {
            "no severity".to_string()
        } else {
            severities.join(", ")
        },
        yes_no(p.recoveries),
        yes_no(p.detections),
        yes_no(p.posture)
    )
}

/// Where a monitor's alerts go, for `describe`.
pub(crate) fn routing_text(
    n: &Notifications,
    m: &Monitor,
    estate: &[Monitor],
    stack_topic: Option<&str>,
) -> String {
    let root = m
        .parent_id
        .as_ref()
        .and_then(|p| estate.iter().find(|r| &r.monitor_id == p));
    let (profile, by) = n.profile_for(&Subject::of_monitor(m, root));
    format!(
        "notification profile {:?} (by {by}): {}; {}",
        profile.name,
        destinations_text(&profile, stack_topic),
        wants_text(&profile)
    )
}

async fn list(
    status: &StatusStore,
    env: &Env,
    format: Format,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let n = status.load_notifications().await?;
    let stack_topic = env.get("ALERT_TOPIC_ARN");
    if format == Format::Json {
        let profiles: Vec<serde_json::Value> = n
            .all()
            .iter()
            .map(|p| {
                serde_json::json!({
                    "profile": p,
                    "assigned_to": n.assignments.iter().filter(|a| a.profile == p.name)
                        .map(NotificationAssignment::target).collect::<Vec<_>>(),
                })
            })
            .collect();
        let text = serde_json::to_string_pretty(&profiles).map_err(CliError::output)?;
        return out(w, &text);
    }
    let mut table = comfy_table::Table::new();
    table
        .load_preset(comfy_table::presets::NOTHING)
        .set_header(vec!["Profile", "Destinations", "Sends", "Assigned to"]);
    for p in n.all() {
        let assigned: Vec<String> = n
            .assignments
            .iter()
            .filter(|a| a.profile == p.name)
            .map(NotificationAssignment::target)
            .collect();
        let assigned = if p.name == "default" && assigned.is_empty() {
            "everything else".to_string()
        } else if assigned.is_empty() {
            "-".to_string()
        } else {
            assigned.join(", ")
        };
        table.add_row(vec![
            p.name.clone(),
            destinations_text(&p, stack_topic.as_deref()),
            wants_text(&p),
            assigned,
        ]);
    }
    out(w, &table.to_string())
}

/// Every topic of `destinations` exists (GetTopicAttributes), and is listed in the stack's
/// `DestinationTopicArns` when that is known: a profile never names a topic the functions
/// cannot publish to.
pub(crate) async fn check_destinations(
    env: &Env,
    base: &aws_config::SdkConfig,
    destinations: &[Destination],
) -> Result<(), CliError> {
    let allowed: Option<Vec<String>> = env.get("DESTINATION_TOPIC_ARNS").map(|v| {
        v.split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    });
    for d in destinations.iter().filter(|d| d.topic != STACK_TOPIC) {
        if let Some(allowed) = &allowed {
            if !allowed.contains(&d.topic) {
                return Err(CliError::Usage(format!(
                    "topic {} is not in the stack's DestinationTopicArns ({}): the functions may \
                     not publish to it. Add it (and its KMS key to DestinationKmsKeyArns if it is \
                     encrypted) with `sam deploy --parameter-overrides DestinationTopicArns=...`, \
                     then set the profile again",
                    d.topic,
                    if allowed.is_empty() {
                        "empty".to_string()
                    } else {
                        allowed.join(", ")
                    }
                )));
            }
        }
        if !AlertSink::topic_exists(base, &d.topic).await? {
            return Err(CliError::Usage(format!(
                "topic {} does not exist (in its account and region, as this caller sees it)",
                d.topic
            )));
        }
    }
    Ok(())
}

async fn set(
    status: &StatusStore,
    env: &Env,
    base: &aws_config::SdkConfig,
    args: SetArgs,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let SetArgs {
        name,
        destinations,
        severities,
        recoveries,
        detections,
        posture,
        description,
    } = args;
    let mut n = status.load_notifications().await?;
    let existing = n.profiles.iter().position(|p| p.name == name);
    let mut p = match existing {
        Some(i) => n.profiles[i].clone(),
        None => n.get(&name).unwrap_or_else(|| NotificationProfile {
            name: name.clone(),
            description: None,
            destinations: Vec::new(),
            severities: vec![Status::Down, Status::Critical, Status::Trouble],
            recoveries: true,
            detections: true,
            posture: true,
        }),
    };
    if !destinations.is_empty() {
        let parsed = destinations
            .iter()
            .map(|d| Destination::parse(d))
            .collect::<Result<Vec<_>, _>>()?;
        check_destinations(env, base, &parsed).await?;
        p.destinations = parsed;
    }
    if !severities.is_empty() {
        p.severities = severities.into_iter().map(Status::from).collect();
    }
    if let Some(s) = recoveries {
        p.recoveries = on(s);
    }
    if let Some(s) = detections {
        p.detections = on(s);
    }
    if let Some(s) = posture {
        p.posture = on(s);
    }
    if description.is_some() {
        p.description = description;
    }
    p.validate()?;
    let said = format!(
        "notification profile {:?}: {}; {}",
        p.name,
        destinations_text(&p, env.get("ALERT_TOPIC_ARN").as_deref()),
        wants_text(&p)
    );
    match existing {
        Some(i) => n.profiles[i] = p,
        None => n.profiles.push(p),
    }
    status.put_notifications(&n).await?;
    out(w, &said)
}

async fn remove(
    status: &StatusStore,
    name: &str,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let mut n = status.load_notifications().await?;
    let assigned: Vec<String> = n
        .assignments
        .iter()
        .filter(|a| a.profile == name)
        .map(NotificationAssignment::target)
        .collect();
    if !assigned.is_empty() {
        return Err(CliError::Usage(format!(
            "notification profile {name:?} is assigned to {}; unassign it first",
            assigned.join(", ")
        )));
    }
    let before = n.profiles.len();
    n.profiles.retain(|p| p.name != name);
    if n.profiles.len() == before {
        return Err(CliError::Usage(format!(
            "no stored notification profile {name:?} (`cognito-watch notifications list`)"
        )));
    }
    status.put_notifications(&n).await?;
    let after = if name == "default" {
        "; the stack default (everything to the stack's topic) applies again"
    } else {
        ""
    };
    out(w, &format!("removed notification profile {name:?}{after}"))
}

/// The assignment `target` describes, its monitor and pool looked up in `estate`.
fn assignment(
    target: Target,
    estate: &[Monitor],
    profile: &str,
) -> Result<NotificationAssignment, CliError> {
    let monitor = match &target.monitor {
        Some(named) => Some(
            crate::lookup::find_monitor(estate, named)?
                .monitor_id
                .clone(),
        ),
        None => None,
    };
    if let Some(pool) = &target.pool {
        let known = estate.iter().any(|m| {
            matches!(m.kind, MonitorKind::UserPool | MonitorKind::IdentityPool)
                && m.monitor_id.split_once('/').map(|(_, id)| id) == Some(pool.as_str())
        });
        if !known {
            return Err(CliError::Usage(format!(
                "no user pool or identity pool {pool:?} in the inventory (`cognito-watch status --all` lists them)"
            )));
        }
    }
    let a = NotificationAssignment {
        monitor,
        tag: target.tag,
        pool: target.pool,
        scope: target.scope,
        profile: profile.to_string(),
    };
    a.selector()?;
    Ok(a)
}

async fn assign(
    status: &StatusStore,
    estate: &[Monitor],
    name: &str,
    target: Target,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let mut n = status.load_notifications().await?;
    if n.get(name).is_none() {
        return Err(CliError::Usage(format!(
            "no notification profile {name:?}; make one with `cognito-watch notifications set {name} --destination <topic>`"
        )));
    }
    let a = assignment(target, estate, name)?;
    let what = a.target();
    n.assign(a)?;
    status.put_notifications(&n).await?;
    out(w, &format!("{what} now uses notification profile {name:?}"))
}

async fn unassign(
    status: &StatusStore,
    estate: &[Monitor],
    target: Target,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let mut n = status.load_notifications().await?;
    let a = assignment(target, estate, "")?;
    let selector = a.selector()?;
    let Some(i) = n
        .assignments
        .iter()
        .position(|o| o.selector().ok().as_deref() == Some(selector.as_str()))
    else {
        return Err(CliError::Usage(format!(
            "no notification profile is assigned to {} (`cognito-watch notifications list`)",
            a.target()
        )));
    };
    let removed = n.assignments.remove(i);
    status.put_notifications(&n).await?;
    out(
        w,
        &format!(
            "{} no longer has notification profile {:?}",
            removed.target(),
            removed.profile
        ),
    )
}

/// `notifications …`: read and write the notification profiles in the status table.
pub(crate) async fn dispatch(
    env: &Env,
    command: NotificationsCommand,
    output: Option<Format>,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let format = Format::of(output, false, false);
    let base = env.sdk(3).await;
    let status = status_store(env, &base)?;
    let estate = if command.needs_estate() {
        StateStore::new(&base, Tables::from_lookup(&env.lookup())?)
            .load_estate()
            .await?
    } else {
        Vec::new()
    };
    match command {
        NotificationsCommand::List => list(&status, env, format, w).await,
        NotificationsCommand::Set(args) => Box::pin(set(&status, env, &base, args, w)).await,
        NotificationsCommand::Remove { name } => remove(&status, &name, w).await,
        NotificationsCommand::Assign { name, target } => {
            assign(&status, &estate, &name, target, w).await
        }
        NotificationsCommand::Unassign { target } => unassign(&status, &estate, target, w).await,
    }
}
