//! DP mode over HTTP (R4.7): noisy answers, the dataset's quarterly budget
//! shown to its grantees and charged by every fresh query (one audit record
//! per spend), the cached answer for an identical query, refusal once the
//! budget is spent, and bad parameters rejected with their field.

use serde_json::{Value, json};

use crate::sandbox::world;
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    dp_answers_spend_the_shared_budget_and_stop_when_it_is_gone,
    the_data_bureau_sets_a_datasets_budget,
    a_busy_organisation_is_refused_and_audited,
);

const PERSONS: &str = "SELECT township, COUNT(DISTINCT account_no) AS accounts \
                       FROM water_use GROUP BY township ORDER BY township";

async fn dp_query(t: &TestApp, s: &Session, sql: &str, dp: Value) -> crate::support::Resp {
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(s),
        &json!({ "sql": sql, "dp": dp }),
    )
    .await
}

async fn budget(t: &TestApp, s: &Session) -> Value {
    let r = t.get("/api/v1/sandbox/budgets", Auth::Cookie(s)).await;
    r.expect(200);
    r.json()
}

async fn dp_answers_spend_the_shared_budget_and_stop_when_it_is_gone(t: TestApp) {
    let w = world(&t).await;
    let b = budget(&t, &w.operator).await;
    assert_eq!(b[0]["table"], "water_use", "{b}");
    assert_eq!(b[0]["total_rho"], "1");
    assert_eq!(b[0]["spent_rho"], "0");
    assert_eq!(b[0]["remaining_percent"], 100);
    assert!(b[0]["period"].as_str().unwrap().contains('Q'), "{b}");

    // 20 accounts per township; one measurement at ρ = 0.125 has σ = 2.
    let r = dp_query(&t, &w.operator, PERSONS, json!({ "rho": 0.125 })).await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["rows"].as_array().unwrap().len(), 2, "{v}");
    for row in v["rows"].as_array().unwrap() {
        let n = row["values"][1].as_i64().unwrap();
        assert!((n - 20).abs() <= 20, "{v}");
    }
    assert_eq!(v["report"]["dp"]["rho_micro"], 125_000);
    assert_eq!(v["report"]["dp"]["cached"], false);
    assert!(!r.text().contains("p_"), "{v}");
    assert_eq!(budget(&t, &w.operator).await[0]["spent_rho"], "0.125");
    let spends = t.audit_of("sandbox.dp_budget_spent").await;
    assert_eq!(spends.len(), 1);
    assert_eq!(spends[0].payload["details"]["rho"], "0.125");

    // The same query again: the same answer, nothing spent.
    let again = dp_query(&t, &w.operator, PERSONS, json!({ "rho": 0.125 })).await;
    again.expect(200);
    assert_eq!(again.json()["rows"], v["rows"]);
    assert_eq!(again.json()["report"]["dp"]["cached"], true);
    assert_eq!(budget(&t, &w.operator).await[0]["spent_rho"], "0.125");
    let q = t.audit_of("sandbox.query").await;
    assert_eq!(q.last().unwrap().payload["details"]["dp"]["cached"], true);

    // Bad parameters: named, nothing spent.
    let e = dp_query(&t, &w.operator, PERSONS, json!({ "rho": -1 }))
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "dp.rho", "{e}");
    let e = dp_query(&t, &w.operator, PERSONS, json!({ "rho": 0.5 }))
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "dp.rho", "{e}");
    let e = dp_query(
        &t,
        &w.operator,
        "SELECT township, SUM(volume_m3) AS m3 FROM water_use GROUP BY township",
        json!({ "rho": 0.1 }),
    )
    .await
    .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "sandbox.R4.7", "{e}");
    assert_eq!(e["fields"][0]["field"], "volume_m3", "{e}");
    assert_eq!(budget(&t, &w.operator).await[0]["spent_rho"], "0.125");

    // Seven more fresh queries spend the quarter's ρ = 1; the next is refused.
    for rows in 1..=7 {
        dp_query(
            &t,
            &w.operator,
            PERSONS,
            json!({ "rho": 0.125, "max_rows": rows }),
        )
        .await
        .expect(200);
    }
    let b = budget(&t, &w.operator).await;
    assert_eq!(b[0]["remaining_rho"], "0", "{b}");
    dp_query(
        &t,
        &w.operator,
        PERSONS,
        json!({ "rho": 0.001, "max_rows": 9 }),
    )
    .await
    .error(409, "sandbox.budget_exhausted");
    assert_eq!(t.audit_of("sandbox.dp_budget_spent").await.len(), 8);

    // Jobs take DP too: bad parameters are refused at once, a fresh query
    // runs into the spent budget.
    let jobs = "/api/v1/sandbox/jobs";
    t.post(
        jobs,
        Auth::Cookie(&w.operator),
        &json!({ "sql": PERSONS, "dp": { "rho": 0.2 } }),
    )
    .await
    .error(422, "validation_failed");
    let r = t
        .post(
            jobs,
            Auth::Cookie(&w.operator),
            &json!({ "sql": PERSONS, "dp": { "rho": 0.01, "max_rows": 11 } }),
        )
        .await;
    let id = r.expect(202).json()["id"].as_str().unwrap().to_owned();
    let mut job = Value::Null;
    for _ in 0..200 {
        job = t
            .get(&format!("{jobs}/{id}"), Auth::Cookie(&w.operator))
            .await
            .expect(200)
            .json();
        if job["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(job["status"], "failed", "{job}");
    assert_eq!(job["result"]["code"], "sandbox.budget_exhausted", "{job}");

    // Without a grant there is no budget to see.
    assert_eq!(budget(&t, &w.bank).await, json!([]));
    t.assert_audit_log_verifies().await;
}

async fn the_data_bureau_sets_a_datasets_budget(t: TestApp) {
    let w = world(&t).await;
    let admin = t.login(&t.admin).await;
    let officer = t
        .user_session(
            &admin,
            &w.bureau_reviewer.org_id,
            "bureau.officer",
            &["case_officer"],
        )
        .await;
    let path = format!("/api/v1/sandbox/budgets/{}", w.resource);
    let body = json!({ "total_rho": 0.2, "reason": "敏感数据，收紧本季度预算" });
    // The grantee may not set its own budget (audited denial).
    t.put(&path, Auth::Cookie(&w.operator), &body)
        .await
        .expect(403);
    assert_eq!(t.audit_of("authz.denied").await.len(), 1);
    for (bad, field) in [
        (json!({ "total_rho": 0, "reason": "x" }), "total_rho"),
        (json!({ "total_rho": 11, "reason": "x" }), "total_rho"),
        (json!({ "total_rho": 0.5, "reason": " " }), "reason"),
    ] {
        let e = t
            .put(&path, Auth::Cookie(&officer), &bad)
            .await
            .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    t.put(
        "/api/v1/sandbox/budgets/00000000-0000-0000-0000-000000000000",
        Auth::Cookie(&officer),
        &body,
    )
    .await
    .expect(404);
    let r = t.put(&path, Auth::Cookie(&officer), &body).await;
    assert_eq!(r.expect(200).json()["total_rho"], "0.2");
    let set = t.audit_of("sandbox.dp_budget_set").await;
    assert_eq!(set.len(), 1);
    assert_eq!(set[0].payload["details"]["before"], "1");
    assert_eq!(set[0].payload["details"]["total"], "0.2");
    assert_eq!(budget(&t, &w.operator).await[0]["total_rho"], "0.2");

    // One query of 0.125 fits, a second does not.
    dp_query(&t, &w.operator, PERSONS, json!({ "rho": 0.125 }))
        .await
        .expect(200);
    dp_query(
        &t,
        &w.operator,
        PERSONS,
        json!({ "rho": 0.125, "max_rows": 2 }),
    )
    .await
    .error(409, "sandbox.budget_exhausted");
    assert_eq!(budget(&t, &w.operator).await[0]["remaining_rho"], "0.075");
}

async fn a_busy_organisation_is_refused_and_audited(t: TestApp) {
    let w = world(&t).await;
    let held: Vec<_> = (0..gongshu_app::sandbox::QUERIES_PER_ORG)
        .map(|_| t.app.query_slots().take(&w.operator.org_id).unwrap())
        .collect();
    let sql = json!({ "sql": PERSONS });
    t.post("/api/v1/sandbox/query", Auth::Cookie(&w.operator), &sql)
        .await
        .error(409, "sandbox.busy");
    let rec = t.audit_of("sandbox.query").await;
    let last = rec.last().unwrap();
    assert_eq!(last.payload["outcome"], "refused");
    assert_eq!(last.payload["details"]["code"], "sandbox.busy");
    // Another organisation is not affected by the operator's load; once a
    // query ends, the operator runs again.
    t.get("/api/v1/sandbox/tables", Auth::Cookie(&w.bank))
        .await
        .expect(200);
    drop(held);
    t.post("/api/v1/sandbox/query", Auth::Cookie(&w.operator), &sql)
        .await
        .expect(200);
}
