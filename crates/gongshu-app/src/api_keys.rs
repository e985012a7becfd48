//! API keys (接口密钥) for participants' systems: shown once, stored as a
//! hash, bound to one organisation and a scope, expiring and revocable.

use chrono::{DateTime, TimeDelta, Utc};
use gongshu_domain::{ApiKeyId, OrgId};
use gongshu_ledger::RetentionClass;
use gongshu_policy::{Action, Resource};
use gongshu_store::ApiKeyRow;
use serde::{Deserialize, Serialize};

use crate::crypto::{random_token, token_hash};
use crate::error::{AppError, FieldError};
use crate::session::load_actor;
use crate::{Actor, App, AuditEvent, AuthMethod, new_id};

/// Key prefix, so leaked keys are recognisable by secret scanners.
pub const KEY_PREFIX: &str = "gsk_";

/// Input of `issue_api_key`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewApiKey {
    /// Organisation the key belongs to.
    pub org_id: String,
    /// Scope (product and scenario), e.g. `product:credit-score/scenario:smb-loans`.
    pub scope: String,
    /// Validity in days (1..=366).
    pub valid_days: i64,
}

/// An issued key: `key` is shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedApiKey {
    /// Key id.
    pub id: String,
    /// The secret key.
    pub key: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// A key as listed (no secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyView {
    /// Id.
    pub id: String,
    /// Visible prefix.
    pub prefix: String,
    /// Scope.
    pub scope: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Revocation time.
    pub revoked_at: Option<DateTime<Utc>>,
}

fn validation(field: &str, code: &str, msg: &str) -> AppError {
    AppError::Validation(vec![FieldError::new(field, code, msg)])
}

/// Issues a key for an organisation.
pub async fn issue_api_key(
    app: &App,
    actor: &Actor,
    input: &NewApiKey,
) -> Result<IssuedApiKey, AppError> {
    let org = OrgId::parse(&input.org_id)
        .map_err(|_| validation("org_id", "id.invalid", "机构标识无效"))?;
    let scope = input.scope.trim();
    if scope.is_empty() || scope.len() > 200 || scope.chars().any(char::is_whitespace) {
        return Err(validation(
            "scope",
            "scope.invalid",
            "授权范围须为 1 至 200 个非空白字符",
        ));
    }
    if !(1..=366).contains(&input.valid_days) {
        return Err(validation(
            "valid_days",
            "valid_days.out_of_range",
            "有效期须为 1 至 366 天",
        ));
    }
    let id = new_id();
    let key_id = ApiKeyId::parse(&id).map_err(|e| AppError::Internal(e.to_string()))?;
    let decided = app
        .authorize(
            actor,
            Action::ApiKeyIssue,
            &Resource::ApiKey { id: key_id, org },
        )
        .await?;
    let key = format!("{KEY_PREFIX}{}", random_token()?);
    let now = app.clock().now();
    let row = ApiKeyRow {
        id: id.clone(),
        org_id: input.org_id.clone(),
        key_hash: token_hash(&key),
        prefix: key.chars().take(12).collect(),
        scope: scope.to_owned(),
        created_by: actor.user_id.clone(),
        created_at: now,
        expires_at: now + TimeDelta::days(input.valid_days),
        revoked_at: None,
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_api_key(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("api_key.issued")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("api_key", &id)
        .decided_by(decided)
        .details(serde_json::json!({ "org_id": row.org_id, "scope": row.scope, "expires_at": row.expires_at }));
    change.audit(event).await?.commit().await?;
    Ok(IssuedApiKey {
        id,
        key,
        expires_at: row.expires_at,
    })
}

/// Lists an organisation's keys.
pub async fn list_api_keys(
    app: &App,
    actor: &Actor,
    org_id: &str,
) -> Result<Vec<ApiKeyView>, AppError> {
    let org =
        OrgId::parse(org_id).map_err(|_| validation("org_id", "id.invalid", "机构标识无效"))?;
    app.authorize(
        actor,
        Action::ApiKeyIssue,
        &Resource::ApiKey {
            id: ApiKeyId::from_u128(0),
            org,
        },
    )
    .await?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_api_keys_by_org(org_id).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| ApiKeyView {
            id: r.id,
            prefix: r.prefix,
            scope: r.scope,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
        })
        .collect())
}

/// Revokes a key at once.
pub async fn revoke_api_key(
    app: &App,
    actor: &Actor,
    org_id: &str,
    key_id: &str,
) -> Result<(), AppError> {
    let org =
        OrgId::parse(org_id).map_err(|_| validation("org_id", "id.invalid", "机构标识无效"))?;
    let id =
        ApiKeyId::parse(key_id).map_err(|_| validation("key_id", "id.invalid", "密钥标识无效"))?;
    let keys = {
        let mut tx = app.store().begin_read().await?;
        let k = tx.list_api_keys_by_org(org_id).await?;
        tx.commit().await?;
        k
    };
    if !keys.iter().any(|k| k.id == key_id) {
        return Err(AppError::NotFound { what: "api_key" });
    }
    let decided = app
        .authorize(actor, Action::ApiKeyRevoke, &Resource::ApiKey { id, org })
        .await?;
    let mut change = app.begin().await?;
    match change.tx().revoke_api_key(key_id, app.clock().now()).await {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(AppError::NotFound { what: "api_key" });
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    let event = AuditEvent::new("api_key.revoked")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("api_key", key_id)
        .decided_by(decided);
    change.audit(event).await?.commit().await?;
    Ok(())
}

/// Authenticates a machine client; refusals are audited.
pub async fn authenticate_api_key(app: &App, key: &str) -> Result<Actor, AppError> {
    let now = app.clock().now();
    let hash = token_hash(key);
    let generation = app.generation();
    if let Some(kept) = app.hot().keys.get(&hash, generation)
        && kept.0.is_live(now)
    {
        return Ok(kept.1.clone());
    }
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_api_key_by_hash(&hash).await?;
    let refuse = |reason: &'static str, org: Option<&str>, id: Option<&str>| {
        let mut e = AuditEvent::new("api_key.refused")
            .class(RetentionClass::Network)
            .outcome("denied")
            .details(serde_json::json!({ "reason": reason }));
        if let Some(id) = id {
            e = e.target("api_key", id);
        }
        e.actor_org = org.map(str::to_owned);
        e
    };
    let Some(row) = row else {
        tx.commit().await?;
        app.record(refuse("unknown_key", None, None)).await?;
        return Err(AppError::Unauthenticated("bad_api_key"));
    };
    if !row.is_live(now) {
        tx.commit().await?;
        let reason = if row.revoked_at.is_some() {
            "revoked"
        } else {
            "expired"
        };
        app.record(refuse(reason, Some(&row.org_id), Some(&row.id)))
            .await?;
        return Err(AppError::Unauthenticated("bad_api_key"));
    }
    let user = tx
        .get_user(&row.created_by)
        .await?
        .ok_or(AppError::Unauthenticated("bad_api_key"))?;
    let mut actor = load_actor(
        &mut tx,
        &user,
        AuthMethod::ApiKey {
            key_id: row.id.clone(),
            scope: row.scope.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    // The key acts for its organisation only, never with the issuer's roles.
    if actor.org_id != row.org_id {
        let mut tx = app.store().begin_read().await?;
        let org = tx.get_organisation(&row.org_id).await?;
        tx.commit().await?;
        let org = org.ok_or(AppError::Unauthenticated("bad_api_key"))?;
        actor.org_id = org.id;
        actor.org_kind = org
            .kind
            .parse()
            .map_err(|_| AppError::Internal("bad org kind".into()))?;
    }
    actor.roles.clear();
    // Kept until the next change (a revocation drops it at once).
    app.hot().keys.put(hash, generation, (row, actor.clone()));
    Ok(actor)
}

/// Checks that an API-key actor may act for `org_id`; a key of another
/// organisation is refused and audited.
pub async fn require_key_org(app: &App, actor: &Actor, org_id: &str) -> Result<(), AppError> {
    if let AuthMethod::ApiKey { key_id, .. } = &actor.via
        && actor.org_id != org_id
    {
        let e = AuditEvent::new("api_key.refused")
            .class(RetentionClass::Network)
            .target("api_key", key_id)
            .outcome("denied")
            .details(serde_json::json!({ "reason": "other_organisation", "asked_for": org_id }));
        app.record(e).await?;
        return Err(AppError::Forbidden {
            action: "api_key.use".into(),
            policy_ids: vec![],
        });
    }
    Ok(())
}
