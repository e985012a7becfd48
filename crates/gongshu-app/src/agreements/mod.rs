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

use chrono::{DateTime, Days, NaiveDate, Utc};
use gongshu_domain::agreement::{
    ActiveAgreement, Agreement, AgreementClauses, AgreementError, AgreementStatus, AgreementTerm,
    ClausesInput, MAX_REFERENCE_CHARS, short_text,
};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId, WorkingDayCalendar};
use gongshu_policy::{Action, Resource};
use gongshu_store::{AgreementOpinionRow, AgreementRow, StoreTx};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

mod expiry;
mod obligations;
mod pending;
mod renewal_term;

pub use expiry::{expire, expire_lapsed};
pub use obligations::open_obligations;
pub use pending::PendingView;
pub(crate) use pending::to_domain;
use pending::{archive, load_pending, save_pending};
use renewal_term::renewed_end;

/// Longest opinion text, in characters.
const MAX_OPINION_CHARS: usize = 5_000;

/// Input of `create_draft`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAgreement {
    /// The operator organisation to authorize.
    pub operator_org_id: String,
    /// The 13 clauses.
    #[serde(default)]
    pub clauses: ClausesInput,
}

/// Input of `record_opinion`.
#[derive(Debug, Clone, Deserialize)]
pub struct OpinionInput {
    /// The sector regulator or supervisor that gave the opinion.
    pub from_org_id: String,
    /// When it was received.
    pub received_on: NaiveDate,
    /// The opinion (text or summary).
    pub opinion: String,
}

/// Input of `decide`.
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionInput {
    /// Date of the 三重一大 meeting.
    pub decided_on: NaiveDate,
    /// Meeting reference (会议纪要编号).
    pub meeting_ref: String,
}

/// Input of `sign`.
#[derive(Debug, Clone, Deserialize)]
pub struct SigningInput {
    /// Signing date.
    pub signed_on: NaiveDate,
}

/// Input of `file`.
#[derive(Debug, Clone, Deserialize)]
pub struct FilingInput {
    /// Filing date.
    pub filed_on: NaiveDate,
    /// Receipt number of the city data bureau.
    pub receipt_no: String,
}

/// Input of `request_renewal` (clauses of the new agreement; when absent the
/// current clauses are copied with a term of the same length starting the
/// day after the current one ends).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RenewalInput {
    /// Clauses of the renewal.
    #[serde(default)]
    pub clauses: Option<ClausesInput>,
}

/// Input of `change_clauses`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangeInput {
    /// The new clauses, all 13.
    pub clauses: ClausesInput,
}

/// An opinion as shown.
#[derive(Debug, Clone, Serialize)]
pub struct OpinionView {
    /// Id.
    pub id: String,
    /// Revision it is about.
    pub revision: i64,
    /// Giving organisation.
    pub from_org_id: String,
    /// Received on.
    pub received_on: NaiveDate,
    /// Text.
    pub opinion: String,
    /// Recorded by.
    pub recorded_by: String,
}

/// A superseded revision as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    /// Revision.
    pub revision: i64,
    /// Status when superseded.
    pub status: String,
    /// Clauses.
    pub clauses: serde_json::Value,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Signing date.
    pub signed_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Superseded by.
    pub superseded_by: String,
    /// Superseded at.
    pub superseded_at: DateTime<Utc>,
}

/// An agreement as shown.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    /// Id.
    pub id: String,
    /// Operator organisation.
    pub operator_org_id: String,
    /// Implementing agency.
    pub agency_org_id: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Revision of the clauses.
    pub revision: i64,
    /// The 13 clauses.
    pub clauses: serde_json::Value,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term.
    pub term_end: NaiveDate,
    /// Collective decision date.
    pub decided_on: Option<NaiveDate>,
    /// Meeting reference.
    pub decision_ref: Option<String>,
    /// Who recorded the decision.
    pub decided_by: Option<String>,
    /// Signing date.
    pub signed_on: Option<NaiveDate>,
    /// Filing due date (S-3.3.3b).
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Filing receipt number.
    pub filing_receipt: Option<String>,
    /// Filed after the due date.
    pub filed_late: bool,
    /// The agreement this one renews.
    pub renewal_of: Option<String>,
    /// Creator.
    pub created_by: String,
    /// Author of the current revision.
    pub drafted_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Updated at.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version.
    pub version: i64,
    /// Opinions (all revisions); only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opinions: Option<Vec<OpinionView>>,
    /// Superseded revisions; only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Vec<RevisionView>>,
    /// The changed revision awaiting approval while this one is in force
    /// (S-2.4); only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_revision: Option<PendingView>,
}

impl From<AgreementRow> for AgreementView {
    fn from(r: AgreementRow) -> Self {
        let status_label = r
            .status
            .parse::<AgreementStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default();
        let filed_late = matches!((r.filed_on, r.filing_due_on), (Some(f), Some(d)) if f > d);
        Self {
            clauses: serde_json::from_str(&r.clauses).unwrap_or(serde_json::Value::Null),
            id: r.id,
            operator_org_id: r.operator_org_id,
            agency_org_id: r.agency_org_id,
            status: r.status,
            status_label,
            revision: r.revision,
            term_start: r.term_start,
            term_end: r.term_end,
            decided_on: r.decided_on,
            decision_ref: r.decision_ref,
            decided_by: r.decided_by,
            signed_on: r.signed_on,
            filing_due_on: r.filing_due_on,
            filed_on: r.filed_on,
            filing_receipt: r.filing_receipt,
            filed_late,
            renewal_of: r.renewal_of,
            created_by: r.created_by,
            drafted_by: r.drafted_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            opinions: None,
            revisions: None,
            pending_revision: None,
        }
    }
}

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

/// Drafts a new agreement (起草, S-3.3.3c): all 13 clauses, term ≤ 3 years.
pub async fn create_draft(
    app: &App,
    actor: &Actor,
    input: &NewAgreement,
) -> Result<AgreementView, AppError> {
    let clauses = parse_clauses(&input.clauses, "clauses.");
    let kind = org_kind(app, &input.operator_org_id, "operator_org_id").await;
    let (clauses, kind) = match (clauses, kind) {
        (Ok(c), Ok(k)) => (c, k),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            return Err(AppError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    if kind != OrgKind::Operator {
        return Err(AppError::Validation(vec![FieldError::new(
            "operator_org_id",
            "agreement.operator_invalid",
            "被授权方须为运营机构（S-2.1）",
        )]));
    }
    let id = new_id();
    let now = app.clock().now();
    let agreement = Agreement::draft(clauses, None);
    let mut row = AgreementRow {
        id: id.clone(),
        operator_org_id: input.operator_org_id.clone(),
        agency_org_id: actor.org_id.clone(),
        status: String::new(),
        revision: 1,
        clauses: String::new(),
        term_start: agreement.clauses.term().start(),
        term_end: agreement.clauses.term().end(),
        decided_on: None,
        decision_ref: None,
        decided_by: None,
        signed_on: None,
        filing_due_on: None,
        filed_on: None,
        filing_receipt: None,
        renewal_of: None,
        created_by: actor.user_id.clone(),
        drafted_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    write_back(&mut row, &agreement)?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&row)?)
        .await?;
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_agreement(&row).await?;
        Ok(
            event("agreement.drafted", actor, &id, decided).details(serde_json::json!({
                "operator_org_id": row.operator_org_id,
                "term_start": row.term_start,
                "term_end": row.term_end,
            })),
        )
    })
    .await?;
    get_view(app, &id).await
}

/// Records the opinion of a sector regulator or supervisor (S-3.3.3a).
pub async fn record_opinion(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &OpinionInput,
) -> Result<AgreementView, AppError> {
    let opinion =
        short_text(&input.opinion, "opinion", MAX_OPINION_CHARS).map_err(|e| refused(&e))?;
    let kind = org_kind(app, &input.from_org_id, "from_org_id").await?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&seen)?)
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let mut pending = tx.get_pending_revision(&row.id).await?;
        let mut a = to_domain(&row, pending.as_ref())?;
        a.record_opinion(kind, input.received_on, today)
            .map_err(|e| refused(&e))?;
        write_back(&mut row, &a)?;
        save_pending(tx, &a, pending.as_mut()).await?;
        row.updated_at = now;
        tx.update_agreement(&row, seen.version).await?;
        let revision = pending.as_ref().map_or(row.revision, |p| p.revision);
        let opinion_id = new_id();
        tx.insert_agreement_opinion(&AgreementOpinionRow {
            id: opinion_id.clone(),
            agreement_id: row.id.clone(),
            revision,
            from_org_id: input.from_org_id.clone(),
            received_on: input.received_on,
            opinion: opinion.clone(),
            recorded_by: actor.user_id.clone(),
            recorded_at: now,
        })
        .await?;
        Ok(
            event("agreement.opinion_recorded", actor, id, decided).details(serde_json::json!({
                "opinion_id": opinion_id,
                "revision": revision,
                "pending": pending.is_some(),
                "from_org_id": input.from_org_id,
                "received_on": input.received_on,
            })),
        )
    })
    .await?;
    get_view(app, id).await
}

/// Records the 三重一大 collective decision (S-2.4, S-3.3.3a); an approver
/// other than the revision's author.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<AgreementView, AppError> {
    let meeting_ref = short_text(&input.meeting_ref, "meeting_ref", MAX_REFERENCE_CHARS)
        .map_err(|e| refused(&e))?;
    let seen = load(app, id).await?;
    // While in force, the pending revision is decided: its author may not.
    let mut resource_row = seen.clone();
    if let Some(p) = load_pending(app, id).await?
        && seen
            .status
            .parse::<AgreementStatus>()
            .is_ok_and(AgreementStatus::is_active)
    {
        resource_row.drafted_by = p.drafted_by;
    }
    let decided = app
        .authorize(actor, Action::WorkflowApprove, &workflow(&resource_row)?)
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let mut pending = tx.get_pending_revision(&row.id).await?;
        let mut a = to_domain(&row, pending.as_ref())?;
        a.decide(input.decided_on, today).map_err(|e| refused(&e))?;
        write_back(&mut row, &a)?;
        match pending.as_mut().filter(|_| a.pending.is_some()) {
            Some(p) => {
                p.decision_ref = Some(meeting_ref.clone());
                p.decided_by = Some(actor.user_id.clone());
            }
            None => {
                row.decision_ref = Some(meeting_ref.clone());
                row.decided_by = Some(actor.user_id.clone());
            }
        }
        save_pending(tx, &a, pending.as_mut()).await?;
        row.updated_at = now;
        tx.update_agreement(&row, seen.version).await?;
        Ok(
            event("agreement.decided", actor, id, decided).details(serde_json::json!({
                "revision": pending.as_ref().map_or(row.revision, |p| p.revision),
                "pending": pending.is_some(),
                "decided_on": input.decided_on,
                "meeting_ref": meeting_ref,
            })),
        )
    })
    .await?;
    get_view(app, id).await
}

/// Records the signing; refused while another agreement is in force
/// (S-2.1). Sets the filing due date (S-3.3.3b).
pub async fn sign(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &SigningInput,
) -> Result<AgreementView, AppError> {
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&seen)?)
        .await?;
    let today = today(app);
    let now = app.clock().now();
    let cal = calendar()?;
    commit_with(app, async |tx: &mut StoreTx| {
        tx.lock_agreement_signing().await?;
        let mut row = reload(tx, &seen).await?;
        let before = row.clone();
        let pending = tx.get_pending_revision(&row.id).await?;
        let mut a = to_domain(&row, pending.as_ref())?;
        let mut active = Vec::new();
        for other in tx.list_active_agreements().await? {
            // An agreement whose term has run out is no longer in force,
            // even before anyone records its expiry (S-2.1, S-2.2a).
            if other.id != row.id && other.term_end >= today {
                let term = AgreementTerm::new(other.term_start, other.term_end)
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                active.push(ActiveAgreement { id: other.id, term });
            }
        }
        a.sign(input.signed_on, today, &active, &cal)
            .map_err(|e| refused(&e))?;
        write_back(&mut row, &a)?;
        // A signed pending revision replaces the one in force, which is kept.
        let was_active = before
            .status
            .parse::<AgreementStatus>()
            .is_ok_and(AgreementStatus::is_active);
        let replaced = match pending.filter(|_| was_active && a.pending.is_none()) {
            Some(p) => {
                archive(tx, &before, actor, now).await?;
                tx.delete_pending_revision(&row.id).await?;
                row.decision_ref = p.decision_ref;
                row.decided_by = p.decided_by;
                row.drafted_by = p.drafted_by;
                row.filing_receipt = None;
                Some(before.revision)
            }
            None => None,
        };
        row.updated_at = now;
        tx.update_agreement(&row, seen.version).await?;
        Ok(
            event("agreement.signed", actor, id, decided).details(serde_json::json!({
                "revision": row.revision,
                "replaced_revision": replaced,
                "signed_on": input.signed_on,
                "filing_due_on": row.filing_due_on,
                "operator_org_id": row.operator_org_id,
            })),
        )
    })
    .await?;
    get_view(app, id).await
}

/// Records the filing with the city data bureau (S-3.3.3b); a filing after
/// the due date is recorded and flagged late.
pub async fn file(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &FilingInput,
) -> Result<AgreementView, AppError> {
    let receipt = short_text(&input.receipt_no, "receipt_no", MAX_REFERENCE_CHARS)
        .map_err(|e| refused(&e))?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&seen)?)
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let pending = tx.get_pending_revision(&row.id).await?;
        let mut a = to_domain(&row, pending.as_ref())?;
        let late = a.file(input.filed_on, today).map_err(|e| refused(&e))?;
        write_back(&mut row, &a)?;
        row.filing_receipt = Some(receipt.clone());
        row.updated_at = now;
        tx.update_agreement(&row, seen.version).await?;
        Ok(
            event("agreement.filed", actor, id, decided).details(serde_json::json!({
                "revision": row.revision,
                "filed_on": input.filed_on,
                "filing_due_on": row.filing_due_on,
                "receipt_no": receipt,
                "late": late,
            })),
        )
    })
    .await?;
    get_view(app, id).await
}

/// Applies for renewal of an agreement in force (S-2.2b): only within the 3
/// months before its term ends. Creates the new agreement as a draft linked
/// to the old one; the old one is unchanged.
pub async fn request_renewal(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &RenewalInput,
) -> Result<AgreementView, AppError> {
    let seen = load(app, id).await?;
    let old = to_domain(&seen, None)?;
    let clauses = match &input.clauses {
        Some(c) => parse_clauses(c, "clauses.")?,
        None => {
            let term = old.clauses.term();
            let start = term.end().checked_add_days(Days::new(1));
            let end = start.and_then(|s| renewed_end(term.start(), term.end(), s));
            let mut c = old.clauses.to_input();
            c.term.start = start;
            c.term.end = end;
            parse_clauses(&c, "clauses.")?
        }
    };
    // The operator applies for its own organisation; the agency may record
    // an application it received.
    let action = if actor.org_id == seen.operator_org_id {
        Action::WorkflowSubmit
    } else {
        Action::AgreementManage
    };
    let decided = app.authorize(actor, action, &workflow(&seen)?).await?;
    let today = today(app);
    let now = app.clock().now();
    let new_agreement = Agreement::draft(clauses, Some(seen.id.clone()));
    let new_id = new_id();
    let mut new_row = AgreementRow {
        id: new_id.clone(),
        operator_org_id: seen.operator_org_id.clone(),
        agency_org_id: seen.agency_org_id.clone(),
        status: String::new(),
        revision: 1,
        clauses: String::new(),
        term_start: new_agreement.clauses.term().start(),
        term_end: new_agreement.clauses.term().end(),
        decided_on: None,
        decision_ref: None,
        decided_by: None,
        signed_on: None,
        filing_due_on: None,
        filed_on: None,
        filing_receipt: None,
        renewal_of: Some(seen.id.clone()),
        created_by: actor.user_id.clone(),
        drafted_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    write_back(&mut new_row, &new_agreement)?;
    commit_with(app, async |tx: &mut StoreTx| {
        let row = reload(tx, &seen).await?;
        let existing = tx.find_renewal_of(&row.id).await?;
        let unrectified =
            crate::evaluations::unrectified_failure(tx, &row.operator_org_id, today).await?;
        to_domain(&row, None)?
            .check_renewal(
                today,
                existing.as_ref().map(|r| r.id.as_str()),
                unrectified.as_ref().map(|(id, due)| (id.as_str(), *due)),
            )
            .map_err(|e| refused(&e))?;
        tx.insert_agreement(&new_row).await?;
        Ok(
            event("agreement.renewal_requested", actor, id, decided).details(serde_json::json!({
                "renewal_id": new_id,
                "term_start": new_row.term_start,
                "term_end": new_row.term_end,
            })),
        )
    })
    .await?;
    get_view(app, &new_id).await
}

/// Changes the clauses (S-2.4). A draft is edited in place; an
/// opinions-collected or decided agreement goes back to draft as a new
/// revision (the old one is kept). An agreement in force STAYS in force:
/// the change becomes the revision pending approval (opinions, decision and
/// signing again), which replaces the signed one only when signed; the
/// term cannot change after signing (S-2.2b: that is a renewal).
pub async fn change_clauses(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ChangeInput,
) -> Result<AgreementView, AppError> {
    let clauses = parse_clauses(&input.clauses, "clauses.")?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&seen)?)
        .await?;
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let before = row.clone();
        let pending = tx.get_pending_revision(&row.id).await?;
        let mut a = to_domain(&row, pending.as_ref())?;
        let change = a.change(clauses.clone()).map_err(|e| refused(&e))?;
        if change.pending {
            if let (Some(old), Some(_)) = (&pending, &change.superseded_pending) {
                pending::archive_pending(tx, old, actor, now).await?;
            }
            let mut new_pending = pending::PendingRevisionRow {
                agreement_id: row.id.clone(),
                revision: 0,
                status: String::new(),
                clauses: String::new(),
                decided_on: None,
                decision_ref: None,
                decided_by: None,
                drafted_by: actor.user_id.clone(),
                created_at: now,
            };
            save_pending(tx, &a, Some(&mut new_pending)).await?;
        } else if change.new_revision {
            archive(tx, &before, actor, now).await?;
            row.decision_ref = None;
            row.decided_by = None;
            row.filing_receipt = None;
        }
        write_back(&mut row, &a)?;
        if !change.pending {
            row.drafted_by = actor.user_id.clone();
        }
        row.updated_at = now;
        tx.update_agreement(&row, seen.version).await?;
        let revision = a.pending.as_ref().map_or(a.revision, |p| p.revision);
        Ok(
            event("agreement.changed", actor, id, decided).details(serde_json::json!({
                "from_status": before.status,
                "from_revision": before.revision,
                "revision": revision,
                "changed": change.changed,
                "major": change.major,
                "new_revision": change.new_revision,
                "pending": change.pending,
                "in_force_revision": change.pending.then_some(before.revision),
            })),
        )
    })
    .await?;
    get_view(app, id).await
}
