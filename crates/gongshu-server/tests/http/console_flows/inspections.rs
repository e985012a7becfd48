//! The inspections page: the data bureau opens a targeted and a random
//! inspection, records a finding with its rectification deadline, the
//! operator rectifies on the finding's own form, the bureau returns it once,
//! flags the prohibited behaviour and closes only when all is rectified.
//! Missing and malformed fields are named next to the field with the
//! entries kept; a party without the duty is neither offered the form nor
//! able to post it. Test clock: 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::Value;

use super::{Supervised, offers, page, post_form, supervised};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(an_inspection_runs_through_the_console_forms);

/// The page without the values of form controls (the organisation
/// selects carry ids as their values, which is how a select works).
fn shown(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("value=\"") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 7..];
        rest = after.find('"').map_or("", |j| &after[j + 1..]);
    }
    out.push_str(rest);
    out
}

async fn inspections(t: &TestApp, s: &Session) -> Vec<Value> {
    t.get("/api/v1/inspections", Auth::Cookie(s))
        .await
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn an_inspection_runs_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let agency = t.admin.org_id.clone();
    let Supervised {
        bureau: bureau_org,
        operator: operator_org,
        participant: participant_org,
    } = supervised(&t, &admin).await;
    let bureau = t
        .user_session(&admin, &bureau_org, "db.officer", &["case_officer"])
        .await;
    let bureau_approver = t
        .user_session(&admin, &bureau_org, "db.approver", &["approver"])
        .await;
    let operator = t
        .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    let participant = t
        .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
        .await;
    let agency_officer = t
        .user_session(&admin, &agency, "ia.officer", &["case_officer"])
        .await;

    // Only the bureau is offered the inspection; a forged post is refused.
    let html = page(&t, &bureau, "inspections").await;
    assert!(offers(&html, "inspections", "open"), "{html}");
    assert!(html.contains("测试县数据运营有限公司"), "inspected by name");
    for s in [&operator, &agency_officer] {
        assert!(!offers(
            &page(&t, s, "inspections").await,
            "inspections",
            "open"
        ));
    }
    let targeted = [
        ("kind", "targeted"),
        ("inspected_org", operator_org.as_str()),
        ("scope", "原始数据导出专项检查"),
    ];
    let html = post_form(&t, &operator, "inspections", "open", "", &targeted)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能开展监督检查"), "{html}");
    assert!(inspections(&t, &bureau).await.is_empty());

    // A missing scope and a malformed sample size: both named, kept.
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "open",
        "",
        &[
            ("kind", "targeted"),
            ("inspected_org", operator_org.as_str()),
            ("sample.n", "二十"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“检查范围或事由”"), "{html}");
    assert!(html.contains("“抽查审计记录条数”应为非负整数"), "{html}");
    assert!(html.contains("value=\"二十\""), "entries kept");
    assert!(inspections(&t, &bureau).await.is_empty());

    let html = post_form(&t, &bureau, "inspections", "open", "", &targeted)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已开展监督检查，当前状态：进行中"), "{html}");
    assert!(html.contains("专项检查：测试县数据运营有限公司"));
    assert!(
        !shown(&html).contains(&operator_org),
        "no raw organisation id"
    );
    let id = inspections(&t, &bureau).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // A random inspection samples the audit log: a case officer may not,
    // an approver may, with the seed shown for a re-check.
    let random = [
        ("kind", "random"),
        ("inspected_org", operator_org.as_str()),
        ("scope", "年度随机抽查"),
        ("sample.n", "5"),
        ("sample.seed", "42"),
    ];
    let html = post_form(&t, &bureau, "inspections", "open", "", &random)
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能开展监督检查"), "{html}");
    let html = post_form(&t, &bureau_approver, "inspections", "open", "", &random)
        .await
        .expect(200)
        .text();
    assert!(html.contains("已开展监督检查，当前状态：进行中"), "{html}");
    assert!(html.contains("随机抽查：测试县数据运营有限公司"));
    assert!(html.contains("随机种子 42"), "{html}");
    assert_eq!(inspections(&t, &bureau).await.len(), 2);

    // A finding with a time limit out of range: the rule's message next to
    // the field, nothing recorded.
    let finding = |days: &'static str| {
        [
            ("severity", "serious"),
            ("rule", "S-3.3.4-2"),
            ("description", "存在原始数据导出记录"),
            ("rectification_working_days", days),
        ]
    };
    let html = post_form(&t, &bureau, "inspections", "finding", &id, &finding("0"))
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("整改期限须为 1 至 60 个工作日（S-3.3.2d）"),
        "{html}"
    );
    assert!(html.contains("存在原始数据导出记录"), "entries kept");
    assert!(
        inspections(&t, &bureau).await[0]["findings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let html = post_form(&t, &bureau, "inspections", "finding", &id, &finding("10"))
        .await
        .expect(200)
        .text();
    assert!(html.contains("已登记检查问题，当前状态：进行中"), "{html}");
    assert!(html.contains("问题 1（严重，违反 S-3.3.4-2）"), "{html}");
    assert!(html.contains("整改期限：2026-03-16"), "{html}");
    assert!(html.contains("剩余 10 个工作日"));
    let fid = inspections(&t, &bureau).await[0]["findings"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_finding = format!("{id}/{fid}");

    // Not closed while the finding is open.
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "close",
        &id,
        &[("conclusion", "结束")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("尚有 1 个问题未整改，不能结束检查（S-3.3.2d）"),
        "{html}"
    );
    assert_eq!(inspections(&t, &bureau).await[0]["status"], "open");

    // The operator rectifies on the finding's form; a participant is not
    // offered it and is refused when posting it anyway.
    let html = page(&t, &operator, "inspections").await;
    assert!(offers(&html, "inspections", "rectify"), "{html}");
    assert!(!offers(&html, "inspections", "finding"));
    assert!(!offers(&html, "inspections", "close"));
    assert!(!html.contains(&operator_org), "no raw organisation id");
    assert!(!offers(
        &page(&t, &participant, "inspections").await,
        "inspections",
        "rectify"
    ));
    let html = post_form(
        &t,
        &participant,
        "inspections",
        "rectify",
        &on_finding,
        &[("measures", "已整改")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能登记整改情况"), "{html}");
    assert_eq!(
        inspections(&t, &bureau).await[0]["findings"][0]["status"],
        "open"
    );
    let html = post_form(
        &t,
        &operator,
        "inspections",
        "rectify",
        &on_finding,
        &[("measures", "")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“整改措施”"), "{html}");
    let html = post_form(
        &t,
        &operator,
        "inspections",
        "rectify",
        &on_finding,
        &[("measures", "已关闭导出接口并删除导出文件")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已登记整改情况，当前状态：问题已整改，检查进行中"),
        "{html}"
    );
    assert!(html.contains("已按期办理"));

    // The bureau returns it once with a new time limit.
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "return",
        &on_finding,
        &[
            ("reason", "未提供删除证明"),
            ("rectification_working_days", "五"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("“新的整改期限（工作日）”应为非负整数"),
        "{html}"
    );
    assert!(html.contains("未提供删除证明"), "entries kept");
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "return",
        &on_finding,
        &[
            ("reason", "未提供删除证明"),
            ("rectification_working_days", "5"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已退回整改，当前状态：问题待整改，检查进行中"),
        "{html}"
    );
    assert!(html.contains("整改期限：2026-03-09"), "{html}");
    post_form(
        &t,
        &operator,
        "inspections",
        "rectify",
        &on_finding,
        &[("measures", "已提交删除证明")],
    )
    .await
    .expect(200);

    // The prohibited behaviour is flagged on the operator, then closed.
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "flag",
        &on_finding,
        &[("behaviour", "raw_data_export"), ("note", "导出原始数据")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已标记禁止行为"), "{html}");
    assert!(html.contains("S-3.3.4-2 导出、还原或交易原始数据（导出原始数据）"));
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "close",
        &id,
        &[("conclusion", "问题已整改")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已结束检查，当前状态：已结束"), "{html}");
    assert!(offers(&html, "inspections", "reopen"));
    let v = &inspections(&t, &bureau).await[0];
    assert_eq!(v["status"], "closed");
    assert_eq!(v["findings"][0]["status"], "rectified");
    assert_eq!(v["flags"][0]["rule"], "S-3.3.4-2");
    let html = post_form(
        &t,
        &bureau,
        "inspections",
        "reopen",
        &id,
        &[("reason", "发现新线索")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已重新开启检查，当前状态：进行中"), "{html}");
    t.assert_audit_log_verifies().await;
}
