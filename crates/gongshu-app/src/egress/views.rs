//! Reading release requests: what the requester's organisation and the
//! supervisors see, and the audited download of approved files.

use chrono::Utc;
use gongshu_domain::egress::ReleaseStatus;
use gongshu_store::{ReleaseFileRow, ReleaseRequestRow};
use serde::Serialize;

use super::{event, load, state, supervisor};
use crate::error::AppError;
use crate::{Actor, App};

/// A file as shown (content only to reviewers and, once approved, by download).
#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    /// Name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Size in bytes.
    pub bytes: usize,
    /// Hex SHA-256.
    pub sha256: String,
    /// Content, for reviewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A decision as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    /// Reviewer.
    pub reviewer: String,
    /// Reviewer's organisation.
    pub reviewer_org: String,
    /// Revision decided.
    pub revision: i64,
    /// `approve` or `reject`.
    pub verdict: String,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub decided_at: chrono::DateTime<Utc>,
}

/// A release request as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseView {
    /// Id.
    pub id: String,
    /// Requesting organisation.
    pub requester_org: String,
    /// Requesting user.
    pub requested_by: String,
    /// Title.
    pub title: String,
    /// Purpose.
    pub purpose: String,
    /// The SQL.
    pub sql: String,
    /// Disclosure-control report of the query.
    pub report: serde_json::Value,
    /// Status code.
    pub status: ReleaseStatus,
    /// Status in Chinese.
    pub status_zh: &'static str,
    /// Current files revision.
    pub revision: i64,
    /// Approvals of the current revision.
    pub approvals: usize,
    /// Files of the current revision.
    pub files: Vec<FileView>,
    /// Every decision.
    pub decisions: Vec<DecisionView>,
    /// Whether a rejection may be appealed (to the implementing agency).
    pub appealable: bool,
    /// Created.
    pub created_at: chrono::DateTime<Utc>,
    /// When the current files revision was submitted.
    pub revised_at: chrono::DateTime<Utc>,
    /// While under review: the reviewers' time limit (Asia/Shanghai),
    /// [`super::REVIEW_WORKING_DAYS`] working days from `revised_at`.
    pub review_due_on: Option<chrono::NaiveDate>,
}

fn may_see(actor: &Actor, row: &ReleaseRequestRow) -> bool {
    supervisor(actor) || actor.org_id == row.requester_org
}

/// One request: the requester's organisation and the supervisors; file
/// contents for supervisors only (they review them).
///
/// # Errors
/// Not found (also when not visible).
pub async fn get_release(app: &App, actor: &Actor, id: &str) -> Result<ReleaseView, AppError> {
    let (row, decisions) = load(app, id).await?;
    if !may_see(actor, &row) {
        return Err(AppError::NotFound {
            what: "release_request",
        });
    }
    let mut tx = app.store().begin_read().await?;
    let files = tx.list_release_files(id, row.revision).await?;
    tx.commit().await?;
    let st = state(&row, &decisions)?;
    let show = supervisor(actor);
    Ok(ReleaseView {
        id: row.id.clone(),
        requester_org: row.requester_org.clone(),
        requested_by: row.requested_by.clone(),
        title: row.title.clone(),
        purpose: row.purpose.clone(),
        sql: row.sql_text.clone(),
        report: serde_json::from_str(&row.report).unwrap_or(serde_json::Value::Null),
        status: st.status,
        status_zh: st.status.label_zh(),
        revision: row.revision,
        approvals: st.approvals(),
        files: files
            .into_iter()
            .map(|f| FileView {
                bytes: f.content.len(),
                content: show.then_some(f.content),
                name: f.name,
                media_type: f.media_type,
                sha256: f.sha256,
            })
            .collect(),
        decisions: decisions
            .into_iter()
            .map(|d| DecisionView {
                reviewer: d.reviewer,
                reviewer_org: d.reviewer_org,
                revision: d.revision,
                verdict: d.verdict,
                reason: d.reason,
                decided_at: d.decided_at,
            })
            .collect(),
        appealable: st.status == ReleaseStatus::Rejected,
        created_at: row.created_at,
        revised_at: row.revised_at,
        review_due_on: (st.status == ReleaseStatus::Submitted)
            .then(|| super::obligations::review_due_on(row.revised_at))
            .flatten(),
    })
}

/// Requests visible to the caller, newest first.
///
/// # Errors
/// Store errors.
pub async fn list_releases(app: &App, actor: &Actor) -> Result<Vec<ReleaseView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let org = (!supervisor(actor)).then_some(actor.org_id.as_str());
    let rows = tx.list_release_requests(org).await?;
    tx.commit().await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(get_release(app, actor, &r.id).await?);
    }
    Ok(out)
}

/// A released file: only the requester's organisation, only once
/// approved; every download is an audit record.
///
/// # Errors
/// Not found, refused before approval.
pub async fn download(
    app: &App,
    actor: &Actor,
    id: &str,
    name: &str,
) -> Result<ReleaseFileRow, AppError> {
    let (row, _) = load(app, id).await?;
    if actor.org_id != row.requester_org {
        return Err(AppError::NotFound {
            what: "release_request",
        });
    }
    if row.status != ReleaseStatus::Approved.as_str() {
        return Err(AppError::Refused {
            code: "egress.not_approved",
            message: "出域申请尚未经两名审核人批准，文件不能下载".into(),
        });
    }
    let mut tx = app.store().begin_read().await?;
    let file = tx
        .list_release_files(id, row.revision)
        .await?
        .into_iter()
        .find(|f| f.name == name);
    tx.commit().await?;
    let file = file.ok_or(AppError::NotFound {
        what: "release_file",
    })?;
    app.record(
        event("release.downloaded", actor, id, vec![])
            .details(serde_json::json!({ "file": name, "sha256": file.sha256 })),
    )
    .await?;
    Ok(file)
}
