//! The termination page: proposed through its form with the trigger chosen
//! and the unrectified evaluation linked; the proposer and the operator not
//! offered the decision and refused when posting it anyway; approval by
//! another approver shows what was revoked, each dataset's destruction
//! (certificate digest for the copy held, none for the other), the log
//! retention and the filing deadline; the filing recorded. A proposal
//! missing its reasons, with a trigger outside the five, on an agreement
//! not in force or linking an evaluation that does not exist changes
//! nothing; a rejection keeps the agreement in force.
//! Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::{Value, json};

use super::evaluations::{World, signed_agreement, world};
use super::{offers, page, post_form};
use crate::support::{Auth, TestApp};

crate::on_both_backends!(
    termination_takes_effect_and_is_filed_through_the_console_forms,
    termination_proposals_are_checked_and_can_be_declined,
);

/// A dataset of the data scope that is not in the catalog.
const UNREGISTERED: &str = "018f3c1e-0000-7000-8000-000000000002";

async fn terminations(t: &TestApp, w: &World) -> Vec<Value> {
    t.get("/api/v1/terminations", Auth::Cookie(&w.admin))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn agreement_status(t: &TestApp, w: &World, id: &str) -> Value {
    t.get(&format!("/api/v1/agreements/{id}"), Auth::Cookie(&w.admin))
        .await
        .expect(200)
        .json()["status"]
        .clone()
}

/// A resource "居民用水量" in the catalog, of a data source unit; its id.
async fn catalogued(t: &TestApp, w: &World) -> String {
    let org = t
        .create_org_in_sector(
            &w.admin,
            "测试县自来水公司",
            "data_source_unit",
            "utilities",
        )
        .await;
    let provider = t
        .user_session(&w.admin, &org, "water.officer", &["case_officer"])
        .await;
    let r = t
        .post(
            "/api/v1/catalog/resources",
            Auth::Cookie(&provider),
            &json!({
                "name": "居民用水量",
                "summary": "按户按月的用水量",
                "category": "公用事业/供水",
                "format": "table",
                "update_frequency": "monthly",
                "sharing_attribute": "conditional",
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
                    { "name": "volume_m3", "grade": "general_2", "personal_info": "none", "sandbox_class": "sensitive" },
                ],
            }),
        )
        .await;
    r.expect(201).json()["id"].as_str().unwrap().to_owned()
}

async fn termination_takes_effect_and_is_filed_through_the_console_forms(t: TestApp) {
    let w = world(&t).await;
    let water = catalogued(&t, &w).await;
    let agreement = signed_agreement(&t, &w, &[&water, UNREGISTERED]).await;
    // The trusted space holds a copy of the catalogued dataset only.
    let schema = gongshu_vault::DatasetSchema::new(vec![
        gongshu_vault::ColumnDef::new("account_no", gongshu_vault::ColumnType::String),
        gongshu_vault::ColumnDef::new("volume_m3", gongshu_vault::ColumnType::Int64),
    ])
    .unwrap();
    t.app
        .vault()
        .unwrap()
        .ingest_csv(
            &water,
            "account_no,volume_m3\nA001,12\n".as_bytes(),
            &schema,
        )
        .unwrap();
    // A 不合格 evaluation still to rectify, for the proposal to name.
    let scores: Vec<Value> = [
        "security",
        "performance",
        "scenario_benefit",
        "public_interest",
        "data_quality",
    ]
    .iter()
    .map(|i| json!({ "indicator": i, "score": 40 }))
    .collect();
    t.post(
        "/api/v1/evaluations",
        Auth::Cookie(&w.bureau),
        &json!({
            "agreement_id": agreement, "period_start": "2025-07-01", "period_end": "2026-02-28",
            "scores": scores, "findings": "未按协议开展公益服务",
            "rectification": { "requirements": ["开展公益服务"] },
        }),
    )
    .await
    .expect(201);

    // The agency is offered the proposal, the triggers in words.
    let html = page(&t, &w.ia_officer, "terminations").await;
    assert!(offers(&html, "terminations", "propose"), "{html}");
    assert!(html.contains("发生数据安全事件或数据泄露"));
    assert!(html.contains("id=\"no-items\""));

    // The operator is not offered it, and a forged post is refused.
    let proposal = [
        ("agreement_id", agreement.as_str()),
        ("trigger", "findings_not_rectified"),
        ("reasons", "评估发现的问题逾期未整改"),
        ("evaluation_id", "1"),
    ];
    let html = page(&t, &w.op_officer, "terminations").await;
    assert!(!offers(&html, "terminations", "propose"));
    let html = post_form(&t, &w.op_officer, "terminations", "propose", "", &proposal)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能提议终止授权"), "{html}");
    assert!(terminations(&t, &w).await.is_empty());

    // Reasons left empty: named next to the field, the choice kept.
    let html = post_form(
        &t,
        &w.ia_officer,
        "terminations",
        "propose",
        "",
        &[
            ("agreement_id", agreement.as_str()),
            ("trigger", "security_incident"),
            ("reasons", ""),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“终止理由”"), "{html}");
    assert!(html.contains("<option value=\"security_incident\" selected>"));
    assert!(terminations(&t, &w).await.is_empty());

    // Proposed with the evaluation linked, shown by its result.
    let html = post_form(&t, &w.ia_officer, "terminations", "propose", "", &proposal)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已提议终止授权，当前状态：已提议"), "{html}");
    assert!(html.contains("终止授权：测试县数据运营有限公司"));
    assert!(html.contains("发现问题未按要求整改"));
    assert!(html.contains("不合格（40.00 分），整改中"), "{html}");
    let list = terminations(&t, &w).await;
    assert_eq!(list.len(), 1);
    assert!(list[0]["evaluation_id"].is_string());
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // The proposer is not offered the decision and cannot take it.
    assert!(!offers(&html, "terminations", "approve"));
    let note = [("note", "经集体研究决定")];
    let html = post_form(&t, &w.ia_officer, "terminations", "approve", &id, &note)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能批准终止"), "{html}");
    // Nor is the operator.
    let html = page(&t, &w.op_officer, "terminations").await;
    assert!(!offers(&html, "terminations", "approve"));
    assert!(!html.contains(&w.operator_org), "no raw organisation id");
    let html = post_form(&t, &w.op_officer, "terminations", "approve", &id, &note)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能批准终止"), "{html}");
    assert_eq!(terminations(&t, &w).await[0]["status"], "proposed");
    assert_eq!(agreement_status(&t, &w, &agreement).await, "signed");

    // Another approver approves: in effect at once, every access revoked,
    // each dataset's destruction shown, filing due in 10 working days.
    let html = page(&t, &w.ia_approver, "terminations").await;
    assert!(offers(&html, "terminations", "approve"));
    assert!(offers(&html, "terminations", "reject"));
    let html = post_form(&t, &w.ia_approver, "terminations", "approve", &id, &note)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已批准终止，当前状态：已生效"), "{html}");
    assert!(html.contains("报市备案期限：2026-03-16"), "{html}");
    assert!(html.contains("剩余 10 个工作日"), "{html}");
    assert!(html.contains("已撤销"), "{html}");
    assert!(html.contains("数据集销毁：居民用水量"), "{html}");
    assert!(html.contains("密钥已销毁，全部副本（含备份）不可再读"));
    assert!(html.contains("数据集销毁：（未登记的数据资源）"));
    assert!(html.contains("可信空间中没有该数据集的副本"));
    assert!(html.contains("不少于 6 个月"));
    let v = &terminations(&t, &w).await[0];
    assert_eq!(v["status"], "effective");
    let digest = v["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["dataset_id"] == water.as_str())
        .unwrap()["certificate_digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        html.contains(&format!("SHA-256 {}…", &digest[..16])),
        "{html}"
    );
    assert!(!html.contains(&digest), "only the digest's prefix");
    assert!(!html.contains(&w.operator_org), "no raw organisation id");
    assert!(!html.contains(&water), "no raw dataset id");
    assert_eq!(agreement_status(&t, &w, &agreement).await, "terminated");
    assert!(offers(&html, "terminations", "file"));

    // A filing with a malformed date changes nothing; then it is recorded.
    let html = post_form(
        &t,
        &w.ia_officer,
        "terminations",
        "file",
        &id,
        &[
            ("filed_on", "3月5日"),
            ("receipt_no", "市数据局终备〔2026〕1号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("年-月-日"), "{html}");
    assert!(html.contains("市数据局终备〔2026〕1号"), "kept");
    assert_eq!(terminations(&t, &w).await[0]["status"], "effective");
    let html = post_form(
        &t,
        &w.ia_officer,
        "terminations",
        "file",
        &id,
        &[
            ("filed_on", "2026-03-02"),
            ("receipt_no", "市数据局终备〔2026〕1号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已记录报市备案，当前状态：已备案"), "{html}");
    assert!(html.contains("已按期办理"));
    assert_eq!(terminations(&t, &w).await[0]["status"], "filed");
    assert_eq!(t.audit_of("termination.approved").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn termination_proposals_are_checked_and_can_be_declined(t: TestApp) {
    let w = world(&t).await;
    let agreement = signed_agreement(&t, &w, &[UNREGISTERED]).await;

    // A trigger outside the five is refused next to the field.
    let mut fields = vec![
        ("agreement_id", agreement.as_str()),
        ("trigger", "dislike"),
        ("reasons", "合作不愉快"),
    ];
    let html = post_form(&t, &w.ia_officer, "terminations", "propose", "", &fields)
        .await
        .expect(200)
        .text();
    assert!(html.contains("不在法定五种情形之内"), "{html}");
    assert!(html.contains("field-error"));
    assert!(html.contains("合作不愉快"), "kept");

    // No evaluation of the agreement to link: named at the checkbox.
    fields[1] = ("trigger", "findings_not_rectified");
    fields.push(("evaluation_id", "1"));
    let html = post_form(&t, &w.ia_officer, "terminations", "propose", "", &fields)
        .await
        .expect(200)
        .text();
    assert!(html.contains("该协议没有尚未整改完成的运营评估"), "{html}");
    assert!(terminations(&t, &w).await.is_empty());

    // An agreement not in force: refused by the rule, no id in the message.
    let draft = t
        .post(
            "/api/v1/agreements",
            Auth::Cookie(&w.ia_officer),
            &json!({ "operator_org_id": w.operator_org, "clauses": {
                "data_scope": { "catalog": "目录", "dataset_ids": [UNREGISTERED] },
                "term": { "start": "2029-02-01", "end": "2030-01-31" },
                "products_and_services": "产品", "technical_platform": "平台",
                "asset_ownership": "归属", "disclosure": "披露",
                "cost_revenue_and_distribution": "核算", "security_and_emergency": "安全",
                "evaluation_renewal_exit": "评估", "breach_liability": "违约",
                "dispute_resolution": "争议", "change_and_termination": "变更", "other": "其他",
            } }),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let html = post_form(
        &t,
        &w.ia_officer,
        "terminations",
        "propose",
        "",
        &[
            ("agreement_id", draft.as_str()),
            ("trigger", "other_violation"),
            ("reasons", "违规"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能提议终止授权"), "{html}");
    assert!(html.contains("不在有效期内"), "{html}");
    assert!(html.contains("（S-3.3.5）"));
    assert!(!html.contains(&format!(" {draft}")), "no raw agreement id");
    assert!(terminations(&t, &w).await.is_empty());

    // Proposed; the decision to decline needs its reasons.
    fields.pop();
    post_form(&t, &w.ia_officer, "terminations", "propose", "", &fields)
        .await
        .expect(200);
    let id = terminations(&t, &w).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let html = post_form(&t, &w.ia_approver2, "terminations", "reject", &id, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“不予终止的理由”"), "{html}");
    assert_eq!(terminations(&t, &w).await[0]["status"], "proposed");
    let html = post_form(
        &t,
        &w.ia_approver2,
        "terminations",
        "reject",
        &id,
        &[("note", "问题已整改，继续履行协议")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已决定不予终止，当前状态：未批准"), "{html}");
    assert!(html.contains("不予终止"));
    assert!(!offers(&html, "terminations", "approve"));
    assert_eq!(terminations(&t, &w).await[0]["status"], "rejected");
    assert_eq!(agreement_status(&t, &w, &agreement).await, "signed");
    // The operator keeps its access.
    t.get("/api/v1/me", Auth::Cookie(&w.op_officer))
        .await
        .expect(200);
    t.assert_audit_log_verifies().await;
}
