//! `invoke`: run a function, deployed or in this process.

use std::path::PathBuf;

use cognito_watch_core::config::{CollectorConfig, EvaluatorConfig, TrailConfig};

use crate::env::Env;
use crate::error::CliError;
use crate::lookup::line;
use crate::lookup::read_event;
use crate::{deployed, redate, style};

/// A function of the stack.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Function {
    Collector,
    Evaluator,
    Trail,
}

/// `invoke`'s arguments.
#[derive(Debug, clap::Args)]
pub struct InvokeCommand {
    /// The function: collector, evaluator or trail.
    pub function: Function,
    /// Run the handler in this process even when a deployed function is known.
    #[arg(long)]
    pub local: bool,
    /// The event file (e.g. events/collector/schedule.json); none means `{}` (the
    /// collector polls everything; the evaluator evaluates every pool now).
    #[arg(long)]
    pub event: Option<PathBuf>,
    /// Move the event's times so its newest is now (as `redate` prints it): the samples
    /// in events/ are dated when they were written, and without it what they feed is
    /// older than the views' default period.
    #[arg(long, requires = "event")]
    pub now: bool,
}

/// `invoke`: the event file read (and moved to now with `--now`), then the function run.
pub(crate) async fn command(
    env: &Env,
    args: InvokeCommand,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
    let event = match args.event {
        Some(path) => Some((read_event(&path)?, path, args.now)),
        None => None,
    };
    Box::pin(run(env, args.function, args.local, event, out)).await
}

/// `invoke`: run a function's handler in-process with this environment's settings.
pub(crate) async fn run(
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
                style::duration(by)
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
pub(crate) async fn progress<T>(
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
pub(crate) fn progress_line(
    label: &str,
    elapsed: chrono::Duration,
    counted: cognito_watch_core::progress::Snapshot,
    done: bool,
) -> String {
    let verb = if done { "done in" } else { "running for" };
    let mut text = format!("{label}: {verb} {}", style::duration(elapsed));
    let counts = counted.to_string();
    if !counts.is_empty() {
        text.push_str(", ");
        text.push_str(&counts);
    }
    text
}

/// A function's handler, run in this process with this environment's settings, counting
/// into `counted`.
pub(crate) async fn run_local(
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

#[cfg(test)]
mod tests {
    use super::*;

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
