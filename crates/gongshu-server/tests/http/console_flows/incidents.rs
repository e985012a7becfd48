//! The security incidents page: the operator records its own incident with
//! the time of discovery in Beijing time, is given the 5-working-day report
//! deadline, reports on the item's own form, and the data bureau closes it;
//! the bureau records an incident of a participant. Missing and malformed
//! fields are named next to the field with the entries kept; a party
//! without the duty is neither offered the form nor able to post it, and an
//! organisation sees only the incidents it is concerned in; a reviewer is
//! not offered the report (a case officer's duty). Test clock:
//! 2026-03-02 (Monday), 09:00 in Beijing.

use serde_json::Value;

use super::{Supervised, offers, page, post_form, supervised, visible};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(an_incident_runs_through_the_console_forms);

async fn incidents(t: &TestApp, s: &Session) -> Vec<Value> {
    t.get("/api/v1/incidents", Auth::Cookie(s))
        .await
        .expect(200)
        .json()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const LEAK: &str = "数据泄露（较大）：测试县数据运营有限公司";

async fn an_incident_runs_through_the_console_forms(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let Supervised {
        bureau: bureau_org,
        operator: operator_org,
        participant: participant_org,
    } = supervised(&t, &admin).await;
    let bureau = t
        .user_session(&admin, &bureau_org, "db.officer", &["case_officer"])
        .await;
    let operator = t
        .user_session(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    let participant = t
        .user_session(&admin, &participant_org, "pt.officer", &["case_officer"])
        .await;

    // Every organisation is offered the record form; the page shows the
    // time control as Beijing wall time.
    let html = page(&t, &operator, "incidents").await;
    assert!(offers(&html, "incidents", "record"), "{html}");
    assert!(html.contains("type=\"datetime-local\""), "{html}");

    // Missing category, a malformed time: both named, entries kept,
    // nothing recorded.
    let html = post_form(
        &t,
        &operator,
        "incidents",
        "record",
        "",
        &[
            ("severity", "major"),
            ("discovered_at", "3月2日上午"),
            ("affected_data", "燃气缴费明细"),
            ("measures", "已吊销泄露的接口密钥"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“事件类别”"), "{html}");
    assert!(html.contains("“发现时间”应为北京时间"), "{html}");
    assert!(html.contains("value=\"3月2日上午\""), "entries kept");
    assert!(html.contains("已吊销泄露的接口密钥"), "entries kept");
    assert!(incidents(&t, &operator).await.is_empty());

    // A discovery later than now (10:00 Beijing, the clock says 09:00) is
    // the use case's refusal, shown next to the field.
    let mut record = vec![
        ("category", "data_leak"),
        ("severity", "major"),
        ("discovered_at", "2026-03-02T10:00"),
        ("affected_data", "燃气缴费明细"),
        ("measures", "已吊销泄露的接口密钥"),
    ];
    let html = post_form(&t, &operator, "incidents", "record", "", &record)
        .await
        .expect(200)
        .text();
    assert!(html.contains("发现时间不能晚于当前时间"), "{html}");
    assert!(html.contains("value=\"2026-03-02T10:00\""), "entries kept");
    assert!(incidents(&t, &operator).await.is_empty());

    record[2] = ("discovered_at", "2026-03-02T08:15");
    let html = post_form(&t, &operator, "incidents", "record", "", &record)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("已登记安全事件，当前状态：已登记待报告"),
        "{html}"
    );
    assert!(html.contains(LEAK), "{html}");
    assert!(html.contains("发现时间"), "{html}");
    assert!(html.contains("2026-03-02 08:15"), "Beijing time shown");
    // Five working days from Monday 2 March.
    assert!(html.contains("报告期限：2026-03-09"), "{html}");
    assert!(
        !visible(&html).contains(&operator_org),
        "no raw organisation id"
    );
    assert!(
        offers(&html, "incidents", "report"),
        "the concerned reports"
    );
    assert!(!offers(&html, "incidents", "close"));
    let list = incidents(&t, &operator).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["discovered_at"], "2026-03-02T00:15:00Z");
    assert_eq!(list[0]["concerned_org"], operator_org.as_str());
    let id = list[0]["id"].as_str().unwrap().to_owned();

    // Another organisation does not see it; the bureau does, but is not
    // offered the report, and a forged report is refused.
    assert!(!page(&t, &participant, "incidents").await.contains(LEAK));
    let html = page(&t, &bureau, "incidents").await;
    assert!(html.contains(LEAK), "{html}");
    assert!(!offers(&html, "incidents", "report"));
    assert!(!offers(&html, "incidents", "close"), "not reported yet");
    let html = post_form(
        &t,
        &bureau,
        "incidents",
        "report",
        &id,
        &[("report", "代为报告")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能报告处置情况"), "{html}");
    assert_eq!(incidents(&t, &operator).await[0]["status"], "recorded");

    // The report: an empty one is named; then filed.
    let html = post_form(
        &t,
        &operator,
        "incidents",
        "report",
        &id,
        &[("report", " ")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“处置情况报告”"), "{html}");
    let html = post_form(
        &t,
        &operator,
        "incidents",
        "report",
        &id,
        &[("report", "已通知受影响用户，完成溯源并加固接口鉴权")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已报告处置情况，当前状态：已报告"), "{html}");
    assert!(html.contains("完成溯源并加固接口鉴权"));
    assert!(!offers(&html, "incidents", "report"));

    // Only the bureau closes: the operator is neither offered nor able to.
    assert!(!offers(
        &page(&t, &operator, "incidents").await,
        "incidents",
        "close"
    ));
    let html = post_form(&t, &operator, "incidents", "close", &id, &[])
        .await
        .expect(200)
        .text();
    assert!(html.contains("未能结案"), "{html}");
    let html = page(&t, &bureau, "incidents").await;
    assert!(offers(&html, "incidents", "close"), "{html}");
    let html = post_form(
        &t,
        &bureau,
        "incidents",
        "close",
        &id,
        &[("note", "处置到位")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已结案，当前状态：已结案"), "{html}");
    assert_eq!(incidents(&t, &operator).await[0]["status"], "closed");

    // The bureau records for another organisation, which it must name.
    let of_participant = [
        ("category", "unauthorized_access"),
        ("severity", "general"),
        ("discovered_at", "2026-03-01 22:40"),
        ("affected_data", "供水账户统计结果"),
        ("measures", "已冻结相关账号"),
    ];
    let html = post_form(&t, &bureau, "incidents", "record", "", &of_participant)
        .await
        .expect(200)
        .text();
    assert!(html.contains("须指定事件涉及单位"), "{html}");
    let mut named = of_participant.to_vec();
    named.push(("concerned_org", participant_org.as_str()));
    let html = post_form(&t, &bureau, "incidents", "record", "", &named)
        .await
        .expect(200)
        .text();
    assert!(
        html.contains("未授权访问（一般）：测试数据科技有限公司"),
        "{html}"
    );
    let html = page(&t, &participant, "incidents").await;
    assert!(html.contains("未授权访问（一般）：测试数据科技有限公司"));
    assert!(html.contains("2026-03-01 22:40"));
    assert!(offers(&html, "incidents", "report"), "its own to report");
    assert!(!html.contains(LEAK), "still not the operator's");
    // A reviewer of the same organisation sees it but does not submit.
    let pt_reviewer = t
        .user_session(&admin, &participant_org, "pt.reviewer", &["reviewer"])
        .await;
    let html = page(&t, &pt_reviewer, "incidents").await;
    assert!(html.contains("未授权访问（一般）：测试数据科技有限公司"));
    assert!(!offers(&html, "incidents", "report"), "{html}");
    t.assert_audit_log_verifies().await;
}
