//! Who is acting: an authenticated user (session) or a machine client (API
//! key), with the organisation and roles the policies look at.

use gongshu_domain::{OrgId, OrgKind, Role, UserId};
use gongshu_policy::Principal;
use serde::Serialize;

/// How the actor proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum AuthMethod {
    /// Console or API session after password + TOTP.
    Session,
    /// API key of a machine client.
    ApiKey {
        /// The key's id.
        key_id: String,
        /// The key's scope.
        scope: String,
    },
}

/// An authenticated actor.
#[derive(Debug, Clone, Serialize)]
pub struct Actor {
    /// User id (for API keys: the user who issued the key).
    pub user_id: String,
    /// Username.
    pub username: String,
    /// Display name.
    pub display_name: String,
    /// Organisation id.
    pub org_id: String,
    /// Organisation kind.
    pub org_kind: OrgKind,
    /// Roles held.
    pub roles: Vec<Role>,
    /// How they authenticated.
    pub via: AuthMethod,
}

impl Actor {
    /// The policy principal.
    pub fn principal(&self) -> Principal {
        Principal::new(
            UserId::parse(&self.user_id).unwrap_or(UserId::from_u128(0)),
            OrgId::parse(&self.org_id).unwrap_or(OrgId::from_u128(0)),
            self.org_kind,
            self.roles.iter().copied(),
        )
    }

    /// Role codes for audit records.
    pub fn role_codes(&self) -> Vec<String> {
        self.roles.iter().map(|r| r.as_str().to_owned()).collect()
    }
}
