//! CSRF: a cookie-authenticated unsafe request needs its session's token in
//! `X-CSRF-Token`; a refused one changes nothing. Bearer tokens need none.

use serde_json::json;

use crate::support::{Auth, TestApp};

crate::on_both_backends!(csrf_protects_cookie_sessions);

async fn csrf_protects_cookie_sessions(t: TestApp) {
    let s = t.login(&t.admin).await;
    let other = t.login(&t.admin).await;
    let org_count = |t: TestApp, s: crate::support::Session| async move {
        let r = t.get("/api/v1/organisations", Auth::CookieNoCsrf(&s)).await;
        r.expect(200).json().as_array().unwrap().len()
    };
    let orgs_before = org_count(t.clone(), s.clone()).await;
    let size_before = t.ledger().size();
    let new_org = json!({ "name": "甲科技有限公司", "kind": "participant" });

    t.post("/api/v1/organisations", Auth::CookieNoCsrf(&s), &new_org)
        .await
        .error(403, "forbidden");
    t.post(
        "/api/v1/organisations",
        Auth::CookieCsrf(&s, "forged"),
        &new_org,
    )
    .await
    .error(403, "forbidden");
    t.post("/api/v1/organisations", Auth::CookieCsrf(&s, ""), &new_org)
        .await
        .error(403, "forbidden");
    // Another session's token does not do either.
    t.post(
        "/api/v1/organisations",
        Auth::CookieCsrf(&s, &other.csrf),
        &new_org,
    )
    .await
    .error(403, "forbidden");
    t.post(
        &format!("/api/v1/users/{}/roles", t.admin.user_id),
        Auth::CookieNoCsrf(&s),
        &json!({ "role": "case_officer" }),
    )
    .await
    .error(403, "forbidden");
    t.delete(
        &format!("/api/v1/users/{}/roles/approver", t.admin.user_id),
        Auth::CookieNoCsrf(&s),
    )
    .await
    .error(403, "forbidden");
    // Logout is an unsafe request too: without the token the session lives on.
    t.delete("/api/v1/session", Auth::CookieNoCsrf(&s))
        .await
        .error(403, "forbidden");
    t.get("/api/v1/me", Auth::CookieNoCsrf(&s))
        .await
        .expect(200);

    assert_eq!(org_count(t.clone(), s.clone()).await, orgs_before);
    assert_eq!(
        t.ledger().size(),
        size_before,
        "nothing was recorded or done"
    );
    let me = t.get("/api/v1/me", Auth::Cookie(&s)).await;
    let me = me.expect(200).json();
    let mut roles: Vec<&str> = me["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    roles.sort_unstable();
    assert_eq!(roles, ["admin", "approver"], "no role was changed");

    // With the right token, or with a bearer token (no cookie, no CSRF).
    t.post("/api/v1/organisations", Auth::Cookie(&s), &new_org)
        .await
        .expect(201);
    t.post(
        "/api/v1/organisations",
        Auth::Bearer(&other),
        &json!({ "name": "乙科技有限公司", "kind": "participant" }),
    )
    .await
    .expect(201);
    assert_eq!(org_count(t.clone(), s.clone()).await, orgs_before + 2);
    assert_eq!(t.audit_of("org.created").await.len(), 2);
    t.delete("/api/v1/session", Auth::Bearer(&other))
        .await
        .expect(204);
    t.get("/api/v1/me", Auth::Bearer(&other))
        .await
        .error(401, "unauthenticated");

    t.assert_audit_log_verifies().await;
}
