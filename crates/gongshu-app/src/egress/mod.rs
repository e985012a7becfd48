//! 出域审核 (egress review, SANDBOX-RULES.md R5): a release request bundles
//! the released result of a sandbox query (re-run at request time, with its
//! disclosure-control report), the SQL, and further CSV/JSON files. Two
//! independent reviewers of the implementing agency or the data bureau
//! approve (the policies forbid the requester and its organisation); new
//! files start the review again; files leave only after approval, each
//! download audited; a rejection is appealable (appeals, kind `egress`).

mod files;
mod obligations;
mod views;

use gongshu_domain::egress::{
    Decision, EgressError, ReleaseFile, ReleaseState, ReleaseStatus, check_files,
};
use gongshu_domain::{OrgId, OrgKind, UserId};
use gongshu_ledger::RetentionClass;
use gongshu_policy::{Action, Resource};
use gongshu_store::{ReleaseDecisionRow, ReleaseFileRow, ReleaseRequestRow, StoreTx};
use serde::Deserialize;

use crate::agreements::commit_with;
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

pub use files::result_csv;
pub use obligations::{REVIEW_WORKING_DAYS, open_obligations, review_due_on};
pub use views::{DecisionView, FileView, ReleaseView, download, get_release, list_releases};

/// A file as sent.
#[derive(Debug, Clone, Deserialize)]
pub struct FileInput {
    /// Name (`.csv` or `.json`).
    pub name: String,
    /// UTF-8 content.
    pub content: String,
}

/// Input of `create_release`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewRelease {
    /// Title.
    pub title: String,
    /// Why the results must leave.
    pub purpose: String,
    /// The sandbox query whose released result is the first file.
    pub sql: String,
    /// Further files (charts' underlying counts, notes as JSON …).
    #[serde(default)]
    pub files: Vec<FileInput>,
}

/// Input of `decide_release`.
#[derive(Debug, Clone, Deserialize)]
pub struct ReleaseVerdict {
    /// `approve` or `reject`.
    pub verdict: String,
    /// Required for a rejection.
    #[serde(default)]
    pub reason: Option<String>,
}

fn refused(e: &EgressError) -> AppError {
    match e {
        EgressError::File { .. } | EgressError::FileCount | EgressError::ReasonRequired => {
            AppError::Validation(vec![FieldError::new(
                if matches!(e, EgressError::ReasonRequired) {
                    "reason"
                } else {
                    "files"
                },
                e.code(),
                e.to_string(),
            )])
        }
        _ => AppError::Refused {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

fn workflow(row: &ReleaseRequestRow) -> Result<Resource, AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok(Resource::Workflow {
        id: format!("release_request/{}", row.id),
        applicant_org: OrgId::parse(&row.requester_org).map_err(bad)?,
        submitted_by: UserId::parse(&row.requested_by).map_err(bad)?,
        parties: vec![],
    })
}

pub(super) fn supervisor(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::ImplementingAgency | OrgKind::DataBureau
    )
}

pub(super) fn event(
    action: &'static str,
    actor: &Actor,
    id: &str,
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .class(RetentionClass::DataAccess)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("release_request", id)
        .decided_by(decided)
}

pub(super) fn state(
    row: &ReleaseRequestRow,
    decisions: &[ReleaseDecisionRow],
) -> Result<ReleaseState, AppError> {
    let status = row
        .status
        .parse()
        .map_err(|_| AppError::Internal("bad release status".into()))?;
    Ok(ReleaseState {
        status,
        revision: u32::try_from(row.revision).unwrap_or(u32::MAX),
        decisions: decisions
            .iter()
            .map(|d| Decision {
                reviewer: d.reviewer.clone(),
                revision: u32::try_from(d.revision).unwrap_or(u32::MAX),
                approve: d.verdict == "approve",
            })
            .collect(),
    })
}

fn checked_files(input: &[FileInput]) -> Result<Vec<ReleaseFile>, AppError> {
    let files: Vec<ReleaseFile> = input
        .iter()
        .map(|f| ReleaseFile {
            name: f.name.trim().to_owned(),
            content: f.content.clone(),
        })
        .collect();
    check_files(&files).map_err(|e| refused(&e))?;
    let mut names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w.first() == w.get(1)) {
        return Err(AppError::Validation(vec![FieldError::new(
            "files",
            "egress.file_duplicate",
            "同一申请中的文件名不能重复",
        )]));
    }
    Ok(files)
}

async fn insert_files(
    tx: &mut StoreTx,
    id: &str,
    revision: i64,
    files: &[ReleaseFile],
) -> Result<(), AppError> {
    for f in files {
        tx.insert_release_file(&ReleaseFileRow {
            request_id: id.to_owned(),
            revision,
            name: f.name.clone(),
            media_type: gongshu_domain::egress::media_type(&f.name)
                .unwrap_or("text/csv")
                .to_owned(),
            content: f.content.clone(),
            sha256: files::sha256(&f.content),
        })
        .await?;
    }
    Ok(())
}

/// Creates a request: re-runs `sql` in the sandbox (an audited query), adds
/// its released result as `result.csv`, checks every file.
///
/// # Errors
/// Validation (empty title or purpose, file rules, the query's refusals),
/// forbidden (policies), audit and store errors.
pub async fn create_release(
    app: &App,
    actor: &Actor,
    input: &NewRelease,
) -> Result<ReleaseView, AppError> {
    let mut missing = Vec::new();
    for (field, value) in [("title", &input.title), ("purpose", &input.purpose)] {
        if value.trim().is_empty() {
            missing.push(FieldError::new(field, "egress.field_missing", "不能为空"));
        }
    }
    if !missing.is_empty() {
        return Err(AppError::Validation(missing));
    }
    let id = new_id();
    let now = app.clock().now();
    let mut row = ReleaseRequestRow {
        id: id.clone(),
        requester_org: actor.org_id.clone(),
        requested_by: actor.user_id.clone(),
        title: input.title.trim().to_owned(),
        purpose: input.purpose.trim().to_owned(),
        sql_text: input.sql.clone(),
        report: String::new(),
        status: ReleaseStatus::Submitted.as_str().to_owned(),
        revision: 1,
        created_at: now,
        updated_at: now,
        revised_at: now,
        closed_at: None,
        version: 1,
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &workflow(&row)?)
        .await?;
    let result = crate::sandbox::query(app, actor, &input.sql).await?;
    row.report = serde_json::to_string(&serde_json::json!({
        "disclosure": result.result.report,
        "sql_sha256": result.sql_sha256,
        "result_sha256": result.result_sha256,
        "query_audit_index": result.audit_index,
    }))
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut given = vec![FileInput {
        name: "result.csv".into(),
        content: result_csv(&result.result),
    }];
    given.extend(input.files.iter().cloned());
    let files = checked_files(&given)?;
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_release_request(&row).await?;
        insert_files(tx, &id, 1, &files).await?;
        Ok(event("release.requested", actor, &id, decided).details(serde_json::json!({
            "files": files.iter().map(|f| (f.name.clone(), files::sha256(&f.content))).collect::<Vec<_>>(),
            "sql_sha256": result.sql_sha256,
            "result_sha256": result.result_sha256,
        })))
    })
    .await?;
    get_release(app, actor, &id).await
}

pub(super) async fn load(
    app: &App,
    id: &str,
) -> Result<(ReleaseRequestRow, Vec<ReleaseDecisionRow>), AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_release_request(id).await?;
    let decisions = tx.list_release_decisions(id).await?;
    tx.commit().await?;
    let row = row.ok_or(AppError::NotFound {
        what: "release_request",
    })?;
    Ok((row, decisions))
}

/// Replaces the files (requester only): a new revision, earlier approvals
/// no longer count.
///
/// # Errors
/// As [`create_release`]; refused on a final request or for anyone else.
pub async fn replace_files(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &[FileInput],
) -> Result<ReleaseView, AppError> {
    let (seen, decisions) = load(app, id).await?;
    if seen.requested_by != actor.user_id {
        return Err(refused(&EgressError::NotRequester));
    }
    let files = checked_files(input)?;
    let mut st = state(&seen, &decisions)?;
    let revision = i64::from(st.replace_files().map_err(|e| refused(&e))?);
    let mut row = seen.clone();
    row.revision = revision;
    row.updated_at = app.clock().now();
    row.revised_at = row.updated_at;
    commit_with(app, async |tx: &mut StoreTx| {
        tx.update_release_request(&row, seen.version).await?;
        insert_files(tx, id, revision, &files).await?;
        Ok(event("release.files_replaced", actor, id, vec![]).details(serde_json::json!({
            "revision": revision,
            "files": files.iter().map(|f| (f.name.clone(), files::sha256(&f.content))).collect::<Vec<_>>(),
        })))
    })
    .await?;
    get_release(app, actor, id).await
}

/// Records a reviewer's verdict on the current revision.
///
/// # Errors
/// Forbidden (not a reviewer of the agency or bureau; the requester or its
/// organisation), refused (final, already decided), validation (reason).
pub async fn decide_release(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ReleaseVerdict,
) -> Result<ReleaseView, AppError> {
    let (seen, decisions) = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::WorkflowReview, &workflow(&seen)?)
        .await?;
    let approve = match input.verdict.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::Validation(vec![FieldError::new(
                "verdict",
                "egress.verdict_invalid",
                "审核结论只能是 approve（批准）或 reject（驳回）",
            )]));
        }
    };
    let mut st = state(&seen, &decisions)?;
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let status = st
        .decide(&actor.user_id, approve, reason)
        .map_err(|e| refused(&e))?;
    let now = app.clock().now();
    let mut row = seen.clone();
    row.status = status.as_str().to_owned();
    row.updated_at = now;
    if status.is_final() {
        row.closed_at = Some(now);
    }
    let action = match status {
        ReleaseStatus::Approved => "release.approved",
        ReleaseStatus::Rejected => "release.rejected",
        _ => "release.reviewed",
    };
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_release_decision(&ReleaseDecisionRow {
            request_id: id.to_owned(),
            reviewer: actor.user_id.clone(),
            reviewer_org: actor.org_id.clone(),
            revision: seen.revision,
            verdict: input.verdict.clone(),
            reason: reason.map(str::to_owned),
            decided_at: now,
        })
        .await?;
        tx.update_release_request(&row, seen.version).await?;
        Ok(
            event(action, actor, id, decided).details(serde_json::json!({
                "revision": seen.revision,
                "verdict": input.verdict,
                "approvals": st.approvals(),
                "appealable": status == ReleaseStatus::Rejected,
            })),
        )
    })
    .await?;
    get_release(app, actor, id).await
}

/// Withdraws a pending request (requester only).
///
/// # Errors
/// Refused on a final request or for anyone else.
pub async fn withdraw_release(app: &App, actor: &Actor, id: &str) -> Result<ReleaseView, AppError> {
    let (seen, decisions) = load(app, id).await?;
    if seen.requested_by != actor.user_id {
        return Err(refused(&EgressError::NotRequester));
    }
    let mut st = state(&seen, &decisions)?;
    st.withdraw().map_err(|e| refused(&e))?;
    let now = app.clock().now();
    let mut row = seen.clone();
    row.status = ReleaseStatus::Withdrawn.as_str().to_owned();
    row.updated_at = now;
    row.closed_at = Some(now);
    commit_with(app, async |tx: &mut StoreTx| {
        tx.update_release_request(&row, seen.version).await?;
        Ok(event("release.withdrawn", actor, id, vec![]))
    })
    .await?;
    get_release(app, actor, id).await
}
