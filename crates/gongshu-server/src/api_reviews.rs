//! HTTP routes of the 数据需求与市场准入联合审核 workflows: data demands
//! (S-4b) and secondary-market entries (S-3.3.2a/b), plus the data grants
//! approved demands create. Transitions are commands (`POST …/{id}/co-sign`,
//! `…/decisions`, `…/undertaking`), never a status patch. A refusal by a
//! rule answers 409 with the rule's code; a second decision for the same
//! party answers 409 `duplicate`; a party that is not named, or the
//! applicant's own organisation, answers 403.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::reviews::{self, DecisionInput, NewDataDemand, NewMarketEntry, SignUndertaking};
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
        "/api/v1/data-demands",
        "数据需求申请列表",
        "List the data demands the caller may see (applicant side, parties, implementing agency, data bureau), oldest first.",
    ),
    r(
        "post",
        "/api/v1/data-demands",
        "提交数据需求申请",
        "The operator applies for datasets and columns for a scenario, purpose and validity window (S-4b); the sector regulator of the scenario's sector must co-sign, then the implementing agency, the data bureau and every providing data source unit review.",
    ),
    r(
        "get",
        "/api/v1/data-demands/{id}",
        "数据需求申请详情",
        "One data demand with its parties, decisions and the grants its approval created.",
    ),
    r(
        "post",
        "/api/v1/data-demands/{id}/co-sign",
        "行业主管部门会签数据需求申请",
        "The sector regulator co-signs (S-4b: the operator and the regulator apply jointly); review cannot start before.",
    ),
    r(
        "post",
        "/api/v1/data-demands/{id}/decisions",
        "审核数据需求申请",
        "A required party approves or rejects (a rejection needs a reason); the last approval creates the data grants, any rejection ends the demand.",
    ),
    r(
        "get",
        "/api/v1/market-entries",
        "二级市场准入申请列表",
        "List the market entries the caller may see, oldest first.",
    ),
    r(
        "post",
        "/api/v1/market-entries",
        "提交二级市场准入申请",
        "A participant submits qualification, compliance and technical-security materials (S-3.3.2a) for review by the implementing agency, the sector regulator, the operator and a named data source unit.",
    ),
    r(
        "get",
        "/api/v1/market-entries/{id}",
        "二级市场准入申请详情",
        "One market entry with its parties, decisions, the undertaking text and whether the participant is admitted.",
    ),
    r(
        "post",
        "/api/v1/market-entries/{id}/decisions",
        "审核二级市场准入申请",
        "A required party approves or rejects (a rejection needs a reason); entry needs all four approvals.",
    ),
    r(
        "post",
        "/api/v1/market-entries/{id}/undertaking",
        "签署不转授权承诺书",
        "After all four approvals the participant signs the no-re-licensing undertaking (S-3.3.2b; text version recorded) and is admitted.",
    ),
    r(
        "get",
        "/api/v1/grants",
        "数据使用授权列表",
        "The data grants of an organisation (`?org=`), for that organisation, the implementing agency and the data bureau.",
    ),
    r(
        "post",
        "/api/v1/grants/{id}/revocation",
        "撤销一项数据使用授权",
        "Body `{\"reason\": \"…\"}`. The implementing agency revokes one live grant before its last day (e.g. after an inspection finding) without terminating the authorization; the grantee's sandbox queries in flight end at once and later ones no longer see the table. 422 without a reason, 403 for anyone else (audited), 409 `grant.already_revoked`.",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/data-demands",
            get(list_demands).post(create_demand),
        )
        .route("/api/v1/data-demands/{id}", get(get_demand))
        .route("/api/v1/data-demands/{id}/co-sign", post(co_sign_demand))
        .route("/api/v1/data-demands/{id}/decisions", post(decide_demand))
        .route(
            "/api/v1/market-entries",
            get(list_entries).post(create_entry),
        )
        .route("/api/v1/market-entries/{id}", get(get_entry))
        .route("/api/v1/market-entries/{id}/decisions", post(decide_entry))
        .route("/api/v1/market-entries/{id}/undertaking", post(sign_entry))
        .route("/api/v1/grants", get(list_grants))
        .route("/api/v1/grants/{id}/revocation", post(revoke_grant))
}

type ApiResult = Result<Response, ApiError>;

fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

async fn list_demands(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::list_data_demands(&state.app, &auth.actor).await?,
    ))
}

async fn create_demand(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewDataDemand>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &reviews::create_data_demand(&state.app, &auth.actor, &b).await?,
    ))
}

async fn get_demand(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::get_data_demand(&state.app, &auth.actor, &id).await?,
    ))
}

async fn co_sign_demand(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::co_sign_data_demand(&state.app, &auth.actor, &id).await?,
    ))
}

async fn decide_demand(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::decide_data_demand(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn list_entries(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::list_market_entries(&state.app, &auth.actor).await?,
    ))
}

async fn create_entry(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewMarketEntry>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &reviews::create_market_entry(&state.app, &auth.actor, &b).await?,
    ))
}

async fn get_entry(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::get_market_entry(&state.app, &auth.actor, &id).await?,
    ))
}

async fn decide_entry(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::decide_market_entry(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn sign_entry(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<SignUndertaking>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::sign_undertaking(&state.app, &auth.actor, &id, &b).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct GrantQuery {
    org: String,
}

async fn list_grants(
    State(state): State<AppState>,
    auth: Authenticated,
    q: Result<Query<GrantQuery>, QueryRejection>,
) -> ApiResult {
    let Query(q) = q.map_err(|e| {
        ApiError(AppError::Validation(vec![FieldError::new(
            "org",
            "query.invalid",
            format!("查询参数无效：{}", e.body_text()),
        )]))
    })?;
    Ok(json(
        StatusCode::OK,
        &reviews::list_grants(&state.app, &auth.actor, &q.org).await?,
    ))
}

/// A revocation.
#[derive(Debug, Deserialize)]
struct RevocationInput {
    reason: String,
}

async fn revoke_grant(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<RevocationInput>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &reviews::revoke_grant(&state.app, &auth.actor, &id, &b.reason).await?,
    ))
}
