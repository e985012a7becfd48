//! 评估与终止 over HTTP, with real logins: the data bureau's evaluation
//! with exact scoring and rectification (S-7.2-3), whose unrectified 不合格
//! refuses renewal, and the termination (S-3.3.5) that revokes every grant,
//! API key and session at once, keeps a destruction record per dataset
//! (keys pending the vault: nothing destroyed yet) and is filed with the
//! city within 10 working days.
//!
//! The test clock starts on 2026-03-02 (Monday), 09:00 in Beijing.

use chrono::{NaiveDate, TimeDelta};
use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    failed_evaluation_not_rectified_in_time_refuses_renewal,
    evaluation_input_and_roles_are_checked,
    termination_revokes_every_access_at_once,
    proposer_cannot_decide_and_only_an_agreement_in_force_terminates,
    concurrent_termination_decisions_have_one_winner,
);

const DATASET_A: &str = "018f3c1e-0000-7000-8000-000000000001";
const DATASET_B: &str = "018f3c1e-0000-7000-8000-000000000002";

/// The county's parties, logged in.
struct World {
    ia_officer: Session,
    ia_approver: Session,
    ia_approver2: Session,
    bureau: Session,
    bureau_officer: Session,
    op_officer: Session,
    op_admin: Session,
    regulator_officer: Session,
    source: Session,
    participant: Session,
    operator_org: String,
    source_org: String,
    regulator_org: String,
}

async fn world(t: &TestApp) -> World {
    let admin = t.login(&t.admin).await;
    let ia = t.admin.org_id.clone();
    let bureau_org = t
        .create_org(&admin, "测试县数据管理局", "data_bureau")
        .await;
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let regulator_org = t
        .create_org_in_sector(&admin, "测试县交通运输局", "sector_regulator", "transport")
        .await;
    let source_org = t
        .create_org(&admin, "测试县公交公司", "data_source_unit")
        .await;
    let participant_org = t
        .create_org(&admin, "测试数据科技有限公司", "participant")
        .await;
    World {
        ia_officer: t
            .user_session(&admin, &ia, "ia.officer", &["case_officer"])
            .await,
        ia_approver: t
            .user_session(&admin, &ia, "ia.approver", &["approver"])
            .await,
        ia_approver2: t
            .user_session(&admin, &ia, "ia.approver2", &["approver"])
            .await,
        bureau: t
            .user_session(&admin, &bureau_org, "db.approver", &["approver"])
            .await,
        bureau_officer: t
            .user_session(&admin, &bureau_org, "db.officer", &["case_officer"])
            .await,
        op_officer: t
            .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
            .await,
        op_admin: t
            .user_session(&admin, &operator_org, "op.admin", &["admin"])
            .await,
        regulator_officer: t
            .user_session(&admin, &regulator_org, "reg.officer", &["case_officer"])
            .await,
        source: t
            .user_session(&admin, &source_org, "src.approver", &["approver"])
            .await,
        participant: t
            .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
            .await,
        operator_org,
        source_org,
        regulator_org,
    }
}

fn clauses(start: &str, end: &str) -> Value {
    json!({
        "data_scope": { "catalog": "测试县公共数据资源目录（2026 版）", "dataset_ids": [DATASET_A, DATASET_B] },
        "term": { "start": start, "end": end },
        "products_and_services": "产品和服务清单见附件一",
        "technical_platform": "依托市公共数据授权运营平台",
        "asset_ownership": "平台软硬件归县实施机构所有",
        "disclosure": "按季度披露",
        "cost_revenue_and_distribution": "单独建账、独立核算",
        "security_and_emergency": "落实数据安全责任",
        "evaluation_renewal_exit": "年度评估，不合格退出",
        "breach_liability": "违约方承担责任",
        "dispute_resolution": "由实施机构协调",
        "change_and_termination": "重大变更重新决策",
        "other": "一式四份",
    })
}

/// A signed agreement with `term`; returns its id.
async fn agreement(t: &TestApp, w: &World, start: &str, end: &str) -> String {
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&w.ia_officer),
            &json!({ "operator_org_id": w.operator_org, "clauses": clauses(start, end) }),
        )
        .await;
    let id = r.expect(201).json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/agreements/{id}/opinions"),
        Auth::Cookie(&w.ia_officer),
        &json!({ "from_org_id": w.regulator_org, "received_on": "2026-01-20", "opinion": "同意" }),
    )
    .await
    .expect(200);
    t.post(
        &format!("/api/v1/agreements/{id}/decide"),
        Auth::Cookie(&w.ia_approver),
        &json!({ "decided_on": "2026-02-10", "meeting_ref": "纪要〔2026〕3号" }),
    )
    .await
    .expect(200);
    t.post(
        &format!("/api/v1/agreements/{id}/sign"),
        Auth::Cookie(&w.ia_officer),
        &json!({ "signed_on": "2026-02-13" }),
    )
    .await
    .expect(200);
    id
}

fn scores(values: [i64; 5]) -> Value {
    let names = [
        "security",
        "performance",
        "scenario_benefit",
        "public_interest",
        "data_quality",
    ];
    Value::Array(
        names
            .iter()
            .zip(values)
            .map(|(n, s)| json!({ "indicator": n, "score": s }))
            .collect(),
    )
}

async fn evaluate(t: &TestApp, who: &Session, agreement: &str, body: Value) -> Resp {
    let mut b = json!({
        "agreement_id": agreement,
        "period_start": "2025-07-03",
        "period_end": "2026-02-28",
        "findings": "数据安全负责人未明确，公益服务场景不足",
    });
    if let (Some(b), Some(extra)) = (b.as_object_mut(), body.as_object()) {
        b.extend(extra.clone());
    }
    t.post("/api/v1/evaluations", Auth::Cookie(who), &b).await
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn failed_evaluation_not_rectified_in_time_refuses_renewal(t: TestApp) {
    let w = world(&t).await;
    // Ends 2026-07-02: renewal opens on 2026-04-03.
    let id = agreement(&t, &w, "2025-07-03", "2026-07-02").await;

    // A good evaluation: 30·90 + 25·85 + 20·80 + 15·88 + 10·70 = 84.45, 良好.
    let v = evaluate(
        &t,
        &w.bureau_officer,
        &id,
        json!({ "scores": scores([90, 85, 80, 88, 70]) }),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(v["total"], "84.45");
    assert_eq!(v["total_hundredths"], 8445);
    assert_eq!(v["grade"], "good");
    assert_eq!(v["grade_label"], "良好");
    assert_eq!(v["status"], "completed");

    // A failing one: 30·50 + 25·60 + 20·55 + 15·40 + 10·70 = 54.00, 不合格,
    // to rectify within 30 日 (2026-04-01).
    let v = evaluate(
        &t,
        &w.bureau,
        &id,
        json!({
            "scores": scores([50, 60, 55, 40, 70]),
            "rectification": { "requirements": ["明确数据安全负责人和部门", "增加公益服务场景"] },
        }),
    )
    .await
    .expect(201)
    .json();
    assert_eq!(v["total"], "54.00");
    assert_eq!(v["grade_label"], "不合格");
    assert_eq!(v["status"], "rectifying");
    assert_eq!(v["rectification_due_on"], "2026-04-01");
    let ev = v["id"].as_str().unwrap().to_owned();

    // Readable by the implementing agency and the operator, not by others.
    let path = format!("/api/v1/evaluations/{ev}");
    t.get(&path, Auth::Cookie(&w.ia_officer)).await.expect(200);
    t.get(&path, Auth::Cookie(&w.op_officer)).await.expect(200);
    t.get(&path, Auth::Cookie(&w.participant))
        .await
        .error(403, "forbidden");
    let listed = t
        .get("/api/v1/evaluations", Auth::Cookie(&w.participant))
        .await
        .expect(200)
        .json();
    assert!(listed.as_array().unwrap().is_empty());

    // The rectification is the operator's inbox obligation.
    let obligations = gongshu_app::evaluations::open_obligations(&t.app, date("2026-03-02"))
        .await
        .unwrap();
    let o = obligations
        .iter()
        .find(|o| o.kind == "evaluation.rectification")
        .expect("rectification obligation");
    assert_eq!(o.responsible_org, w.operator_org);
    assert_eq!(o.due_on, date("2026-04-01"));
    assert_eq!(o.rule, "S-7.2-3");

    // The operator reports in time; the data bureau has not accepted it yet.
    let v = t
        .post(
            &format!("{path}/rectification"),
            Auth::Cookie(&w.op_officer),
            &json!({ "report": "已任命数据安全负责人，新增两个公益场景" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "rectification_submitted");
    // The data bureau cannot report for the operator.
    t.post(
        &format!("{path}/rectification"),
        Auth::Cookie(&w.bureau),
        &json!({ "report": "代报" }),
    )
    .await
    .error(403, "forbidden");

    // 2026-05-02: deadline passed, renewal window open; the rectification
    // is not accepted, so renewal is refused (S-7.2-3).
    t.advance(TimeDelta::days(61));
    let admin = t.login(&t.admin).await;
    let op = t
        .user_session(&admin, &w.operator_org, "op.officer2", &["case_officer"])
        .await;
    let renewal = format!("/api/v1/agreements/{id}/renewal");
    let v = t
        .post(&renewal, Auth::Cookie(&op), &json!({}))
        .await
        .error(409, "agreement.evaluation_not_rectified");
    let message = v["message"].as_str().unwrap();
    assert!(message.contains("（S-7.2-3）"), "{v}");
    assert!(message.contains(&ev), "{v}");
    let v = t.get(&path, Auth::Cookie(&op)).await.expect(200).json();
    assert_eq!(v["blocks_renewal"], true);

    // Accepted (reported in time): renewal is open again.
    let bureau = t
        .user_session(
            &admin,
            &t.create_org(&admin, "测试县数据局二", "data_bureau").await,
            "db2",
            &["reviewer"],
        )
        .await;
    let v = t
        .post(
            &format!("{path}/rectification-review"),
            Auth::Cookie(&bureau),
            &json!({ "accept": true, "note": "经核查整改到位" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "rectified");
    assert_eq!(v["blocks_renewal"], false);
    t.post(&renewal, Auth::Cookie(&op), &json!({}))
        .await
        .expect(201);

    assert_eq!(t.audit_of("evaluation.recorded").await.len(), 2);
    assert_eq!(
        t.audit_of("evaluation.rectification_submitted").await.len(),
        1
    );
    assert_eq!(
        t.audit_of("evaluation.rectification_accepted").await.len(),
        1
    );
    t.assert_audit_log_verifies().await;
}

async fn evaluation_input_and_roles_are_checked(t: TestApp) {
    let w = world(&t).await;
    let id = agreement(&t, &w, "2026-02-01", "2029-01-31").await;
    // Weights must sum to 100.
    let mut bad = scores([80; 5]);
    bad[0]["weight"] = json!(40);
    let v = evaluate(&t, &w.bureau, &id, json!({ "scores": bad }))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "evaluation.weights_sum");
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("（S-7.2-3）"),
        "{v}"
    );
    // Scores are integers 0..=100, every indicator present.
    let v = evaluate(
        &t,
        &w.bureau,
        &id,
        json!({ "scores": [{ "indicator": "security", "score": 101 }] }),
    )
    .await
    .error(422, "validation_failed");
    let codes: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"evaluation.score_out_of_range"), "{v}");
    assert!(codes.contains(&"evaluation.indicator_missing"), "{v}");
    // A 不合格 needs rectification requirements.
    let v = evaluate(&t, &w.bureau, &id, json!({ "scores": scores([10; 5]) }))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "evaluation.rectification_required");
    // Only the data bureau evaluates; the operator and the agency cannot.
    for who in [&w.op_officer, &w.ia_officer] {
        evaluate(&t, who, &id, json!({ "scores": scores([90; 5]) }))
            .await
            .error(403, "forbidden");
    }
    // A rectification on an evaluation without requirements is refused.
    let v = evaluate(&t, &w.bureau, &id, json!({ "scores": scores([95; 5]) }))
        .await
        .expect(201)
        .json();
    assert_eq!(v["grade"], "excellent");
    let ev = v["id"].as_str().unwrap();
    t.post(
        &format!("/api/v1/evaluations/{ev}/rectification"),
        Auth::Cookie(&w.op_officer),
        &json!({ "report": "无" }),
    )
    .await
    .error(409, "evaluation.invalid_transition");
    assert_eq!(t.audit_of("evaluation.recorded").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

/// The operator's data demand, co-signed and approved by every party:
/// grants on DATASET_A.
async fn granted_demand(t: &TestApp, w: &World) {
    let r = t
        .post(
            "/api/v1/data-demands",
            Auth::Cookie(&w.op_officer),
            &json!({
                "scenario": "公交客流分析",
                "purpose": "优化公交线路与班次",
                "sector": "transport",
                "valid_from": "2026-04-01",
                "valid_until": "2027-03-31",
                "datasets": [{ "dataset_id": DATASET_A, "provider_org": w.source_org, "columns": ["station_id"] }],
            }),
        )
        .await;
    let id = r.expect(201).json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/data-demands/{id}/co-sign"),
        Auth::Cookie(&w.regulator_officer),
        &json!({}),
    )
    .await
    .expect(200);
    for s in [&w.ia_approver, &w.bureau, &w.source] {
        t.post(
            &format!("/api/v1/data-demands/{id}/decisions"),
            Auth::Cookie(s),
            &json!({ "verdict": "approve" }),
        )
        .await
        .expect(200);
    }
}

async fn grants(t: &TestApp, s: &Session, org: &str) -> Vec<Value> {
    t.get(&format!("/api/v1/grants?org={org}"), Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn propose(t: &TestApp, who: &Session, agreement: &str, trigger: &str) -> Resp {
    t.post(
        "/api/v1/terminations",
        Auth::Cookie(who),
        &json!({ "agreement_id": agreement, "trigger": trigger, "reasons": "2026 年 2 月发生数据泄露事件，经调查属实" }),
    )
    .await
}

async fn decide(t: &TestApp, who: &Session, id: &str, approve: bool) -> Resp {
    t.post(
        &format!("/api/v1/terminations/{id}/decide"),
        Auth::Cookie(who),
        &json!({ "approve": approve, "note": "经集体研究决定" }),
    )
    .await
}

async fn termination_revokes_every_access_at_once(t: TestApp) {
    let w = world(&t).await;
    let id = agreement(&t, &w, "2026-02-01", "2029-01-31").await;
    granted_demand(&t, &w).await;
    assert!(
        grants(&t, &w.ia_officer, &w.operator_org)
            .await
            .iter()
            .all(|g| g["revoked_at"].is_null())
    );
    let key = t
        .post(
            &format!("/api/v1/organisations/{}/api-keys", w.operator_org),
            Auth::Cookie(&w.op_admin),
            &json!({ "scope": "product:passenger-flow/scenario:bus-lines", "valid_days": 30 }),
        )
        .await
        .expect(201)
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    t.get("/api/v1/me", Auth::ApiKey(&key)).await.expect(200);

    // The trusted space holds a copy of dataset A (not of B).
    let vault = t.app.vault().unwrap().clone();
    let schema = gongshu_vault::DatasetSchema::new(vec![
        gongshu_vault::ColumnDef::new("credit_code", gongshu_vault::ColumnType::String),
        gongshu_vault::ColumnDef::new("paid_on_time", gongshu_vault::ColumnType::Boolean),
    ])
    .unwrap();
    vault
        .ingest_csv(
            DATASET_A,
            "credit_code,paid_on_time\n91130630MA0D7K3018,true\n".as_bytes(),
            &schema,
        )
        .unwrap();
    assert!(vault.read_batches(DATASET_A, 1).is_ok());

    let v = propose(&t, &w.ia_officer, &id, "security_incident")
        .await
        .expect(201)
        .json();
    assert_eq!(v["status"], "proposed");
    assert_eq!(v["trigger_label"], "发生数据安全事件或数据泄露");
    let tid = v["id"].as_str().unwrap().to_owned();
    // Proposed only: nothing is revoked yet.
    t.get("/api/v1/me", Auth::ApiKey(&key)).await.expect(200);
    // The operator and the data bureau cannot decide.
    decide(&t, &w.op_admin, &tid, true)
        .await
        .error(403, "forbidden");
    decide(&t, &w.bureau, &tid, true)
        .await
        .error(403, "forbidden");

    let v = decide(&t, &w.ia_approver, &tid, true)
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "effective");
    assert_eq!(v["decided_on"], "2026-03-02");
    // 10 working days from Monday 2026-03-02.
    assert_eq!(v["filing_due_on"], "2026-03-16");
    assert_eq!(v["revoked"]["api_keys"], 1);
    assert!(v["revoked"]["sessions"].as_u64().unwrap() >= 2);
    let d = v["destructions"].as_array().unwrap();
    assert_eq!(d.len(), 2);
    // Crypto-shredding ran at once: A's keys are destroyed with a
    // certificate, B had no copy in the trusted space.
    let certs = v["certificates"].as_array().unwrap();
    assert_eq!(certs.len(), 2, "{v}");
    let a = certs.iter().find(|c| c["dataset_id"] == DATASET_A).unwrap();
    assert_eq!(a["outcome"], "destroyed");
    assert_eq!(a["versions"], 1);
    assert_eq!(a["certificate_digest"].as_str().unwrap().len(), 64);
    let b = certs.iter().find(|c| c["dataset_id"] == DATASET_B).unwrap();
    assert_eq!(b["outcome"], "no_copy_in_vault");
    assert!(
        vault.read_batches(DATASET_A, 1).is_err(),
        "A is unreadable after destruction"
    );
    let destroyed = t.audit_of("dataset.destroyed").await;
    assert_eq!(destroyed.len(), 2);
    assert!(v["log_retention"].as_str().unwrap().contains("6 个月"));

    // At once: the operator's key and sessions fail, its grants are revoked.
    t.get("/api/v1/me", Auth::ApiKey(&key))
        .await
        .error(401, "unauthenticated");
    t.get("/api/v1/me", Auth::Cookie(&w.op_officer))
        .await
        .expect(401);
    let g = grants(&t, &w.ia_officer, &w.operator_org).await;
    assert_eq!(g.len(), 1);
    assert!(g.iter().all(|g| g["revoked_at"].is_string()), "{g:?}");
    let a = t
        .get(
            &format!("/api/v1/agreements/{id}"),
            Auth::Cookie(&w.ia_officer),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(a["status"], "terminated");
    // The agency's and others' sessions are untouched.
    t.get("/api/v1/me", Auth::Cookie(&w.participant))
        .await
        .expect(200);

    // Filing with the city: an obligation of the agency until recorded.
    let obligations = gongshu_app::evaluations::open_obligations(&t.app, date("2026-03-02"))
        .await
        .unwrap();
    let o = obligations
        .iter()
        .find(|o| o.kind == "termination.filing")
        .expect("filing obligation");
    assert_eq!(o.due_on, date("2026-03-16"));
    assert_eq!(o.rule, "S-3.3.5");
    assert_eq!(o.responsible_org, t.admin.org_id);
    let v = t
        .post(
            &format!("/api/v1/terminations/{tid}/file"),
            Auth::Cookie(&w.ia_officer),
            &json!({ "filed_on": "2026-03-02", "receipt_no": "市数据局终备〔2026〕1号" }),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "filed");
    assert_eq!(v["filed_late"], false);
    let obligations = gongshu_app::evaluations::open_obligations(&t.app, date("2026-03-02"))
        .await
        .unwrap();
    assert!(obligations.iter().all(|o| o.kind != "termination.filing"));

    let approved = t.audit_of("termination.approved").await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].payload["details"]["revoked"]["api_keys"], 1);
    assert_eq!(
        approved[0].payload["details"]["destruction"],
        "keys_pending_vault"
    );
    assert_eq!(t.audit_of("termination.proposed").await.len(), 1);
    assert_eq!(t.audit_of("termination.filed").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn proposer_cannot_decide_and_only_an_agreement_in_force_terminates(t: TestApp) {
    let w = world(&t).await;
    // A draft is not in force.
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&w.ia_officer),
            &json!({ "operator_org_id": w.operator_org, "clauses": clauses("2026-02-01", "2027-01-31") }),
        )
        .await;
    let draft = r.expect(201).json()["id"].as_str().unwrap().to_owned();
    let v = propose(&t, &w.ia_officer, &draft, "other_violation")
        .await
        .error(409, "termination.agreement_not_active");
    assert!(
        v["message"].as_str().unwrap().contains("（S-3.3.5）"),
        "{v}"
    );
    // Only the five triggers.
    let v = propose(&t, &w.ia_officer, &draft, "dislike")
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "termination.trigger_unknown");

    let id = agreement(&t, &w, "2026-02-01", "2029-01-31").await;
    // The operator cannot propose.
    propose(&t, &w.op_officer, &id, "not_operating_as_agreed")
        .await
        .error(403, "forbidden");
    // An approver who proposes cannot decide their own proposal.
    let tid = propose(&t, &w.ia_approver, &id, "findings_not_rectified")
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    decide(&t, &w.ia_approver, &tid, true)
        .await
        .error(403, "forbidden");
    let denied = t.audit_of("authz.denied").await;
    assert!(
        denied.last().unwrap().payload["decision"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d == "sod_no_self_approval")
    );
    // One open termination per agreement.
    propose(&t, &w.ia_officer, &id, "other_violation")
        .await
        .error(409, "termination.already_proposed");
    // Rejected by another approver: the agreement stays in force.
    let v = decide(&t, &w.ia_approver2, &tid, false)
        .await
        .expect(200)
        .json();
    assert_eq!(v["status"], "rejected");
    let a = t
        .get(
            &format!("/api/v1/agreements/{id}"),
            Auth::Cookie(&w.ia_officer),
        )
        .await
        .json();
    assert_eq!(a["status"], "signed");
    t.get("/api/v1/me", Auth::Cookie(&w.op_officer))
        .await
        .expect(200);
    decide(&t, &w.ia_approver2, &tid, true)
        .await
        .error(409, "termination.invalid_transition");
    assert_eq!(t.audit_of("termination.rejected").await.len(), 1);
    assert!(t.audit_of("termination.approved").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn concurrent_termination_decisions_have_one_winner(t: TestApp) {
    let w = world(&t).await;
    let id = agreement(&t, &w, "2026-02-01", "2029-01-31").await;
    let tid = propose(&t, &w.ia_officer, &id, "law_or_policy_change")
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = {
        let (t, s, id) = (t.clone(), w.ia_approver.clone(), tid.clone());
        tokio::spawn(async move { decide(&t, &s, &id, true).await })
    };
    let b = {
        let (t, s, id) = (t.clone(), w.ia_approver2.clone(), tid.clone());
        tokio::spawn(async move { decide(&t, &s, &id, true).await })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let (won, lost) = if a.status.is_success() {
        (a, b)
    } else {
        (b, a)
    };
    won.expect(200);
    lost.expect(409);
    let code = lost.json()["code"].as_str().unwrap().to_owned();
    // The loser may also find the agreement already terminated by the
    // winner: every one of these is a refusal that changes nothing.
    assert!(
        code == "conflict"
            || code == "termination.invalid_transition"
            || code == "termination.agreement_not_active",
        "{code}"
    );
    assert_eq!(t.audit_of("termination.approved").await.len(), 1);
    t.assert_audit_log_verifies().await;
}
