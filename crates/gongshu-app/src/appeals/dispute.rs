//! Disputes (争议协调, S-2.5a): a data source unit or the operator raises a
//! dispute over authorization or use against the other; the implementing
//! agency coordinates, may commission a third-party assessment and
//! resolves it with an outcome.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::appeal::{
    AppealError, AppealLimits, DISPUTE_RULE, DisputeCommand, DisputeStatus, DisputeSubject,
    check_dispute_parties,
};
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::review::ReviewText;
use gongshu_domain::{OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::DisputeRow;
use serde::{Deserialize, Serialize};

use super::{calendar, code, refused, supervises, text, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `raise_dispute`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDispute {
    /// The other side (the operator, or a data source unit).
    pub against_org: String,
    /// `authorization` or `use`.
    pub subject: String,
    /// What is disputed.
    pub description: String,
}

/// Input of `commission_assessment`.
#[derive(Debug, Clone, Deserialize)]
pub struct CommissionAssessment {
    /// Third-party body (第三方评估机构).
    pub body: String,
    /// Date of the commission.
    pub commissioned_on: NaiveDate,
}

/// Input of `record_assessment`.
#[derive(Debug, Clone, Deserialize)]
pub struct RecordAssessment {
    /// Reference of the report (报告编号).
    pub report_ref: String,
    /// Date of the report.
    pub reported_on: NaiveDate,
}

/// Input of `resolve_dispute`.
#[derive(Debug, Clone, Deserialize)]
pub struct ResolveDispute {
    /// Outcome of the coordination (协调结果).
    pub outcome: String,
}

/// A dispute as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DisputeView {
    /// Id.
    pub id: String,
    /// Raising organisation.
    pub raised_by_org: String,
    /// Raising user.
    pub raised_by: String,
    /// When raised.
    pub raised_at: DateTime<Utc>,
    /// The other side.
    pub against_org: String,
    /// Subject code.
    pub subject: String,
    /// Description.
    pub description: String,
    /// Handling deadline.
    pub due_on: Option<NaiveDate>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Assessment body.
    pub assessment_body: Option<String>,
    /// Commission date.
    pub assessment_commissioned_on: Option<NaiveDate>,
    /// Report reference.
    pub assessment_report_ref: Option<String>,
    /// Report date.
    pub assessment_reported_on: Option<NaiveDate>,
    /// Outcome.
    pub outcome: Option<String>,
    /// Resolving user.
    pub resolved_by: Option<String>,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

fn view(r: DisputeRow) -> DisputeView {
    DisputeView {
        status_label: r
            .status
            .parse::<DisputeStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        id: r.id,
        raised_by_org: r.raised_by_org,
        raised_by: r.raised_by,
        raised_at: r.raised_at,
        against_org: r.against_org,
        subject: r.subject,
        description: r.description,
        due_on: r.due_on,
        status: r.status,
        assessment_body: r.assessment_body,
        assessment_commissioned_on: r.assessment_commissioned_on,
        assessment_report_ref: r.assessment_report_ref,
        assessment_reported_on: r.assessment_reported_on,
        outcome: r.outcome,
        resolved_by: r.resolved_by,
        resolved_at: r.resolved_at,
        version: r.version,
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn resource(
    id: &str,
    raised_by_org: &str,
    raised_by: &str,
    against: &str,
) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("dispute/{id}"),
        applicant_org: OrgId::parse(raised_by_org).map_err(internal)?,
        submitted_by: UserId::parse(raised_by).map_err(internal)?,
        parties: OrgId::parse(against).into_iter().collect(),
    })
}

/// Raises a dispute (提出争议), by a data source unit against the operator
/// or the other way round.
pub async fn raise_dispute(
    app: &App,
    actor: &Actor,
    input: &NewDispute,
) -> Result<DisputeView, AppError> {
    let mut errors = Vec::new();
    let subject = code::<DisputeSubject>(&mut errors, "subject", &input.subject);
    let description = text(
        &mut errors,
        "description",
        &input.description,
        ReviewText::LONG,
    );
    let against = match OrgId::parse(input.against_org.trim()) {
        Ok(o) => Some(o.to_string()),
        Err(e) => {
            use gongshu_domain::DomainError as _;
            errors.push(FieldError::new("against_org", e.code(), e.message_zh()));
            None
        }
    };
    let (Some(subject), Some(description), Some(against), true) =
        (subject, description, against, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let against_row = {
        let mut tx = app.store().begin_read().await?;
        let row = tx.get_organisation(&against).await?;
        tx.commit().await?;
        row.ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "against_org",
                "dispute.org_not_found",
                format!("未找到争议相对方（{DISPUTE_RULE}）"),
            )])
        })?
    };
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(&id, &actor.org_id, &actor.user_id, &against)?,
        )
        .await?;
    let against_kind = against_row.kind.parse::<OrgKind>().map_err(internal)?;
    check_dispute_parties(actor.org_kind, against_kind).map_err(|e| refused(&e))?;
    let cal = calendar()?;
    let due_on = due_in_working_days(
        &cal,
        today(app),
        AppealLimits::default().dispute_working_days,
    )
    .ok();
    let row = DisputeRow {
        id: id.clone(),
        raised_by_org: actor.org_id.clone(),
        raised_by: actor.user_id.clone(),
        raised_at: app.clock().now(),
        against_org: against,
        subject: subject.as_str().to_owned(),
        description,
        due_on,
        status: DisputeStatus::Open.as_str().to_owned(),
        assessment_body: None,
        assessment_commissioned_on: None,
        assessment_report_ref: None,
        assessment_reported_on: None,
        outcome: None,
        resolved_by: None,
        resolved_at: None,
        version: 1,
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_dispute(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("dispute.raised")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("dispute", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": DISPUTE_RULE,
            "subject": subject.as_str(),
            "against_org": row.against_org,
            "due_on": due_on,
        }));
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

/// The agency's coordination step: authorizes `governance.manage`, applies
/// `command`, lets `edit` fill the step's fields, writes with
/// compare-and-set and audits `action` with `details`.
async fn coordinate(
    app: &App,
    actor: &Actor,
    id: &str,
    command: DisputeCommand,
    action: &'static str,
    details: serde_json::Value,
    edit: impl FnOnce(&mut DisputeRow),
) -> Result<DisputeView, AppError> {
    let row = {
        let mut tx = app.store().begin_read().await?;
        let row = tx.get_dispute(id).await?;
        tx.commit().await?;
        row.ok_or(AppError::NotFound { what: "dispute" })?
    };
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &resource(id, &row.raised_by_org, &row.raised_by, &row.against_org)?,
        )
        .await?;
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut row = tx
            .get_dispute(id)
            .await?
            .ok_or(AppError::NotFound { what: "dispute" })?;
        let from = row.status.parse::<DisputeStatus>().map_err(internal)?;
        let to = from
            .apply(command)
            .map_err(|t| refused(&AppealError::DisputeTransition(t)))?;
        let expected = row.version;
        row.status = to.as_str().to_owned();
        edit(&mut row);
        tx.update_dispute(&row, expected).await?;
        row.version = expected + 1;
        Ok::<_, AppError>(row)
    }
    .await;
    let row = match result {
        Ok(r) => r,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let mut details = details;
    details["rule"] = DISPUTE_RULE.into();
    details["status"] = row.status.clone().into();
    let event = AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("dispute", id)
        .decided_by(decided)
        .details(details);
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

/// The agency commissions a third-party assessment (委托第三方评估).
pub async fn commission_assessment(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &CommissionAssessment,
) -> Result<DisputeView, AppError> {
    let mut errors = Vec::new();
    let body = text(&mut errors, "body", &input.body, ReviewText::SHORT);
    let (Some(body), true) = (body, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let on = input.commissioned_on;
    let details = serde_json::json!({ "body": body, "commissioned_on": on });
    coordinate(
        app,
        actor,
        id,
        DisputeCommand::CommissionAssessment,
        "dispute.assessment_commissioned",
        details,
        |r| {
            r.assessment_body = Some(body);
            r.assessment_commissioned_on = Some(on);
        },
    )
    .await
}

/// The agency records the assessment report (登记评估报告).
pub async fn record_assessment(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &RecordAssessment,
) -> Result<DisputeView, AppError> {
    let mut errors = Vec::new();
    let report_ref = text(
        &mut errors,
        "report_ref",
        &input.report_ref,
        ReviewText::SHORT,
    );
    let (Some(report_ref), true) = (report_ref, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let on = input.reported_on;
    let details = serde_json::json!({ "report_ref": report_ref, "reported_on": on });
    coordinate(
        app,
        actor,
        id,
        DisputeCommand::RecordAssessment,
        "dispute.assessment_recorded",
        details,
        |r| {
            r.assessment_report_ref = Some(report_ref);
            r.assessment_reported_on = Some(on);
        },
    )
    .await
}

/// The agency resolves the dispute with an outcome (协调结案).
pub async fn resolve_dispute(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ResolveDispute,
) -> Result<DisputeView, AppError> {
    let mut errors = Vec::new();
    let outcome = text(&mut errors, "outcome", &input.outcome, ReviewText::LONG);
    let (Some(outcome), true) = (outcome, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = app.clock().now();
    let by = actor.user_id.clone();
    let details = serde_json::json!({ "outcome": outcome });
    coordinate(
        app,
        actor,
        id,
        DisputeCommand::Resolve,
        "dispute.resolved",
        details,
        |r| {
            r.outcome = Some(outcome);
            r.resolved_by = Some(by);
            r.resolved_at = Some(now);
        },
    )
    .await
}

fn visible(actor: &Actor, r: &DisputeRow) -> bool {
    supervises(actor) || r.raised_by_org == actor.org_id || r.against_org == actor.org_id
}

/// One dispute, for both sides and the supervisors.
pub async fn get_dispute(app: &App, actor: &Actor, id: &str) -> Result<DisputeView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_dispute(id).await?;
    tx.commit().await?;
    match row {
        Some(r) if visible(actor, &r) => Ok(view(r)),
        _ => Err(AppError::NotFound { what: "dispute" }),
    }
}

/// The disputes the actor may see, oldest first.
pub async fn list_disputes(app: &App, actor: &Actor) -> Result<Vec<DisputeView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_disputes().await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|r| visible(actor, r))
        .map(view)
        .collect())
}
