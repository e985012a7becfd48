//! HTTP routes of 数据使用申请与外部数据导入: data-use applications of
//! admitted participants (S-2.5b, S-3.3.2a, S-2.1) and external data
//! imports (S-6.2-3, S-3.3.4-3). Transitions are commands (`POST
//! …/{id}/decisions`), never a status patch. A refusal by a rule answers 409
//! with the rule's code; a second decision for the same party 409
//! `duplicate`; a party that is not named, the applicant's organisation, or
//! a non-agency deciding an import 403; invalid input 422 with field errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::reviews::DecisionInput;
use gongshu_app::use_applications::{self as ua, NewDataImport, NewUseApplication};

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
        "/api/v1/use-applications",
        "数据使用申请列表",
        "List the data-use applications the caller may see (applicant, parties, implementing agency, data bureau), oldest first.",
    ),
    r(
        "post",
        "/api/v1/use-applications",
        "提交数据使用申请",
        "An admitted participant (entry approved and undertaking signed, S-3.3.2a) applies for one of its scenarios either to use named operator products (`product_subscription`) or for sandbox access to named datasets and columns (`sandbox_access`, S-2.1). Parties: the operator and the implementing agency, plus every providing data source unit for sandbox access.",
    ),
    r(
        "get",
        "/api/v1/use-applications/{id}",
        "数据使用申请详情",
        "One data-use application with its parties, decisions, appealability and the grants or subscriptions its approval created.",
    ),
    r(
        "post",
        "/api/v1/use-applications/{id}/decisions",
        "审核数据使用申请",
        "A required party approves or rejects (a rejection needs a reason and is appealable, S-2.5b); the last approval creates the grants or subscriptions.",
    ),
    r(
        "get",
        "/api/v1/data-imports",
        "外部数据导入申请列表",
        "List the import applications the caller may see (applicant, implementing agency, data bureau), oldest first.",
    ),
    r(
        "post",
        "/api/v1/data-imports",
        "提交外部数据导入申请",
        "The operator or an admitted participant applies to bring lawfully obtained data into the trusted space for fused computation (S-6.2-3): description, legal basis, categories, personal information (then a consent or legal-basis reference is required), sensitivity grade, datasets to fuse with.",
    ),
    r(
        "get",
        "/api/v1/data-imports/approved",
        "已批准的待导入数据",
        "The pending imports of approved import applications, for the vault to load: all for the implementing agency and the data bureau, an owner's own for others.",
    ),
    r(
        "get",
        "/api/v1/data-imports/{id}",
        "外部数据导入申请详情",
        "One import application with its decision and the pending import its approval created.",
    ),
    r(
        "post",
        "/api/v1/data-imports/{id}/decisions",
        "审核外部数据导入申请",
        "The implementing agency approves or rejects (S-3.3.4-3; never the applicant's organisation); approval creates a pending import owned by the applicant.",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/use-applications",
            get(list_applications).post(create_application),
        )
        .route("/api/v1/use-applications/{id}", get(get_application))
        .route(
            "/api/v1/use-applications/{id}/decisions",
            post(decide_application),
        )
        .route(
            "/api/v1/data-imports",
            get(list_imports).post(create_import),
        )
        .route("/api/v1/data-imports/approved", get(approved_imports))
        .route("/api/v1/data-imports/{id}", get(get_import))
        .route("/api/v1/data-imports/{id}/decisions", post(decide_import))
}

type ApiResult = Result<Response, ApiError>;

fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

async fn list_applications(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::list_use_applications(&state.app, &auth.actor).await?,
    ))
}

async fn create_application(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewUseApplication>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &ua::create_use_application(&state.app, &auth.actor, &b).await?,
    ))
}

async fn get_application(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::get_use_application(&state.app, &auth.actor, &id).await?,
    ))
}

async fn decide_application(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::decide_use_application(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn list_imports(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::list_data_imports(&state.app, &auth.actor).await?,
    ))
}

async fn create_import(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewDataImport>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &ua::create_data_import(&state.app, &auth.actor, &b).await?,
    ))
}

async fn approved_imports(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::list_approved_imports(&state.app, &auth.actor).await?,
    ))
}

async fn get_import(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::get_data_import(&state.app, &auth.actor, &id).await?,
    ))
}

async fn decide_import(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<DecisionInput>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &ua::decide_data_import(&state.app, &auth.actor, &id, &b).await?,
    ))
}
