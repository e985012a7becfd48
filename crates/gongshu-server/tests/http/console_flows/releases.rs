//! The release page (出域申请与审核): the operator requests through the
//! form, a missing title is named next to its field with the entries kept,
//! reviewers see the files they review and decide in the page, a rejection
//! needs a reason, the requester is offered no review and is refused when
//! posting one, and two approvals release the result.

use super::{offers, page, post_form, visible};
use crate::sandbox::world;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(a_result_leaves_after_two_reviewers_approve_in_the_page);

const SQL: &str = "SELECT township, count(DISTINCT account_no) AS accounts FROM water_use GROUP BY township ORDER BY township";

async fn a_result_leaves_after_two_reviewers_approve_in_the_page(t: TestApp) {
    let w = world(&t).await;
    let count = |v: serde_json::Value| v.as_array().map_or(0, Vec::len);

    let html = page(&t, &w.operator, "releases").await;
    assert!(offers(&html, "releases", "request"), "{html}");
    // A request without its title: named next to the field, entries kept.
    let html = post_form(
        &t,
        &w.operator,
        "releases",
        "request",
        "",
        &[("title", ""), ("purpose", "管网规划报告附表"), ("sql", SQL)],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("请填写“申请标题”"), "{html}");
    assert!(html.contains("管网规划报告附表"), "entries kept");
    let list = t.get("/api/v1/releases", Auth::Cookie(&w.operator)).await;
    assert_eq!(count(list.json()), 0, "nothing requested");

    // A reviewer is not offered the request form, and a forged one is refused.
    let html = page(&t, &w.bureau_reviewer, "releases").await;
    assert!(!offers(&html, "releases", "request"));
    let html = post_form(
        &t,
        &w.bureau_reviewer,
        "releases",
        "request",
        "",
        &[("title", "乡镇用水户数"), ("purpose", "核查"), ("sql", SQL)],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能提交出域申请"), "{html}");
    let list = t
        .get("/api/v1/releases", Auth::Cookie(&w.bureau_reviewer))
        .await;
    assert_eq!(count(list.json()), 0);

    let html = post_form(
        &t,
        &w.operator,
        "releases",
        "request",
        "",
        &[
            ("title", "乡镇用水户数"),
            ("purpose", "管网规划报告附表"),
            ("sql", SQL),
            ("file_name", "说明.json"),
            ("file_content", "{\"note\": \"按乡镇汇总\"}"),
        ],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已提交出域申请，当前状态：待审核"), "{html}");
    assert!(html.contains("出域申请：乡镇用水户数") && html.contains("说明.json"));
    assert!(
        !visible(&html).contains(&w.orgs.operator),
        "no raw organisation id"
    );
    assert!(
        !offers(&html, "releases", "decide"),
        "the requester does not review"
    );
    let id = t
        .get("/api/v1/releases", Auth::Cookie(&w.operator))
        .await
        .json()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The requester cannot review its own request.
    let html = post_form(
        &t,
        &w.operator,
        "releases",
        "decide",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("未能提交审核意见"), "{html}");

    // The reviewer sees the file under review and the deadline.
    let html = page(&t, &w.agency_reviewer, "releases").await;
    assert!(offers(&html, "releases", "decide"), "{html}");
    assert!(
        html.contains("文件 result.csv") && html.contains("township"),
        "{html}"
    );
    assert!(html.contains("审核期限"));
    // A rejection without a reason is refused; nothing is decided.
    let html = post_form(
        &t,
        &w.agency_reviewer,
        "releases",
        "decide",
        &id,
        &[("verdict", "reject"), ("reason", "")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("理由"), "{html}");
    assert!(
        html.contains("<option value=\"reject\" selected>"),
        "choice kept"
    );
    let v = t
        .get(&format!("/api/v1/releases/{id}"), Auth::Cookie(&w.operator))
        .await
        .json();
    assert_eq!(v["status"], "submitted");
    assert_eq!(count(v["decisions"].clone()), 0);

    let html = post_form(
        &t,
        &w.agency_reviewer,
        "releases",
        "decide",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(html.contains("已提交审核意见，当前状态：待审核"), "{html}");
    let html = post_form(
        &t,
        &w.bureau_reviewer,
        "releases",
        "decide",
        &id,
        &[("verdict", "approve")],
    )
    .await
    .expect(200)
    .text();
    assert!(
        html.contains("已提交审核意见，当前状态：已批准出域"),
        "{html}"
    );
    t.get(
        &format!("/api/v1/releases/{id}/files/result.csv"),
        Auth::Cookie(&w.operator),
    )
    .await
    .expect(200);
    t.assert_audit_log_verifies().await;
}
