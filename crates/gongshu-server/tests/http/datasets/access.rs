//! Who may load and who may see quality: parties, API-key scopes, the console.

use axum::http::Method;
use serde_json::json;

use super::*;
use crate::support::{Auth, TestApp};

crate::on_both_backends!(
    other_parties_cannot_load_and_only_supervisors_see_quality,
    api_keys_load_only_with_the_resources_load_scope,
    console_shows_quality_to_the_provider_and_the_bureau_only,
);

async fn other_parties_cannot_load_and_only_supervisors_see_quality(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    load(&t, &prov, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .expect(201);

    let other = t.login(&p.other_provider).await;
    let denied_before = t.audit_of("authz.denied").await.len();
    load(&t, &other, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(403, "forbidden");
    let bank = t.login(&p.participant).await;
    load(&t, &bank, &id, "", csv_rows(3, 0).into_bytes())
        .await
        .error(403, "forbidden");
    dataset(&t, &bank, &id).await.error(403, "forbidden");
    dataset(&t, &other, &id).await.error(403, "forbidden");
    assert_eq!(t.audit_of("authz.denied").await.len(), denied_before + 4);
    // Unauthenticated uploads never reach the loader.
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions"),
        Auth::None,
        Some(("text/csv", csv_rows(3, 0).into_bytes())),
    )
    .await
    .expect(401);
    // Cookie sessions need the CSRF token for uploads too.
    t.send(
        Method::POST,
        &format!("/api/v1/catalog/resources/{id}/versions"),
        Auth::CookieNoCsrf(&prov),
        Some(("text/csv", csv_rows(3, 0).into_bytes())),
    )
    .await
    .expect(403);

    let bureau = t.login(&p.bureau).await;
    let d = dataset(&t, &bureau, &id).await;
    d.expect(200);
    assert_eq!(
        d.json()["versions"].as_array().unwrap().len(),
        1,
        "nothing else was stored"
    );
    t.assert_audit_log_verifies().await;
}

async fn api_keys_load_only_with_the_resources_load_scope(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let other_id = resource(&t, &prov, true).await;
    let admin = t.login(&t.admin).await;
    let key_admin = t
        .user_session(&admin, &p.provider.org_id, "water.admin", &["admin"])
        .await;
    let org = p.provider.org_id.clone();
    let issue = |scope: String| {
        let (t, key_admin, org) = (&t, &key_admin, &org);
        async move {
            let r = t
                .post(
                    &format!("/api/v1/organisations/{org}/api-keys"),
                    Auth::Cookie(key_admin),
                    &json!({ "scope": scope, "valid_days": 30 }),
                )
                .await;
            r.expect(201);
            (
                r.json()["key"].as_str().unwrap().to_owned(),
                r.json()["id"].as_str().unwrap().to_owned(),
            )
        }
    };
    let (good, good_id) = issue(format!("dataset:{id}/load")).await;
    let (wrong, _) = issue(format!("dataset:{other_id}/load")).await;
    let (product, _) = issue("product:credit-score/scenario:smb-loans".into()).await;
    let send = |key: String| {
        let (t, id) = (&t, &id);
        async move {
            t.send(
                Method::POST,
                &format!("/api/v1/catalog/resources/{id}/versions"),
                Auth::ApiKey(&key),
                Some(("text/csv", csv_rows(4, 0).into_bytes())),
            )
            .await
        }
    };
    send(wrong).await.error(403, "forbidden");
    send(product).await.error(403, "forbidden");
    let r = send(good.clone()).await;
    r.expect(201);
    assert_eq!(r.json()["rows_loaded"], 4);
    let loaded = t.audit_of("dataset.version_loaded").await;
    let record = loaded.last().unwrap();
    assert_eq!(record.payload["details"]["api_key"], good_id.as_str());
    assert!(
        !record.payload.to_string().contains(&good),
        "never the secret"
    );
    // It may read the dataset's quality as its organisation.
    let r = t
        .get(
            &format!("/api/v1/catalog/resources/{id}/dataset"),
            Auth::ApiKey(&good),
        )
        .await;
    assert_eq!(r.status, 200, "the key acts for the provider organisation");
    t.assert_audit_log_verifies().await;
}

async fn console_shows_quality_to_the_provider_and_the_bureau_only(t: TestApp) {
    let p = parties(&t).await;
    let prov = t.login(&p.provider).await;
    let id = resource(&t, &prov, true).await;
    let mut rows = String::from("account_no,township,volume_m3,reading_date\n");
    for i in 0..4 {
        rows.push_str(&format!(
            "A{i},城关镇,{},2026-02-01\n",
            if i == 0 { 5000 } else { 5 }
        ));
    }
    load(&t, &prov, &id, "", rows.into_bytes())
        .await
        .expect(201);

    let list = t.get("/console/datasets", Auth::CookieNoCsrf(&prov)).await;
    list.expect(200);
    let html = list.text();
    assert!(
        html.contains("居民用水量") && html.contains("750‰"),
        "{html}"
    );
    assert!(html.contains(&format!("/console/datasets/{id}")));
    let detail = t
        .get(
            &format!("/console/datasets/{id}"),
            Auth::CookieNoCsrf(&prov),
        )
        .await;
    detail.expect(200);
    let html = detail.text();
    assert!(
        html.contains("volume_m3") && html.contains("未通过校验规则"),
        "{html}"
    );
    assert!(
        !html.contains("A0") && !html.contains("5000"),
        "no data values on the page"
    );
    // Quality over time: one group of bars per version, the validity bar
    // 750 ‰ high on a 1000 ‰ scale, with the value in its tooltip.
    assert!(html.contains(r#"id="quality-chart""#), "{html}");
    assert_eq!(html.matches(r#"class="quality-version""#).count(), 1);
    assert!(html.contains("第 1 版 准确性 750‰"), "{html}");
    assert!(html.contains(r#"y="45" width="14" height="75""#), "{html}");

    let bureau = t.login(&p.bureau).await;
    let html = t
        .get("/console/datasets", Auth::CookieNoCsrf(&bureau))
        .await
        .text();
    assert!(html.contains("750‰"));

    // The bank sees the catalog entry, not its quality, and no refusal is
    // recorded for merely browsing; the detail page is refused.
    let bank = t.login(&p.participant).await;
    let denied = t.audit_of("authz.denied").await.len();
    let html = t
        .get("/console/datasets", Auth::CookieNoCsrf(&bank))
        .await
        .text();
    assert!(html.contains("居民用水量") && !html.contains("750‰"));
    assert_eq!(t.audit_of("authz.denied").await.len(), denied);
    t.get(
        &format!("/console/datasets/{id}"),
        Auth::CookieNoCsrf(&bank),
    )
    .await
    .expect(403);
    // Not logged in: the login form, which returns to this page afterwards.
    let r = t.get("/console/datasets", Auth::None).await;
    let html = r.expect(200).text();
    assert!(
        html.contains("动态口令") && html.contains("登录后回到刚才的页面"),
        "{html}"
    );
    assert!(
        !html.contains("居民用水量"),
        "nothing of the page without a session"
    );
}
