//! 数据资源目录与登记: the `catalog_resources` table. The §6.1 fields and
//! the classified columns are stored as JSON text; this module neither
//! reads nor checks them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `catalog_resources`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CatalogResourceRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// The providing data source unit
    pub provider_org_id: String,
    /// Catalog name
    pub name: String,
    /// §6.1 fields as JSON text
    pub fields: String,
    /// Classified columns as JSON text
    pub columns: String,
    /// `unconditional`, `conditional` or `not_shared`
    pub sharing_attribute: String,
    /// Highest column grade
    pub grade: Option<String>,
    /// Registration status
    pub reg_status: String,
    /// Application date
    pub submitted_on: Option<NaiveDate>,
    /// Applicant user
    pub submitted_by: Option<String>,
    /// Acceptance date
    pub accepted_on: Option<NaiveDate>,
    /// Formal review date
    pub reviewed_on: Option<NaiveDate>,
    /// First day of the public notice
    pub notice_start: Option<NaiveDate>,
    /// Last day of the public notice
    pub notice_end: Option<NaiveDate>,
    /// Registration (赋码) date
    pub registered_on: Option<NaiveDate>,
    /// Last day of validity
    pub valid_until: Option<NaiveDate>,
    /// 登记结果查询码
    pub certificate_no: Option<String>,
    /// Reasons of the last rejection
    pub reject_reason: Option<String>,
    /// Renewals granted
    pub renewals: i64,
    /// Creator
    pub created_by: String,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

const COLUMNS: &str = "id, provider_org_id, name, fields, columns, sharing_attribute, grade, \
     reg_status, submitted_on, submitted_by, accepted_on, reviewed_on, notice_start, notice_end, \
     registered_on, valid_until, certificate_no, reject_reason, renewals, created_by, created_at, \
     updated_at, version";

impl StoreTx {
    /// Inserts a catalog resource as given
    pub async fn insert_catalog_resource(
        &mut self,
        row: &CatalogResourceRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO catalog_resources ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
             $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.provider_org_id)
                .bind(&row.name)
                .bind(&row.fields)
                .bind(&row.columns)
                .bind(&row.sharing_attribute)
                .bind(&row.grade)
                .bind(&row.reg_status)
                .bind(row.submitted_on)
                .bind(&row.submitted_by)
                .bind(row.accepted_on)
                .bind(row.reviewed_on)
                .bind(row.notice_start)
                .bind(row.notice_end)
                .bind(row.registered_on)
                .bind(row.valid_until)
                .bind(&row.certificate_no)
                .bind(&row.reject_reason)
                .bind(row.renewals)
                .bind(&row.created_by)
                .bind(micros(row.created_at))
                .bind(micros(row.updated_at))
                .bind(row.version)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Fetches one catalog resource by id
    pub async fn get_catalog_resource(
        &mut self,
        id: &str,
    ) -> Result<Option<CatalogResourceRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM catalog_resources WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists every catalog resource, oldest first (`created_at`, `id`)
    pub async fn list_catalog_resources(&mut self) -> Result<Vec<CatalogResourceRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM catalog_resources ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Writes every mutable field of `row` if the resource is still at
    /// `expected_version`; returns the new version
    ///
    /// Fails with [`StoreError::Conflict`] when the version moved on and
    /// [`StoreError::NotFound`] when there is no such resource.
    pub async fn update_catalog_resource(
        &mut self,
        row: &CatalogResourceRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE catalog_resources
                SET name = $3, fields = $4, columns = $5, sharing_attribute = $6, grade = $7,
                    reg_status = $8, submitted_on = $9, submitted_by = $10, accepted_on = $11,
                    reviewed_on = $12, notice_start = $13, notice_end = $14,
                    registered_on = $15, valid_until = $16, certificate_no = $17,
                    reject_reason = $18, renewals = $19, updated_at = $20,
                    version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.name)
            .bind(&row.fields)
            .bind(&row.columns)
            .bind(&row.sharing_attribute)
            .bind(&row.grade)
            .bind(&row.reg_status)
            .bind(row.submitted_on)
            .bind(&row.submitted_by)
            .bind(row.accepted_on)
            .bind(row.reviewed_on)
            .bind(row.notice_start)
            .bind(row.notice_end)
            .bind(row.registered_on)
            .bind(row.valid_until)
            .bind(&row.certificate_no)
            .bind(&row.reject_reason)
            .bind(row.renewals)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        match new_version {
            Some(v) => Ok(v),
            None => {
                let exists = self.get_catalog_resource(&row.id).await?.is_some();
                Err(if exists {
                    StoreError::Conflict
                } else {
                    StoreError::NotFound {
                        entity: "catalog_resource",
                        id: row.id.clone(),
                    }
                })
            }
        }
    }
}
