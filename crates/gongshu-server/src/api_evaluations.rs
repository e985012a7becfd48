//! HTTP routes of 评估与终止: the data bureau's periodic evaluation of the
//! operator with its rectification (S-7.2-3), and the implementing agency's
//! termination of the authorization with immediate revocation (S-3.3.5).
//! Transitions are commands; refusals by a rule answer 409 with the rule's
//! code and the rule id in the message; invalid input answers 422.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::evaluations::termination::{
    self, NewTermination, TerminationDecision, TerminationFiling,
};
use gongshu_app::evaluations::{self, NewEvaluation, RectificationReport, RectificationReview};
use gongshu_app::{AppError, FieldError};
use serde::Deserialize;

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
        "/api/v1/evaluations",
        "运营评估列表",
        "Evaluations of the operator (`?agreement=` to narrow), for the implementing agency, the data bureau and the operator evaluated.",
    ),
    r(
        "post",
        "/api/v1/evaluations",
        "记录运营评估",
        "The data bureau records a periodic evaluation (S-7.2-3): five integer scores 0..=100, weights summing to 100, exact total and grade (优秀 ≥ 90, 良好 ≥ 80, 合格 ≥ 60, else 不合格); rectification requirements with a deadline, required for 不合格.",
    ),
    r(
        "get",
        "/api/v1/evaluations/{id}",
        "运营评估详情",
        "One evaluation, with whether it refuses renewal today.",
    ),
    r(
        "post",
        "/api/v1/evaluations/{id}/rectification",
        "报送整改情况",
        "The operator reports its rectification.",
    ),
    r(
        "post",
        "/api/v1/evaluations/{id}/rectification-review",
        "确认或退回整改",
        "The data bureau accepts the rectification or returns it with a note. A 不合格 evaluation not rectified by its deadline refuses renewal (S-7.2-3).",
    ),
    r(
        "get",
        "/api/v1/terminations",
        "授权终止列表",
        "Terminations, for the implementing agency, the data bureau and the operator concerned.",
    ),
    r(
        "post",
        "/api/v1/terminations",
        "提议终止授权",
        "The implementing agency proposes to terminate the agreement in force for one of the five triggers of S-3.3.5, with reasons.",
    ),
    r(
        "get",
        "/api/v1/terminations/{id}",
        "授权终止详情",
        "One termination with its destruction records (`keys_pending_vault`: nothing is destroyed yet) and the log-retention guarantee.",
    ),
    r(
        "post",
        "/api/v1/terminations/{id}/decide",
        "决定终止授权",
        "An agency approver other than the proposer decides; approval terminates the agreement and at once revokes every data grant, API key and session of the operator and of participants holding grants (S-3.3.5); filing due in 10 working days.",
    ),
    r(
        "post",
        "/api/v1/terminations/{id}/file",
        "记录终止报市备案",
        "Record the filing of the termination with the city data bureau; a late filing is recorded and flagged (S-3.3.5).",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/evaluations", get(list).post(create))
        .route("/api/v1/evaluations/{id}", get(read))
        .route("/api/v1/evaluations/{id}/rectification", post(rectify))
        .route(
            "/api/v1/evaluations/{id}/rectification-review",
            post(review),
        )
        .route("/api/v1/terminations", get(list_terminations).post(propose))
        .route("/api/v1/terminations/{id}", get(read_termination))
        .route("/api/v1/terminations/{id}/decide", post(decide))
        .route("/api/v1/terminations/{id}/file", post(file))
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    agreement: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    auth: Authenticated,
    q: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(|e| {
        ApiError(AppError::Validation(vec![FieldError::new(
            "agreement",
            "query.invalid",
            format!("查询参数无效：{}", e.body_text()),
        )]))
    })?;
    Ok(ok(
        StatusCode::OK,
        &evaluations::list_evaluations(&state.app, &auth.actor, q.agreement.as_deref()).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewEvaluation>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &evaluations::record_evaluation(&state.app, &auth.actor, &b).await?,
    ))
}

async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &evaluations::get_evaluation(&state.app, &auth.actor, &id).await?,
    ))
}

async fn rectify(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<RectificationReport>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &evaluations::submit_rectification(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn review(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<RectificationReview>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &evaluations::review_rectification(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn list_terminations(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &termination::list_terminations(&state.app, &auth.actor).await?,
    ))
}

async fn propose(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewTermination>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &termination::propose_termination(&state.app, &auth.actor, &b).await?,
    ))
}

async fn read_termination(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &termination::get_termination(&state.app, &auth.actor, &id).await?,
    ))
}

async fn decide(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<TerminationDecision>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &termination::decide_termination(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn file(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<TerminationFiling>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &termination::file_termination(&state.app, &auth.actor, &id, &b).await?,
    ))
}
