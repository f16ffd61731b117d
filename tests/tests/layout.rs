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
fn posture_reads_the_inventory_only() {
    for module in ["alerting", "trail"] {
        let found = naming(&root().join("crates/core/src/posture"), module);
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

/// docs/detections.md has a row per detection, and each test it names exists in its module.
#[test]
fn the_detections_page_names_each_detection_and_tests_that_exist() {
    let page = std::fs::read_to_string(root().join("docs/detections.md")).unwrap();
    let test_name = regex::Regex::new(r"`([a-z_]+)::([a-z0-9_]+)`").unwrap();
    let mut rows = Vec::new();
    for line in page.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() < 6 {
            continue;
        }
        let kind = cells[0].trim_start_matches("| `").trim_end_matches('`');
        let tests: Vec<(String, String)> = test_name
            .captures_iter(cells[cells.len() - 1])
            .map(|c| (c[1].to_string(), c[2].to_string()))
            .collect();
        assert!(!tests.is_empty(), "{kind}: no test named");
        for (module, name) in tests {
            let source =
                std::fs::read_to_string(root().join(format!("tests/tests/{module}.rs"))).unwrap();
            assert!(
                source.contains(&format!("fn {name}()")),
                "{kind}: no test {module}::{name}"
            );
        }
        rows.push(kind.to_string());
    }
    let detect =
        std::fs::read_to_string(root().join("crates/core/src/trail/detect/finding.rs")).unwrap();
    let kinds: Vec<&str> = detect
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Detection::"))
        .filter_map(|l| l.split(" => \"").nth(1))
        .map(|l| l.trim_end_matches(['"', ',']))
        .collect();
    assert!(kinds.len() >= 13, "{kinds:?}");
    for kind in &kinds {
        assert!(rows.iter().any(|r| r == kind), "no row for {kind}");
    }
}

/// docs/posture.md has a row for every posture check the core registers.
#[test]
fn the_posture_page_lists_every_check() {
    let page = std::fs::read_to_string(root().join("docs/posture.md")).unwrap();
    for check in cognito_watch_core::posture::CHECKS {
        assert!(
            page.contains(&format!("| `{}` |", check.id)),
            "docs/posture.md has no row for {}",
            check.id
        );
    }
}

/// docs/doctor.md has a row for every line `doctor` says, and each detection in
/// docs/detections.md names the doctor lines that say whether it can fire, each a real one.
#[test]
fn the_doctor_page_lists_every_line_and_each_detection_names_its_lines() {
    let page = std::fs::read_to_string(root().join("docs/doctor.md")).unwrap();
    for line in cognito_watch_core::doctor::LINES {
        assert!(
            page.contains(&format!("| `{line}` |")),
            "docs/doctor.md has no row for {line}"
        );
    }
    let detections = std::fs::read_to_string(root().join("docs/detections.md")).unwrap();
    let header = detections
        .lines()
        .find(|l| l.starts_with("| detection |"))
        .unwrap();
    let column = header
        .split(" | ")
        .position(|c| c.contains("(doctor.md)"))
        .expect("the detections table has a doctor column");
    let rows: Vec<&str> = detections
        .lines()
        .skip_while(|l| !l.starts_with("| detection |"))
        .skip(2)
        .take_while(|l| l.starts_with("| `"))
        .collect();
    assert!(rows.len() >= 13, "{rows:?}");
    for row in rows {
        let cells: Vec<&str> = row.split(" | ").collect();
        let named: Vec<&str> = cells[column].split('`').skip(1).step_by(2).collect();
        assert!(!named.is_empty(), "{}: names no doctor line", cells[0]);
        for n in named {
            assert!(
                cognito_watch_core::doctor::LINES.contains(&n),
                "{}: {n} is no doctor line",
                cells[0]
            );
        }
    }
}
