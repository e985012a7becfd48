//! Data products: versions, review parties and decisions, subject
//! consents and metered calls (`products`, `product_parties`,
//! `product_decisions`, `subject_consents`, `product_calls`).

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `products` (one product version)
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductRow {
    /// Product id, stable across versions
    pub id: String,
    /// Version (1, 2, …)
    pub version: i64,
    /// The operator that offers it
    pub owner_org: String,
    /// Definition as JSON text
    pub definition: String,
    /// Sector code of the compliance review
    pub sector: String,
    /// Status code
    pub status: String,
    /// Drafting user
    pub created_by: String,
    /// Created
    pub created_at: DateTime<Utc>,
    /// Submission round
    pub review_round: i64,
    /// Last submission
    pub submitted_at: Option<DateTime<Utc>>,
    /// Automatic checks of the last submission (JSON)
    pub checks: Option<String>,
    /// Registration code, once listed
    pub registration_code: Option<String>,
    /// When first listed
    pub listed_at: Option<DateTime<Utc>>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency revision
    pub revision: i64,
}

/// A row of `product_parties`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductPartyRow {
    /// Product id
    pub product_id: String,
    /// Version
    pub version: i64,
    /// Party organisation
    pub party_org: String,
    /// `approval` or `compliance`
    pub role: String,
    /// Display order
    pub position: i64,
}

/// A row of `product_decisions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductDecisionRow {
    /// Product id
    pub product_id: String,
    /// Version
    pub version: i64,
    /// Submission round
    pub round: i64,
    /// Deciding party
    pub party_org: String,
    /// Deciding user
    pub decided_by: String,
    /// `approve` or `reject`
    pub verdict: String,
    /// Reason (required for a rejection)
    pub reason: Option<String>,
    /// When
    pub decided_at: DateTime<Utc>,
}

const PRODUCT: &str = "id, version, owner_org, definition, sector, status, created_by, created_at, \
                       review_round, submitted_at, checks, registration_code, listed_at, \
                       updated_at, revision";
impl StoreTx {
    /// Inserts a product version
    pub async fn insert_product(&mut self, row: &ProductRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO products ({PRODUCT}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(row.version)
                .bind(&row.owner_org)
                .bind(&row.definition)
                .bind(&row.sector)
                .bind(&row.status)
                .bind(&row.created_by)
                .bind(micros(row.created_at))
                .bind(row.review_round)
                .bind(row.submitted_at.map(micros))
                .bind(&row.checks)
                .bind(&row.registration_code)
                .bind(row.listed_at.map(micros))
                .bind(micros(row.updated_at))
                .bind(row.revision)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Updates a version's mutable fields when its revision is still
    /// `expected`; the revision becomes `expected + 1`.
    pub async fn update_product(
        &mut self,
        row: &ProductRow,
        expected: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE products
                   SET definition = $1, sector = $2, status = $3, review_round = $4,
                       submitted_at = $5, checks = $6, registration_code = $7, listed_at = $8,
                       updated_at = $9, revision = revision + 1
                 WHERE id = $10 AND version = $11 AND revision = $12
                "#,
            )
            .bind(&row.definition)
            .bind(&row.sector)
            .bind(&row.status)
            .bind(row.review_round)
            .bind(row.submitted_at.map(micros))
            .bind(&row.checks)
            .bind(&row.registration_code)
            .bind(row.listed_at.map(micros))
            .bind(micros(row.updated_at))
            .bind(&row.id)
            .bind(row.version)
            .bind(expected)
            .execute(conn)
            .await?
            .rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Every version of a product, oldest first
    pub async fn list_product_versions(&mut self, id: &str) -> Result<Vec<ProductRow>, StoreError> {
        let sql = format!("SELECT {PRODUCT} FROM products WHERE id = $1 ORDER BY version");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Every product version, newest product first
    pub async fn list_products(&mut self) -> Result<Vec<ProductRow>, StoreError> {
        let sql = format!("SELECT {PRODUCT} FROM products ORDER BY created_at DESC, id, version");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a review party
    pub async fn insert_product_party(&mut self, row: &ProductPartyRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO product_parties (product_id, version, party_org, role, position) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(&row.product_id)
            .bind(row.version)
            .bind(&row.party_org)
            .bind(&row.role)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// A version's review parties, in order
    pub async fn list_product_parties(
        &mut self,
        id: &str,
        version: i64,
    ) -> Result<Vec<ProductPartyRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT product_id, version, party_org, role, position FROM product_parties \
                 WHERE product_id = $1 AND version = $2 ORDER BY position",
            )
            .bind(id)
            .bind(version)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a decision; a second one of the same party and round fails
    /// on the primary key
    pub async fn insert_product_decision(
        &mut self,
        row: &ProductDecisionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO product_decisions (product_id, version, round, party_org, decided_by, \
                 verdict, reason, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&row.product_id)
            .bind(row.version)
            .bind(row.round)
            .bind(&row.party_org)
            .bind(&row.decided_by)
            .bind(&row.verdict)
            .bind(&row.reason)
            .bind(micros(row.decided_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// A version's decisions over every round, in order
    pub async fn list_product_decisions(
        &mut self,
        id: &str,
        version: i64,
    ) -> Result<Vec<ProductDecisionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT product_id, version, round, party_org, decided_by, verdict, reason, \
                 decided_at FROM product_decisions WHERE product_id = $1 AND version = $2 \
                 ORDER BY round, decided_at, party_org",
            )
            .bind(id)
            .bind(version)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}

/// A row of `derived_assets`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DerivedAssetRow {
    /// Primary key
    pub id: String,
    /// Owning organisation (limited IP)
    pub owner_org: String,
    /// `model`, `algorithm` or `report`
    pub kind: String,
    /// Name
    pub name: String,
    /// What it is and does
    pub description: String,
    /// Products it came from (JSON array)
    pub products: String,
    /// Grants it came from (JSON array)
    pub grants: String,
    /// Registering user
    pub registered_by: String,
    /// When
    pub registered_at: DateTime<Utc>,
}

const ASSET: &str =
    "id, owner_org, kind, name, description, products, grants, registered_by, registered_at";

impl StoreTx {
    /// Inserts a derived asset
    pub async fn insert_derived_asset(&mut self, row: &DerivedAssetRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO derived_assets ({ASSET}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.owner_org)
                .bind(&row.kind)
                .bind(&row.name)
                .bind(&row.description)
                .bind(&row.products)
                .bind(&row.grants)
                .bind(&row.registered_by)
                .bind(micros(row.registered_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Derived assets of one owner or (None) of everyone, newest first
    pub async fn list_derived_assets(
        &mut self,
        owner: Option<&str>,
    ) -> Result<Vec<DerivedAssetRow>, StoreError> {
        let sql = format!(
            "SELECT {ASSET} FROM derived_assets WHERE (CAST($1 AS TEXT) IS NULL OR owner_org = $1) \
             ORDER BY registered_at DESC, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(owner)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
