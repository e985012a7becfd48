//! Users (用户) and their roles (角色) within one organisation.

use gongshu_domain::{DomainError as _, OrgId, OrgKind, Role, UserId, Username};
use gongshu_policy::{Action, Principal, Resource};
use gongshu_store::RoleGrantRow;
use serde::{Deserialize, Serialize};

use crate::bootstrap::{InitialCredentials, new_user_row};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

/// Input of `create_user`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUser {
    /// Organisation the user belongs to.
    pub org_id: String,
    /// Login name.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Role codes to grant at once.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// A user as shown to others (no secrets).
#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Status.
    pub status: String,
    /// Role codes.
    pub roles: Vec<String>,
}

fn parse_id<T>(
    raw: &str,
    field: &str,
    f: fn(&str) -> Result<T, gongshu_domain::IdError>,
) -> Result<T, AppError> {
    f(raw).map_err(|_| {
        AppError::Validation(vec![FieldError::new(field, "id.invalid", "标识格式无效")])
    })
}

fn parse_roles(raw: &[String]) -> Result<Vec<Role>, AppError> {
    raw.iter()
        .map(|r| {
            r.parse::<Role>().map_err(|_| {
                AppError::Validation(vec![FieldError::new(
                    "roles",
                    "role.unknown",
                    format!("角色无效：{r}"),
                )])
            })
        })
        .collect()
}

async fn org_kind(app: &App, org_id: &str) -> Result<OrgKind, AppError> {
    let mut tx = app.store().begin_read().await?;
    let org = tx.get_organisation(org_id).await?;
    tx.commit().await?;
    let org = org.ok_or(AppError::NotFound {
        what: "organisation",
    })?;
    org.kind
        .parse()
        .map_err(|_| AppError::Internal("bad org kind".into()))
}

/// Creates a user with one-time credentials, and grants roles.
pub async fn create_user(
    app: &App,
    actor: &Actor,
    input: &NewUser,
) -> Result<InitialCredentials, AppError> {
    let org = parse_id(&input.org_id, "org_id", OrgId::parse)?;
    let username = Username::parse(&input.username).map_err(|e| {
        AppError::Validation(vec![FieldError::new(
            "username",
            "username.invalid",
            e.message_zh(),
        )])
    })?;
    let display = input.display_name.trim();
    if display.is_empty() || display.chars().count() > 50 {
        return Err(AppError::Validation(vec![FieldError::new(
            "display_name",
            "display_name.invalid",
            "姓名须为 1 至 50 个字符",
        )]));
    }
    let roles = parse_roles(&input.roles)?;
    let kind = org_kind(app, &input.org_id).await?;
    let resource = Resource::User(Principal::new(
        UserId::from_u128(0),
        org,
        kind,
        roles.iter().copied(),
    ));
    let decided = app.authorize(actor, Action::UserCreate, &resource).await?;
    let (row, creds) = new_user_row(app, &input.org_id, &username, display)?;
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        change.tx().insert_user(&row).await?;
        for role in &roles {
            change
                .tx()
                .insert_role_grant(&RoleGrantRow {
                    user_id: row.id.clone(),
                    role: role.as_str().into(),
                    granted_by: actor.user_id.clone(),
                    granted_at: now,
                })
                .await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let event = AuditEvent::new("user.created")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("user", &row.id)
        .decided_by(decided)
        .details(serde_json::json!({ "org_id": row.org_id, "username": row.username, "roles": input.roles }));
    change.audit(event).await?.commit().await?;
    Ok(creds)
}

/// Lists the users of an organisation.
pub async fn list_users(app: &App, actor: &Actor, org_id: &str) -> Result<Vec<UserView>, AppError> {
    let org = parse_id(org_id, "org_id", OrgId::parse)?;
    let kind = org_kind(app, org_id).await?;
    let resource = Resource::User(Principal::new(UserId::from_u128(0), org, kind, []));
    app.authorize(actor, Action::UserRead, &resource).await?;
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for u in tx.list_users_by_org(org_id).await? {
        let roles = tx
            .list_role_grants(&u.id)
            .await?
            .into_iter()
            .map(|g| g.role)
            .collect();
        out.push(UserView {
            id: u.id,
            org_id: u.org_id,
            username: u.username,
            display_name: u.display_name,
            status: u.status,
            roles,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Grants (`grant = true`) or revokes a role.
pub async fn change_role(
    app: &App,
    actor: &Actor,
    user_id: &str,
    role: &str,
    grant: bool,
) -> Result<(), AppError> {
    let grantee = parse_id(user_id, "user_id", UserId::parse)?;
    let role: Role = role.parse().map_err(|_| {
        AppError::Validation(vec![FieldError::new("role", "role.unknown", "角色无效")])
    })?;
    let user = {
        let mut tx = app.store().begin_read().await?;
        let u = tx.get_user(user_id).await?;
        tx.commit().await?;
        u.ok_or(AppError::NotFound { what: "user" })?
    };
    let org = parse_id(&user.org_id, "org_id", OrgId::parse)?;
    let resource = Resource::RoleGrant { grantee, org, role };
    let action = if grant {
        Action::RoleGrant
    } else {
        Action::RoleRevoke
    };
    let decided = app.authorize(actor, action, &resource).await?;
    let mut change = app.begin().await?;
    let res = if grant {
        change
            .tx()
            .insert_role_grant(&RoleGrantRow {
                user_id: user_id.to_owned(),
                role: role.as_str().into(),
                granted_by: actor.user_id.clone(),
                granted_at: app.clock().now(),
            })
            .await
            .map(|()| true)
    } else {
        change.tx().delete_role_grant(user_id, role.as_str()).await
    };
    match res {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(AppError::NotFound { what: "role_grant" });
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    let event = AuditEvent::new(if grant {
        "role.granted"
    } else {
        "role.revoked"
    })
    .actor(&actor.user_id, &actor.org_id, actor.role_codes())
    .target("user", user_id)
    .decided_by(decided)
    .details(serde_json::json!({ "role": role.as_str() }));
    change.audit(event).await?.commit().await?;
    Ok(())
}
