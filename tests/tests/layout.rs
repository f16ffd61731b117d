//! The rules the code's layout keeps (docs/decisions/0006-limits.md), read from the sources:
//! the core's map says its dependencies run one way, and no AWS SDK crate is in the core.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file below `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of the files below `dir` (comments aside) that name a path of the core's `module`.
fn naming(dir: &Path, module: &str) -> Vec<String> {
    let crate_path = format!("crate::{module}");
    let braced = regex::Regex::new(&format!(r"crate::\{{[^}}]*\b{module}\b")).unwrap();
    let mut found = Vec::new();
    for file in sources(dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            if code.contains(&crate_path) || braced.is_match(code) {
                found.push(format!("{}:{}: {}", file.display(), n + 1, code));
            }
        }
    }
    found
}

#[test]
fn the_trail_reads_nothing_of_alerting() {
    let found = naming(&root().join("crates/core/src/trail"), "alerting");
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_inventory_reads_neither_alerting_nor_the_trail() {
    for module in ["alerting", "trail"] {
        let found = naming(&root().join("crates/core/src/inventory"), module);
        assert!(found.is_empty(), "{module}: {found:#?}");
    }
}

#[test]
fn the_check_sees_an_import_in_every_form() {
    let dir = std::env::temp_dir().join(format!("layout-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("use crate::alerting::status::Status;", 1),
        ("use crate::{alerting, inventory};", 1),
        ("let s = crate::alerting::status::Status::Up;", 1),
        ("// crate::alerting is named in a comment", 0),
        ("use crate::inventory::monitor::Monitor;", 0),
    ];
    for (i, (line, _)) in cases.iter().enumerate() {
        std::fs::write(dir.join(format!("f{i}.rs")), line).unwrap();
    }
    let found = naming(&dir, "alerting");
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        found.len(),
        cases.iter().map(|(_, n)| n).sum::<usize>(),
        "{found:#?}"
    );
}

#[test]
fn the_core_depends_on_no_aws_sdk_crate() {
    let manifest = std::fs::read_to_string(root().join("crates/core/Cargo.toml")).unwrap();
    let manifest: toml::Value = toml::from_str(&manifest).unwrap();
    let dependencies = manifest["dependencies"].as_table().unwrap();
    let aws: Vec<&String> = dependencies
        .keys()
        .filter(|k| k.starts_with("aws") || k.starts_with("lambda"))
        .collect();
    assert!(aws.is_empty(), "{aws:?}");
}
