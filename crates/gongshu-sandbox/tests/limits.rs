//! Limits, revocation in flight, uniform errors and the dry run.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use std::time::Duration;

use gongshu_sandbox::SandboxError;
use tokio::sync::watch;

const TOWNSHIPS: &str =
    "SELECT township, count(*) AS n FROM power_bill GROUP BY township ORDER BY township";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn row_limit_stops_the_query() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let mut spec = common::session("operator");
    spec.limits.max_rows = 2;
    let (_tx, rx) = watch::channel(false);
    let (facts, result) = sandbox.query(&spec, TOWNSHIPS, rx).await;
    assert!(
        matches!(result, Err(SandboxError::Limit { limit: "rows" })),
        "{result:?}"
    );
    assert_eq!(facts.tables, vec!["power_bill"]);
    assert!(facts.result_sha256.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ended_access_stops_the_query() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let spec = common::session("operator");
    let (tx, rx) = watch::channel(false);
    tx.send(true).unwrap();
    let (_, result) = sandbox.query(&spec, TOWNSHIPS, rx).await;
    assert!(
        matches!(result, Err(SandboxError::AccessEnded)),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_stops_the_query() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let mut spec = common::session("operator");
    spec.limits.timeout = Duration::from_nanos(1);
    let (_tx, rx) = watch::channel(false);
    let (_, result) = sandbox.query(&spec, TOWNSHIPS, rx).await;
    assert!(
        matches!(result, Err(SandboxError::Limit { limit: "timeout" })),
        "{result:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runtime_errors_over_protected_data_are_uniform() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let spec = common::session("operator");
    let (_tx, rx) = watch::channel(false);
    let sql = "SELECT township, sum(amount_fen) / (count(*) - count(*)) AS x FROM power_bill GROUP BY township";
    let (_, result) = sandbox.query(&spec, sql, rx).await;
    let err = result.unwrap_err();
    assert!(matches!(err, SandboxError::Suppressed), "{err:?}");
    assert!(!err.to_string().contains("zero"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_answers_without_data_and_names_rule_and_column() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let spec = common::session("operator");
    let (facts, explained) = sandbox
        .explain(&spec, "SELECT holder_id_number, amount_fen FROM power_bill")
        .await;
    let explained = explained.unwrap();
    assert!(!explained.accepted);
    let rules: Vec<_> = explained
        .violations
        .iter()
        .map(|v| (v.rule, v.column.clone()))
        .collect();
    assert!(
        rules.contains(&("R3.2", Some("power_bill.holder_id_number".into()))),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("R3.2", Some("power_bill.amount_fen".into()))),
        "{rules:?}"
    );
    assert!(facts.plan_sha256.is_some());
    // No pseudonym and no amount appears anywhere in the answer.
    let all = serde_json::to_string(&explained).unwrap();
    assert!(!all.contains("p_"), "{all}");
    assert!(!all.contains("1011"), "{all}");
    let (_, ok) = sandbox.explain(&spec, TOWNSHIPS).await;
    assert!(ok.unwrap().accepted);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn released_results_never_hold_a_pseudonym_or_a_raw_amount() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let spec = common::session("operator");
    for sql in [
        TOWNSHIPS,
        "SELECT bill_month, sum(amount_fen) AS s, avg(amount_fen) AS a FROM power_bill GROUP BY bill_month",
        "SELECT count(DISTINCT account_no) AS accounts FROM power_bill",
    ] {
        let (_tx, rx) = watch::channel(false);
        let (facts, result) = sandbox.query(&spec, sql, rx).await;
        let result = result.unwrap();
        let json = serde_json::to_string(&result).unwrap();
        assert!(!json.contains("p_"), "{json}");
        assert!(!json.contains("__gs"), "hidden columns stay inside: {json}");
        assert!(facts.result_sha256.is_some());
        assert!(result.report.protected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_history_survives_restarts_and_torn_writes() {
    use gongshu_domain::disclosure::Suppression;
    let county = common::County::new();
    let spec = common::session("operator");
    let (_tx, rx) = watch::channel(false);
    let (_, first) = county.sandbox().query(&spec, TOWNSHIPS, rx.clone()).await;
    assert!(first.unwrap().rows.iter().any(|r| r.suppressed.is_none()));
    // A crash mid-append leaves a torn record: it is cut off at open.
    let path = county._dir.path().join("history.log");
    let before = std::fs::metadata(&path).unwrap().len();
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    std::io::Write::write_all(&mut f, &[7, 0, 0, 0, 1, 2]).unwrap();
    drop(f);
    let reopened = gongshu_sandbox::History::open(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().len(), before);
    assert_eq!(
        reopened.len(),
        3,
        "the released rows A, D and E; withheld rows are not remembered"
    );
    // After the restart the February cell of E is still too close.
    let feb = "SELECT township, count(*) AS n FROM power_bill WHERE bill_month = '2025-02' GROUP BY township ORDER BY township";
    let (_, r) = county.sandbox().query(&spec, feb, rx).await;
    let r = r.unwrap();
    let e = r.rows.iter().find(|row| row.values[0] == "E").unwrap();
    assert_eq!(e.suppressed, Some(Suppression::Difference));
}
