//! The audit inspection page (`/console/audit`, S-3.3.2d): the data
//! bureau's reviewer reads the newest records first, in Beijing time, with
//! who acted and on what by name; filters by acting organisation and by
//! Beijing dates (both days included), page by page; a malformed date is
//! named and lists nothing; any other role is refused. Test clock: 2026-03-02 09:00 Beijing.

use chrono::TimeDelta;

use crate::console_flows::{Supervised, supervised, visible};
use crate::support::{Auth, Session, TestApp};

crate::on_both_backends!(the_audit_page_names_actors_and_filters_by_org_and_day);

async fn audit_page(t: &TestApp, s: &Session, query: &str) -> String {
    t.get(&format!("/console/audit{query}"), Auth::CookieNoCsrf(s))
        .await
        .expect(200)
        .text()
}

/// The ledger indices of the rows shown, in page order.
fn shown_indices(html: &str) -> Vec<u64> {
    html.split("data-receipt=\"/api/v1/audit/records/")
        .skip(1)
        .filter_map(|s| s.split('/').next()?.parse().ok())
        .collect()
}

/// The visible text of each table row.
fn rows(html: &str) -> Vec<String> {
    let body = html.split("<tbody>").nth(1).unwrap_or_default();
    let body = body.split("</tbody>").next().unwrap_or_default();
    body.split("<tr>")
        .skip(1)
        .map(|r| visible(r).split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

async fn the_audit_page_names_actors_and_filters_by_org_and_day(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let Supervised {
        bureau: bureau_org,
        operator: operator_org,
        ..
    } = supervised(&t, &admin).await;
    let reviewer = t
        .create_user(&admin, &bureau_org, "db.reviewer", &["reviewer"])
        .await;
    let operator = t
        .create_user(&admin, &operator_org, "op.officer", &["case_officer"])
        .await;
    let operator_user = operator.user_id.clone();

    // The operator may not inspect (its refusal is itself a record, on
    // 2 March); two days later it is refused again (on 4 March).
    let s = t.login(&operator).await;
    t.get("/console/audit", Auth::CookieNoCsrf(&s))
        .await
        .expect(403);
    t.advance(TimeDelta::days(2));
    let s = t.login(&operator).await;
    t.get("/console/audit", Auth::CookieNoCsrf(&s))
        .await
        .expect(403);
    let reviewer = t.login(&reviewer).await;

    let html = audit_page(&t, &reviewer, "").await;
    assert!(html.contains("时间（北京时间）"), "{html}");
    let indices = shown_indices(&html);
    assert!(indices.len() > 5, "{indices:?}");
    assert!(
        indices.windows(2).all(|w| w[0] > w[1]),
        "newest first: {indices:?}"
    );
    let text = visible(&html);
    assert!(
        text.contains("测试用户（op.officer） · 测试县数据运营有限公司"),
        "{text}"
    );
    assert!(
        text.contains("用户 测试用户（db.reviewer）"),
        "the created user by name"
    );
    assert!(
        text.contains("单位 测试县数据运营有限公司"),
        "the created org by name"
    );
    assert!(!text.contains(&operator_user), "no raw user id");
    assert!(!text.contains(&operator_org), "no raw organisation id");

    // Only the operator's records; then only those of 4 March.
    let by_org = rows(&audit_page(&t, &reviewer, &format!("?org={operator_org}")).await);
    assert!(by_org.len() >= 2, "{by_org:?}");
    assert!(
        by_org.iter().all(|r| r.contains("测试县数据运营有限公司")),
        "{by_org:?}"
    );
    let on_4th = rows(
        &audit_page(
            &t,
            &reviewer,
            &format!("?org={operator_org}&from=2026-03-04&until=2026-03-04"),
        )
        .await,
    );
    assert!(
        !on_4th.is_empty() && on_4th.len() < by_org.len(),
        "{on_4th:?}"
    );
    assert!(
        on_4th.iter().all(|r| r.contains("2026-03-04 ")),
        "{on_4th:?}"
    );
    let on_2nd = rows(
        &audit_page(
            &t,
            &reviewer,
            &format!("?org={operator_org}&from=2026-03-02&until=2026-03-02"),
        )
        .await,
    );
    assert_eq!(on_2nd.len() + on_4th.len(), by_org.len(), "{on_2nd:?}");

    // A malformed date is named; nothing is listed for it.
    let html = audit_page(&t, &reviewer, "?from=3%E6%9C%882%E6%97%A5").await;
    assert!(html.contains("“起始日期”应为日期"), "{html}");
    assert!(shown_indices(&html).is_empty());
    assert!(html.contains("没有符合条件的记录"));

    // More than a page of the operator's records: the newest page offers
    // the older one, which holds only older records and offers the way
    // back, with the filter kept.
    let s = t.login(&operator).await;
    for _ in 0..210 {
        t.get("/console/audit", Auth::CookieNoCsrf(&s))
            .await
            .expect(403);
    }
    let newest = audit_page(&t, &reviewer, &format!("?org={operator_org}")).await;
    let first = shown_indices(&newest);
    assert_eq!(first.len(), 200);
    assert!(newest.contains("更早的记录") && !newest.contains("较新的记录"));
    assert!(newest.contains(&format!("name=\"org\" value=\"{operator_org}\"")));
    let older = audit_page(&t, &reviewer, &format!("?org={operator_org}&page=1")).await;
    let second = shown_indices(&older);
    assert!(!second.is_empty() && second.len() < 200, "{}", second.len());
    let oldest_shown = first.iter().min().copied().unwrap_or_default();
    assert!(second.iter().all(|i| *i < oldest_shown));
    assert!(older.contains("较新的记录") && !older.contains("更早的记录"));
    assert!(
        rows(&older)
            .iter()
            .all(|r| r.contains("测试县数据运营有限公司"))
    );
    t.assert_audit_log_verifies().await;
}
