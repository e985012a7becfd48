//! HTTP routes of egress review (出域审核): release requests, reviews,
//! withdrawal and the download of approved files.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use gongshu_app::egress::{self, FileInput, NewRelease, ReleaseVerdict};
use serde::Deserialize;

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/api/v1/releases",
        summary: "提交出域申请",
        description: "Body `{title, purpose, sql, files: [{name, content}]}`. Re-runs `sql` in the sandbox (audited) and bundles its released result as `result.csv` with the disclosure-control report; further files must be CSV or JSON, at most 10 files of 1 MiB, numbers with at most 4 decimals. 201 with the request.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/releases",
        summary: "出域申请列表",
        description: "Requests of the caller's organisation; all requests for the implementing agency and the data bureau (reviewers see file contents).",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/releases/{id}",
        summary: "出域申请详情",
        description: "One request with files of the current revision, decisions, approvals and whether a rejection is appealable.",
    },
    RouteDoc {
        method: "put",
        path: "/api/v1/releases/{id}/files",
        summary: "更换出域文件",
        description: "Body `{files: [{name, content}]}` (requester only): a new revision; approvals of earlier revisions no longer count.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/releases/{id}/decisions",
        summary: "出域审核决定",
        description: "Body `{verdict: approve|reject, reason}`. Reviewers of the implementing agency or the data bureau, never the requester or its organisation; one decision per reviewer and revision; two approvals release, one rejection (with a reason) ends the request and may be appealed.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/releases/{id}/withdraw",
        summary: "撤回出域申请",
        description: "Requester only, while submitted.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/releases/{id}/files/{name}",
        summary: "下载已批准的出域文件",
        description: "The requester's organisation only, only after approval (409 `egress.not_approved` before); every download is an audit record.",
    },
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/releases", post(create).get(list))
        .route("/api/v1/releases/{id}", get(one))
        .route("/api/v1/releases/{id}/files", put(files))
        .route("/api/v1/releases/{id}/decisions", post(decide))
        .route("/api/v1/releases/{id}/withdraw", post(withdraw))
        .route("/api/v1/releases/{id}/files/{name}", get(download))
}

/// New files.
#[derive(Debug, Deserialize)]
pub struct FilesInput {
    /// The files.
    pub files: Vec<FileInput>,
}

async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewRelease>,
) -> Result<Response, ApiError> {
    let v = egress::create_release(&state.app, &auth.actor, &b).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    Ok(Json(egress::list_releases(&state.app, &auth.actor).await?).into_response())
}

async fn one(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(egress::get_release(&state.app, &auth.actor, &id).await?).into_response())
}

async fn files(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<FilesInput>,
) -> Result<Response, ApiError> {
    Ok(Json(egress::replace_files(&state.app, &auth.actor, &id, &b.files).await?).into_response())
}

async fn decide(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ReleaseVerdict>,
) -> Result<Response, ApiError> {
    Ok(Json(egress::decide_release(&state.app, &auth.actor, &id, &b).await?).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(egress::withdraw_release(&state.app, &auth.actor, &id).await?).into_response())
}

async fn download(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((id, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let f = egress::download(&state.app, &auth.actor, &id, &name).await?;
    let disposition = format!("attachment; filename*=UTF-8''{}", percent(&f.name));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                format!("{}; charset=utf-8", f.media_type),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        f.content,
    )
        .into_response())
}

/// RFC 5987 encoding of a file name (our names are checked: no paths).
fn percent(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
