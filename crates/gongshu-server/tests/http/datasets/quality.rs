//! Quality: validity alerts, timeliness, consistency against another resource.

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::*;
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    late_data_and_quality_alerts_reach_the_providers_inbox,
    consistency_is_checked_against_the_referenced_resource,
    a_column_for_some_rows_only_is_not_scored_incomplete,
);

async fn late_data_and_quality_alerts_reach_the_providers_inbox(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let mut rows = String::from("account_no,township,volume_m3,reading_date\n");
    for i in 0..10 {
        // Every other volume is out of its declared range 0..1000.
        rows.push_str(&format!(
            "A{i},城关镇,{},2026-02-01\n",
            if i % 2 == 0 { 5 } else { 5000 }
        ));
    }
    let r = load(&t, &prov, &id, "", rows.into_bytes()).await;
    r.expect(201);
    let q = &r.json()["quality"];
    assert_eq!(q["validity_permille"], 500);
    assert_eq!(q["columns"][2]["invalid"], 5);
    assert_eq!(q["columns"][2]["invalid_lines"], json!([3, 5, 7, 9, 11]));
    assert_eq!(q["alerts"][0]["dimension"], "validity");

    let inbox = |s: Session| {
        let t = &t;
        async move { t.get("/api/v1/inbox", Auth::Cookie(&s)).await.json() }
    };
    let kinds = |v: &Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let now = inbox(prov.clone()).await;
    assert!(kinds(&now).contains(&"dataset.quality_rectify".to_owned()));
    assert!(!kinds(&now).contains(&"dataset.update_due".to_owned()));
    // A monthly dataset 40 days old is late.
    t.advance(TimeDelta::days(40));
    let prov = t.login(&p.provider).await;
    let later = inbox(prov.clone()).await;
    assert!(kinds(&later).contains(&"dataset.update_due".to_owned()));
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["timeliness"]["late"], true);
    assert_eq!(d["timeliness"]["age_days"], 40);
    // Another provider's inbox does not show it.
    let other = t.login(&p.other_provider).await;
    assert!(
        !kinds(&inbox(other).await)
            .iter()
            .any(|k| k.starts_with("dataset."))
    );
}

async fn resource_with(t: &TestApp, s: &Session, name: &str, columns: Value) -> String {
    let r = t
        .post(
            "/api/v1/catalog/resources",
            Auth::Cookie(s),
            &json!({
                "name": name, "summary": "测试", "category": "市场监管", "format": "csv",
                "update_frequency": "irregular", "sharing_attribute": "conditional",
                "sharing_method": "sandbox", "use_conditions": "仅限可信数据空间内",
                "time_coverage_start": "2020-01-01", "industry": "公共管理", "region": "测试县",
                "contains_sensitive_info": false, "applicable_scenarios": ["信用评价"],
                "prohibited_scenarios": ["个人画像"], "columns": columns,
            }),
        )
        .await;
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_owned()
}

async fn consistency_is_checked_against_the_referenced_resource(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let registry = resource_with(
        &t,
        &prov,
        "企业名录",
        json!([{ "name": "credit_code", "grade": "general_1", "personal_info": "none",
                 "sandbox_class": "public", "data_type": "string", "required": true }]),
    )
    .await;
    let bills = resource_with(
        &t,
        &prov,
        "企业水费",
        json!([
            { "name": "credit_code", "grade": "general_1", "personal_info": "none",
              "sandbox_class": "public", "data_type": "string",
              "references": format!("{registry}.credit_code") },
            { "name": "amount_fen", "grade": "general_2", "personal_info": "none",
              "sandbox_class": "sensitive", "data_type": "int64" },
        ]),
    )
    .await;
    let bill_rows = "credit_code,amount_fen\nE1,10\nE2,20\nE3,30\nX9,40\n";
    // The registry has no data yet: the reference cannot be checked, and says so.
    let r = load(&t, &prov, &bills, "", bill_rows.as_bytes().to_vec()).await;
    r.expect(201);
    assert_eq!(
        r.json()["quality"]["references_unavailable"],
        json!(["credit_code"])
    );
    assert_eq!(r.json()["quality"]["consistency_permille"], 1000);

    load(
        &t,
        &prov,
        &registry,
        "",
        b"credit_code\nE1\nE2\nE3\n".to_vec(),
    )
    .await
    .expect(201);
    let r = load(&t, &prov, &bills, "", bill_rows.as_bytes().to_vec()).await;
    r.expect(201);
    let q = &r.json()["quality"];
    assert_eq!(q["columns"][0]["unmatched"], 1);
    assert_eq!(q["consistency_permille"], 750);
    assert_eq!(q["alerts"][0]["dimension"], "consistency");
    assert_eq!(q["references_unavailable"], json!([]));
    t.assert_audit_log_verifies().await;
}

async fn a_column_for_some_rows_only_is_not_scored_incomplete(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let column = |name: &str, only_for: Option<&str>| {
        json!({ "name": name, "grade": "general_1", "personal_info": "none",
                "sandbox_class": "public", "data_type": "string", "only_for": only_for })
    };
    // Enterprises have a credit code, households do not; the remark column
    // is expected for every row and mostly empty.
    let bills = resource_with(
        &t,
        &prov,
        "用电户",
        json!([
            column("account_no", None),
            column("credit_code", Some("仅企业户")),
            column("remark", None),
        ]),
    )
    .await;
    let mut rows = String::from("account_no,credit_code,remark\n");
    for i in 0..10 {
        let code = if i < 2 { "E1" } else { "" };
        let remark = if i < 7 { "" } else { "有" };
        rows.push_str(&format!("A{i},{code},{remark}\n"));
    }
    let r = load(&t, &prov, &bills, "", rows.into_bytes()).await;
    r.expect(201);
    let q = &r.json()["quality"];
    // 20 cells expected (account_no, remark), 7 empty: 650 ‰; credit_code's
    // 8 empty fields neither count nor alert.
    assert_eq!(q["completeness_permille"], 650);
    assert_eq!(q["columns"][1]["nulls"], 8);
    let alerted: Vec<&str> = q["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["column"].as_str().unwrap())
        .collect();
    assert_eq!(alerted, ["remark"]);
    // The catalog keeps the remark and shows it back.
    let entry = t
        .get(
            &format!("/api/v1/catalog/resources/{bills}"),
            Auth::Cookie(&prov),
        )
        .await
        .json();
    assert_eq!(entry["columns"][1]["only_for"], "仅企业户");
    assert!(entry["columns"][0].get("only_for").is_none());
}
