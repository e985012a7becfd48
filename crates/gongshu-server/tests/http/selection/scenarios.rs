//! Application scenarios (应用场景) over HTTP, with real logins, on both
//! backends: a sector regulator plans → the operator submits its plan → the
//! regulator of that sector reviews with written feedback → the data bureau
//! files; only a filed scenario is an approved scenario (S-6.3, S-2.1).

use serde_json::{Value, json};

use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    scenario_plan_is_reviewed_in_writing_then_filed,
    regulator_of_another_sector_cannot_review,
    plan_for_an_unplanned_scenario_is_refused,
    filing_before_approval_is_refused,
);

/// The people of the scenario workflow, logged in.
struct Sc {
    planner: Session,
    reviewer: Session,
    other_reviewer: Session,
    ia_reviewer: Session,
    operator_user: Session,
    bureau_officer: Session,
}

async fn sc(t: &TestApp) -> Sc {
    let admin = t.login(&t.admin).await;
    let agency = admin.org_id.clone();
    let transport = t
        .create_org_in_sector(&admin, "测试县交通运输局", "sector_regulator", "transport")
        .await;
    let health = t
        .create_org_in_sector(&admin, "测试县卫生健康局", "sector_regulator", "health")
        .await;
    let operator = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let bureau = t.create_org(&admin, "测试县数据局", "data_bureau").await;
    Sc {
        planner: t
            .user_session(&admin, &transport, "tr.officer", &["case_officer"])
            .await,
        reviewer: t
            .user_session(&admin, &transport, "tr.reviewer", &["reviewer"])
            .await,
        other_reviewer: t
            .user_session(&admin, &health, "hl.reviewer", &["reviewer"])
            .await,
        ia_reviewer: t
            .user_session(&admin, &agency, "ia.reviewer", &["reviewer"])
            .await,
        operator_user: t
            .user_session(&admin, &operator, "op.officer", &["case_officer"])
            .await,
        bureau_officer: t
            .user_session(&admin, &bureau, "db.officer", &["case_officer"])
            .await,
    }
}

async fn plan(t: &TestApp, s: &Sc) -> String {
    let r = t
        .post(
            "/api/v1/scenarios",
            Auth::Cookie(&s.planner),
            &json!({ "name": "公交客流分析", "description": "基于公交刷卡数据优化线路", "priority": "high" }),
        )
        .await;
    r.expect(201);
    let v = r.json();
    assert_eq!(v["status"], "planned");
    assert_eq!(v["sector"], "transport");
    v["id"].as_str().unwrap().to_owned()
}

async fn submit(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.post(
        &format!("/api/v1/scenarios/{id}/plan"),
        Auth::Cookie(s),
        &json!({ "data_need": "公交刷卡记录（脱敏）、线路站点", "compliance_measures": "原始数据不出域，结果经合规审核后输出" }),
    )
    .await
}

async fn review(t: &TestApp, s: &Session, id: &str, verdict: &str, comments: Value) -> Resp {
    t.post(
        &format!("/api/v1/scenarios/{id}/review"),
        Auth::Cookie(s),
        &json!({ "verdict": verdict, "comments": comments }),
    )
    .await
}

async fn file(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.post(
        &format!("/api/v1/scenarios/{id}/file"),
        Auth::Cookie(s),
        &json!({ "filed_on": "2026-03-02", "filing_ref": "县数据局场景备〔2026〕1号" }),
    )
    .await
}

async fn scenario_plan_is_reviewed_in_writing_then_filed(t: TestApp) {
    let s = sc(&t).await;
    let id = plan(&t, &s).await;
    submit(&t, &s.operator_user, &id).await.expect(200);
    let r = review(
        &t,
        &s.reviewer,
        &id,
        "return",
        json!("请补充数据最小必要性说明"),
    )
    .await;
    r.expect(200);
    assert_eq!(r.json()["status"], "returned");
    let r = submit(&t, &s.operator_user, &id).await;
    r.expect(200);
    assert_eq!(r.json()["plans"][1]["round"], 2);
    let r = review(&t, &s.reviewer, &id, "approve", json!("同意，按方案实施")).await;
    r.expect(200);
    let v = r.json();
    assert_eq!(v["status"], "approved");
    assert_eq!(v["plans"][0]["comments"], "请补充数据最小必要性说明");
    assert_eq!(v["plans"][1]["verdict"], "approve");
    assert!(
        !gongshu_app::selection::is_filed_scenario(&t.app, &id)
            .await
            .unwrap()
    );
    let r = file(&t, &s.bureau_officer, &id).await;
    r.expect(200);
    assert_eq!(r.json()["filed"], true);
    assert!(
        gongshu_app::selection::is_filed_scenario(&t.app, &id)
            .await
            .unwrap()
    );
    assert!(
        !gongshu_app::selection::is_filed_scenario(&t.app, "018f3c1e-0000-7000-8000-000000000001")
            .await
            .unwrap()
    );
    for (action, n) in [
        ("scenario.planned", 1),
        ("scenario.plan_submitted", 2),
        ("scenario.plan_reviewed", 2),
        ("scenario.filed", 1),
    ] {
        assert_eq!(t.audit_of(action).await.len(), n, "{action}");
    }
    let reviewed = &t.audit_of("scenario.plan_reviewed").await[1];
    assert_eq!(reviewed.payload["details"]["comments"], "同意，按方案实施");
    t.assert_audit_log_verifies().await;
}

async fn regulator_of_another_sector_cannot_review(t: TestApp) {
    let s = sc(&t).await;
    let id = plan(&t, &s).await;
    submit(&t, &s.operator_user, &id).await.expect(200);
    review(&t, &s.other_reviewer, &id, "approve", json!("同意"))
        .await
        .error(403, "forbidden");
    // The implementing agency's reviewer is not the sector regulator (S-6.3).
    review(&t, &s.ia_reviewer, &id, "approve", json!("同意"))
        .await
        .error(403, "forbidden");
    let last = t.audit_of("authz.denied").await.pop().unwrap();
    assert_eq!(
        last.payload["details"]["rule"],
        "scenario.reviewer_not_sector_regulator"
    );
    // Written feedback is required.
    let v = review(&t, &s.reviewer, &id, "approve", json!("  "))
        .await
        .error(422, "validation_failed");
    assert_eq!(v["fields"][0]["code"], "scenario.comments_required");
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("（S-6.3）")
    );
    review(&t, &s.reviewer, &id, "approve", json!("同意"))
        .await
        .expect(200);
    assert_eq!(t.audit_of("scenario.plan_reviewed").await.len(), 1);
    t.assert_audit_log_verifies().await;
}

async fn plan_for_an_unplanned_scenario_is_refused(t: TestApp) {
    let s = sc(&t).await;
    let id = plan(&t, &s).await;
    t.post(
        &format!("/api/v1/scenarios/{id}/cancel"),
        Auth::Cookie(&s.planner),
        &json!({}),
    )
    .await
    .expect(200);
    let v = submit(&t, &s.operator_user, &id)
        .await
        .error(409, "scenario.not_planned");
    assert!(v["message"].as_str().unwrap().contains("（S-6.3）"), "{v}");
    submit(&t, &s.operator_user, "018f3c1e-0000-7000-8000-000000000009")
        .await
        .error(404, "not_found");
    // Only a sector regulator plans; the operator does not.
    let r = t
        .post(
            "/api/v1/scenarios",
            Auth::Cookie(&s.operator_user),
            &json!({ "name": "自定场景", "description": "运营机构自行规划", "priority": "low" }),
        )
        .await;
    r.error(409, "scenario.not_sector_regulator");
    assert!(t.audit_of("scenario.plan_submitted").await.is_empty());
    t.assert_audit_log_verifies().await;
}

async fn filing_before_approval_is_refused(t: TestApp) {
    let s = sc(&t).await;
    let id = plan(&t, &s).await;
    submit(&t, &s.operator_user, &id).await.expect(200);
    let v = file(&t, &s.bureau_officer, &id)
        .await
        .error(409, "scenario.not_approved");
    assert!(v["message"].as_str().unwrap().contains("（S-2.1）"), "{v}");
    // Only the data bureau files.
    file(&t, &s.planner, &id).await.error(403, "forbidden");
    assert!(
        !gongshu_app::selection::is_filed_scenario(&t.app, &id)
            .await
            .unwrap()
    );
    assert!(t.audit_of("scenario.filed").await.is_empty());
    t.assert_audit_log_verifies().await;
}
