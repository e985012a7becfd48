//! The revision of an agreement in force that awaits approval (S-2.4): its
//! loading into the domain, its storage, and the history of replaced
//! revisions.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::agreement::{
    Agreement, AgreementClauses, AgreementStatus, ClausesInput, PendingRevision,
};
pub(crate) use gongshu_store::PendingRevisionRow;
use gongshu_store::{AgreementRevisionRow, AgreementRow, StoreTx};
use serde::Serialize;

use super::clauses_json;
use crate::{Actor, App, AppError};

/// A pending revision as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PendingView {
    /// Its revision number.
    pub revision: i64,
    /// `draft`, `opinions_collected` or `decided`.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Its clauses.
    pub clauses: serde_json::Value,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Meeting reference.
    pub decision_ref: Option<String>,
    /// Author.
    pub drafted_by: String,
}

impl From<PendingRevisionRow> for PendingView {
    fn from(r: PendingRevisionRow) -> Self {
        Self {
            status_label: r
                .status
                .parse::<AgreementStatus>()
                .map(|s| s.label_zh().to_owned())
                .unwrap_or_default(),
            clauses: serde_json::from_str(&r.clauses).unwrap_or(serde_json::Value::Null),
            revision: r.revision,
            status: r.status,
            decided_on: r.decided_on,
            decision_ref: r.decision_ref,
            drafted_by: r.drafted_by,
        }
    }
}

fn parse_stored(clauses: &str) -> Result<AgreementClauses, AppError> {
    let input: ClausesInput = serde_json::from_str(clauses)
        .map_err(|e| AppError::Internal(format!("stored clauses: {e}")))?;
    AgreementClauses::parse(&input)
        .map_err(|_| AppError::Internal("stored clauses no longer parse".into()))
}

fn status(raw: &str) -> Result<AgreementStatus, AppError> {
    raw.parse::<AgreementStatus>()
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// The domain state of an agreement and its pending revision.
pub(crate) fn to_domain(
    row: &AgreementRow,
    pending: Option<&PendingRevisionRow>,
) -> Result<Agreement, AppError> {
    let pending = match pending {
        Some(p) => Some(PendingRevision {
            status: status(&p.status)?,
            revision: u32::try_from(p.revision).unwrap_or(u32::MAX),
            clauses: parse_stored(&p.clauses)?,
            decided_on: p.decided_on,
        }),
        None => None,
    };
    Ok(Agreement {
        status: status(&row.status)?,
        revision: u32::try_from(row.revision).unwrap_or(u32::MAX),
        clauses: parse_stored(&row.clauses)?,
        decided_on: row.decided_on,
        signed_on: row.signed_on,
        filing_due_on: row.filing_due_on,
        filed_on: row.filed_on,
        renewal_of: row.renewal_of.clone(),
        pending,
    })
}

/// Stores the domain's pending revision into `row` (kept metadata: author,
/// decision reference) or removes it when the domain has none.
pub(crate) async fn save_pending(
    tx: &mut StoreTx,
    a: &Agreement,
    row: Option<&mut PendingRevisionRow>,
) -> Result<(), AppError> {
    match (&a.pending, row) {
        (Some(p), Some(row)) => {
            row.revision = i64::from(p.revision);
            row.status = p.status.as_str().to_owned();
            row.clauses = clauses_json(&p.clauses)?;
            row.decided_on = p.decided_on;
            tx.put_pending_revision(row).await?;
        }
        (Some(_), None) => {
            return Err(AppError::Internal(
                "pending revision without its row".into(),
            ));
        }
        (None, Some(row)) => {
            tx.delete_pending_revision(&row.agreement_id).await?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// Keeps the revision in `before` (as it stood) in the history.
pub(crate) async fn archive(
    tx: &mut StoreTx,
    before: &AgreementRow,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.insert_agreement_revision(&AgreementRevisionRow {
        agreement_id: before.id.clone(),
        revision: before.revision,
        status: before.status.clone(),
        clauses: before.clauses.clone(),
        decided_on: before.decided_on,
        decision_ref: before.decision_ref.clone(),
        signed_on: before.signed_on,
        filed_on: before.filed_on,
        filing_receipt: before.filing_receipt.clone(),
        superseded_by: actor.user_id.clone(),
        superseded_at: now,
    })
    .await?;
    Ok(())
}

/// Keeps a pending revision that a later change replaced (never signed).
pub(crate) async fn archive_pending(
    tx: &mut StoreTx,
    old: &PendingRevisionRow,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    tx.insert_agreement_revision(&AgreementRevisionRow {
        agreement_id: old.agreement_id.clone(),
        revision: old.revision,
        status: old.status.clone(),
        clauses: old.clauses.clone(),
        decided_on: old.decided_on,
        decision_ref: old.decision_ref.clone(),
        signed_on: None,
        filed_on: None,
        filing_receipt: None,
        superseded_by: actor.user_id.clone(),
        superseded_at: now,
    })
    .await?;
    Ok(())
}

/// The pending revision of an agreement, read outside a change.
pub(crate) async fn load_pending(
    app: &App,
    id: &str,
) -> Result<Option<PendingRevisionRow>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_pending_revision(id).await?;
    tx.commit().await?;
    Ok(row)
}
