//! The `cognito-watch` command line: create the tables, show the monitor tree, export a
//! monitor's Log Report, and run a function's handler in-process. It reads state through the
//! same adapter code as the functions.

//!
//! - `lib.rs`: the arguments (clap) and the dispatch to a command.
//! - `commands/`: one module per command (the tally commands share `tallies`).
//! - `error`: the error, its exit code and report. `format`: how a list is printed (`-o`). `lookup`: the stores the environment names,
//!   a monitor by id or name. `env`, `stack`, `deployed`: the environment, the stack's outputs, a
//!   deployed function.
//! - Output: `style` (the terminal, time formats, sparklines, safe CSV), `listing` (every list,
//!   the same fields as a table, CSV or JSON), `render` (the
//!   status tree, the Log Report, sparklines), `html` (the report page), `period` (`--since`),
//!   `manual` (docs/cli.md from the help texts), `redate` (a sample event moved to now).

pub mod commands;
pub mod deployed;
pub mod env;
pub mod error;
pub mod format;
pub mod html;
pub mod listing;
pub mod lookup;
pub mod manual;
pub mod period;
pub mod redate;
pub mod render;
pub mod stack;
pub mod style;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use commands::{
    availability, completions, cost, describe, doctor, history, init, invoke, notifications,
    outages, posture, report, status, tallies, thresholds, timeline,
};
use lookup::{line, read_event, status_store};

pub use commands::invoke::Function;
pub use commands::outages::OutageCommand;
pub use commands::status::{StatusArg, StatusFilter};
pub use commands::thresholds::ThresholdsCommand;
pub use env::Env;
pub use error::{error_report, CliError};
pub use format::Format;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create what is missing: the state, history, status and trail tables (STATE_TABLE,
    /// HISTORY_TABLE, STATUS_TABLE, TRAIL_TABLE when set), the alert topic (ALERT_TOPIC_NAME, default
    /// cognito-watch-alerts) and the shipped threshold profiles. For local use; SAM creates
    /// these in AWS.
    Init,
    /// A summary (monitors per status per account/region and pool, open outages, availability
    /// over 24 hours, recent alerts and detections), then the monitors that are not up with
    /// why; `--all` for the monitor tree: region → user pool → app clients / identity providers
    /// / users; identity pools.
    Status(status::StatusCommand),
    /// The share of the period each monitor, pool and account/region was up, and the time in
    /// trouble, critical and down, from the record of status transitions.
    Availability(availability::AvailabilityCommand),
    /// What happened to a monitor or a pool (with its children): status changes, outages
    /// opened and closed with their comments, alerts sent, the trail's detections.
    Timeline(timeline::TimelineCommand),
    /// A monitor's Log Report: one row per poll.
    Report(report::ReportCommand),
    /// One monitor in full: configuration, permissions, attribute mapping, user attributes,
    /// identity providers and roles, inventory (profile, alert routing), metrics, outages.
    Describe {
        /// The monitor id (as `status -o wide` shows it) or its name.
        monitor: String,
    },
    /// A monitor's metrics over time: a chart per metric, with its lowest, highest and last
    /// value, from its Log Report.
    History(history::HistoryCommand),
    /// Threshold profiles: list, show, set, import, export, and assignment.
    Thresholds {
        #[command(subcommand)]
        command: ThresholdsCommand,
    },
    /// Notification profiles (where alerts, detections and posture notices go, and which of
    /// them): list, set, remove, assign, unassign.
    Notifications {
        #[command(subcommand)]
        command: notifications::NotificationsCommand,
    },
    /// Outages across the estate (the Outages tab): start, end, duration, reason, comment.
    Outages(outages::OutagesCommand),
    /// Edit an outage.
    Outage {
        #[command(subcommand)]
        command: OutageCommand,
    },
    /// Security posture: each user pool, app client and identity pool against the checks of
    /// Security Hub (Cognito.1–6), Prowler and the rest, from the last inventory (check id,
    /// resource, result, why, how to fix).
    Posture(posture::PostureCommand),
    /// Whether the monitor's own inputs are there and alive, for this account and region: a
    /// trail logging management events (and identity pools' data events), the trail source and
    /// whether records still arrive, each pool's plan and log delivery, the collector's last
    /// poll per scope, the alert topic's confirmed subscriptions. OK / WARN / FAIL with what to
    /// do; exits 1 when a line says FAIL.
    Doctor(doctor::DoctorCommand),
    /// The trail function's tallies: failures, refresh-failures, top-ips, m2m, detections.
    #[command(flatten)]
    Tallies(tallies::TallyCommand),
    /// What monitoring this estate costs per month (us-east-1 list prices): CloudWatch
    /// GetMetricData, Lambda, DynamoDB, SNS, KMS and derived metrics, from the calls the last
    /// polls made (the poll log), per estate and per app client, at the configured poll rate
    /// and at 1 min, 5 min, 15 min and 1 h; each derived metric family's price; the fixed
    /// costs; the trail per source from its usage records, per million records and a month.
    Cost(cost::CostCommand),
    /// Print a shell completion script: `cognito-watch completions bash > /etc/bash_completion.d/cognito-watch`.
    Completions {
        /// The shell: bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Run a function: the deployed one (its answer and log tail) when the stack names it,
    /// else, or with --local, its handler in this process (for an emulator at AWS_ENDPOINT_URL).
    Invoke(invoke::InvokeCommand),
    /// Print an event file with every time in it moved by one amount so its newest is now
    /// (inside SQS bodies and CloudWatch Logs payloads too), for `sam local invoke -e -`:
    /// `cognito-watch redate events/trail/logs-subscription.json | sam local invoke
    /// TrailFunction -e -`. A trail file an S3 notification names is not moved.
    Redate {
        /// The event file.
        file: PathBuf,
    },
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
        Command::Status(args) => Box::pin(status::command(env, args, format, out)).await,
        Command::Availability(args) => {
            Box::pin(availability::command(env, args, format, out)).await
        }
        Command::Timeline(args) => Box::pin(timeline::command(env, args, format, out)).await,
        Command::Thresholds { command } => {
            Box::pin(thresholds::dispatch(env, command, format, out)).await
        }
        Command::Notifications { command } => {
            Box::pin(notifications::dispatch(env, command, format, out)).await
        }
        Command::Outages(args) => Box::pin(outages::command(env, args, format, out)).await,
        Command::Outage { command } => {
            let status = status_store(env, &env.sdk(3).await)?;
            Box::pin(outages::edit(&status, command, out)).await
        }
        Command::Report(args) => Box::pin(report::command(env, args, format, out)).await,
        Command::Cost(args) => Box::pin(cost::command(env, args, format, out)).await,
        Command::Describe { monitor } => {
            let format = Format::of(format, false, false);
            Box::pin(describe::run(env, &monitor, format, out)).await
        }
        Command::Posture(args) => Box::pin(posture::command(env, args, format, out)).await,
        Command::Doctor(args) => Box::pin(doctor::command(env, args, format, out)).await,
        Command::History(args) => Box::pin(history::command(env, args, format, out)).await,
        Command::Tallies(command) => Box::pin(tallies::dispatch(env, command, format, out)).await,
        Command::Invoke(args) => Box::pin(invoke::command(env, args, out)).await,
        Command::Redate { file } => {
            let (event, by) = redate::to_now(&read_event(&file)?, chrono::Utc::now());
            tracing::info!(file = %file.display(), moved_by_seconds = by.num_seconds(), "redated");
            let text = serde_json::to_string_pretty(&event).map_err(CliError::output)?;
            line(out, &text)
        }
        Command::Completions { shell } => {
            let command = <Cli as clap::CommandFactory>::command();
            completions::run(shell, command, out)
        }
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
