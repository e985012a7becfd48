//! The database goes away: requests answer 503 `database_unavailable`,
//! nothing is recorded, and the audit log stays verifiable.

use serde_json::json;

use crate::support::{Auth, TestApp};

crate::on_both_backends!(database_unavailable);

async fn database_unavailable(t: TestApp) {
    let s = t.login(&t.admin).await;
    t.get("/api/v1/me", Auth::Bearer(&s)).await.expect(200);
    let size = t.ledger().size();

    t.store().close().await;

    t.get("/api/v1/me", Auth::Bearer(&s))
        .await
        .error(503, "database_unavailable");
    t.get("/api/v1/organisations", Auth::Cookie(&s))
        .await
        .error(503, "database_unavailable");
    t.post(
        "/api/v1/organisations",
        Auth::Cookie(&s),
        &json!({ "name": "甲科技有限公司", "kind": "participant" }),
    )
    .await
    .error(503, "database_unavailable");
    let code = t.fresh_code(&t.admin);
    t.login_attempt(&t.admin.username, &t.admin.password, &code)
        .await
        .error(503, "database_unavailable");
    t.get("/api/v1/me", Auth::ApiKey("gsk_whatever"))
        .await
        .error(503, "database_unavailable");
    let h = t.get("/healthz", Auth::None).await;
    assert_eq!(h.status.as_u16(), 503);
    assert_eq!(h.json()["database"], "unavailable");
    // The public audit files do not need the database.
    t.get("/audit/checkpoint", Auth::None).await.expect(200);

    assert_eq!(t.ledger().size(), size, "nothing was recorded");
    t.assert_audit_log_verifies().await;
}
