//! Users (用户): staff accounts of an organisation, with their password
//! hash, TOTP secret and login-throttling state. Owns the `users` table.
//! Checking passwords and codes is the server's job, not this module's.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `users`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// The organisation the user belongs to
    pub org_id: String,
    /// Login name, unique across the platform
    pub username: String,
    /// Name shown in the console
    pub display_name: String,
    /// Password hash in PHC string form
    pub password_hash: String,
    /// TOTP shared secret as the application stores it: sealed by the vault
    /// for this user (`gscred1:` …), or plain from before sealing existed
    pub totp_secret: Vec<u8>,
    /// The last accepted TOTP time step; a code at or before it is refused
    pub totp_last_step: Option<i64>,
    /// Failed logins since the last success
    pub failed_logins: i64,
    /// Logins are refused until this instant
    pub locked_until: Option<DateTime<Utc>>,
    /// `active` or `disabled`
    pub status: String,
    /// When the account was created
    pub created_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// The fields a login attempt changes
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginState {
    /// Failed logins since the last success
    pub failed_logins: i64,
    /// Logins are refused until this instant
    pub locked_until: Option<DateTime<Utc>>,
    /// The last accepted TOTP time step
    pub totp_last_step: Option<i64>,
}

/// The columns of a [`UserRow`], in its field order.
const USER_COLUMNS: &str = "id, org_id, username, display_name, password_hash, totp_secret, \
    totp_last_step, failed_logins, locked_until, status, created_at, version";

impl StoreTx {
    /// Inserts a user as given
    pub async fn insert_user(&mut self, row: &UserRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO users (
                    id, org_id, username, display_name, password_hash, totp_secret,
                    totp_last_step, failed_logins, locked_until, status, created_at, version
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                "#,
            )
            .bind(&row.id)
            .bind(&row.org_id)
            .bind(&row.username)
            .bind(&row.display_name)
            .bind(&row.password_hash)
            .bind(&row.totp_secret)
            .bind(row.totp_last_step)
            .bind(row.failed_logins)
            .bind(row.locked_until.map(micros))
            .bind(&row.status)
            .bind(micros(row.created_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one user by id
    pub async fn get_user(&mut self, id: &str) -> Result<Option<UserRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Fetches one user by login name
    pub async fn get_user_by_username(
        &mut self,
        username: &str,
    ) -> Result<Option<UserRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE username = $1"
            )))
            .bind(username)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Lists the users of one organisation, oldest first (`created_at`, `id`)
    pub async fn list_users_by_org(&mut self, org_id: &str) -> Result<Vec<UserRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY created_at, id"
            )))
            .bind(org_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Records the outcome of a login attempt, if the user is still at
    /// `expected_version`; returns the new version
    ///
    /// Fails with [`StoreError::Conflict`] when the version moved on (another
    /// attempt got in first) and [`StoreError::NotFound`] when there is no
    /// such user.
    pub async fn update_user_login_state(
        &mut self,
        id: &str,
        expected_version: i64,
        state: &LoginState,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE users
                SET failed_logins = $3, locked_until = $4, totp_last_step = $5,
                    version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(id)
            .bind(expected_version)
            .bind(state.failed_logins)
            .bind(state.locked_until.map(micros))
            .bind(state.totp_last_step)
            .fetch_optional(conn)
            .await?
        });
        self.cas_outcome(new_version, id).await
    }

    /// Every user, oldest first (`created_at`, `id`)
    pub async fn list_users(&mut self) -> Result<Vec<UserRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLUMNS} FROM users ORDER BY created_at, id"
            )))
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Replaces the stored TOTP secret (its sealed form), if the user is
    /// still at `expected_version`; returns the new version
    ///
    /// Errors as [`StoreTx::update_user_login_state`].
    pub async fn set_user_totp_secret(
        &mut self,
        id: &str,
        expected_version: i64,
        secret: &[u8],
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE users
                SET totp_secret = $3, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(id)
            .bind(expected_version)
            .bind(secret)
            .fetch_optional(conn)
            .await?
        });
        self.cas_outcome(new_version, id).await
    }

    /// Sets the account status (`active` or `disabled`), if the user is
    /// still at `expected_version`; returns the new version
    ///
    /// Errors as [`StoreTx::update_user_login_state`]; a status outside the
    /// list is [`StoreError::Invalid`].
    pub async fn set_user_status(
        &mut self,
        id: &str,
        expected_version: i64,
        status: &str,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE users
                SET status = $3, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(id)
            .bind(expected_version)
            .bind(status)
            .fetch_optional(conn)
            .await?
        });
        self.cas_outcome(new_version, id).await
    }

    /// Turns the outcome of a compare-and-set on `users` into its result.
    async fn cas_outcome(&mut self, new_version: Option<i64>, id: &str) -> Result<i64, StoreError> {
        if let Some(version) = new_version {
            return Ok(version);
        }
        // Nothing matched: tell a missing user from a stale version.
        let exists: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT version FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        match exists {
            Some(_) => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound {
                entity: "user",
                id: id.to_owned(),
            }),
        }
    }
}
