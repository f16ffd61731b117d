//! What several test modules share.

use chrono::{DateTime, Duration, DurationRound, Utc};
use clap::Parser;
use cognito_watch_cli::{run, Cli, Env};

/// The start of this minute.
pub(crate) fn minute() -> DateTime<Utc> {
    Utc::now()
        .duration_trunc(Duration::minutes(1))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// The CLI's arguments, as a shell passes `args` after `cognito-watch` (panics on a usage
/// error: test fixture).
pub(crate) fn cli(args: &[&str]) -> Cli {
    Cli::try_parse_from(std::iter::once("cognito-watch").chain(args.iter().copied()))
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// `cognito-watch <args>` run in this process with `env`: what it printed (panics with the
/// error's report when it fails: test fixture).
pub(crate) async fn cli_text(env: &Env, args: &[&str]) -> String {
    let mut out = Vec::new();
    run(cli(args), env, &mut out)
        .await
        .unwrap_or_else(|e| panic!("{args:?}: {}", cognito_watch_cli::error_report(&e)));
    String::from_utf8(out).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}
