//! Organisations (机构): the bodies that take part, from the authority to a
//! participant. Owns the `organisations` table; knows nothing of users.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `organisations`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrganisationRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// Registered name
    pub name: String,
    /// One of the `OrgKind` codes of gongshu-domain (`implementing_agency`,
    /// `data_bureau`, `operator`, `participant`, `data_source_unit`,
    /// `sector_regulator`, `finance_bureau`, `pricing_authority`,
    /// `security_regulator`, `platform_admin`)
    pub kind: String,
    /// Sector (行业), for sector regulators and providers
    pub sector: Option<String>,
    /// Unified social credit code (统一社会信用代码), unique when present
    pub credit_code: Option<String>,
    /// When the organisation was registered here
    pub created_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

impl StoreTx {
    /// Inserts an organisation as given
    pub async fn insert_organisation(&mut self, row: &OrganisationRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO organisations (id, name, kind, sector, credit_code, created_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                "#,
            )
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.kind)
            .bind(&row.sector)
            .bind(&row.credit_code)
            .bind(micros(row.created_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one organisation by id
    pub async fn get_organisation(
        &mut self,
        id: &str,
    ) -> Result<Option<OrganisationRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, name, kind, sector, credit_code, created_at, version
                FROM organisations
                WHERE id = $1
                "#,
            )
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Lists every organisation, oldest first
    ///
    /// Ordered by `created_at` then `id`, not by name: text collation
    /// differs between the backends (and between PostgreSQL locales), so
    /// sorting for display is the caller's job.
    pub async fn list_organisations(&mut self) -> Result<Vec<OrganisationRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, name, kind, sector, credit_code, created_at, version
                FROM organisations
                ORDER BY created_at, id
                "#,
            )
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
