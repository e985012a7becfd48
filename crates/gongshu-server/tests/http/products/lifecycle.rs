//! From draft to listing and a consented call; what each role must not do.

use super::*;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(
    a_bank_calls_a_consented_verification_after_review_and_listing,
    roles_that_must_not_act_on_products_are_refused,
);

async fn a_bank_calls_a_consented_verification_after_review_and_listing(t: TestApp) {
    let m = market(&t).await;
    let v = t
        .post(
            "/api/v1/products",
            Auth::Cookie(&m.w.operator),
            &verification(&m),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    assert_eq!(v["versions"][0]["status"], "draft");
    let path = format!("/api/v1/products/{id}");

    // The automatic check refuses a template that reads row-level values.
    let mut bad = verification(&m);
    bad["template"] = json!("SELECT volume_m3 FROM water_use WHERE volume_m3 >= :months");
    t.put(&format!("{path}/draft"), Auth::Cookie(&m.w.operator), &bad)
        .await
        .expect(200);
    let e = t
        .post(
            &format!("{path}/submission"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .error(422, "validation_failed");
    assert_eq!(e["fields"][0]["field"], "template", "{e}");
    assert!(
        e["fields"][0]["code"]
            .as_str()
            .unwrap()
            .starts_with("sandbox.R")
    );
    t.put(
        &format!("{path}/draft"),
        Auth::Cookie(&m.w.operator),
        &verification(&m),
    )
    .await
    .expect(200);
    let v = t
        .post(
            &format!("{path}/submission"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .expect(200)
        .json();
    let version = &v["versions"][0];
    assert_eq!(version["status"], "in_review");
    assert_eq!(version["checks"]["plan_rules"], "passed");
    let parties: Vec<&str> = version["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["org_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        parties,
        [&m.w.orgs.agency, &m.w.orgs.regulator, &m.w.orgs.bureau].map(String::as_str)
    );

    // A rejection returns the draft with its reason; the next round starts afresh.
    decide(&t, &id, &m.regulator, "approve", None)
        .await
        .expect(200);
    decide(&t, &id, &m.bureau, "reject", None)
        .await
        .error(422, "validation_failed");
    let v = decide(&t, &id, &m.bureau, "reject", Some("用水量档位须说明口径"))
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "draft");
    t.post(
        &format!("{path}/submission"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    for s in [&m.regulator, &m.bureau] {
        decide(&t, &id, s, "approve", None).await.expect(200);
    }
    decide(&t, &id, &m.bureau, "approve", None)
        .await
        .error(409, "duplicate");
    let v = decide(&t, &id, &m.agency, "approve", None)
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "approved");
    assert_eq!(v["versions"][0]["review_round"], 2);
    let v = t
        .post(
            &format!("{path}/listing"),
            Auth::Cookie(&m.w.operator),
            &json!({}),
        )
        .await
        .expect(200)
        .json();
    assert_eq!(v["versions"][0]["status"], "listed");
    assert!(
        v["versions"][0]["registration_code"]
            .as_str()
            .unwrap()
            .starts_with("GSDP-")
    );

    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    // The bank sees the listed product, not its template.
    let seen = t
        .get(&path, Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    assert_eq!(seen["versions"][0]["definition"]["template"], "");
    let key = subscribe(&t, &m, &bank, &[&id], "2026-12-31")
        .await
        .remove(0);
    let c = consent(&t, &bank, &account(5)).await;
    assert_eq!(c["subject_masked"], "WATE****7315");

    let before = t.audit_of("product.called").await.len();
    let r = call(&t, &key, &id, &about(&account(5), 1)).await;
    r.expect(200);
    let out = r.json();
    assert_eq!(out["rows"][0]["values"], json!(["是", "30以下"]), "{out}");
    let fp = out["fingerprint"].as_str().unwrap();
    assert!(fp.starts_with("gsfp1-"));
    assert_eq!(r.headers["x-gongshu-fingerprint"], fp);
    assert!(
        !r.text().contains(RAW_ACCOUNT) && !r.text().contains("p_"),
        "{out}"
    );
    // Two readings are more than account 5 has.
    let out = call(&t, &key, &id, &about(&account(5), 2))
        .await
        .expect(200)
        .json();
    assert_eq!(out["rows"][0]["values"][0], "否");

    let recs = t.audit_of("product.called").await;
    assert_eq!(recs.len(), before + 2);
    let last = &recs.last().unwrap().payload;
    assert_eq!(last["outcome"], "ok");
    assert_eq!(last["details"]["consent"], c["id"]);
    assert_eq!(last["details"]["fingerprint"], out["fingerprint"]);
    // The public portal lists the product with its price; the console
    // shows it to the bank without its template.
    let portal = t
        .get("/api/v1/public/portal", Auth::None)
        .await
        .expect(200)
        .json();
    assert_eq!(
        portal["products"][0]["name"], "居民用水活跃度核验",
        "{portal}"
    );
    assert_eq!(portal["products"][0]["price"], "0.50 元/次");
    assert_eq!(portal["products"][0]["status"], "已上架");
    let page = t
        .get("/console/products", Auth::CookieNoCsrf(&bank.officer))
        .await;
    page.expect(200);
    let html = page.text();
    assert!(
        html.contains("居民用水活跃度核验") && html.contains("已上架"),
        "{html}"
    );
    assert!(!html.contains("count(*)") && !html.contains(RAW_ACCOUNT));
    assert!(
        html.contains("WATE****7315"),
        "the bank sees its consent, masked"
    );
    let calls = t
        .get("/api/v1/product-calls", Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    assert_eq!(calls.as_array().unwrap().len(), 2);
    assert_eq!(calls[0]["price_fen"], 50);
    // The page charts the calls per product (this month) and prices in yuan.
    assert!(
        html.contains("近 12 个月调用量") && html.contains("共 2 次"),
        "{html}"
    );
    assert!(html.contains("0.50 元"));
    // Keys are issued in the page by the bank's administrator, shown once;
    // a malformed validity and a non-administrator issue nothing.
    let subs = t
        .get("/api/v1/subscriptions", Auth::Cookie(&bank.admin))
        .await
        .expect(200)
        .json();
    let sub = subs[0]["id"].as_str().unwrap().to_owned();
    assert!(
        !html.contains(&format!("<td>{sub}</td>")),
        "no raw id shown"
    );
    let issue_form = |s: Session, days: &'static str, form: &'static str| {
        let t = &t;
        let path = format!("/console/products/subscriptions/{sub}/keys");
        async move {
            t.send(
                axum::http::Method::POST,
                &path,
                Auth::CookieNoCsrf(&s),
                Some((
                    "application/x-www-form-urlencoded",
                    format!("csrf={}&valid_days={days}&form={form}", s.csrf).into_bytes(),
                )),
            )
            .await
        }
    };
    let issue = |s: Session, days: &'static str| issue_form(s, days, "form-1");
    let keys_before = t.audit_of("api_key.issued").await.len();
    let r = issue(bank.admin.clone(), "九十").await;
    assert!(r.text().contains("未签发：有效天数应为 1 至 366 的整数"));
    let r = issue(bank.officer.clone(), "90").await;
    assert!(r.text().contains("未签发"), "{}", r.text());
    assert!(!r.text().contains("issued-key-secret"));
    assert_eq!(t.audit_of("api_key.issued").await.len(), keys_before);
    let r = issue(bank.admin.clone(), "90").await;
    assert_eq!(r.headers["cache-control"], "no-store");
    let html = r.text();
    assert!(
        html.contains("已签发订阅密钥") && html.contains("issued-key-secret"),
        "{html}"
    );
    assert_eq!(t.audit_of("api_key.issued").await.len(), keys_before + 1);
    // Reloading the page re-posts the same form: nothing more is issued.
    let again = issue(bank.admin.clone(), "90").await.text();
    assert!(again.contains("这张表单已经提交过"), "{again}");
    assert!(!again.contains("issued-key-secret"));
    // A form without its nonce issues nothing; a fresh form issues again,
    // and its page carries a new nonce.
    let r = issue_form(bank.admin.clone(), "90", "").await.text();
    assert!(r.contains("表单已过期"), "{r}");
    assert_eq!(t.audit_of("api_key.issued").await.len(), keys_before + 1);
    let r = issue_form(bank.admin.clone(), "90", "form-2").await.text();
    assert!(r.contains("issued-key-secret"), "{r}");
    assert!(
        r.contains("name=\"form\" value=\""),
        "the page carries a nonce"
    );
    assert_eq!(t.audit_of("api_key.issued").await.len(), keys_before + 2);
    t.assert_audit_log_verifies().await;
}

async fn roles_that_must_not_act_on_products_are_refused(t: TestApp) {
    let m = market(&t).await;
    // Only the operator drafts.
    for s in [&m.w.bank, &m.agency_officer, &m.w.provider] {
        let r = t
            .post("/api/v1/products", Auth::Cookie(s), &verification(&m))
            .await;
        assert_eq!(r.status.as_u16(), 403, "{}", r.text());
    }
    let v = t
        .post(
            "/api/v1/products",
            Auth::Cookie(&m.w.operator),
            &verification(&m),
        )
        .await
        .expect(201)
        .json();
    let id = v["id"].as_str().unwrap().to_owned();
    // Drafts are not visible to participants.
    t.get(&format!("/api/v1/products/{id}"), Auth::Cookie(&m.w.bank))
        .await
        .error(404, "not_found");
    t.post(
        &format!("/api/v1/products/{id}/submission"),
        Auth::Cookie(&m.w.bank),
        &json!({}),
    )
    .await
    .error(403, "forbidden");
    t.post(
        &format!("/api/v1/products/{id}/submission"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .expect(200);
    // The operator does not review its own product; a data source unit is
    // no party; a party's case officer does not decide.
    decide(&t, &id, &m.operator_approver, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &id, &m.water, "approve", None)
        .await
        .error(403, "forbidden");
    decide(&t, &id, &m.agency_officer, "approve", None)
        .await
        .error(403, "forbidden");
    // The console offers the form to a party that has not decided yet,
    // and takes its decision (with the session's CSRF token).
    let html = t
        .get("/console/products", Auth::CookieNoCsrf(&m.regulator))
        .await
        .text();
    assert!(html.contains("提交审核意见"), "{html}");
    let html = t
        .get("/console/products", Auth::CookieNoCsrf(&m.water))
        .await
        .text();
    assert!(
        !html.contains("居民用水活跃度核验"),
        "a data source unit sees no draft"
    );
    let form = |csrf: &str| format!("csrf={csrf}&verdict=approve&reason=").into_bytes();
    let path = format!("/console/products/{id}/decision");
    let html = t
        .send(
            axum::http::Method::POST,
            &path,
            Auth::CookieNoCsrf(&m.regulator),
            Some(("application/x-www-form-urlencoded", form("forged"))),
        )
        .await
        .text();
    assert!(html.contains("表单已过期"), "{html}");
    let html = t
        .send(
            axum::http::Method::POST,
            &path,
            Auth::CookieNoCsrf(&m.regulator),
            Some(("application/x-www-form-urlencoded", form(&m.regulator.csrf))),
        )
        .await
        .text();
    assert!(html.contains("已提交审核意见"), "{html}");
    // Not approved yet: cannot be listed.
    t.post(
        &format!("/api/v1/products/{id}/listing"),
        Auth::Cookie(&m.w.operator),
        &json!({}),
    )
    .await
    .error(409, "product.transition");
    // A participant does not suspend; nobody changes an approved version in place.
    for s in [&m.bureau, &m.agency] {
        decide(&t, &id, s, "approve", None).await.expect(200);
    }
    t.put(
        &format!("/api/v1/products/{id}/draft"),
        Auth::Cookie(&m.w.operator),
        &verification(&m),
    )
    .await
    .error(409, "product.not_draft");
    t.post(
        &format!("/api/v1/products/{id}/suspension"),
        Auth::Cookie(&m.w.bank),
        &json!({ "reason": "x" }),
    )
    .await
    .error(403, "forbidden");
    // Consents are recorded by participants only, with a valid identifier.
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let mut body = json!({
        "subject_kind": "credit_code", "subject_id": "91130630MA0A1B2C38", "scenario": SCENARIO,
        "purpose": "授信", "valid_from": "2026-03-01", "valid_until": "2030-03-01",
        "evidence_note": "授权书", "evidence_sha256": "zz",
    });
    let e = t
        .post("/api/v1/consents", Auth::Cookie(&bank.officer), &body)
        .await
        .error(422, "validation_failed");
    let fields: Vec<&str> = e["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["subject_id", "evidence_sha256", "valid_until"],
        "{e}"
    );
    body["subject_id"] = json!("91130630MA0A1B2C39");
    body["valid_until"] = json!("2027-03-01");
    body["evidence_sha256"] =
        json!("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    t.post("/api/v1/consents", Auth::Cookie(&m.w.operator), &body)
        .await
        .error(403, "consent.not_participant");
    let c = t
        .post("/api/v1/consents", Auth::Cookie(&bank.officer), &body)
        .await
        .expect(201)
        .json();
    assert!(!c.to_string().contains("MA0A1B2C"), "{c}");
    // Another participant cannot revoke it.
    let admin = t.login(&t.admin).await;
    let other = t.create_org(&admin, "其他银行", "participant").await;
    let other = t
        .user_session(&admin, &other, "other.officer", &["case_officer"])
        .await;
    t.post(
        &format!("/api/v1/consents/{}/revocation", c["id"].as_str().unwrap()),
        Auth::Cookie(&other),
        &json!({ "reason": "x" }),
    )
    .await
    .error(404, "not_found");
}
