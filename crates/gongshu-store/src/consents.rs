//! Subject consents (数据主体授权): kept as a pseudonym and a masked
//! identifier, revocable (`subject_consents`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

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

const CONSENT: &str = "id, participant_org, subject_kind, subject_pseudonym, subject_masked, \
                       scenario, purpose, valid_from, valid_until, evidence_sha256, evidence_note, \
                       recorded_by, recorded_at, revoked_at, revoked_by, revocation_reason";

impl StoreTx {
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
}
