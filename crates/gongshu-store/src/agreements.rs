//! Authorization agreements (授权运营协议). Owns the agreement tables:
//! `agreements` (the current revision of each agreement), its opinions
//! (`agreement_opinions`, per revision) and its superseded revisions
//! (`agreement_revisions`). The clauses are stored as JSON text; this module
//! neither reads nor checks them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::{TxInner, on_conn};
use crate::{StoreError, StoreTx, micros};

/// A row of `agreements`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgreementRow {
    /// Primary key (a UUID in text form)
    pub id: String,
    /// The operator organisation the agreement authorizes
    pub operator_org_id: String,
    /// The implementing agency that concludes it
    pub agency_org_id: String,
    /// `draft`, `opinions_collected`, `decided`, `signed`, `filed`,
    /// `expired` or `terminated`
    pub status: String,
    /// Revision of the clauses (1, then +1 per change after drafting)
    pub revision: i64,
    /// The 13 clauses as JSON text
    pub clauses: String,
    /// First day of the term
    pub term_start: NaiveDate,
    /// Last day of the term
    pub term_end: NaiveDate,
    /// Date of the collective decision
    pub decided_on: Option<NaiveDate>,
    /// Meeting reference of the collective decision
    pub decision_ref: Option<String>,
    /// User who recorded the decision
    pub decided_by: Option<String>,
    /// Signing date
    pub signed_on: Option<NaiveDate>,
    /// Last day to file with the city data bureau
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date
    pub filed_on: Option<NaiveDate>,
    /// Filing receipt number
    pub filing_receipt: Option<String>,
    /// The agreement this one renews
    pub renewal_of: Option<String>,
    /// User who created the agreement
    pub created_by: String,
    /// User who wrote the current revision's clauses
    pub drafted_by: String,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `agreement_opinions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgreementOpinionRow {
    /// Primary key
    pub id: String,
    /// The agreement
    pub agreement_id: String,
    /// The revision the opinion is about
    pub revision: i64,
    /// The regulator or supervisor that gave it
    pub from_org_id: String,
    /// When it was received
    pub received_on: NaiveDate,
    /// Its text (summary)
    pub opinion: String,
    /// Who recorded it
    pub recorded_by: String,
    /// When it was recorded
    pub recorded_at: DateTime<Utc>,
}

/// A row of `agreement_revisions`: a revision as it stood when replaced
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AgreementRevisionRow {
    /// The agreement
    pub agreement_id: String,
    /// The superseded revision
    pub revision: i64,
    /// Its status when superseded
    pub status: String,
    /// Its clauses (JSON text)
    pub clauses: String,
    /// Its decision date
    pub decided_on: Option<NaiveDate>,
    /// Its decision reference
    pub decision_ref: Option<String>,
    /// Its signing date
    pub signed_on: Option<NaiveDate>,
    /// Its filing date
    pub filed_on: Option<NaiveDate>,
    /// Its filing receipt
    pub filing_receipt: Option<String>,
    /// Who replaced it
    pub superseded_by: String,
    /// When
    pub superseded_at: DateTime<Utc>,
}

const AGREEMENT_COLUMNS: &str = "id, operator_org_id, agency_org_id, status, revision, clauses, term_start, \
     term_end, decided_on, decision_ref, decided_by, signed_on, filing_due_on, filed_on, \
     filing_receipt, renewal_of, created_by, drafted_by, created_at, updated_at, version";

/// PostgreSQL advisory-lock key that serialises signings (S-2.1).
const SIGNING_LOCK_KEY: i64 = 0x6773_6167_7265_656d; // "gsagreem"

impl StoreTx {
    /// Inserts an agreement as given
    pub async fn insert_agreement(&mut self, row: &AgreementRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO agreements (
                    id, operator_org_id, agency_org_id, status, revision, clauses, term_start,
                    term_end, decided_on, decision_ref, decided_by, signed_on, filing_due_on,
                    filed_on, filing_receipt, renewal_of, created_by, drafted_by, created_at,
                    updated_at, version
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                        $17, $18, $19, $20, $21)
                "#,
            )
            .bind(&row.id)
            .bind(&row.operator_org_id)
            .bind(&row.agency_org_id)
            .bind(&row.status)
            .bind(row.revision)
            .bind(&row.clauses)
            .bind(row.term_start)
            .bind(row.term_end)
            .bind(row.decided_on)
            .bind(&row.decision_ref)
            .bind(&row.decided_by)
            .bind(row.signed_on)
            .bind(row.filing_due_on)
            .bind(row.filed_on)
            .bind(&row.filing_receipt)
            .bind(&row.renewal_of)
            .bind(&row.created_by)
            .bind(&row.drafted_by)
            .bind(micros(row.created_at))
            .bind(micros(row.updated_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one agreement by id
    pub async fn get_agreement(&mut self, id: &str) -> Result<Option<AgreementRow>, StoreError> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists every agreement, oldest first (`created_at`, `id`)
    pub async fn list_agreements(&mut self) -> Result<Vec<AgreementRow>, StoreError> {
        let sql = format!("SELECT {AGREEMENT_COLUMNS} FROM agreements ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Lists the agreements in force (`signed` or `filed`), oldest first
    pub async fn list_active_agreements(&mut self) -> Result<Vec<AgreementRow>, StoreError> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements \
             WHERE status IN ('signed', 'filed') ORDER BY created_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// The renewal of agreement `id` still under way or in force (not
    /// expired or terminated), if any
    pub async fn find_renewal_of(&mut self, id: &str) -> Result<Option<AgreementRow>, StoreError> {
        let sql = format!(
            "SELECT {AGREEMENT_COLUMNS} FROM agreements \
             WHERE renewal_of = $1 AND status NOT IN ('expired', 'terminated') \
             ORDER BY created_at, id LIMIT 1"
        );
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Serialises signings until the transaction ends, so that two
    /// agreements cannot both come into force (S-2.1) on PostgreSQL, whose
    /// transactions read committed data only at each statement. SQLite
    /// write transactions are serialised already (`BEGIN IMMEDIATE`).
    pub async fn lock_agreement_signing(&mut self) -> Result<(), StoreError> {
        if let TxInner::Postgres(tx) = &mut self.inner {
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(SIGNING_LOCK_KEY)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Writes the mutable fields of `row` if the agreement is still at
    /// `expected_version`; returns the new version
    ///
    /// Fails with [`StoreError::Conflict`] when the version moved on and
    /// [`StoreError::NotFound`] when there is no such agreement.
    pub async fn update_agreement(
        &mut self,
        row: &AgreementRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE agreements
                SET status = $3, revision = $4, clauses = $5, term_start = $6, term_end = $7,
                    decided_on = $8, decision_ref = $9, decided_by = $10, signed_on = $11,
                    filing_due_on = $12, filed_on = $13, filing_receipt = $14,
                    drafted_by = $15, updated_at = $16, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.status)
            .bind(row.revision)
            .bind(&row.clauses)
            .bind(row.term_start)
            .bind(row.term_end)
            .bind(row.decided_on)
            .bind(&row.decision_ref)
            .bind(&row.decided_by)
            .bind(row.signed_on)
            .bind(row.filing_due_on)
            .bind(row.filed_on)
            .bind(&row.filing_receipt)
            .bind(&row.drafted_by)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        if let Some(version) = new_version {
            return Ok(version);
        }
        let exists: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT version FROM agreements WHERE id = $1")
                .bind(&row.id)
                .fetch_optional(conn)
                .await?
        });
        match exists {
            Some(_) => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound {
                entity: "agreement",
                id: row.id.clone(),
            }),
        }
    }

    /// Inserts an opinion
    pub async fn insert_agreement_opinion(
        &mut self,
        row: &AgreementOpinionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO agreement_opinions (
                    id, agreement_id, revision, from_org_id, received_on, opinion,
                    recorded_by, recorded_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                "#,
            )
            .bind(&row.id)
            .bind(&row.agreement_id)
            .bind(row.revision)
            .bind(&row.from_org_id)
            .bind(row.received_on)
            .bind(&row.opinion)
            .bind(&row.recorded_by)
            .bind(micros(row.recorded_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the opinions on an agreement, all revisions, oldest first
    pub async fn list_agreement_opinions(
        &mut self,
        agreement_id: &str,
    ) -> Result<Vec<AgreementOpinionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT id, agreement_id, revision, from_org_id, received_on, opinion,
                       recorded_by, recorded_at
                FROM agreement_opinions
                WHERE agreement_id = $1
                ORDER BY revision, recorded_at, id
                "#,
            )
            .bind(agreement_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Keeps a superseded revision
    pub async fn insert_agreement_revision(
        &mut self,
        row: &AgreementRevisionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO agreement_revisions (
                    agreement_id, revision, status, clauses, decided_on, decision_ref,
                    signed_on, filed_on, filing_receipt, superseded_by, superseded_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                "#,
            )
            .bind(&row.agreement_id)
            .bind(row.revision)
            .bind(&row.status)
            .bind(&row.clauses)
            .bind(row.decided_on)
            .bind(&row.decision_ref)
            .bind(row.signed_on)
            .bind(row.filed_on)
            .bind(&row.filing_receipt)
            .bind(&row.superseded_by)
            .bind(micros(row.superseded_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the superseded revisions of an agreement, oldest first
    pub async fn list_agreement_revisions(
        &mut self,
        agreement_id: &str,
    ) -> Result<Vec<AgreementRevisionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT agreement_id, revision, status, clauses, decided_on, decision_ref,
                       signed_on, filed_on, filing_receipt, superseded_by, superseded_at
                FROM agreement_revisions
                WHERE agreement_id = $1
                ORDER BY revision
                "#,
            )
            .bind(agreement_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
