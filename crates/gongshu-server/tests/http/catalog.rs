//! The resource catalog and registration (数据资源目录与登记) over HTTP,
//! with real logins: a data source unit catalogs its own resource,
//! classifies every column and applies; the data bureau (登记机构) accepts,
//! reviews, publishes and registers (REQUIREMENTS §4.6, §3.1 N3-N9).
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use axum::http::Method;
use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};

use crate::support::{Auth, Creds, Resp, Session, TestApp};

crate::on_both_backends!(
    catalog_resource_registered_end_to_end,
    provider_cannot_edit_another_providers_resource,
    submit_with_an_unclassified_column_is_refused,
    core_data_cannot_be_shared_unconditionally,
    registration_deadlines_across_the_2026_national_day,
    renewal_61_days_before_expiry_refused_59_accepted,
    concurrent_acceptance_has_one_winner,
);

struct Parties {
    provider: Creds,
    other_provider: Creds,
    bureau: Creds,
    bureau2: Creds,
}

async fn parties(t: &TestApp) -> Parties {
    let admin = t.login(&t.admin).await;
    let water = t
        .create_org_in_sector(&admin, "测试县自来水公司", "data_source_unit", "utilities")
        .await;
    let power = t
        .create_org_in_sector(&admin, "测试县供电公司", "data_source_unit", "utilities")
        .await;
    let bureau = t.create_org(&admin, "测试县数据局", "data_bureau").await;
    Parties {
        provider: t
            .create_user(&admin, &water, "water.officer", &["case_officer"])
            .await,
        other_provider: t
            .create_user(&admin, &power, "power.officer", &["case_officer"])
            .await,
        bureau: t
            .create_user(&admin, &bureau, "db.officer", &["case_officer"])
            .await,
        bureau2: t
            .create_user(&admin, &bureau, "db.officer2", &["case_officer"])
            .await,
    }
}

fn resource(sharing: &str, grade: &str, class: Option<&str>) -> Value {
    json!({
        "name": "居民用水量",
        "summary": "按户按月的用水量",
        "category": "公用事业/供水",
        "format": "table",
        "update_frequency": "monthly",
        "sharing_attribute": sharing,
        "sharing_method": "sandbox",
        "use_conditions": "仅限可信数据空间内统计分析",
        "time_coverage_start": "2020-01-01",
        "industry": "水的生产和供应业",
        "region": "测试县",
        "storage_volume_mb": 2048,
        "contains_sensitive_info": false,
        "applicable_scenarios": ["供水管网规划"],
        "prohibited_scenarios": ["个人画像"],
        "columns": [
            { "name": "account_no", "grade": "general_3", "personal_info": "personal", "sandbox_class": "direct_id" },
            { "name": "township", "grade": "general_1", "personal_info": "none", "sandbox_class": "quasi_id" },
            { "name": "volume_m3", "grade": grade, "personal_info": "none", "sandbox_class": class },
        ],
    })
}

async fn create(t: &TestApp, s: &Session, body: &Value) -> Resp {
    t.post("/api/v1/catalog/resources", Auth::Cookie(s), body)
        .await
}

async fn step(t: &TestApp, s: &Session, id: &str, command: &str) -> Resp {
    let v = t
        .get(&format!("/api/v1/catalog/resources/{id}"), Auth::Cookie(s))
        .await
        .json()["version"]
        .clone();
    step_at(t, s, id, command, &v).await
}

async fn step_at(t: &TestApp, s: &Session, id: &str, command: &str, version: &Value) -> Resp {
    t.post(
        &format!("/api/v1/catalog/resources/{id}/registration/{command}"),
        Auth::Cookie(s),
        &json!({ "version": version, "reason": "材料不全" }),
    )
    .await
}

async fn created(t: &TestApp, s: &Session) -> String {
    let r = create(
        t,
        s,
        &resource("conditional", "general_2", Some("sensitive")),
    )
    .await;
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn date(v: &Value) -> NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

/// Submitted today, accepted, reviewed, published; registered after 12 days.
async fn registered(t: &TestApp, p: &Parties) -> String {
    let prov = t.login(&p.provider).await;
    let bureau = t.login(&p.bureau).await;
    let id = created(t, &prov).await;
    step(t, &prov, &id, "submit").await.expect(200);
    for c in ["accept", "review", "notice"] {
        step(t, &bureau, &id, c).await.expect(200);
    }
    step(t, &bureau, &id, "register")
        .await
        .error(409, "registration.notice_not_ended");
    t.advance(TimeDelta::days(12));
    let bureau = t.login(&p.bureau).await;
    let r = step(t, &bureau, &id, "register").await;
    r.expect(200);
    id
}

async fn catalog_resource_registered_end_to_end(t: TestApp) {
    let p = parties(&t).await;
    let id = registered(&t, &p).await;
    let prov = t.login(&p.provider).await;
    let v = t
        .get(
            &format!("/api/v1/catalog/resources/{id}"),
            Auth::Cookie(&prov),
        )
        .await
        .json();
    assert_eq!(v["registration"]["status"], "registered");
    assert_eq!(v["registration"]["notice_end"], "2026-03-13");
    assert_eq!(v["registration"]["registered_on"], "2026-03-14");
    assert_eq!(v["registration"]["valid_until"], "2029-03-13");
    assert!(
        v["registration"]["certificate_no"]
            .as_str()
            .unwrap()
            .starts_with("GSDJ-20260314-")
    );
    assert_eq!(v["grade"], "general_3");
    let cols = t
        .get(
            &format!("/api/v1/catalog/resources/{id}/columns"),
            Auth::Cookie(&prov),
        )
        .await
        .json();
    assert_eq!(cols[0]["sandbox_class"], "direct_id");
    let list = t
        .get("/api/v1/catalog/resources", Auth::Cookie(&prov))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    for code in [
        "catalog.resource_created",
        "catalog.registration_submitted",
        "catalog.registration_accepted",
        "catalog.registration_reviewed",
        "catalog.registration_noticed",
        "catalog.registration_registered",
    ] {
        assert_eq!(t.audit_of(code).await.len(), 1, "{code}");
    }
    t.assert_audit_log_verifies().await;
}

async fn provider_cannot_edit_another_providers_resource(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let other = t.login(&p.other_provider).await;
    let id = created(&t, &prov).await;
    let mut body = resource("conditional", "general_2", Some("sensitive"));
    body["version"] = json!(1);
    let bytes = serde_json::to_vec(&body).unwrap();
    let uri = format!("/api/v1/catalog/resources/{id}");
    let r = t
        .send(
            Method::PUT,
            &uri,
            Auth::Cookie(&other),
            Some(("application/json", bytes.clone())),
        )
        .await;
    r.error(403, "forbidden");
    step(&t, &other, &id, "submit")
        .await
        .error(403, "forbidden");
    assert_eq!(t.audit_of("authz.denied").await.len(), 2);
    let r = t
        .send(
            Method::PUT,
            &uri,
            Auth::Cookie(&prov),
            Some(("application/json", bytes.clone())),
        )
        .await;
    r.expect(200);
    assert_eq!(r.json()["version"], 2);
    // A stale version is a conflict (compare-and-set).
    let r = t
        .send(
            Method::PUT,
            &uri,
            Auth::Cookie(&prov),
            Some(("application/json", bytes)),
        )
        .await;
    r.error(409, "conflict");
    t.assert_audit_log_verifies().await;
}

async fn submit_with_an_unclassified_column_is_refused(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let r = create(&t, &prov, &resource("conditional", "general_2", None)).await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let r = step(&t, &prov, &id, "submit").await;
    let body = r.error(422, "validation_failed");
    let text = body.to_string();
    assert!(text.contains("columns[2].sandbox_class"), "{text}");
    assert!(text.contains("volume_m3"), "{text}");
    assert!(
        t.audit_of("catalog.registration_submitted")
            .await
            .is_empty()
    );
    t.assert_audit_log_verifies().await;
}

async fn core_data_cannot_be_shared_unconditionally(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let r = create(
        &t,
        &prov,
        &resource("unconditional", "core", Some("sensitive")),
    )
    .await;
    let body = r.error(422, "validation_failed");
    let text = body.to_string();
    assert!(text.contains("catalog.core_data_unconditional"), "{text}");
    assert!(text.contains("§7"), "{text}");
    create(
        &t,
        &prov,
        &resource("conditional", "core", Some("sensitive")),
    )
    .await
    .expect(201);
    t.assert_audit_log_verifies().await;
}

async fn registration_deadlines_across_the_2026_national_day(t: TestApp) {
    let p = parties(&t).await;
    // 2026-03-02 + 212 days = Wednesday 2026-09-30, the eve of the holiday.
    t.advance(TimeDelta::days(212));
    let prov = t.login(&p.provider).await;
    let bureau = t.login(&p.bureau).await;
    let id = created(&t, &prov).await;
    let r = step(&t, &prov, &id, "submit").await;
    r.expect(200);
    let pending = &r.json()["registration"]["pending"];
    assert_eq!(pending["started_on"], "2026-09-30");
    // 10-08, 10-09 and the make-up working day Saturday 10-10.
    assert_eq!(pending["due_on"], "2026-10-10");
    let inbox = t.get("/api/v1/inbox", Auth::Cookie(&bureau)).await.json();
    assert!(inbox.to_string().contains("registration.accept"), "{inbox}");
    let r = step(&t, &bureau, &id, "accept").await;
    r.expect(200);
    let due = date(&r.json()["registration"]["pending"]["due_on"]);
    // Accepted on 09-30: 20 working days skip the 7 holiday days.
    assert_eq!(due, NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
    t.assert_audit_log_verifies().await;
}

async fn renewal_61_days_before_expiry_refused_59_accepted(t: TestApp) {
    let p = parties(&t).await;
    let id = registered(&t, &p).await;
    // Registered 2026-03-14, valid until 2029-03-13; 61 days before is 2029-01-11.
    let days = (NaiveDate::from_ymd_opt(2029, 1, 11).unwrap()
        - NaiveDate::from_ymd_opt(2026, 3, 14).unwrap())
    .num_days();
    t.advance(TimeDelta::days(days));
    let prov = t.login(&p.provider).await;
    step(&t, &prov, &id, "renew")
        .await
        .error(409, "registration.renewal_too_early");
    t.advance(TimeDelta::days(2));
    let prov = t.login(&p.provider).await;
    let r = step(&t, &prov, &id, "renew").await;
    r.expect(200);
    // 2029's holiday schedule is not published: no guessed due date.
    let pending = &r.json()["registration"]["pending"];
    assert_eq!(pending["due_on"], Value::Null);
    assert_eq!(pending["calendar_unpublished"], 2029);
    let bureau = t.login(&p.bureau).await;
    let r = step(&t, &bureau, &id, "accept").await;
    r.expect(200);
    assert_eq!(r.json()["registration"]["valid_until"], "2032-03-13");
    assert_eq!(r.json()["registration"]["renewals"], 1);
    assert_eq!(t.audit_of("catalog.registration_renewed").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn concurrent_acceptance_has_one_winner(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = created(&t, &prov).await;
    step(&t, &prov, &id, "submit").await.expect(200);
    let v = json!(2);
    let a = {
        let (t, s, id, v) = (t.clone(), t.login(&p.bureau).await, id.clone(), v.clone());
        tokio::spawn(async move { step_at(&t, &s, &id, "accept", &v).await })
    };
    let b = {
        let (t, s, id, v) = (t.clone(), t.login(&p.bureau2).await, id.clone(), v.clone());
        tokio::spawn(async move { step_at(&t, &s, &id, "accept", &v).await })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (won, lost) = if a.status.is_success() {
        (a, b)
    } else {
        (b, a)
    };
    won.expect(200);
    lost.expect(409);
    assert_eq!(t.audit_of("catalog.registration_accepted").await.len(), 1);
    t.assert_audit_log_verifies().await;
}
