//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

pub mod alerting;
pub mod cost;
pub mod deployed;
pub mod describe;
pub mod env;
pub mod html;
pub mod listing;
pub mod manual;
pub mod period;
pub mod redate;
pub mod render;
pub mod stack;
pub mod trail;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use cognito_watch_aws::{AlertSink, StateStore, StatusStore, TrailStore};
use cognito_watch_core::alerting::profile::ProfileSet;
use cognito_watch_core::config::{CollectorConfig, EvaluatorConfig, Tables, TrailConfig};
use cognito_watch_core::inventory::monitor::{MonitorId, MonitorKind};

pub use alerting::{OutageCommand, ThresholdsCommand};
pub use env::Env;

#[derive(Debug, Parser)]
#[command(
    name = "cognito-watch",
    version,
    about = "Self-hosted monitor for Amazon Cognito"
)]
pub struct Cli {
    /// The stack `sam deploy` made (default cognito-watch, or COGNITO_WATCH_STACK): the tables,
    /// topic and functions come from its outputs, unless set in the environment.
    #[arg(long, global = true)]
    pub stack: Option<String>,
    /// The AWS region (default: AWS_REGION, or your AWS profile's).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// The AWS profile to use (default: AWS_PROFILE).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// How to print lists, each the same rows with the same fields: table (the fields that fit
    /// the terminal), wide (every field), json or csv.
    #[arg(short = 'o', long = "output", global = true, value_enum)]
    pub output: Option<Format>,
    /// More log lines on stderr: -v (info), -vv (debug). LOG=<filter> overrides.
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

/// A status to filter on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Up,
    Trouble,
    Critical,
    Down,
}

/// What `status` shows.
#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    pub users: bool,
    pub pool: Option<String>,
    pub kind: Option<alerting::KindArg>,
    pub status: Vec<StatusArg>,
}

/// How a list is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table as wide as the terminal.
    Table,
    /// A table with every field.
    Wide,
    /// A JSON list: a row an object, its fields the keys.
    Json,
    /// CSV: a header of the fields, then a line per row.
    Csv,
}

impl Format {
    /// The format asked for with `-o`, else the one a command's own `--json` / `--csv` flag
    /// names, else a table.
    pub fn of(output: Option<Format>, json: bool, csv: bool) -> Format {
        match (output, json, csv) {
            (Some(f), _, _) => f,
            (None, true, _) => Format::Json,
            (None, _, true) => Format::Csv,
            _ => Format::Table,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create what is missing: the state, history, status and trail tables (STATE_TABLE,
    /// HISTORY_TABLE, STATUS_TABLE, TRAIL_TABLE when set), the alert topic (ALERT_TOPIC_NAME, default
    /// cognito-watch-alerts) and the shipped threshold profiles. For local use; SAM creates
    /// these in AWS.
    Init,
    /// The monitor tree: region → user pool → app clients / identity providers / users; identity pools.
    Status {
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Include user monitors (they can be many).
        #[arg(long)]
        users: bool,
        /// Only this user or identity pool (its id or name) and its children.
        #[arg(long)]
        pool: Option<String>,
        /// Only monitors of this type.
        #[arg(long = "type", value_enum)]
        kind: Option<alerting::KindArg>,
        /// Only monitors with this status (as the evaluator last judged it); repeat it for
        /// several: `--status trouble --status critical --status down`.
        #[arg(long, value_enum)]
        status: Vec<StatusArg>,
    },
    /// A monitor's Log Report: one row per poll.
    Report {
        /// The monitor: its id (userpool/us-east-1_abc, appclient/us-east-1_abc/<client id>)
        /// or its name, as `history` and `describe` take it (with --html: only this monitor;
        /// the whole estate otherwise).
        #[arg(required_unless_present_any = ["html", "monitor_flag"])]
        monitor: Option<String>,
        /// The monitor, as earlier versions took it (`--monitor web`).
        #[arg(long = "monitor", value_name = "MONITOR", conflicts_with = "monitor")]
        monitor_flag: Option<String>,
        /// CSV, the downloadable Log Report (the same as `-o csv`); a table otherwise.
        #[arg(long)]
        csv: bool,
        /// Write one self-contained HTML page instead: the status tree, each monitor's metrics
        /// as charts, outages, top failing IPs and detections.
        #[arg(long, value_name = "FILE")]
        html: Option<PathBuf>,
        #[command(flatten)]
        since: period::Since,
    },
    /// One monitor in full: configuration, permissions, attribute mapping, user attributes,
    /// identity providers and roles, inventory (profile, alert routing), metrics, outages.
    Describe {
        /// The monitor id (as `status -o wide` shows it) or its name.
        monitor: String,
    },
    /// A monitor's metrics over time: a chart per metric, with its lowest, highest and last
    /// value, from its Log Report.
    History {
        /// The monitor: its id (appclient/us-east-1_abc/<client id>) or its name.
        monitor: String,
        /// Only these metrics (ids as `thresholds metrics` lists them); all with data otherwise.
        #[arg(long = "metric")]
        metrics: Vec<String>,
        #[command(flatten)]
        since: period::Since,
    },
    /// Threshold profiles: list, show, set, import, export, and assignment.
    Thresholds {
        #[command(subcommand)]
        command: ThresholdsCommand,
    },
    /// Outages across the estate (the Outages tab): start, end, duration, reason, comment.
    Outages {
        /// Only this monitor's outages.
        #[arg(long)]
        monitor: Option<String>,
        /// Only outages still open.
        #[arg(long)]
        open: bool,
        /// CSV (the same as `-o csv`).
        #[arg(long)]
        csv: bool,
        #[command(flatten)]
        since: period::Since,
    },
    /// Edit an outage.
    Outage {
        #[command(subcommand)]
        command: OutageCommand,
    },
    /// The trail function's tallies: failures, refresh-failures, top-ips, m2m, detections.
    #[command(flatten)]
    Tallies(trail::TallyCommand),
    /// What monitoring this estate costs per month (us-east-1 list prices): CloudWatch
    /// GetMetricData, Lambda, DynamoDB, SNS, KMS and derived metrics, from the calls the last
    /// polls made (the poll log), per estate and per app client, at the configured poll rate
    /// and at 1 min, 5 min, 15 min and 1 h; each derived metric family's price; the fixed
    /// costs; the trail per source from its usage records, per million records and a month.
    Cost {
        /// How much of the poll log to read (the polls of the period).
        #[command(flatten)]
        since: period::Since,
        /// The configured poll rate: 5m, 1h, or as the stack's PollRate, "rate(5 minutes)"
        /// (default: the interval the poll log shows, else 5 minutes).
        #[arg(long)]
        rate: Option<String>,
        /// The tables are encrypted with a customer managed KMS key (TableKmsKeyArn): $1 a month.
        #[arg(long)]
        table_key: bool,
        /// The stack's PublishDerivedMetrics: true, false, or families of status, failures
        /// and trail separated by commas (the template's default: false).
        #[arg(long, default_value = "false")]
        derived_metrics: String,
        /// The same as --derived-metrics false.
        #[arg(long, conflicts_with = "derived_metrics")]
        no_derived_metrics: bool,
        /// The stack's TrailSource: EventBridge (the queue and its alarm), LogGroup or Bucket.
        #[arg(long, default_value = "EventBridge")]
        trail_source: String,
    },
    /// Print a shell completion script: `cognito-watch completions bash > /etc/bash_completion.d/cognito-watch`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Run a function: the deployed one (its answer and log tail) when the stack names it,
    /// else, or with --local, its handler in this process (for an emulator at AWS_ENDPOINT_URL).
    Invoke {
        /// The function: collector, evaluator or trail.
        function: Function,
        /// Run the handler in this process even when a deployed function is known.
        #[arg(long)]
        local: bool,
        /// The event file (e.g. events/collector/schedule.json); none means `{}` (the
        /// collector polls everything; the evaluator evaluates every pool now).
        #[arg(long)]
        event: Option<PathBuf>,
        /// Move the event's times so its newest is now (as `redate` prints it): the samples
        /// in events/ are dated when they were written, and without it what they feed is
        /// older than the views' default period.
        #[arg(long, requires = "event")]
        now: bool,
    },
    /// Print an event file with every time in it moved by one amount so its newest is now
    /// (inside SQS bodies and CloudWatch Logs payloads too), for `sam local invoke -e -`:
    /// `cognito-watch redate events/trail/logs-subscription.json | sam local invoke
    /// TrailFunction -e -`. A trail file an S3 notification names is not moved.
    Redate {
        /// The event file.
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Function {
    Collector,
    Evaluator,
    Trail,
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] cognito_watch_core::config::ConfigError),
    #[error(transparent)]
    Aws(#[from] cognito_watch_aws::AwsError),
    #[error(transparent)]
    MonitorId(#[from] cognito_watch_core::inventory::monitor::InvalidMonitorId),
    #[error("no monitor {0}")]
    NoMonitor(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not JSON: {source}")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Collector(#[from] collector::CollectorError),
    #[error(transparent)]
    Evaluator(#[from] evaluator::EvaluatorError),
    #[error(transparent)]
    Trail(#[from] ::trail::TrailError),
    #[error("{0}")]
    Usage(String),
    #[error("{function} failed ({error}): {answer}\n--- log tail ---\n{log_tail}")]
    FunctionFailed {
        function: String,
        error: String,
        answer: String,
        log_tail: String,
    },
    #[error("{name} is required ({what}): {hint}")]
    Setting {
        name: &'static str,
        what: &'static str,
        hint: String,
    },
    #[error("cannot read stack {stack} in {region}: is it deployed in this region?")]
    Stack {
        stack: String,
        region: String,
        #[source]
        source: Box<cognito_watch_aws::AwsError>,
    },
    #[error("{what} not found in {region}{stack}: is the stack deployed in this region?")]
    NotFound {
        what: String,
        region: String,
        stack: String,
        #[source]
        source: Box<cognito_watch_aws::AwsError>,
    },
    #[error(transparent)]
    Profile(#[from] cognito_watch_core::alerting::profile::ProfileError),
    #[error("{path}: {source}")]
    ProfileFile {
        path: PathBuf,
        #[source]
        source: cognito_watch_core::alerting::profile::ProfileError,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write output: {source}")]
    Output {
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl CliError {
    /// Output that could not be written or rendered, with its cause.
    pub fn output<E: Into<Box<dyn std::error::Error + Send + Sync>>>(e: E) -> CliError {
        CliError::Output { source: e.into() }
    }

    /// Whether the output was a pipe its reader closed (`| head`): not a failure.
    pub fn is_closed_pipe(&self) -> bool {
        let CliError::Output { source } = self else {
            return false;
        };
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(source.as_ref());
        while let Some(c) = cause {
            if c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return true;
            }
            cause = c.source();
        }
        false
    }

    /// The process exit code: 2 for a usage error (a bad argument or a missing setting, as
    /// clap's own usage errors), 1 for a failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_)
            | CliError::Setting { .. }
            | CliError::Config(_)
            | CliError::MonitorId(_)
            | CliError::Profile(_)
            | CliError::ProfileFile { .. } => 2,
            _ => 1,
        }
    }
}

/// The error and each of its causes, one per line, a cause already said by the lines before it
/// left out (an AWS error's message is in its own line and in the SDK error beneath it).
pub fn error_report(e: &(dyn std::error::Error + 'static)) -> String {
    let mut said = format!("error: {e}");
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !text.is_empty() && !said.contains(&text) {
            said.push_str(&format!("\n  caused by: {text}"));
        }
        source = s.source();
    }
    said
}

/// Run a command with the settings of `env`, writing to `out`. A command that needs AWS
/// first fills what the environment does not say from the stack's outputs. (The command's
/// future is boxed: it is large, and a caller's stack may be small.)
pub async fn run(cli: Cli, env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let (env, found) = if cli.command.needs_aws() {
        stack::settle(
            env,
            cli.stack.as_deref(),
            cli.region.as_deref(),
            cli.profile.as_deref(),
        )
        .await?
    } else {
        (env.clone(), stack::Found::default())
    };
    let globals = Globals {
        format: cli.output,
        found: found.clone(),
    };
    match Box::pin(dispatch(cli.command, &globals, &env, out)).await {
        Err(CliError::Config(cognito_watch_core::config::ConfigError::Missing { name, what })) => {
            Err(CliError::Setting {
                name,
                what,
                hint: found.hint(name),
            })
        }
        Err(CliError::Aws(e)) if e.code.as_deref() == Some("ResourceNotFoundException") => {
            Err(not_found(&env, &found, e))
        }
        other => other,
    }
}

/// A table or topic that is not there, named with the settings in play.
fn not_found(env: &Env, found: &stack::Found, e: cognito_watch_aws::AwsError) -> CliError {
    let named: Vec<String> = stack::OUTPUTS
        .iter()
        .filter_map(|(var, _)| env.get(var).map(|v| format!("{var}={v}")))
        .filter(|s| s.contains("TABLE"))
        .collect();
    CliError::NotFound {
        what: format!("a table of {}", named.join(", ")),
        region: env
            .get("AWS_REGION")
            .or_else(|| env.get("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "the configured region".into()),
        stack: found
            .stack
            .as_deref()
            .map(|s| format!(" (stack {s})"))
            .unwrap_or_default(),
        source: Box::new(e),
    }
}

/// What every command may use beside its own arguments.
#[derive(Debug, Clone, Default)]
pub struct Globals {
    /// `-o`, if given.
    pub format: Option<Format>,
    /// Where the settings came from.
    pub found: stack::Found,
}

impl Command {
    /// Whether the command talks to AWS (those that do not never read a stack).
    pub fn needs_aws(&self) -> bool {
        !matches!(
            self,
            Command::Thresholds {
                command: ThresholdsCommand::Metrics { .. }
            } | Command::Completions { .. }
        )
    }
}

async fn dispatch(
    command: Command,
    globals: &Globals,
    env: &Env,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let format = globals.format;
    match command {
        Command::Init => Box::pin(init(env, out)).await,
        Command::Status {
            json,
            users,
            pool,
            kind,
            status: wanted,
        } => {
            let filter = StatusFilter {
                users: users || kind == Some(alerting::KindArg::User),
                pool,
                kind,
                status: wanted,
            };
            Box::pin(status(env, Format::of(format, json, false), &filter, out)).await
        }
        Command::Thresholds { command } if !command.needs_store() => match command {
            ThresholdsCommand::Metrics { kind } => {
                let look = render::Look::of(env);
                alerting::metrics(kind, Format::of(format, false, false), &look, out)
            }
            other => Err(CliError::Usage(format!("{other:?} needs the status table"))),
        },
        Command::Thresholds { command } => {
            let base = env.sdk(3).await;
            let status = status_store(env, &base)?;
            // Assignments name monitors: read the inventory to check them.
            let estate = if command.needs_estate() {
                StateStore::new(&base, Tables::from_lookup(&env.lookup())?)
                    .load_estate()
                    .await?
            } else {
                Vec::new()
            };
            let look = render::Look::of(env);
            let shown = (Format::of(format, false, false), &look);
            Box::pin(alerting::thresholds(&status, &estate, command, shown, out)).await
        }
        Command::Outages {
            monitor,
            open,
            csv,
            since,
        } => {
            let base = env.sdk(3).await;
            let status = status_store(env, &base)?;
            let monitor = match monitor {
                Some(m) => {
                    let state = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
                    Some(monitor_named(&state, &m).await?.to_string())
                }
                None => None,
            };
            let format = Format::of(format, false, csv);
            let look = render::Look::of(env);
            let shown = alerting::Shown {
                open,
                period: &since.period,
            };
            Box::pin(alerting::outages(
                &status, monitor, shown, format, &look, out,
            ))
            .await
        }
        Command::Outage { command } => {
            let status = status_store(env, &env.sdk(3).await)?;
            Box::pin(alerting::outage(&status, command, out)).await
        }
        Command::Report {
            monitor,
            monitor_flag,
            html: Some(file),
            since,
            ..
        } => {
            Box::pin(html_report(
                env,
                monitor.or(monitor_flag).as_deref(),
                &since.period,
                &file,
                out,
            ))
            .await
        }
        Command::Report {
            monitor,
            monitor_flag,
            csv,
            since,
            ..
        } => {
            let monitor = monitor.or(monitor_flag).unwrap_or_default();
            let format = Format::of(format, false, csv);
            Box::pin(report(env, &monitor, &since.period, format, out)).await
        }
        Command::Cost {
            since,
            rate,
            table_key,
            derived_metrics,
            no_derived_metrics,
            trail_source,
        } => {
            let base = env.sdk(3).await;
            let state = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
            // Alerts are priced when the status table is known, the trail when its table is;
            // the report says what it could not read.
            let status = status_store(env, &base).ok();
            let trail = trail_store(env, &base).ok();
            let args = cost::CostArgs {
                since: since.period,
                rate,
                table_key,
                derived_metrics: if no_derived_metrics {
                    "false".into()
                } else {
                    derived_metrics
                },
                trail_source,
            };
            let report =
                Box::pin(cost::report(&state, status.as_ref(), trail.as_ref(), &args)).await?;
            let text = cost::render(&report, Format::of(format, false, false))?;
            write!(out, "{text}").map_err(CliError::output)
        }
        Command::Describe { monitor } => {
            Box::pin(describe(
                env,
                &monitor,
                Format::of(format, false, false),
                out,
            ))
            .await
        }
        Command::History {
            monitor,
            metrics,
            since,
        } => {
            let format = Format::of(format, false, false);
            Box::pin(history(env, &monitor, &metrics, &since.period, format, out)).await
        }
        Command::Tallies(command) => {
            let store = trail_store(env, &env.sdk(3).await)?;
            // Names beside ids, when the inventory can be read.
            let names = match env.get("STATE_TABLE") {
                Some(state) => {
                    let tables = Tables {
                        state,
                        history: String::new(),
                    };
                    match StateStore::new(&env.sdk(3).await, tables).directory().await {
                        Ok(d) => d.names,
                        Err(e) => {
                            tracing::warn!(error = %e, "names not shown: the inventory cannot be read");
                            Default::default()
                        }
                    }
                }
                None => Default::default(),
            };
            let look = render::Look::of(env);
            Box::pin(trail::run(&store, command, format, &look, &names, out)).await
        }
        Command::Invoke {
            function,
            local,
            event,
            now,
        } => {
            let event = match event {
                Some(path) => Some((read_event(&path)?, path, now)),
                None => None,
            };
            Box::pin(invoke(env, function, local, event, out)).await
        }
        Command::Redate { file } => {
            let (event, by) = redate::to_now(&read_event(&file)?, chrono::Utc::now());
            tracing::info!(file = %file.display(), moved_by_seconds = by.num_seconds(), "redated");
            let text = serde_json::to_string_pretty(&event).map_err(CliError::output)?;
            line(out, &text)
        }
        Command::Completions { shell } => completions(shell, out),
    }
}

/// `completions SHELL`: the shell's completion script. Written whole once generated, so a
/// closed pipe is an ordinary output error (clap_complete panics on one).
fn completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) -> Result<(), CliError> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command, BIN, &mut script);
    let mut script = String::from_utf8_lossy(&script).into_owned();
    if shell == clap_complete::Shell::Bash {
        // clap_complete's bash script names a hyphenated binary's subcommands two ways: its
        // loop sets `cognito__watch__subcmd__thresholds`, its case labels read
        // `cognito__subcmd__watch__subcmd__thresholds`, so nothing past the first word
        // completes. One name, the loop's.
        let fn_name = BIN.replace('-', "__");
        script = script.replace(&BIN.replace('-', "__subcmd__"), &fn_name);
    }
    out.write_all(script.as_bytes()).map_err(CliError::output)
}

/// The binary's name, as completion scripts call it.
const BIN: &str = "cognito-watch";

/// `init`: create what is missing, for the emulator and runs outside SAM.
async fn init(env: &Env, out: &mut dyn std::io::Write) -> Result<(), CliError> {
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
async fn init_topic_arn(
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

/// `status`: the monitor tree, with statuses when the evaluator has a table to read and, in
/// the compact view, the trend of each monitor's key metric over its last polls.
async fn status(
    env: &Env,
    format: Format,
    filter: &StatusFilter,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let mut monitors = store.load_estate().await?;
    let statuses = statuses_of(env, &base, &monitors).await?;
    if env.get("STATUS_TABLE").is_none() {
        eprintln!(
            "warning: statuses not shown: STATUS_TABLE is not set and no stack output names it"
        );
    }
    if let Some(pool) = &filter.pool {
        let roots: Vec<String> = monitors
            .iter()
            .filter(|m| m.parent_id.is_none())
            .filter(|m| &m.name == pool || m.monitor_id.ends_with(&format!("/{pool}")))
            .map(|m| m.monitor_id.clone())
            .collect();
        if roots.is_empty() {
            return Err(CliError::NoMonitor(format!("pool {pool}")));
        }
        monitors.retain(|m| {
            roots.contains(&m.monitor_id) || m.parent_id.as_ref().is_some_and(|p| roots.contains(p))
        });
    }
    if let Some(kind) = filter.kind {
        monitors.retain(|m| m.kind == MonitorKind::from(kind));
    }
    if !filter.status.is_empty() {
        let words: Vec<String> = filter
            .status
            .iter()
            .map(|s| format!("{s:?}").to_lowercase())
            .collect();
        monitors.retain(|m| {
            statuses
                .get(&m.monitor_id)
                .is_some_and(|s| words.iter().any(|w| s.status.as_str() == w))
        });
    }
    let mut trends = std::collections::BTreeMap::new();
    for m in monitors
        .iter()
        .filter(|m| filter.users || m.kind != MonitorKind::User)
    {
        let Some(metric) = render::key_metric_id(m) else {
            continue;
        };
        let rows = store
            .recent_history(&m.monitor_id, render::TREND_POLLS as i32)
            .await?;
        trends.insert(
            m.monitor_id.clone(),
            rows.iter()
                .map(|r| (r.row_time(), r.metrics.get(metric).copied()))
                .collect(),
        );
    }
    let empty =
        "no monitors: run the collector (cognito-watch invoke collector), or loosen the filters";
    render::status_listing(&monitors, &statuses, filter.users, &trends).emit(
        out,
        format,
        &render::Look::of(env),
        empty,
    )
}

/// The evaluator's statuses of every monitor under these roots (one Query per root), none
/// when there is no status table.
async fn statuses_of(
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
async fn monitor_named(store: &StateStore, what: &str) -> Result<MonitorId, CliError> {
    if let Ok(id) = MonitorId::parse(what) {
        return Ok(id);
    }
    let estate = store.load_estate().await?;
    let m = describe::find(&estate, what)?;
    Ok(MonitorId::parse(&m.monitor_id)?)
}

async fn history_of(
    store: &StateStore,
    id: &MonitorId,
) -> Result<Vec<cognito_watch_core::inventory::record::HistoryRow>, CliError> {
    let rows = store.history(&id.to_string()).await?;
    if rows.is_empty() && store.get_monitor(id).await?.is_none() {
        return Err(CliError::NoMonitor(id.to_string()));
    }
    Ok(rows)
}

/// `report`: a monitor's Log Report.
async fn report(
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
    listing.emit(out, format, &render::Look::of(env), &empty)
}

/// `report --html FILE`: the estate (or one monitor) over the period, as one page.
async fn html_report(
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
    let mut monitors = store.load_estate().await?;
    let mut only = None;
    if let Some(id) = monitor {
        let keep = describe::find(&monitors, id)?.monitor_id.clone();
        monitors.retain(|m| m.monitor_id == keep);
        only = Some(keep);
    }
    let statuses = statuses_of(env, &base, &monitors).await?;
    let mut outages = Vec::new();
    if env.get("STATUS_TABLE").is_some() {
        let status = status_store(env, &base)?;
        outages = status
            .outages(only.as_deref())
            .await?
            .into_iter()
            .filter(|o| o.ended_at.is_none_or(|e| e >= from))
            .filter(|o| monitors.iter().any(|m| m.monitor_id == o.monitor_id))
            .collect();
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
        });
    }
    let (mut failing_ips, mut detections, trail) =
        (Vec::new(), Vec::new(), env.get("TRAIL_TABLE").is_some());
    if trail {
        let store = trail_store(env, &base)?;
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
        failing_ips = merged;
        detections = store
            .findings(since_window)
            .await?
            .into_iter()
            .map(|s| s.finding)
            .collect();
        detections.reverse();
    }
    let page = html::Page {
        generated_at: now,
        since: period.text.clone(),
        monitors: charts,
        outages,
        failing_ips,
        detections,
        trail,
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

/// `describe`: one monitor, found by id or name.
async fn describe(
    env: &Env,
    what: &str,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let base = env.sdk(3).await;
    let store = StateStore::new(&base, Tables::from_lookup(&env.lookup())?);
    let monitors = store.load_estate().await?;
    let m = describe::find(&monitors, what)?;
    let (profile, outages) = match env.get("STATUS_TABLE") {
        Some(_) => {
            let status = status_store(env, &base)?;
            let (profiles, _) = status.load_profiles().await?;
            let pool_tags = m
                .parent_id
                .as_ref()
                .and_then(|p| monitors.iter().find(|r| &r.monitor_id == p))
                .map(|r| r.tags.clone())
                .unwrap_or_default();
            let profile = profiles.resolve(m, &pool_tags).name;
            (Some(profile), status.outages(Some(&m.monitor_id)).await?)
        }
        None => (None, Vec::new()),
    };
    let topic = env.get("ALERT_TOPIC_ARN");
    let sections = describe::sections(
        m,
        profile.as_deref(),
        topic.as_deref(),
        &outages,
        chrono::Utc::now(),
    );
    describe::print(out, format, &render::Look::of(env), m, &sections)
}

/// `history`: a monitor's metrics over the period.
async fn history(
    env: &Env,
    monitor: &str,
    metrics: &[String],
    period: &period::Period,
    format: Format,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let store = StateStore::new(&env.sdk(3).await, Tables::from_lookup(&env.lookup())?);
    let id = monitor_named(&store, monitor).await?;
    let from = period.start(chrono::Utc::now())?;
    let unknown: Vec<&String> = metrics
        .iter()
        .filter(|m| cognito_watch_core::inventory::catalogue::find(id.kind(), m).is_none())
        .collect();
    if !unknown.is_empty() {
        return Err(CliError::Usage(format!(
            "no metric {unknown:?} on {}: `cognito-watch thresholds metrics` lists them",
            id.kind().label()
        )));
    }
    let mut rows = history_of(&store, &id).await?;
    rows.retain(|r| r.in_period(from));
    let series = render::Series::of(id.kind(), &rows, metrics);
    render::history(out, format, &render::Look::of(env), &series)
}

/// An event file, read and parsed.
fn read_event(path: &std::path::Path) -> Result<serde_json::Value, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| CliError::Json {
        path: path.to_path_buf(),
        source,
    })
}

/// `invoke`: run a function's handler in-process with this environment's settings.
async fn invoke(
    env: &Env,
    function: Function,
    local: bool,
    event: Option<(serde_json::Value, PathBuf, bool)>,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let payload = match event {
        None => serde_json::json!({}),
        Some((event, _, false)) => event,
        Some((event, path, true)) => {
            let (moved, by) = redate::to_now(&event, chrono::Utc::now());
            eprintln!(
                "{}: its times moved forward by {} (its newest is now)",
                path.display(),
                render::duration(by)
            );
            moved
        }
    };
    let deployed = match function {
        Function::Collector => env.get("COLLECTOR_FUNCTION"),
        Function::Evaluator => env.get("EVALUATOR_FUNCTION"),
        Function::Trail => env.get("TRAIL_FUNCTION"),
    };
    if let (false, Some(name)) = (local, deployed) {
        // One attempt (a run is not repeated behind the operator's back), as long as a
        // function may run.
        let sdk = env.sdk(1).await;
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .operation_timeout(std::time::Duration::from_secs(900))
            .operation_attempt_timeout(std::time::Duration::from_secs(900))
            .build();
        let client = aws_sdk_lambda::Client::from_conf(
            aws_sdk_lambda::config::Builder::from(&sdk)
                .timeout_config(timeouts)
                .build(),
        );
        let invoked = deployed::invoke(&client, &name, &payload).await?;
        return deployed::print(&invoked, out);
    }
    let label = format!("{function:?} (in this process)").to_lowercase();
    let counted = cognito_watch_core::progress::Progress::default();
    let answer = Box::pin(progress(
        env,
        &label,
        &counted,
        run_local(env, function, payload, counted.clone()),
    ))
    .await?;
    let text = serde_json::to_string_pretty(&answer).map_err(CliError::output)?;
    line(out, &text)
}

/// While `work` runs, once a second on stderr when stderr is a terminal
/// (`COGNITO_WATCH_STDERR_TTY`, set by the binary): how long it has run and what it has
/// counted so far (users swept, records read); then how long it took.
async fn progress<T>(
    env: &Env,
    label: &str,
    counted: &cognito_watch_core::progress::Progress,
    work: impl std::future::Future<Output = T>,
) -> T {
    if env.get("COGNITO_WATCH_STDERR_TTY").as_deref() != Some("1") {
        return work.await;
    }
    let started = std::time::Instant::now();
    let elapsed = || chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let ticker = async {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            eprint!(
                "\r{}   ",
                progress_line(label, elapsed(), counted.snapshot(), false)
            );
        }
    };
    tokio::pin!(work);
    let out = tokio::select! {
        out = &mut work => out,
        () = ticker => unreachable!("the ticker never ends"),
    };
    eprintln!(
        "\r{}          ",
        progress_line(label, elapsed(), counted.snapshot(), true)
    );
    out
}

/// `collector (in this process): running for 2m, 3,000 users swept`.
fn progress_line(
    label: &str,
    elapsed: chrono::Duration,
    counted: cognito_watch_core::progress::Snapshot,
    done: bool,
) -> String {
    let verb = if done { "done in" } else { "running for" };
    let mut text = format!("{label}: {verb} {}", render::duration(elapsed));
    let counts = counted.to_string();
    if !counts.is_empty() {
        text.push_str(", ");
        text.push_str(&counts);
    }
    text
}

/// A function's handler, run in this process with this environment's settings, counting
/// into `counted`.
async fn run_local(
    env: &Env,
    function: Function,
    payload: serde_json::Value,
    counted: cognito_watch_core::progress::Progress,
) -> Result<serde_json::Value, CliError> {
    let lookup = env.lookup();
    let answer = match function {
        Function::Collector => {
            let config = CollectorConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            let mut collector = collector::Collector::new(config, base);
            collector.progress = counted;
            let report = collector.handle(payload, None).await?;
            serde_json::to_value(report).map_err(CliError::output)?
        }
        Function::Evaluator => {
            let config = EvaluatorConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            evaluator::Evaluator::new(config, &base)
                .handle(payload)
                .await?
        }
        Function::Trail => {
            let config = TrailConfig::from_lookup(&lookup)?;
            let base = env.sdk(config.max_attempts).await;
            let mut trail = ::trail::Trail::new(config, &base);
            trail.progress = counted;
            let report = Box::pin(trail.handle(payload, None)).await?;
            serde_json::to_value(report).map_err(CliError::output)?
        }
    };
    Ok(answer)
}

fn line(out: &mut dyn std::io::Write, text: &str) -> Result<(), CliError> {
    writeln!(out, "{text}").map_err(CliError::output)
}

/// The trail table (TRAIL_TABLE), for the tally queries.
fn trail_store(env: &Env, base: &aws_config::SdkConfig) -> Result<TrailStore, CliError> {
    let table = env.require("TRAIL_TABLE", "the DynamoDB trail table")?;
    let ttl = chrono::Duration::days(14);
    Ok(TrailStore::new(base, &table, ttl, ttl))
}

fn status_store(env: &Env, base: &aws_config::SdkConfig) -> Result<StatusStore, CliError> {
    let table = env.require("STATUS_TABLE", "the DynamoDB status table")?;
    Ok(StatusStore::new(base, &table, chrono::Duration::days(30)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every argument of every command, with the path of commands it belongs to.
    fn every_arg(cmd: &clap::Command, path: &str, out: &mut Vec<(String, clap::Arg)>) {
        for arg in cmd.get_arguments() {
            out.push((path.to_string(), arg.clone()));
        }
        for sub in cmd.get_subcommands() {
            every_arg(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }

    #[test]
    fn every_argument_has_help_and_a_flag_name_has_one_meaning() {
        let root = <Cli as clap::CommandFactory>::command();
        let globals: Vec<&str> = root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .filter_map(clap::Arg::get_long)
            .collect();
        assert!(globals.contains(&"profile") && globals.contains(&"output"));
        let mut args = Vec::new();
        for sub in root.get_subcommands() {
            every_arg(sub, sub.get_name(), &mut args);
        }
        let mut wrong = Vec::new();
        for (path, arg) in &args {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg
                .get_help()
                .is_none_or(|h| h.to_string().trim().is_empty())
            {
                wrong.push(format!("{path} {id}: no help text"));
            }
            if arg.get_long().is_some_and(|l| globals.contains(&l)) {
                wrong.push(format!(
                    "{path} --{id}: the global flag's name, another meaning"
                ));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[tokio::test]
    async fn progress_hands_back_the_work_whether_or_not_stderr_is_a_terminal() {
        let slow = || async {
            tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
            42
        };
        let terminal = Env::from_pairs([("COGNITO_WATCH_STDERR_TTY", "1")]);
        let counted = cognito_watch_core::progress::Progress::default();
        assert_eq!(progress(&terminal, "collector", &counted, slow()).await, 42);
        assert_eq!(
            progress(&Env::default(), "collector", &counted, slow()).await,
            42
        );
    }

    #[test]
    fn the_progress_line_says_what_was_counted_once_there_is_something() {
        use cognito_watch_core::progress::{Counted, Progress};
        let counted = Progress::default();
        let minute = chrono::Duration::seconds(75);
        assert_eq!(
            progress_line("trail (in this process)", minute, counted.snapshot(), false),
            "trail (in this process): running for 1m"
        );
        counted.add(Counted::RecordsRead, 104_857);
        assert_eq!(
            progress_line("trail (in this process)", minute, counted.snapshot(), true),
            "trail (in this process): done in 1m, 104,857 records read"
        );
    }
}
