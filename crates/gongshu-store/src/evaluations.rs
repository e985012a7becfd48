//! 评估与终止: owns `evaluations` (S-7.2-3), `terminations` and
//! `termination_destructions` (S-3.3.5), and `agreement_pending_revisions`
//! (the changed revision of an agreement in force awaiting approval, S-2.4).
//! Scores and requirements are stored as JSON text; this module neither
//! reads nor checks them.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `agreement_pending_revisions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PendingRevisionRow {
    /// The agreement in force
    pub agreement_id: String,
    /// Revision number of the pending text
    pub revision: i64,
    /// `draft`, `opinions_collected` or `decided`
    pub status: String,
    /// Its 13 clauses as JSON text
    pub clauses: String,
    /// Date of its collective decision
    pub decided_on: Option<NaiveDate>,
    /// Meeting reference of the decision
    pub decision_ref: Option<String>,
    /// Who recorded the decision
    pub decided_by: Option<String>,
    /// Author of the pending text; may not decide it
    pub drafted_by: String,
    /// When it was started
    pub created_at: DateTime<Utc>,
}

/// A row of `evaluations`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EvaluationRow {
    /// Primary key
    pub id: String,
    /// The agreement under which the operator was evaluated
    pub agreement_id: String,
    /// The operator
    pub operator_org_id: String,
    /// First day of the period evaluated
    pub period_start: NaiveDate,
    /// Last day of the period evaluated
    pub period_end: NaiveDate,
    /// Date of the evaluation
    pub evaluated_on: NaiveDate,
    /// JSON array of indicator scores
    pub scores: String,
    /// Weighted total in hundredths of a point
    pub total_hundredths: i64,
    /// `excellent`, `good`, `pass` or `fail`
    pub grade: String,
    /// `completed`, `rectifying`, `rectification_submitted` or `rectified`
    pub status: String,
    /// Findings (summary)
    pub findings: String,
    /// JSON array of rectification requirements
    pub requirements: String,
    /// Rectification deadline
    pub rectification_due_on: Option<NaiveDate>,
    /// The operator's rectification report
    pub rectification_report: Option<String>,
    /// When it was reported
    pub rectification_submitted_on: Option<NaiveDate>,
    /// Who reported it
    pub rectification_submitted_by: Option<String>,
    /// The data bureau's note on the report
    pub review_note: Option<String>,
    /// When the data bureau accepted it
    pub rectification_accepted_on: Option<NaiveDate>,
    /// Who recorded the evaluation
    pub evaluated_by: String,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `terminations`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TerminationRow {
    /// Primary key
    pub id: String,
    /// The agreement terminated
    pub agreement_id: String,
    /// Its operator
    pub operator_org_id: String,
    /// Trigger code (S-3.3.5)
    pub trigger_code: String,
    /// Reasons
    pub reasons: String,
    /// The evaluation whose findings were not rectified, if any
    pub evaluation_id: Option<String>,
    /// `proposed`, `rejected`, `effective` or `filed`
    pub status: String,
    /// Proposer
    pub proposed_by: String,
    /// Proposal date
    pub proposed_on: NaiveDate,
    /// Deciding approver
    pub decided_by: Option<String>,
    /// Decision date
    pub decided_on: Option<NaiveDate>,
    /// Decision note
    pub decision_note: Option<String>,
    /// Filing due date
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date
    pub filed_on: Option<NaiveDate>,
    /// Filing receipt
    pub filing_receipt: Option<String>,
    /// JSON summary of what was revoked
    pub revoked: Option<String>,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `termination_destructions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DestructionRow {
    /// The termination
    pub termination_id: String,
    /// The dataset of the data scope
    pub dataset_id: String,
    /// `keys_pending_vault`
    pub status: String,
    /// When the record was made
    pub recorded_at: DateTime<Utc>,
}

/// A row of `destruction_certificates`: a completed destruction record
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DestructionCertificateRow {
    /// The termination
    pub termination_id: String,
    /// The dataset
    pub dataset_id: String,
    /// `destroyed` or `no_copy_in_vault`
    pub outcome: String,
    /// SHA-256 digest of the vault's destruction certificate
    pub certificate_digest: Option<String>,
    /// Versions whose keys were destroyed
    pub versions: i64,
    /// When it was completed
    pub completed_at: DateTime<Utc>,
}

const EVALUATION_COLUMNS: &str = "id, agreement_id, operator_org_id, period_start, period_end, \
     evaluated_on, scores, total_hundredths, grade, status, findings, requirements, \
     rectification_due_on, rectification_report, rectification_submitted_on, \
     rectification_submitted_by, review_note, rectification_accepted_on, evaluated_by, \
     created_at, updated_at, version";

const TERMINATION_COLUMNS: &str = "id, agreement_id, operator_org_id, trigger_code, reasons, \
     evaluation_id, status, proposed_by, proposed_on, decided_by, decided_on, decision_note, \
     filing_due_on, filed_on, filing_receipt, revoked, created_at, updated_at, version";

impl StoreTx {
    /// The pending revision of an agreement, if any
    pub async fn get_pending_revision(
        &mut self,
        agreement_id: &str,
    ) -> Result<Option<PendingRevisionRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT agreement_id, revision, status, clauses, decided_on, decision_ref,
                       decided_by, drafted_by, created_at
                FROM agreement_pending_revisions WHERE agreement_id = $1
                "#,
            )
            .bind(agreement_id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// Removes the pending revision of an agreement (signed, superseded or
    /// lapsed); returns whether there was one
    pub async fn delete_pending_revision(
        &mut self,
        agreement_id: &str,
    ) -> Result<bool, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query("DELETE FROM agreement_pending_revisions WHERE agreement_id = $1")
                .bind(agreement_id)
                .execute(conn)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Writes the pending revision of an agreement, replacing any. Callers
    /// hold the agreement's compare-and-set in the same transaction.
    pub async fn put_pending_revision(
        &mut self,
        row: &PendingRevisionRow,
    ) -> Result<(), StoreError> {
        self.delete_pending_revision(&row.agreement_id).await?;
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO agreement_pending_revisions (
                    agreement_id, revision, status, clauses, decided_on, decision_ref,
                    decided_by, drafted_by, created_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                "#,
            )
            .bind(&row.agreement_id)
            .bind(row.revision)
            .bind(&row.status)
            .bind(&row.clauses)
            .bind(row.decided_on)
            .bind(&row.decision_ref)
            .bind(&row.decided_by)
            .bind(&row.drafted_by)
            .bind(micros(row.created_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Inserts an evaluation as given
    pub async fn insert_evaluation(&mut self, row: &EvaluationRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO evaluations ({EVALUATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.agreement_id)
                .bind(&row.operator_org_id)
                .bind(row.period_start)
                .bind(row.period_end)
                .bind(row.evaluated_on)
                .bind(&row.scores)
                .bind(row.total_hundredths)
                .bind(&row.grade)
                .bind(&row.status)
                .bind(&row.findings)
                .bind(&row.requirements)
                .bind(row.rectification_due_on)
                .bind(&row.rectification_report)
                .bind(row.rectification_submitted_on)
                .bind(&row.rectification_submitted_by)
                .bind(&row.review_note)
                .bind(row.rectification_accepted_on)
                .bind(&row.evaluated_by)
                .bind(micros(row.created_at))
                .bind(micros(row.updated_at))
                .bind(row.version)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Fetches one evaluation
    pub async fn get_evaluation(&mut self, id: &str) -> Result<Option<EvaluationRow>, StoreError> {
        let sql = format!("SELECT {EVALUATION_COLUMNS} FROM evaluations WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists evaluations, oldest first; of one agreement when given
    pub async fn list_evaluations(
        &mut self,
        agreement_id: Option<&str>,
    ) -> Result<Vec<EvaluationRow>, StoreError> {
        let sql = format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations \
             WHERE (CAST($1 AS TEXT) IS NULL OR agreement_id = $1) ORDER BY created_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(agreement_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Writes the mutable fields of an evaluation if it is still at
    /// `expected_version`; returns the new version
    pub async fn update_evaluation(
        &mut self,
        row: &EvaluationRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE evaluations
                SET status = $3, rectification_report = $4, rectification_submitted_on = $5,
                    rectification_submitted_by = $6, review_note = $7,
                    rectification_accepted_on = $8, updated_at = $9, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.status)
            .bind(&row.rectification_report)
            .bind(row.rectification_submitted_on)
            .bind(&row.rectification_submitted_by)
            .bind(&row.review_note)
            .bind(row.rectification_accepted_on)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        version.ok_or(StoreError::Conflict)
    }

    /// Inserts a termination as given; a second open one for the same
    /// agreement is a [`StoreError::Duplicate`]
    pub async fn insert_termination(&mut self, row: &TerminationRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO terminations ({TERMINATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, \
             $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.agreement_id)
                .bind(&row.operator_org_id)
                .bind(&row.trigger_code)
                .bind(&row.reasons)
                .bind(&row.evaluation_id)
                .bind(&row.status)
                .bind(&row.proposed_by)
                .bind(row.proposed_on)
                .bind(&row.decided_by)
                .bind(row.decided_on)
                .bind(&row.decision_note)
                .bind(row.filing_due_on)
                .bind(row.filed_on)
                .bind(&row.filing_receipt)
                .bind(&row.revoked)
                .bind(micros(row.created_at))
                .bind(micros(row.updated_at))
                .bind(row.version)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Fetches one termination
    pub async fn get_termination(
        &mut self,
        id: &str,
    ) -> Result<Option<TerminationRow>, StoreError> {
        let sql = format!("SELECT {TERMINATION_COLUMNS} FROM terminations WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists every termination, oldest first
    pub async fn list_terminations(&mut self) -> Result<Vec<TerminationRow>, StoreError> {
        let sql = format!("SELECT {TERMINATION_COLUMNS} FROM terminations ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// The termination of an agreement proposed or in effect, if any
    pub async fn find_open_termination(
        &mut self,
        agreement_id: &str,
    ) -> Result<Option<TerminationRow>, StoreError> {
        let sql = format!(
            "SELECT {TERMINATION_COLUMNS} FROM terminations \
             WHERE agreement_id = $1 AND status <> 'rejected' LIMIT 1"
        );
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(agreement_id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Writes the mutable fields of a termination if it is still at
    /// `expected_version`; returns the new version
    pub async fn update_termination(
        &mut self,
        row: &TerminationRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE terminations
                SET status = $3, decided_by = $4, decided_on = $5, decision_note = $6,
                    filing_due_on = $7, filed_on = $8, filing_receipt = $9, revoked = $10,
                    updated_at = $11, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.status)
            .bind(&row.decided_by)
            .bind(row.decided_on)
            .bind(&row.decision_note)
            .bind(row.filing_due_on)
            .bind(row.filed_on)
            .bind(&row.filing_receipt)
            .bind(&row.revoked)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        version.ok_or(StoreError::Conflict)
    }

    /// Inserts a destruction record
    pub async fn insert_destruction(&mut self, row: &DestructionRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO termination_destructions (termination_id, dataset_id, status, recorded_at)
                VALUES ($1, $2, $3, $4)
                "#,
            )
            .bind(&row.termination_id)
            .bind(&row.dataset_id)
            .bind(&row.status)
            .bind(micros(row.recorded_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The destruction records of a termination, by dataset
    pub async fn list_destructions(
        &mut self,
        termination_id: &str,
    ) -> Result<Vec<DestructionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT termination_id, dataset_id, status, recorded_at
                FROM termination_destructions WHERE termination_id = $1 ORDER BY dataset_id
                "#,
            )
            .bind(termination_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Completes a destruction record (once per dataset and termination)
    pub async fn insert_destruction_certificate(
        &mut self,
        row: &DestructionCertificateRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO destruction_certificates
                    (termination_id, dataset_id, outcome, certificate_digest, versions, completed_at)
                VALUES ($1, $2, $3, $4, $5, $6)
                "#,
            )
            .bind(&row.termination_id)
            .bind(&row.dataset_id)
            .bind(&row.outcome)
            .bind(&row.certificate_digest)
            .bind(row.versions)
            .bind(micros(row.completed_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The completed destruction records of a termination, by dataset
    pub async fn list_destruction_certificates(
        &mut self,
        termination_id: &str,
    ) -> Result<Vec<DestructionCertificateRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                r#"
                SELECT termination_id, dataset_id, outcome, certificate_digest, versions, completed_at
                FROM destruction_certificates WHERE termination_id = $1 ORDER BY dataset_id
                "#,
            )
            .bind(termination_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
