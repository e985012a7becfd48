//! 外部数据导入: the `data_imports` and `pending_imports` tables of the
//! use_applications workflow (an import is reviewed before its data may
//! enter the trusted space). Status changes are compare-and-set on
//! `version`.

use chrono::{DateTime, Utc};

use crate::error::cas;
use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `data_imports`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DataImportRow {
    /// Primary key
    pub id: String,
    /// Applicant organisation
    pub applicant_org: String,
    /// Submitting user
    pub submitted_by: String,
    /// When submitted
    pub submitted_at: DateTime<Utc>,
    /// Description of the data
    pub description: String,
    /// `LegalBasis` code
    pub legal_basis: String,
    /// Consent or legal-basis reference
    pub legal_basis_reference: Option<String>,
    /// JSON array of data categories
    pub data_categories: String,
    /// 1 when personal information is included
    pub personal_information: i64,
    /// `SensitivityGrade` code
    pub sensitivity: String,
    /// JSON array of dataset ids to fuse with
    pub fuse_with: String,
    /// `ImportStatus` code
    pub status: String,
    /// Deciding user
    pub decided_by: Option<String>,
    /// When decided
    pub decided_at: Option<DateTime<Utc>>,
    /// Reason or opinion
    pub reason: Option<String>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `pending_imports`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingImportRow {
    /// Primary key, the id of the future dataset
    pub id: String,
    /// The approved import
    pub import_id: String,
    /// Owner of the future dataset (the applicant)
    pub owner_org: String,
    /// `SensitivityGrade` code of the future dataset
    pub sensitivity: String,
    /// 1 when personal information is included
    pub personal_information: i64,
    /// `pending` until the vault loads it, then `loaded`
    pub status: String,
    /// When created
    pub created_at: DateTime<Utc>,
}

const IMPORT_COLUMNS: &str = "id, applicant_org, submitted_by, submitted_at, description, \
     legal_basis, legal_basis_reference, data_categories, personal_information, sensitivity, \
     fuse_with, status, decided_by, decided_at, reason, version";

impl StoreTx {
    /// Inserts an import application as given
    pub async fn insert_data_import(&mut self, row: &DataImportRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO data_imports (id, applicant_org, submitted_by, submitted_at,
                    description, legal_basis, legal_basis_reference, data_categories,
                    personal_information, sensitivity, fuse_with, status, decided_by, decided_at,
                    reason, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                "#,
            )
            .bind(&row.id)
            .bind(&row.applicant_org)
            .bind(&row.submitted_by)
            .bind(micros(row.submitted_at))
            .bind(&row.description)
            .bind(&row.legal_basis)
            .bind(&row.legal_basis_reference)
            .bind(&row.data_categories)
            .bind(row.personal_information)
            .bind(&row.sensitivity)
            .bind(&row.fuse_with)
            .bind(&row.status)
            .bind(&row.decided_by)
            .bind(row.decided_at.map(micros))
            .bind(&row.reason)
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one import application
    pub async fn get_data_import(&mut self, id: &str) -> Result<Option<DataImportRow>, StoreError> {
        let sql = format!("SELECT {IMPORT_COLUMNS} FROM data_imports WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists import applications, oldest first; only `submitted` ones when
    /// `open_only`
    pub async fn list_data_imports(
        &mut self,
        open_only: bool,
    ) -> Result<Vec<DataImportRow>, StoreError> {
        let filter = if open_only {
            "WHERE status = 'submitted' "
        } else {
            ""
        };
        let sql =
            format!("SELECT {IMPORT_COLUMNS} FROM data_imports {filter}ORDER BY submitted_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Compare-and-set of an import's decision; otherwise
    /// [`StoreError::Conflict`]
    pub async fn update_data_import(
        &mut self,
        row: &DataImportRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let affected = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE data_imports
                   SET status = $1, decided_by = $2, decided_at = $3, reason = $4,
                       version = version + 1
                 WHERE id = $5 AND version = $6
                "#,
            )
            .bind(&row.status)
            .bind(&row.decided_by)
            .bind(row.decided_at.map(micros))
            .bind(&row.reason)
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(affected)
    }

    /// Inserts the pending import of an approved import application
    pub async fn insert_pending_import(
        &mut self,
        row: &PendingImportRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO pending_imports (id, import_id, owner_org, sensitivity,
                    personal_information, status, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                "#,
            )
            .bind(&row.id)
            .bind(&row.import_id)
            .bind(&row.owner_org)
            .bind(&row.sensitivity)
            .bind(row.personal_information)
            .bind(&row.status)
            .bind(micros(row.created_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The pending imports (of approved import applications), oldest first
    pub async fn list_pending_imports(&mut self) -> Result<Vec<PendingImportRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT p.id, p.import_id, p.owner_org, p.sensitivity, p.personal_information,
                       p.status, p.created_at
                FROM pending_imports p JOIN data_imports i ON i.id = p.import_id
                WHERE i.status = 'approved'
                ORDER BY p.created_at, p.id
                "#,
            )
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
