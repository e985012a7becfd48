//! Authenticator enrolment (验证器绑定) on first login. An account is
//! created with a one-time password and a TOTP secret; until its first
//! successful login (no TOTP step accepted yet) the holder of the password
//! may see the secret again, as a QR code, to add it to an authenticator
//! app. After that first login the secret is never shown again: a lost
//! authenticator goes through the organisation's administrator. Wrong
//! passwords, and any attempt on an account bound already, count towards
//! the lockout like a failed login and get the same answer.

use gongshu_ledger::RetentionClass;

use crate::crypto::{base32, otpauth_uri, verify_password};
use crate::error::AppError;
use crate::session::{count_failure, equalize_timing, login_event};
use crate::{App, AuditEvent};

/// Issuer shown by authenticator apps.
const ISSUER: &str = "gongshu";

/// What the user adds to the authenticator. Holds the secret: never logged.
pub struct Enrolment {
    /// The login name.
    pub username: String,
    /// `otpauth://` URI (for the QR code).
    pub uri: String,
    /// The secret in base32, for typing in by hand.
    pub secret: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

fn shown(username: &str) -> AuditEvent {
    AuditEvent::new("session.enrolment_shown")
        .class(RetentionClass::Network)
        .target("username", username)
        .outcome("ok")
}

/// The enrolment of `username`, when `password` is right and the account
/// has never logged in with a code.
pub async fn enrolment(app: &App, username: &str, password: &str) -> Result<Enrolment, AppError> {
    const FAILED: &str = "session.enrolment_failed";
    let now = app.clock().now();
    let username = username.trim().to_lowercase();
    let mut change = app.begin().await?;
    let Some(user) = change.tx().get_user_by_username(&username).await? else {
        change.abandon().await;
        equalize_timing(password);
        app.record(login_event(FAILED, &username, "unknown_user"))
            .await?;
        return Err(AppError::Unauthenticated("bad_credentials"));
    };
    let refused = if user.status != "active" {
        Some((
            "account_disabled",
            AppError::Unauthenticated("bad_credentials"),
        ))
    } else if user.locked_until.is_some_and(|t| t > now) {
        Some(("locked", AppError::Locked))
    } else {
        None
    };
    if let Some((reason, error)) = refused {
        change.abandon().await;
        equalize_timing(password);
        app.record(login_event(FAILED, &username, reason).actor(&user.id, &user.org_id, vec![]))
            .await?;
        return Err(error);
    }
    // An account bound already answers like a wrong password (and counts
    // as a failed attempt): otherwise this page would confirm a password
    // without the second factor.
    let reason = if !verify_password(password, &user.password_hash) {
        Some("wrong_password")
    } else if user.totp_last_step.is_some() {
        Some("already_enrolled")
    } else {
        None
    };
    if let Some(reason) = reason {
        return Err(count_failure(app, change, &user, FAILED, reason).await?);
    }
    change.abandon().await;
    app.record(shown(&username).actor(&user.id, &user.org_id, vec![]))
        .await?;
    let seed = app.totp_seed(&user)?;
    Ok(Enrolment {
        uri: otpauth_uri(ISSUER, &username, &seed),
        secret: base32(&seed),
        username,
    })
}
