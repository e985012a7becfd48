//! The separate account's journal (专账): append-only entries and lines,
//! and closed months. There is no update or delete here, and the schema's
//! triggers refuse them too.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::{TxInner, on_conn};
use crate::{StoreError, StoreTx, micros};

/// A row of `journal_entries`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalEntryRow {
    /// Id
    pub id: String,
    /// Posting order (assigned by [`StoreTx::post_journal_entry`])
    pub position: i64,
    /// Booking date
    pub entry_date: NaiveDate,
    /// Period `YYYY-MM`
    pub month: String,
    /// Memo
    pub memo: String,
    /// What produced it
    pub source_kind: String,
    /// Its id
    pub source_id: String,
    /// The entry this one reverses
    pub reverses: Option<String>,
    /// Total debit (= credit)
    pub total_fen: i64,
    /// Posting user
    pub posted_by: String,
    /// When
    pub posted_at: DateTime<Utc>,
}

/// A row of `journal_lines`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JournalLineRow {
    /// Entry
    pub entry_id: String,
    /// Line number within the entry
    pub line_no: i64,
    /// Account code
    pub account: String,
    /// Debit
    pub debit_fen: i64,
    /// Credit
    pub credit_fen: i64,
}

/// A row of `closed_months`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosedMonthRow {
    /// Month `YYYY-MM`
    pub month: String,
    /// Closing user
    pub closed_by: String,
    /// When
    pub closed_at: DateTime<Utc>,
}

const ENTRY: &str = "id, position, entry_date, month, memo, source_kind, source_id, reverses, \
                     total_fen, posted_by, posted_at";

impl StoreTx {
    /// Appends an entry and its lines; returns its position. On PostgreSQL
    /// the table is locked for the rest of the transaction so positions
    /// stay gap-free and in commit order.
    pub async fn post_journal_entry(
        &mut self,
        entry: &JournalEntryRow,
        lines: &[JournalLineRow],
    ) -> Result<i64, StoreError> {
        if let TxInner::Postgres(tx) = &mut self.inner {
            sqlx::query("LOCK TABLE journal_entries IN EXCLUSIVE MODE")
                .execute(&mut **tx)
                .await?;
        }
        let position: i64 = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) + 1 FROM journal_entries")
                .fetch_one(conn)
                .await?
        });
        let sql = format!(
            "INSERT INTO journal_entries ({ENTRY}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&entry.id)
                .bind(position)
                .bind(entry.entry_date)
                .bind(&entry.month)
                .bind(&entry.memo)
                .bind(&entry.source_kind)
                .bind(&entry.source_id)
                .bind(&entry.reverses)
                .bind(entry.total_fen)
                .bind(&entry.posted_by)
                .bind(micros(entry.posted_at))
                .execute(conn)
                .await?;
        });
        for line in lines {
            on_conn!(self, |conn| {
                sqlx::query(
                    "INSERT INTO journal_lines (entry_id, line_no, account, debit_fen, credit_fen) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&entry.id)
                .bind(line.line_no)
                .bind(&line.account)
                .bind(line.debit_fen)
                .bind(line.credit_fen)
                .execute(conn)
                .await?;
            });
        }
        Ok(position)
    }

    /// One entry
    pub async fn get_journal_entry(
        &mut self,
        id: &str,
    ) -> Result<Option<JournalEntryRow>, StoreError> {
        let sql = format!("SELECT {ENTRY} FROM journal_entries WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// The entry reversing `id`, if any
    pub async fn find_reversal_of(&mut self, id: &str) -> Result<Option<String>, StoreError> {
        let found = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT id FROM journal_entries WHERE reverses = $1")
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(found)
    }

    /// Entries of the months `from..=to` (`YYYY-MM` compares as text), in
    /// posting order
    pub async fn list_journal_entries(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<JournalEntryRow>, StoreError> {
        let sql = format!(
            "SELECT {ENTRY} FROM journal_entries WHERE month >= $1 AND month <= $2 ORDER BY position"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(from)
                .bind(to)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Lines of the entries of the months `from..=to`
    pub async fn list_journal_lines(
        &mut self,
        from: &str,
        to: &str,
    ) -> Result<Vec<JournalLineRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT l.entry_id, l.line_no, l.account, l.debit_fen, l.credit_fen \
                 FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
                 WHERE e.month >= $1 AND e.month <= $2 ORDER BY e.position, l.line_no",
            )
            .bind(from)
            .bind(to)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Whether a month is closed
    pub async fn is_month_closed(&mut self, month: &str) -> Result<bool, StoreError> {
        let n: i64 = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM closed_months WHERE month = $1")
                .bind(month)
                .fetch_one(conn)
                .await?
        });
        Ok(n > 0)
    }

    /// Closes a month; false when already closed
    pub async fn close_month(
        &mut self,
        month: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO closed_months (month, closed_by, closed_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (month) DO NOTHING",
            )
            .bind(month)
            .bind(by)
            .bind(micros(at))
            .execute(conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Closed months, oldest first
    pub async fn list_closed_months(&mut self) -> Result<Vec<ClosedMonthRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as("SELECT month, closed_by, closed_at FROM closed_months ORDER BY month")
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
