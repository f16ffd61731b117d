//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

//!
//! - `lib.rs`: the arguments (clap) and the dispatch to a command.
//! - `commands/`: one module per command (the tally commands share `tallies`).
//! - `error`: the error, its exit code and report. `lookup`: the stores the environment names,
//!   a monitor by id or name. `env`, `stack`, `deployed`: the environment, the stack's outputs, a
//!   deployed function.
//! - Output: `look` (the terminal, time formats, sparklines, safe CSV), `listing` (every list,
//!   the same fields as a table, CSV or JSON), `render` (the
//!   status tree, the Log Report, sparklines), `html` (the report page), `period` (`--since`),
//!   `manual` (docs/cli.md from the help texts), `redate` (a sample event moved to now).

pub mod commands;
pub mod deployed;
pub mod env;
pub mod error;
pub mod html;
pub mod listing;
pub mod look;
pub mod lookup;
pub mod manual;
pub mod period;
pub mod redate;
pub mod render;
pub mod stack;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use cognito_watch_aws::StateStore;
use cognito_watch_core::config::Tables;

use commands::{
    completions, cost, describe, history, init, invoke, outages, report, status, tallies,
    thresholds,
};
use lookup::{line, monitor_named, read_event, status_store, trail_store};

pub use commands::outages::OutageCommand;
pub use commands::thresholds::ThresholdsCommand;
pub use env::Env;
pub use error::{error_report, CliError};

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
    pub kind: Option<thresholds::KindArg>,
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
        kind: Option<thresholds::KindArg>,
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
    Tallies(tallies::TallyCommand),
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
        Command::Init => Box::pin(init::run(env, out)).await,
        Command::Status {
            json,
            users,
            pool,
            kind,
            status: wanted,
        } => {
            let filter = StatusFilter {
                users: users || kind == Some(thresholds::KindArg::User),
                pool,
                kind,
                status: wanted,
            };
            Box::pin(status::run(
                env,
                Format::of(format, json, false),
                &filter,
                out,
            ))
            .await
        }
        Command::Thresholds { command } if !command.needs_store() => match command {
            ThresholdsCommand::Metrics { kind } => {
                let look = look::Look::of(env);
                thresholds::metrics(kind, Format::of(format, false, false), &look, out)
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
            let look = look::Look::of(env);
            let shown = (Format::of(format, false, false), &look);
            Box::pin(thresholds::run(&status, &estate, command, shown, out)).await
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
            let look = look::Look::of(env);
            let shown = outages::Shown {
                open,
                period: &since.period,
            };
            Box::pin(outages::list(&status, monitor, shown, format, &look, out)).await
        }
        Command::Outage { command } => {
            let status = status_store(env, &env.sdk(3).await)?;
            Box::pin(outages::edit(&status, command, out)).await
        }
        Command::Report {
            monitor,
            monitor_flag,
            html: Some(file),
            since,
            ..
        } => {
            Box::pin(report::html(
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
            Box::pin(report::run(env, &monitor, &since.period, format, out)).await
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
            Box::pin(describe::run(
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
            Box::pin(history::run(
                env,
                &monitor,
                &metrics,
                &since.period,
                format,
                out,
            ))
            .await
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
            let look = look::Look::of(env);
            Box::pin(tallies::run(&store, command, format, &look, &names, out)).await
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
            Box::pin(invoke::run(env, function, local, event, out)).await
        }
        Command::Redate { file } => {
            let (event, by) = redate::to_now(&read_event(&file)?, chrono::Utc::now());
            tracing::info!(file = %file.display(), moved_by_seconds = by.num_seconds(), "redated");
            let text = serde_json::to_string_pretty(&event).map_err(CliError::output)?;
            line(out, &text)
        }
        Command::Completions { shell } => completions::run(shell, out),
    }
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
}
