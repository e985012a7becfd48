//! Supervision: inspections (监督检查) with their audit samples and
//! findings, security incidents (安全事件) and flags of prohibited
//! behaviour. Owns those tables of `0006_appeals.sql`: `inspections`,
//! `inspection_samples`, `inspection_findings`, `incidents`, `org_flags`.
//! Status changes are compare-and-set on `version`, as in `appeals`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::cas;
use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `inspections`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InspectionRow {
    /// Primary key
    pub id: String,
    /// `random` or `targeted`
    pub kind: String,
    /// Inspected organisation
    pub inspected_org: String,
    /// Scope or cause
    pub scope: String,
    /// Seed of the audit sample (decimal u64)
    pub sample_seed: Option<String>,
    /// Size asked of the audit sample
    pub sample_size: Option<i64>,
    /// `open` or `closed`
    pub status: String,
    /// Opening user
    pub opened_by: String,
    /// When opened
    pub opened_at: DateTime<Utc>,
    /// Conclusion at the last closing
    pub conclusion: Option<String>,
    /// Closing user
    pub closed_by: Option<String>,
    /// When closed
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version
    pub version: i64,
}

/// A row of `inspection_samples`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InspectionSampleRow {
    /// The inspection
    pub inspection_id: String,
    /// Index of the audit record in the ledger
    pub ledger_index: i64,
    /// Its action code (from the index)
    pub action_code: String,
    /// `verified` or `failed`
    pub result: String,
    /// What was checked, or why it failed
    pub detail: String,
}

/// A row of `inspection_findings`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FindingRow {
    /// Primary key
    pub id: String,
    /// The inspection
    pub inspection_id: String,
    /// `minor`, `major` or `serious`
    pub severity: String,
    /// Rule id cited
    pub rule_id: String,
    /// What was found
    pub description: String,
    /// Recording user
    pub found_by: String,
    /// When recorded
    pub found_at: DateTime<Utc>,
    /// Rectification deadline
    pub due_on: NaiveDate,
    /// `open` or `rectified`
    pub status: String,
    /// The rectification recorded
    pub rectification: Option<String>,
    /// Recording user
    pub rectified_by: Option<String>,
    /// When
    pub rectified_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version
    pub version: i64,
}

/// A row of `incidents`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IncidentRow {
    /// Primary key
    pub id: String,
    /// Organisation concerned (must report)
    pub concerned_org: String,
    /// Organisation that recorded it
    pub recorded_by_org: String,
    /// Recording user
    pub recorded_by: String,
    /// When recorded
    pub recorded_at: DateTime<Utc>,
    /// An `IncidentCategory` code
    pub category: String,
    /// An `IncidentSeverity` code
    pub severity: String,
    /// When it was discovered
    pub discovered_at: DateTime<Utc>,
    /// Data affected
    pub affected_data: String,
    /// Measures taken
    pub measures: String,
    /// Last day for the report
    pub report_due_on: Option<NaiveDate>,
    /// An `IncidentStatus` code
    pub status: String,
    /// The report
    pub report: Option<String>,
    /// Reporting user
    pub reported_by: Option<String>,
    /// When reported
    pub reported_at: Option<DateTime<Utc>>,
    /// Closing user
    pub closed_by: Option<String>,
    /// When closed
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-lock version
    pub version: i64,
}

/// A row of `org_flags`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrgFlagRow {
    /// Primary key
    pub id: String,
    /// Organisation flagged
    pub org_id: String,
    /// A `ProhibitedBehaviour` code
    pub behaviour: String,
    /// The finding that shows it
    pub finding_id: String,
    /// Note
    pub note: String,
    /// Flagging user
    pub flagged_by: String,
    /// When
    pub flagged_at: DateTime<Utc>,
}

const INSPECTION_COLUMNS: &str = "id, kind, inspected_org, scope, sample_seed, sample_size, \
     status, opened_by, opened_at, conclusion, closed_by, closed_at, version";
const FINDING_COLUMNS: &str = "id, inspection_id, severity, rule_id, description, found_by, \
     found_at, due_on, status, rectification, rectified_by, rectified_at, version";
const INCIDENT_COLUMNS: &str = "id, concerned_org, recorded_by_org, recorded_by, recorded_at, \
     category, severity, discovered_at, affected_data, measures, report_due_on, status, report, \
     reported_by, reported_at, closed_by, closed_at, version";

impl StoreTx {
    /// Inserts an inspection as given
    pub async fn insert_inspection(&mut self, row: &InspectionRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO inspections (id, kind, inspected_org, scope, sample_seed,
                    sample_size, status, opened_by, opened_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                "#,
            )
            .bind(&row.id)
            .bind(&row.kind)
            .bind(&row.inspected_org)
            .bind(&row.scope)
            .bind(&row.sample_seed)
            .bind(row.sample_size)
            .bind(&row.status)
            .bind(&row.opened_by)
            .bind(micros(row.opened_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one inspection
    pub async fn get_inspection(&mut self, id: &str) -> Result<Option<InspectionRow>, StoreError> {
        let sql = format!("SELECT {INSPECTION_COLUMNS} FROM inspections WHERE id = $1");
        Ok(self.select_rows(sql, &[id]).await?.into_iter().next())
    }

    /// Lists every inspection, oldest first
    pub async fn list_inspections(&mut self) -> Result<Vec<InspectionRow>, StoreError> {
        let sql = format!("SELECT {INSPECTION_COLUMNS} FROM inspections ORDER BY opened_at, id");
        self.select_rows(sql, &[]).await
    }

    /// Compare-and-set of an inspection's status and closing fields
    pub async fn update_inspection(
        &mut self,
        row: &InspectionRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE inspections SET status = $1, conclusion = $2, closed_by = $3,
                       closed_at = $4, version = version + 1
                 WHERE id = $5 AND version = $6
                "#,
            )
            .bind(&row.status)
            .bind(&row.conclusion)
            .bind(&row.closed_by)
            .bind(row.closed_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(n)
    }

    /// Inserts the verification result of one sampled audit record
    pub async fn insert_inspection_sample(
        &mut self,
        row: &InspectionSampleRow,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO inspection_samples (inspection_id, ledger_index, action_code,
                    result, detail)
                VALUES ($1, $2, $3, $4, $5)
                "#,
            )
            .bind(&row.inspection_id)
            .bind(row.ledger_index)
            .bind(&row.action_code)
            .bind(&row.result)
            .bind(&row.detail)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the sampled records of an inspection by ledger index
    pub async fn list_inspection_samples(
        &mut self,
        inspection_id: &str,
    ) -> Result<Vec<InspectionSampleRow>, StoreError> {
        let sql = "SELECT inspection_id, ledger_index, action_code, result, detail \
                   FROM inspection_samples WHERE inspection_id = $1 ORDER BY ledger_index"
            .to_owned();
        self.select_rows(sql, &[inspection_id]).await
    }

    /// Inserts a finding as given
    pub async fn insert_finding(&mut self, row: &FindingRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO inspection_findings (id, inspection_id, severity, rule_id,
                    description, found_by, found_at, due_on, status, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                "#,
            )
            .bind(&row.id)
            .bind(&row.inspection_id)
            .bind(&row.severity)
            .bind(&row.rule_id)
            .bind(&row.description)
            .bind(&row.found_by)
            .bind(micros(row.found_at))
            .bind(row.due_on)
            .bind(&row.status)
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the findings of an inspection, oldest first
    pub async fn list_findings(
        &mut self,
        inspection_id: &str,
    ) -> Result<Vec<FindingRow>, StoreError> {
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM inspection_findings \
             WHERE inspection_id = $1 ORDER BY found_at, id"
        );
        self.select_rows(sql, &[inspection_id]).await
    }

    /// Lists every finding not rectified, oldest first
    pub async fn list_open_findings(&mut self) -> Result<Vec<FindingRow>, StoreError> {
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM inspection_findings \
             WHERE status = 'open' ORDER BY found_at, id"
        );
        self.select_rows(sql, &[]).await
    }

    /// Compare-and-set of a finding's rectification fields
    pub async fn update_finding(
        &mut self,
        row: &FindingRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE inspection_findings SET status = $1, rectification = $2,
                       rectified_by = $3, rectified_at = $4, due_on = $5, version = version + 1
                 WHERE id = $6 AND version = $7
                "#,
            )
            .bind(&row.status)
            .bind(&row.rectification)
            .bind(&row.rectified_by)
            .bind(row.rectified_at.map(micros))
            .bind(row.due_on)
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(n)
    }

    /// Inserts a security incident as given
    pub async fn insert_incident(&mut self, row: &IncidentRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO incidents (id, concerned_org, recorded_by_org, recorded_by,
                    recorded_at, category, severity, discovered_at, affected_data, measures,
                    report_due_on, status, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                "#,
            )
            .bind(&row.id)
            .bind(&row.concerned_org)
            .bind(&row.recorded_by_org)
            .bind(&row.recorded_by)
            .bind(micros(row.recorded_at))
            .bind(&row.category)
            .bind(&row.severity)
            .bind(micros(row.discovered_at))
            .bind(&row.affected_data)
            .bind(&row.measures)
            .bind(row.report_due_on)
            .bind(&row.status)
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one incident
    pub async fn get_incident(&mut self, id: &str) -> Result<Option<IncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1");
        Ok(self.select_rows(sql, &[id]).await?.into_iter().next())
    }

    /// Lists every incident, oldest first
    pub async fn list_incidents(&mut self) -> Result<Vec<IncidentRow>, StoreError> {
        let sql = format!("SELECT {INCIDENT_COLUMNS} FROM incidents ORDER BY recorded_at, id");
        self.select_rows(sql, &[]).await
    }

    /// Compare-and-set of an incident's report and closing fields
    pub async fn update_incident(
        &mut self,
        row: &IncidentRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                r#"
                UPDATE incidents SET status = $1, report = $2, reported_by = $3,
                       reported_at = $4, closed_by = $5, closed_at = $6, version = version + 1
                 WHERE id = $7 AND version = $8
                "#,
            )
            .bind(&row.status)
            .bind(&row.report)
            .bind(&row.reported_by)
            .bind(row.reported_at.map(micros))
            .bind(&row.closed_by)
            .bind(row.closed_at.map(micros))
            .bind(&row.id)
            .bind(expected_version)
            .execute(conn)
            .await?
            .rows_affected()
        });
        cas(n)
    }

    /// Inserts a flag of prohibited behaviour
    pub async fn insert_org_flag(&mut self, row: &OrgFlagRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO org_flags (id, org_id, behaviour, finding_id, note, flagged_by,
                    flagged_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7)
                "#,
            )
            .bind(&row.id)
            .bind(&row.org_id)
            .bind(&row.behaviour)
            .bind(&row.finding_id)
            .bind(&row.note)
            .bind(&row.flagged_by)
            .bind(micros(row.flagged_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the flags raised on the findings of an inspection, oldest first
    pub async fn list_org_flags_of_inspection(
        &mut self,
        inspection_id: &str,
    ) -> Result<Vec<OrgFlagRow>, StoreError> {
        let sql = "SELECT f.id, f.org_id, f.behaviour, f.finding_id, f.note, f.flagged_by, \
                   f.flagged_at FROM org_flags f \
                   JOIN inspection_findings i ON i.id = f.finding_id \
                   WHERE i.inspection_id = $1 ORDER BY f.flagged_at, f.id"
            .to_owned();
        self.select_rows(sql, &[inspection_id]).await
    }

    /// Lists the flags on an organisation, oldest first
    pub async fn list_org_flags(&mut self, org_id: &str) -> Result<Vec<OrgFlagRow>, StoreError> {
        let sql = "SELECT id, org_id, behaviour, finding_id, note, flagged_by, flagged_at \
                   FROM org_flags WHERE org_id = $1 ORDER BY flagged_at, id"
            .to_owned();
        self.select_rows(sql, &[org_id]).await
    }
}
