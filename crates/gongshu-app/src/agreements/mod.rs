//! Use cases of the authorization agreement (授权运营协议).
//!
//! Each mutation reads the agreement, asks the policies, then in one
//! transaction reloads it (a version that moved since the authorization
//! read is a conflict), applies the domain rule
//! (`gongshu_domain::agreement`), writes with compare-and-set, appends its
//! audit record and commits.
//!
//! Authorization: drafting, opinions, signing and filing are
//! `agreement.manage` (implementing agency case officers, approvers,
//! admins). The 三重一大 decision is `workflow.approve` on
//! `Resource::Workflow { id: "agreement/<id>", applicant_org: <operator>,
//! submitted_by: <author of the current revision>, parties: [] }`, so the
//! author never decides their own draft (`sod_no_self_approval`). The
//! applicant organisation is the operator the agreement authorizes, not the
//! implementing agency that drafts it: with the agency there,
//! `sod_no_review_by_applicant_org` would forbid every agency approver. A
//! renewal application (S-2.2b) is made by the operator
//! (`workflow.submit` for its own organisation) or recorded by the agency
//! (`agreement.manage`).
//!
//! Reading is open to every logged-in user: the authorized party, content,
//! scope and term are published anyway (S-7.2-1).

use chrono::NaiveDate;
use gongshu_domain::agreement::{Agreement, AgreementClauses, AgreementError, ClausesInput};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId, WorkingDayCalendar};
use gongshu_policy::Resource;
use gongshu_store::{AgreementRow, StoreTx};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

mod changes;
mod expiry;
mod obligations;
mod pending;
mod renewal_term;
mod steps;
mod views;

pub use changes::{change_clauses, request_renewal};
pub use expiry::{expire, expire_lapsed};
pub use obligations::open_obligations;
pub use pending::PendingView;
pub(crate) use pending::to_domain;
use pending::{archive, load_pending, save_pending};
use renewal_term::renewed_end;
pub use steps::{create_draft, decide, file, record_opinion, sign};
pub use views::{
    AgreementView, ChangeInput, DecisionInput, FilingInput, NewAgreement, OpinionInput,
    OpinionView, RenewalInput, RevisionView, SigningInput,
};

/// Longest opinion text, in characters.
const MAX_OPINION_CHARS: usize = 5_000;

/// Today's date in Asia/Shanghai by the app's clock.
pub(crate) fn today(app: &App) -> NaiveDate {
    crate::local_time::shanghai_today(app.clock().now())
}

pub(crate) fn calendar() -> Result<WorkingDayCalendar, AppError> {
    WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))
}

/// A domain refusal as the caller sees it: an input error is a 422 with the
/// field, a refusal in the current state a 409; both name the rule.
pub(crate) fn refused(e: &AgreementError) -> AppError {
    if e.is_input_error() {
        AppError::Validation(vec![FieldError::new(e.field(), e.code(), e.message_zh())])
    } else {
        AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        }
    }
}

pub(crate) fn parse_clauses(
    input: &ClausesInput,
    prefix: &str,
) -> Result<AgreementClauses, AppError> {
    AgreementClauses::parse(input).map_err(|errors| {
        AppError::Validation(
            errors
                .iter()
                .map(|e| {
                    FieldError::new(&format!("{prefix}{}", e.field()), e.code(), e.message_zh())
                })
                .collect(),
        )
    })
}

pub(crate) fn clauses_json(c: &AgreementClauses) -> Result<String, AppError> {
    serde_json::to_string(&c.to_input()).map_err(|e| AppError::Internal(e.to_string()))
}

/// Copies the domain state back into the row.
pub(crate) fn write_back(row: &mut AgreementRow, a: &Agreement) -> Result<(), AppError> {
    row.status = a.status.as_str().to_owned();
    row.revision = i64::from(a.revision);
    row.clauses = clauses_json(&a.clauses)?;
    row.term_start = a.clauses.term().start();
    row.term_end = a.clauses.term().end();
    row.decided_on = a.decided_on;
    row.signed_on = a.signed_on;
    row.filing_due_on = a.filing_due_on;
    row.filed_on = a.filed_on;
    Ok(())
}

pub(crate) fn workflow(row: &AgreementRow) -> Result<Resource, AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok(Resource::Workflow {
        id: format!("agreement/{}", row.id),
        applicant_org: OrgId::parse(&row.operator_org_id).map_err(bad)?,
        submitted_by: UserId::parse(&row.drafted_by).map_err(bad)?,
        parties: vec![],
    })
}

pub(crate) async fn load(app: &App, id: &str) -> Result<AgreementRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_agreement(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound { what: "agreement" })
}

/// Reloads inside the write transaction; a version that moved since the
/// authorization read is a conflict.
pub(crate) async fn reload(
    tx: &mut StoreTx,
    seen: &AgreementRow,
) -> Result<AgreementRow, AppError> {
    let row = tx
        .get_agreement(&seen.id)
        .await?
        .ok_or(AppError::NotFound { what: "agreement" })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

async fn org_kind(app: &App, org_id: &str, field: &str) -> Result<OrgKind, AppError> {
    let invalid = || {
        AppError::Validation(vec![FieldError::new(
            field,
            "organisation.unknown",
            "机构不存在",
        )])
    };
    if OrgId::parse(org_id).is_err() {
        return Err(invalid());
    }
    let mut tx = app.store().begin_read().await?;
    let org = tx.get_organisation(org_id).await?;
    tx.commit().await?;
    org.ok_or_else(invalid)?
        .kind
        .parse()
        .map_err(|_| AppError::Internal("bad org kind".into()))
}

pub(crate) fn event(
    action: &'static str,
    actor: &Actor,
    id: &str,
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("agreement", id)
        .decided_by(decided)
}

/// Runs `write` in a transaction, audits `event` and commits.
pub(crate) async fn commit_with<F>(app: &App, write: F) -> Result<(), AppError>
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

pub(crate) async fn get_view(app: &App, id: &str) -> Result<AgreementView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_agreement(id).await?;
    let opinions = tx.list_agreement_opinions(id).await?;
    let revisions = tx.list_agreement_revisions(id).await?;
    let pending = tx.get_pending_revision(id).await?;
    tx.commit().await?;
    let row = row.ok_or(AppError::NotFound { what: "agreement" })?;
    let mut view = AgreementView::from(row);
    view.opinions = Some(
        opinions
            .into_iter()
            .map(|o| OpinionView {
                id: o.id,
                revision: o.revision,
                from_org_id: o.from_org_id,
                received_on: o.received_on,
                opinion: o.opinion,
                recorded_by: o.recorded_by,
            })
            .collect(),
    );
    view.pending_revision = pending.map(PendingView::from);
    view.revisions = Some(
        revisions
            .into_iter()
            .map(|r| RevisionView {
                revision: r.revision,
                status: r.status,
                clauses: serde_json::from_str(&r.clauses).unwrap_or(serde_json::Value::Null),
                decided_on: r.decided_on,
                signed_on: r.signed_on,
                filed_on: r.filed_on,
                superseded_by: r.superseded_by,
                superseded_at: r.superseded_at,
            })
            .collect(),
    );
    Ok(view)
}

/// Lists every agreement, oldest first.
pub async fn list_agreements(app: &App, _actor: &Actor) -> Result<Vec<AgreementView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_agreements().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One agreement with its opinions and superseded revisions.
pub async fn get_agreement(app: &App, _actor: &Actor, id: &str) -> Result<AgreementView, AppError> {
    get_view(app, id).await
}
