//! Billing records: monthly statements per participant, credit notes that
//! correct them (never edits), generated reports, and the month's metered
//! usage read from `product_calls`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `statements`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StatementRow {
    /// Id
    pub id: String,
    /// Billed participant
    pub participant_org: String,
    /// Month `YYYY-MM`
    pub month: String,
    /// Lines (JSON)
    pub lines: String,
    /// Total
    pub total_fen: i64,
    /// Its journal entry (none when the total is zero)
    pub journal_entry: Option<String>,
    /// Issuing user
    pub issued_by: String,
    /// When
    pub issued_at: DateTime<Utc>,
}

/// A row of `credit_notes`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CreditNoteRow {
    /// Id
    pub id: String,
    /// Corrected statement
    pub statement_id: String,
    /// Amount credited
    pub amount_fen: i64,
    /// Why
    pub reason: String,
    /// Month booked
    pub month: String,
    /// Its journal entry
    pub journal_entry: String,
    /// Issuing user
    pub issued_by: String,
    /// When
    pub issued_at: DateTime<Utc>,
}

/// A row of `finance_reports`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FinanceReportRow {
    /// Id
    pub id: String,
    /// Kind code
    pub kind: String,
    /// Year reported on
    pub year: i64,
    /// Content (JSON)
    pub content: String,
    /// SHA-256 of `content`
    pub sha256: String,
    /// Generating user
    pub generated_by: String,
    /// Generating organisation
    pub generated_org: String,
    /// When
    pub generated_at: DateTime<Utc>,
}

/// Metered usage of one participant and product over a period
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UsageRow {
    /// Participant
    pub participant_org: String,
    /// Product
    pub product_id: String,
    /// Scenario of the calls
    pub scenario: String,
    /// Sum of billing units
    pub units: i64,
    /// Number of calls
    pub calls: i64,
}

const STATEMENT: &str =
    "id, participant_org, month, lines, total_fen, journal_entry, issued_by, issued_at";
const CREDIT: &str =
    "id, statement_id, amount_fen, reason, month, journal_entry, issued_by, issued_at";
const REPORT: &str = "id, kind, year, content, sha256, generated_by, generated_org, generated_at";

impl StoreTx {
    /// Inserts a statement; false when the participant already has one for
    /// the month
    pub async fn insert_statement(&mut self, row: &StatementRow) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO statements ({STATEMENT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (participant_org, month) DO NOTHING"
        );
        let n = on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.participant_org)
                .bind(&row.month)
                .bind(&row.lines)
                .bind(row.total_fen)
                .bind(&row.journal_entry)
                .bind(&row.issued_by)
                .bind(micros(row.issued_at))
                .execute(conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// One statement
    pub async fn get_statement(&mut self, id: &str) -> Result<Option<StatementRow>, StoreError> {
        let sql = format!("SELECT {STATEMENT} FROM statements WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Statements, newest month first (one participant's when given)
    pub async fn list_statements(
        &mut self,
        participant_org: Option<&str>,
    ) -> Result<Vec<StatementRow>, StoreError> {
        let sql = format!(
            "SELECT {STATEMENT} FROM statements WHERE (CAST($1 AS TEXT) IS NULL OR participant_org = $1) \
             ORDER BY month DESC, participant_org, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(participant_org)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a credit note
    pub async fn insert_credit_note(&mut self, row: &CreditNoteRow) -> Result<(), StoreError> {
        let sql =
            format!("INSERT INTO credit_notes ({CREDIT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.statement_id)
                .bind(row.amount_fen)
                .bind(&row.reason)
                .bind(&row.month)
                .bind(&row.journal_entry)
                .bind(&row.issued_by)
                .bind(micros(row.issued_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Credit notes, oldest first
    pub async fn list_credit_notes(&mut self) -> Result<Vec<CreditNoteRow>, StoreError> {
        let sql = format!("SELECT {CREDIT} FROM credit_notes ORDER BY issued_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a generated report
    pub async fn insert_finance_report(
        &mut self,
        row: &FinanceReportRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO finance_reports ({REPORT}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.kind)
                .bind(row.year)
                .bind(&row.content)
                .bind(&row.sha256)
                .bind(&row.generated_by)
                .bind(&row.generated_org)
                .bind(micros(row.generated_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// One report
    pub async fn get_finance_report(
        &mut self,
        id: &str,
    ) -> Result<Option<FinanceReportRow>, StoreError> {
        let sql = format!("SELECT {REPORT} FROM finance_reports WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Reports, newest first
    pub async fn list_finance_reports(&mut self) -> Result<Vec<FinanceReportRow>, StoreError> {
        let sql = format!("SELECT {REPORT} FROM finance_reports ORDER BY generated_at DESC, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Metered usage per participant and product for days `from..=to`
    pub async fn usage_between(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<UsageRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT participant_org, product_id, scenario, CAST(SUM(units) AS BIGINT) AS units, \
                 COUNT(*) AS calls FROM product_calls WHERE call_day >= $1 AND call_day <= $2 \
                 GROUP BY participant_org, product_id, scenario \
                 ORDER BY participant_org, product_id, scenario",
            )
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
