//! HTTP routes of the 授权协议 workflows: the authorization agreement of
//! the one whole-authorization operator, from draft to filing, renewal and
//! change. Transitions are commands (`POST …/{id}/sign`), never a status
//! patch. Refusals by a rule answer 409 with the rule's own code and the
//! rule id in the message; invalid input answers 422 with field errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::agreements::{
    self, ChangeInput, DecisionInput, FilingInput, NewAgreement, OpinionInput, RenewalInput,
    SigningInput,
};

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

const fn r(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    description: &'static str,
) -> RouteDoc {
    RouteDoc {
        method,
        path,
        summary,
        description,
    }
}

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    r(
        "get",
        "/api/v1/agreements",
        "授权运营协议列表",
        "List authorization agreements, oldest first.",
    ),
    r(
        "post",
        "/api/v1/agreements",
        "起草授权运营协议",
        "Draft an agreement with all 13 clauses (S-3.3.3c); the term is at most 3 years (S-2.2a). Implementing agency staff.",
    ),
    r(
        "get",
        "/api/v1/agreements/{id}",
        "授权运营协议详情",
        "One agreement with its opinions and superseded revisions.",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/opinions",
        "记录征求意见",
        "Record the opinion of a sector regulator or supervisor (S-3.3.3a).",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/decide",
        "记录三重一大集体决策",
        "Record the collective decision (S-2.4, S-3.3.3a); an approver other than the author of the revision.",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/sign",
        "记录协议签订",
        "Record the signing; refused while another agreement is in force (S-2.1). Sets the filing due date, 10 working days (S-3.3.3b).",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/file",
        "记录报市数据局备案",
        "Record the filing receipt of the city data bureau; a late filing is recorded and flagged (S-3.3.3b).",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/renewal",
        "申请续约",
        "Apply for renewal within the 3 months before the term ends (S-2.2b); creates a new draft linked to this agreement.",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/change",
        "变更协议条款",
        "Replace the clauses; past drafting this starts a new revision that is approved again (S-2.4). An agreement in force stays in force: the change is a pending revision that replaces it only when signed; the term cannot change after signing (S-2.2b).",
    ),
    r(
        "post",
        "/api/v1/agreements/{id}/expire",
        "记录协议到期",
        "Mark a signed or filed agreement expired after its last day (S-2.2a); refused before. `gongshu_app::agreements::expire_lapsed` does the same for every lapsed agreement, for a daily job.",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/agreements", get(list).post(create))
        .route("/api/v1/agreements/{id}", get(read))
        .route("/api/v1/agreements/{id}/opinions", post(opinion))
        .route("/api/v1/agreements/{id}/decide", post(decide))
        .route("/api/v1/agreements/{id}/sign", post(sign))
        .route("/api/v1/agreements/{id}/file", post(file))
        .route("/api/v1/agreements/{id}/renewal", post(renewal))
        .route("/api/v1/agreements/{id}/change", post(change))
        .route("/api/v1/agreements/{id}/expire", post(expire))
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

async fn list(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::list_agreements(&state.app, &auth.actor).await?,
    ))
}

async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::get_agreement(&state.app, &auth.actor, &id).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewAgreement>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &agreements::create_draft(&state.app, &auth.actor, &b).await?,
    ))
}

async fn opinion(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<OpinionInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::record_opinion(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn decide(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::decide(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn sign(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<SigningInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::sign(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn file(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<FilingInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::file(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn renewal(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<RenewalInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &agreements::request_renewal(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn change(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ChangeInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::change_clauses(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn expire(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &agreements::expire(&state.app, &auth.actor, &id).await?,
    ))
}
