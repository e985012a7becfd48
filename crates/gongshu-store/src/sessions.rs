//! Console sessions (会话). Owns the `sessions` table. Only hashes of the
//! session token and of the CSRF token are stored: a copy of the database
//! must not let anyone log in. Making and hashing tokens is the server's job.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `sessions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// Hash of the session token (primary key)
    pub id_hash: String,
    /// The logged-in user
    pub user_id: String,
    /// Hash of the session's CSRF token
    pub csrf_token_hash: String,
    /// When the session was created
    pub created_at: DateTime<Utc>,
    /// The last request seen on the session
    pub last_seen_at: DateTime<Utc>,
    /// The session ends at this instant
    pub expires_at: DateTime<Utc>,
    /// When the session was ended early (logout, account disabled)
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SessionRow {
    /// Whether the session may still be used at `now`
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

impl StoreTx {
    /// Inserts a session as given
    pub async fn insert_session(&mut self, row: &SessionRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO sessions (
                    id_hash, user_id, csrf_token_hash, created_at, last_seen_at,
                    expires_at, revoked_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                "#,
            )
            .bind(&row.id_hash)
            .bind(&row.user_id)
            .bind(&row.csrf_token_hash)
            .bind(micros(row.created_at))
            .bind(micros(row.last_seen_at))
            .bind(micros(row.expires_at))
            .bind(row.revoked_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches a session by the hash of its token, live or not (see
    /// [`SessionRow::is_live`])
    pub async fn get_session(&mut self, id_hash: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id_hash, user_id, csrf_token_hash, created_at, last_seen_at,
                       expires_at, revoked_at
                FROM sessions
                WHERE id_hash = $1
                "#,
            )
            .bind(id_hash)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Records a request at `now` on a live session; returns false when the
    /// session is unknown, revoked or expired at `now`
    pub async fn touch_session(
        &mut self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let touched = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE sessions
                SET last_seen_at = $2
                WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2
                "#,
            )
            .bind(id_hash)
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(touched > 0)
    }

    /// Ends a session at `now`; returns false when it was unknown or
    /// already revoked
    pub async fn revoke_session(
        &mut self,
        id_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let revoked = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE sessions
                SET revoked_at = $2
                WHERE id_hash = $1 AND revoked_at IS NULL
                "#,
            )
            .bind(id_hash)
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(revoked > 0)
    }

    /// Ends every unrevoked session of a user at `now` (on disabling the
    /// account or resetting its credentials); returns how many were ended
    pub async fn revoke_user_sessions(
        &mut self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let revoked = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE sessions
                SET revoked_at = $2
                WHERE user_id = $1 AND revoked_at IS NULL
                "#,
            )
            .bind(user_id)
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(revoked)
    }

    /// Ends every unrevoked session of every user of an organisation at
    /// `now` (termination, S-3.3.5); returns how many
    pub async fn revoke_org_sessions(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE sessions
                SET revoked_at = $2
                WHERE revoked_at IS NULL
                  AND user_id IN (SELECT id FROM users WHERE org_id = $1)
                "#,
            )
            .bind(org_id)
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n)
    }
}
