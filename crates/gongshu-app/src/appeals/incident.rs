//! Security incidents (安全事件, S-3.3.4; REQUIREMENTS.md §8.2): recorded by
//! the organisation concerned or by the data bureau, with a reporting
//! obligation of the organisation concerned; the bureau closes the incident
//! once the report is in.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::inspection::{
    INCIDENT_REPORT_WORKING_DAYS, INCIDENT_RULE, IncidentCategory, IncidentCommand,
    IncidentSeverity, IncidentStatus, InspectionError,
};
use gongshu_domain::review::ReviewText;
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::IncidentRow;
use serde::{Deserialize, Serialize};

use super::{calendar, code, refused, supervises, text, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `record_incident`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewIncident {
    /// Organisation concerned; the reporter's own when absent (required
    /// when the data bureau records).
    #[serde(default)]
    pub concerned_org: Option<String>,
    /// An `IncidentCategory` code.
    pub category: String,
    /// An `IncidentSeverity` code.
    pub severity: String,
    /// When it was discovered.
    pub discovered_at: DateTime<Utc>,
    /// Data affected (受影响数据).
    pub affected_data: String,
    /// Measures taken (已采取措施).
    pub measures: String,
}

/// Input of `file_incident_report`.
#[derive(Debug, Clone, Deserialize)]
pub struct IncidentReport {
    /// The report (处置情况报告).
    pub report: String,
}

/// Input of `close_incident`.
#[derive(Debug, Clone, Deserialize)]
pub struct CloseIncident {
    /// Note of the bureau.
    #[serde(default)]
    pub note: Option<String>,
}

/// An incident as shown.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentView {
    /// Id.
    pub id: String,
    /// Organisation concerned.
    pub concerned_org: String,
    /// Recording organisation.
    pub recorded_by_org: String,
    /// When recorded.
    pub recorded_at: DateTime<Utc>,
    /// Category code.
    pub category: String,
    /// Severity code.
    pub severity: String,
    /// When discovered.
    pub discovered_at: DateTime<Utc>,
    /// Data affected.
    pub affected_data: String,
    /// Measures taken.
    pub measures: String,
    /// Last day for the report.
    pub report_due_on: Option<NaiveDate>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Report.
    pub report: Option<String>,
    /// When reported.
    pub reported_at: Option<DateTime<Utc>>,
    /// When closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

fn view(r: IncidentRow) -> IncidentView {
    IncidentView {
        status_label: r
            .status
            .parse::<IncidentStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        id: r.id,
        concerned_org: r.concerned_org,
        recorded_by_org: r.recorded_by_org,
        recorded_at: r.recorded_at,
        category: r.category,
        severity: r.severity,
        discovered_at: r.discovered_at,
        affected_data: r.affected_data,
        measures: r.measures,
        report_due_on: r.report_due_on,
        status: r.status,
        report: r.report,
        reported_at: r.reported_at,
        closed_at: r.closed_at,
        version: r.version,
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn resource(id: &str, concerned: &str, by: &str) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("incident/{id}"),
        applicant_org: OrgId::parse(concerned).map_err(internal)?,
        submitted_by: UserId::parse(by).map_err(internal)?,
        parties: Vec::new(),
    })
}

/// Records a security incident (登记安全事件): the organisation concerned
/// (`workflow.submit`) or the data bureau (`supervision.manage`).
pub async fn record_incident(
    app: &App,
    actor: &Actor,
    input: &NewIncident,
) -> Result<IncidentView, AppError> {
    let mut errors = Vec::new();
    let category = code::<IncidentCategory>(&mut errors, "category", &input.category);
    let severity = code::<IncidentSeverity>(&mut errors, "severity", &input.severity);
    let affected = text(
        &mut errors,
        "affected_data",
        &input.affected_data,
        ReviewText::LONG,
    );
    let measures = text(&mut errors, "measures", &input.measures, ReviewText::LONG);
    let now = app.clock().now();
    if input.discovered_at > now {
        let e = InspectionError::DiscoveredInFuture;
        errors.push(FieldError::new("discovered_at", e.code(), e.message_zh()));
    }
    let bureau = actor.org_kind == OrgKind::DataBureau;
    let concerned = match (&input.concerned_org, bureau) {
        (Some(raw), _) => OrgId::parse(raw.trim())
            .map(|o| o.to_string())
            .map_err(|e| errors.push(FieldError::new("concerned_org", e.code(), e.message_zh())))
            .ok(),
        (None, false) => Some(actor.org_id.clone()),
        (None, true) => {
            errors.push(FieldError::new(
                "concerned_org",
                "incident.concerned_org_required",
                format!("须指定事件涉及单位（{INCIDENT_RULE}）"),
            ));
            None
        }
    };
    let (Some(category), Some(severity), Some(affected), Some(measures), Some(concerned), true) = (
        category,
        severity,
        affected,
        measures,
        concerned,
        errors.is_empty(),
    ) else {
        return Err(AppError::Validation(errors));
    };
    let exists = {
        let mut tx = app.store().begin_read().await?;
        let o = tx.get_organisation(&concerned).await?;
        tx.commit().await?;
        o.is_some()
    };
    if !exists {
        return Err(AppError::Validation(vec![FieldError::new(
            "concerned_org",
            "incident.org_not_found",
            format!("未找到事件涉及单位（{INCIDENT_RULE}）"),
        )]));
    }
    let id = new_id();
    let decided = if bureau {
        app.authorize(
            actor,
            Action::SupervisionManage,
            &resource(&id, &actor.org_id, &actor.user_id)?,
        )
        .await?
    } else {
        let d = app
            .authorize(
                actor,
                Action::WorkflowSubmit,
                &resource(&id, &actor.org_id, &actor.user_id)?,
            )
            .await?;
        if concerned != actor.org_id {
            return Err(refused(&InspectionError::NotConcerned));
        }
        d
    };
    let report_due_on =
        due_in_working_days(&calendar()?, today(app), INCIDENT_REPORT_WORKING_DAYS).ok();
    let row = IncidentRow {
        id: id.clone(),
        concerned_org: concerned,
        recorded_by_org: actor.org_id.clone(),
        recorded_by: actor.user_id.clone(),
        recorded_at: now,
        category: category.as_str().to_owned(),
        severity: severity.as_str().to_owned(),
        discovered_at: input.discovered_at,
        affected_data: affected,
        measures,
        report_due_on,
        status: IncidentStatus::Recorded.as_str().to_owned(),
        report: None,
        reported_by: None,
        reported_at: None,
        closed_by: None,
        closed_at: None,
        version: 1,
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_incident(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("incident.recorded")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("incident", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": INCIDENT_RULE,
            "concerned_org": row.concerned_org,
            "category": row.category,
            "severity": row.severity,
            "discovered_at": row.discovered_at,
            "report_due_on": report_due_on,
        }));
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

async fn transition(
    app: &App,
    actor: &Actor,
    id: &str,
    command: IncidentCommand,
    text_value: Option<String>,
) -> Result<IncidentView, AppError> {
    let row = {
        let mut tx = app.store().begin_read().await?;
        let r = tx.get_incident(id).await?;
        tx.commit().await?;
        r.ok_or(AppError::NotFound { what: "incident" })?
    };
    let (action, res) = match command {
        IncidentCommand::FileReport => (
            Action::WorkflowSubmit,
            resource(id, &row.concerned_org, &row.recorded_by)?,
        ),
        IncidentCommand::Close => (
            Action::SupervisionManage,
            resource(id, &actor.org_id, &row.recorded_by)?,
        ),
    };
    let decided = app.authorize(actor, action, &res).await?;
    if command == IncidentCommand::FileReport && actor.org_id != row.concerned_org {
        return Err(refused(&InspectionError::NotConcerned));
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut row = tx
            .get_incident(id)
            .await?
            .ok_or(AppError::NotFound { what: "incident" })?;
        let from = row.status.parse::<IncidentStatus>().map_err(internal)?;
        let to = from
            .apply(command)
            .map_err(|t| refused(&InspectionError::Transition(t)))?;
        let expected = row.version;
        row.status = to.as_str().to_owned();
        match command {
            IncidentCommand::FileReport => {
                row.report = text_value.clone();
                row.reported_by = Some(actor.user_id.clone());
                row.reported_at = Some(now);
            }
            IncidentCommand::Close => {
                row.closed_by = Some(actor.user_id.clone());
                row.closed_at = Some(now);
            }
        }
        tx.update_incident(&row, expected).await?;
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
    let audit_action = match command {
        IncidentCommand::FileReport => "incident.reported",
        IncidentCommand::Close => "incident.closed",
    };
    let event = AuditEvent::new(audit_action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("incident", id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": INCIDENT_RULE,
            "status": row.status,
            "concerned_org": row.concerned_org,
            "note": text_value,
        }));
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

/// The organisation concerned files its report (报告处置情况).
pub async fn file_incident_report(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &IncidentReport,
) -> Result<IncidentView, AppError> {
    let mut errors = Vec::new();
    let report = text(&mut errors, "report", &input.report, ReviewText::LONG);
    let (Some(report), true) = (report, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    transition(app, actor, id, IncidentCommand::FileReport, Some(report)).await
}

/// The bureau closes the incident once reported (结案).
pub async fn close_incident(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &CloseIncident,
) -> Result<IncidentView, AppError> {
    let mut errors = Vec::new();
    let note = match input.note.as_deref() {
        Some(n) if !n.trim().is_empty() => text(&mut errors, "note", n, ReviewText::LONG),
        _ => None,
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    transition(app, actor, id, IncidentCommand::Close, note).await
}

fn visible(actor: &Actor, r: &IncidentRow) -> bool {
    supervises(actor) || r.concerned_org == actor.org_id || r.recorded_by_org == actor.org_id
}

/// One incident, for the organisations concerned and the supervisors.
pub async fn get_incident(app: &App, actor: &Actor, id: &str) -> Result<IncidentView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_incident(id).await?;
    tx.commit().await?;
    match row {
        Some(r) if visible(actor, &r) => Ok(view(r)),
        _ => Err(AppError::NotFound { what: "incident" }),
    }
}

/// The incidents the actor may see, oldest first.
pub async fn list_incidents(app: &App, actor: &Actor) -> Result<Vec<IncidentView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_incidents().await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|r| visible(actor, r))
        .map(view)
        .collect())
}
