//! After signing: renewal applications (S-2.2b) and changes of clauses,
//! each a new revision reviewed again.

use chrono::Days;
use gongshu_domain::agreement::Agreement;
use gongshu_policy::Action;
use gongshu_store::{AgreementRow, StoreTx};

use super::{
    AgreementView, ChangeInput, RenewalInput, archive, commit_with, event, get_view, load,
    parse_clauses, pending, refused, reload, renewed_end, save_pending, to_domain, today, workflow,
    write_back,
};
use crate::error::AppError;
use crate::{Actor, App, new_id};

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
