//! 验证器绑定 (`/enrol`): a new account's holder sees its TOTP secret (QR
//! code and text) with the one-time password, logs in with the first code,
//! and from then on the secret is never shown again. A wrong password
//! shows nothing and counts towards the lockout; a forged form token shows
//! nothing; every showing is audited without the secret.

use crate::console_flows::encode;
use crate::support::{Auth, Resp, TestApp};

crate::on_both_backends!(the_secret_is_shown_until_the_first_login_and_never_after);

fn login_csrf(r: &Resp) -> String {
    r.headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("gongshu_login_csrf="))
        .and_then(|v| v.split(';').next())
        .unwrap()
        .to_owned()
}

async fn enrol(t: &TestApp, username: &str, password: &str) -> Resp {
    let page = t.get("/enrol", Auth::None).await;
    page.expect(200);
    let csrf = login_csrf(&page);
    assert!(
        page.text()
            .contains(&format!(r#"name="csrf" value="{csrf}""#))
    );
    t.send(
        axum::http::Method::POST,
        "/enrol",
        Auth::RawCookie(&format!("gongshu_login_csrf={csrf}")),
        Some((
            "application/x-www-form-urlencoded",
            format!(
                "username={}&password={}&csrf={csrf}",
                encode(username),
                encode(password)
            )
            .into_bytes(),
        )),
    )
    .await
}

async fn the_secret_is_shown_until_the_first_login_and_never_after(t: TestApp) {
    let admin = t.login(&t.admin).await;
    let creds = t
        .create_user(&admin, &admin.org_id, "new.officer", &["case_officer"])
        .await;
    let secret = gongshu_app::crypto::base32(&creds.totp_secret);

    // A wrong password shows nothing and counts as a failed attempt.
    let r = enrol(&t, "new.officer", "not-the-password").await;
    r.expect(200);
    let html = r.text();
    assert!(html.contains("role=\"alert\""), "{html}");
    assert!(!html.contains(&secret[..8]) && !html.contains("enrol-secret"));
    let failed = t.audit_of("session.enrolment_failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].reason(), "wrong_password");

    // A forged form token shows nothing either.
    let r = t
        .send(
            axum::http::Method::POST,
            "/enrol",
            Auth::RawCookie("gongshu_login_csrf=aaaa"),
            Some((
                "application/x-www-form-urlencoded",
                format!(
                    "username=new.officer&password={}&csrf=bbbb",
                    encode(&creds.password)
                )
                .into_bytes(),
            )),
        )
        .await;
    assert!(!r.text().contains("enrol-secret"));

    // The right password: the secret as a QR code and grouped text, on a
    // page the browser must not store, and a form for the first code.
    let r = enrol(&t, "new.officer", &creds.password).await;
    r.expect(200);
    assert_eq!(r.headers["cache-control"], "no-store");
    let html = r.text();
    assert!(html.contains("<svg"), "{html}");
    let grouped: Vec<String> = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    assert!(html.contains(&grouped.join(" ")), "{html}");
    assert!(html.contains(r#"action="/login""#));
    let shown = t.audit_of("session.enrolment_shown").await;
    assert_eq!(shown.len(), 1);
    let raw = serde_json::to_string(&t.audit_records().await.last().unwrap().payload).unwrap();
    assert!(!raw.contains(&secret), "the secret is never audited");

    // The first login closes the enrolment for good: the right password
    // now gets the same answer as a wrong one, and counts as a failure.
    t.login(&creds).await;
    let wrong = enrol(&t, "new.officer", "not-the-password").await.text();
    let r = enrol(&t, "new.officer", &creds.password).await;
    let html = r.text();
    assert!(html.contains("已完成验证器绑定"), "{html}");
    assert!(!html.contains("enrol-secret") && !html.contains(&grouped.join(" ")));
    let alert = |h: &str| {
        let at = h.find("role=\"alert\">").unwrap();
        h[at..at + h[at..].find("</p>").unwrap()].to_owned()
    };
    assert_eq!(alert(&html), alert(&wrong), "one answer");
    let failed = t.audit_of("session.enrolment_failed").await;
    assert_eq!(failed.last().unwrap().reason(), "already_enrolled");
    t.assert_audit_log_verifies().await;
}
