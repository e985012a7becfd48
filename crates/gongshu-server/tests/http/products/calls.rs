//! The call path's refusals, quotas and rates.

use chrono::TimeDelta;

use super::*;
use crate::support::{Auth, Resp, Session, TestApp};

crate::on_both_backends!(
    each_refusal_of_the_call_path_names_its_reason,
    quota_and_rate_answer_429_with_retry_after,
    nothing_kept_by_the_call_path_outlives_a_change,
);

async fn each_refusal_of_the_call_path_names_its_reason(t: TestApp) {
    let m = market(&t).await;
    let id = listed(&t, &m, &verification(&m)).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let keys = subscribe(&t, &m, &bank, &[&id, &stats], "2026-06-30").await;
    let (key, stats_key) = (&keys[0], &keys[1]);
    let c = consent(&t, &bank, &account(5)).await;
    call(&t, key, &id, &about(&account(5), 1)).await.expect(200);

    // No consent of this subject.
    call(&t, key, &id, &about(&account(6), 1))
        .await
        .error(403, "product.no_consent");
    // Another scenario than the subscription's.
    let mut body = about(&account(5), 1);
    body["scenario"] = json!("个人画像");
    call(&t, key, &id, &body)
        .await
        .error(403, "product.wrong_scenario");
    // Parameters: out of bounds, malformed subject, unknown.
    for (params, field) in [
        (
            json!({ "subject": account(5), "months": 13 }),
            "params.months",
        ),
        (
            json!({ "subject": "户号 5", "months": 1 }),
            "params.subject",
        ),
        (
            json!({ "subject": account(5), "months": 1, "x": 1 }),
            "params.x",
        ),
    ] {
        let e = call(
            &t,
            key,
            &id,
            &json!({ "scenario": SCENARIO, "params": params }),
        )
        .await
        .error(422, "validation_failed");
        assert_eq!(e["fields"][0]["field"], field, "{e}");
    }
    // A key of the bank's other subscription, and a key not for any subscription.
    call(&t, stats_key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.key_not_for_product");
    let plain = t
        .post(
            &format!("/api/v1/organisations/{}/api-keys", bank.org),
            Auth::Cookie(&bank.admin),
            &json!({ "scope": "reports", "valid_days": 30 }),
        )
        .await
        .expect(201)
        .json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    call(&t, &plain, &id, &about(&account(5), 1))
        .await
        .error(403, "product.key_not_for_product");
    // A session is not a key.
    call_with_session(&t, &bank.officer, &id)
        .await
        .error(403, "product.api_key_required");

    // Suspended by the implementing agency, then resumed.
    t.post(
        &format!("/api/v1/products/{id}/suspension"),
        Auth::Cookie(&m.agency_officer),
        &json!({ "reason": "接群众举报，暂停核查" }),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(409, "product.suspended");
    t.post(
        &format!("/api/v1/products/{id}/resumption"),
        Auth::Cookie(&m.agency_officer),
        &json!({}),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1)).await.expect(200);

    // A revoked consent stops calls at once.
    t.post(
        &format!("/api/v1/consents/{}/revocation", c["id"].as_str().unwrap()),
        Auth::Cookie(&bank.officer),
        &json!({ "reason": "居民撤回授权" }),
    )
    .await
    .expect(200);
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.no_consent");
    consent(&t, &bank, &account(5)).await;

    // The operator's agreement ends: no product is served.
    let tid = t
        .post(
            "/api/v1/terminations",
            Auth::Cookie(&m.agency_officer),
            &json!({ "agreement_id": m.agreement, "trigger": "security_incident",
                     "reasons": "2026 年 2 月发生数据泄露事件，经调查属实" }),
        )
        .await
        .expect(201)
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stats_body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    call(&t, stats_key, &stats, &stats_body).await.expect(200);
    t.post(
        &format!("/api/v1/terminations/{tid}/decide"),
        Auth::Cookie(&m.agency),
        &json!({ "approve": true, "note": "经集体研究决定" }),
    )
    .await
    .expect(200);
    call(&t, stats_key, &stats, &stats_body)
        .await
        .error(409, "product.agreement_not_in_force");

    // Past the subscription's last day.
    t.advance(TimeDelta::days(150));
    call(&t, key, &id, &about(&account(5), 1))
        .await
        .error(403, "product.subscription_not_live");

    let refused: Vec<String> = t
        .audit_of("product.called")
        .await
        .iter()
        .filter(|r| r.payload["outcome"] == "refused")
        .map(|r| r.payload["details"]["code"].as_str().unwrap().to_owned())
        .collect();
    for code in [
        "product.no_consent",
        "product.wrong_scenario",
        "validation_failed",
        "product.key_not_for_product",
        "product.suspended",
        "product.agreement_not_in_force",
        "product.subscription_not_live",
    ] {
        assert!(
            refused.iter().any(|c| c == code),
            "{code} not audited: {refused:?}"
        );
    }
    t.assert_audit_log_verifies().await;
}

/// The call path keeps keys, policy facts and answers between calls; a
/// repeated call is answered, metered and audited like the first, and a
/// revocation refuses the very next call.
async fn nothing_kept_by_the_call_path_outlives_a_change(t: TestApp) {
    let m = market(&t).await;
    let id = listed(&t, &m, &verification(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let key = subscribe(&t, &m, &bank, &[&id], "2026-06-30")
        .await
        .remove(0);
    consent(&t, &bank, &account(5)).await;
    let first = call(&t, &key, &id, &about(&account(5), 1))
        .await
        .expect(200)
        .json();
    let second = call(&t, &key, &id, &about(&account(5), 1))
        .await
        .expect(200)
        .json();
    assert_eq!(first["rows"], second["rows"], "the same answer");
    assert_ne!(first["call_id"], second["call_id"]);
    assert_ne!(
        first["fingerprint"], second["fingerprint"],
        "each delivery is traceable"
    );
    let metered = t
        .get("/api/v1/product-calls", Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    let ids: Vec<&Value> = metered
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert!(
        ids.contains(&&first["call_id"]) && ids.contains(&&second["call_id"]),
        "{metered}"
    );
    let delivered = t
        .audit_of("product.called")
        .await
        .into_iter()
        .filter(|r| r.payload["outcome"] != "refused")
        .count();
    assert_eq!(delivered, 2);

    // A consent of another subject, recorded after the first calls, is seen.
    call(&t, &key, &id, &about(&account(6), 1))
        .await
        .error(403, "product.no_consent");
    consent(&t, &bank, &account(6)).await;
    call(&t, &key, &id, &about(&account(6), 1))
        .await
        .expect(200);

    // The participant revokes the key: the next call is unauthenticated.
    let keys_path = format!("/api/v1/organisations/{}/api-keys", bank.org);
    let listed_keys = t
        .get(&keys_path, Auth::Cookie(&bank.admin))
        .await
        .expect(200)
        .json();
    let key_id = listed_keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| key.starts_with(k["prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.delete(&format!("{keys_path}/{key_id}"), Auth::Cookie(&bank.admin))
        .await
        .expect(204);
    call(&t, &key, &id, &about(&account(5), 1))
        .await
        .error(401, "unauthenticated");
    t.assert_audit_log_verifies().await;
}

async fn call_with_session(t: &TestApp, s: &Session, id: &str) -> Resp {
    t.post(
        &format!("/api/v1/products/{id}/calls"),
        Auth::Cookie(s),
        &about(&account(5), 1),
    )
    .await
}

async fn quota_and_rate_answer_429_with_retry_after(t: TestApp) {
    let m = market(&t).await;
    let mut body = statistics(&m);
    body["daily_quota"] = json!(2);
    let stats = listed(&t, &m, &body).await;
    let mut body = statistics(&m);
    body["name"] = json!("乡镇用水户数统计（高频）");
    body["rate_per_minute"] = json!(1);
    let fast = listed(&t, &m, &body).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let keys = subscribe(&t, &m, &bank, &[&stats, &fast], "2026-12-31").await;
    let call_body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    for _ in 0..2 {
        call(&t, &keys[0], &stats, &call_body).await.expect(200);
    }
    let subs = t
        .get("/api/v1/subscriptions", Auth::Cookie(&bank.officer))
        .await
        .expect(200)
        .json();
    let used = subs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["product_id"] == stats.as_str())
        .unwrap();
    assert_eq!(
        (used["calls_today"].clone(), used["daily_quota"].clone()),
        (json!(2), json!(2))
    );
    let r = call(&t, &keys[0], &stats, &call_body).await;
    r.error(429, "product.quota_exhausted");
    // Until midnight in Shanghai (UTC+8).
    let now = t.app.clock().now().timestamp();
    let to_midnight = 86_400 - (now + 8 * 3600).rem_euclid(86_400);
    let after: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert_eq!(after, to_midnight);
    call(&t, &keys[1], &fast, &call_body).await.expect(200);
    let r = call(&t, &keys[1], &fast, &call_body).await;
    r.error(429, "product.rate_limited");
    let to_minute = 60 - t.app.clock().now().timestamp().rem_euclid(60);
    assert_eq!(r.headers["retry-after"], to_minute.to_string().as_str());
    // A new day: calls again.
    t.advance(TimeDelta::hours(16));
    call(&t, &keys[0], &stats, &call_body).await.expect(200);
}

/// Audit log unavailable: the call answers 503 and delivers nothing; no
/// call is metered (so none is billed) and the log stays as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_cannot_be_audited_answers_503_and_delivers_nothing() {
    crate::support::run_with_small_audit_disk(unaudited_call).await;
}

async fn unaudited_call(t: TestApp) {
    let m = market(&t).await;
    let stats = listed(&t, &m, &statistics(&m)).await;
    let bank = admitted(&t, &m, m.w.orgs.bank.clone(), "bank").await;
    let key = subscribe(&t, &m, &bank, &[&stats], "2026-12-31")
        .await
        .remove(0);
    let body = json!({ "scenario": SCENARIO, "params": { "excluded": "无" } });
    call(&t, &key, &stats, &body).await.expect(200);
    let metered = || async {
        t.get("/api/v1/product-calls", Auth::Cookie(&bank.officer))
            .await
            .expect(200)
            .json()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(metered().await, 1);

    crate::support::fill_audit_disk(&t);
    let size = t.ledger().size();
    let r = call(&t, &key, &stats, &body).await;
    let v = r.error(503, "audit_log_unavailable");
    assert!(
        v.get("rows").is_none() && v.get("fingerprint").is_none(),
        "{v}"
    );
    assert!(r.headers.get("x-gongshu-fingerprint").is_none());
    assert_eq!(t.ledger().size(), size, "nothing was appended");
    assert_eq!(metered().await, 1, "the refused call is not metered");
}
