//! Bad input: 422 with field errors (stable English code, Chinese message),
//! and nothing changed — no organisation, no user, no audit record.

use serde_json::{Value, json};

use crate::support::{Auth, Resp, TestApp, is_chinese};

crate::on_both_backends!(bad_input_is_refused_and_changes_nothing);

/// Asserts a 422 whose field errors include `(field, code)`, each with a
/// Chinese message.
#[track_caller]
fn invalid(r: &Resp, field: &str, code: &str) -> Value {
    let v = r.error(422, "validation_failed");
    let fields = v["fields"].as_array().unwrap();
    assert!(!fields.is_empty(), "{v}");
    for f in fields {
        let c = f["code"].as_str().unwrap();
        assert!(c.is_ascii() && !c.is_empty(), "English code: {f}");
        assert!(
            is_chinese(f["message"].as_str().unwrap()),
            "Chinese message: {f}"
        );
    }
    assert!(
        fields
            .iter()
            .any(|f| f["field"] == field && f["code"] == code),
        "expected {field}/{code} in {v}"
    );
    v
}

async fn bad_input_is_refused_and_changes_nothing(t: TestApp) {
    let s = t.login(&t.admin).await;
    let orgs_before = t
        .get("/api/v1/organisations", Auth::Cookie(&s))
        .await
        .expect(200)
        .json();
    let size_before = t.ledger().size();
    let auth = Auth::Cookie(&s);

    // Not JSON at all, and JSON of the wrong shape.
    let r = t
        .post_raw("/api/v1/organisations", auth, "{\"name\": \"甲\",")
        .await;
    invalid(&r, "body", "body.invalid_json");
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "甲科技有限公司" }),
        )
        .await;
    invalid(&r, "body", "body.invalid_json");
    let r = t
        .send(
            axum::http::Method::POST,
            "/api/v1/organisations",
            auth,
            Some(("text/plain", b"{}".to_vec())),
        )
        .await;
    invalid(&r, "body", "body.invalid_json");

    // A credit code whose check character is wrong, and one too short.
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "甲科技有限公司", "kind": "participant", "credit_code": "914403001922038217" }),
        )
        .await;
    let v = invalid(&r, "credit_code", "credit_code.invalid");
    assert!(
        v["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("统一社会信用代码"),
        "{v}"
    );
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "甲科技有限公司", "kind": "participant", "credit_code": "91440300" }),
        )
        .await;
    invalid(&r, "credit_code", "credit_code.invalid");

    // Unknown organisation kind.
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "某银行股份有限公司", "kind": "bank" }),
        )
        .await;
    invalid(&r, "kind", "org_kind.unknown");

    // A sector regulator must name its sector, and a known one.
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "测试县交通运输局", "kind": "sector_regulator" }),
        )
        .await;
    invalid(&r, "sector", "sector.required");
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "测试县交通运输局", "kind": "sector_regulator", "sector": "railways" }),
        )
        .await;
    invalid(&r, "sector", "sector.unknown");

    // Several errors are reported together.
    let r = t
        .post(
            "/api/v1/organisations",
            auth,
            &json!({ "name": "甲", "kind": "bank", "credit_code": "X" }),
        )
        .await;
    let v = invalid(&r, "name", "org_name.invalid");
    let fields: Vec<&str> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "kind", "credit_code"]);

    // Users, roles, keys, audit indices, login.
    let r = t
        .post(
            "/api/v1/users",
            auth,
            &json!({ "org_id": t.admin.org_id, "username": "Bad Name", "display_name": "某人" }),
        )
        .await;
    invalid(&r, "username", "username.invalid");
    let r = t
        .post(
            "/api/v1/users",
            auth,
            &json!({ "org_id": "not-an-id", "username": "ok.name", "display_name": "某人" }),
        )
        .await;
    invalid(&r, "org_id", "id.invalid");
    let r = t
        .post(
            "/api/v1/users",
            auth,
            &json!({ "org_id": t.admin.org_id, "username": "ok.name", "display_name": "某人", "roles": ["boss"] }),
        )
        .await;
    invalid(&r, "roles", "role.unknown");
    let r = t
        .post(
            &format!("/api/v1/users/{}/roles", t.admin.user_id),
            auth,
            &json!({ "role": "king" }),
        )
        .await;
    invalid(&r, "role", "role.unknown");
    let r = t
        .post(
            &format!("/api/v1/organisations/{}/api-keys", t.admin.org_id),
            auth,
            &json!({ "scope": "product:x", "valid_days": 0 }),
        )
        .await;
    invalid(&r, "valid_days", "valid_days.out_of_range");
    let r = t
        .post(
            &format!("/api/v1/organisations/{}/api-keys", t.admin.org_id),
            auth,
            &json!({ "scope": "two words", "valid_days": 30 }),
        )
        .await;
    invalid(&r, "scope", "scope.invalid");
    let r = t.get("/api/v1/audit/records/-1", auth).await;
    invalid(&r, "index", "index.invalid");
    let r = t
        .post_raw("/api/v1/session", Auth::None, "username=admin")
        .await;
    invalid(&r, "body", "body.invalid_json");

    let orgs_after = t
        .get("/api/v1/organisations", Auth::Cookie(&s))
        .await
        .expect(200)
        .json();
    assert_eq!(orgs_after, orgs_before, "organisations unchanged");
    let users = t
        .get(
            &format!("/api/v1/organisations/{}/users", t.admin.org_id),
            auth,
        )
        .await
        .expect(200)
        .json();
    assert_eq!(users.as_array().unwrap().len(), 1, "no user created");
    assert_eq!(t.ledger().size(), size_before, "nothing recorded");

    t.assert_audit_log_verifies().await;
}
