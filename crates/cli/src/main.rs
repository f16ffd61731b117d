//! `cognito-watch`: the command line.

use std::io::IsTerminal;

use clap::Parser;
use cognito_watch_aws::logging;
use cognito_watch_cli::{run, Cli, Env};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // LOG (target=level directives, e.g. LOG=debug or LOG=info,cognito_watch_aws=debug) wins;
    // else -v, -vv; by default warnings, without the SDK's own chatter about where it looked for
    // credentials.
    let default = match cli.verbose {
        0 => "warn,aws_config=error",
        1 => "info",
        _ => "debug",
    };
    let log = std::env::var("LOG").ok();
    let (filter, refused) = logging::targets(log.as_deref().unwrap_or(default), default);
    // Colour only for a person at a terminal: a pipe, a file or CI's log gets plain text.
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .finish()
        .with(filter)
        .init();
    if let Some(refused) = refused {
        tracing::warn!("LOG: {refused}");
    }
    let mut env = Env::process();
    if std::io::stdout().is_terminal() {
        env.set("COGNITO_WATCH_TTY", "1");
    }
    if std::io::stderr().is_terminal() {
        env.set("COGNITO_WATCH_STDERR_TTY", "1");
    }
    let mut stdout = std::io::stdout().lock();
    match run(cli, &env, &mut stdout).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `| head` closed the pipe: what was wanted was read.
        Err(e) if e.is_closed_pipe() => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", cognito_watch_cli::error_report(&e));
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
