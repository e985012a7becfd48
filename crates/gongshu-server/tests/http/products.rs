//! Data products over HTTP (issue 7): the credit scenario from the
//! operator's draft through automatic checks, the three-party review and
//! listing to a bank's consented verification call with an API key, each
//! refusal of the call path, fingerprint tracing across three
//! participants, and what each role must not do.

use chrono::TimeDelta;
use serde_json::{Value, json};

use crate::datasets::RAW_ACCOUNT;
use crate::sandbox::{World, world};
use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    a_bank_calls_a_consented_verification_after_review_and_listing,
    each_refusal_of_the_call_path_names_its_reason,
    fingerprints_trace_outputs_to_their_participants,
    roles_that_must_not_act_on_products_are_refused,
    quota_and_rate_answer_429_with_retry_after,
    a_key_used_from_many_networks_raises_a_signal_and_assets_are_registered,
);

const SCENARIO: &str = "居民信用评估";
const VERIFY: &str = "SELECT CASE WHEN count(*) >= :months THEN '是' ELSE '否' END AS has_readings, \
                      CASE WHEN sum(volume_m3) >= 30 THEN '30及以上' ELSE '30以下' END AS volume_band \
                      FROM water_use";

/// The county of `sandbox::world` plus what products need: approvers of
/// every party and an agreement in force.
struct Market {
    w: World,
    agency: Session,
    agency_officer: Session,
    bureau: Session,
    regulator: Session,
    water: Session,
    operator_approver: Session,
    agreement: String,
}

async fn market(t: &TestApp) -> Market {
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

async fn sign_agreement(t: &TestApp, m: &Market) -> String {
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

fn verification(m: &Market) -> Value {
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

fn statistics(m: &Market) -> Value {
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
async fn listed(t: &TestApp, m: &Market, body: &Value) -> String {
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

async fn decide(t: &TestApp, id: &str, s: &Session, verdict: &str, reason: Option<&str>) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/decisions"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "reason": reason }),
    )
    .await
}

/// A participant admitted through the four-party review, with the signed
/// undertaking.
struct Participant {
    org: String,
    officer: Session,
    admin: Session,
}

async fn admitted(t: &TestApp, m: &Market, org: String, prefix: &str) -> Participant {
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
async fn subscribe(
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

async fn consent(t: &TestApp, p: &Participant, account: &str) -> Value {
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

async fn call(t: &TestApp, key: &str, id: &str, body: &Value) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/calls"),
        Auth::BearerKey(key),
        body,
    )
    .await
}

fn about(account: &str, months: i64) -> Value {
    json!({ "scenario": SCENARIO, "params": { "subject": account, "months": months } })
}

/// Account 5 has one reading of 5 m³ (see `datasets::csv_rows`).
fn account(i: usize) -> String {
    format!("{RAW_ACCOUNT}{i}")
}

async fn a_bank_calls_a_consented_verification_after_review_and_listing(t: TestApp) {
    let m = market(&t).await;
    let v = t
        .post(
            "/api/v1/products",
            Auth::Cookie(&m.w.operator),
            &verification(&m),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["versions"][0]["status"], "draft");
    let path = format!("/api/v1/products/{id}");

    // The automatic check refuses a template that reads row-level values.
    let mut bad = verification(&m);
    bad["template"] = json!("SELECT volume_m3 FROM water_use WHERE volume_m3 >= :months");
    t.put(&format!("{path}/draft"), Auth::Cookie(&m.w.operator), &bad)
        .await
        .expect(200);
    let e = t
        .post(
            &format!("{path}/submission"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "template", "{e}");
    assert!(
        e["fields"][0]["code"]
            .as_str()
            .unwrap()
            .starts_with("sandbox.R")
    );
    t.put(
        &format!("{path}/draft"),
        Auth::Cookie(&m.w.operator),
        &verification(&m),
    )
    .await
    .expect(200);
    let v = t
        .post(
            &format!("{path}/submission"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .expect(200)
        .json();
    let version = &v["versions"][0];
    assert_eq!(version["status"], "in_review");
    assert_eq!(version["checks"]["plan_rules"], "passed");
    let parties: Vec<&str> = version["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["org_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        parties,
        [&m.w.orgs.agency, &m.w.orgs.regulator, &m.w.orgs.bureau].map(String::as_str)
    );

    // A rejection returns the draft with its reason; the next round starts afresh.
    decide(&t, &id, &m.regulator, "approve", None)
        .await
        .expect(200);
    decide(&t, &id, &m.bureau, "reject", None)
        .await
        .error(422, "validation_failed");
    let v = decide(&t, &id, &m.bureau, "reject", Some("用水量档位须说明口径"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "draft");
    t.post(
        &format!("{path}/submission"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    for s in [&m.regulator, &m.bureau] {
        decide(&t, &id, s, "approve", None).await.expect(200);
    }
    decide(&t, &id, &m.bureau, "approve", None)
        .await
        .error(409, "duplicate");
    let v = decide(&t, &id, &m.agency, "approve", None)
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "approved");
    assert_eq!(v["versions"][0]["review_round"], 2);
    let v = t
        .post(
            &format!("{path}/listing"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "listed");
    assert!(
        v["versions"][0]["registration_code"]
            .as_str()
            .unwrap()
            .starts_with("GSDP-")
    );

    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    // The bank sees the listed product, not its template.
    let seen = t
        .get(&path, Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    assert_eq!(seen["versions"][0]["definition"]["template"], "");
    let key = subscribe(&t, &m, &bank, &[&id], "2026-12-31")
        .await
        .remove(0);
    let c = consent(&t, &bank, &account(5)).await;
    assert_eq!(c["subject_masked"], "WATE****7315");

    let before = t.audit_of("product.called").await.len();
    let r = call(&t, &key, &id, &about(&account(5), 1)).await;
    r.expect(200);
    let out = r.json();
    assert_eq!(out["rows"][0]["values"], json!(["是", "30以下"]), "{out}");
    let fp = out["fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("gsfp1-"));
    assert_eq!(r.headers["x-gongshu-fingerprint"], fp);
    assert!(
        !r.text().contains(RAW_ACCOUNT) && !r.text().contains("p_"),
        "{out}"
    );
    // Two readings are more than account 5 has.
    let out = call(&t, &key, &id, &about(&account(5), 2))
        .await
        .expect(200)
        .json();
    assert_eq!(out["rows"][0]["values"][0], "否");

    let recs = t.audit_of("product.called").await;
    assert_eq!(recs.len(), before + 2);
    let last = &recs.last().unwrap().payload;
    assert_eq!(last["outcome"], "ok");
    assert_eq!(last["details"]["consent"], c["id"]);
    assert_eq!(last["details"]["fingerprint"], out["fingerprint"]);
    // The public portal lists the product with its price; the console
    // shows it to the bank without its template.
    let portal = t
        .get("/api/v1/public/portal", Auth::None)
        .await
        .expect(200)
        .json();
    assert_eq!(
        portal["products"][0]["name"], "居民用水活跃度核验",
        "{portal}"
    );
    assert_eq!(portal["products"][0]["price"], "0.50 元/次");
    assert_eq!(portal["products"][0]["status"], "已上架");
    let page = t
        .get("/console/products", Auth::CookieNoCsrf(&bank.officer))
        .await;
    page.expect(200);
    let html = page.text();
    assert!(
        html.contains("居民用水活跃度核验") && html.contains("已上架"),
        "{html}"
    );
    assert!(!html.contains("count(*)") && !html.contains(RAW_ACCOUNT));
    assert!(
        html.contains("WATE****7315"),
        "the bank sees its consent, masked"
    );
    let calls = t
        .get("/api/v1/product-calls", Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    assert_eq!(calls.as_array().unwrap().len(), 2);
    assert_eq!(calls[0]["price_fen"], 50);
    t.assert_audit_log_verifies().await;
}

async fn each_refusal_of_the_call_path_names_its_reason(t: TestApp) {
    let m = market(&t).await;
    let id = listed(&t, &m, &verification(&m)).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let keys = subscribe(&t, &m, &bank, &[&id, &stats], "2026-06-30").await;
    let (key, stats_key) = (&keys[0], &keys[1]);
    let c = consent(&t, &bank, &account(5)).await;
    call(&t, key, &id, &about(&account(5), 1)).await.expect(200);

    // No consent of this subject.
    call(&t, key, &id, &about(&account(6), 1))
        .await
        .error(403, "product.no_consent");
    // Another scenario than the subscription's.
    let mut body = about(&account(5), 1);
    body["scenario"] = json!("个人画像");
    call(&t, key, &id, &body)
        .await
        .error(403, "product.wrong_scenario");
    // Parameters: out of bounds, malformed subject, unknown.
    for (params, field) in [
        (
            json!({ "subject": account(5), "months": 13 }),
            "params.months",
        ),
        (
            json!({ "subject": "户号 5", "months": 1 }),
            "params.subject",
        ),
        (
            json!({ "subject": account(5), "months": 1, "x": 1 }),
            "params.x",
        ),
    ] {
        let e = call(
            &t,
            key,
            &id,
            &json!({ "scenario": SCENARIO, "params": params }),
        )
        .await
        .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    // A key of the bank's other subscription, and a key not for any subscription.
    call(&t, stats_key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.key_not_for_product");
    let plain = t
        .post(
            &format!("/api/v1/organisations/{}/api-keys", bank.org),
            Auth::Cookie(&bank.admin),
            &json!({ "scope": "reports", "valid_days": 30 }),
        )
        .await
        .expect(201)
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    call(&t, &plain, &id, &about(&account(5), 1))
        .await
        .error(403, "product.key_not_for_product");
    // A session is not a key.
    call_with_session(&t, &bank.officer, &id)
        .await
        .error(403, "product.api_key_required");

    // Suspended by the implementing agency, then resumed.
    t.post(
        &format!("/api/v1/products/{id}/suspension"),
        Auth::Cookie(&m.agency_officer),
        &json!({ "reason": "接群众举报，暂停核查" }),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(409, "product.suspended");
    t.post(
        &format!("/api/v1/products/{id}/resumption"),
        Auth::Cookie(&m.agency_officer),
        &json!({}),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1)).await.expect(200);

    // A revoked consent stops calls at once.
    t.post(
        &format!("/api/v1/consents/{}/revocation", c["id"].as_str().unwrap()),
        Auth::Cookie(&bank.officer),
        &json!({ "reason": "居民撤回授权" }),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.no_consent");
    consent(&t, &bank, &account(5)).await;

    // The operator's agreement ends: no product is served.
    let tid = t
        .post(
            "/api/v1/terminations",
            Auth::Cookie(&m.agency_officer),
            &json!({ "agreement_id": m.agreement, "trigger": "security_incident",
                     "reasons": "2026 年 2 月发生数据泄露事件，经调查属实" }),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stats_body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    call(&t, stats_key, &stats, &stats_body).await.expect(200);
    t.post(
        &format!("/api/v1/terminations/{tid}/decide"),
        Auth::Cookie(&m.agency),
        &json!({ "approve": true, "note": "经集体研究决定" }),
    )
    .await
    .expect(200);
    call(&t, stats_key, &stats, &stats_body)
        .await
        .error(409, "product.agreement_not_in_force");

    // Past the subscription's last day.
    t.advance(TimeDelta::days(150));
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.subscription_not_live");

    let refused: Vec<String> = t
        .audit_of("product.called")
        .await
        .iter()
        .filter(|r| r.payload["outcome"] == "refused")
        .map(|r| r.payload["details"]["code"].as_str().unwrap().to_owned())
        .collect();
    for code in [
        "product.no_consent",
        "product.wrong_scenario",
        "validation_failed",
        "product.key_not_for_product",
        "product.suspended",
        "product.agreement_not_in_force",
        "product.subscription_not_live",
    ] {
        assert!(
            refused.iter().any(|c| c == code),
            "{code} not audited: {refused:?}"
        );
    }
    t.assert_audit_log_verifies().await;
}

async fn call_with_session(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/calls"),
        Auth::Cookie(s),
        &about(&account(5), 1),
    )
    .await
}

async fn fingerprints_trace_outputs_to_their_participants(t: TestApp) {
    let m = market(&t).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let admin = t.login(&t.admin).await;
    let mut outputs = Vec::new();
    for (i, name) in ["测试县建设银行", "测试县小额贷款公司"].iter().enumerate() {
        let org = t.create_org(&admin, name, "participant").await;
        let p = admitted(&t, &m, org, &format!("p{i}")).await;
        outputs.push((p.org.clone(), p));
    }
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    outputs.push((bank.org.clone(), bank));
    let body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    let mut delivered = Vec::new();
    for (org, p) in &outputs {
        let key = subscribe(&t, &m, p, &[&stats], "2026-12-31")
            .await
            .remove(0);
        let out = call(&t, &key, &stats, &body).await.expect(200).json();
        delivered.push((org.clone(), out));
    }
    // The same statistics, three different fingerprints.
    assert_eq!(delivered[0].1["rows"], delivered[1].1["rows"]);
    assert_ne!(delivered[0].1["fingerprint"], delivered[1].1["fingerprint"]);
    for (org, out) in &delivered {
        let v = t
            .post(
                "/api/v1/product-calls/trace",
                Auth::Cookie(&m.bureau),
                &json!({ "output": out }),
            )
            .await
            .expect(200)
            .json();
        assert_eq!(v["traced"], true, "{v}");
        assert_eq!(v["participant_org"], org.as_str());
        assert_eq!(v["content_unchanged"], true);
    }
    // Altered rows keep the receiver but are reported; a forged
    // fingerprint names nobody; no fingerprint is a 422.
    let mut altered = delivered[0].1.clone();
    altered["rows"][0]["values"][1] = json!(999);
    let v = t
        .post(
            "/api/v1/product-calls/trace",
            Auth::Cookie(&m.agency_officer),
            &json!({ "output": altered }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["participant_org"], delivered[0].0.as_str());
    assert_eq!(v["content_unchanged"], false);
    let mut forged = delivered[0].1.clone();
    forged["fingerprint"] = json!("gsfp1-000000000000000000000000");
    let v = t
        .post(
            "/api/v1/product-calls/trace",
            Auth::Cookie(&m.bureau),
            &json!({ "output": forged }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["traced"], false);
    t.post(
        "/api/v1/product-calls/trace",
        Auth::Cookie(&m.bureau),
        &json!({ "output": { "rows": [] } }),
    )
    .await
    .error(422, "validation_failed");
    // A participant cannot trace.
    t.post(
        "/api/v1/product-calls/trace",
        Auth::Cookie(&outputs[0].1.officer),
        &json!({ "output": delivered[1].1 }),
    )
    .await
    .error(403, "forbidden");
    assert_eq!(t.audit_of("product.output_traced").await.len(), 5);
}

async fn roles_that_must_not_act_on_products_are_refused(t: TestApp) {
    let m = market(&t).await;
    // Only the operator drafts.
    for s in [&m.w.bank, &m.agency_officer, &m.w.provider] {
        let r = t
            .post("/api/v1/products", Auth::Cookie(s), &verification(&m))
            .await;
        assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    }
    let v = t
        .post(
            "/api/v1/products",
            Auth::Cookie(&m.w.operator),
            &verification(&m),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    // Drafts are not visible to participants.
    t.get(&format!("/api/v1/products/{id}"), Auth::Cookie(&m.w.bank))
        .await
        .error(404, "not_found");
    t.post(
        &format!("/api/v1/products/{id}/submission"),
        Auth::Cookie(&m.w.bank),
        &json!({}),
    )
    .await
    .error(403, "forbidden");
    t.post(
        &format!("/api/v1/products/{id}/submission"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    // The operator does not review its own product; a data source unit is
    // no party; a party's case officer does not decide.
    decide(&t, &id, &m.operator_approver, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &id, &m.water, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &id, &m.agency_officer, "approve", None)
        .await
        .error(403, "forbidden");
    // The console offers the form to a party that has not decided yet,
    // and takes its decision (with the session's CSRF token).
    let html = t
        .get("/console/products", Auth::CookieNoCsrf(&m.regulator))
        .await
        .text();
    assert!(html.contains("提交审核意见"), "{html}");
    let html = t
        .get("/console/products", Auth::CookieNoCsrf(&m.water))
        .await
        .text();
    assert!(
        !html.contains("居民用水活跃度核验"),
        "a data source unit sees no draft"
    );
    let form = |csrf: &str| format!("csrf={csrf}&verdict=approve&reason=").into_bytes();
    let path = format!("/console/products/{id}/decision");
    let html = t
        .send(
            axum::http::Method::POST,
            &path,
            Auth::CookieNoCsrf(&m.regulator),
            Some(("application/x-www-form-urlencoded", form("forged"))),
        )
        .await
        .text();
    assert!(html.contains("表单已过期"), "{html}");
    let html = t
        .send(
            axum::http::Method::POST,
            &path,
            Auth::CookieNoCsrf(&m.regulator),
            Some(("application/x-www-form-urlencoded", form(&m.regulator.csrf))),
        )
        .await
        .text();
    assert!(html.contains("已提交审核意见"), "{html}");
    // Not approved yet: cannot be listed.
    t.post(
        &format!("/api/v1/products/{id}/listing"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .error(409, "product.transition");
    // A participant does not suspend; nobody changes an approved version in place.
    for s in [&m.bureau, &m.agency] {
        decide(&t, &id, s, "approve", None).await.expect(200);
    }
    t.put(
        &format!("/api/v1/products/{id}/draft"),
        Auth::Cookie(&m.w.operator),
        &verification(&m),
    )
    .await
    .error(409, "product.not_draft");
    t.post(
        &format!("/api/v1/products/{id}/suspension"),
        Auth::Cookie(&m.w.bank),
        &json!({ "reason": "x" }),
    )
    .await
    .error(403, "forbidden");
    // Consents are recorded by participants only, with a valid identifier.
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let mut body = json!({
        "subject_kind": "credit_code", "subject_id": "91130630MA0A1B2C38", "scenario": SCENARIO,
        "purpose": "授信", "valid_from": "2026-03-01", "valid_until": "2030-03-01",
        "evidence_note": "授权书", "evidence_sha256": "zz",
    });
    let e = t
        .post("/api/v1/consents", Auth::Cookie(&bank.officer), &body)
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["subject_id", "evidence_sha256", "valid_until"],
        "{e}"
    );
    body["subject_id"] = json!("91130630MA0A1B2C39");
    body["valid_until"] = json!("2027-03-01");
    body["evidence_sha256"] =
        json!("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    t.post("/api/v1/consents", Auth::Cookie(&m.w.operator), &body)
        .await
        .error(403, "consent.not_participant");
    let c = t
        .post("/api/v1/consents", Auth::Cookie(&bank.officer), &body)
        .await
        .expect(201)
        .json();
    assert!(!c.to_string().contains("MA0A1B2C"), "{c}");
    // Another participant cannot revoke it.
    let admin = t.login(&t.admin).await;
    let other = t.create_org(&admin, "其他银行", "participant").await;
    let other = t
        .user_session(&admin, &other, "other.officer", &["case_officer"])
        .await;
    t.post(
        &format!("/api/v1/consents/{}/revocation", c["id"].as_str().unwrap()),
        Auth::Cookie(&other),
        &json!({ "reason": "x" }),
    )
    .await
    .error(404, "not_found");
}

async fn quota_and_rate_answer_429_with_retry_after(t: TestApp) {
    let m = market(&t).await;
    let mut body = statistics(&m);
    body["daily_quota"] = json!(2);
    let stats = listed(&t, &m, &body).await;
    let mut body = statistics(&m);
    body["name"] = json!("乡镇用水户数统计（高频）");
    body["rate_per_minute"] = json!(1);
    let fast = listed(&t, &m, &body).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let keys = subscribe(&t, &m, &bank, &[&stats, &fast], "2026-12-31").await;
    let call_body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    for _ in 0..2 {
        call(&t, &keys[0], &stats, &call_body).await.expect(200);
    }
    let r = call(&t, &keys[0], &stats, &call_body).await;
    r.error(429, "product.quota_exhausted");
    // Until midnight in Shanghai (UTC+8).
    let now = t.app.clock().now().timestamp();
    let to_midnight = 86_400 - (now + 8 * 3600).rem_euclid(86_400);
    let after: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(after, to_midnight);
    call(&t, &keys[1], &fast, &call_body).await.expect(200);
    let r = call(&t, &keys[1], &fast, &call_body).await;
    r.error(429, "product.rate_limited");
    let to_minute = 60 - t.app.clock().now().timestamp().rem_euclid(60);
    assert_eq!(r.headers["retry-after"], to_minute.to_string().as_str());
    // A new day: calls again.
    t.advance(TimeDelta::hours(16));
    call(&t, &keys[0], &stats, &call_body).await.expect(200);
}

async fn a_key_used_from_many_networks_raises_a_signal_and_assets_are_registered(t: TestApp) {
    let m = market(&t).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let key = subscribe(&t, &m, &bank, &[&stats], "2026-12-31")
        .await
        .remove(0);
    let body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    let alerts = async |s: &Session| {
        t.get("/api/v1/product-alerts", Auth::Cookie(s))
            .await
            .expect(200)
            .json()
    };
    for ip in ["10.1.1.7", "10.1.1.8", "10.1.2.7", "172.16.5.1"] {
        t.set_peer(ip);
        call(&t, &key, &stats, &body).await.expect(200);
    }
    assert_eq!(
        alerts(&m.bureau).await,
        json!([]),
        "three networks are ordinary"
    );
    t.set_peer("2001:db8:1::5");
    call(&t, &key, &stats, &body).await.expect(200);
    let v = alerts(&m.bureau).await;
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["kind"], "many_networks");
    assert_eq!(v[0]["participant_org"], bank.org.as_str());
    assert_eq!(v[0]["product_id"], stats.as_str());
    assert_eq!(alerts(&m.w.operator).await, v);
    t.get("/api/v1/product-alerts", Auth::Cookie(&bank.officer))
        .await
        .error(403, "product.alerts_not_allowed");

    // Derived assets: provenance required and checked, IP terms attached.
    let asset = json!({ "kind": "model", "name": "用水行为信用评分模型 v1",
                        "description": "基于乡镇用水统计产品训练的评分模型", "products": [stats] });
    let e = t
        .post(
            "/api/v1/derived-assets",
            Auth::Cookie(&bank.officer),
            &json!({ "kind": "dataset", "name": "x", "description": "", "grants": ["nope"] }),
        )
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["kind", "name", "description", "grants[0]"], "{e}");
    t.post(
        "/api/v1/derived-assets",
        Auth::Cookie(&m.w.provider),
        &asset,
    )
    .await
    .error(403, "derived_asset.owner_kind");
    let v = t
        .post(
            "/api/v1/derived-assets",
            Auth::Cookie(&bank.officer),
            &asset,
        )
        .await
        .expect(201)
        .json();
    assert!(v["ip_terms"].as_str().unwrap().contains("有限的知识产权"));
    let all = t
        .get("/api/v1/derived-assets", Auth::Cookie(&m.bureau))
        .await
        .expect(200)
        .json();
    assert_eq!(all.as_array().unwrap().len(), 1);
    let own = t
        .get("/api/v1/derived-assets", Auth::Cookie(&m.w.operator))
        .await
        .expect(200)
        .json();
    assert_eq!(own, json!([]));
    assert_eq!(t.audit_of("derived_asset.registered").await.len(), 1);
}
