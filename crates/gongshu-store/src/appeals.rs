//! Appeals (申诉) and disputes (争议): the `appeals` and `disputes` tables
//! of `0006_appeals.sql` (its supervision tables are `supervision`'s).
//!
//! Every status change is a compare-and-set on the row's `version`: zero
//! rows updated means [`StoreError::Conflict`], so of two racing
//! transitions exactly one lands.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use crate::error::cas;
use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `appeals`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AppealRow {
    /// Primary key
    pub id: String,
    /// Appellant organisation (a participant)
    pub appellant_org: String,
    /// User who filed
    pub filed_by: String,
    /// When filed
    pub filed_at: DateTime<Utc>,
    /// `market_entry`, `data_use` or `egress`
    pub subject_kind: String,
    /// Id of the decision's item
    pub subject_id: String,
    /// 1 when the subject was found and checked to concern the appellant
    pub subject_checked: i64,
    /// Date of the decision appealed against
    pub decided_on: NaiveDate,
    /// Last day to appeal
    pub filing_deadline: NaiveDate,
    /// Grounds of the appeal
    pub grounds: String,
    /// Handling deadline of the agency
    pub due_on: Option<NaiveDate>,
    /// An `AppealStatus` code
    pub status: String,
    /// Reasons of the decision
    pub reasons: Option<String>,
    /// Deciding user
    pub decided_by: Option<String>,
    /// When decided
    pub decided_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `disputes`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DisputeRow {
    /// Primary key
    pub id: String,
    /// Organisation that raised it
    pub raised_by_org: String,
    /// User who raised it
    pub raised_by: String,
    /// When raised
    pub raised_at: DateTime<Utc>,
    /// The other side
    pub against_org: String,
    /// `authorization` or `use`
    pub subject: String,
    /// What is disputed
    pub description: String,
    /// Handling deadline of the agency
    pub due_on: Option<NaiveDate>,
    /// A `DisputeStatus` code
    pub status: String,
    /// Third-party assessment body
    pub assessment_body: Option<String>,
    /// When the assessment was commissioned
    pub assessment_commissioned_on: Option<NaiveDate>,
    /// Report reference
    pub assessment_report_ref: Option<String>,
    /// Date of the report
    pub assessment_reported_on: Option<NaiveDate>,
    /// Outcome of the coordination
    pub outcome: Option<String>,
    /// Resolving user
    pub resolved_by: Option<String>,
    /// When resolved
    pub resolved_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version
    pub version: i64,
}

const APPEAL_COLUMNS: &str = "id, appellant_org, filed_by, filed_at, subject_kind, subject_id, \
     subject_checked, decided_on, filing_deadline, grounds, due_on, status, reasons, decided_by, \
     decided_at, version";
const DISPUTE_COLUMNS: &str = "id, raised_by_org, raised_by, raised_at, against_org, subject, \
     description, due_on, status, assessment_body, assessment_commissioned_on, \
     assessment_report_ref, assessment_reported_on, outcome, resolved_by, resolved_at, version";

impl StoreTx {
    /// Runs a SELECT built from this module's fixed fragments, binding
    /// `args` as text in order.
    pub(crate) async fn select_rows<T>(
        &mut self,
        sql: String,
        args: &[&str],
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow>,
        T: Send + Unpin,
    {
        let rows = on_conn!(self, |conn| {
            let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
            for a in args {
                q = q.bind(*a);
            }
            q.fetch_all(conn).await?
        });
        Ok(rows)
    }

    /// Inserts an appeal as given
    pub async fn insert_appeal(&mut self, row: &AppealRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO appeals (id, appellant_org, filed_by, filed_at, subject_kind,
                    subject_id, subject_checked, decided_on, filing_deadline, grounds, due_on,
                    status, reasons, decided_by, decided_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                "#,
            )
            .bind(&row.id)
            .bind(&row.appellant_org)
            .bind(&row.filed_by)
            .bind(micros(row.filed_at))
            .bind(&row.subject_kind)
            .bind(&row.subject_id)
            .bind(row.subject_checked)
            .bind(row.decided_on)
            .bind(row.filing_deadline)
            .bind(&row.grounds)
            .bind(row.due_on)
            .bind(&row.status)
            .bind(&row.reasons)
            .bind(&row.decided_by)
            .bind(row.decided_at.map(micros))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one appeal
    pub async fn get_appeal(&mut self, id: &str) -> Result<Option<AppealRow>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1");
        Ok(self.select_rows(sql, &[id]).await?.into_iter().next())
    }

    /// Lists every appeal, oldest first
    pub async fn list_appeals(&mut self) -> Result<Vec<AppealRow>, StoreError> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals ORDER BY filed_at, id");
        self.select_rows(sql, &[]).await
    }

    /// Compare-and-set of an appeal's decision fields
    pub async fn update_appeal(
        &mut self,
        row: &AppealRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE appeals SET status = $1, reasons = $2, decided_by = $3, decided_at = $4,
                       version = version + 1
                 WHERE id = $5 AND version = $6
                "#,
            )
            .bind(&row.status)
            .bind(&row.reasons)
            .bind(&row.decided_by)
            .bind(row.decided_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(n)
    }

    /// Inserts a dispute as given
    pub async fn insert_dispute(&mut self, row: &DisputeRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO disputes (id, raised_by_org, raised_by, raised_at, against_org,
                    subject, description, due_on, status, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                "#,
            )
            .bind(&row.id)
            .bind(&row.raised_by_org)
            .bind(&row.raised_by)
            .bind(micros(row.raised_at))
            .bind(&row.against_org)
            .bind(&row.subject)
            .bind(&row.description)
            .bind(row.due_on)
            .bind(&row.status)
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one dispute
    pub async fn get_dispute(&mut self, id: &str) -> Result<Option<DisputeRow>, StoreError> {
        let sql = format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE id = $1");
        Ok(self.select_rows(sql, &[id]).await?.into_iter().next())
    }

    /// Lists every dispute, oldest first
    pub async fn list_disputes(&mut self) -> Result<Vec<DisputeRow>, StoreError> {
        let sql = format!("SELECT {DISPUTE_COLUMNS} FROM disputes ORDER BY raised_at, id");
        self.select_rows(sql, &[]).await
    }

    /// Compare-and-set of a dispute's coordination fields
    pub async fn update_dispute(
        &mut self,
        row: &DisputeRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE disputes SET status = $1, assessment_body = $2,
                       assessment_commissioned_on = $3, assessment_report_ref = $4,
                       assessment_reported_on = $5, outcome = $6, resolved_by = $7,
                       resolved_at = $8, version = version + 1
                 WHERE id = $9 AND version = $10
                "#,
            )
            .bind(&row.status)
            .bind(&row.assessment_body)
            .bind(row.assessment_commissioned_on)
            .bind(&row.assessment_report_ref)
            .bind(row.assessment_reported_on)
            .bind(&row.outcome)
            .bind(&row.resolved_by)
            .bind(row.resolved_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(n)
    }
}
