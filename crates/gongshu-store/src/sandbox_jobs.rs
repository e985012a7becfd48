//! Sandbox jobs: long queries accepted for later; their status and
//! released result.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `sandbox_jobs`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SandboxJobRow {
    /// Primary key
    pub id: String,
    /// Submitting organisation
    pub org_id: String,
    /// Submitting user
    pub user_id: String,
    /// The SQL
    pub sql_text: String,
    /// `running`, `done`, `failed` or `interrupted`
    pub status: String,
    /// Released result as JSON text, when done
    pub result: Option<String>,
    /// Error code, when failed
    pub error_code: Option<String>,
    /// Error message (Chinese), when failed
    pub error: Option<String>,
    /// Accepted
    pub created_at: DateTime<Utc>,
    /// Finished
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str =
    "id, org_id, user_id, sql_text, status, result, error_code, error, created_at, finished_at";

impl StoreTx {
    /// Inserts an accepted job
    pub async fn insert_sandbox_job(&mut self, row: &SandboxJobRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO sandbox_jobs ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.org_id)
                .bind(&row.user_id)
                .bind(&row.sql_text)
                .bind(&row.status)
                .bind(&row.result)
                .bind(&row.error_code)
                .bind(&row.error)
                .bind(micros(row.created_at))
                .bind(row.finished_at.map(micros))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Finishes a running job (no effect on a job no longer running)
    pub async fn finish_sandbox_job(&mut self, row: &SandboxJobRow) -> Result<u64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE sandbox_jobs SET status = $1, result = $2, error_code = $3, error = $4, \
                 finished_at = $5 WHERE id = $6 AND status = 'running'",
            )
            .bind(&row.status)
            .bind(&row.result)
            .bind(&row.error_code)
            .bind(&row.error)
            .bind(row.finished_at.map(micros))
            .bind(&row.id)
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Marks every running job interrupted (at startup); returns how many
    pub async fn interrupt_running_sandbox_jobs(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE sandbox_jobs SET status = 'interrupted', finished_at = $1 WHERE status = 'running'",
            )
            .bind(micros(now))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// One job
    pub async fn get_sandbox_job(&mut self, id: &str) -> Result<Option<SandboxJobRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM sandbox_jobs WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// A user's jobs, newest first
    pub async fn list_sandbox_jobs(
        &mut self,
        user_id: &str,
    ) -> Result<Vec<SandboxJobRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM sandbox_jobs WHERE user_id = $1 ORDER BY created_at DESC, id DESC"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(user_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
