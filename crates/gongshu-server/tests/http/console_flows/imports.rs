//! The data import page: the operator applies through the form, the
//! implementing agency approves; personal information without a reference
//! and a missing grade are named next to their fields with the entries
//! kept; the agency is not offered the application and the operator's own
//! approver not the decision, and both are refused when posting anyway;
//! the review deadline in working days. A data-use application listed on
//! the same page is decided by each party through its form, never by the
//! applicant. Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::{Value, json};

use super::{offers, page, post_form};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(
    an_import_is_applied_for_and_approved_through_the_console_forms,
    a_use_application_is_decided_by_each_party_through_the_console_forms,
);

const IMPORTS: &str = "/api/v1/data-imports";

async fn imports(t: &TestApp, s: &Session) -> Vec<Value> {
    t.get(IMPORTS, Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn use_status(t: &TestApp, s: &Session, id: &str) -> Value {
    t.get(&format!("/api/v1/use-applications/{id}"), Auth::Cookie(s))
        .await
        .expect(200)
        .json()["review"]["status"]
        .clone()
}

async fn an_import_is_applied_for_and_approved_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let operator = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let water = t
        .create_org_in_sector(&admin, "测试县自来水公司", "data_source_unit", "utilities")
        .await;
    let agency = t
        .user_session(&admin, &t.admin.org_id, "agency.approver", &["approver"])
        .await;
    let op = t
        .user_session(&admin, &operator, "op.officer", &["case_officer"])
        .await;
    let op_approver = t
        .user_session(&admin, &operator, "op.approver", &["approver"])
        .await;
    let source = t
        .user_session(&admin, &water, "water.officer", &["case_officer"])
        .await;
    let r = t
        .post(
            "/api/v1/catalog/resources",
            Auth::Cookie(&source),
            &json!({
                "name": "居民用水量", "summary": "按户按月的用水量", "category": "公用事业/供水",
                "format": "table", "update_frequency": "monthly",
                "sharing_attribute": "conditional", "sharing_method": "sandbox",
                "use_conditions": "仅限可信数据空间内统计分析", "time_coverage_start": "2020-01-01",
                "industry": "水的生产和供应业", "region": "测试县",
            }),
        )
        .await;
    r.expect(201);
    let resource = r.json()["id"].as_str().unwrap().to_owned();

    // The operator is offered the application, with resources by name.
    let html = page(&t, &op, "imports").await;
    assert!(offers(&html, "imports", "apply"), "{html}");
    assert!(html.contains("居民用水量"));
    assert!(html.contains("（S-6.2-3）"));
    assert!(!offers(&html, "imports", "decide"));

    let fields = |personal: bool, reference: &'static str, grade: &'static str| {
        let mut f = vec![
            ("description", "合作银行提供的小微企业授信数据"),
            ("legal_basis", "consent"),
            ("legal_basis_reference", reference),
            ("data_categories", "企业授信、还款记录"),
            ("sensitivity", grade),
            ("fuse_with", resource.as_str()),
        ];
        if personal {
            f.push(("personal_information", "1"));
        }
        f
    };

    // Personal information without a reference: the use case's rule named
    // next to the reference field; a missing grade named by the form.
    let html = post_form(
        &t,
        &op,
        "imports",
        "apply",
        "",
        &fields(true, "", "important"),
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("须提供个人同意或法定依据的凭证编号（S-6.2-3）"));
    assert!(
        html.contains("合作银行提供的小微企业授信数据"),
        "entries kept"
    );
    let html = post_form(&t, &op, "imports", "apply", "", &fields(false, "", ""))
        .await
        .expect(200)
        .text();
    assert!(html.contains("请填写“数据分级”"), "{html}");
    assert!(imports(&t, &agency).await.is_empty(), "nothing created");

    // The implementing agency does not apply: not offered, forged refused.
    let html = page(&t, &agency, "imports").await;
    assert!(!offers(&html, "imports", "apply"));
    let html = post_form(
        &t,
        &agency,
        "imports",
        "apply",
        "",
        &fields(false, "", "general"),
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能申请导入外部数据"), "{html}");
    assert!(imports(&t, &agency).await.is_empty());

    let html = post_form(
        &t,
        &op,
        "imports",
        "apply",
        "",
        &fields(true, "授权书-2026-018", "important"),
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已申请导入外部数据，当前状态：待审核"),
        "{html}"
    );
    assert!(html.contains("外部数据导入：测试县数据运营有限公司"));
    assert!(html.contains("<dt>拟融合计算的数据资源</dt><dd>居民用水量</dd>"));
    assert!(html.contains("审核期限：2026-03-16"), "{html}");
    assert!(html.contains("剩余 10 个工作日"));
    assert!(!html.contains(&operator), "no raw organisation id");
    assert!(!html.contains(&water), "no raw organisation id");
    let id = imports(&t, &agency).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The applicant's own approver may not decide: not offered, refused.
    let html = page(&t, &op_approver, "imports").await;
    assert!(!offers(&html, "imports", "decide"), "{html}");
    let html = post_form(
        &t,
        &op_approver,
        "imports",
        "decide",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能审核导入申请"), "{html}");
    let v = t
        .get(&format!("{IMPORTS}/{id}"), Auth::Cookie(&agency))
        .await
        .json();
    assert_eq!(v["status"], "submitted");

    // The agency: a rejection without reasons is named next to the reason;
    // then the approval creates the pending import.
    let html = page(&t, &agency, "imports").await;
    assert!(offers(&html, "imports", "decide"), "{html}");
    let html = post_form(
        &t,
        &agency,
        "imports",
        "decide",
        &id,
        &[("verdict", "reject")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("aria-invalid"));
    let html = post_form(
        &t,
        &agency,
        "imports",
        "decide",
        &id,
        &[("verdict", "approve"), ("reason", "依据充分")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已审核导入申请，当前状态：已批准"), "{html}");
    assert!(html.contains("已生成，归测试县数据运营有限公司所有（待导入）"));
    assert!(!offers(&html, "imports", "decide"));
    let v = t
        .get(&format!("{IMPORTS}/{id}"), Auth::Cookie(&agency))
        .await
        .json();
    assert_eq!(v["status"], "approved");
    assert_eq!(v["pending_import"]["owner_org"], operator.as_str());
    t.assert_audit_log_verifies().await;
}

async fn a_use_application_is_decided_by_each_party_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let agency_org = t.admin.org_id.clone();
    let operator_org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let regulator_org = t
        .create_org_in_sector(&admin, "测试县交通运输局", "sector_regulator", "transport")
        .await;
    let source_org = t
        .create_org(&admin, "测试县公交公司", "data_source_unit")
        .await;
    let stranger_org = t
        .create_org(&admin, "测试县自来水公司", "data_source_unit")
        .await;
    let participant_org = t
        .create_org(&admin, "测试数据科技有限公司", "participant")
        .await;
    let s = |org: &str, name: &'static str, role: &'static str| {
        let (t, admin, org) = (&t, &admin, org.to_owned());
        async move { t.user_session(admin, &org, name, &[role]).await }
    };
    let agency = s(&agency_org, "agency.approver", "approver").await;
    let operator = s(&operator_org, "op.approver", "approver").await;
    let regulator = s(&regulator_org, "reg.approver", "approver").await;
    let source = s(&source_org, "src.approver", "approver").await;
    let source_officer = s(&source_org, "src.officer", "case_officer").await;
    let stranger = s(&stranger_org, "x.approver", "approver").await;
    let participant = s(&participant_org, "pt.officer", "case_officer").await;

    // The participant is admitted: four approvals and the undertaking.
    let entry = t
        .post(
            "/api/v1/market-entries",
            Auth::Cookie(&participant),
            &json!({
                "sector": "transport", "qualification": "营业执照、资质证书",
                "compliance": "数据合规制度", "technical_security": "等保三级测评报告",
                "data_source_org": source_org,
            }),
        )
        .await;
    entry.expect(201);
    let path = format!(
        "/api/v1/market-entries/{}",
        entry.json()["id"].as_str().unwrap()
    );
    for p in [&agency, &regulator, &operator, &source] {
        t.post(
            &format!("{path}/decisions"),
            Auth::Cookie(p),
            &json!({ "verdict": "approve" }),
        )
        .await
        .expect(200);
    }
    let v = t.get(&path, Auth::Cookie(&participant)).await.json();
    t.post(
        &format!("{path}/undertaking"),
        Auth::Cookie(&participant),
        &json!({ "version": v["undertaking_version"] }),
    )
    .await
    .expect(200);

    let r = t
        .post(
            "/api/v1/catalog/resources",
            Auth::Cookie(&source_officer),
            &json!({
                "name": "公交刷卡客流", "summary": "按站点按日的刷卡客流", "category": "交通/公交",
                "format": "table", "update_frequency": "daily",
                "sharing_attribute": "conditional", "sharing_method": "sandbox",
                "use_conditions": "仅限可信数据空间内统计分析", "time_coverage_start": "2022-01-01",
                "industry": "城市公共交通运输", "region": "测试县",
            }),
        )
        .await;
    r.expect(201);
    let dataset = r.json()["id"].as_str().unwrap().to_owned();
    let r = t
        .post(
            "/api/v1/use-applications",
            Auth::Cookie(&participant),
            &json!({
                "kind": "sandbox_access", "scenario": "公交出行信用评估",
                "purpose": "在沙箱内融合客流与站点数据，开发出行信用模型",
                "valid_from": "2026-04-01", "valid_until": "2027-03-31",
                "datasets": [{ "dataset_id": dataset, "provider_org": source_org, "columns": ["station_id", "boardings"] }],
            }),
        )
        .await;
    r.expect(201);
    let id = r.json()["id"].as_str().unwrap().to_owned();

    // The applicant and a unit whose data is not asked for are not offered
    // the decision; the applicant's forged post is refused.
    let html = page(&t, &participant, "imports").await;
    assert!(
        html.contains("数据使用申请：测试数据科技有限公司"),
        "{html}"
    );
    assert!(!offers(&html, "imports", "decide_use"));
    assert!(!offers(
        &page(&t, &stranger, "imports").await,
        "imports",
        "decide_use"
    ));
    let html = post_form(
        &t,
        &participant,
        "imports",
        "decide_use",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能审核数据使用申请"), "{html}");
    assert_eq!(use_status(&t, &agency, &id).await, "submitted");

    // The operator: the request by name, the deadline; a rejection without
    // reasons named next to the field.
    let html = page(&t, &operator, "imports").await;
    assert!(offers(&html, "imports", "decide_use"), "{html}");
    assert!(html.contains("公交刷卡客流（station_id、boardings）"));
    assert!(html.contains("审核期限：2026-03-16"));
    assert!(!html.contains(&participant_org) && !html.contains(&source_org));
    let html = post_form(
        &t,
        &operator,
        "imports",
        "decide_use",
        &id,
        &[("verdict", "reject")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("field-error"), "{html}");
    assert_eq!(use_status(&t, &agency, &id).await, "submitted");

    let html = post_form(
        &t,
        &operator,
        "imports",
        "decide_use",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已审核数据使用申请，当前状态：审核中"),
        "{html}"
    );
    assert!(html.contains("测试县数据运营有限公司（运营机构）：同意"));
    assert!(
        !offers(&html, "imports", "decide_use"),
        "one decision per party"
    );
    for p in [&agency, &source] {
        post_form(
            &t,
            p,
            "imports",
            "decide_use",
            &id,
            &[("verdict", "approve"), ("reason", "同意")],
        )
        .await
        .expect(200);
    }
    assert_eq!(use_status(&t, &agency, &id).await, "approved");
    let html = page(&t, &agency, "imports").await;
    assert!(
        html.contains("数据使用申请：测试数据科技有限公司 <small class=\"status\">· 已通过"),
        "{html}"
    );
    t.assert_audit_log_verifies().await;
}
