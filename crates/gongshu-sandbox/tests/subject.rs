//! Subject-scoped sessions (products about one consenting subject): the
//! template sees only the subject's rows, cannot name the subject column
//! unless granted, and still releases protected data only in aggregate.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

mod common;

use gongshu_sandbox::{SandboxError, SessionSpec, SubjectScope};
use serde_json::json;
use tokio::sync::watch;

/// The power bills only: every table of a scoped session must hold the
/// subject column.
fn power_only(role: &str) -> SessionSpec {
    let mut spec = common::session(role);
    spec.tables.retain(|t| t.name == "power_bill");
    spec
}

fn scope(county: &common::County, account: &str) -> SubjectScope {
    SubjectScope {
        column: "account_no".into(),
        pseudonym: county.vault.pseudonym(account).unwrap(),
    }
}

const SUMMARY: &str = "SELECT count(*) AS months, sum(amount_fen) AS total, \
                       CASE WHEN count(*) >= 2 THEN '是' ELSE '否' END AS two_months \
                       FROM power_bill";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_template_sees_only_its_subject() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    for role in ["operator", "bank"] {
        let (_tx, rx) = watch::channel(false);
        let (facts, result) = sandbox
            .query_subject(&power_only(role), SUMMARY, &scope(&county, "ACC00001"), rx)
            .await;
        let r = result.unwrap();
        // Person 1: two bills of 1011 and 1012 fen; no threshold, no rounding.
        assert_eq!(r.rows.len(), 1, "{role}");
        assert_eq!(r.rows[0].values, vec![json!(2), json!(2023), json!("是")]);
        assert_eq!(r.report.threshold, 1);
        assert!(r.report.rules.contains(&"P1.subject".to_owned()));
        assert!(facts.result_sha256.is_some());
    }
    // Person 70 has a January bill only; an unknown subject has none.
    let (_tx, rx) = watch::channel(false);
    let (_, r) = sandbox
        .query_subject(
            &power_only("bank"),
            SUMMARY,
            &scope(&county, "ACC00070"),
            rx,
        )
        .await;
    assert_eq!(r.unwrap().rows[0].values[2], json!("否"));
    let (_tx, rx) = watch::channel(false);
    let (_, r) = sandbox
        .query_subject(&power_only("bank"), SUMMARY, &scope(&county, "NOBODY"), rx)
        .await;
    assert_eq!(r.unwrap().rows[0].values[0], json!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_template_still_follows_the_rules() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let s = scope(&county, "ACC00001");
    let run = |spec: SessionSpec, sql: &'static str| {
        let sandbox = sandbox.clone();
        let s = s.clone();
        async move {
            let (_tx, rx) = watch::channel(false);
            sandbox.query_subject(&spec, sql, &s, rx).await.1
        }
    };
    // Row-level values of the subject: refused like any row-level read.
    let r = run(power_only("operator"), "SELECT amount_fen FROM power_bill").await;
    assert!(matches!(r, Err(SandboxError::Refused(_))), "{r:?}");
    // The bank was not granted the subject column: it does not exist.
    let r = run(
        power_only("bank"),
        "SELECT count(DISTINCT account_no) AS n FROM power_bill",
    )
    .await;
    assert!(matches!(r, Err(SandboxError::Sql(_))), "{r:?}");
    // More than one row is more than a subject's answer.
    let r = run(
        power_only("operator"),
        "SELECT bill_month, count(*) AS n FROM power_bill GROUP BY bill_month",
    )
    .await;
    assert!(
        matches!(r, Err(SandboxError::Limit { limit: "rows" })),
        "{r:?}"
    );
    // A table without the subject column cannot be scoped: refused.
    let r = run(
        common::session("operator"),
        "SELECT count(*) AS n FROM power_bill",
    )
    .await;
    match r {
        Err(SandboxError::Refused(v)) => assert_eq!(v[0].rule, "P1.subject"),
        other => panic!("{other:?}"),
    }
}

/// A template is prepared once per session shape and bound per call: calls
/// about different subjects, running at the same time, each see their own
/// subject's rows only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_of_one_template_each_see_their_own_subject() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let spec = power_only("bank");
    let mut calls = Vec::new();
    for i in 0..24 {
        let account = if i % 2 == 0 { "ACC00001" } else { "ACC00070" };
        let (sandbox, spec, s) = (sandbox.clone(), spec.clone(), scope(&county, account));
        calls.push(tokio::spawn(async move {
            let (_tx, rx) = watch::channel(false);
            let (facts, r) = sandbox.query_subject(&spec, SUMMARY, &s, rx).await;
            (i, facts, r)
        }));
    }
    for call in calls {
        let (i, facts, r) = call.await.unwrap();
        let values = &r.unwrap().rows[0].values;
        // Person 1: bills of 1011 and 1012 fen; person 70: 1701 in January.
        let expected = if i % 2 == 0 {
            vec![json!(2), json!(2023), json!("是")]
        } else {
            vec![json!(1), json!(1701), json!("否")]
        };
        assert_eq!(values, &expected, "call {i}");
        assert_eq!(facts.tables, vec!["power_bill".to_owned()]);
        assert!(facts.plan_sha256.is_some() && facts.result_sha256.is_some());
    }
}

/// What was prepared under one grant is not used under another: the same
/// SQL under a narrower grant is planned again (and fails on the column it
/// no longer has); a refused template is refused on every call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prepared_template_follows_the_grant_and_refusals_repeat() {
    let county = common::County::new();
    let sandbox = county.sandbox();
    let s = scope(&county, "ACC00001");
    let call = |spec: SessionSpec, sql: &'static str| {
        let (sandbox, s) = (sandbox.clone(), s.clone());
        async move {
            let (_tx, rx) = watch::channel(false);
            sandbox.query_subject(&spec, sql, &s, rx).await
        }
    };
    let (_, r) = call(power_only("bank"), SUMMARY).await;
    assert!(r.is_ok(), "{r:?}");
    let mut narrower = power_only("bank");
    narrower.tables[0]
        .columns
        .retain(|c| c.name != "amount_fen");
    let (_, r) = call(narrower, SUMMARY).await;
    assert!(matches!(r, Err(SandboxError::Sql(_))), "{r:?}");
    for _ in 0..2 {
        let (facts, r) = call(power_only("operator"), "SELECT amount_fen FROM power_bill").await;
        assert!(matches!(r, Err(SandboxError::Refused(_))), "{r:?}");
        assert!(!facts.rules.is_empty(), "the refusal names its rules");
    }
}
