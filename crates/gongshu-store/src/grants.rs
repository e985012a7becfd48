//! Data grants (数据使用授权): created by approved data demands and use
//! applications, read by the sandbox, revoked one by one by the agency or
//! all at once by termination.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `data_grants`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DataGrantRow {
    /// Primary key
    pub id: String,
    /// Organisation allowed to use the data
    pub grantee_org: String,
    /// Dataset
    pub dataset_id: String,
    /// Data source unit that provides it
    pub provider_org: String,
    /// JSON array of column names
    pub columns: String,
    /// Purpose of use
    pub purpose: String,
    /// First day of validity
    pub valid_from: NaiveDate,
    /// Last day of validity
    pub valid_until: NaiveDate,
    /// The approved demand that created it
    pub source_demand: String,
    /// When
    pub created_at: DateTime<Utc>,
    /// When revoked, if revoked
    pub revoked_at: Option<DateTime<Utc>>,
}

const GRANT_COLUMNS: &str = "id, grantee_org, dataset_id, provider_org, columns, purpose, \
     valid_from, valid_until, source_demand, created_at, revoked_at";

impl StoreTx {
    /// Inserts a data grant
    pub async fn insert_data_grant(&mut self, row: &DataGrantRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO data_grants (id, grantee_org, dataset_id, provider_org, columns, purpose,
                    valid_from, valid_until, source_demand, created_at, revoked_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                "#,
            )
            .bind(&row.id)
            .bind(&row.grantee_org)
            .bind(&row.dataset_id)
            .bind(&row.provider_org)
            .bind(&row.columns)
            .bind(&row.purpose)
            .bind(row.valid_from)
            .bind(row.valid_until)
            .bind(&row.source_demand)
            .bind(micros(row.created_at))
            .bind(row.revoked_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The grants of a grantee organisation (revoked ones included), oldest first
    pub async fn list_data_grants(
        &mut self,
        grantee_org: &str,
    ) -> Result<Vec<DataGrantRow>, StoreError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM data_grants WHERE grantee_org = $1 ORDER BY created_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(grantee_org)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Every data grant, oldest first (for public disclosure)
    pub async fn list_all_data_grants(&mut self) -> Result<Vec<DataGrantRow>, StoreError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM data_grants ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Revokes every unrevoked data grant at `now` (termination of the one
    /// whole authorization, S-3.3.5: while one agreement exists every grant
    /// derives from it); returns the grantee organisations concerned,
    /// distinct
    pub async fn revoke_all_data_grants(
        &mut self,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        let orgs: Vec<String> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                "SELECT DISTINCT grantee_org FROM data_grants WHERE revoked_at IS NULL ORDER BY grantee_org",
            )
            .fetch_all(&mut *conn)
            .await?
        });
        on_conn!(self, |conn| {
            sqlx::query("UPDATE data_grants SET revoked_at = $1 WHERE revoked_at IS NULL")
                .bind(micros(now))
                .execute(conn)
                .await?;
        });
        Ok(orgs)
    }

    /// One data grant
    pub async fn get_data_grant(&mut self, id: &str) -> Result<Option<DataGrantRow>, StoreError> {
        let sql = format!("SELECT {GRANT_COLUMNS} FROM data_grants WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Revokes one unrevoked grant at `now`; returns whether it was live
    pub async fn revoke_data_grant(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE data_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            )
            .bind(micros(now))
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The grants a demand created
    pub async fn list_data_grants_of_demand(
        &mut self,
        demand_id: &str,
    ) -> Result<Vec<DataGrantRow>, StoreError> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM data_grants WHERE source_demand = $1 ORDER BY created_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(demand_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
