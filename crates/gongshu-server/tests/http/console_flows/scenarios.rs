//! The scenario page: planned, planned again after a return, approved and
//! filed through its forms; a missing field named next to it with the
//! entries kept; the operator not offered the planning form and refused
//! when posting anyway; the regulator of another sector not offered the
//! review and refused; a filing dated in the future named next to its
//! field. Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::Value;

use super::{offers, page, post_form};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(the_scenario_lifecycle_runs_through_the_console_forms);

async fn scenarios(t: &TestApp, s: &Session) -> Vec<Value> {
    t.get("/api/v1/scenarios", Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .unwrap()
        .clone()
}

async fn status(t: &TestApp, s: &Session, id: &str) -> Value {
    t.get(&format!("/api/v1/scenarios/{id}"), Auth::Cookie(s))
        .await
        .expect(200)
        .json()["status"]
        .clone()
}

const PLAN: &[(&str, &str)] = &[
    ("data_need", "公交刷卡记录（脱敏）、线路站点"),
    (
        "compliance_measures",
        "原始数据不出域，结果经合规审核后输出",
    ),
];

async fn the_scenario_lifecycle_runs_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
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
    let planner = t
        .user_session(&admin, &transport, "tr.officer", &["case_officer"])
        .await;
    let reviewer = t
        .user_session(&admin, &transport, "tr.reviewer", &["reviewer"])
        .await;
    let other = t
        .user_session(&admin, &health, "hl.reviewer", &["reviewer"])
        .await;
    let op = t
        .user_session(&admin, &operator, "op.officer", &["case_officer"])
        .await;
    let filer = t
        .user_session(&admin, &bureau, "db.officer", &["case_officer"])
        .await;

    // The sector regulator is offered the planning form; nothing listed yet.
    let html = page(&t, &planner, "scenarios").await;
    assert!(offers(&html, "scenarios", "plan"), "{html}");
    assert!(html.contains("（S-6.3）"));
    assert!(html.contains("id=\"no-items\""));

    // A plan without its description: named next to the field, the
    // entries kept, nothing created.
    let html = post_form(
        &t,
        &planner,
        "scenarios",
        "plan",
        "",
        &[("name", "公交客流分析"), ("priority", "high")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“场景说明”"), "{html}");
    assert!(html.contains("公交客流分析"), "entries kept");
    assert!(html.contains("<details class=\"command\" id=\"new-plan\" open>"));
    assert!(scenarios(&t, &admin).await.is_empty(), "nothing created");

    // The operator does not plan: not offered, and a forged post is refused.
    let full = [
        ("name", "公交客流分析"),
        ("description", "基于公交刷卡数据优化线路"),
        ("priority", "high"),
    ];
    let html = page(&t, &op, "scenarios").await;
    assert!(!offers(&html, "scenarios", "plan"));
    let html = post_form(&t, &op, "scenarios", "plan", "", &full)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能规划应用场景"), "{html}");
    assert!(scenarios(&t, &admin).await.is_empty());

    let html = post_form(&t, &planner, "scenarios", "plan", "", &full)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已规划应用场景，当前状态：已规划"), "{html}");
    assert!(html.contains("应用场景：公交客流分析"));
    assert!(html.contains("测试县交通运输局"), "the regulator by name");
    assert!(!html.contains(&transport), "no raw organisation id");
    let id = scenarios(&t, &admin).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The operator submits its plan; it is not offered the review.
    let html = page(&t, &op, "scenarios").await;
    assert!(offers(&html, "scenarios", "submit"), "{html}");
    assert!(!offers(&html, "scenarios", "review"));
    assert!(!offers(&html, "scenarios", "cancel"));
    let html = post_form(&t, &op, "scenarios", "submit", &id, PLAN)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已提交场景方案，当前状态：方案待审核"),
        "{html}"
    );
    assert!(html.contains("第 1 轮场景方案"));
    assert!(!html.contains(&operator), "no raw organisation id");

    // The regulator of another sector is neither offered the review nor
    // able to post it.
    let html = page(&t, &other, "scenarios").await;
    assert!(!offers(&html, "scenarios", "review"), "{html}");
    let html = post_form(
        &t,
        &other,
        "scenarios",
        "review",
        &id,
        &[("verdict", "approve"), ("comments", "同意")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能审核场景方案"), "{html}");
    assert_eq!(status(&t, &admin, &id).await, "plan_submitted");

    // The planning regulator returns it in writing; written feedback is
    // required, and the operator resubmits.
    let html = page(&t, &reviewer, "scenarios").await;
    assert!(offers(&html, "scenarios", "review"), "{html}");
    let html = post_form(
        &t,
        &reviewer,
        "scenarios",
        "review",
        &id,
        &[("verdict", "return")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“书面意见”"), "{html}");
    assert_eq!(status(&t, &admin, &id).await, "plan_submitted");
    let html = post_form(
        &t,
        &reviewer,
        "scenarios",
        "review",
        &id,
        &[
            ("verdict", "return"),
            ("comments", "请补充数据最小必要性说明"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已审核场景方案，当前状态：方案已退回"),
        "{html}"
    );
    assert!(html.contains("请补充数据最小必要性说明"));
    let html = post_form(&t, &op, "scenarios", "submit", &id, PLAN)
        .await
        .expect(200)
        .text();
    assert!(html.contains("当前状态：方案待审核"), "{html}");
    assert!(html.contains("第 2 轮场景方案"));
    let html = post_form(
        &t,
        &reviewer,
        "scenarios",
        "review",
        &id,
        &[("verdict", "approve"), ("comments", "同意，按方案实施")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("当前状态：方案已通过"), "{html}");

    // Only the data bureau files; a filing dated after today is named next
    // to the date and changes nothing.
    assert!(!offers(
        &page(&t, &reviewer, "scenarios").await,
        "scenarios",
        "file"
    ));
    let html = page(&t, &filer, "scenarios").await;
    assert!(offers(&html, "scenarios", "file"), "{html}");
    let html = post_form(
        &t,
        &filer,
        "scenarios",
        "file",
        &id,
        &[
            ("filed_on", "2026-03-09"),
            ("filing_ref", "县数据局场景备〔2026〕1号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("field-error"), "{html}");
    assert!(html.contains("晚于今日"));
    assert!(html.contains("县数据局场景备〔2026〕1号"), "entries kept");
    assert_eq!(status(&t, &admin, &id).await, "approved");
    let html = post_form(
        &t,
        &filer,
        "scenarios",
        "file",
        &id,
        &[
            ("filed_on", "2026-03-02"),
            ("filing_ref", "县数据局场景备〔2026〕1号"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已记录备案，当前状态：已备案"), "{html}");
    assert!(html.contains("2026-03-02，备案编号 县数据局场景备〔2026〕1号"));
    let v = t
        .get(&format!("/api/v1/scenarios/{id}"), Auth::Cookie(&admin))
        .await
        .json();
    assert_eq!(v["status"], "filed");
    assert_eq!(v["filed"], true);
    assert_eq!(v["plans"].as_array().unwrap().len(), 2);
    t.assert_audit_log_verifies().await;
}
