//! HTTP routes of the resource catalog and registration (数据资源目录与登记).
//! Registration steps are commands (`POST …/registration/{command}`), never
//! a status patch; refusals by a rule answer 409 with the rule's code and
//! section in the message; invalid input answers 422 with field errors.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use gongshu_app::catalog::{self, ColumnsInput, StepInput, UpdateInput};
use gongshu_domain::catalog::{RegistrationCommand, ResourceInput};

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
        "/api/v1/catalog/resources",
        "数据资源目录列表",
        "List catalog resources with their registration status, oldest first. Any logged-in user.",
    ),
    r(
        "post",
        "/api/v1/catalog/resources",
        "编制数据资源目录",
        "Create a catalog entry with the REQUIREMENTS §6.1 fields for the caller's own data source unit; core-grade data cannot be shared unconditionally (§7.1). Each column may carry `required`, a `validity` rule, a consistency `references` (`<resource id>.<column>`) and `only_for` (which rows it applies to, e.g. 仅企业户: its empty fields elsewhere neither lower completeness nor alert).",
    ),
    r(
        "get",
        "/api/v1/catalog/resources/{id}",
        "数据资源详情",
        "One catalog resource with its columns, registration dates and the pending step's due date.",
    ),
    r(
        "put",
        "/api/v1/catalog/resources/{id}",
        "更新数据资源目录",
        "Replace every field of the provider's own entry; compare-and-set on `version`; refused while the registration authority examines it.",
    ),
    r(
        "get",
        "/api/v1/catalog/resources/{id}/columns",
        "数据项分类分级",
        "The columns with grade, personal-information flag and sandbox class.",
    ),
    r(
        "put",
        "/api/v1/catalog/resources/{id}/columns",
        "设置数据项分类分级",
        "Replace the columns and their classification (grade, personal-information flag, sandbox class); compare-and-set on `version`.",
    ),
    r(
        "post",
        "/api/v1/catalog/resources/{id}/registration/{command}",
        "资源登记操作",
        "Registration step (§4.6): `submit` and `renew` by the provider (renewal only within 60 days before expiry, N9); `accept` (3 working days, N3), `review` (20, N4), `notice` (10, N5), `register` (after the notice, valid 3 years, N6/N8) and `reject` (with `reason`) by the data bureau. Body: `version`. Submitting with an unclassified column answers 422 naming the columns.",
    ),
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog/resources", get(list).post(create))
        .route("/api/v1/catalog/resources/{id}", get(read).put(update))
        .route(
            "/api/v1/catalog/resources/{id}/columns",
            get(columns).put(set_columns),
        )
        .route(
            "/api/v1/catalog/resources/{id}/registration/{command}",
            post(step),
        )
}

type ApiResult = Result<Response, ApiError>;

fn ok<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

async fn list(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &catalog::list_resources(&state.app, &auth.actor).await?,
    ))
}

async fn read(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &catalog::get_resource(&state.app, &auth.actor, &id).await?,
    ))
}

async fn create(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<ResourceInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::CREATED,
        &catalog::create_resource(&state.app, &auth.actor, &b).await?,
    ))
}

async fn update(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<UpdateInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &catalog::update_resource(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn columns(
    State(state): State<AppState>,
    _auth: Authenticated,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &catalog::columns_of(&state.app, &id).await?,
    ))
}

async fn set_columns(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    Body(b): Body<ColumnsInput>,
) -> ApiResult {
    Ok(ok(
        StatusCode::OK,
        &catalog::set_columns(&state.app, &auth.actor, &id, &b).await?,
    ))
}

async fn step(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((id, command)): Path<(String, String)>,
    Body(b): Body<StepInput>,
) -> ApiResult {
    let Ok(command) = command.parse::<RegistrationCommand>() else {
        return Err(gongshu_app::AppError::NotFound {
            what: "registration_command",
        }
        .into());
    };
    Ok(ok(
        StatusCode::OK,
        &catalog::registration_step(&state.app, &auth.actor, &id, command, &b).await?,
    ))
}
