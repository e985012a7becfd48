//! Dataset loads (数据集加载) over HTTP: a data source unit streams CSV
//! into its own catalog resource; versions are immutable and encrypted,
//! direct identifiers pseudonymised, malformed input named by line with
//! nothing stored, quality scored with alerts in the inbox (S-6.4).
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use axum::http::Method;
use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::support::{Auth, Creds, Resp, Session, TestApp};

crate::on_both_backends!(
    provider_loads_gb18030_appends_and_replaces_with_pseudonymised_ids,
    other_parties_cannot_load_and_only_supervisors_see_quality,
    untyped_or_unclassified_columns_refuse_the_load,
    malformed_rows_are_named_by_line_and_store_nothing,
    late_data_and_quality_alerts_reach_the_providers_inbox,
    api_keys_load_only_with_the_resources_load_scope,
    console_shows_quality_to_the_provider_and_the_bureau_only,
    a_replace_racing_an_append_never_mixes_states,
    consistency_is_checked_against_the_referenced_resource,
    parquet_bodies_load_from_memory_and_garbage_is_refused,
);

const RAW_ACCOUNT: &str = "WATERACCT7731";

struct Parties {
    provider: Creds,
    other_provider: Creds,
    bureau: Creds,
    participant: Creds,
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
    let bank = t.create_org(&admin, "测试县农商银行", "participant").await;
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
        participant: t
            .create_user(&admin, &bank, "bank.dev", &["case_officer"])
            .await,
    }
}

fn columns(typed: bool) -> Value {
    let ty = |t: &str| if typed { json!(t) } else { Value::Null };
    json!([
        { "name": "account_no", "grade": "general_3", "personal_info": "personal",
          "sandbox_class": "direct_id", "data_type": ty("string"), "required": true },
        { "name": "township", "grade": "general_1", "personal_info": "none",
          "sandbox_class": "quasi_id", "data_type": ty("string"), "validity": "enum:城关镇|南屯镇" },
        { "name": "volume_m3", "grade": "general_2", "personal_info": "none",
          "sandbox_class": "sensitive", "data_type": ty("int64"), "validity": "range:0..1000" },
        { "name": "reading_date", "grade": "general_1", "personal_info": "none",
          "sandbox_class": "quasi_id", "data_type": ty("date") },
    ])
}

async fn resource(t: &TestApp, s: &Session, typed: bool) -> String {
    let r = t
        .post(
            "/api/v1/catalog/resources",
            Auth::Cookie(s),
            &json!({
                "name": "居民用水量",
                "summary": "按户按月的用水量",
                "category": "公用事业/供水",
                "format": "csv",
                "update_frequency": "monthly",
                "sharing_attribute": "conditional",
                "sharing_method": "sandbox",
                "use_conditions": "仅限可信数据空间内统计分析",
                "time_coverage_start": "2020-01-01",
                "industry": "水的生产和供应业",
                "region": "测试县",
                "contains_sensitive_info": true,
                "applicable_scenarios": ["供水管网规划"],
                "prohibited_scenarios": ["个人画像"],
                "columns": columns(typed),
            }),
        )
        .await;
    r.expect(201);
    r.json()["id"].as_str().unwrap().to_owned()
}

fn csv_rows(n: usize, first: usize) -> String {
    let mut s = String::from("account_no,township,volume_m3,reading_date\n");
    for i in first..first + n {
        let town = if i % 2 == 0 { "城关镇" } else { "南屯镇" };
        s.push_str(&format!(
            "{RAW_ACCOUNT}{i},{town},{},2026-02-{:02}\n",
            i % 50,
            1 + i % 28
        ));
    }
    s
}

async fn load(t: &TestApp, s: &Session, id: &str, query: &str, body: Vec<u8>) -> Resp {
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions{query}"),
        Auth::Cookie(s),
        Some(("text/csv", body)),
    )
    .await
}

async fn dataset(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.get(
        &format!("/api/v1/catalog/resources/{id}/dataset"),
        Auth::Cookie(s),
    )
    .await
}

fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        if p.is_dir() {
            files_contain(&p, needle)
        } else {
            let b = std::fs::read(&p).unwrap();
            b.windows(needle.len()).any(|w| w == needle)
        }
    })
}

async fn provider_loads_gb18030_appends_and_replaces_with_pseudonymised_ids(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;

    let gb = encoding_rs::GB18030.encode(&csv_rows(40, 0)).0.into_owned();
    let r = load(&t, &prov, &id, "", gb).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["version"], 1);
    assert_eq!(v["encoding"], "gb18030");
    assert_eq!(v["rows_loaded"], 40);
    assert_eq!(v["quality"]["completeness_permille"], 1000);
    assert_eq!(v["quality"]["validity_permille"], 1000);
    assert_eq!(v["quality"]["columns"][0]["distinct"], 40);
    assert_eq!(
        v["quality"]["columns"][1]["distinct"], 2,
        "城关镇 and 南屯镇, decoded"
    );

    let r = load(
        &t,
        &prov,
        &id,
        "?mode=append&encoding=utf-8",
        csv_rows(10, 40).into_bytes(),
    )
    .await;
    r.expect(201);
    assert_eq!(r.json()["base_version"], 1);
    let d = dataset(&t, &prov, &id).await;
    d.expect(200);
    let d = d.json();
    assert_eq!(d["current_parts"], json!([1, 2]));
    assert_eq!(d["current_rows"], 50);
    assert_eq!(d["timeliness"]["late"], false);

    let r = load(&t, &prov, &id, "?mode=replace", csv_rows(5, 0).into_bytes()).await;
    r.expect(201);
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["current_parts"], json!([3]));
    assert_eq!(d["current_rows"], 5);
    assert_eq!(d["versions"].as_array().unwrap().len(), 3);

    // Raw identifiers are nowhere: not in the vault, not in the audit log.
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    // The stored pseudonym is the vault's keyed pseudonym of the raw value.
    let vault = t.app.vault().unwrap();
    let batch = vault.read_batches(&id, 3).unwrap().next().unwrap().unwrap();
    let ids = batch
        .column(0)
        .as_any()
        .downcast_ref::<arrow::array::StringArray>()
        .unwrap();
    assert_eq!(
        ids.value(0),
        vault.pseudonym(&format!("{RAW_ACCOUNT}0")).unwrap()
    );

    let loads = t.audit_of("dataset.version_loaded").await;
    assert_eq!(loads.len(), 3);
    assert_eq!(loads[0].payload["details"]["rows"], 40);
    assert_eq!(loads[1].payload["details"]["mode"], "append");
    t.assert_audit_log_verifies().await;
}

async fn other_parties_cannot_load_and_only_supervisors_see_quality(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    load(&t, &prov, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .expect(201);

    let other = t.login(&p.other_provider).await;
    let denied_before = t.audit_of("authz.denied").await.len();
    load(&t, &other, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(403, "forbidden");
    let bank = t.login(&p.participant).await;
    load(&t, &bank, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(403, "forbidden");
    dataset(&t, &bank, &id).await.error(403, "forbidden");
    dataset(&t, &other, &id).await.error(403, "forbidden");
    assert_eq!(t.audit_of("authz.denied").await.len(), denied_before + 4);
    // Unauthenticated uploads never reach the loader.
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions"),
        Auth::None,
        Some(("text/csv", csv_rows(3, 0).into_bytes())),
    )
    .await
    .expect(401);
    // Cookie sessions need the CSRF token for uploads too.
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions"),
        Auth::CookieNoCsrf(&prov),
        Some(("text/csv", csv_rows(3, 0).into_bytes())),
    )
    .await
    .expect(403);

    let bureau = t.login(&p.bureau).await;
    let d = dataset(&t, &bureau, &id).await;
    d.expect(200);
    assert_eq!(
        d.json()["versions"].as_array().unwrap().len(),
        1,
        "nothing else was stored"
    );
    t.assert_audit_log_verifies().await;
}

async fn untyped_or_unclassified_columns_refuse_the_load(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, false).await;
    let e = load(&t, &prov, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(409, "dataset.columns_unclassified");
    assert!(e["message"].as_str().unwrap().contains("account_no"));
    let refused = t.audit_of("dataset.load_refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(
        refused[0].payload["details"]["code"],
        "dataset.columns_unclassified"
    );
    // Bad options are named.
    let typed = resource(&t, &prov, true).await;
    let e = load(&t, &prov, &typed, "?mode=merge&encoding=latin1", Vec::new())
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["mode", "encoding"]);
    load(&t, &prov, &typed, "?max_bad_rows=many", Vec::new())
        .await
        .error(422, "validation_failed");
    // Appending needs a first version.
    load(
        &t,
        &prov,
        &typed,
        "?mode=append",
        csv_rows(3, 0).into_bytes(),
    )
    .await
    .error(409, "dataset.append_without_base");
    t.assert_audit_log_verifies().await;
}

async fn malformed_rows_are_named_by_line_and_store_nothing(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let mut bad = csv_rows(3, 0);
    bad.push_str(",城关镇,5,2026-02-01\n"); // line 5: empty required account
    bad.push_str(&format!("{RAW_ACCOUNT}x,城关镇,五,2026-02-01\n")); // line 6: not an integer
    let e = load(&t, &prov, &id, "", bad.clone().into_bytes())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "line 5 column 1 (account_no)");
    assert!(
        e["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("第 5 行")
    );
    let e = load(&t, &prov, &id, "?max_bad_rows=1", bad.clone().into_bytes())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.too_many_bad_rows");
    assert_eq!(e["fields"].as_array().unwrap().len(), 3);
    // The header must match the catalog.
    let e = load(
        &t,
        &prov,
        &id,
        "",
        b"account,township,volume_m3,reading_date\n".to_vec(),
    )
    .await
    .error(422, "validation_failed");
    assert!(
        e["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("account_no")
    );
    // Not GB18030 either.
    let mut garbage = b"account_no,township,volume_m3,reading_date\nA1,".to_vec();
    garbage.extend_from_slice(&[0x81, 0x20]);
    let e = load(&t, &prov, &id, "?encoding=gb18030", garbage)
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.encoding_mismatch");
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["versions"], json!([]), "no load was committed");
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    // Within the limit: committed, rejected rows counted and alerted.
    let r = load(&t, &prov, &id, "?max_bad_rows=2", bad.into_bytes()).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(
        (v["rows_loaded"].as_i64(), v["rows_rejected"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(v["quality"]["alerts"][0]["dimension"], "conformity");
    t.assert_audit_log_verifies().await;
}

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

async fn api_keys_load_only_with_the_resources_load_scope(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let other_id = resource(&t, &prov, true).await;
    let admin = t.login(&t.admin).await;
    let key_admin = t
        .user_session(&admin, &p.provider.org_id, "water.admin", &["admin"])
        .await;
    let org = p.provider.org_id.clone();
    let issue = |scope: String| {
        let (t, key_admin, org) = (&t, &key_admin, &org);
        async move {
            let r = t
                .post(
                    &format!("/api/v1/organisations/{org}/api-keys"),
                    Auth::Cookie(key_admin),
                    &json!({ "scope": scope, "valid_days": 30 }),
                )
                .await;
            r.expect(201);
            (
                r.json()["key"].as_str().unwrap().to_owned(),
                r.json()["id"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (good, good_id) = issue(format!("dataset:{id}/load")).await;
    let (wrong, _) = issue(format!("dataset:{other_id}/load")).await;
    let (product, _) = issue("product:credit-score/scenario:smb-loans".into()).await;
    let send = |key: String| {
        let (t, id) = (&t, &id);
        async move {
            t.send(
                Method::POST,
                &format!("/api/v1/catalog/resources/{id}/versions"),
                Auth::ApiKey(&key),
                Some(("text/csv", csv_rows(4, 0).into_bytes())),
            )
            .await
        }
    };
    send(wrong).await.error(403, "forbidden");
    send(product).await.error(403, "forbidden");
    let r = send(good.clone()).await;
    r.expect(201);
    assert_eq!(r.json()["rows_loaded"], 4);
    let loaded = t.audit_of("dataset.version_loaded").await;
    let record = loaded.last().unwrap();
    assert_eq!(record.payload["details"]["api_key"], good_id.as_str());
    assert!(
        !record.payload.to_string().contains(&good),
        "never the secret"
    );
    // It may read the dataset's quality as its organisation.
    let r = t
        .get(
            &format!("/api/v1/catalog/resources/{id}/dataset"),
            Auth::ApiKey(&good),
        )
        .await;
    assert_eq!(r.status, 200, "the key acts for the provider organisation");
    t.assert_audit_log_verifies().await;
}

async fn console_shows_quality_to_the_provider_and_the_bureau_only(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let mut rows = String::from("account_no,township,volume_m3,reading_date\n");
    for i in 0..4 {
        rows.push_str(&format!(
            "A{i},城关镇,{},2026-02-01\n",
            if i == 0 { 5000 } else { 5 }
        ));
    }
    load(&t, &prov, &id, "", rows.into_bytes())
        .await
        .expect(201);

    let list = t.get("/console/datasets", Auth::CookieNoCsrf(&prov)).await;
    list.expect(200);
    let html = list.text();
    assert!(
        html.contains("居民用水量") && html.contains("750‰"),
        "{html}"
    );
    assert!(html.contains(&format!("/console/datasets/{id}")));
    let detail = t
        .get(
            &format!("/console/datasets/{id}"),
            Auth::CookieNoCsrf(&prov),
        )
        .await;
    detail.expect(200);
    let html = detail.text();
    assert!(
        html.contains("volume_m3") && html.contains("未通过校验规则"),
        "{html}"
    );
    assert!(
        !html.contains("A0") && !html.contains("5000"),
        "no data values on the page"
    );

    let bureau = t.login(&p.bureau).await;
    let html = t
        .get("/console/datasets", Auth::CookieNoCsrf(&bureau))
        .await
        .text();
    assert!(html.contains("750‰"));

    // The bank sees the catalog entry, not its quality, and no refusal is
    // recorded for merely browsing; the detail page is refused.
    let bank = t.login(&p.participant).await;
    let denied = t.audit_of("authz.denied").await.len();
    let html = t
        .get("/console/datasets", Auth::CookieNoCsrf(&bank))
        .await
        .text();
    assert!(html.contains("居民用水量") && !html.contains("750‰"));
    assert_eq!(t.audit_of("authz.denied").await.len(), denied);
    t.get(
        &format!("/console/datasets/{id}"),
        Auth::CookieNoCsrf(&bank),
    )
    .await
    .expect(403);
    // Not logged in: to the login page.
    let r = t.get("/console/datasets", Auth::None).await;
    assert_eq!(r.status, 303);
}

async fn a_replace_racing_an_append_never_mixes_states(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    load(&t, &prov, &id, "", csv_rows(10, 0).into_bytes())
        .await
        .expect(201);
    for _ in 0..3 {
        let replace = load(
            &t,
            &prov,
            &id,
            "?mode=replace",
            csv_rows(5, 100).into_bytes(),
        );
        let append = load(
            &t,
            &prov,
            &id,
            "?mode=append",
            csv_rows(3, 200).into_bytes(),
        );
        let (r, a) = tokio::join!(replace, append);
        r.expect(201);
        a.expect(201);
        let d = dataset(&t, &prov, &id).await.json();
        let rows = d["current_rows"].as_i64().unwrap();
        // Append after the replace: 5 + 3; replace last: 5. Never a mix
        // with the older state (10 + …).
        assert!(rows == 8 || rows == 5, "{d}");
    }
    t.assert_audit_log_verifies().await;
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

fn parquet_bytes(n: usize) -> Vec<u8> {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Date32Array, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    let schema = Arc::new(Schema::new(vec![
        Field::new("account_no", DataType::Utf8, false),
        Field::new("township", DataType::Utf8, true),
        Field::new("volume_m3", DataType::Int64, true),
        Field::new("reading_date", DataType::Date32, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(
            (0..n).map(|i| format!("{RAW_ACCOUNT}{i}")),
        )),
        Arc::new(StringArray::from_iter(
            (0..n).map(|i| (i % 2 == 0).then_some("南屯镇")),
        )),
        Arc::new(Int64Array::from_iter_values((0..n).map(|i| i as i64))),
        Arc::new(Date32Array::from_iter_values((0..n).map(|_| 20_500))),
    ];
    let batch = arrow::record_batch::RecordBatch::try_new(schema.clone(), cols).unwrap();
    let mut out = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

async fn parquet_bodies_load_from_memory_and_garbage_is_refused(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let send = |body: Vec<u8>| {
        let (t, prov, id) = (&t, &prov, &id);
        async move {
            t.send(
                Method::POST,
                &format!("/api/v1/catalog/resources/{id}/versions"),
                Auth::Cookie(prov),
                Some(("application/vnd.apache.parquet", body)),
            )
            .await
        }
    };
    let r = send(parquet_bytes(300)).await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["rows_loaded"], 300);
    assert_eq!(v["quality"]["columns"][1]["nulls"], 150);
    let e = send(b"PAR1 not really parquet".to_vec())
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["code"], "dataset.input_unreadable");
    let d = dataset(&t, &prov, &id).await.json();
    assert_eq!(d["versions"].as_array().unwrap().len(), 1);
    assert!(!files_contain(t.data_dir.path(), RAW_ACCOUNT.as_bytes()));
    t.assert_audit_log_verifies().await;
}
