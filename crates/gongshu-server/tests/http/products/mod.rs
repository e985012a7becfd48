//! Data products over HTTP (issue 7): the credit scenario from the
//! operator's draft through automatic checks, the three-party review and
//! listing to a bank's consented verification call with an API key, each
//! refusal of the call path, fingerprint tracing across three
//! participants, re-licensing signals, and what each role must not do.
//! Shared fixtures here; scenarios in `lifecycle`, `calls` and `tracing`.

use serde_json::{Value, json};

use crate::datasets::RAW_ACCOUNT;
use crate::sandbox::{World, world};
use crate::support::{Auth, Resp, Session, TestApp};

mod calls;
mod lifecycle;
mod tracing;

pub(super) const SCENARIO: &str = "居民信用评估";
pub(super) const VERIFY: &str = "SELECT CASE WHEN count(*) >= :months THEN '是' ELSE '否' END AS has_readings, \
                      CASE WHEN sum(volume_m3) >= 30 THEN '30及以上' ELSE '30以下' END AS volume_band \
                      FROM water_use";

/// The county of `sandbox::world` plus what products need: approvers of
/// every party and an agreement in force.
pub(super) struct Market {
    pub(super) w: World,
    pub(super) agency: Session,
    pub(super) agency_officer: Session,
    pub(super) bureau: Session,
    pub(super) regulator: Session,
    pub(super) water: Session,
    pub(super) operator_approver: Session,
    pub(super) agreement: String,
}

pub(super) async fn market(t: &TestApp) -> Market {
    let w = world(t).await;
    let admin = t.login(&t.admin).await;
    let s = |org: String, name: &'static str, role: &'static str| {
        let admin = &admin;
        async move { t.user_session(admin, &org, name, &[role]).await }
    };
    let m = Market {
        agency: s(w.orgs.agency.clone(), "pa.approver", "approver").await,
        agency_officer: s(w.orgs.agency.clone(), "pa.officer", "case_officer").await,
        bureau: s(w.orgs.bureau.clone(), "pb.approver", "approver").await,
        regulator: s(w.orgs.regulator.clone(), "pr.approver", "approver").await,
        water: s(w.orgs.water.clone(), "pw.approver", "approver").await,
        operator_approver: s(w.orgs.operator.clone(), "po.approver", "approver").await,
        agreement: String::new(),
        w,
    };
    let agreement = sign_agreement(t, &m).await;
    Market { agreement, ..m }
}

pub(super) async fn sign_agreement(t: &TestApp, m: &Market) -> String {
    let clauses = json!({
        "data_scope": { "catalog": "测试县公共数据资源目录（2026 版）", "dataset_ids": [m.w.resource] },
        "term": { "start": "2026-02-13", "end": "2029-02-12" },
        "products_and_services": "产品和服务清单见附件一",
        "technical_platform": "依托县公共数据授权运营平台",
        "asset_ownership": "平台软硬件归县实施机构所有",
        "disclosure": "按季度披露",
        "cost_revenue_and_distribution": "单独建账、独立核算",
        "security_and_emergency": "落实数据安全责任",
        "evaluation_renewal_exit": "年度评估，不合格退出",
        "breach_liability": "违约方承担责任",
        "dispute_resolution": "由实施机构协调",
        "change_and_termination": "重大变更重新决策",
        "other": "一式四份",
    });
    let id = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&m.agency_officer),
            &json!({ "operator_org_id": m.w.orgs.operator, "clauses": clauses }),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.post(
        &format!("/api/v1/agreements/{id}/opinions"),
        Auth::Cookie(&m.agency_officer),
        &json!({ "from_org_id": m.w.orgs.regulator, "received_on": "2026-01-20", "opinion": "同意" }),
    )
    .await
    .expect(200);
    t.post(
        &format!("/api/v1/agreements/{id}/decide"),
        Auth::Cookie(&m.agency),
        &json!({ "decided_on": "2026-02-10", "meeting_ref": "纪要〔2026〕3号" }),
    )
    .await
    .expect(200);
    t.post(
        &format!("/api/v1/agreements/{id}/sign"),
        Auth::Cookie(&m.agency_officer),
        &json!({ "signed_on": "2026-02-13" }),
    )
    .await
    .expect(200);
    id
}

pub(super) fn verification(m: &Market) -> Value {
    json!({
        "name": "居民用水活跃度核验",
        "kind": "verification",
        "summary": "经居民授权，核验其户号是否有用水记录及用水量档位",
        "template": VERIFY,
        "params": [
            { "name": "subject", "label_zh": "户号", "type": "subject", "id_kind": "account" },
            { "name": "months", "label_zh": "至少抄表次数", "type": "integer", "min": 1, "max": 12 },
        ],
        "subject_column": "account_no",
        "datasets": [m.w.resource],
        "scenarios": [SCENARIO],
        "category": "industry_development",
        "billing_unit": "per_call",
        "price": 50,
        "sector": "utilities",
    })
}

pub(super) fn statistics(m: &Market) -> Value {
    json!({
        "name": "乡镇用水户数统计",
        "kind": "statistics",
        "summary": "按乡镇统计有用水记录的户数",
        "template": "SELECT township, count(DISTINCT account_no) AS accounts FROM water_use \
                     WHERE township <> :excluded GROUP BY township ORDER BY township",
        "params": [{ "name": "excluded", "label_zh": "排除的乡镇", "type": "choice",
                     "values": ["无", "城关镇", "南屯镇"] }],
        "datasets": [m.w.resource],
        "scenarios": [SCENARIO],
        "category": "public_welfare",
        "billing_unit": "per_call",
        "price": 0,
        "sector": "utilities",
    })
}

/// Drafts, submits, has every party approve and lists `body`.
pub(super) async fn listed(t: &TestApp, m: &Market, body: &Value) -> String {
    let v = t
        .post("/api/v1/products", Auth::Cookie(&m.w.operator), body)
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/products/{id}/submission"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    for s in [&m.regulator, &m.bureau, &m.agency] {
        decide(t, &id, s, "approve", None).await.expect(200);
    }
    t.post(
        &format!("/api/v1/products/{id}/listing"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    id
}

pub(super) async fn decide(
    t: &TestApp,
    id: &str,
    s: &Session,
    verdict: &str,
    reason: Option<&str>,
) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/decisions"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "reason": reason }),
    )
    .await
}

/// A participant admitted through the four-party review, with the signed
/// undertaking.
pub(super) struct Participant {
    pub(super) org: String,
    pub(super) officer: Session,
    pub(super) admin: Session,
}

pub(super) async fn admitted(t: &TestApp, m: &Market, org: String, prefix: &str) -> Participant {
    let admin = t.login(&t.admin).await;
    let officer = t
        .user_session(
            &admin,
            &org,
            &format!("{prefix}.officer"),
            &["case_officer"],
        )
        .await;
    let org_admin = t
        .user_session(&admin, &org, &format!("{prefix}.admin"), &["admin"])
        .await;
    let entry = t
        .post(
            "/api/v1/market-entries",
            Auth::Cookie(&officer),
            &json!({
                "sector": "utilities", "qualification": "金融许可证、营业执照",
                "compliance": "数据合规制度", "technical_security": "等保三级测评报告",
                "data_source_org": m.w.orgs.water,
            }),
        )
        .await;
    let path = format!(
        "/api/v1/market-entries/{}",
        entry.expect(201).json()["id"].as_str().unwrap()
    );
    for p in [&m.agency, &m.regulator, &m.operator_approver, &m.water] {
        t.post(
            &format!("{path}/decisions"),
            Auth::Cookie(p),
            &json!({ "verdict": "approve", "reason": null }),
        )
        .await
        .expect(200);
    }
    let version = t.get(&path, Auth::Cookie(&officer)).await.json()["undertaking_version"]
        .as_str()
        .unwrap()
        .to_owned();
    t.post(
        &format!("{path}/undertaking"),
        Auth::Cookie(&officer),
        &json!({ "version": version }),
    )
    .await
    .expect(200);
    Participant {
        org,
        officer,
        admin: org_admin,
    }
}

/// An approved product use application; returns one key per product.
pub(super) async fn subscribe(
    t: &TestApp,
    m: &Market,
    p: &Participant,
    products: &[&str],
    until: &str,
) -> Vec<String> {
    let v = t
        .post(
            "/api/v1/use-applications",
            Auth::Cookie(&p.officer),
            &json!({
                "kind": "product_subscription", "scenario": SCENARIO,
                "purpose": "经居民授权评估其信用", "valid_from": "2026-03-01",
                "valid_until": until, "products": products,
            }),
        )
        .await
        .expect(201)
        .json();
    let path = format!("/api/v1/use-applications/{}", v["id"].as_str().unwrap());
    for s in [&m.operator_approver, &m.agency] {
        t.post(
            &format!("{path}/decisions"),
            Auth::Cookie(s),
            &json!({ "verdict": "approve", "reason": null }),
        )
        .await
        .expect(200);
    }
    let subs = t
        .get("/api/v1/subscriptions", Auth::Cookie(&p.officer))
        .await
        .expect(200)
        .json();
    let mut keys = Vec::new();
    for product in products {
        let sub = subs
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["product_id"] == *product)
            .unwrap();
        let k = t
            .post(
                &format!("/api/v1/subscriptions/{}/keys", sub["id"].as_str().unwrap()),
                Auth::Cookie(&p.admin),
                &json!({ "valid_days": 366 }),
            )
            .await
            .expect(201)
            .json();
        keys.push(k["key"].as_str().unwrap().to_owned());
    }
    keys
}

pub(super) async fn consent(t: &TestApp, p: &Participant, account: &str) -> Value {
    t.post(
        "/api/v1/consents",
        Auth::Cookie(&p.officer),
        &json!({
            "subject_kind": "account", "subject_id": account, "scenario": SCENARIO,
            "purpose": "评估用水缴费情况以核定授信", "valid_from": "2026-03-01",
            "valid_until": "2027-02-28", "evidence_note": "本人签字的授权书扫描件",
            "evidence_sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        }),
    )
    .await
    .expect(201)
    .json()
}

pub(super) async fn call(t: &TestApp, key: &str, id: &str, body: &Value) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/calls"),
        Auth::BearerKey(key),
        body,
    )
    .await
}

pub(super) fn about(account: &str, months: i64) -> Value {
    json!({ "scenario": SCENARIO, "params": { "subject": account, "months": months } })
}

/// Account 5 has one reading of 5 m³ (see `datasets::csv_rows`).
pub(super) fn account(i: usize) -> String {
    format!("{RAW_ACCOUNT}{i}")
}
