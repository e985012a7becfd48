//! `gongshu admin bootstrap`: the first implementing-agency administrator.
//! Only possible while no organisation exists; prints one-time credentials.

use gongshu_domain::{DomainError as _, OrgKind, OrgName, Role, Username};
use gongshu_store::{OrganisationRow, RoleGrantRow, UserRow};

use crate::crypto::{base32, hash_password, otpauth_uri, random_bytes, random_token};
use crate::error::{AppError, FieldError};
use crate::{App, AuditEvent, new_id};

/// One-time credentials of a new user. Shown once, never stored in clear.
#[derive(Debug, Clone, serde::Serialize)]
pub struct InitialCredentials {
    /// User id.
    pub user_id: String,
    /// Organisation id.
    pub org_id: String,
    /// Username.
    pub username: String,
    /// One-time password (change after first login).
    pub password: String,
    /// TOTP secret, base32, for authenticator apps.
    pub totp_secret: String,
    /// `otpauth://` URI for a QR code.
    pub otpauth_uri: String,
}

impl InitialCredentials {
    /// The raw TOTP secret (for tests and scripted demos).
    pub fn totp_secret_bytes(&self) -> Vec<u8> {
        decode_base32(&self.totp_secret)
    }
}

fn decode_base32(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buffer = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    out
}

/// Makes a user row with fresh one-time credentials.
pub(crate) fn new_user_row(
    app: &App,
    org_id: &str,
    username: &Username,
    display_name: &str,
) -> Result<(UserRow, InitialCredentials), AppError> {
    let password = random_token()?;
    let secret = random_bytes::<20>()?;
    let id = new_id();
    let row = UserRow {
        id: id.clone(),
        org_id: org_id.to_owned(),
        username: username.as_str().to_owned(),
        display_name: display_name.to_owned(),
        password_hash: hash_password(&password)?,
        totp_secret: app.seal_totp(&id, &secret)?,
        totp_last_step: None,
        failed_logins: 0,
        locked_until: None,
        status: "active".into(),
        created_at: app.clock().now(),
        version: 1,
    };
    let creds = InitialCredentials {
        user_id: id,
        org_id: org_id.to_owned(),
        username: username.as_str().to_owned(),
        password,
        totp_secret: base32(&secret),
        otpauth_uri: otpauth_uri(&app.config().totp_issuer, username.as_str(), &secret),
    };
    Ok((row, creds))
}

/// Creates the implementing agency and its first administrator.
pub async fn bootstrap(
    app: &App,
    org_name: &str,
    username: &str,
    display_name: &str,
) -> Result<InitialCredentials, AppError> {
    let mut errors = Vec::new();
    let name = OrgName::parse(org_name).map_err(|e| {
        errors.push(FieldError::new(
            "org_name",
            "org_name.invalid",
            e.message_zh(),
        ))
    });
    let uname = Username::parse(username).map_err(|e| {
        errors.push(FieldError::new(
            "username",
            "username.invalid",
            e.message_zh(),
        ))
    });
    let (Ok(name), Ok(uname)) = (name, uname) else {
        return Err(AppError::Validation(errors));
    };
    let mut change = app.begin().await?;
    if !change.tx().list_organisations().await?.is_empty() {
        change.abandon().await;
        return Err(AppError::Duplicate {
            what: "bootstrap".into(),
        });
    }
    let org_id = new_id();
    let now = app.clock().now();
    change
        .tx()
        .insert_organisation(&OrganisationRow {
            id: org_id.clone(),
            name: name.as_str().to_owned(),
            kind: OrgKind::ImplementingAgency.as_str().into(),
            sector: None,
            credit_code: None,
            created_at: now,
            version: 1,
        })
        .await?;
    let (row, creds) = new_user_row(app, &org_id, &uname, display_name)?;
    change.tx().insert_user(&row).await?;
    for role in [Role::Admin, Role::Approver] {
        change
            .tx()
            .insert_role_grant(&RoleGrantRow {
                user_id: row.id.clone(),
                role: role.as_str().into(),
                granted_by: "bootstrap".into(),
                granted_at: now,
            })
            .await?;
    }
    let event = AuditEvent::new("platform.bootstrapped")
        .target("user", &row.id)
        .details(serde_json::json!({ "org_id": org_id, "username": row.username }));
    change.audit(event).await?.commit().await?;
    Ok(creds)
}
