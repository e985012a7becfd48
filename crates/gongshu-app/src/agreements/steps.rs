//! From draft to filing: drafting (起草), opinions (征求意见), the
//! 三重一大 decision, signing and filing (备案, within 10 working days).

use gongshu_domain::OrgKind;
use gongshu_domain::agreement::{
    ActiveAgreement, Agreement, AgreementStatus, AgreementTerm, MAX_REFERENCE_CHARS, short_text,
};
use gongshu_policy::Action;
use gongshu_store::{AgreementOpinionRow, AgreementRow, StoreTx};

use super::{
    AgreementView, DecisionInput, FilingInput, MAX_OPINION_CHARS, NewAgreement, OpinionInput,
    SigningInput, archive, calendar, commit_with, event, get_view, load, load_pending, org_kind,
    parse_clauses, refused, reload, save_pending, to_domain, today, workflow, write_back,
};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, new_id};

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
