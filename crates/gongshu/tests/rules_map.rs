//! `docs/rules.md` stays true: every rule id of REQUIREMENTS.md Part A has a
//! row, and every test it names (in backticks) exists as a function.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rule_ids(requirements: &str) -> Vec<String> {
    requirements
        .lines()
        .filter_map(|l| l.strip_prefix("| S-"))
        .filter_map(|rest| rest.split_once(' ').map(|(id, _)| format!("S-{id}")))
        .collect()
}

fn rust_sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "target") {
                rust_sources(&p, out);
            }
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(&std::fs::read_to_string(&p).unwrap());
        }
    }
}

#[test]
fn every_rule_has_a_row_and_every_named_test_exists() {
    let req_path = root().join("../shared/REQUIREMENTS.md");
    let requirements = std::fs::read_to_string(&req_path)
        .unwrap_or_else(|e| panic!("{} unreadable: {e}", req_path.display()));
    let ids = rule_ids(&requirements);
    assert!(ids.len() >= 40, "found only {} rule ids", ids.len());
    let rules = std::fs::read_to_string(root().join("docs/rules.md")).unwrap();
    let rows: Vec<&str> = rules
        .lines()
        .filter(|l| {
            l.starts_with("| S-")
                || l.starts_with("| 等保")
                || l.starts_with("| GB")
                || l.starts_with("| DESIGN")
                || l.starts_with("| REQ")
        })
        .collect();
    for id in &ids {
        assert!(
            rows.iter().any(|r| r
                .split('|')
                .nth(1)
                .is_some_and(|c| c.split([',', ' ']).any(|t| t == id))),
            "docs/rules.md has no row for {id}"
        );
    }
    let mut sources = String::new();
    rust_sources(&root().join("crates"), &mut sources);
    let mut named = 0;
    for row in rows {
        // Only the four-column "enforced" rows name tests (last column).
        let cells: Vec<&str> = row.trim().trim_matches('|').split('|').collect();
        if cells.len() < 4 {
            continue;
        }
        let Some(tests) = cells.last() else {
            continue;
        };
        for name in tests.split('`').skip(1).step_by(2) {
            let is_fn = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if is_fn {
                named += 1;
                assert!(
                    sources.contains(&format!("fn {name}(")),
                    "docs/rules.md names test `{name}`, which does not exist"
                );
            }
        }
    }
    assert!(named >= 10, "docs/rules.md names only {named} tests");
}
