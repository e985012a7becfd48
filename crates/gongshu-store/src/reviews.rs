//! Joint reviews (联合审核): data demands and market entries. Owns their
//! tables: `joint_reviews`, `review_parties`, `review_decisions`,
//! `data_demands`, `data_demand_items`, `data_grants`, `market_entries`.
//!
//! Status changes are compare-and-set on `joint_reviews.version`; a second
//! decision for the same party fails on the primary key of
//! `review_decisions` ([`StoreError::Duplicate`]), so a race never
//! transitions twice.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `joint_reviews`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JointReviewRow {
    /// Primary key (a UUID in text form), shared with the workflow's row
    pub id: String,
    /// `data_demand` or `market_entry`
    pub kind: String,
    /// Applicant organisation
    pub applicant_org: String,
    /// User who submitted
    pub submitted_by: String,
    /// When it was submitted
    pub submitted_at: DateTime<Utc>,
    /// Organisation that must co-sign before review, if any
    pub co_signer_org: Option<String>,
    /// User who co-signed
    pub co_signed_by: Option<String>,
    /// When it was co-signed
    pub co_signed_at: Option<DateTime<Utc>>,
    /// A `ReviewStatus` code
    pub status: String,
    /// When it reached a final status
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `review_parties`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewPartyRow {
    /// The review
    pub review_id: String,
    /// The organisation that must decide
    pub party_org: String,
    /// Comma-separated `PartyRole` codes
    pub roles: String,
    /// Order of display
    pub position: i64,
}

/// A row of `review_decisions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReviewDecisionRow {
    /// The review
    pub review_id: String,
    /// The party decided for
    pub party_org: String,
    /// The user who decided
    pub decided_by: String,
    /// `approve` or `reject`
    pub verdict: String,
    /// Reason (required for `reject`)
    pub reason: Option<String>,
    /// When
    pub decided_at: DateTime<Utc>,
}

/// A row of `data_demands`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DataDemandRow {
    /// Primary key, the id of its joint review
    pub id: String,
    /// Scenario (应用场景)
    pub scenario: String,
    /// Purpose of use (用途)
    pub purpose: String,
    /// `Sector` code of the scenario
    pub sector: String,
    /// First day of validity
    pub valid_from: NaiveDate,
    /// Last day of validity
    pub valid_until: NaiveDate,
}

/// A row of `data_demand_items`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DataDemandItemRow {
    /// The demand
    pub demand_id: String,
    /// Dataset requested
    pub dataset_id: String,
    /// Data source unit that provides it
    pub provider_org: String,
    /// JSON array of column names
    pub columns: String,
    /// Order of display
    pub position: i64,
}

/// A row of `market_entries`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MarketEntryRow {
    /// Primary key, the id of its joint review
    pub id: String,
    /// `Sector` code
    pub sector: String,
    /// Qualification materials (资质材料)
    pub qualification: String,
    /// Compliance materials (合规材料)
    pub compliance: String,
    /// Technical-security materials (技术安全材料)
    pub technical_security: String,
    /// JSON array of attachment references
    pub attachments: String,
    /// Data source unit named as a party
    pub data_source_org: String,
    /// Version of the signed no-re-licensing undertaking
    pub undertaking_version: Option<String>,
    /// Signer of the undertaking
    pub undertaking_signed_by: Option<String>,
    /// When it was signed
    pub undertaking_signed_at: Option<DateTime<Utc>>,
    /// When the participant was admitted
    pub admitted_at: Option<DateTime<Utc>>,
}

const REVIEW_COLUMNS: &str = "id, kind, applicant_org, submitted_by, submitted_at, co_signer_org, \
     co_signed_by, co_signed_at, status, closed_at, version";

impl StoreTx {
    /// Inserts a joint review as given
    pub async fn insert_joint_review(&mut self, row: &JointReviewRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO joint_reviews (id, kind, applicant_org, submitted_by, submitted_at,
                    co_signer_org, co_signed_by, co_signed_at, status, closed_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                "#,
            )
            .bind(&row.id)
            .bind(&row.kind)
            .bind(&row.applicant_org)
            .bind(&row.submitted_by)
            .bind(micros(row.submitted_at))
            .bind(&row.co_signer_org)
            .bind(&row.co_signed_by)
            .bind(row.co_signed_at.map(micros))
            .bind(&row.status)
            .bind(row.closed_at.map(micros))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one joint review by id
    pub async fn get_joint_review(
        &mut self,
        id: &str,
    ) -> Result<Option<JointReviewRow>, StoreError> {
        let sql = format!("SELECT {REVIEW_COLUMNS} FROM joint_reviews WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists the joint reviews of a kind, oldest first
    pub async fn list_joint_reviews(
        &mut self,
        kind: &str,
    ) -> Result<Vec<JointReviewRow>, StoreError> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM joint_reviews WHERE kind = $1 ORDER BY submitted_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(kind)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Lists the joint reviews still waiting for parties (`submitted`,
    /// `co_signed`, `under_review`), oldest first
    pub async fn list_open_joint_reviews(&mut self) -> Result<Vec<JointReviewRow>, StoreError> {
        let sql = format!(
            "SELECT {REVIEW_COLUMNS} FROM joint_reviews \
             WHERE status IN ('submitted', 'co_signed', 'under_review') ORDER BY submitted_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Compare-and-set of a review's status (and co-signature and closing
    /// time): applies only if the row still has `expected_version`, and
    /// bumps the version; otherwise [`StoreError::Conflict`]
    pub async fn update_joint_review(
        &mut self,
        row: &JointReviewRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let result = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE joint_reviews
                   SET status = $1, co_signed_by = $2, co_signed_at = $3, closed_at = $4,
                       version = version + 1
                 WHERE id = $5 AND version = $6
                "#,
            )
            .bind(&row.status)
            .bind(&row.co_signed_by)
            .bind(row.co_signed_at.map(micros))
            .bind(row.closed_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        if result == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Inserts a required party
    pub async fn insert_review_party(&mut self, row: &ReviewPartyRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO review_parties (review_id, party_org, roles, position)
                VALUES ($1, $2, $3, $4)
                "#,
            )
            .bind(&row.review_id)
            .bind(&row.party_org)
            .bind(&row.roles)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The parties of a review, in order
    pub async fn list_review_parties(
        &mut self,
        review_id: &str,
    ) -> Result<Vec<ReviewPartyRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT review_id, party_org, roles, position
                FROM review_parties WHERE review_id = $1 ORDER BY position
                "#,
            )
            .bind(review_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a decision; a second one for the same party is a
    /// [`StoreError::Duplicate`]
    pub async fn insert_review_decision(
        &mut self,
        row: &ReviewDecisionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO review_decisions (review_id, party_org, decided_by, verdict, reason, decided_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                "#,
            )
            .bind(&row.review_id)
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

    /// The decisions of a review, oldest first
    pub async fn list_review_decisions(
        &mut self,
        review_id: &str,
    ) -> Result<Vec<ReviewDecisionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT review_id, party_org, decided_by, verdict, reason, decided_at
                FROM review_decisions WHERE review_id = $1 ORDER BY decided_at, party_org
                "#,
            )
            .bind(review_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a data demand (its joint review first)
    pub async fn insert_data_demand(&mut self, row: &DataDemandRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO data_demands (id, scenario, purpose, sector, valid_from, valid_until)
                VALUES ($1, $2, $3, $4, $5, $6)
                "#,
            )
            .bind(&row.id)
            .bind(&row.scenario)
            .bind(&row.purpose)
            .bind(&row.sector)
            .bind(row.valid_from)
            .bind(row.valid_until)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches a data demand
    pub async fn get_data_demand(&mut self, id: &str) -> Result<Option<DataDemandRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, scenario, purpose, sector, valid_from, valid_until
                FROM data_demands WHERE id = $1
                "#,
            )
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Inserts a requested dataset of a demand
    pub async fn insert_data_demand_item(
        &mut self,
        row: &DataDemandItemRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO data_demand_items (demand_id, dataset_id, provider_org, columns, position)
                VALUES ($1, $2, $3, $4, $5)
                "#,
            )
            .bind(&row.demand_id)
            .bind(&row.dataset_id)
            .bind(&row.provider_org)
            .bind(&row.columns)
            .bind(row.position)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The requested datasets of a demand, in order
    pub async fn list_data_demand_items(
        &mut self,
        demand_id: &str,
    ) -> Result<Vec<DataDemandItemRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT demand_id, dataset_id, provider_org, columns, position
                FROM data_demand_items WHERE demand_id = $1 ORDER BY position
                "#,
            )
            .bind(demand_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a market entry (its joint review first)
    pub async fn insert_market_entry(&mut self, row: &MarketEntryRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO market_entries (id, sector, qualification, compliance, technical_security,
                    attachments, data_source_org, undertaking_version, undertaking_signed_by,
                    undertaking_signed_at, admitted_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                "#,
            )
            .bind(&row.id)
            .bind(&row.sector)
            .bind(&row.qualification)
            .bind(&row.compliance)
            .bind(&row.technical_security)
            .bind(&row.attachments)
            .bind(&row.data_source_org)
            .bind(&row.undertaking_version)
            .bind(&row.undertaking_signed_by)
            .bind(row.undertaking_signed_at.map(micros))
            .bind(row.admitted_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches a market entry
    pub async fn get_market_entry(
        &mut self,
        id: &str,
    ) -> Result<Option<MarketEntryRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, sector, qualification, compliance, technical_security, attachments,
                       data_source_org, undertaking_version, undertaking_signed_by,
                       undertaking_signed_at, admitted_at
                FROM market_entries WHERE id = $1
                "#,
            )
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Records the signed undertaking and the admission, once: a second
    /// signature is a [`StoreError::Conflict`]
    pub async fn sign_market_entry_undertaking(
        &mut self,
        id: &str,
        version: &str,
        signed_by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let at = micros(at);
        let result = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE market_entries
                   SET undertaking_version = $1, undertaking_signed_by = $2,
                       undertaking_signed_at = $3, admitted_at = $3
                 WHERE id = $4 AND undertaking_signed_at IS NULL
                "#,
            )
            .bind(version)
            .bind(signed_by)
            .bind(at)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
        });
        if result == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}
