//! Release requests (出域审核): requests, their files by revision and
//! reviewers' decisions. Files are disclosure-controlled results (no raw
//! data) and are kept with the request as evidence.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `release_requests`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseRequestRow {
    /// Primary key
    pub id: String,
    /// Requesting organisation
    pub requester_org: String,
    /// Requesting user
    pub requested_by: String,
    /// Title
    pub title: String,
    /// Purpose of the release
    pub purpose: String,
    /// The SQL that produced the files
    pub sql_text: String,
    /// Disclosure-control report as JSON text
    pub report: String,
    /// `submitted`, `approved`, `rejected` or `withdrawn`
    pub status: String,
    /// Current files revision
    pub revision: i64,
    /// Created
    pub created_at: DateTime<Utc>,
    /// Last changed
    pub updated_at: DateTime<Utc>,
    /// When the current files revision was submitted (the review runs
    /// from it)
    pub revised_at: DateTime<Utc>,
    /// When it reached a final state
    pub closed_at: Option<DateTime<Utc>>,
    /// Compare-and-set version
    pub version: i64,
}

/// A row of `release_files`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseFileRow {
    /// Request
    pub request_id: String,
    /// Files revision
    pub revision: i64,
    /// File name
    pub name: String,
    /// `text/csv` or `application/json`
    pub media_type: String,
    /// UTF-8 content
    pub content: String,
    /// Hex SHA-256 of the content
    pub sha256: String,
}

/// A row of `release_decisions`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReleaseDecisionRow {
    /// Request
    pub request_id: String,
    /// Reviewing user
    pub reviewer: String,
    /// Reviewer's organisation
    pub reviewer_org: String,
    /// Files revision decided
    pub revision: i64,
    /// `approve` or `reject`
    pub verdict: String,
    /// Reason (required for a rejection)
    pub reason: Option<String>,
    /// When
    pub decided_at: DateTime<Utc>,
}

const REQUEST_COLUMNS: &str = "id, requester_org, requested_by, title, purpose, sql_text, report, \
     status, revision, created_at, updated_at, closed_at, version, revised_at";

impl StoreTx {
    /// Inserts a request
    pub async fn insert_release_request(
        &mut self,
        row: &ReleaseRequestRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO release_requests ({REQUEST_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.requester_org)
                .bind(&row.requested_by)
                .bind(&row.title)
                .bind(&row.purpose)
                .bind(&row.sql_text)
                .bind(&row.report)
                .bind(&row.status)
                .bind(row.revision)
                .bind(micros(row.created_at))
                .bind(micros(row.updated_at))
                .bind(row.closed_at.map(micros))
                .bind(row.version)
                .bind(micros(row.revised_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// One request
    pub async fn get_release_request(
        &mut self,
        id: &str,
    ) -> Result<Option<ReleaseRequestRow>, StoreError> {
        let sql = format!("SELECT {REQUEST_COLUMNS} FROM release_requests WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Requests of an organisation (`Some`) or all (`None`), newest first
    pub async fn list_release_requests(
        &mut self,
        org: Option<&str>,
    ) -> Result<Vec<ReleaseRequestRow>, StoreError> {
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM release_requests WHERE (CAST($1 AS TEXT) IS NULL OR requester_org = $1) \
             ORDER BY created_at DESC, id DESC"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(org)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Updates status, revision and times with compare-and-set on `version`
    pub async fn update_release_request(
        &mut self,
        row: &ReleaseRequestRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE release_requests SET status = $1, revision = $2, updated_at = $3, \
                 closed_at = $4, revised_at = $7, version = version + 1 \
                 WHERE id = $5 AND version = $6",
            )
            .bind(&row.status)
            .bind(row.revision)
            .bind(micros(row.updated_at))
            .bind(row.closed_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .bind(micros(row.revised_at))
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

    /// Inserts a file of a revision
    pub async fn insert_release_file(&mut self, row: &ReleaseFileRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO release_files (request_id, revision, name, media_type, content, sha256) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&row.request_id)
            .bind(row.revision)
            .bind(&row.name)
            .bind(&row.media_type)
            .bind(&row.content)
            .bind(&row.sha256)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The files of one revision, by name
    pub async fn list_release_files(
        &mut self,
        request_id: &str,
        revision: i64,
    ) -> Result<Vec<ReleaseFileRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT request_id, revision, name, media_type, content, sha256 FROM release_files \
                 WHERE request_id = $1 AND revision = $2 ORDER BY name",
            )
            .bind(request_id)
            .bind(revision)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a decision (one per reviewer and revision)
    pub async fn insert_release_decision(
        &mut self,
        row: &ReleaseDecisionRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO release_decisions (request_id, reviewer, reviewer_org, revision, verdict, \
                 reason, decided_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&row.request_id)
            .bind(&row.reviewer)
            .bind(&row.reviewer_org)
            .bind(row.revision)
            .bind(&row.verdict)
            .bind(&row.reason)
            .bind(micros(row.decided_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The decisions on a request, oldest first
    pub async fn list_release_decisions(
        &mut self,
        request_id: &str,
    ) -> Result<Vec<ReleaseDecisionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT request_id, reviewer, reviewer_org, revision, verdict, reason, decided_at \
                 FROM release_decisions WHERE request_id = $1 ORDER BY decided_at, reviewer",
            )
            .bind(request_id)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }
}
