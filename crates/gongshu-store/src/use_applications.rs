//! 数据使用申请: tables of the use_applications workflow —
//! `use_applications`, `use_application_parties`,
//! `use_application_decisions`, `use_application_products`,
//! `use_application_datasets`, `product_subscriptions` — and the grants of
//! sandbox approvals in `data_grants` (`source_kind = 'use_application'`).
//! External data imports (外部数据导入) are `data_imports`'.
//!
//! Status changes are compare-and-set on `version`; a second decision for
//! the same party fails on the primary key of `use_application_decisions`
//! ([`StoreError::Duplicate`]).

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::cas;
use crate::store::on_conn;
use crate::{DataGrantRow, StoreError, StoreTx, micros};

/// A row of `use_applications`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UseApplicationRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// `product_subscription` or `sandbox_access`
    pub kind: String,
    /// Applicant (participant) organisation
    pub applicant_org: String,
    /// User who submitted
    pub submitted_by: String,
    /// When submitted
    pub submitted_at: DateTime<Utc>,
    /// The participant's admitting market entry
    pub market_entry: String,
    /// Scenario (应用场景)
    pub scenario: String,
    /// Purpose (用途)
    pub purpose: String,
    /// First day of validity
    pub valid_from: NaiveDate,
    /// Last day of validity
    pub valid_until: NaiveDate,
    /// A `UseStatus` code
    pub status: String,
    /// When it reached a final status
    pub closed_at: Option<DateTime<Utc>>,
    /// 1 when the outcome may be appealed (a rejection), else 0
    pub appealable: i64,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `use_application_parties`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UseApplicationPartyRow {
    /// The application
    pub application_id: String,
    /// The organisation that must decide
    pub party_org: String,
    /// Comma-separated `PartyRole` codes
    pub roles: String,
    /// Order of display
    pub position: i64,
}

/// A row of `use_application_decisions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UseApplicationDecisionRow {
    /// The application
    pub application_id: String,
    /// The party decided for
    pub party_org: String,
    /// The deciding user
    pub decided_by: String,
    /// `approve` or `reject`
    pub verdict: String,
    /// Reason (required for `reject`)
    pub reason: Option<String>,
    /// When
    pub decided_at: DateTime<Utc>,
}

/// A row of `use_application_products`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UseApplicationProductRow {
    /// The application
    pub application_id: String,
    /// Product id of the operator
    pub product_id: String,
    /// Order of display
    pub position: i64,
}

/// A row of `use_application_datasets`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UseApplicationDatasetRow {
    /// The application
    pub application_id: String,
    /// Dataset
    pub dataset_id: String,
    /// Data source unit providing it
    pub provider_org: String,
    /// JSON array of column names
    pub columns: String,
    /// Order of display
    pub position: i64,
}

/// A row of `product_subscriptions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductSubscriptionRow {
    /// Primary key
    pub id: String,
    /// Subscribing participant
    pub subscriber_org: String,
    /// Product id
    pub product_id: String,
    /// Scenario
    pub scenario: String,
    /// Purpose
    pub purpose: String,
    /// First day
    pub valid_from: NaiveDate,
    /// Last day
    pub valid_until: NaiveDate,
    /// The approved application
    pub source_application: String,
    /// When created
    pub created_at: DateTime<Utc>,
    /// When revoked
    pub revoked_at: Option<DateTime<Utc>>,
}

const APPLICATION_COLUMNS: &str = "id, kind, applicant_org, submitted_by, submitted_at, \
     market_entry, scenario, purpose, valid_from, valid_until, status, closed_at, appealable, version";

impl StoreTx {
    /// The admitting market entry of a participant: approved by all its
    /// parties and with the undertaking signed (S-3.3.2a/b), latest first
    pub async fn admitted_market_entry(&mut self, org: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT r.id FROM joint_reviews r JOIN market_entries m ON m.id = r.id
                 WHERE r.kind = 'market_entry' AND r.status = 'approved'
                   AND r.applicant_org = $1
                   AND m.undertaking_signed_at IS NOT NULL AND m.admitted_at IS NOT NULL
                 ORDER BY m.admitted_at DESC, r.id
                 LIMIT 1
                "#,
            )
            .bind(org)
            .fetch_optional(conn)
            .await?
        });
        Ok(row.map(|(id,)| id))
    }

    /// Inserts a use application as given
    pub async fn insert_use_application(
        &mut self,
        row: &UseApplicationRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO use_applications (id, kind, applicant_org, submitted_by, submitted_at,
                    market_entry, scenario, purpose, valid_from, valid_until, status, closed_at,
                    appealable, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                "#,
            )
            .bind(&row.id)
            .bind(&row.kind)
            .bind(&row.applicant_org)
            .bind(&row.submitted_by)
            .bind(micros(row.submitted_at))
            .bind(&row.market_entry)
            .bind(&row.scenario)
            .bind(&row.purpose)
            .bind(row.valid_from)
            .bind(row.valid_until)
            .bind(&row.status)
            .bind(row.closed_at.map(micros))
            .bind(row.appealable)
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one use application
    pub async fn get_use_application(
        &mut self,
        id: &str,
    ) -> Result<Option<UseApplicationRow>, StoreError> {
        let sql = format!("SELECT {APPLICATION_COLUMNS} FROM use_applications WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists use applications, oldest first; only open ones (`submitted`,
    /// `under_review`) when `open_only`
    pub async fn list_use_applications(
        &mut self,
        open_only: bool,
    ) -> Result<Vec<UseApplicationRow>, StoreError> {
        let filter = if open_only {
            "WHERE status IN ('submitted', 'under_review') "
        } else {
            ""
        };
        let sql = format!(
            "SELECT {APPLICATION_COLUMNS} FROM use_applications {filter}ORDER BY submitted_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Compare-and-set of an application's status, closing time and
    /// appealability; otherwise [`StoreError::Conflict`]
    pub async fn update_use_application(
        &mut self,
        row: &UseApplicationRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let affected = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE use_applications
                   SET status = $1, closed_at = $2, appealable = $3, version = version + 1
                 WHERE id = $4 AND version = $5
                "#,
            )
            .bind(&row.status)
            .bind(row.closed_at.map(micros))
            .bind(row.appealable)
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(affected)
    }

    /// Inserts a required party
    pub async fn insert_use_application_party(
        &mut self,
        row: &UseApplicationPartyRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO use_application_parties (application_id, party_org, roles, position)
                VALUES ($1, $2, $3, $4)
                "#,
            )
            .bind(&row.application_id)
            .bind(&row.party_org)
            .bind(&row.roles)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The parties of an application, in order
    pub async fn list_use_application_parties(
        &mut self,
        id: &str,
    ) -> Result<Vec<UseApplicationPartyRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT application_id, party_org, roles, position
                FROM use_application_parties WHERE application_id = $1 ORDER BY position
                "#,
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a decision; a second one for the same party is a
    /// [`StoreError::Duplicate`]
    pub async fn insert_use_application_decision(
        &mut self,
        row: &UseApplicationDecisionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO use_application_decisions (application_id, party_org, decided_by,
                    verdict, reason, decided_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                "#,
            )
            .bind(&row.application_id)
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

    /// The decisions of an application, oldest first
    pub async fn list_use_application_decisions(
        &mut self,
        id: &str,
    ) -> Result<Vec<UseApplicationDecisionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT application_id, party_org, decided_by, verdict, reason, decided_at
                FROM use_application_decisions WHERE application_id = $1
                ORDER BY decided_at, party_org
                "#,
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a requested product
    pub async fn insert_use_application_product(
        &mut self,
        row: &UseApplicationProductRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO use_application_products (application_id, product_id, position) \
                 VALUES ($1, $2, $3)",
            )
            .bind(&row.application_id)
            .bind(&row.product_id)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The requested products, in order
    pub async fn list_use_application_products(
        &mut self,
        id: &str,
    ) -> Result<Vec<UseApplicationProductRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT application_id, product_id, position FROM use_application_products \
                 WHERE application_id = $1 ORDER BY position",
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a requested dataset
    pub async fn insert_use_application_dataset(
        &mut self,
        row: &UseApplicationDatasetRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO use_application_datasets (application_id, dataset_id, provider_org,
                    columns, position)
                VALUES ($1, $2, $3, $4, $5)
                "#,
            )
            .bind(&row.application_id)
            .bind(&row.dataset_id)
            .bind(&row.provider_org)
            .bind(&row.columns)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The requested datasets, in order
    pub async fn list_use_application_datasets(
        &mut self,
        id: &str,
    ) -> Result<Vec<UseApplicationDatasetRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT application_id, dataset_id, provider_org, columns, position
                FROM use_application_datasets WHERE application_id = $1 ORDER BY position
                "#,
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a grant created by an approved sandbox-access application
    /// (`source_demand` holds the application's id, `source_kind` is
    /// `use_application`)
    pub async fn insert_use_application_grant(
        &mut self,
        row: &DataGrantRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO data_grants (id, grantee_org, dataset_id, provider_org, columns, purpose,
                    valid_from, valid_until, source_demand, created_at, revoked_at, source_kind)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'use_application')
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

    /// Inserts a product subscription
    pub async fn insert_product_subscription(
        &mut self,
        row: &ProductSubscriptionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO product_subscriptions (id, subscriber_org, product_id, scenario,
                    purpose, valid_from, valid_until, source_application, created_at, revoked_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                "#,
            )
            .bind(&row.id)
            .bind(&row.subscriber_org)
            .bind(&row.product_id)
            .bind(&row.scenario)
            .bind(&row.purpose)
            .bind(row.valid_from)
            .bind(row.valid_until)
            .bind(&row.source_application)
            .bind(micros(row.created_at))
            .bind(row.revoked_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The subscriptions an application created
    pub async fn list_product_subscriptions_of_application(
        &mut self,
        id: &str,
    ) -> Result<Vec<ProductSubscriptionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, subscriber_org, product_id, scenario, purpose, valid_from, valid_until,
                       source_application, created_at, revoked_at
                FROM product_subscriptions WHERE source_application = $1 ORDER BY created_at, id
                "#,
            )
            .bind(id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
