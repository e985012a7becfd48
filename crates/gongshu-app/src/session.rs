//! Login (password + TOTP), sessions, logout and API-key authentication.
//! Every refusal is audited with its reason; secrets never are.

use chrono::{DateTime, Utc};
use gongshu_domain::{OrgKind, Role};
use gongshu_ledger::RetentionClass;
use gongshu_store::{LoginState, SessionRow, StoreTx, UserRow};

use crate::crypto::{random_token, token_hash, verify_password, verify_totp};
use crate::error::AppError;
use crate::{Actor, App, AuditEvent, AuthMethod};

/// A new session: the tokens go to the client once.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Session token (cookie value or bearer token).
    pub token: String,
    /// CSRF token for forms and unsafe requests.
    pub csrf_token: String,
    /// Absolute expiry.
    pub expires_at: DateTime<Utc>,
    /// Who logged in.
    pub actor: Actor,
}

/// An authenticated session.
#[derive(Debug, Clone)]
pub struct SessionContext {
    /// Who.
    pub actor: Actor,
    /// Hash of the session's CSRF token.
    pub csrf_token_hash: String,
    /// Hash of the session token.
    pub session_hash: String,
}

impl SessionContext {
    /// Whether a presented CSRF token belongs to this session.
    pub fn csrf_ok(&self, presented: &str) -> bool {
        token_hash(presented) == self.csrf_token_hash
    }
}

pub(crate) async fn load_actor(
    tx: &mut StoreTx,
    user: &UserRow,
    via: AuthMethod,
) -> Result<Actor, AppError> {
    let org = tx
        .get_organisation(&user.org_id)
        .await?
        .ok_or(AppError::NotFound {
            what: "organisation",
        })?;
    let org_kind: OrgKind = org
        .kind
        .parse()
        .map_err(|_| AppError::Internal("bad org kind".into()))?;
    let roles = tx
        .list_role_grants(&user.id)
        .await?
        .into_iter()
        .filter_map(|g| g.role.parse::<Role>().ok())
        .collect();
    Ok(Actor {
        user_id: user.id.clone(),
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        org_id: user.org_id.clone(),
        org_kind,
        roles,
        via,
    })
}

/// A real argon2id hash of a random password, checked on refusal paths that
/// would otherwise skip hashing, so that response time does not tell which
/// usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    random_token()
        .ok()
        .and_then(|p| crate::crypto::hash_password(&p).ok())
        .unwrap_or_default()
});

pub(crate) fn equalize_timing(password: &str) {
    let _ = verify_password(password, &DUMMY_HASH);
}

pub(crate) fn login_event(action: &'static str, username: &str, reason: &str) -> AuditEvent {
    AuditEvent::new(action)
        .class(RetentionClass::Network)
        .target("username", username)
        .outcome(if action.ends_with("succeeded") {
            "ok"
        } else {
            "denied"
        })
        .details(serde_json::json!({ "reason": reason }))
}

/// Counts a failed attempt on `user` (locking the account at the
/// threshold) and audits it; the answer is the error to give.
pub(crate) async fn count_failure(
    app: &App,
    mut change: crate::audit::Change<crate::audit::Unaudited>,
    user: &UserRow,
    action: &'static str,
    reason: &'static str,
) -> Result<AppError, AppError> {
    let now = app.clock().now();
    let failed = user.failed_logins + 1;
    let locked_until =
        (failed >= app.config().lockout_threshold).then(|| now + app.config().lockout_duration);
    change
        .tx()
        .update_user_login_state(
            &user.id,
            user.version,
            &LoginState {
                failed_logins: failed,
                locked_until,
                totp_last_step: user.totp_last_step,
            },
        )
        .await?;
    let event = login_event(action, &user.username, reason)
        .actor(&user.id, &user.org_id, vec![])
        .details(serde_json::json!({ "reason": reason, "failed_logins": failed, "locked": locked_until.is_some() }));
    change.audit(event).await?.commit().await?;
    Ok(if locked_until.is_some() {
        AppError::Locked
    } else {
        AppError::Unauthenticated("bad_credentials")
    })
}

/// Logs in with username, password and TOTP code.
pub async fn login(
    app: &App,
    username: &str,
    password: &str,
    totp: &str,
) -> Result<NewSession, AppError> {
    let now = app.clock().now();
    let username = username.trim().to_lowercase();
    let mut change = app.begin().await?;
    let Some(user) = change.tx().get_user_by_username(&username).await? else {
        change.abandon().await;
        equalize_timing(password);
        // Same answer as a wrong password, so usernames cannot be probed.
        app.record(login_event(
            "session.login_failed",
            &username,
            "unknown_user",
        ))
        .await?;
        return Err(AppError::Unauthenticated("bad_credentials"));
    };
    if user.status != "active" {
        change.abandon().await;
        equalize_timing(password);
        app.record(
            login_event("session.login_failed", &username, "account_disabled").actor(
                &user.id,
                &user.org_id,
                vec![],
            ),
        )
        .await?;
        return Err(AppError::Unauthenticated("bad_credentials"));
    }
    if user.locked_until.is_some_and(|t| t > now) {
        change.abandon().await;
        equalize_timing(password);
        app.record(
            login_event("session.login_failed", &username, "locked").actor(
                &user.id,
                &user.org_id,
                vec![],
            ),
        )
        .await?;
        return Err(AppError::Locked);
    }
    let password_ok = verify_password(password, &user.password_hash);
    let seed = app.totp_seed(&user)?;
    let step = if password_ok {
        verify_totp(&seed, totp.trim(), now.timestamp(), user.totp_last_step)
    } else {
        None
    };
    let Some(step) = step else {
        let reason = if !password_ok {
            "wrong_password"
        } else if verify_totp(&seed, totp.trim(), now.timestamp(), None).is_some() {
            "reused_totp"
        } else {
            "wrong_totp"
        };
        return Err(count_failure(app, change, &user, "session.login_failed", reason).await?);
    };
    change
        .tx()
        .update_user_login_state(
            &user.id,
            user.version,
            &LoginState {
                failed_logins: 0,
                locked_until: None,
                totp_last_step: Some(step),
            },
        )
        .await?;
    let actor = load_actor(change.tx(), &user, AuthMethod::Session).await?;
    let token = random_token()?;
    let csrf_token = random_token()?;
    let expires_at = now + app.config().session_absolute;
    change
        .tx()
        .insert_session(&SessionRow {
            id_hash: token_hash(&token),
            user_id: user.id.clone(),
            csrf_token_hash: token_hash(&csrf_token),
            created_at: now,
            last_seen_at: now,
            expires_at,
            revoked_at: None,
        })
        .await?;
    let event = login_event("session.login_succeeded", &username, "ok").actor(
        &user.id,
        &user.org_id,
        actor.role_codes(),
    );
    change.audit(event).await?.commit().await?;
    Ok(NewSession {
        token,
        csrf_token,
        expires_at,
        actor,
    })
}

/// Resolves a session token; expired (idle or absolute) or revoked sessions
/// are refused.
pub async fn authenticate(app: &App, token: &str) -> Result<SessionContext, AppError> {
    let now = app.clock().now();
    let hash = token_hash(token);
    let mut tx = app.store().begin_read().await?;
    let session = tx
        .get_session(&hash)
        .await?
        .ok_or(AppError::Unauthenticated("no_session"))?;
    if !session.is_live(now) || now - session.last_seen_at > app.config().session_idle {
        tx.commit().await?;
        return Err(AppError::Unauthenticated("session_expired"));
    }
    let user = tx
        .get_user(&session.user_id)
        .await?
        .ok_or(AppError::Unauthenticated("no_user"))?;
    if user.status != "active" {
        tx.commit().await?;
        return Err(AppError::Unauthenticated("account_disabled"));
    }
    let actor = load_actor(&mut tx, &user, AuthMethod::Session).await?;
    tx.commit().await?;
    // Sliding idle timeout; losing this touch only shortens the session.
    let mut w = app.store().begin().await?;
    w.touch_session(&hash, now).await?;
    w.commit().await?;
    Ok(SessionContext {
        actor,
        csrf_token_hash: session.csrf_token_hash,
        session_hash: hash,
    })
}

/// Ends a session.
pub async fn logout(app: &App, ctx: &SessionContext) -> Result<(), AppError> {
    let now = app.clock().now();
    let mut change = app.begin().await?;
    change.tx().revoke_session(&ctx.session_hash, now).await?;
    let event = AuditEvent::new("session.logout")
        .class(RetentionClass::Network)
        .actor(
            &ctx.actor.user_id,
            &ctx.actor.org_id,
            ctx.actor.role_codes(),
        );
    change.audit(event).await?.commit().await?;
    Ok(())
}
