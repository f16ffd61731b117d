//! The CLI's reference page, `docs/cli.md`, from the help texts themselves: a section per
//! command with what `--help` prints. A test keeps the page and the help texts the same.

use clap::CommandFactory;

/// The line of `docs/cli.md` after which the page is generated.
pub const GENERATED: &str = "<!-- generated from the help texts: below this line, `COGNITO_WATCH_WRITE_DOCS=1 cargo test -p cognito-watch-cli manual` rewrites it -->";

/// Every command's long help, depth first, each under its full name.
pub fn reference() -> String {
    let mut root = crate::Cli::command();
    root.build();
    let mut text = String::new();
    section(&mut root, "cognito-watch", &mut text);
    text
}

fn section(command: &mut clap::Command, name: &str, text: &mut String) {
    let help = command.render_long_help().to_string();
    let help: Vec<&str> = help.lines().map(str::trim_end).collect();
    text.push_str(&format!(
        "\n## `{name}`\n\n```text\n{}\n```\n",
        help.join("\n").trim()
    ));
    let subcommands: Vec<String> = command
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.get_name().to_string())
        .collect();
    for sub in subcommands {
        if let Some(c) = command.find_subcommand_mut(&sub) {
            section(c, &format!("{name} {sub}"), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_page_is_what_the_help_texts_say() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/cli.md");
        let page = std::fs::read_to_string(path).unwrap();
        let (intro, generated) = page
            .split_once(GENERATED)
            .unwrap_or_else(|| panic!("{path} has no line {GENERATED}"));
        let want = reference();
        if std::env::var_os("COGNITO_WATCH_WRITE_DOCS").is_some() {
            std::fs::write(path, format!("{intro}{GENERATED}\n{want}")).unwrap();
            return;
        }
        assert!(
            generated.trim() == want.trim(),
            "docs/cli.md differs from the help texts: run \
             COGNITO_WATCH_WRITE_DOCS=1 cargo test -p cognito-watch-cli manual"
        );
    }
}
