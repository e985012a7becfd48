//! 运营机构遴选与应用场景: tables of the selection workflow.
//!
//! Owns `selections` with their `selection_candidates` and
//! `selection_objections`, and `scenarios` with their `scenario_plans`.
//! Every write of a selection or scenario goes with a compare-and-set on the
//! parent row's `version`, so the child rows change under the same guard.
//! JSON columns (a candidate's assessment) are stored as given.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `selections`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SelectionRow {
    /// Primary key
    pub id: String,
    /// The implementing agency running it
    pub agency_org_id: String,
    /// Title
    pub title: String,
    /// `open_tender`, `invited_tender`, `negotiation` or `selection`
    pub method: String,
    /// `open`, `publicity` or `finalised`
    pub status: String,
    /// Who opened it
    pub opened_by: String,
    /// The chosen candidate
    pub chosen_candidate_id: Option<String>,
    /// Decision date
    pub decided_on: Option<NaiveDate>,
    /// Who decided
    pub decided_by: Option<String>,
    /// Last day of publicity
    pub publicity_ends_on: Option<NaiveDate>,
    /// Date of the report to the county government
    pub reported_on: Option<NaiveDate>,
    /// Document number of the report
    pub report_doc_no: Option<String>,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `selection_candidates`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CandidateRow {
    /// Primary key
    pub id: String,
    /// The selection
    pub selection_id: String,
    /// The operator organisation
    pub org_id: String,
    /// Its unified social credit code
    pub credit_code: String,
    /// Qualification items recorded so far (JSON)
    pub assessment: String,
    /// Who registered it
    pub registered_by: String,
    /// When
    pub registered_at: DateTime<Utc>,
    /// Who last recorded items
    pub assessed_by: Option<String>,
    /// When
    pub assessed_at: Option<DateTime<Utc>>,
}

/// A row of `selection_objections`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ObjectionRow {
    /// Primary key
    pub id: String,
    /// The selection
    pub selection_id: String,
    /// The candidate announced when it was received
    pub candidate_id: String,
    /// Date received
    pub received_on: NaiveDate,
    /// Who objects
    pub objector: String,
    /// What
    pub content: String,
    /// `pending`, `upheld` or `dismissed`
    pub status: String,
    /// How it was resolved
    pub resolution: Option<String>,
    /// Who resolved it
    pub resolved_by: Option<String>,
    /// When
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who recorded it
    pub recorded_by: String,
    /// When
    pub recorded_at: DateTime<Utc>,
}

/// A row of `scenarios`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScenarioRow {
    /// Primary key
    pub id: String,
    /// The sector regulator that planned it
    pub regulator_org_id: String,
    /// Its sector
    pub sector: String,
    /// Name
    pub name: String,
    /// Description
    pub description: String,
    /// `high`, `medium` or `low`
    pub priority: String,
    /// `planned`, `plan_submitted`, `returned`, `approved`, `filed`, `cancelled`
    pub status: String,
    /// Who planned it
    pub planned_by: String,
    /// Filing date with the data bureau
    pub filed_on: Option<NaiveDate>,
    /// Filing reference
    pub filing_ref: Option<String>,
    /// Who recorded the filing
    pub filed_by: Option<String>,
    /// Creation time
    pub created_at: DateTime<Utc>,
    /// Last change
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version; new rows start at 1
    pub version: i64,
}

/// A row of `scenario_plans`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScenarioPlanRow {
    /// Primary key
    pub id: String,
    /// The scenario
    pub scenario_id: String,
    /// Submission round (1, 2, … after each return)
    pub round: i64,
    /// The operator
    pub operator_org_id: String,
    /// Data need
    pub data_need: String,
    /// Compliance measures
    pub compliance_measures: String,
    /// Who submitted it
    pub submitted_by: String,
    /// When
    pub submitted_at: DateTime<Utc>,
    /// `approve` or `return` once reviewed
    pub verdict: Option<String>,
    /// Written feedback
    pub comments: Option<String>,
    /// Reviewer
    pub reviewed_by: Option<String>,
    /// When
    pub reviewed_at: Option<DateTime<Utc>>,
}

const SELECTION_COLUMNS: &str = "id, agency_org_id, title, method, status, opened_by, \
     chosen_candidate_id, decided_on, decided_by, publicity_ends_on, reported_on, \
     report_doc_no, created_at, updated_at, version";
const CANDIDATE_COLUMNS: &str = "id, selection_id, org_id, credit_code, assessment, \
     registered_by, registered_at, assessed_by, assessed_at";
const OBJECTION_COLUMNS: &str = "id, selection_id, candidate_id, received_on, objector, \
     content, status, resolution, resolved_by, resolved_at, recorded_by, recorded_at";
const SCENARIO_COLUMNS: &str = "id, regulator_org_id, sector, name, description, priority, \
     status, planned_by, filed_on, filing_ref, filed_by, created_at, updated_at, version";
const PLAN_COLUMNS: &str = "id, scenario_id, round, operator_org_id, data_need, \
     compliance_measures, submitted_by, submitted_at, verdict, comments, reviewed_by, \
     reviewed_at";

impl StoreTx {
    /// Inserts a selection as given
    pub async fn insert_selection(&mut self, row: &SelectionRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO selections (
                    id, agency_org_id, title, method, status, opened_by, chosen_candidate_id,
                    decided_on, decided_by, publicity_ends_on, reported_on, report_doc_no,
                    created_at, updated_at, version
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                "#,
            )
            .bind(&row.id)
            .bind(&row.agency_org_id)
            .bind(&row.title)
            .bind(&row.method)
            .bind(&row.status)
            .bind(&row.opened_by)
            .bind(&row.chosen_candidate_id)
            .bind(row.decided_on)
            .bind(&row.decided_by)
            .bind(row.publicity_ends_on)
            .bind(row.reported_on)
            .bind(&row.report_doc_no)
            .bind(micros(row.created_at))
            .bind(micros(row.updated_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one selection by id
    pub async fn get_selection(&mut self, id: &str) -> Result<Option<SelectionRow>, StoreError> {
        let sql = format!("SELECT {SELECTION_COLUMNS} FROM selections WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists every selection, oldest first
    pub async fn list_selections(&mut self) -> Result<Vec<SelectionRow>, StoreError> {
        let sql = format!("SELECT {SELECTION_COLUMNS} FROM selections ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Writes the mutable fields of `row` if the selection is still at
    /// `expected_version`; returns the new version
    ///
    /// Fails with [`StoreError::Conflict`] when the version moved on and
    /// [`StoreError::NotFound`] when there is no such selection.
    pub async fn update_selection(
        &mut self,
        row: &SelectionRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE selections
                SET status = $3, chosen_candidate_id = $4, decided_on = $5, decided_by = $6,
                    publicity_ends_on = $7, reported_on = $8, report_doc_no = $9,
                    updated_at = $10, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.status)
            .bind(&row.chosen_candidate_id)
            .bind(row.decided_on)
            .bind(&row.decided_by)
            .bind(row.publicity_ends_on)
            .bind(row.reported_on)
            .bind(&row.report_doc_no)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        self.cas_result("selections", "selection", &row.id, new_version)
            .await
    }

    /// Inserts a candidate
    pub async fn insert_candidate(&mut self, row: &CandidateRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO selection_candidates (
                    id, selection_id, org_id, credit_code, assessment, registered_by,
                    registered_at, assessed_by, assessed_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                "#,
            )
            .bind(&row.id)
            .bind(&row.selection_id)
            .bind(&row.org_id)
            .bind(&row.credit_code)
            .bind(&row.assessment)
            .bind(&row.registered_by)
            .bind(micros(row.registered_at))
            .bind(&row.assessed_by)
            .bind(row.assessed_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the candidates of a selection, in registration order
    pub async fn list_candidates(
        &mut self,
        selection_id: &str,
    ) -> Result<Vec<CandidateRow>, StoreError> {
        let sql = format!(
            "SELECT {CANDIDATE_COLUMNS} FROM selection_candidates \
             WHERE selection_id = $1 ORDER BY registered_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(selection_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Replaces a candidate's assessment (guard: the selection's CAS)
    pub async fn update_candidate_assessment(
        &mut self,
        row: &CandidateRow,
    ) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE selection_candidates SET assessment = $2, assessed_by = $3, \
                 assessed_at = $4 WHERE id = $1",
            )
            .bind(&row.id)
            .bind(&row.assessment)
            .bind(&row.assessed_by)
            .bind(row.assessed_at.map(micros))
            .execute(conn)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound {
                entity: "candidate",
                id: row.id.clone(),
            });
        }
        Ok(())
    }

    /// Inserts an objection
    pub async fn insert_objection(&mut self, row: &ObjectionRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO selection_objections (
                    id, selection_id, candidate_id, received_on, objector, content, status,
                    resolution, resolved_by, resolved_at, recorded_by, recorded_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                "#,
            )
            .bind(&row.id)
            .bind(&row.selection_id)
            .bind(&row.candidate_id)
            .bind(row.received_on)
            .bind(&row.objector)
            .bind(&row.content)
            .bind(&row.status)
            .bind(&row.resolution)
            .bind(&row.resolved_by)
            .bind(row.resolved_at.map(micros))
            .bind(&row.recorded_by)
            .bind(micros(row.recorded_at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the objections of a selection, oldest first
    pub async fn list_objections(
        &mut self,
        selection_id: &str,
    ) -> Result<Vec<ObjectionRow>, StoreError> {
        let sql = format!(
            "SELECT {OBJECTION_COLUMNS} FROM selection_objections \
             WHERE selection_id = $1 ORDER BY recorded_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(selection_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Records the resolution of a pending objection; a resolved one is a conflict
    pub async fn resolve_objection(&mut self, row: &ObjectionRow) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE selection_objections SET status = $2, resolution = $3, \
                 resolved_by = $4, resolved_at = $5 WHERE id = $1 AND status = 'pending'",
            )
            .bind(&row.id)
            .bind(&row.status)
            .bind(&row.resolution)
            .bind(&row.resolved_by)
            .bind(row.resolved_at.map(micros))
            .execute(conn)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Inserts a scenario
    pub async fn insert_scenario(&mut self, row: &ScenarioRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO scenarios (
                    id, regulator_org_id, sector, name, description, priority, status,
                    planned_by, filed_on, filing_ref, filed_by, created_at, updated_at, version
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                "#,
            )
            .bind(&row.id)
            .bind(&row.regulator_org_id)
            .bind(&row.sector)
            .bind(&row.name)
            .bind(&row.description)
            .bind(&row.priority)
            .bind(&row.status)
            .bind(&row.planned_by)
            .bind(row.filed_on)
            .bind(&row.filing_ref)
            .bind(&row.filed_by)
            .bind(micros(row.created_at))
            .bind(micros(row.updated_at))
            .bind(row.version)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Fetches one scenario by id
    pub async fn get_scenario(&mut self, id: &str) -> Result<Option<ScenarioRow>, StoreError> {
        let sql = format!("SELECT {SCENARIO_COLUMNS} FROM scenarios WHERE id = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Lists every scenario, oldest first
    pub async fn list_scenarios(&mut self) -> Result<Vec<ScenarioRow>, StoreError> {
        let sql = format!("SELECT {SCENARIO_COLUMNS} FROM scenarios ORDER BY created_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Writes the mutable fields of `row` if the scenario is still at
    /// `expected_version`; returns the new version
    pub async fn update_scenario(
        &mut self,
        row: &ScenarioRow,
        expected_version: i64,
    ) -> Result<i64, StoreError> {
        let new_version: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                r#"
                UPDATE scenarios
                SET status = $3, priority = $4, filed_on = $5, filing_ref = $6, filed_by = $7,
                    updated_at = $8, version = version + 1
                WHERE id = $1 AND version = $2
                RETURNING version
                "#,
            )
            .bind(&row.id)
            .bind(expected_version)
            .bind(&row.status)
            .bind(&row.priority)
            .bind(row.filed_on)
            .bind(&row.filing_ref)
            .bind(&row.filed_by)
            .bind(micros(row.updated_at))
            .fetch_optional(conn)
            .await?
        });
        self.cas_result("scenarios", "scenario", &row.id, new_version)
            .await
    }

    /// Inserts a plan submission
    pub async fn insert_scenario_plan(&mut self, row: &ScenarioPlanRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO scenario_plans (
                    id, scenario_id, round, operator_org_id, data_need, compliance_measures,
                    submitted_by, submitted_at, verdict, comments, reviewed_by, reviewed_at
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                "#,
            )
            .bind(&row.id)
            .bind(&row.scenario_id)
            .bind(row.round)
            .bind(&row.operator_org_id)
            .bind(&row.data_need)
            .bind(&row.compliance_measures)
            .bind(&row.submitted_by)
            .bind(micros(row.submitted_at))
            .bind(&row.verdict)
            .bind(&row.comments)
            .bind(&row.reviewed_by)
            .bind(row.reviewed_at.map(micros))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Lists the plan submissions of a scenario, by round
    pub async fn list_scenario_plans(
        &mut self,
        scenario_id: &str,
    ) -> Result<Vec<ScenarioPlanRow>, StoreError> {
        let sql = format!(
            "SELECT {PLAN_COLUMNS} FROM scenario_plans WHERE scenario_id = $1 ORDER BY round"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(scenario_id)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Records the review of an unreviewed plan; a reviewed one is a conflict
    pub async fn review_scenario_plan(&mut self, row: &ScenarioPlanRow) -> Result<(), StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "UPDATE scenario_plans SET verdict = $2, comments = $3, reviewed_by = $4, \
                 reviewed_at = $5 WHERE id = $1 AND verdict IS NULL",
            )
            .bind(&row.id)
            .bind(&row.verdict)
            .bind(&row.comments)
            .bind(&row.reviewed_by)
            .bind(row.reviewed_at.map(micros))
            .execute(conn)
            .await?
            .rows_affected()
        });
        if n == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }

    /// Turns the result of a compare-and-set into the new version, a
    /// conflict (the row exists) or not found.
    async fn cas_result(
        &mut self,
        table: &'static str,
        entity: &'static str,
        id: &str,
        new_version: Option<i64>,
    ) -> Result<i64, StoreError> {
        if let Some(version) = new_version {
            return Ok(version);
        }
        let sql = format!("SELECT version FROM {table} WHERE id = $1");
        let exists: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(conn)
                .await?
        });
        match exists {
            Some(_) => Err(StoreError::Conflict),
            None => Err(StoreError::NotFound {
                entity,
                id: id.to_owned(),
            }),
        }
    }
}
