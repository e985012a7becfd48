//! The `dataset_versions` table: which vault versions of a catalog
//! resource are committed, and their quality counts (no data values).

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `dataset_versions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DatasetVersionRow {
    /// The catalog resource (also the vault dataset id)
    pub resource_id: String,
    /// Vault version number
    pub version: i64,
    /// `replace` or `append`
    pub mode: String,
    /// The first version of the state this version belongs to: itself for
    /// a replace, the base of the previous version for an append
    pub base_version: i64,
    /// Rows stored
    pub rows_loaded: i64,
    /// Malformed rows skipped
    pub rows_rejected: i64,
    /// Ciphertext size
    pub bytes: i64,
    /// Hex SHA-256 of the ciphertext
    pub sha256: String,
    /// Public id of the wrapped data key
    pub key_id: String,
    /// Input encoding
    pub encoding: String,
    /// Quality counts, scores and alerts as JSON text
    pub quality: String,
    /// Number of alerts raised
    pub alerts: i64,
    /// Loading user
    pub loaded_by: String,
    /// Commit time
    pub loaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "resource_id, version, mode, base_version, rows_loaded, rows_rejected, \
     bytes, sha256, key_id, encoding, quality, alerts, loaded_by, loaded_at";

impl StoreTx {
    /// Inserts a committed version
    pub async fn insert_dataset_version(
        &mut self,
        row: &DatasetVersionRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO dataset_versions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.resource_id)
                .bind(row.version)
                .bind(&row.mode)
                .bind(row.base_version)
                .bind(row.rows_loaded)
                .bind(row.rows_rejected)
                .bind(row.bytes)
                .bind(&row.sha256)
                .bind(&row.key_id)
                .bind(&row.encoding)
                .bind(&row.quality)
                .bind(row.alerts)
                .bind(&row.loaded_by)
                .bind(micros(row.loaded_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// The committed versions of a resource, ascending
    pub async fn list_dataset_versions(
        &mut self,
        resource_id: &str,
    ) -> Result<Vec<DatasetVersionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM dataset_versions WHERE resource_id = $1 ORDER BY version"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(resource_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// The latest committed version of every resource that has one
    pub async fn latest_dataset_versions(&mut self) -> Result<Vec<DatasetVersionRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM dataset_versions d WHERE version = \
             (SELECT MAX(version) FROM dataset_versions e WHERE e.resource_id = d.resource_id) \
             ORDER BY resource_id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
