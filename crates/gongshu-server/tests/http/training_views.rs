//! Training views over HTTP (R5.4): the grantee draws a sampled,
//! de-identified view; it is a table of its sandbox and the only table of
//! the development zone; bad requests are named; the view goes with the
//! source grant.

use serde_json::{Value, json};

use crate::sandbox::world;
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(a_training_view_is_the_only_table_of_the_development_zone,);

async fn run(t: &TestApp, s: &Session, sql: &str, zone: &str) -> crate::support::Resp {
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(s),
        &json!({ "sql": sql, "zone": zone }),
    )
    .await
}

async fn a_training_view_is_the_only_table_of_the_development_zone(t: TestApp) {
    let w = world(&t).await;
    let r = t
        .post(
            "/api/v1/sandbox/training-views",
            Auth::Cookie(&w.operator),
            &json!({ "table": "water_use", "fraction": 0.5 }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["table"], "tv_water_use_1", "{v}");
    assert_eq!(v["fraction"], "0.5");
    // 40 accounts, each kept with probability 1/2.
    let persons = v["persons"].as_i64().unwrap();
    assert!((5..=35).contains(&persons), "{v}");
    let created = t.audit_of("sandbox.training_view_created").await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].payload["details"]["rows"], v["rows"]);

    let tables = t
        .get("/api/v1/sandbox/tables", Auth::Cookie(&w.operator))
        .await;
    let tables = tables.expect(200).json();
    let view = tables
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["table"] == "tv_water_use_1")
        .unwrap_or_else(|| panic!("{tables}"));
    assert_eq!(view["kind"], "training_view");
    let cols: Vec<&str> = view["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(cols[0], "person_ref");
    assert!(!cols.contains(&"account_no"), "{cols:?}");

    // The development zone sees the view, never the raw table.
    let by_town =
        "SELECT township, count(DISTINCT person_ref) AS n FROM tv_water_use_1 GROUP BY township";
    let ok = run(&t, &w.operator, by_town, "development").await;
    ok.expect(200);
    assert!(!ok.text().contains("\"t_"), "{}", ok.json());
    let e = run(
        &t,
        &w.operator,
        "SELECT count(*) FROM water_use",
        "development",
    )
    .await
    .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "sandbox.sql_invalid", "{e}");
    run(
        &t,
        &w.operator,
        "SELECT count(*) FROM water_use",
        "production",
    )
    .await
    .expect(200);
    // The view keeps the rules: no row-level reads.
    run(
        &t,
        &w.operator,
        "SELECT person_ref FROM tv_water_use_1",
        "development",
    )
    .await
    .error(422, "validation_failed");

    // A second view of the same table gets the next number.
    let second = t
        .post(
            "/api/v1/sandbox/training-views",
            Auth::Cookie(&w.operator),
            &json!({ "table": "water_use", "fraction": 0.2 }),
        )
        .await;
    assert_eq!(second.expect(201).json()["table"], "tv_water_use_2");

    // DP on the view spends the source dataset's budget (same persons).
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(&w.operator),
        &json!({ "sql": by_town, "zone": "development", "dp": { "rho": 0.1 } }),
    )
    .await
    .expect(200);
    let budgets = t
        .get("/api/v1/sandbox/budgets", Auth::Cookie(&w.operator))
        .await
        .json();
    for b in budgets.as_array().unwrap() {
        assert_eq!(b["spent_rho"], "0.1", "{budgets}");
    }

    // Bad requests are named.
    for (body, field) in [
        (json!({ "table": "water_use", "fraction": 0.9 }), "fraction"),
        (json!({ "table": "no_such", "fraction": 0.1 }), "table"),
        (
            json!({ "table": "tv_water_use_1", "fraction": 0.1 }),
            "table",
        ),
    ] {
        let e = t
            .post(
                "/api/v1/sandbox/training-views",
                Auth::Cookie(&w.operator),
                &body,
            )
            .await
            .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    t.post(
        "/api/v1/sandbox/training-views",
        Auth::Cookie(&w.bank),
        &json!({ "table": "water_use", "fraction": 0.1 }),
    )
    .await
    .error(422, "validation_failed");
    let mine = t
        .get("/api/v1/sandbox/training-views", Auth::Cookie(&w.bank))
        .await;
    assert_eq!(mine.expect(200).json(), json!([]));

    // Revoking the source grant takes the view away too.
    let admin = t.login(&t.admin).await;
    let officer = t
        .user_session(&admin, &t.admin.org_id, "agency.officer", &["case_officer"])
        .await;
    let grants = t
        .get(
            &format!("/api/v1/grants?org={}", w.operator.org_id),
            Auth::Cookie(&w.operator),
        )
        .await
        .json();
    let grant = grants[0]["id"].as_str().unwrap();
    t.post(
        &format!("/api/v1/grants/{grant}/revocation"),
        Auth::Cookie(&officer),
        &json!({ "reason": "授权范围调整" }),
    )
    .await
    .expect(200);
    let after = t
        .get("/api/v1/sandbox/tables", Auth::Cookie(&w.operator))
        .await;
    assert_eq!(after.expect(200).json(), Value::Array(vec![]));
    run(&t, &w.operator, by_town, "development")
        .await
        .error(422, "validation_failed");
    t.assert_audit_log_verifies().await;
}
