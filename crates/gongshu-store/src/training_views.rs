//! Training views: sampled, de-identified extracts (the vault holds the
//! data under the view's id).

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `training_views`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TrainingViewRow {
    /// Primary key, also the vault dataset id
    pub id: String,
    /// Owning organisation
    pub org_id: String,
    /// Source dataset (catalog resource)
    pub source_dataset: String,
    /// Source table name as the owner saw it
    pub source_table: String,
    /// SQL name of the view
    pub table_name: String,
    /// Share of persons kept, in millionths
    pub fraction_ppm: i64,
    /// Rows kept
    pub rows_kept: i64,
    /// Persons kept
    pub persons_kept: i64,
    /// Columns and classes as JSON `[{"name":…,"class":…}]`
    pub columns: String,
    /// Creating user
    pub created_by: String,
    /// Created
    pub created_at: DateTime<Utc>,
}

const COLUMNS: &str = "id, org_id, source_dataset, source_table, table_name, fraction_ppm, \
                       rows_kept, persons_kept, columns, created_by, created_at";

impl StoreTx {
    /// Inserts a training view
    pub async fn insert_training_view(&mut self, row: &TrainingViewRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO training_views ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.org_id)
                .bind(&row.source_dataset)
                .bind(&row.source_table)
                .bind(&row.table_name)
                .bind(row.fraction_ppm)
                .bind(row.rows_kept)
                .bind(row.persons_kept)
                .bind(&row.columns)
                .bind(&row.created_by)
                .bind(micros(row.created_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// An organisation's training views, oldest first
    pub async fn list_training_views(
        &mut self,
        org_id: &str,
    ) -> Result<Vec<TrainingViewRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM training_views WHERE org_id = $1 ORDER BY created_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
