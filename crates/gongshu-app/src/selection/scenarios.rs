//! Use cases of the application scenarios (应用场景, S-6.3, S-2.1). See the
//! parent module for authorization and audit codes.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::scenario::{
    self as dom, MAX_NAME_CHARS, MAX_TEXT_CHARS, ScenarioCommand, ScenarioError, ScenarioStatus,
    Verdict,
};
use gongshu_domain::{DomainError as _, OrgId, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{ScenarioPlanRow, ScenarioRow, StoreTx};
use serde::{Deserialize, Serialize};

use super::{commit_with, deny, event, refused, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, new_id};

/// Longest filing reference, in characters.
const MAX_REF_CHARS: usize = 200;

/// Input of `plan_scenario`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewScenario {
    /// Name.
    pub name: String,
    /// What the scenario is for.
    pub description: String,
    /// `high`, `medium` or `low`.
    pub priority: String,
}

/// Input of `submit_plan`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlanInput {
    /// Data need (datasets, fields, volume; minimum and necessary).
    pub data_need: String,
    /// Compliance measures (security, personal information, egress).
    pub compliance_measures: String,
}

/// Input of `review_plan`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReviewInput {
    /// `approve` or `return`.
    pub verdict: String,
    /// Written feedback (required).
    pub comments: Option<String>,
}

/// Input of `file_scenario`.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFilingInput {
    /// Filing date.
    pub filed_on: NaiveDate,
    /// Filing reference of the data bureau.
    pub filing_ref: String,
}

/// A plan submission as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    /// Id.
    pub id: String,
    /// Round.
    pub round: i64,
    /// Operator.
    pub operator_org_id: String,
    /// Data need.
    pub data_need: String,
    /// Compliance measures.
    pub compliance_measures: String,
    /// Submitted by.
    pub submitted_by: String,
    /// Submitted at.
    pub submitted_at: DateTime<Utc>,
    /// `approve` / `return` once reviewed.
    pub verdict: Option<String>,
    /// Written feedback.
    pub comments: Option<String>,
    /// Reviewer.
    pub reviewed_by: Option<String>,
}

/// A scenario as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioView {
    /// Id.
    pub id: String,
    /// Planning sector regulator.
    pub regulator_org_id: String,
    /// Sector.
    pub sector: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Priority code.
    pub priority: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Whether it is an approved (filed) scenario (S-2.1).
    pub filed: bool,
    /// Planned by.
    pub planned_by: String,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Filing reference.
    pub filing_ref: Option<String>,
    /// Who recorded the filing.
    pub filed_by: Option<String>,
    /// Version.
    pub version: i64,
    /// Plan submissions, by round.
    pub plans: Vec<PlanView>,
}

fn view(r: ScenarioRow, plans: Vec<ScenarioPlanRow>) -> ScenarioView {
    let status = r.status.parse::<ScenarioStatus>().ok();
    ScenarioView {
        status_label: status.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        filed: status.is_some_and(ScenarioStatus::is_filed),
        id: r.id,
        regulator_org_id: r.regulator_org_id,
        sector: r.sector,
        name: r.name,
        description: r.description,
        priority: r.priority,
        status: r.status,
        planned_by: r.planned_by,
        filed_on: r.filed_on,
        filing_ref: r.filing_ref,
        filed_by: r.filed_by,
        version: r.version,
        plans: plans
            .into_iter()
            .map(|p| PlanView {
                id: p.id,
                round: p.round,
                operator_org_id: p.operator_org_id,
                data_need: p.data_need,
                compliance_measures: p.compliance_measures,
                submitted_by: p.submitted_by,
                submitted_at: p.submitted_at,
                verdict: p.verdict,
                comments: p.comments,
                reviewed_by: p.reviewed_by,
            })
            .collect(),
    }
}

fn err(e: &ScenarioError) -> AppError {
    refused(e, e.is_input_error(), e.field())
}

fn status(row: &ScenarioRow) -> Result<ScenarioStatus, AppError> {
    row.status
        .parse()
        .map_err(|e: gongshu_domain::CodeError| AppError::Internal(e.to_string()))
}

fn resource(id: String, applicant: &str, by: &str, parties: &[&str]) -> Result<Resource, AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok(Resource::Workflow {
        id,
        applicant_org: OrgId::parse(applicant).map_err(bad)?,
        submitted_by: UserId::parse(by).map_err(bad)?,
        parties: parties
            .iter()
            .map(|p| OrgId::parse(p).map_err(bad))
            .collect::<Result<_, _>>()?,
    })
}

async fn load(app: &App, id: &str) -> Result<(ScenarioRow, Vec<ScenarioPlanRow>), AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_scenario(id).await?;
    let plans = tx.list_scenario_plans(id).await?;
    tx.commit().await?;
    Ok((row.ok_or(AppError::NotFound { what: "scenario" })?, plans))
}

async fn reload(tx: &mut StoreTx, seen: &ScenarioRow) -> Result<ScenarioRow, AppError> {
    let row = tx
        .get_scenario(&seen.id)
        .await?
        .ok_or(AppError::NotFound { what: "scenario" })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

/// One scenario with its plan submissions.
pub async fn get_scenario(app: &App, _actor: &Actor, id: &str) -> Result<ScenarioView, AppError> {
    let (row, plans) = load(app, id).await?;
    Ok(view(row, plans))
}

/// Every scenario, oldest first (without plans).
pub async fn list_scenarios(app: &App, _actor: &Actor) -> Result<Vec<ScenarioView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_scenarios().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| view(r, vec![])).collect())
}

/// Whether `scenario_id` is an approved scenario: its plan was approved by
/// the sector regulator and filed with the data bureau (S-2.1). An unknown
/// id is not one.
pub async fn is_filed_scenario(app: &App, scenario_id: &str) -> Result<bool, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_scenario(scenario_id).await?;
    tx.commit().await?;
    Ok(row.is_some_and(|r| r.status.parse().is_ok_and(ScenarioStatus::is_filed)))
}

/// A sector regulator plans a scenario of its sector with a priority (S-6.3).
pub async fn plan_scenario(
    app: &App,
    actor: &Actor,
    input: &NewScenario,
) -> Result<ScenarioView, AppError> {
    let mut fields = Vec::new();
    let mut check = |r: Result<String, ScenarioError>| {
        r.map_err(|e| fields.push(FieldError::new(e.field(), e.code(), e.message_zh())))
            .ok()
    };
    let name = check(dom::text(&input.name, "name", MAX_NAME_CHARS));
    let description = check(dom::text(&input.description, "description", MAX_TEXT_CHARS));
    let priority = check(dom::parse_priority(&input.priority).map(|p| p.as_str().to_owned()));
    let (Some(name), Some(description), Some(priority)) = (name, description, priority) else {
        return Err(AppError::Validation(fields));
    };
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(format!("scenario/{id}"), &actor.org_id, &actor.user_id, &[])?,
        )
        .await?;
    let mut tx = app.store().begin_read().await?;
    let org = tx.get_organisation(&actor.org_id).await?;
    tx.commit().await?;
    let sector = org.and_then(|o| o.sector);
    dom::check_planner(actor.org_kind, sector.is_some()).map_err(|e| err(&e))?;
    let now = app.clock().now();
    let row = ScenarioRow {
        id: id.clone(),
        regulator_org_id: actor.org_id.clone(),
        sector: sector.unwrap_or_default(),
        name,
        description,
        priority,
        status: ScenarioStatus::Planned.as_str().to_owned(),
        planned_by: actor.user_id.clone(),
        filed_on: None,
        filing_ref: None,
        filed_by: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_scenario(&row).await?;
        Ok(
            event("scenario.planned", actor, ("scenario", &id), decided).details(
                serde_json::json!({
                    "name": row.name,
                    "sector": row.sector,
                    "priority": row.priority,
                }),
            ),
        )
    })
    .await?;
    get_scenario(app, actor, &id).await
}

/// The operator submits (or resubmits after a return) its plan for a
/// planned scenario: data need and compliance measures (S-6.3).
pub async fn submit_plan(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &PlanInput,
) -> Result<ScenarioView, AppError> {
    let mut fields = Vec::new();
    let mut check = |r: Result<String, ScenarioError>| {
        r.map_err(|e| fields.push(FieldError::new(e.field(), e.code(), e.message_zh())))
            .ok()
    };
    let need = check(dom::text(&input.data_need, "data_need", MAX_TEXT_CHARS));
    let measures = check(dom::text(
        &input.compliance_measures,
        "compliance_measures",
        MAX_TEXT_CHARS,
    ));
    let (Some(need), Some(measures)) = (need, measures) else {
        return Err(AppError::Validation(fields));
    };
    let (seen, plans) = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(format!("scenario/{id}"), &actor.org_id, &actor.user_id, &[])?,
        )
        .await?;
    dom::check_plan_submitter(actor.org_kind).map_err(|e| err(&e))?;
    let now = app.clock().now();
    let plan = ScenarioPlanRow {
        id: new_id(),
        scenario_id: id.to_owned(),
        round: i64::try_from(plans.len())
            .unwrap_or(i64::MAX)
            .saturating_add(1),
        operator_org_id: actor.org_id.clone(),
        data_need: need,
        compliance_measures: measures,
        submitted_by: actor.user_id.clone(),
        submitted_at: now,
        verdict: None,
        comments: None,
        reviewed_by: None,
        reviewed_at: None,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let next = status(&row)?
            .apply(ScenarioCommand::SubmitPlan)
            .map_err(|e| err(&e))?;
        row.status = next.as_str().to_owned();
        row.updated_at = now;
        tx.update_scenario(&row, seen.version).await?;
        tx.insert_scenario_plan(&plan).await?;
        Ok(
            event("scenario.plan_submitted", actor, ("scenario", id), decided)
                .details(serde_json::json!({ "plan_id": plan.id, "round": plan.round })),
        )
    })
    .await?;
    get_scenario(app, actor, id).await
}

/// The sector regulator that planned the scenario reviews the current plan
/// with written feedback: approve or return (S-6.3).
pub async fn review_plan(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ReviewInput,
) -> Result<ScenarioView, AppError> {
    let verdict = dom::parse_verdict(&input.verdict).map_err(|e| err(&e));
    let comments = dom::comments(input.comments.as_deref()).map_err(|e| err(&e));
    let (verdict, comments) = match (verdict, comments) {
        (Ok(v), Ok(c)) => (v, c),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            return Err(AppError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let (seen, plans) = load(app, id).await?;
    let Some(plan) = plans.last().cloned() else {
        return Err(err(&ScenarioError::InvalidTransition {
            from: status(&seen)?,
            command: ScenarioCommand::Approve,
        }));
    };
    let action = Action::WorkflowReview;
    let decided = app
        .authorize(
            actor,
            action,
            &resource(
                format!("scenario_plan/{}", plan.id),
                &plan.operator_org_id,
                &plan.submitted_by,
                &[&seen.regulator_org_id],
            )?,
        )
        .await?;
    if actor.org_id != seen.regulator_org_id {
        return Err(deny(
            app,
            actor,
            action,
            ("scenario", id),
            "scenario.reviewer_not_sector_regulator",
            "场景方案由规划该场景的行业主管部门审核（S-6.3）".to_owned(),
        )
        .await);
    }
    let command = match verdict {
        Verdict::Approve => ScenarioCommand::Approve,
        Verdict::Return => ScenarioCommand::Return,
    };
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let next = status(&row)?.apply(command).map_err(|e| err(&e))?;
        row.status = next.as_str().to_owned();
        row.updated_at = now;
        let mut reviewed = plan.clone();
        reviewed.verdict = Some(verdict.as_str().to_owned());
        reviewed.comments = Some(comments.clone());
        reviewed.reviewed_by = Some(actor.user_id.clone());
        reviewed.reviewed_at = Some(now);
        tx.update_scenario(&row, seen.version).await?;
        tx.review_scenario_plan(&reviewed).await?;
        Ok(
            event("scenario.plan_reviewed", actor, ("scenario", id), decided).details(
                serde_json::json!({
                    "plan_id": reviewed.id,
                    "round": reviewed.round,
                    "verdict": verdict.as_str(),
                    "comments": comments,
                }),
            ),
        )
    })
    .await?;
    get_scenario(app, actor, id).await
}

/// The data bureau records the filing of an approved scenario plan; only a
/// filed scenario is an approved scenario (S-2.1).
pub async fn file_scenario(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ScenarioFilingInput,
) -> Result<ScenarioView, AppError> {
    let filing_ref =
        dom::text(&input.filing_ref, "filing_ref", MAX_REF_CHARS).map_err(|e| err(&e))?;
    let (seen, plans) = load(app, id).await?;
    let (applicant, by) = plans
        .last()
        .map_or((&seen.regulator_org_id, &seen.planned_by), |p| {
            (&p.operator_org_id, &p.submitted_by)
        });
    let decided = app
        .authorize(
            actor,
            Action::SupervisionManage,
            &resource(format!("scenario/{id}"), applicant, by, &[])?,
        )
        .await?;
    let today = today(app);
    if input.filed_on > today {
        return Err(AppError::Validation(vec![FieldError::new(
            "filed_on",
            "scenario.date_in_future",
            format!("备案日期 {} 晚于今日 {today}（S-2.1）", input.filed_on),
        )]));
    }
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let next = status(&row)?
            .apply(ScenarioCommand::File)
            .map_err(|e| err(&e))?;
        row.status = next.as_str().to_owned();
        row.filed_on = Some(input.filed_on);
        row.filing_ref = Some(filing_ref.clone());
        row.filed_by = Some(actor.user_id.clone());
        row.updated_at = now;
        tx.update_scenario(&row, seen.version).await?;
        Ok(event("scenario.filed", actor, ("scenario", id), decided)
            .details(serde_json::json!({ "filed_on": input.filed_on, "filing_ref": filing_ref })))
    })
    .await?;
    get_scenario(app, actor, id).await
}

/// The planning sector regulator withdraws a scenario that has no plan
/// under review or approved (S-6.3).
pub async fn cancel_scenario(app: &App, actor: &Actor, id: &str) -> Result<ScenarioView, AppError> {
    let (seen, _) = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(
                format!("scenario/{id}"),
                &seen.regulator_org_id,
                &seen.planned_by,
                &[],
            )?,
        )
        .await?;
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let from = row.status.clone();
        let next = status(&row)?
            .apply(ScenarioCommand::Cancel)
            .map_err(|e| err(&e))?;
        row.status = next.as_str().to_owned();
        row.updated_at = now;
        tx.update_scenario(&row, seen.version).await?;
        Ok(
            event("scenario.cancelled", actor, ("scenario", id), decided)
                .details(serde_json::json!({ "from_status": from })),
        )
    })
    .await?;
    get_scenario(app, actor, id).await
}
