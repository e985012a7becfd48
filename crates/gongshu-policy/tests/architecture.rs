//! Architecture guard (STYLE.md §3.1): `gongshu-domain` and `gongshu-policy`
//! stay pure, so neither may reach sqlx, tokio, axum or DataFusion, directly
//! or through any dependency.
//!
//! The check walks `Cargo.lock`. The lock file records the dependency edges
//! of the whole workspace without regard to features, so the walk can only
//! over-report, never miss a real dependency. CI runs the same check with
//! `cargo tree -p <crate> -e normal | grep -E 'sqlx|axum|tokio|datafusion'`.

use std::collections::{BTreeMap, BTreeSet};

const FORBIDDEN: [&str; 4] = ["sqlx", "tokio", "axum", "datafusion"];

/// Package name → names of its dependencies, from `Cargo.lock`.
fn lock_graph(lock: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_dependencies = false;
    for line in lock.lines() {
        let line = line.trim();
        if line == "[[package]]" {
            current = None;
            in_dependencies = false;
        } else if let Some(name) = line.strip_prefix("name = ") {
            let name = name.trim_matches('"').to_owned();
            graph.entry(name.clone()).or_default();
            current = Some(name);
        } else if line.starts_with("dependencies = [") {
            in_dependencies = true;
        } else if in_dependencies && line == "]" {
            in_dependencies = false;
        } else if in_dependencies {
            // Entries look like `"name"` or `"name version"` or
            // `"name version (source)"`.
            let entry = line.trim_end_matches(',').trim_matches('"');
            let dependency = entry
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
            if let Some(package) = &current {
                graph.entry(package.clone()).or_default().insert(dependency);
            }
        }
    }
    graph
}

fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(name) = stack.pop() {
        if seen.insert(name.clone()) {
            stack.extend(graph.get(&name).into_iter().flatten().cloned());
        }
    }
    seen
}

#[test]
fn pure_crates_do_not_reach_io_or_engine_crates() {
    let lock_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock");
    let lock = std::fs::read_to_string(lock_path).unwrap();
    let graph = lock_graph(&lock);
    for root in ["gongshu-domain", "gongshu-policy"] {
        assert!(graph.contains_key(root), "{root} is not in Cargo.lock");
        let offending: Vec<String> = reachable(&graph, root)
            .into_iter()
            .filter(|name| {
                FORBIDDEN.iter().any(|forbidden| {
                    name == forbidden || name.starts_with(&format!("{forbidden}-"))
                })
            })
            .collect();
        assert!(offending.is_empty(), "{root} depends on {offending:?}");
    }
}

#[test]
fn the_guard_sees_a_forbidden_dependency() {
    let lock = r#"
[[package]]
name = "gongshu-domain"
dependencies = [
 "serde",
 "tokio 1.0.0",
]

[[package]]
name = "tokio"
"#;
    let graph = lock_graph(lock);
    assert!(reachable(&graph, "gongshu-domain").contains("tokio"));
}
