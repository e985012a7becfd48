//! Role × action through HTTP: each role does what the policies allow and
//! is refused (403 `forbidden`, audited as `authz.denied`) what they do not.

use std::collections::BTreeSet;

use gongshu_ledger::{NoteVerifier, Receipt};
use serde_json::json;

use crate::support::{Auth, ORIGIN, TestApp};

crate::on_both_backends!(roles_and_actions);

async fn roles_and_actions(t: TestApp) {
    // ---- implementing-agency admin: creates orgs and users, grants roles ----
    let ia = t.login(&t.admin).await;
    let bureau = t
        .create_org(&ia, "测试县数据和政务服务局", "data_bureau")
        .await;
    let operator = t
        .create_org(&ia, "测试县数据运营有限公司", "operator")
        .await;
    let part_a = t.create_org(&ia, "甲科技有限公司", "participant").await;
    let part_b = t.create_org(&ia, "乙科技有限公司", "participant").await;
    let ops = t
        .create_org(&ia, "测试县平台运维中心", "platform_admin")
        .await;
    let orgs = t.get("/api/v1/organisations", Auth::Cookie(&ia)).await;
    assert_eq!(orgs.expect(200).json().as_array().unwrap().len(), 6);

    let reviewer = t
        .create_user(&ia, &bureau, "db.reviewer", &["reviewer"])
        .await;
    let op_admin = t.create_user(&ia, &operator, "op.admin", &["admin"]).await;
    let a_admin = t.create_user(&ia, &part_a, "a.admin", &["admin"]).await;
    let ops_admin = t.create_user(&ia, &ops, "ops.admin", &["admin"]).await;

    t.post(
        &format!("/api/v1/users/{}/roles", a_admin.user_id),
        Auth::Cookie(&ia),
        &json!({ "role": "case_officer" }),
    )
    .await
    .expect(204);
    let users = t
        .get(
            &format!("/api/v1/organisations/{part_a}/users"),
            Auth::Cookie(&ia),
        )
        .await;
    let users = users.expect(200).json();
    let roles: BTreeSet<&str> = users[0]["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(roles, BTreeSet::from(["admin", "case_officer"]));

    // Not even the implementing agency's admin grants themselves a role.
    let mut denied = Vec::new();
    t.post(
        &format!("/api/v1/users/{}/roles", t.admin.user_id),
        Auth::Cookie(&ia),
        &json!({ "role": "reviewer" }),
    )
    .await
    .error(403, "forbidden");
    denied.push((t.admin.user_id.clone(), "role.grant"));

    // ---- a participant's admin: own organisation only ----
    let a = t.login(&a_admin).await;
    assert_eq!(
        (a.user_id.as_str(), a.org_id.as_str()),
        (a_admin.user_id.as_str(), part_a.as_str())
    );
    let r = t
        .post(
            "/api/v1/organisations",
            Auth::Cookie(&a),
            &json!({ "name": "丙科技有限公司", "kind": "participant" }),
        )
        .await;
    assert!(
        r.error(403, "forbidden")["fields"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    denied.push((a_admin.user_id.clone(), "org.create"));
    t.post(
        "/api/v1/users",
        Auth::Cookie(&a),
        &json!({ "org_id": part_b, "username": "b.intruder", "display_name": "乙", "roles": ["admin"] }),
    )
    .await
    .error(403, "forbidden");
    denied.push((a_admin.user_id.clone(), "user.create"));
    t.get(
        &format!("/api/v1/organisations/{part_b}/users"),
        Auth::Cookie(&a),
    )
    .await
    .error(403, "forbidden");
    denied.push((a_admin.user_id.clone(), "user.read"));
    t.post(
        &format!("/api/v1/organisations/{part_b}/api-keys"),
        Auth::Cookie(&a),
        &json!({ "scope": "product:x", "valid_days": 30 }),
    )
    .await
    .error(403, "forbidden");
    denied.push((a_admin.user_id.clone(), "apikey.issue"));
    t.post(
        &format!("/api/v1/users/{}/roles", a_admin.user_id),
        Auth::Cookie(&a),
        &json!({ "role": "reviewer" }),
    )
    .await
    .error(403, "forbidden");
    denied.push((a_admin.user_id.clone(), "role.grant"));
    // What the participant's admin may do: its own users, roles and keys.
    let clerk = t
        .create_user(&a, &part_a, "a.clerk", &["case_officer"])
        .await;
    t.post(
        &format!("/api/v1/users/{}/roles", clerk.user_id),
        Auth::Cookie(&a),
        &json!({ "role": "reviewer" }),
    )
    .await
    .expect(204);
    t.delete(
        &format!("/api/v1/users/{}/roles/case_officer", clerk.user_id),
        Auth::Cookie(&a),
    )
    .await
    .expect(204);
    t.post(
        &format!("/api/v1/organisations/{part_a}/api-keys"),
        Auth::Cookie(&a),
        &json!({ "scope": "product:credit-score", "valid_days": 30 }),
    )
    .await
    .expect(201);
    t.get(
        &format!("/api/v1/organisations/{part_a}/users"),
        Auth::Cookie(&a),
    )
    .await
    .expect(200);

    // ---- platform operations: no audit inspection ----
    let p = t.login(&ops_admin).await;
    t.get("/api/v1/audit/records", Auth::Cookie(&p))
        .await
        .error(403, "forbidden");
    denied.push((ops_admin.user_id.clone(), "audit.inspect"));
    t.get("/api/v1/audit/sample?n=3", Auth::Cookie(&p))
        .await
        .error(403, "forbidden");
    denied.push((ops_admin.user_id.clone(), "audit.sample"));
    t.get("/api/v1/audit/records/0/receipt", Auth::Cookie(&p))
        .await
        .error(403, "forbidden");
    denied.push((ops_admin.user_id.clone(), "audit.inspect"));

    // ---- operator admin: no audit inspection either ----
    let o = t.login(&op_admin).await;
    t.get("/api/v1/audit/records", Auth::Bearer(&o))
        .await
        .error(403, "forbidden");
    denied.push((op_admin.user_id.clone(), "audit.inspect"));
    t.post(
        &format!("/api/v1/organisations/{operator}/api-keys"),
        Auth::Bearer(&o),
        &json!({ "scope": "product:y", "valid_days": 10 }),
    )
    .await
    .expect(201);

    // ---- the implementing agency's admin does not inspect the log ----
    t.get("/api/v1/audit/sample", Auth::Cookie(&ia))
        .await
        .error(403, "forbidden");
    denied.push((t.admin.user_id.clone(), "audit.sample"));

    // ---- data bureau reviewer: lists, samples, reads records and receipts ----
    let r = t.login(&reviewer).await;
    t.post(
        "/api/v1/organisations",
        Auth::Cookie(&r),
        &json!({ "name": "丁科技有限公司", "kind": "participant" }),
    )
    .await
    .error(403, "forbidden");
    denied.push((reviewer.user_id.clone(), "org.create"));

    let list = t
        .get(
            "/api/v1/audit/records?action=authz.denied&limit=500",
            Auth::Cookie(&r),
        )
        .await;
    let list = list.expect(200).json();
    let list = list.as_array().unwrap();
    assert_eq!(
        list.len(),
        denied.len(),
        "one authz.denied per refusal: {list:?}"
    );
    let mut listed: Vec<&str> = list
        .iter()
        .map(|s| s["actor_user"].as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = denied.iter().map(|(u, _)| u.as_str()).collect();
    listed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(listed, expected);
    // The records say what was attempted and by whom.
    let mut attempted: Vec<(String, String)> = t
        .audit_of("authz.denied")
        .await
        .iter()
        .map(|rec| {
            assert_eq!(rec.payload["outcome"], "denied");
            (
                rec.payload["actor_user"].as_str().unwrap().to_owned(),
                rec.payload["details"]["action"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    let mut want: Vec<(String, String)> = denied
        .iter()
        .map(|(u, a)| (u.clone(), (*a).to_owned()))
        .collect();
    attempted.sort();
    want.sort();
    assert_eq!(attempted, want);
    let self_grant = t
        .audit_of("authz.denied")
        .await
        .into_iter()
        .find(|rec| rec.payload["details"]["action"] == "role.grant")
        .unwrap();
    assert_eq!(
        self_grant.payload["decision"],
        json!(["sod_no_self_role_grant"])
    );

    let by_actor = t
        .get(
            &format!("/api/v1/audit/records?actor={}", ops_admin.user_id),
            Auth::Cookie(&r),
        )
        .await;
    let by_actor = by_actor.expect(200).json();
    assert!(
        by_actor
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["actor_user"] == ops_admin.user_id.as_str())
    );
    assert!(by_actor.as_array().unwrap().len() >= 4, "{by_actor}");

    let sample = t
        .get(
            "/api/v1/audit/sample?n=3&seed=7&action=authz.denied",
            Auth::Cookie(&r),
        )
        .await;
    let sample = sample.expect(200).json();
    let sample = sample.as_array().unwrap();
    assert_eq!(sample.len(), 3);
    assert!(sample.iter().all(|s| s["action"] == "authz.denied"));

    let first = t.get("/api/v1/audit/records/0", Auth::Cookie(&r)).await;
    let first = first.expect(200).json();
    assert_eq!(first["index"], 0);
    assert_eq!(first["payload"]["action"], "platform.bootstrapped");

    let receipt = t
        .get(
            &format!("/api/v1/audit/records/{}/receipt", self_grant.index),
            Auth::Cookie(&r),
        )
        .await;
    receipt.expect(200);
    assert!(
        receipt.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let vkey = t.get("/audit/vkey", Auth::None).await.expect(200).text();
    let verified = Receipt::parse(&receipt.text())
        .unwrap()
        .verify(&NoteVerifier::parse(vkey.trim()).unwrap(), Some(ORIGIN))
        .expect("the receipt verifies offline");
    assert_eq!(verified.index, self_grant.index);

    t.get("/api/v1/audit/records/999999", Auth::Cookie(&r))
        .await
        .error(404, "not_found");
    t.get("/api/v1/audit/records?limit=0", Auth::Cookie(&r))
        .await
        .error(422, "validation_failed");

    // Each inspection is itself audited as a data access.
    let inspected = t.audit_of("audit.inspected").await;
    assert!(
        inspected
            .iter()
            .all(|rec| rec.payload["actor_user"] == reviewer.user_id.as_str())
    );
    assert!(inspected.len() >= 6, "{}", inspected.len());

    t.assert_audit_log_verifies().await;
}
