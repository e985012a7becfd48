//! Data products: versions, review parties and decisions, subject
//! consents and metered calls (`products`, `product_parties`,
//! `product_decisions`, `subject_consents`, `product_calls`).

use chrono::{DateTime, NaiveDate, Utc};

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

/// A row of `subject_consents`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubjectConsentRow {
    /// Primary key
    pub id: String,
    /// The participant the subject consented to
    pub participant_org: String,
    /// Identifier kind code
    pub subject_kind: String,
    /// Keyed pseudonym of the subject
    pub subject_pseudonym: String,
    /// Masked identifier for display
    pub subject_masked: String,
    /// Scenario consented to
    pub scenario: String,
    /// Purpose consented to
    pub purpose: String,
    /// First day
    pub valid_from: NaiveDate,
    /// Last day
    pub valid_until: NaiveDate,
    /// SHA-256 of the evidence (the signed authorization)
    pub evidence_sha256: String,
    /// What the evidence is
    pub evidence_note: String,
    /// Recording user
    pub recorded_by: String,
    /// When recorded
    pub recorded_at: DateTime<Utc>,
    /// When revoked
    pub revoked_at: Option<DateTime<Utc>>,
    /// Revoking user
    pub revoked_by: Option<String>,
    /// Why revoked
    pub revocation_reason: Option<String>,
}

/// A row of `product_calls`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductCallRow {
    /// Call id
    pub id: String,
    /// Product id
    pub product_id: String,
    /// Product version served
    pub product_version: i64,
    /// Subscription used
    pub subscription_id: String,
    /// Calling participant
    pub participant_org: String,
    /// API key used
    pub api_key_id: String,
    /// Scenario
    pub scenario: String,
    /// Consent relied on
    pub consent_id: Option<String>,
    /// When
    pub called_at: DateTime<Utc>,
    /// Day in Asia/Shanghai
    pub call_day: NaiveDate,
    /// Billing units
    pub units: i64,
    /// Price per unit in fen at the time of the call
    pub price_fen: i64,
    /// SHA-256 of the delivered output
    pub result_sha256: String,
    /// The participant's fingerprint in the output
    pub fingerprint: String,
    /// Client network, when known
    pub client_net: Option<String>,
}

const PRODUCT: &str = "id, version, owner_org, definition, sector, status, created_by, created_at, \
                       review_round, submitted_at, checks, registration_code, listed_at, \
                       updated_at, revision";
const CONSENT: &str = "id, participant_org, subject_kind, subject_pseudonym, subject_masked, \
                       scenario, purpose, valid_from, valid_until, evidence_sha256, evidence_note, \
                       recorded_by, recorded_at, revoked_at, revoked_by, revocation_reason";
const CALL: &str = "id, product_id, product_version, subscription_id, participant_org, api_key_id, \
                    scenario, consent_id, called_at, call_day, units, price_fen, result_sha256, \
                    fingerprint, client_net";

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

    /// Inserts a consent
    pub async fn insert_subject_consent(
        &mut self,
        row: &SubjectConsentRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO subject_consents ({CONSENT}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.participant_org)
                .bind(&row.subject_kind)
                .bind(&row.subject_pseudonym)
                .bind(&row.subject_masked)
                .bind(&row.scenario)
                .bind(&row.purpose)
                .bind(row.valid_from)
                .bind(row.valid_until)
                .bind(&row.evidence_sha256)
                .bind(&row.evidence_note)
                .bind(&row.recorded_by)
                .bind(micros(row.recorded_at))
                .bind(row.revoked_at.map(micros))
                .bind(&row.revoked_by)
                .bind(&row.revocation_reason)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// One consent
    pub async fn get_subject_consent(
        &mut self,
        id: &str,
    ) -> Result<Option<SubjectConsentRow>, StoreError> {
        let sql = format!("SELECT {CONSENT} FROM subject_consents WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// A participant's consents, newest first
    pub async fn list_subject_consents(
        &mut self,
        participant_org: &str,
    ) -> Result<Vec<SubjectConsentRow>, StoreError> {
        let sql = format!(
            "SELECT {CONSENT} FROM subject_consents WHERE participant_org = $1 \
             ORDER BY recorded_at DESC, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(participant_org)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// The consents of one subject to one participant
    pub async fn find_subject_consents(
        &mut self,
        participant_org: &str,
        subject_pseudonym: &str,
    ) -> Result<Vec<SubjectConsentRow>, StoreError> {
        let sql = format!(
            "SELECT {CONSENT} FROM subject_consents \
             WHERE participant_org = $1 AND subject_pseudonym = $2 ORDER BY recorded_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(participant_org)
                .bind(subject_pseudonym)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Revokes a consent still live; false when already revoked
    pub async fn revoke_subject_consent(
        &mut self,
        id: &str,
        by: &str,
        reason: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE subject_consents SET revoked_at = $1, revoked_by = $2, \
                 revocation_reason = $3 WHERE id = $4 AND revoked_at IS NULL",
            )
            .bind(micros(at))
            .bind(by)
            .bind(reason)
            .bind(id)
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// One product subscription
    pub async fn get_product_subscription(
        &mut self,
        id: &str,
    ) -> Result<Option<crate::ProductSubscriptionRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT id, subscriber_org, product_id, scenario, purpose, valid_from,                  valid_until, source_application, created_at, revoked_at                  FROM product_subscriptions WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// A participant's product subscriptions, newest first
    pub async fn list_product_subscriptions_of_org(
        &mut self,
        org: &str,
    ) -> Result<Vec<crate::ProductSubscriptionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT id, subscriber_org, product_id, scenario, purpose, valid_from,                  valid_until, source_application, created_at, revoked_at                  FROM product_subscriptions WHERE subscriber_org = $1 ORDER BY created_at DESC, id",
            )
            .bind(org)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a delivered call
    pub async fn insert_product_call(&mut self, row: &ProductCallRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO product_calls ({CALL}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.product_id)
                .bind(row.product_version)
                .bind(&row.subscription_id)
                .bind(&row.participant_org)
                .bind(&row.api_key_id)
                .bind(&row.scenario)
                .bind(&row.consent_id)
                .bind(micros(row.called_at))
                .bind(row.call_day)
                .bind(row.units)
                .bind(row.price_fen)
                .bind(&row.result_sha256)
                .bind(&row.fingerprint)
                .bind(&row.client_net)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Calls of a subscription on a day
    pub async fn count_product_calls(
        &mut self,
        subscription_id: &str,
        day: NaiveDate,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM product_calls WHERE subscription_id = $1 AND call_day = $2",
            )
            .bind(subscription_id)
            .bind(day)
            .fetch_one(conn)
            .await?
        });
        Ok(n)
    }

    /// The call that carried `fingerprint`
    pub async fn get_product_call_by_fingerprint(
        &mut self,
        fingerprint: &str,
    ) -> Result<Option<ProductCallRow>, StoreError> {
        let sql = format!("SELECT {CALL} FROM product_calls WHERE fingerprint = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(fingerprint)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Calls since `since`, oldest first
    pub async fn list_product_calls_since(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ProductCallRow>, StoreError> {
        let sql = format!(
            "SELECT {CALL} FROM product_calls WHERE called_at >= $1 ORDER BY called_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(micros(since))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Calls, newest first, of one participant or (None) of everyone
    pub async fn list_product_calls(
        &mut self,
        participant_org: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ProductCallRow>, StoreError> {
        let sql = format!(
            "SELECT {CALL} FROM product_calls WHERE (CAST($1 AS TEXT) IS NULL OR participant_org = $1) \
             ORDER BY called_at DESC, id LIMIT $2"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(participant_org)
                .bind(limit)
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
