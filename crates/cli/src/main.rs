//! `cognito-watch`: the command line.

use clap::Parser;
use cognito_watch_cli::{run, Cli, Env};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LOG").unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    match run(cli, &Env::process(), &mut stdout).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", cognito_watch_cli::error_report(&e));
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
