//! API keys: issued once, used with `X-Api-Key`, bound to one organisation,
//! without the issuer's roles; revoked, expired, unknown and foreign keys
//! are refused and audited (`api_key.refused`).

use chrono::TimeDelta;
use serde_json::json;

use crate::support::{Auth, TestApp};

crate::on_both_backends!(api_key_lifecycle);

async fn api_key_lifecycle(t: TestApp) {
    let ia = t.login(&t.admin).await;
    let part = t.create_org(&ia, "甲科技有限公司", "participant").await;
    let p_admin = t.create_user(&ia, &part, "p.admin", &["admin"]).await;
    let s = t.login(&p_admin).await;

    let keys_path = format!("/api/v1/organisations/{part}/api-keys");
    let issue = |days: i64| {
        let t = t.clone();
        let s = s.clone();
        let path = keys_path.clone();
        async move {
            let r = t
                .post(
                    &path,
                    Auth::Cookie(&s),
                    &json!({ "scope": "product:credit-score/scenario:smb-loans", "valid_days": days }),
                )
                .await;
            r.expect(201).json()
        }
    };
    let short = issue(1).await;
    let long = issue(30).await;
    let short_key = short["key"].as_str().unwrap().to_owned();
    let long_key = long["key"].as_str().unwrap().to_owned();
    let short_id = short["id"].as_str().unwrap().to_owned();
    let long_id = long["id"].as_str().unwrap().to_owned();
    assert!(short_key.starts_with("gsk_"));

    // A live key authenticates; it acts for its organisation, with no roles.
    let me = t.get("/api/v1/me", Auth::ApiKey(&short_key)).await;
    let me = me.expect(200).json();
    assert_eq!(me["org_id"], part.as_str());
    assert_eq!(me["roles"], json!([]));
    assert_eq!(me["via"]["method"], "api_key");
    assert_eq!(me["via"]["key_id"], short_id.as_str());
    t.get("/api/v1/organisations", Auth::ApiKey(&short_key))
        .await
        .expect(200);

    // Having no roles, a key may not manage keys, not even its own
    // organisation's: refused by the policies (default deny).
    let mark = t.ledger().size();
    t.get(&keys_path, Auth::ApiKey(&short_key))
        .await
        .error(403, "forbidden");
    let recs = t.audit_since(mark).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].action, "authz.denied");
    assert_eq!(recs[0].payload["details"]["action"], "apikey.issue");
    assert_eq!(recs[0].payload["actor_roles"], json!([]));
    // Nor act with the issuer's roles on state.
    t.post(
        "/api/v1/users",
        Auth::ApiKey(&short_key),
        &json!({ "org_id": part, "username": "p.bot", "display_name": "机器", "roles": [] }),
    )
    .await
    .error(403, "forbidden");

    // A key of another organisation: refused before any policy runs.
    let mark = t.ledger().size();
    t.get(
        &format!("/api/v1/organisations/{}/api-keys", t.admin.org_id),
        Auth::ApiKey(&short_key),
    )
    .await
    .error(403, "forbidden");
    let recs = t.audit_since(mark).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].action, "api_key.refused");
    assert_eq!(recs[0].reason(), "other_organisation");
    assert_eq!(recs[0].payload["target_id"], short_id.as_str());
    assert_eq!(
        recs[0].payload["details"]["asked_for"],
        t.admin.org_id.as_str()
    );

    // An unknown key.
    let mark = t.ledger().size();
    t.get("/api/v1/me", Auth::ApiKey("gsk_not-a-key"))
        .await
        .error(401, "unauthenticated");
    let recs = t.audit_since(mark).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].action, "api_key.refused");
    assert_eq!(recs[0].reason(), "unknown_key");
    assert!(!recs[0].payload.to_string().contains("gsk_not-a-key"));

    // A revoked key.
    t.delete(&format!("{keys_path}/{long_id}"), Auth::Cookie(&s))
        .await
        .expect(204);
    t.delete(&format!("{keys_path}/{long_id}"), Auth::Cookie(&s))
        .await
        .error(404, "not_found");
    let mark = t.ledger().size();
    t.get("/api/v1/me", Auth::ApiKey(&long_key))
        .await
        .error(401, "unauthenticated");
    let recs = t.audit_since(mark).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].action, "api_key.refused");
    assert_eq!(recs[0].reason(), "revoked");
    assert_eq!(recs[0].payload["target_id"], long_id.as_str());
    assert_eq!(recs[0].payload["actor_org"], part.as_str());

    // The organisation's admin lists its keys: no secrets, revocation shown.
    let list = t.get(&keys_path, Auth::Cookie(&s)).await;
    list.expect(200);
    let text = list.text();
    assert!(!text.contains(&short_key) && !text.contains(&long_key));
    let list = list.json();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2);
    for k in list {
        assert_eq!(k["revoked_at"].is_null(), k["id"] == short_id.as_str());
        assert!(
            short_key.starts_with(k["prefix"].as_str().unwrap()) || k["id"] == long_id.as_str()
        );
    }
    // The implementing agency's admin cannot revoke another organisation's key.
    t.delete(&format!("{keys_path}/{short_id}"), Auth::Cookie(&ia))
        .await
        .error(403, "forbidden");

    // An expired key.
    t.get("/api/v1/me", Auth::ApiKey(&short_key))
        .await
        .expect(200);
    t.advance(TimeDelta::days(1) + TimeDelta::seconds(1));
    let mark = t.ledger().size();
    t.get("/api/v1/me", Auth::ApiKey(&short_key))
        .await
        .error(401, "unauthenticated");
    let recs = t.audit_since(mark).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].action, "api_key.refused");
    assert_eq!(recs[0].reason(), "expired");
    assert_eq!(recs[0].payload["target_id"], short_id.as_str());

    let issued = t.audit_of("api_key.issued").await;
    assert_eq!(issued.len(), 2);
    assert_eq!(t.audit_of("api_key.revoked").await.len(), 1);

    t.assert_audit_log_verifies().await;
}
