//! `completions`: a shell's completion script.

use crate::error::CliError;

/// `completions SHELL`: the shell's completion script of `command` (the CLI's arguments).
/// Written whole once generated, so a closed pipe is an ordinary output error (clap_complete
/// panics on one).
pub(crate) fn run(
    shell: clap_complete::Shell,
    mut command: clap::Command,
    out: &mut dyn std::io::Write,
) -> Result<(), CliError> {
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
pub(crate) const BIN: &str = "cognito-watch";
