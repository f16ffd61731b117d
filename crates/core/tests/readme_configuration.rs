//! The configuration page's table (`docs/configuration.md`) and the code read the same
//! environment variables: every variable a function's configuration reads is documented, and
//! every documented variable is read by one of them (or by the CLI).

use std::cell::RefCell;
use std::collections::BTreeSet;

use cognito_watch_core::config::{CollectorConfig, EvaluatorConfig, TrailConfig};

/// The env vars in the first column of the configuration page's tables.
fn documented() -> BTreeSet<String> {
    let page = include_str!("../../../docs/configuration.md");
    page.lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_string)
        .collect()
}

/// Every variable the three functions' configuration readers look up.
fn read_by_the_functions() -> BTreeSet<String> {
    let read = RefCell::new(BTreeSet::new());
    let get = |k: &str| {
        read.borrow_mut().insert(k.to_string());
        match k {
            "STATE_TABLE" | "HISTORY_TABLE" | "STATUS_TABLE" | "TRAIL_TABLE" => Some("t".into()),
            "ALERT_TOPIC_ARN" => Some("arn:aws:sns:us-east-1:123456789012:alerts".into()),
            "AWS_REGION" => Some("us-east-1".into()),
            _ => None,
        }
    };
    CollectorConfig::from_lookup(&get).expect("collector config");
    EvaluatorConfig::from_lookup(&get).expect("evaluator config");
    TrailConfig::from_lookup(&get).expect("trail config");
    read.into_inner()
}

/// Set by Lambda itself, not by the operator.
const RUNTIME: &[&str] = &[
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_LAMBDA_FUNCTION_NAME",
];
/// Read by the CLI only.
const CLI: &[&str] = &["ALERT_TOPIC_NAME", "DESTINATION_TOPIC_ARNS"];

#[test]
fn every_variable_the_functions_read_is_documented() {
    let documented = documented();
    let missing: Vec<String> = read_by_the_functions()
        .into_iter()
        .filter(|k| !RUNTIME.contains(&k.as_str()) && !documented.contains(k))
        .collect();
    assert!(
        missing.is_empty(),
        "read but not in docs/configuration.md: {missing:?}"
    );
}

#[test]
fn every_documented_variable_is_read() {
    let read = read_by_the_functions();
    let stale: Vec<String> = documented()
        .into_iter()
        .filter(|k| !read.contains(k) && !CLI.contains(&k.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "in docs/configuration.md but read by nothing: {stale:?}"
    );
}
