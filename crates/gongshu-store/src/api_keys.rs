//! API keys (接口密钥) with which participants' systems call products.
//! Owns the `api_keys` table. Only a hash of each key is stored, plus a
//! short prefix to tell keys apart in the console.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `api_keys`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// The organisation the key is bound to
    pub org_id: String,
    /// Hash of the secret key, unique
    pub key_hash: String,
    /// The key's first characters, safe to show
    pub prefix: String,
    /// What the key may call (product and scenario), in the app's notation
    pub scope: String,
    /// The user who created the key
    pub created_by: String,
    /// When the key was created
    pub created_at: DateTime<Utc>,
    /// The key stops working at this instant
    pub expires_at: DateTime<Utc>,
    /// When the key was revoked early
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyRow {
    /// Whether the key may still be used at `now`
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

impl StoreTx {
    /// Inserts an API key as given
    pub async fn insert_api_key(&mut self, row: &ApiKeyRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO api_keys (
                    id, org_id, key_hash, prefix, scope, created_by, created_at,
                    expires_at, revoked_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                "#,
            )
            .bind(&row.id)
            .bind(&row.org_id)
            .bind(&row.key_hash)
            .bind(&row.prefix)
            .bind(&row.scope)
            .bind(&row.created_by)
            .bind(micros(row.created_at))
            .bind(micros(row.expires_at))
            .bind(row.revoked_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches a key by the hash of its secret, live or not (see
    /// [`ApiKeyRow::is_live`])
    pub async fn get_api_key_by_hash(
        &mut self,
        key_hash: &str,
    ) -> Result<Option<ApiKeyRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, org_id, key_hash, prefix, scope, created_by, created_at,
                       expires_at, revoked_at
                FROM api_keys
                WHERE key_hash = $1
                "#,
            )
            .bind(key_hash)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Lists the keys of one organisation, oldest first (`created_at`, `id`)
    pub async fn list_api_keys_by_org(
        &mut self,
        org_id: &str,
    ) -> Result<Vec<ApiKeyRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, org_id, key_hash, prefix, scope, created_by, created_at,
                       expires_at, revoked_at
                FROM api_keys
                WHERE org_id = $1
                ORDER BY created_at, id
                "#,
            )
            .bind(org_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Revokes a key at `now`; returns false when it was unknown or already
    /// revoked
    pub async fn revoke_api_key(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let revoked = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE api_keys
                SET revoked_at = $2
                WHERE id = $1 AND revoked_at IS NULL
                "#,
            )
            .bind(id)
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(revoked > 0)
    }

    /// Revokes every unrevoked key of an organisation at `now` (termination,
    /// S-3.3.5); returns how many
    pub async fn revoke_org_api_keys(
        &mut self,
        org_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE api_keys SET revoked_at = $2 WHERE org_id = $1 AND revoked_at IS NULL",
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
