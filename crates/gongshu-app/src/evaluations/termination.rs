//! Termination of the authorization (终止, S-3.3.5).
//!
//! An implementing-agency user proposes (`governance.manage`) for one of the
//! five triggers with reasons; an agency approver other than the proposer
//! decides (`governance.manage` AND `workflow.approve` with the proposer as
//! `submitted_by`, so `sod_no_self_approval` forbids the proposer and
//! `sod_no_review_by_applicant_org` the operator). Approval takes effect at
//! once, in ONE transaction with its audit record:
//! - the agreement becomes Terminated (a pending revision lapses);
//! - every data grant is revoked: the operator's and those of participants,
//!   which all derive from the one whole authorization while only one
//!   agreement exists (S-2.1);
//! - every API key of the operator and of those grantees, and every session
//!   of their users, is revoked;
//! - one destruction record per dataset of the data scope is written with
//!   status `keys_pending_vault` in the same transaction; right after the
//!   commit the vault crypto-shreds each dataset's keys and the record is
//!   completed with the certificate digest (`destruction.rs`; a daily job
//!   finishes any destruction a crash interrupted). Nothing claims a
//!   destruction before the vault has done it;
//! - the filing with the city is due in 10 working days (an inbox
//!   obligation of the agency until recorded).
//!
//! Logs stay: network and session logs ≥ 6 months, governance and data
//! access records ≥ 5 years, by the ledger's retention classes
//! (`RetentionClass`, floors that configuration cannot lower).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use gongshu_domain::DomainError as _;
use gongshu_domain::agreement::{AgreementStatus, MAX_REFERENCE_CHARS};
use gongshu_domain::deadline::Obligation;
use gongshu_domain::termination::{
    self as tm, DestructionStatus, LOG_RETENTION_NOTE, MAX_REASONS_CHARS, TerminationCommand,
    TerminationError, TerminationStatus, Trigger,
};
use gongshu_policy::Action;
use gongshu_store::{DestructionRow, StoreTx, TerminationRow};
use serde::{Deserialize, Serialize};

use super::{json, may_read, workflow_of};
use crate::agreements::{calendar, commit_with, today, write_back};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `propose_termination`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewTermination {
    /// The agreement in force.
    pub agreement_id: String,
    /// Trigger code (one of five, S-3.3.5).
    pub trigger: String,
    /// Reasons.
    pub reasons: String,
    /// The evaluation whose findings were not rectified, if relevant.
    #[serde(default)]
    pub evaluation_id: Option<String>,
}

/// Input of `decide_termination`.
#[derive(Debug, Clone, Deserialize)]
pub struct TerminationDecision {
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// Note.
    #[serde(default)]
    pub note: Option<String>,
}

/// Input of `file_termination`.
#[derive(Debug, Clone, Deserialize)]
pub struct TerminationFiling {
    /// Filing date.
    pub filed_on: NaiveDate,
    /// Receipt number of the city data bureau.
    pub receipt_no: String,
}

/// A destruction record as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DestructionView {
    /// Dataset.
    pub dataset_id: String,
    /// Status code (`keys_pending_vault`).
    pub status: String,
    /// Status in Chinese (says that nothing is destroyed yet).
    pub status_label: String,
}

/// A termination as shown.
#[derive(Debug, Clone, Serialize)]
pub struct TerminationView {
    /// Id.
    pub id: String,
    /// Agreement.
    pub agreement_id: String,
    /// Operator.
    pub operator_org_id: String,
    /// Trigger code.
    pub trigger: String,
    /// Trigger in Chinese.
    pub trigger_label: String,
    /// Reasons.
    pub reasons: String,
    /// Evaluation referred to.
    pub evaluation_id: Option<String>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Proposer.
    pub proposed_by: String,
    /// Proposal date.
    pub proposed_on: NaiveDate,
    /// Deciding approver.
    pub decided_by: Option<String>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Decision note.
    pub decision_note: Option<String>,
    /// Filing due date (10 working days, S-3.3.5).
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Filing receipt.
    pub filing_receipt: Option<String>,
    /// Filed after the due date.
    pub filed_late: bool,
    /// What was revoked when it took effect.
    pub revoked: serde_json::Value,
    /// Destruction records, one per dataset of the data scope.
    pub destructions: Vec<DestructionView>,
    /// Completed destructions: the vault's certificates (or that it held
    /// no copy), one per dataset once crypto-shredding has run.
    pub certificates: Vec<super::destruction::CertificateView>,
    /// Where the log retention after termination is guaranteed.
    pub log_retention: &'static str,
    /// Optimistic-lock version.
    pub version: i64,
}

fn view(
    r: TerminationRow,
    destructions: Vec<DestructionRow>,
    certificates: Vec<gongshu_store::DestructionCertificateRow>,
) -> TerminationView {
    TerminationView {
        certificates: certificates.into_iter().map(Into::into).collect(),
        trigger_label: Trigger::parse(&r.trigger_code)
            .map(|t| t.label_zh().to_owned())
            .unwrap_or_default(),
        status_label: TerminationStatus::parse(&r.status)
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        filed_late: matches!((r.filed_on, r.filing_due_on), (Some(f), Some(d)) if f > d),
        revoked: r
            .revoked
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or(serde_json::Value::Null),
        destructions: destructions
            .into_iter()
            .map(|d| DestructionView {
                status_label: DestructionStatus::parse(&d.status)
                    .map(|s| s.label_zh().to_owned())
                    .unwrap_or_default(),
                dataset_id: d.dataset_id,
                status: d.status,
            })
            .collect(),
        log_retention: LOG_RETENTION_NOTE,
        id: r.id,
        agreement_id: r.agreement_id,
        operator_org_id: r.operator_org_id,
        trigger: r.trigger_code,
        reasons: r.reasons,
        evaluation_id: r.evaluation_id,
        status: r.status,
        proposed_by: r.proposed_by,
        proposed_on: r.proposed_on,
        decided_by: r.decided_by,
        decided_on: r.decided_on,
        decision_note: r.decision_note,
        filing_due_on: r.filing_due_on,
        filed_on: r.filed_on,
        filing_receipt: r.filing_receipt,
        version: r.version,
    }
}

fn refused(e: &TerminationError) -> AppError {
    if e.is_input_error() {
        AppError::Validation(vec![FieldError::new(e.field(), e.code(), e.message_zh())])
    } else {
        AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        }
    }
}

fn audit(action: &'static str, actor: &Actor, id: &str, decided: Vec<String>) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("termination", id)
        .decided_by(decided)
}

async fn load(app: &App, id: &str) -> Result<TerminationRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_termination(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound {
        what: "termination",
    })
}

async fn reload(tx: &mut StoreTx, seen: &TerminationRow) -> Result<TerminationRow, AppError> {
    let row = tx
        .get_termination(&seen.id)
        .await?
        .ok_or(AppError::NotFound {
            what: "termination",
        })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

fn not_active(row: &gongshu_store::AgreementRow) -> Option<TerminationError> {
    let status = row.status.parse::<AgreementStatus>().ok()?;
    (!status.is_active()).then(|| TerminationError::AgreementNotActive {
        agreement_id: row.id.clone(),
        status: status.label_zh().to_owned(),
    })
}

/// Proposes to terminate the agreement in force (S-3.3.5); refused for an
/// agreement not in force (409 `termination.agreement_not_active`) or with a
/// termination already proposed or in effect.
pub async fn propose_termination(
    app: &App,
    actor: &Actor,
    input: &NewTermination,
) -> Result<TerminationView, AppError> {
    let trigger = Trigger::parse(&input.trigger);
    let reasons = tm::text(&input.reasons, "reasons", MAX_REASONS_CHARS);
    let mut errors = Vec::new();
    if trigger.is_none() {
        errors.push(TerminationError::TriggerUnknown {
            found: input.trigger.clone(),
        });
    }
    if let Err(e) = &reasons {
        errors.push(e.clone());
    }
    let (Some(trigger), Ok(reasons)) = (trigger, reasons) else {
        return Err(AppError::Validation(
            errors
                .iter()
                .map(|e| FieldError::new(e.field(), e.code(), e.message_zh()))
                .collect(),
        ));
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
            Action::GovernanceManage,
            &workflow_of(
                "termination",
                &agreement.id,
                &agreement.operator_org_id,
                &actor.user_id,
            )?,
        )
        .await?;
    let today = today(app);
    let now = app.clock().now();
    let id = new_id();
    let row = TerminationRow {
        id: id.clone(),
        agreement_id: agreement.id.clone(),
        operator_org_id: agreement.operator_org_id.clone(),
        trigger_code: trigger.as_str().to_owned(),
        reasons,
        evaluation_id: input.evaluation_id.clone(),
        status: TerminationStatus::Proposed.as_str().to_owned(),
        proposed_by: actor.user_id.clone(),
        proposed_on: today,
        decided_by: None,
        decided_on: None,
        decision_note: None,
        filing_due_on: None,
        filed_on: None,
        filing_receipt: None,
        revoked: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        let current = tx
            .get_agreement(&row.agreement_id)
            .await?
            .ok_or(AppError::NotFound { what: "agreement" })?;
        if let Some(e) = not_active(&current) {
            return Err(refused(&e));
        }
        if let Some(open) = tx.find_open_termination(&row.agreement_id).await? {
            return Err(refused(&TerminationError::AlreadyProposed {
                termination_id: open.id,
            }));
        }
        if let Some(ev) = &row.evaluation_id
            && tx.get_evaluation(ev).await?.is_none()
        {
            return Err(AppError::Validation(vec![FieldError::new(
                "evaluation_id",
                "evaluation.unknown",
                "评估记录不存在（S-3.3.5）",
            )]));
        }
        tx.insert_termination(&row).await?;
        Ok(
            audit("termination.proposed", actor, &id, decided).details(serde_json::json!({
                "agreement_id": row.agreement_id,
                "trigger": row.trigger_code,
                "evaluation_id": row.evaluation_id,
            })),
        )
    })
    .await?;
    get_termination(app, actor, &id).await
}

/// An agency approver other than the proposer decides. Approval terminates
/// the agreement and revokes every access AT ONCE (see the module doc).
pub async fn decide_termination(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &TerminationDecision,
) -> Result<TerminationView, AppError> {
    let note = match &input.note {
        Some(n) => Some(tm::text(n, "note", MAX_REASONS_CHARS).map_err(|e| refused(&e))?),
        None if !input.approve => {
            return Err(refused(&TerminationError::TextInvalid { field: "note" }));
        }
        None => None,
    };
    let seen = load(app, id).await?;
    let resource = workflow_of(
        "termination",
        &seen.agreement_id,
        &seen.operator_org_id,
        &seen.proposed_by,
    )?;
    let mut decided = app
        .authorize(actor, Action::GovernanceManage, &resource)
        .await?;
    decided.extend(
        app.authorize(actor, Action::WorkflowApprove, &resource)
            .await?,
    );
    let today = today(app);
    let now = app.clock().now();
    let cal = calendar()?;
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let status = TerminationStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal("bad termination status".into()))?;
        let command = if input.approve {
            TerminationCommand::Approve
        } else {
            TerminationCommand::Reject
        };
        let next = status.apply(command).map_err(|e| refused(&e))?;
        row.status = next.as_str().to_owned();
        row.decided_by = Some(actor.user_id.clone());
        row.decided_on = Some(today);
        row.decision_note = note.clone();
        row.updated_at = now;
        if !input.approve {
            tx.update_termination(&row, seen.version).await?;
            return Ok(audit("termination.rejected", actor, id, decided));
        }
        let revoked = take_effect(tx, &row, today, now).await?;
        row.filing_due_on = match tm::filing_due_on(&cal, today) {
            Ok(d) => Some(d),
            Err(gongshu_domain::CalendarError::UnpublishedYear { .. }) => None,
            Err(e) => return Err(refused(&e.into())),
        };
        row.revoked = Some(json(&revoked)?);
        tx.update_termination(&row, seen.version).await?;
        Ok(
            audit("termination.approved", actor, id, decided).details(serde_json::json!({
                "agreement_id": row.agreement_id,
                "trigger": row.trigger_code,
                "effective_on": today,
                "filing_due_on": row.filing_due_on,
                "revoked": revoked,
                "destruction": DestructionStatus::KeysPendingVault.as_str(),
            })),
        )
    })
    .await?;
    if input.approve {
        // Every grant is revoked: queries in flight stop now, not at their end.
        app.access_ends().end_all();
        // Crypto-shred at once; a failure leaves the records pending and
        // `complete_destructions` can be run again (it is idempotent).
        if let Err(e) = super::destruction::complete_destructions(app, id).await {
            tracing::error!(
                code = e.code(),
                termination = id,
                "destruction did not complete"
            );
        }
    }
    get_termination(app, actor, id).await
}

/// Terminates the agreement and revokes every access; returns a summary.
async fn take_effect(
    tx: &mut StoreTx,
    termination: &TerminationRow,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, AppError> {
    let mut agreement = tx
        .get_agreement(&termination.agreement_id)
        .await?
        .ok_or(AppError::NotFound { what: "agreement" })?;
    if let Some(e) = not_active(&agreement) {
        return Err(refused(&e));
    }
    let pending = tx.get_pending_revision(&agreement.id).await?;
    let mut a = crate::agreements::to_domain(&agreement, pending.as_ref())?;
    a.terminate().map_err(|e| crate::agreements::refused(&e))?;
    write_back(&mut agreement, &a)?;
    tx.delete_pending_revision(&agreement.id).await?;
    agreement.updated_at = now;
    let expected = agreement.version;
    tx.update_agreement(&agreement, expected).await?;

    let mut orgs: BTreeSet<String> = tx.revoke_all_data_grants(now).await?.into_iter().collect();
    let grantee_orgs = orgs.len();
    orgs.insert(termination.operator_org_id.clone());
    let (mut keys, mut sessions) = (0_u64, 0_u64);
    for org in &orgs {
        keys += tx.revoke_org_api_keys(org, now).await?;
        sessions += tx.revoke_org_sessions(org, now).await?;
    }
    let datasets = a.clauses.data_scope().dataset_ids.clone();
    for dataset in &datasets {
        tx.insert_destruction(&DestructionRow {
            termination_id: termination.id.clone(),
            dataset_id: dataset.to_string(),
            status: DestructionStatus::KeysPendingVault.as_str().to_owned(),
            recorded_at: now,
        })
        .await?;
    }
    Ok(serde_json::json!({
        "agreement_status": AgreementStatus::Terminated.as_str(),
        "effective_on": today,
        "orgs": orgs,
        "grantee_orgs": grantee_orgs,
        "api_keys": keys,
        "sessions": sessions,
        "datasets_pending_destruction": datasets.len(),
    }))
}

/// Records the filing of an effective termination with the city data
/// bureau (S-3.3.5); a late filing is recorded and flagged.
pub async fn file_termination(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &TerminationFiling,
) -> Result<TerminationView, AppError> {
    let receipt =
        tm::text(&input.receipt_no, "receipt_no", MAX_REFERENCE_CHARS).map_err(|e| refused(&e))?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow_of(
                "termination",
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
        let status = TerminationStatus::parse(&row.status)
            .ok_or_else(|| AppError::Internal("bad termination status".into()))?;
        let next = status
            .apply(TerminationCommand::File)
            .map_err(|e| refused(&e))?;
        let earliest = row.decided_on.unwrap_or(row.proposed_on);
        if input.filed_on > today || input.filed_on < earliest {
            return Err(refused(&TerminationError::DateInvalid {
                field: "filed_on",
                date: input.filed_on,
                earliest,
            }));
        }
        row.status = next.as_str().to_owned();
        row.filed_on = Some(input.filed_on);
        row.filing_receipt = Some(receipt.clone());
        row.updated_at = now;
        tx.update_termination(&row, seen.version).await?;
        let late = row.filing_due_on.is_some_and(|d| input.filed_on > d);
        Ok(
            audit("termination.filed", actor, id, decided).details(serde_json::json!({
                "filed_on": input.filed_on,
                "filing_due_on": row.filing_due_on,
                "receipt_no": receipt,
                "late": late,
            })),
        )
    })
    .await?;
    get_termination(app, actor, id).await
}

/// One termination with its destruction records.
pub async fn get_termination(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<TerminationView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_termination(id).await?;
    let destructions = tx.list_destructions(id).await?;
    let certificates = tx.list_destruction_certificates(id).await?;
    tx.commit().await?;
    let row = row.ok_or(AppError::NotFound {
        what: "termination",
    })?;
    if !may_read(actor, &row.operator_org_id) {
        return Err(AppError::Forbidden {
            action: "termination.read".into(),
            policy_ids: Vec::new(),
        });
    }
    Ok(view(row, destructions, certificates))
}

/// Terminations the actor may read, oldest first.
pub async fn list_terminations(app: &App, actor: &Actor) -> Result<Vec<TerminationView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_terminations().await?;
    let mut out = Vec::new();
    for r in rows
        .into_iter()
        .filter(|r| may_read(actor, &r.operator_org_id))
    {
        let d = tx.list_destructions(&r.id).await?;
        let c = tx.list_destruction_certificates(&r.id).await?;
        out.push(view(r, d, c));
    }
    tx.commit().await?;
    Ok(out)
}

/// The filing with the city of each termination in effect (S-3.3.5); the
/// implementing agency of the agreement acts.
pub(crate) async fn open_obligations(app: &App) -> Result<Vec<Obligation>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_terminations().await?;
    let mut out = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.status == TerminationStatus::Effective.as_str())
    {
        let (Some(decided_on), Some(due_on)) = (r.decided_on, r.filing_due_on) else {
            continue;
        };
        let Some(agreement) = tx.get_agreement(&r.agreement_id).await? else {
            continue;
        };
        out.push(Obligation {
            kind: "termination.filing".into(),
            title_zh: "授权终止报市数据局备案".into(),
            rule: "S-3.3.5".into(),
            subject_type: "termination".into(),
            subject_id: r.id.clone(),
            responsible_org: agreement.agency_org_id,
            started_on: decided_on,
            due_on,
        });
    }
    tx.commit().await?;
    Ok(out)
}
