//! Use cases of 运营机构遴选与应用场景: the operator selection (S-3.3.1,
//! S-3.2.1, S-3.2.2) and the application scenarios (S-6.3, S-2.1).
//!
//! Every command follows the project's order: parse → load (read
//! transaction) → `app.authorize` → write transaction: reload (a version
//! that moved since the authorization read is a conflict), apply the domain
//! rule, write with compare-and-set on the parent's version → one audit
//! record → commit.
//!
//! Authorization:
//! - selection: every step is `governance.manage` (implementing-agency case
//!   officers, approvers, admins), except the decision: `workflow.approve`
//!   on `Resource::Workflow { id: "selection/<id>", applicant_org: <chosen
//!   candidate's org>, submitted_by: <opener>, parties: [] }`, so the opener
//!   never decides (`sod_no_self_approval`); a data-bureau approver, whom the
//!   general supervisor policy would allow, is refused as second line (the
//!   decision is the implementing agency's, S-3.3.1), audited like a denial.
//! - scenarios: planning and plan submission are `workflow.submit` for the
//!   actor's own organisation (then the domain checks it is a sector
//!   regulator, resp. an operator); the review is `workflow.review` on
//!   `Workflow { id: "scenario_plan/<plan>", applicant_org: <operator>,
//!   submitted_by: <submitter>, parties: [<planning regulator>] }`, and
//!   anyone not of the planning regulator is refused as second line; the
//!   filing is `supervision.manage` (data bureau).
//!
//! Audit action codes (stable): `selection.opened`,
//! `selection.candidate_registered`, `selection.assessment_recorded`,
//! `selection.decided`, `selection.objection_recorded`,
//! `selection.objection_resolved`, `selection.finalised`;
//! `scenario.planned`, `scenario.plan_submitted`, `scenario.plan_reviewed`,
//! `scenario.filed`, `scenario.cancelled`.
//!
//! Reading is open to every logged-in user: the selection result is
//! announced publicly (S-3.3.1) and the scenarios are the county's plan.

mod operator;
mod operator_views;
mod scenarios;

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;
use gongshu_domain::selection::SelectionStatus;
use gongshu_domain::{DomainError, WorkingDayCalendar};
use gongshu_policy::Action;
use gongshu_store::StoreTx;

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

pub use operator::{
    AssessmentInput, CandidateInput, CandidateView, DecisionInput, FinaliseInput, NewSelection,
    ObjectionInput, ObjectionView, ResolutionInput, SelectionView, decide, finalise, get_selection,
    list_selections, open_selection, record_assessment, record_objection, register_candidate,
    resolve_objection,
};
pub use scenarios::{
    NewScenario, PlanInput, PlanView, ReviewInput, ScenarioFilingInput, ScenarioView,
    cancel_scenario, file_scenario, get_scenario, is_filed_scenario, list_scenarios, plan_scenario,
    review_plan, submit_plan,
};

/// Today's date in Asia/Shanghai by the app's clock.
fn today(app: &App) -> NaiveDate {
    crate::local_time::shanghai_today(app.clock().now())
}

fn calendar() -> Result<WorkingDayCalendar, AppError> {
    WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))
}

/// A domain refusal as the caller sees it: an input error is a 422 with the
/// field, a refusal in the current state a 409; both name the rule.
fn refused(e: &(impl DomainError + ?Sized), input: bool, field: &str) -> AppError {
    if input {
        AppError::Validation(vec![FieldError::new(field, e.code(), e.message_zh())])
    } else {
        AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        }
    }
}

/// Refuses an action the policies allowed but a domain rule forbids (the
/// second line of separation of duties); audited like a policy denial.
async fn deny(
    app: &App,
    actor: &Actor,
    action: Action,
    target: (&'static str, &str),
    code: &'static str,
    message: String,
) -> AppError {
    let event = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(target.0, target.1)
        .outcome("denied")
        .details(serde_json::json!({
            "action": action.as_str(),
            "rule": code,
            "message": message,
        }));
    if let Err(err) = app.record(event).await {
        return err;
    }
    AppError::Forbidden {
        action: action.as_str().to_owned(),
        policy_ids: vec![code.to_owned()],
    }
}

fn event(
    action: &'static str,
    actor: &Actor,
    target: (&'static str, &str),
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(target.0, target.1)
        .decided_by(decided)
}

/// Runs `write` in a transaction, audits its event and commits.
async fn commit_with<F>(app: &App, write: F) -> Result<(), AppError>
where
    F: AsyncFnOnce(&mut StoreTx) -> Result<AuditEvent, AppError>,
{
    let mut change = app.begin().await?;
    match write(change.tx()).await {
        Ok(event) => {
            change.audit(event).await?.commit().await?;
            Ok(())
        }
        Err(e) => {
            change.abandon().await;
            Err(e)
        }
    }
}

/// Open obligations of this workflow for the inbox: the publicity period of
/// each selection result being announced (S-3.3.1); the implementing agency
/// reports to the county government once it has ended with every objection
/// resolved.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_selections().await?;
    tx.commit().await?;
    let mut out = Vec::new();
    for row in rows {
        if row.status != SelectionStatus::Publicity.as_str() {
            continue;
        }
        if let (Some(started_on), Some(due_on)) = (row.decided_on, row.publicity_ends_on) {
            out.push(Obligation {
                kind: "selection.publicity".into(),
                title_zh: "运营机构遴选结果公示期满，处理异议后报县人民政府".into(),
                rule: "S-3.3.1".into(),
                subject_type: "selection".into(),
                subject_id: row.id,
                responsible_org: row.agency_org_id,
                started_on,
                due_on,
            });
        }
    }
    Ok(out)
}
