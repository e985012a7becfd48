//! The appeals and disputes page: a participant appeals its rejected entry
//! from the list of its decisions and a data-use decision through the
//! general form; an agency approver decides; a dispute is coordinated with
//! a third-party assessment. Missing and malformed fields are named next to
//! the field with the entries kept; a party without the duty is neither
//! offered the form nor able to post it. Test clock: 2026-03-02 (Monday),
//! 09:00 in Beijing.

use serde_json::{Value, json};

use super::{offers, page, post_form};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    an_appeal_is_filed_and_decided_through_the_console_forms,
    a_dispute_is_coordinated_through_the_console_forms,
);

struct World {
    admin: Session,
    agency_approver: Session,
    agency_officer: Session,
    operator: Session,
    source: Session,
    participant: Session,
    participant_approver: Session,
    operator_org: String,
    source_org: String,
    participant_org: String,
}

async fn world(t: &TestApp) -> World {
    let admin = t.login(&t.admin).await;
    let agency = t.admin.org_id.clone();
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    t.create_org_in_sector(&admin, "测试县交通运输局", "sector_regulator", "transport")
        .await;
    let source_org = t
        .create_org(&admin, "测试县公安局", "data_source_unit")
        .await;
    let participant_org = t
        .create_org(&admin, "测试数据科技有限公司", "participant")
        .await;
    World {
        agency_approver: t
            .user_session(&admin, &agency, "ia.approver", &["approver"])
            .await,
        agency_officer: t
            .user_session(&admin, &agency, "ia.officer", &["case_officer"])
            .await,
        operator: t
            .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
            .await,
        source: t
            .user_session(&admin, &source_org, "src.officer", &["case_officer"])
            .await,
        participant: t
            .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
            .await,
        participant_approver: t
            .user_session(&admin, &participant_org, "pt.approver", &["approver"])
            .await,
        admin,
        operator_org,
        source_org,
        participant_org,
    }
}

/// The participant's market entry, rejected by the agency.
async fn rejected_entry(t: &TestApp, w: &World) -> String {
    let r = t
        .post(
            "/api/v1/market-entries",
            Auth::Cookie(&w.participant),
            &json!({
                "sector": "transport",
                "qualification": "营业执照",
                "compliance": "数据合规管理制度",
                "technical_security": "等保三级测评报告",
                "data_source_org": w.source_org,
            }),
        )
        .await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/market-entries/{id}/decisions"),
        Auth::Cookie(&w.agency_approver),
        &json!({ "verdict": "reject", "reason": "技术安全材料不完整" }),
    )
    .await
    .expect(200);
    id
}

async fn appeals(t: &TestApp, w: &World) -> Vec<Value> {
    t.get("/api/v1/appeals", Auth::Cookie(&w.admin))
        .await
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn disputes(t: &TestApp, w: &World) -> Vec<Value> {
    t.get("/api/v1/disputes", Auth::Cookie(&w.agency_officer))
        .await
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn an_appeal_is_filed_and_decided_through_the_console_forms(t: TestApp) {
    let w = world(&t).await;
    let entry = rejected_entry(&t, &w).await;

    // The participant sees its rejected entry as a decision to appeal, with
    // the filing deadline counting down, and the general form.
    let html = page(&t, &w.participant, "appeals").await;
    assert!(offers(&html, "appeals", "file"), "{html}");
    assert!(offers(&html, "appeals", "appeal"));
    assert!(html.contains("平台准入申请（交通行业）"), "{html}");
    assert!(html.contains("技术安全材料不完整"));
    assert!(html.contains("申诉期限：2026-03-23"), "{html}");
    assert!(html.contains("剩余 15 个工作日"), "{html}");
    assert!(!offers(&html, "appeals", "decide"));
    assert!(!offers(&html, "appeals", "raise"));
    assert!(!html.contains(&w.participant_org), "no raw organisation id");

    // Grounds left empty: named next to the field, nothing filed.
    let target = format!("market_entry/{entry}");
    let html = post_form(
        &t,
        &w.participant,
        "appeals",
        "appeal",
        &target,
        &[("grounds", " ")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“申诉理由”"), "{html}");
    assert!(html.contains("field-error"));
    assert!(appeals(&t, &w).await.is_empty(), "nothing filed");

    // A data-use decision without its date: the use case's error sits next
    // to the date field, the entries are kept, nothing is filed.
    let data_use = [
        ("subject_kind", "data_use"),
        ("subject_id", "UA-2026-007"),
        ("grounds", "数据使用申请被错误驳回"),
    ];
    let html = post_form(&t, &w.participant, "appeals", "file", "", &data_use)
        .await
        .expect(200)
        .text();
    assert!(html.contains("须填写原决定的作出日期（S-2.5b）"), "{html}");
    assert!(html.contains("id=\"new-file-decided_on-error\""), "{html}");
    assert!(html.contains("UA-2026-007"), "entries kept");
    assert!(html.contains("数据使用申请被错误驳回"), "entries kept");
    // A malformed date likewise.
    let mut malformed = data_use.to_vec();
    malformed.push(("decided_on", "2月27日"));
    let html = post_form(&t, &w.participant, "appeals", "file", "", &malformed)
        .await
        .expect(200)
        .text();
    assert!(html.contains("年-月-日"), "{html}");
    assert!(html.contains("2月27日"), "entries kept");
    assert!(appeals(&t, &w).await.is_empty(), "nothing filed");

    // The rejected entry is appealed from its card.
    let html = post_form(
        &t,
        &w.participant,
        "appeals",
        "appeal",
        &target,
        &[("grounds", "补充材料已提交，请求复核")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已对此决定提出申诉，当前状态：待处理"),
        "{html}"
    );
    assert!(html.contains("申诉：测试数据科技有限公司"));
    assert!(html.contains("平台准入决定"));
    assert!(html.contains("处理期限："), "{html}");
    assert!(!offers(&html, "appeals", "appeal"), "appealed once");
    assert!(!html.contains(&entry), "the decision is not shown by id");
    let list = appeals(&t, &w).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["status"], "submitted");
    assert_eq!(list[0]["subject_kind"], "market_entry");
    assert_eq!(list[0]["subject_id"], entry.as_str());
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // The appellant's own approver is not offered the decision and is
    // refused when posting it anyway.
    let html = page(&t, &w.participant_approver, "appeals").await;
    assert!(!offers(&html, "appeals", "decide"));
    let html = post_form(
        &t,
        &w.participant_approver,
        "appeals",
        "decide",
        &id,
        &[("outcome", "overturned"), ("reasons", "自行撤销")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能处理申诉"), "{html}");
    assert_eq!(appeals(&t, &w).await[0]["status"], "submitted");

    // The agency approver: reasons required, then the decision.
    let html = page(&t, &w.agency_approver, "appeals").await;
    assert!(offers(&html, "appeals", "decide"), "{html}");
    assert!(!offers(&html, "appeals", "file"));
    assert!(!html.contains(&w.participant_org), "no raw organisation id");
    let html = post_form(
        &t,
        &w.agency_approver,
        "appeals",
        "decide",
        &id,
        &[("outcome", "overturned"), ("reasons", "")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“处理理由”"), "{html}");
    assert_eq!(appeals(&t, &w).await[0]["status"], "submitted");
    let html = post_form(
        &t,
        &w.agency_approver,
        "appeals",
        "decide",
        &id,
        &[("outcome", "overturned"), ("reasons", "补充材料满足要求")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已处理申诉，当前状态：撤销原决定"), "{html}");
    assert!(html.contains("已按期办理"));
    assert_eq!(appeals(&t, &w).await[0]["status"], "overturned");

    // A data-use decision in time through the general form, then withdrawn.
    let mut in_time = data_use.to_vec();
    in_time.push(("decided_on", "2026-02-27"));
    let html = post_form(&t, &w.participant, "appeals", "file", "", &in_time)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已提出申诉，当前状态：待处理"), "{html}");
    assert!(html.contains("数据使用申请决定"));
    let list = appeals(&t, &w).await;
    let id2 = list[1]["id"].as_str().unwrap().to_owned();
    let html = post_form(&t, &w.participant, "appeals", "withdraw", &id2, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("已撤回申诉，当前状态：已撤回"), "{html}");
    assert_eq!(appeals(&t, &w).await[1]["status"], "withdrawn");
    t.assert_audit_log_verifies().await;
}

async fn a_dispute_is_coordinated_through_the_console_forms(t: TestApp) {
    let w = world(&t).await;
    let pairs = [
        ("against_org", w.operator_org.as_str()),
        ("subject", "use"),
        ("description", "运营机构超出约定范围使用本单位数据"),
    ];

    // A participant is not a party to disputes: not offered, refused.
    let html = page(&t, &w.participant, "appeals").await;
    assert!(!offers(&html, "appeals", "raise"));
    let html = post_form(&t, &w.participant, "appeals", "raise", "", &pairs)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能提出争议"), "{html}");
    assert!(disputes(&t, &w).await.is_empty());

    // The data source unit: a missing description is named, entries kept.
    let html = page(&t, &w.source, "appeals").await;
    assert!(offers(&html, "appeals", "raise"), "{html}");
    assert!(!offers(&html, "appeals", "file"));
    let partial = &pairs[..2];
    let html = post_form(&t, &w.source, "appeals", "raise", "", partial)
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“争议内容”"), "{html}");
    assert!(
        html.contains("<option value=\"use\" selected>"),
        "entries kept"
    );
    assert!(disputes(&t, &w).await.is_empty());

    let html = post_form(&t, &w.source, "appeals", "raise", "", &pairs)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已提出争议，当前状态：协调中"), "{html}");
    assert!(html.contains("数据使用争议：测试县公安局 与 测试县数据运营有限公司"));
    assert!(html.contains("协调期限："));
    let id = disputes(&t, &w).await[0]["id"].as_str().unwrap().to_owned();

    // The operator does not coordinate: not offered, refused.
    let html = page(&t, &w.operator, "appeals").await;
    assert!(html.contains("运营机构超出约定范围使用本单位数据"));
    assert!(!offers(&html, "appeals", "commission"));
    let html = post_form(
        &t,
        &w.operator,
        "appeals",
        "commission",
        &id,
        &[("body", "某评估机构"), ("commissioned_on", "2026-03-03")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能委托第三方评估"), "{html}");
    assert_eq!(disputes(&t, &w).await[0]["status"], "open");

    // The agency coordinates, with a third-party assessment.
    let html = page(&t, &w.agency_officer, "appeals").await;
    assert!(offers(&html, "appeals", "commission"));
    assert!(offers(&html, "appeals", "resolve"));
    assert!(!html.contains(&w.operator_org), "no raw organisation id");
    assert!(!html.contains(&w.source_org), "no raw organisation id");
    let html = post_form(
        &t,
        &w.agency_officer,
        "appeals",
        "commission",
        &id,
        &[
            ("body", "测试第三方评估中心"),
            ("commissioned_on", "2026-03-03"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已委托第三方评估，当前状态：第三方评估中"),
        "{html}"
    );
    assert!(
        !offers(&html, "appeals", "resolve"),
        "not before the report"
    );
    let html = post_form(
        &t,
        &w.agency_officer,
        "appeals",
        "report",
        &id,
        &[("report_ref", "PG-2026-009"), ("reported_on", "20号")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("年-月-日"), "{html}");
    assert!(html.contains("PG-2026-009"), "entries kept");
    assert_eq!(disputes(&t, &w).await[0]["status"], "assessing");
    let html = post_form(
        &t,
        &w.agency_officer,
        "appeals",
        "report",
        &id,
        &[("report_ref", "PG-2026-009"), ("reported_on", "2026-03-20")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已登记评估报告，当前状态：评估已完成"),
        "{html}"
    );
    let html = post_form(
        &t,
        &w.agency_officer,
        "appeals",
        "resolve",
        &id,
        &[("outcome", "运营机构停止超范围使用并整改")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已协调结案，当前状态：已解决"), "{html}");
    assert!(html.contains("PG-2026-009（2026-03-20）"));
    let v = &disputes(&t, &w).await[0];
    assert_eq!(v["status"], "resolved");
    assert_eq!(v["outcome"], "运营机构停止超范围使用并整改");
    t.assert_audit_log_verifies().await;
}
