//! Use cases of 评估与终止: the periodic evaluation of the operator by the
//! data bureau (S-7.2-3, this module) and the termination of the
//! authorization by the implementing agency (S-3.3.5, [`termination`]).
//!
//! Authorization: the data bureau records evaluations and checks
//! rectifications (`supervision.manage` on `Resource::Workflow { id:
//! "evaluation/<agreement>", applicant_org: <operator>, .. }`); the operator
//! reports its rectification (`workflow.submit` for its own organisation).
//! Results are read by the implementing agency, the data bureau and the
//! operator evaluated; others are refused.

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;
use gongshu_domain::evaluation::{
    self as ev, Evaluation, EvaluationCommand, EvaluationError, EvaluationStatus, Grade,
    RectificationInput, ScoreInput, Scorecard,
};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{EvaluationRow, StoreTx};
use serde::{Deserialize, Serialize};

use crate::agreements::{calendar, commit_with, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

pub mod destruction;
pub mod termination;

/// Input of `record_evaluation`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewEvaluation {
    /// The agreement under which the operator is evaluated.
    pub agreement_id: String,
    /// First day of the period.
    pub period_start: NaiveDate,
    /// Last day of the period.
    pub period_end: NaiveDate,
    /// The five indicator scores.
    #[serde(default)]
    pub scores: Vec<ScoreInput>,
    /// Findings (summary).
    pub findings: String,
    /// Rectification requirements and deadline.
    #[serde(default)]
    pub rectification: RectificationInput,
}

/// Input of `submit_rectification`.
#[derive(Debug, Clone, Deserialize)]
pub struct RectificationReport {
    /// What was rectified.
    pub report: String,
}

/// Input of `review_rectification`.
#[derive(Debug, Clone, Deserialize)]
pub struct RectificationReview {
    /// Accept (true) or return (false).
    pub accept: bool,
    /// Note; required when returning.
    #[serde(default)]
    pub note: Option<String>,
}

/// An evaluation as shown.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationView {
    /// Id.
    pub id: String,
    /// Agreement.
    pub agreement_id: String,
    /// Operator evaluated.
    pub operator_org_id: String,
    /// Period.
    pub period_start: NaiveDate,
    /// Period.
    pub period_end: NaiveDate,
    /// Date of the evaluation.
    pub evaluated_on: NaiveDate,
    /// Indicator scores.
    pub scores: serde_json::Value,
    /// Weighted total, e.g. `84.45`.
    pub total: String,
    /// Weighted total in hundredths.
    pub total_hundredths: i64,
    /// Grade code.
    pub grade: String,
    /// Grade in Chinese.
    pub grade_label: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Findings.
    pub findings: String,
    /// Rectification requirements.
    pub requirements: serde_json::Value,
    /// Rectification deadline.
    pub rectification_due_on: Option<NaiveDate>,
    /// The operator's report.
    pub rectification_report: Option<String>,
    /// When reported.
    pub rectification_submitted_on: Option<NaiveDate>,
    /// The data bureau's note.
    pub review_note: Option<String>,
    /// When accepted.
    pub rectification_accepted_on: Option<NaiveDate>,
    /// Whether, today, it refuses renewal (S-7.2-3).
    pub blocks_renewal: bool,
    /// Recorded by.
    pub evaluated_by: String,
    /// Optimistic-lock version.
    pub version: i64,
}

fn view(r: EvaluationRow, today: NaiveDate) -> EvaluationView {
    let blocks_renewal = domain(&r).is_some_and(|e| e.blocks_renewal(today));
    EvaluationView {
        total: ev::format_total(u32::try_from(r.total_hundredths).unwrap_or(0)),
        grade_label: Grade::parse(&r.grade)
            .map(|g| g.label_zh().to_owned())
            .unwrap_or_default(),
        status_label: EvaluationStatus::parse(&r.status)
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        scores: serde_json::from_str(&r.scores).unwrap_or(serde_json::Value::Null),
        requirements: serde_json::from_str(&r.requirements).unwrap_or(serde_json::Value::Null),
        blocks_renewal,
        id: r.id,
        agreement_id: r.agreement_id,
        operator_org_id: r.operator_org_id,
        period_start: r.period_start,
        period_end: r.period_end,
        evaluated_on: r.evaluated_on,
        total_hundredths: r.total_hundredths,
        grade: r.grade,
        status: r.status,
        findings: r.findings,
        rectification_due_on: r.rectification_due_on,
        rectification_report: r.rectification_report,
        rectification_submitted_on: r.rectification_submitted_on,
        review_note: r.review_note,
        rectification_accepted_on: r.rectification_accepted_on,
        evaluated_by: r.evaluated_by,
        version: r.version,
    }
}

fn domain(r: &EvaluationRow) -> Option<Evaluation> {
    Some(Evaluation {
        grade: Grade::parse(&r.grade)?,
        status: EvaluationStatus::parse(&r.status)?,
        due_on: r.rectification_due_on,
        submitted_on: r.rectification_submitted_on,
    })
}

/// An evaluation refusal: input errors 422 with the field, others 409.
fn refused(e: &EvaluationError) -> AppError {
    if e.is_input_error() {
        AppError::Validation(vec![FieldError::new(&e.field(), e.code(), e.message_zh())])
    } else {
        AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        }
    }
}

pub(crate) fn workflow_of(
    kind: &str,
    subject: &str,
    operator_org: &str,
    submitted_by: &str,
) -> Result<Resource, AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok(Resource::Workflow {
        id: format!("{kind}/{subject}"),
        applicant_org: OrgId::parse(operator_org).map_err(bad)?,
        submitted_by: UserId::parse(submitted_by).map_err(bad)?,
        parties: vec![],
    })
}

/// Results are read by the implementing agency, the data bureau and the
/// operator concerned.
pub(crate) fn may_read(actor: &Actor, operator_org: &str) -> bool {
    actor.org_id == operator_org
        || matches!(
            actor.org_kind,
            OrgKind::ImplementingAgency | OrgKind::DataBureau
        )
}

fn forbidden_read() -> AppError {
    AppError::Forbidden {
        action: "evaluation.read".into(),
        policy_ids: Vec::new(),
    }
}

fn audit(action: &'static str, actor: &Actor, id: &str, decided: Vec<String>) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("evaluation", id)
        .decided_by(decided)
}

async fn load(app: &App, id: &str) -> Result<EvaluationRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_evaluation(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound { what: "evaluation" })
}

async fn reload(tx: &mut StoreTx, seen: &EvaluationRow) -> Result<EvaluationRow, AppError> {
    let row = tx
        .get_evaluation(&seen.id)
        .await?
        .ok_or(AppError::NotFound { what: "evaluation" })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

fn text(raw: &str, field: &'static str) -> Result<String, AppError> {
    ev::text(raw, field).map_err(|e| refused(&e))
}

/// Records an evaluation of the operator (S-7.2-3): the five scores,
/// weights summing to 100, the computed total and grade, findings, and
/// rectification requirements with their deadline (required for 不合格).
pub async fn record_evaluation(
    app: &App,
    actor: &Actor,
    input: &NewEvaluation,
) -> Result<EvaluationView, AppError> {
    let today = today(app);
    let cal = calendar()?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut push = |e: &EvaluationError| {
        errors.push(FieldError::new(&e.field(), e.code(), e.message_zh()));
    };
    let card = Scorecard::parse(&input.scores)
        .map_err(|es| es.iter().for_each(&mut push))
        .ok();
    if let Err(e) = ev::check_period(input.period_start, input.period_end, today) {
        push(&e);
    }
    let findings = ev::text(&input.findings, "findings")
        .map_err(|e| push(&e))
        .ok();
    let rectification = card.as_ref().and_then(|c| {
        ev::rectification(c.grade(), &input.rectification, today, &cal)
            .map_err(|e| push(&e))
            .ok()
    });
    let (Some(card), Some(findings), Some(rectification), true) =
        (card, findings, rectification, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let agreement = {
        let mut tx = app.store().begin_read().await?;
        let a = tx.get_agreement(&input.agreement_id).await?;
        tx.commit().await?;
        a.ok_or(AppError::NotFound { what: "agreement" })?
    };
    let decided = app
        .authorize(
            actor,
            Action::SupervisionManage,
            &workflow_of(
                "evaluation",
                &agreement.id,
                &agreement.operator_org_id,
                &actor.user_id,
            )?,
        )
        .await?;
    let now = app.clock().now();
    let id = new_id();
    let grade = card.grade();
    let row = EvaluationRow {
        id: id.clone(),
        agreement_id: agreement.id.clone(),
        operator_org_id: agreement.operator_org_id.clone(),
        period_start: input.period_start,
        period_end: input.period_end,
        evaluated_on: today,
        scores: json(&card.scores().to_vec())?,
        total_hundredths: i64::from(card.total_hundredths()),
        grade: grade.as_str().to_owned(),
        status: if rectification.is_some() {
            EvaluationStatus::Rectifying
        } else {
            EvaluationStatus::Completed
        }
        .as_str()
        .to_owned(),
        findings,
        requirements: json(
            &rectification
                .as_ref()
                .map(|r| r.requirements.clone())
                .unwrap_or_default(),
        )?,
        rectification_due_on: rectification.as_ref().map(|r| r.due_on),
        rectification_report: None,
        rectification_submitted_on: None,
        rectification_submitted_by: None,
        review_note: None,
        rectification_accepted_on: None,
        evaluated_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_evaluation(&row).await?;
        Ok(
            audit("evaluation.recorded", actor, &id, decided).details(serde_json::json!({
                "agreement_id": row.agreement_id,
                "operator_org_id": row.operator_org_id,
                "period_start": row.period_start,
                "period_end": row.period_end,
                "total_hundredths": row.total_hundredths,
                "grade": row.grade,
                "rectification_due_on": row.rectification_due_on,
            })),
        )
    })
    .await?;
    get_evaluation(app, actor, &id).await
}

pub(crate) fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

/// The operator reports its rectification (`workflow.submit` for its own
/// organisation).
pub async fn submit_rectification(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &RectificationReport,
) -> Result<EvaluationView, AppError> {
    let report = text(&input.report, "report")?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &workflow_of(
                "evaluation",
                &seen.agreement_id,
                &seen.operator_org_id,
                &actor.user_id,
            )?,
        )
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let status = EvaluationStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal("bad evaluation status".into()))?;
        let next = status
            .apply(EvaluationCommand::SubmitRectification)
            .map_err(|e| refused(&e))?;
        row.status = next.as_str().to_owned();
        row.rectification_report = Some(report.clone());
        row.rectification_submitted_on = Some(today);
        row.rectification_submitted_by = Some(actor.user_id.clone());
        row.updated_at = now;
        tx.update_evaluation(&row, seen.version).await?;
        let late = row.rectification_due_on.is_some_and(|d| today > d);
        Ok(
            audit("evaluation.rectification_submitted", actor, id, decided)
                .details(serde_json::json!({ "submitted_on": today, "late": late })),
        )
    })
    .await?;
    get_evaluation(app, actor, id).await
}

/// The data bureau accepts the rectification or returns it with a note.
pub async fn review_rectification(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &RectificationReview,
) -> Result<EvaluationView, AppError> {
    let note = match (&input.note, input.accept) {
        (Some(n), _) => Some(text(n, "note")?),
        (None, true) => None,
        (None, false) => return Err(refused(&EvaluationError::TextInvalid { field: "note" })),
    };
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::SupervisionManage,
            &workflow_of(
                "evaluation",
                &seen.agreement_id,
                &seen.operator_org_id,
                &actor.user_id,
            )?,
        )
        .await?;
    let today = today(app);
    let now = app.clock().now();
    let (command, action) = if input.accept {
        (
            EvaluationCommand::AcceptRectification,
            "evaluation.rectification_accepted",
        )
    } else {
        (
            EvaluationCommand::ReturnRectification,
            "evaluation.rectification_returned",
        )
    };
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let status = EvaluationStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal("bad evaluation status".into()))?;
        let next = status.apply(command).map_err(|e| refused(&e))?;
        row.status = next.as_str().to_owned();
        row.review_note = note.clone();
        if input.accept {
            row.rectification_accepted_on = Some(today);
        } else {
            // A returned report does not count: the next one's date does.
            row.rectification_submitted_on = None;
        }
        row.updated_at = now;
        tx.update_evaluation(&row, seen.version).await?;
        Ok(
            audit(action, actor, id, decided).details(serde_json::json!({
                "reviewed_on": today,
                "submitted_on": seen.rectification_submitted_on,
                "due_on": row.rectification_due_on,
            })),
        )
    })
    .await?;
    get_evaluation(app, actor, id).await
}

/// One evaluation.
pub async fn get_evaluation(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<EvaluationView, AppError> {
    let row = load(app, id).await?;
    if !may_read(actor, &row.operator_org_id) {
        return Err(forbidden_read());
    }
    Ok(view(row, today(app)))
}

/// Evaluations the actor may read, oldest first; of one agreement when given.
pub async fn list_evaluations(
    app: &App,
    actor: &Actor,
    agreement_id: Option<&str>,
) -> Result<Vec<EvaluationView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_evaluations(agreement_id).await?;
    tx.commit().await?;
    let today = today(app);
    Ok(rows
        .into_iter()
        .filter(|r| may_read(actor, &r.operator_org_id))
        .map(|r| view(r, today))
        .collect())
}

/// The first 不合格 evaluation of `operator_org` that, on `today`, was not
/// rectified by its deadline (id, deadline): it refuses renewal (S-7.2-3).
pub(crate) async fn unrectified_failure(
    tx: &mut StoreTx,
    operator_org: &str,
    today: NaiveDate,
) -> Result<Option<(String, NaiveDate)>, AppError> {
    let rows = tx.list_evaluations(None).await?;
    Ok(rows
        .iter()
        .filter(|r| r.operator_org_id == operator_org)
        .find_map(|r| {
            let e = domain(r)?;
            e.blocks_renewal(today)
                .then(|| e.due_on.map(|d| (r.id.clone(), d)))
                .flatten()
        }))
}

/// Open obligations of this workflow for the inbox: the operator's
/// rectification of each evaluation still to rectify (S-7.2-3), and the
/// filing with the city of each termination in effect (S-3.3.5, the
/// implementing agency acts).
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let mut tx = app.store().begin_read().await?;
    let evaluations = tx.list_evaluations(None).await?;
    tx.commit().await?;
    let mut out = Vec::new();
    for r in &evaluations {
        if r.status == EvaluationStatus::Rectifying.as_str()
            && let Some(due_on) = r.rectification_due_on
        {
            out.push(Obligation {
                kind: "evaluation.rectification".into(),
                title_zh: "按运营评估要求限期整改".into(),
                rule: "S-7.2-3".into(),
                subject_type: "evaluation".into(),
                subject_id: r.id.clone(),
                responsible_org: r.operator_org_id.clone(),
                started_on: r.evaluated_on,
                due_on,
            });
        }
    }
    out.extend(termination::open_obligations(app).await?);
    Ok(out)
}
