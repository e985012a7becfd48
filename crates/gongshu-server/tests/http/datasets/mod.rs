//! Dataset loads (数据集加载) over HTTP: a data source unit streams CSV
//! into its own catalog resource; versions are immutable and encrypted,
//! direct identifiers pseudonymised, malformed input named by line with
//! nothing stored, quality scored with alerts in the inbox (S-6.4).
//! Shared fixtures here; scenarios in `loads`, `access` and `quality`.
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{Auth, Creds, Resp, Session, TestApp};

mod access;
mod loads;
mod quality;

pub(crate) const RAW_ACCOUNT: &str = "WATERACCT7731";

pub(super) struct Parties {
    pub(super) provider: Creds,
    pub(super) other_provider: Creds,
    pub(super) bureau: Creds,
    pub(super) participant: Creds,
}

pub(super) async fn parties(t: &TestApp) -> Parties {
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

pub(crate) fn columns(typed: bool) -> Value {
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

pub(super) async fn resource(t: &TestApp, s: &Session, typed: bool) -> String {
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

pub(crate) fn csv_rows(n: usize, first: usize) -> String {
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

pub(crate) async fn load(t: &TestApp, s: &Session, id: &str, query: &str, body: Vec<u8>) -> Resp {
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions{query}"),
        Auth::Cookie(s),
        Some(("text/csv", body)),
    )
    .await
}

pub(super) async fn dataset(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.get(
        &format!("/api/v1/catalog/resources/{id}/dataset"),
        Auth::Cookie(s),
    )
    .await
}

/// Whether any file under `dir` holds `needle`. Files that vanish while
/// the walk runs (the audit log publishes through temporary files that it
/// renames) are skipped; any other error fails the test.
pub(super) fn files_contain(dir: &std::path::Path, needle: &[u8]) -> bool {
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let mut entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if gone(&e) => return false,
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    entries.any(|e| {
        let p = match e {
            Ok(e) => e.path(),
            Err(e) if gone(&e) => return false,
            Err(e) => panic!("{}: {e}", dir.display()),
        };
        if p.is_dir() {
            return files_contain(&p, needle);
        }
        match std::fs::read(&p) {
            Ok(b) => b.windows(needle.len()).any(|w| w == needle),
            Err(e) if gone(&e) => false,
            Err(e) => panic!("{}: {e}", p.display()),
        }
    })
}
