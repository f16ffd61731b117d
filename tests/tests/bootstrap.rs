//! Each function's real binary (`bootstrap` in Lambda) runs one invocation against a local
//! Runtime API, with the emulator behind it: it answers, and every line it logs is one flat
//! JSON object with the timestamp, level, message, function name and the invocation's request
//! id, with real JSON values (no nesting under `fields`/`spans`, no debug strings). Lambda's
//! log level (`AWS_LAMBDA_LOG_LEVEL`) decides what is written.
//!
//! The binaries are built by `scripts/test` (`cargo build --workspace --bins`) beside this
//! test's own executable.

use std::path::PathBuf;

use cognito_watch_testbed::runtime::{invoke_once, Invocation};
use cognito_watch_testbed::LocalAws;

fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/bootstrap-<hash> → target/<profile>/<name>
    let path = exe.parent().unwrap().parent().unwrap().join(name);
    assert!(
        path.exists(),
        "{} is missing: build the functions first (`cargo build --workspace --bins`, as \
         scripts/test does)",
        path.display()
    );
    path
}

fn event(path: &str) -> serde_json::Value {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../events")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap()
}

/// Every stdout line of `run`, parsed, checked for the shape every line must have.
fn log_lines(run: &Invocation, function: &str) -> Vec<serde_json::Value> {
    let lines: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    for l in &lines {
        let o = l.as_object().unwrap();
        assert_eq!(o["functionName"], function, "{l}");
        assert!(
            chrono::DateTime::parse_from_rfc3339(o["timestamp"].as_str().unwrap()).is_ok(),
            "{l}"
        );
        assert!(
            ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"].contains(&o["level"].as_str().unwrap()),
            "{l}"
        );
        assert!(o["message"].is_string(), "{l}");
        assert!(
            !o.contains_key("fields") && !o.contains_key("spans") && !o.contains_key("span"),
            "flat: {l}"
        );
        let text = l.to_string();
        assert!(!text.contains("Some(") && !text.contains("None"), "{l}");
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_binary_answers_and_logs_flat_json_lines_with_its_request_id() {
    let (aws, inbox) = LocalAws::with_inbox().await;
    // The tables the evaluator and the trail function need beside the collector's.
    let _ = aws.evaluator(&inbox.topic_arn).await;
    aws.inventoried_pool().await;
    let mut env: Vec<(String, String)> = aws
        .moto
        .env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for (k, v) in [
        ("STATE_TABLE", "state"),
        ("HISTORY_TABLE", "history"),
        ("STATUS_TABLE", cognito_watch_testbed::STATUS_TABLE),
        ("TRAIL_TABLE", cognito_watch_testbed::TRAIL_TABLE),
        ("ALERT_TOPIC_ARN", inbox.topic_arn.as_str()),
        ("METRIC_DELAY_SECONDS", "60"),
        ("PUBLISH_METRICS", "false"),
        ("AWS_LAMBDA_LOG_LEVEL", "INFO"),
    ] {
        env.push((k.to_string(), v.to_string()));
    }
    let cases = [
        ("collector", "collector/schedule.json", "poll finished"),
        (
            "evaluator",
            "evaluator/evaluate-all.json",
            "evaluation finished",
        ),
        (
            "trail",
            "trail/eventbridge-config-change.json",
            "trail invocation",
        ),
    ];
    for (name, file, expected_message) in cases {
        let function = format!("cognito-watch-{name}");
        let run = tokio::task::block_in_place(|| {
            invoke_once(&binary(name), &function, &env, &event(file))
        });
        assert_eq!(
            run.outcome, "response",
            "{name}: {} / {}",
            run.body, run.stderr
        );
        let lines = log_lines(&run, &function);
        let request = lines
            .iter()
            .filter(|l| l["requestId"] == run.request_id.as_str())
            .count();
        assert!(
            request >= 1,
            "{name} logged nothing of its invocation: {}",
            run.stdout
        );
        {
            let line = lines
                .iter()
                .find(|l| l["message"] == expected_message)
                .unwrap_or_else(|| panic!("{name}: no {expected_message:?} in {}", run.stdout));
            assert_eq!(line["requestId"], run.request_id.as_str(), "{line}");
            assert_eq!(
                line["xrayTraceId"],
                "Root=1-67e0a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"
            );
            println!("{name}: {line}");
        }
        println!(
            "{name}: first request for an invocation {:?} after the process started",
            run.first_request_after
        );
    }

    // WARN keeps the INFO lines out.
    let mut quiet = env.clone();
    quiet.retain(|(k, _)| k != "AWS_LAMBDA_LOG_LEVEL");
    quiet.push(("AWS_LAMBDA_LOG_LEVEL".into(), "WARN".into()));
    let run = tokio::task::block_in_place(|| {
        invoke_once(
            &binary("collector"),
            "cognito-watch-collector",
            &quiet,
            &event("collector/schedule.json"),
        )
    });
    assert_eq!(run.outcome, "response");
    let lines = log_lines(&run, "cognito-watch-collector");
    assert!(
        lines
            .iter()
            .all(|l| l["level"] == "WARN" || l["level"] == "ERROR"),
        "{}",
        run.stdout
    );
}

/// The CLI's log lines on a stderr that is not a terminal (a pipe, a file, CI's log) carry no
/// ANSI colour codes.
#[test]
fn the_clis_log_lines_are_plain_text_when_stderr_is_not_a_terminal() {
    let out = std::process::Command::new(binary("cognito-watch"))
        .args(["completions", "bash"])
        // A filter it does not understand: it says so in a warning, on stderr.
        .env("LOG", "foo=loud")
        .env_remove("NO_COLOR")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("LOG: log filter"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

/// What a shell offers for `line` (the cursor at its end) with the CLI's completion script for
/// that shell loaded: bash's completion function called as bash calls it, fish's `complete
/// -C`, and zsh driven on a pseudo-terminal with `compadd` reporting its matches (behind a
/// marker the echoed input does not contain). Each shell is a Debian package (`.ci/run`
/// installs them).
fn completions(shell: &str, line: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("cw-completions-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join(format!("cognito-watch.{shell}"));
    let generated = std::process::Command::new(binary("cognito-watch"))
        .args(["completions", shell])
        .output()
        .unwrap();
    assert!(generated.status.success(), "{shell}");
    std::fs::write(&script, generated.stdout).unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    let run = |program: &str, args: &[&str]| {
        let out = std::process::Command::new(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{program} (apt-get install {program}): {e}"));
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let script = script.display().to_string();
    let out = match shell {
        "bash" => {
            let cword = words.len() - 1;
            let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
            let body = format!(
                "source '{script}'; COMP_WORDS=({}); COMP_CWORD={cword}; \
                 _cognito__watch cognito-watch '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                quoted.join(" "),
                words[cword],
                words[cword - 1],
            );
            run("bash", &["--norc", "-c", &body])
        }
        "fish" => run(
            "fish",
            &[
                "--no-config",
                "-c",
                &format!("source '{script}'; complete -C '{line}'"),
            ],
        ),
        _ => {
            let driver = dir.join("capture.zsh");
            std::fs::write(
                &driver,
                format!(
                    r#"zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PROMPT=''"
zpty -w z 'autoload -Uz compinit; compinit -u -d {dir}/zcompdump'
zpty -w z "source {script}"
zpty -w z 'compadd () {{ local -a __hits; builtin compadd -O __hits "$@"; print -l -- "<""M>"${{^__hits[@]}}; }}'
zpty -w -n z "$1"$'\t'
sleep 2
local out all=''
while zpty -r -t z out; do all+=$out; done
print -r -- $all | grep -a -o '<M>[^[:cntrl:]]*' | sed 's/<M>//'
zpty -d z
"#,
                    dir = dir.display(),
                ),
            )
            .unwrap();
            run("zsh", &["-f", &driver.display().to_string(), line])
        }
    };
    let mut offered: Vec<String> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    offered.sort();
    offered.dedup();
    offered
}

#[test]
fn completion_offers_subcommands_and_values_past_the_first_word_in_bash_zsh_and_fish() {
    for shell in ["bash", "zsh", "fish"] {
        assert_eq!(
            completions(shell, "cognito-watch thresholds s"),
            ["set", "show"],
            "{shell}"
        );
        assert_eq!(
            completions(shell, "cognito-watch status --type "),
            ["appclient", "identitypool", "idp", "user", "userpool"],
            "{shell}"
        );
    }
}
