//! `thresholds`: threshold profiles, their assignments, and the detection thresholds.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use cognito_watch_aws::StatusStore;
use cognito_watch_core::alerting::profile::{
    Assignment, Comparator, MissingData, Profile, ProfileError, ProfileSet, Severity, Threshold,
    DEFAULT_PROFILE,
};
use cognito_watch_core::inventory::catalogue;
use cognito_watch_core::inventory::monitor::{Monitor, MonitorKind};
use cognito_watch_core::inventory::record::format_value;
use comfy_table::{presets::UTF8_FULL_CONDENSED, ContentArrangement, Table};

use crate::env::Env;
use crate::error::CliError;
use crate::format::Format;
use crate::lookup::status_store;
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

/// A monitor type, as the CLI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Userpool,
    Appclient,
    Idp,
    User,
    Identitypool,
}

impl From<KindArg> for MonitorKind {
    fn from(k: KindArg) -> MonitorKind {
        match k {
            KindArg::Userpool => MonitorKind::UserPool,
            KindArg::Appclient => MonitorKind::AppClient,
            KindArg::Idp => MonitorKind::IdentityProvider,
            KindArg::User => MonitorKind::User,
            KindArg::Identitypool => MonitorKind::IdentityPool,
        }
    }
}

/// A threshold's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Trouble,
    Critical,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Trouble => Severity::Trouble,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum ThresholdsCommand {
    /// Every profile: type, name, thresholds, propagation, and what is assigned to it.
    List,
    /// One profile's thresholds.
    Show {
        /// Monitor type.
        kind: KindArg,
        /// The threshold profile (default: the type's `default` profile).
        #[arg(long = "threshold-profile", value_name = "NAME", default_value = DEFAULT_PROFILE)]
        profile: String,
    },
    /// Add or replace a threshold (same metric and comparator), or remove a metric's thresholds.
    Set {
        /// Monitor type.
        kind: KindArg,
        /// A catalogue metric id of that type (see `thresholds metrics <type>`).
        metric: String,
        /// One of > >= < <= = != (omit with --remove).
        comparator: Option<String>,
        /// The threshold value (omit with --remove).
        value: Option<f64>,
        /// The status a breach gives the monitor.
        #[arg(long, value_enum, default_value_t = SeverityArg::Critical)]
        severity: SeverityArg,
        /// Breach only after this many consecutive polls breach.
        #[arg(long, default_value_t = 1)]
        polls: u32,
        /// How a poll with no data is judged: notBreaching, breaching or ignore (keep the
        /// state). Default: the profile's choice, else ignore for a percentage and
        /// notBreaching for a count.
        #[arg(long, value_name = "TREATMENT")]
        missing_data: Option<String>,
        /// The threshold profile (default: the type's `default` profile). A new profile
        /// inherits the type's default profile: only what you set differs.
        #[arg(long = "threshold-profile", value_name = "NAME", default_value = DEFAULT_PROFILE)]
        profile: String,
        /// Remove every threshold on this metric instead (from an inheriting profile, the
        /// inherited ones too).
        #[arg(long)]
        remove: bool,
    },
    /// Turn a user pool profile's "Notify for Any Child Monitor Status Changes" on or off.
    Propagation {
        /// on: a child's status change is alerted on the pool; off: only the pool's own.
        switch: Switch,
        /// The threshold profile (default: the type's `default` profile).
        #[arg(long = "threshold-profile", value_name = "NAME", default_value = DEFAULT_PROFILE)]
        profile: String,
    },
    /// Assign a profile to a monitor (its id or name) or to a tag (`key=value`; a pool's tags
    /// cover its children).
    Assign {
        /// The monitor (its id or name) to assign the profile to.
        #[arg(long, conflicts_with = "tag", required_unless_present = "tag")]
        monitor: Option<String>,
        /// A tag (`key=value`): every monitor carrying it, and a tagged pool's children.
        #[arg(long)]
        tag: Option<String>,
        /// The threshold profile to assign (of the monitor's type).
        #[arg(long = "threshold-profile", value_name = "NAME")]
        profile: String,
    },
    /// Remove a monitor's (its id or name) or a tag's assignment: it falls back to what else
    /// matches, at last its type's default profile.
    Unassign {
        /// The monitor (its id or name).
        #[arg(long, conflicts_with = "tag", required_unless_present = "tag")]
        monitor: Option<String>,
        /// The tag (`key=value`).
        #[arg(long)]
        tag: Option<String>,
    },
    /// The metric ids a monitor type can carry thresholds on.
    Metrics {
        /// Monitor type.
        kind: KindArg,
    },
    /// Load profiles and assignments from a TOML file (e.g. profiles/default.toml).
    Import {
        /// The TOML file.
        file: PathBuf,
    },
    /// Write every profile and assignment as TOML (stdout, or --file FILE).
    Export {
        /// Write to this file instead of stdout.
        #[arg(long)]
        file: Option<PathBuf>,
    },
    /// The trail function's security detection thresholds; with NAME VALUE, set one
    /// (e.g. `thresholds detections brute_force_failures 100`).
    Detections {
        /// A detection threshold's name (as listed without arguments).
        name: Option<String>,
        /// Its new value.
        #[arg(requires = "name")]
        value: Option<f64>,
    },
}

fn out(w: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(w, "{text}").map_err(CliError::output)
}

/// A table as wide as the terminal (no limit when the output is not one).
fn table() -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    t
}

/// The profile `name` of `kind`, or a new one: a new profile other than the default inherits
/// the type's default profile, so a threshold set on it overrides that one alone. The text
/// says which it was.
async fn profile_or_new(
    store: &StatusStore,
    kind: MonitorKind,
    name: &str,
) -> Result<(Profile, String), CliError> {
    let (set, _) = store.load_profiles().await?;
    Ok(match set.get(kind, name) {
        Some(p) => (p.clone(), String::new()),
        None if name == DEFAULT_PROFILE => (
            Profile::empty(kind, name),
            format!(" (new profile {}/{name})", kind.id_prefix()),
        ),
        None => {
            let mut p = Profile::empty(kind, name);
            p.inherits = Some(DEFAULT_PROFILE.to_string());
            let note = format!(
                " (new profile {}/{name}, inheriting {}/{DEFAULT_PROFILE}: its other thresholds still apply)",
                kind.id_prefix(),
                kind.id_prefix()
            );
            (p, note)
        }
    })
}

impl ThresholdsCommand {
    /// Whether the command reads or writes the status table (`metrics` needs no AWS).
    pub fn needs_store(&self) -> bool {
        !matches!(self, ThresholdsCommand::Metrics { .. })
    }

    /// Whether the command names monitors, so needs the inventory (the state table).
    pub fn needs_estate(&self) -> bool {
        matches!(
            self,
            ThresholdsCommand::Assign { .. } | ThresholdsCommand::Unassign { .. }
        )
    }
}

/// `thresholds metrics`: the catalogue, no AWS; a table, CSV or JSON with the same fields.
pub fn metrics(
    k: KindArg,
    format: crate::format::Format,
    style: &crate::style::Style,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    use crate::listing::{Cell, Field, Listing};
    let k = MonitorKind::from(k);
    let mut listing = Listing::new(vec![
        Field::new("id", "Id"),
        Field::new("metric", "Metric"),
        Field::new("statistic", "Statistic"),
    ]);
    for m in catalogue::metrics(k) {
        listing.push(vec![
            Cell::text(m.id),
            Cell::text(m.label),
            Cell::text(m.statistic.to_string()),
        ]);
    }
    listing.emit(w, format, style, "no metrics")
}

/// Every other `thresholds` subcommand, against the status table.
pub async fn run(
    store: &StatusStore,
    estate: &[Monitor],
    cmd: ThresholdsCommand,
    (format, style): (crate::format::Format, &crate::style::Style),
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    match cmd {
        ThresholdsCommand::List => list(store, format, style, w).await,
        ThresholdsCommand::Show { kind, profile } => show(store, kind.into(), &profile, w).await,
        ThresholdsCommand::Set {
            kind,
            metric,
            comparator,
            value,
            severity,
            polls,
            missing_data,
            profile,
            remove,
        } => {
            let target = (kind.into(), profile.as_str(), metric.as_str());
            if remove {
                return unset(store, target, w).await;
            }
            let (Some(c), Some(v)) = (comparator, value) else {
                return Err(CliError::Usage(
                    "thresholds set needs <comparator> <value> (or --remove)".into(),
                ));
            };
            let comparator = Comparator::parse(&c).ok_or_else(|| {
                CliError::Usage(format!("{c:?} is not a comparator; use > >= < <= = !="))
            })?;
            let missing_data = match missing_data {
                Some(m) => Some(MissingData::parse(&m).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--missing-data {m:?}: one of notBreaching, breaching, ignore"
                    ))
                })?),
                None => None,
            };
            let threshold = Threshold {
                metric: metric.clone(),
                comparator,
                value: v,
                severity: severity.into(),
                consecutive_polls: polls,
                missing_data,
            };
            set(store, target, threshold, w).await
        }
        ThresholdsCommand::Propagation { switch, profile } => {
            propagation(store, switch, &profile, w).await
        }
        ThresholdsCommand::Assign {
            monitor,
            tag,
            profile,
        } => {
            let a = Assignment {
                monitor,
                tag,
                profile,
            };
            assign(store, estate, a, w).await
        }
        ThresholdsCommand::Unassign { monitor, tag } => {
            unassign(store, estate, monitor, tag, w).await
        }
        ThresholdsCommand::Metrics { kind } => metrics(kind, format, style, w),
        ThresholdsCommand::Import { file } => import(store, &file, w).await,
        ThresholdsCommand::Detections { name, value } => detections(store, name, value, w).await,
        ThresholdsCommand::Export { file } => export(store, file, w).await,
    }
}

async fn list(
    store: &StatusStore,
    format: crate::format::Format,
    style: &crate::style::Style,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    use crate::listing::{Cell, Field, Listing};
    let (set, _) = store.load_profiles().await?;
    let mut profiles = set.profiles.clone();
    profiles.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let mut listing = Listing::new(vec![
        Field::new("type", "Type"),
        Field::new("profile", "Profile"),
        Field::new("inherits", "Inherits"),
        Field::new("thresholds", "Thresholds"),
        Field::new("down_after_failed_polls", "Down after failed polls"),
        Field::new("notify_for_child_changes", "Notify for child changes"),
        Field::new("assigned_to", "Assigned to"),
    ]);
    for p in &profiles {
        // What the profile applies, its inherited thresholds included.
        let applied = set.effective(p).thresholds.len();
        let assigned: Vec<String> = if p.name == DEFAULT_PROFILE {
            vec!["every other monitor of this type".to_string()]
        } else {
            set.assignments
                .iter()
                .filter(|a| a.profile == p.name)
                .filter_map(|a| {
                    a.monitor
                        .clone()
                        .or_else(|| a.tag.as_ref().map(|t| format!("tag {t}")))
                })
                .collect()
        };
        listing.push(vec![
            Cell::text(p.kind.id_prefix()),
            Cell::text(p.name.clone()),
            Cell::text(p.inherits.clone().unwrap_or_else(|| "-".into())),
            Cell::Count(applied as u64),
            Cell::Count(u64::from(p.down_after_failed_polls)),
            Cell::text(propagation_text(p)),
            Cell::List(assigned),
        ]);
    }
    let empty = "no profiles yet: run `cognito-watch init` or the evaluator once";
    listing.emit(w, format, style, empty)
}

/// "on"/"off" for a user pool profile's propagation, "-" for other types.
fn propagation_text(p: &Profile) -> &'static str {
    match (p.kind, p.notify_child_status_changes) {
        (MonitorKind::UserPool, true) => "on",
        (MonitorKind::UserPool, false) => "off",
        _ => "-",
    }
}

async fn show(
    store: &StatusStore,
    k: MonitorKind,
    profile: &str,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (set, _) = store.load_profiles().await?;
    let p = set
        .get(k, profile)
        .ok_or_else(|| CliError::Usage(format!("no {} profile {profile:?}", k.label())))?;
    let mut t = table();
    t.set_header([
        "Metric",
        "Id",
        "Comparator",
        "Value",
        "Severity",
        "Consecutive polls",
        "Missing data",
        "From",
    ]);
    for (th, from) in set.origins(p) {
        let label = catalogue::find(k, &th.metric).map_or("?", |d| d.label);
        let missing = p.missing_data(&th);
        t.add_row([
            label.to_string(),
            th.metric.clone(),
            th.comparator.to_string(),
            format_value(th.value),
            th.severity.to_string(),
            th.consecutive_polls.to_string(),
            missing.to_string(),
            if from == p.name {
                "this profile".to_string()
            } else {
                format!("inherited from {from}")
            },
        ]);
    }
    let inherits = match (&p.inherits, p.without.is_empty()) {
        (Some(parent), true) => format!(", inherits {parent}"),
        (Some(parent), false) => format!(", inherits {parent} without {}", p.without.join(", ")),
        (None, _) => String::new(),
    };
    let propagation = if k == MonitorKind::UserPool {
        format!(
            " (Notify for Any Child Monitor Status Changes: {})",
            propagation_text(p)
        )
    } else {
        String::new()
    };
    out(
        w,
        &format!(
            "{} profile {:?}{inherits}{propagation}\n{t}",
            k.label(),
            p.name
        ),
    )
}

/// Which profile and metric a `thresholds set` changes.
type Target<'a> = (MonitorKind, &'a str, &'a str);

async fn unset(
    store: &StatusStore,
    (k, profile, metric): Target<'_>,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (mut p, new) = profile_or_new(store, k, profile).await?;
    let n = p.unset(metric);
    p.validate()?;
    store.put_profile(&p).await?;
    let prefix = k.id_prefix();
    let inherited = match &p.inherits {
        Some(parent) => format!("; the ones inherited from {prefix}/{parent} no longer apply"),
        None => String::new(),
    };
    out(
        w,
        &format!("removed {n} threshold(s) on {metric} from {prefix}/{profile}{inherited}{new}"),
    )
}

async fn set(
    store: &StatusStore,
    (k, profile, metric): Target<'_>,
    threshold: Threshold,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (mut p, new) = profile_or_new(store, k, profile).await?;
    let (comparator, value, polls) = (
        threshold.comparator,
        threshold.value,
        threshold.consecutive_polls,
    );
    let severity = threshold.severity;
    p.set(threshold);
    p.validate()?;
    store.put_profile(&p).await?;
    out(
        w,
        &format!(
            "{}/{profile}: {metric} {comparator} {} ({}, {polls} consecutive poll(s)){new}",
            k.id_prefix(),
            format_value(value),
            severity.as_str()
        ),
    )
}

async fn propagation(
    store: &StatusStore,
    switch: Switch,
    profile: &str,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (mut p, _) = profile_or_new(store, MonitorKind::UserPool, profile).await?;
    p.notify_child_status_changes = switch == Switch::On;
    store.put_profile(&p).await?;
    let state = propagation_text(&p);
    out(
        w,
        &format!("userpool/{profile}: Notify for Any Child Monitor Status Changes {state}"),
    )
}

async fn assign(
    store: &StatusStore,
    estate: &[Monitor],
    mut a: Assignment,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (set, _) = store.load_profiles().await?;
    let kinds: Vec<MonitorKind> = set
        .profiles
        .iter()
        .filter(|p| p.name == a.profile)
        .map(|p| p.kind)
        .collect();
    let hint = |what: &str| {
        format!(
            "no {what} profile {:?}; make one with `cognito-watch thresholds set {what} <metric> <comparator> <value> --threshold-profile {}`",
            a.profile, a.profile
        )
    };
    let said = match (&a.monitor, &a.tag) {
        (Some(named), None) => {
            let m = crate::lookup::find_monitor(estate, named)?;
            let Some(profile) = set.get(m.kind, &a.profile) else {
                return Err(CliError::Usage(hint(m.kind.id_prefix())));
            };
            a.monitor = Some(m.monitor_id.clone());
            let effective = set.effective(profile);
            format!(
                "{} {} ({}) now uses {} profile {:?}: {} threshold(s){}",
                m.kind.label(),
                m.name,
                m.monitor_id,
                m.kind.id_prefix(),
                a.profile,
                effective.thresholds.len(),
                profile
                    .inherits
                    .as_deref()
                    .map(|p| format!(", inheriting {p}"))
                    .unwrap_or_default()
            )
        }
        (None, Some(tag)) => {
            let Some((key, value)) = tag.split_once('=').filter(|(k, _)| !k.is_empty()) else {
                return Err(CliError::Usage(format!(
                    "--tag {tag:?}: expected key=value, as the resource is tagged"
                )));
            };
            if kinds.is_empty() {
                return Err(CliError::Usage(hint("<type>")));
            }
            let carrying = estate
                .iter()
                .filter(|m| m.tags.get(key).is_some_and(|v| v == value))
                .count();
            let types: Vec<&str> = kinds.iter().map(|k| k.id_prefix()).collect();
            format!(
                "monitors tagged {tag} (and a tagged user pool's children) of type {} now use profile {:?}; {carrying} monitor(s) carry the tag now",
                types.join(", "),
                a.profile
            )
        }
        _ => a.selector().map(|_| String::new())?,
    };
    store.put_assignment(&a).await?;
    out(w, &said)
}

async fn unassign(
    store: &StatusStore,
    estate: &[Monitor],
    monitor: Option<String>,
    tag: Option<String>,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (what, monitor) = match (&monitor, &tag) {
        (Some(named), None) => {
            let m = crate::lookup::find_monitor(estate, named)?;
            (format!("{} ({})", m.monitor_id, m.name), Some(m))
        }
        (None, Some(t)) => (format!("tag {t}"), None),
        _ => {
            return Err(CliError::Usage(
                "thresholds unassign needs --monitor or --tag".into(),
            ))
        }
    };
    let a = Assignment {
        monitor: monitor.map(|m| m.monitor_id.clone()),
        tag,
        profile: String::new(),
    };
    let Some(removed) = store.delete_assignment(&a).await? else {
        return Err(CliError::Usage(format!(
            "nothing is assigned to {what} (`cognito-watch thresholds list` shows the assignments)"
        )));
    };
    let now = match monitor {
        Some(m) => {
            let (set, _) = store.load_profiles().await?;
            let pool_tags = m
                .parent_id
                .as_ref()
                .and_then(|p| estate.iter().find(|r| &r.monitor_id == p))
                .map(|r| r.tags.clone())
                .unwrap_or_default();
            format!(
                "; it now uses profile {:?}",
                set.resolve(m, &pool_tags).name
            )
        }
        None => String::new(),
    };
    out(
        w,
        &format!("{what} no longer has profile {:?}{now}", removed.profile),
    )
}

async fn import(
    store: &StatusStore,
    file: &std::path::Path,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file).map_err(|source| CliError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let set = ProfileSet::from_toml(&text).map_err(|source| CliError::ProfileFile {
        path: file.to_path_buf(),
        source,
    })?;
    store.import(&set).await?;
    out(
        w,
        &format!(
            "imported {} profile(s), {} assignment(s) and {} notification profile(s) from {}",
            set.profiles.len(),
            set.assignments.len(),
            set.notifications.profiles.len(),
            file.display()
        ),
    )
}

async fn detections(
    store: &StatusStore,
    name: Option<String>,
    value: Option<f64>,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (set, _) = store.load_profiles().await?;
    let mut d = set.detections;
    if let Some(name) = name {
        let value = value.ok_or_else(|| {
            CliError::Usage(format!("thresholds detections {name}: a value is needed"))
        })?;
        d.set(&name, value).map_err(ProfileError::from)?;
        store.put_detections(&d).await?;
    }
    let text = toml::to_string_pretty(&d).map_err(CliError::output)?;
    out(w, text.trim_end())
}

async fn export(
    store: &StatusStore,
    output: Option<PathBuf>,
    w: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let (mut set, _) = store.load_profiles().await?;
    set.profiles
        .sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    let text = set.to_toml().map_err(CliError::output)?;
    match output {
        Some(path) => {
            std::fs::write(&path, &text).map_err(|source| CliError::Write {
                path: path.clone(),
                source,
            })?;
            out(w, &format!("wrote {}", path.display()))
        }
        None => out(w, &text),
    }
}

/// `thresholds …`: `metrics` needs nothing but the catalogue; the others read the status
/// table, and the inventory where an assignment names monitors.
pub(crate) async fn dispatch(
    env: &Env,
    command: ThresholdsCommand,
    output: Option<Format>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let format = Format::of(output, false, false);
    let style = crate::style::Style::of(env);
    if let ThresholdsCommand::Metrics { kind } = command {
        return metrics(kind, format, &style, out);
    }
    let base = env.sdk(3).await;
    let status = status_store(env, &base)?;
    if let ThresholdsCommand::Import { file } = &command {
        // A file's notification profiles name topics: each must exist and be allowed, as
        // `notifications set` checks (a file that cannot be read or parsed is `import`'s to say).
        let set = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| ProfileSet::from_toml(&text).ok());
        if let Some(set) = set {
            let destinations: Vec<_> = set
                .notifications
                .profiles
                .iter()
                .flat_map(|p| p.destinations.iter().cloned())
                .collect();
            super::notifications::check_destinations(env, &base, &destinations).await?;
        }
    }
    let estate = if command.needs_estate() {
        StateStore::new(&base, Tables::from_lookup(&env.lookup())?)
            .load_estate()
            .await?
    } else {
        Vec::new()
    };
    Box::pin(run(&status, &estate, command, (format, &style), out)).await
}
