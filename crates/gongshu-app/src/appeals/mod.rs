//! Use cases of appeals (申诉, S-2.5b), disputes (争议协调, S-2.5a),
//! inspections (监督检查, S-3.3.2d) and security incidents (安全事件,
//! S-3.3.4).
//!
//! Every command follows the project's order: parse → load (read
//! transaction) → `app.authorize` → domain checks → write transaction:
//! reload, apply the domain transition, write with compare-and-set on the
//! row's version → one audit record → commit. Refusals by rule answer
//! `AppError::Refused` (409) with the rule's code and a Chinese message
//! naming the rule; a domain rule that narrows a policy permit (only an
//! approver of the implementing agency decides an appeal) is audited as an
//! `authz.denied` record and answered 403.
//!
//! Audit action codes (stable): `appeal.filed`, `appeal.decided`,
//! `appeal.withdrawn`; `dispute.raised`, `dispute.assessment_commissioned`,
//! `dispute.assessment_recorded`, `dispute.resolved`; `inspection.opened`
//! (with the sample's seed and every verification result),
//! `inspection.finding_recorded`, `inspection.finding_rectified`,
//! `inspection.finding_reopened`, `inspection.closed`,
//! `inspection.reopened`, `org.behaviour_flagged`; `incident.recorded`,
//! `incident.reported`, `incident.closed`.

mod appeal;
mod dispute;
mod incident;
mod inspection;
mod inspection_change;
mod inspection_view;
mod sample;

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;
use gongshu_domain::review::ReviewText;
use gongshu_domain::{DomainError, OrgKind, WorkingDayCalendar};
use gongshu_policy::Action;

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

pub use appeal::{
    AppealView, DecideAppeal, NewAppeal, decide_appeal, file_appeal, get_appeal, list_appeals,
    withdraw_appeal,
};
pub use dispute::{
    CommissionAssessment, DisputeView, NewDispute, RecordAssessment, ResolveDispute,
    commission_assessment, get_dispute, list_disputes, raise_dispute, record_assessment,
    resolve_dispute,
};
pub use incident::{
    CloseIncident, IncidentReport, IncidentView, NewIncident, close_incident, file_incident_report,
    get_incident, list_incidents, record_incident,
};
pub use inspection::{
    FindingView, FlagView, InspectionView, NewInspection, SampleSpec, SampleView, get_inspection,
    list_inspections, open_inspection,
};
pub use inspection_change::{
    CloseInspection, NewFinding, NewFlag, Rectification, ReopenFinding, ReopenInspection,
    add_finding, close_inspection, flag_behaviour, rectify_finding, reopen_finding,
    reopen_inspection,
};

/// A refusal by rule (409).
pub(crate) fn refused(e: &impl DomainError) -> AppError {
    AppError::Refused {
        code: e.code(),
        message: e.message_zh(),
    }
}

/// A required text field, with a field error naming `field`.
pub(crate) fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    max: usize,
) -> Option<String> {
    ReviewText::parse(raw, max)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| errors.push(FieldError::new(field, e.code(), e.message_zh())))
        .ok()
}

/// A code field parsed with `FromStr`, with a field error naming `field`.
pub(crate) fn code<T: std::str::FromStr>(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
) -> Option<T> {
    raw.trim()
        .parse()
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                &format!("{field}.unknown"),
                format!(
                    "“{}”不是有效的取值",
                    raw.chars().take(40).collect::<String>()
                ),
            ));
        })
        .ok()
}

/// The official working-day calendar.
pub(crate) fn calendar() -> Result<WorkingDayCalendar, AppError> {
    WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))
}

/// Today in Asia/Shanghai by the app's clock.
pub(crate) fn today(app: &App) -> NaiveDate {
    crate::local_time::shanghai_today(app.clock().now())
}

/// Whether `actor` belongs to one of the supervising organisations.
pub(crate) fn supervises(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::ImplementingAgency | OrgKind::DataBureau
    )
}

/// Refuses an action the policies allowed but a domain rule forbids; the
/// refusal is audited like a policy denial.
pub(crate) async fn deny(
    app: &App,
    actor: &Actor,
    action: Action,
    target: (&'static str, &str),
    e: &impl DomainError,
) -> AppError {
    let event = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(target.0, target.1)
        .outcome("denied")
        .details(serde_json::json!({
            "action": action.as_str(),
            "rule": e.code(),
            "message": e.message_zh(),
        }));
    if let Err(err) = app.record(event).await {
        return err;
    }
    AppError::Forbidden {
        action: action.as_str().to_owned(),
        policy_ids: vec![e.code().to_owned()],
    }
}

/// Open obligations of this workflow for the inbox: appeals and disputes
/// the implementing agency must handle, findings the inspected
/// organisation must rectify, incidents the organisation concerned must
/// report on. Every open item is listed whatever `today` is; dating them is
/// the inbox's job.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let mut tx = app.store().begin_read().await?;
    let orgs = tx.list_organisations().await?;
    let agency = orgs
        .iter()
        .find(|o| o.kind == OrgKind::ImplementingAgency.as_str())
        .map(|o| o.id.clone());
    let mut out = Vec::new();
    if let Some(agency) = &agency {
        for a in tx.list_appeals().await? {
            if let (true, Some(due_on)) = (a.status == "submitted", a.due_on) {
                out.push(Obligation {
                    kind: "appeal.handling".into(),
                    title_zh: "申诉待处理".into(),
                    rule: "S-2.5b".into(),
                    subject_type: "appeal".into(),
                    subject_id: a.id,
                    responsible_org: agency.clone(),
                    started_on: crate::inbox::shanghai_today(a.filed_at),
                    due_on,
                });
            }
        }
        for d in tx.list_disputes().await? {
            if let (true, Some(due_on)) = (d.status != "resolved", d.due_on) {
                out.push(Obligation {
                    kind: "dispute.handling".into(),
                    title_zh: "争议待协调".into(),
                    rule: "S-2.5a".into(),
                    subject_type: "dispute".into(),
                    subject_id: d.id,
                    responsible_org: agency.clone(),
                    started_on: crate::inbox::shanghai_today(d.raised_at),
                    due_on,
                });
            }
        }
    }
    for f in tx.list_open_findings().await? {
        let Some(i) = tx.get_inspection(&f.inspection_id).await? else {
            continue;
        };
        out.push(Obligation {
            kind: "inspection.rectification".into(),
            title_zh: "检查发现问题待整改".into(),
            rule: f.rule_id.clone(),
            subject_type: "inspection_finding".into(),
            subject_id: f.id,
            responsible_org: i.inspected_org,
            started_on: crate::inbox::shanghai_today(f.found_at),
            due_on: f.due_on,
        });
    }
    for i in tx.list_incidents().await? {
        if let (true, Some(due_on)) = (i.status == "recorded", i.report_due_on) {
            out.push(Obligation {
                kind: "incident.report".into(),
                title_zh: "安全事件待报告处置情况".into(),
                rule: "S-3.3.4".into(),
                subject_type: "incident".into(),
                subject_id: i.id,
                responsible_org: i.concerned_org,
                started_on: crate::inbox::shanghai_today(i.recorded_at),
                due_on,
            });
        }
    }
    tx.commit().await?;
    Ok(out)
}
