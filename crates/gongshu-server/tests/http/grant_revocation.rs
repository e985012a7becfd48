//! Revoking one data grant: only the implementing agency may, with a
//! reason; the grantee's table disappears from its sandbox at once; a
//! second revocation conflicts; everything is audited.

use serde_json::json;

use crate::sandbox::world;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(the_agency_revokes_one_grant_and_the_table_is_gone,);

async fn the_agency_revokes_one_grant_and_the_table_is_gone(t: TestApp) {
    let w = world(&t).await;
    let admin = t.login(&t.admin).await;
    let officer = t
        .user_session(&admin, &t.admin.org_id, "agency.officer", &["case_officer"])
        .await;
    let grants = t
        .get(
            &format!("/api/v1/grants?org={}", w.operator.org_id),
            Auth::Cookie(&w.operator),
        )
        .await;
    grants.expect(200);
    let grant = grants.json()[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/grants/{grant}/revocation");
    let sql = "SELECT township, count(*) AS n FROM water_use GROUP BY township";
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(&w.operator),
        &json!({ "sql": sql }),
    )
    .await
    .expect(200);

    // The grantee itself and the bank may not revoke (audited denials).
    let denied_before = t.audit_of("authz.denied").await.len();
    for s in [&w.operator, &w.bank] {
        t.post(&path, Auth::Cookie(s), &json!({ "reason": "不再需要" }))
            .await
            .expect(403);
    }
    assert_eq!(t.audit_of("authz.denied").await.len(), denied_before + 2);
    // A reason is required.
    let e = t
        .post(&path, Auth::Cookie(&officer), &json!({ "reason": "  " }))
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "reason");
    t.post(
        "/api/v1/grants/00000000-0000-0000-0000-000000000000/revocation",
        Auth::Cookie(&officer),
        &json!({ "reason": "核查发现超范围使用" }),
    )
    .await
    .expect(404);

    let r = t
        .post(
            &path,
            Auth::Cookie(&officer),
            &json!({ "reason": "核查发现超范围使用" }),
        )
        .await;
    r.expect(200);
    assert!(r.json()["revoked_at"].is_string(), "{}", r.json());
    let rec = t.audit_of("grant.revoked").await;
    assert_eq!(rec.len(), 1);
    assert_eq!(rec[0].payload["details"]["reason"], "核查发现超范围使用");
    assert_eq!(rec[0].payload["details"]["grant"], grant.as_str());

    // The table is gone for the grantee; its queries are refused.
    let tables = t
        .get("/api/v1/sandbox/tables", Auth::Cookie(&w.operator))
        .await;
    assert_eq!(tables.expect(200).json(), json!([]));
    t.post(
        "/api/v1/sandbox/query",
        Auth::Cookie(&w.operator),
        &json!({ "sql": sql }),
    )
    .await
    .error(422, "validation_failed");
    // Once revoked, it stays revoked.
    t.post(
        &path,
        Auth::Cookie(&officer),
        &json!({ "reason": "再次撤销" }),
    )
    .await
    .error(409, "grant.already_revoked");
    t.assert_audit_log_verifies().await;
}
