//! The evaluation page: the data bureau records an evaluation through its
//! form (scores per indicator, exact total and grade), a malformed score or
//! a 不合格 without requirements named next to the field with the entries
//! kept; the operator reports its rectification, the bureau returns and
//! then accepts it; the operator is not offered the evaluation form and is
//! refused when posting it, the bureau likewise for the rectification.
//! Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::{Value, json};

use super::{offers, page, post_form};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(evaluation_and_rectification_run_through_the_console_forms);

/// The parties, logged in.
#[derive(Debug)]
pub struct World {
    pub admin: Session,
    pub ia_officer: Session,
    pub ia_approver: Session,
    pub ia_approver2: Session,
    pub bureau: Session,
    pub op_officer: Session,
    pub operator_org: String,
    pub regulator_org: String,
}

pub async fn world(t: &TestApp) -> World {
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
            .user_session(&admin, &bureau_org, "db.officer", &["case_officer"])
            .await,
        op_officer: t
            .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
            .await,
        admin,
        operator_org,
        regulator_org,
    }
}

/// A signed agreement over `datasets` (2026-02-01 to 2029-01-31); its id.
pub async fn signed_agreement(t: &TestApp, w: &World, datasets: &[&str]) -> String {
    let clauses = json!({
        "data_scope": { "catalog": "测试县公共数据资源目录（2026 版）", "dataset_ids": datasets },
        "term": { "start": "2026-02-01", "end": "2029-01-31" },
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
    });
    let r = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&w.ia_officer),
            &json!({ "operator_org_id": w.operator_org, "clauses": clauses }),
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

async fn evaluations(t: &TestApp, w: &World) -> Vec<Value> {
    t.get("/api/v1/evaluations", Auth::Cookie(&w.admin))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

/// A failing evaluation's form: 30·50 + 25·60 + 20·55 + 15·40 + 10·70 =
/// 54.00, 不合格.
fn failing(agreement: &str) -> Vec<(&str, &str)> {
    vec![
        ("agreement_id", agreement),
        ("period_start", "2025-07-01"),
        ("period_end", "2026-02-28"),
        ("scores.security", "50"),
        ("scores.performance", "60"),
        ("scores.scenario_benefit", "55"),
        ("scores.public_interest", "40"),
        ("scores.data_quality", "70"),
        ("findings", "数据安全负责人未明确，公益服务场景不足"),
    ]
}

async fn evaluation_and_rectification_run_through_the_console_forms(t: TestApp) {
    let w = world(&t).await;
    let agreement = signed_agreement(&t, &w, &["018f3c1e-0000-7000-8000-000000000001"]).await;

    // The data bureau is offered the form, the agreement by its operator.
    let html = page(&t, &w.bureau, "evaluations").await;
    assert!(offers(&html, "evaluations", "record"), "{html}");
    assert!(html.contains("测试县数据运营有限公司（2026-02-01 至 2029-01-31"));
    assert!(html.contains("id=\"no-items\""));

    // The operator is not offered it, and a forged post is refused.
    let html = page(&t, &w.op_officer, "evaluations").await;
    assert!(!offers(&html, "evaluations", "record"));
    let mut good = failing(&agreement);
    good.push(("rectification.requirements", "明确数据安全负责人"));
    let html = post_form(&t, &w.op_officer, "evaluations", "record", "", &good)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能记录运营评估"), "{html}");
    assert!(evaluations(&t, &w).await.is_empty());

    // A malformed and a missing score: named next to their fields, the
    // entries kept, nothing recorded.
    let bad: Vec<(&str, &str)> = failing(&agreement)
        .into_iter()
        .filter(|(k, _)| *k != "scores.data_quality")
        .map(|(k, v)| {
            if k == "scores.security" {
                (k, "九十")
            } else {
                (k, v)
            }
        })
        .collect();
    let html = post_form(&t, &w.bureau, "evaluations", "record", "", &bad)
        .await
        .expect(200)
        .text();
    assert!(html.contains("“安全评估得分”应为非负整数"), "{html}");
    assert!(html.contains("请填写“数据质量得分”"), "{html}");
    assert!(
        html.contains("数据安全负责人未明确，公益服务场景不足"),
        "kept"
    );
    assert!(html.contains("<details class=\"command\" id=\"new-record\" open>"));
    assert!(evaluations(&t, &w).await.is_empty());

    // Weights that do not sum to 100 are refused above the form.
    let mut heavy = failing(&agreement);
    heavy.push(("weights.security", "40"));
    let html = post_form(&t, &w.bureau, "evaluations", "record", "", &heavy)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("各项指标权重之和须为 100，现为 110"),
        "{html}"
    );

    // A 不合格 without requirements: refused by the rule, next to the field.
    let html = post_form(
        &t,
        &w.bureau,
        "evaluations",
        "record",
        "",
        &failing(&agreement),
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("须列明整改要求和期限"), "{html}");
    assert!(evaluations(&t, &w).await.is_empty());

    // With requirements: 54.00, 不合格, rectify within 30 日 (2026-04-01).
    let mut with = failing(&agreement);
    with.push((
        "rectification.requirements",
        "明确数据安全负责人和部门\n增加公益服务场景",
    ));
    let html = post_form(&t, &w.bureau, "evaluations", "record", "", &with)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已记录运营评估，当前状态：整改中"), "{html}");
    assert!(html.contains("54.00 分"));
    assert!(html.contains("不合格"));
    assert!(html.contains("安全评估 50 分（权重 30）"));
    assert!(html.contains("明确数据安全负责人和部门；增加公益服务场景"));
    assert!(html.contains("整改期限：2026-04-01"), "{html}");
    assert!(!html.contains(&w.operator_org), "no raw organisation id");
    let list = evaluations(&t, &w).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "rectifying");
    assert_eq!(list[0]["total"], "54.00");
    let ev = list[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/evaluations/{ev}");

    // The bureau is not offered the rectification and cannot report it.
    assert!(!offers(&html, "evaluations", "rectify"));
    let html = post_form(
        &t,
        &w.bureau,
        "evaluations",
        "rectify",
        &ev,
        &[("report", "代为报送")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能报送整改情况"), "{html}");
    let v = t.get(&path, Auth::Cookie(&w.admin)).await.json();
    assert_eq!(v["status"], "rectifying");

    // The operator reports; an empty report is named first.
    let html = page(&t, &w.op_officer, "evaluations").await;
    assert!(offers(&html, "evaluations", "rectify"), "{html}");
    assert!(!html.contains(&w.operator_org), "no raw organisation id");
    let html = post_form(
        &t,
        &w.op_officer,
        "evaluations",
        "rectify",
        &ev,
        &[("report", " ")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“整改情况”"), "{html}");
    let report = [("report", "已任命数据安全负责人，新增两个公益场景")];
    let html = post_form(&t, &w.op_officer, "evaluations", "rectify", &ev, &report)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已报送整改情况，当前状态：整改已报送"),
        "{html}"
    );
    assert!(html.contains("已按期办理"), "{html}");
    assert!(
        !offers(&html, "evaluations", "accept"),
        "not the operator's"
    );

    // The bureau returns it (a reason is required), then accepts the next.
    let html = page(&t, &w.bureau, "evaluations").await;
    assert!(offers(&html, "evaluations", "accept"));
    assert!(offers(&html, "evaluations", "return"));
    let html = post_form(&t, &w.bureau, "evaluations", "return", &ev, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“退回意见”"), "{html}");
    let v = t.get(&path, Auth::Cookie(&w.admin)).await.json();
    assert_eq!(v["status"], "rectification_submitted");
    let html = post_form(
        &t,
        &w.bureau,
        "evaluations",
        "return",
        &ev,
        &[("note", "公益场景尚未上线")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已退回整改，当前状态：整改中"), "{html}");
    post_form(&t, &w.op_officer, "evaluations", "rectify", &ev, &report)
        .await
        .expect(200);
    let html = post_form(
        &t,
        &w.bureau,
        "evaluations",
        "accept",
        &ev,
        &[("note", "经核查整改到位")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已确认整改完成，当前状态：已整改"), "{html}");
    assert!(html.contains("经核查整改到位"));
    let v = t.get(&path, Auth::Cookie(&w.admin)).await.json();
    assert_eq!(v["status"], "rectified");
    assert_eq!(v["blocks_renewal"], false);
    assert_eq!(t.audit_of("evaluation.recorded").await.len(), 1);
    t.assert_audit_log_verifies().await;
}
