//! Role grants (角色授予): which roles a user holds. Owns the `role_grants`
//! table. Whether a role allows an action is gongshu-policy's business.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `role_grants`; a user holds each role at most once
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleGrantRow {
    /// The user who holds the role
    pub user_id: String,
    /// One of the `Role` codes of gongshu-domain (`case_officer`,
    /// `reviewer`, `approver`, `admin`)
    pub role: String,
    /// Who granted it: a user id, or a marker such as `bootstrap` (not a
    /// foreign key, so that the first administrator can be created)
    pub granted_by: String,
    /// When it was granted
    pub granted_at: DateTime<Utc>,
}

impl StoreTx {
    /// Grants a role; [`StoreError::Duplicate`] if the user already holds it
    pub async fn insert_role_grant(&mut self, row: &RoleGrantRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO role_grants (user_id, role, granted_by, granted_at)
                VALUES ($1, $2, $3, $4)
                "#,
            )
            .bind(&row.user_id)
            .bind(&row.role)
            .bind(&row.granted_by)
            .bind(micros(row.granted_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Withdraws a role; returns whether the user held it
    pub async fn delete_role_grant(
        &mut self,
        user_id: &str,
        role: &str,
    ) -> Result<bool, StoreError> {
        let deleted = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                DELETE FROM role_grants
                WHERE user_id = $1 AND role = $2
                "#,
            )
            .bind(user_id)
            .bind(role)
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(deleted > 0)
    }

    /// Lists the roles a user holds, by role code
    pub async fn list_role_grants(
        &mut self,
        user_id: &str,
    ) -> Result<Vec<RoleGrantRow>, StoreError> {
        // Role codes are lower-case ASCII, so ordering them agrees across
        // backends and collations.
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT user_id, role, granted_by, granted_at
                FROM role_grants
                WHERE user_id = $1
                ORDER BY role
                "#,
            )
            .bind(user_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
