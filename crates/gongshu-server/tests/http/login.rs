//! Login refusals (each audited as `session.login_failed` with its reason),
//! lockout, session expiry and logout.

use chrono::TimeDelta;
use gongshu_app::crypto::totp_at_step;

use crate::support::{Auth, TestApp};

crate::on_both_backends!(
    login_refusals_and_lockout,
    session_expiry_and_logout,
    totp_seeds_are_sealed_at_rest_and_bound_to_their_user
);

async fn login_refusals_and_lockout(t: TestApp) {
    let admin = t.admin.clone();
    let start = t.ledger().size();

    // Unknown user: same answer as a wrong password.
    let unknown = t
        .login_attempt("nobody", &admin.password, &t.code_now(&admin))
        .await
        .error(401, "unauthenticated");
    // Wrong password, with a valid code.
    let wrong_pw = t
        .login_attempt(&admin.username, "not-the-password", &t.code_now(&admin))
        .await
        .error(401, "unauthenticated");
    assert_eq!(unknown, wrong_pw, "usernames cannot be probed");
    // Right password, wrong code (one no window step around now accepts).
    let window: Vec<String> = (-1..=1)
        .map(|d| totp_at_step(&admin.totp_secret, t.step() + d))
        .collect();
    let wrong_code = (2..)
        .map(|d| totp_at_step(&admin.totp_secret, t.step() + d))
        .find(|c| !window.contains(c))
        .unwrap();
    t.login_attempt(&admin.username, &admin.password, &wrong_code)
        .await
        .error(401, "unauthenticated");
    // Not a code at all.
    t.login_attempt(&admin.username, &admin.password, "12ab56")
        .await
        .error(401, "unauthenticated");
    // Success, then the same code again in the same step.
    let s = t.login(&admin).await;
    t.get("/api/v1/me", Auth::Bearer(&s)).await.expect(200);
    let used = t.code_now(&admin);
    t.login_attempt(&admin.username, &admin.password, &used)
        .await
        .error(401, "unauthenticated");

    let recs = t.audit_since(start).await;
    let seen: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| (r.action.as_str(), r.reason()))
        .collect();
    assert_eq!(
        seen,
        [
            ("session.login_failed", "unknown_user"),
            ("session.login_failed", "wrong_password"),
            ("session.login_failed", "wrong_totp"),
            ("session.login_failed", "wrong_totp"),
            ("session.login_succeeded", "ok"),
            ("session.login_failed", "reused_totp"),
        ]
    );
    for r in recs.iter().filter(|r| r.action == "session.login_failed") {
        assert_eq!(r.payload["outcome"], "denied");
        assert_eq!(r.payload["target_type"], "username");
        let text = r.payload.to_string();
        assert!(!text.contains(&admin.password), "no secret in the log");
        assert!(!text.contains(&used), "no TOTP code in the log");
    }
    assert_eq!(recs[0].payload["target_id"], "nobody");
    assert!(recs[0].payload["actor_user"].is_null());
    assert_eq!(recs[5].payload["actor_user"], admin.user_id.as_str());
    assert_eq!(recs[5].payload["details"]["failed_logins"], 1);

    // Lockout: the fifth failure in a row locks the account for 15 minutes.
    let mark = t.ledger().size();
    for failed in 2..=5 {
        let r = t
            .login_attempt(&admin.username, "still-wrong", &t.code_now(&admin))
            .await;
        if failed < 5 {
            r.error(401, "unauthenticated");
        } else {
            r.error(429, "account_locked");
        }
    }
    // Even correct credentials are refused while locked.
    t.advance(TimeDelta::seconds(30));
    let code = t.code_now(&admin);
    t.login_attempt(&admin.username, &admin.password, &code)
        .await
        .error(429, "account_locked");
    t.advance(TimeDelta::minutes(14));
    let code = t.code_now(&admin);
    t.login_attempt(&admin.username, &admin.password, &code)
        .await
        .error(429, "account_locked");
    // A lock stops new logins; a live session goes on.
    t.get("/api/v1/me", Auth::Bearer(&s)).await.expect(200);
    // Once 15 minutes have passed, the right credentials work again.
    t.advance(TimeDelta::minutes(1));
    let after = t.login(&admin).await;
    t.get("/api/v1/me", Auth::Bearer(&after)).await.expect(200);

    let recs = t.audit_since(mark).await;
    let seen: Vec<(&str, &str)> = recs
        .iter()
        .map(|r| (r.action.as_str(), r.reason()))
        .collect();
    assert_eq!(
        seen,
        [
            ("session.login_failed", "wrong_password"),
            ("session.login_failed", "wrong_password"),
            ("session.login_failed", "wrong_password"),
            ("session.login_failed", "wrong_password"),
            ("session.login_failed", "locked"),
            ("session.login_failed", "locked"),
            ("session.login_succeeded", "ok"),
        ]
    );
    assert_eq!(recs[3].payload["details"]["failed_logins"], 5);
    assert_eq!(recs[3].payload["details"]["locked"], true);
    assert_eq!(recs[2].payload["details"]["locked"], false);

    t.assert_audit_log_verifies().await;
}

async fn session_expiry_and_logout(t: TestApp) {
    let admin = t.admin.clone();

    // Idle timeout: 30 minutes without a request.
    let idle = t.login(&admin).await;
    t.get("/api/v1/me", Auth::Cookie(&idle)).await.expect(200);
    t.advance(TimeDelta::minutes(29));
    t.get("/api/v1/me", Auth::Cookie(&idle)).await.expect(200);
    t.advance(TimeDelta::minutes(31));
    t.get("/api/v1/me", Auth::Cookie(&idle))
        .await
        .error(401, "unauthenticated");
    t.get("/api/v1/me", Auth::Bearer(&idle))
        .await
        .error(401, "unauthenticated");

    // Absolute timeout: 12 hours after login, however busy.
    let busy = t.login(&admin).await;
    let mut elapsed = TimeDelta::zero();
    while elapsed + TimeDelta::minutes(25) < TimeDelta::hours(12) {
        t.advance(TimeDelta::minutes(25));
        elapsed += TimeDelta::minutes(25);
        t.get("/api/v1/me", Auth::Bearer(&busy)).await.expect(200);
    }
    t.advance(TimeDelta::hours(12) - elapsed + TimeDelta::seconds(1));
    t.get("/api/v1/me", Auth::Bearer(&busy))
        .await
        .error(401, "unauthenticated");

    // Logout ends the session; the cookie is then worthless.
    let s = t.login(&admin).await;
    let me = t.get("/api/v1/me", Auth::Cookie(&s)).await;
    assert_eq!(me.expect(200).json()["username"], admin.username.as_str());
    let out = t.delete("/api/v1/session", Auth::Cookie(&s)).await;
    out.expect(204);
    let cleared = out.headers["set-cookie"].to_str().unwrap();
    assert!(cleared.starts_with("gongshu_session=;") && cleared.contains("Max-Age=0"));
    t.get("/api/v1/me", Auth::Cookie(&s))
        .await
        .error(401, "unauthenticated");
    t.get("/api/v1/me", Auth::Bearer(&s))
        .await
        .error(401, "unauthenticated");
    t.delete("/api/v1/session", Auth::Cookie(&s))
        .await
        .error(401, "unauthenticated");
    // No session at all.
    t.get("/api/v1/me", Auth::None)
        .await
        .error(401, "unauthenticated");

    let logouts = t.audit_of("session.logout").await;
    assert_eq!(logouts.len(), 1);
    assert_eq!(logouts[0].payload["actor_user"], admin.user_id.as_str());

    t.assert_audit_log_verifies().await;
}

/// The stored TOTP seed of `user_id`, as the database holds it.
async fn stored_seed(t: &TestApp, user_id: &str) -> (Vec<u8>, i64) {
    let mut tx = t.store().begin().await.unwrap();
    let u = tx.get_user(user_id).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    (u.totp_secret, u.version)
}

/// Overwrites the stored seed behind the application's back (a tampered
/// database, or a row written by an earlier version).
async fn overwrite_seed(t: &TestApp, user_id: &str, seed: &[u8]) {
    let (_, version) = stored_seed(t, user_id).await;
    let mut tx = t.store().begin().await.unwrap();
    tx.set_user_totp_secret(user_id, version, seed)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn totp_seeds_are_sealed_at_rest_and_bound_to_their_user(t: TestApp) {
    // Seeds are sealed from the start: neither the bootstrap
    // administrator's nor a new user's is in the database in plain.
    let admin = t.login(&t.admin).await;
    let org = t
        .create_org(&admin, "测试县数据运营有限公司", "operator")
        .await;
    let user = t
        .create_user(&admin, &org, "op.officer", &["case_officer"])
        .await;
    for c in [&t.admin, &user] {
        let (stored, _) = stored_seed(&t, &c.user_id).await;
        assert!(
            gongshu_vault::is_sealed_credential(&stored),
            "{}",
            c.username
        );
        assert!(
            !stored
                .windows(c.totp_secret.len())
                .any(|w| w == c.totp_secret),
            "no plain seed in the row of {}",
            c.username
        );
    }
    t.login(&user).await;

    // The administrator's sealed seed copied into the user's row opens for
    // nobody: not even the administrator's own code logs the user in.
    let (admin_sealed, _) = stored_seed(&t, &t.admin.user_id).await;
    let (user_sealed, _) = stored_seed(&t, &user.user_id).await;
    overwrite_seed(&t, &user.user_id, &admin_sealed).await;
    for code in [t.fresh_code(&t.admin), t.fresh_code(&user)] {
        let r = t.login_attempt(&user.username, &user.password, &code).await;
        assert_eq!(r.status, 500, "fails closed: {}", r.text());
        assert!(r.json().get("token").is_none());
    }
    overwrite_seed(&t, &user.user_id, &user_sealed).await;
    t.login(&user).await;

    // A plain seed (a row from before sealing) still logs in, and the
    // start-up pass seals it, once, audited.
    overwrite_seed(&t, &user.user_id, &user.totp_secret).await;
    t.login(&user).await;
    assert_eq!(t.app.seal_totp_seeds().await.unwrap(), 1);
    let (stored, _) = stored_seed(&t, &user.user_id).await;
    assert!(gongshu_vault::is_sealed_credential(&stored));
    assert_ne!(stored, user_sealed, "a fresh nonce");
    t.login(&user).await;
    assert_eq!(t.app.seal_totp_seeds().await.unwrap(), 0, "nothing left");
    t.assert_audit_log_verifies().await;
    let mut tx = t.store().begin().await.unwrap();
    let sealed = tx.count_audit_action("user.totp_sealed").await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(sealed, 1);
}
