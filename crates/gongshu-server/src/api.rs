//! JSON API handlers under `/api/v1`. Each one parses, calls one use case
//! and shapes the answer; the OpenAPI document lists the same routes.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use gongshu_app::api_keys::{self, NewApiKey};
use gongshu_app::audit_inspect::{self, InspectQuery};
use gongshu_app::orgs::{self, NewOrganisation};
use gongshu_app::users::{self, NewUser};
use gongshu_app::{AppError, session};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::{Authenticated, SESSION_COOKIE};
use crate::error::{ApiError, bad_body};
use crate::state::AppState;

/// Every API route as (method, path), kept in step with the OpenAPI
/// document by a test.
pub const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/organisations"),
    ("post", "/api/v1/organisations"),
    ("get", "/api/v1/organisations/{org_id}/users"),
    ("post", "/api/v1/users"),
    ("post", "/api/v1/users/{user_id}/roles"),
    ("delete", "/api/v1/users/{user_id}/roles/{role}"),
    ("get", "/api/v1/organisations/{org_id}/api-keys"),
    ("post", "/api/v1/organisations/{org_id}/api-keys"),
    ("delete", "/api/v1/organisations/{org_id}/api-keys/{key_id}"),
    ("get", "/api/v1/audit/records"),
    ("get", "/api/v1/audit/records/{index}"),
    ("get", "/api/v1/audit/records/{index}/receipt"),
    ("get", "/api/v1/audit/sample"),
    ("get", "/healthz"),
    ("get", "/metrics"),
    ("get", "/audit/checkpoint"),
    ("get", "/audit/vkey"),
    ("get", "/audit/tile/{path}"),
];

/// API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/organisations", get(list_orgs).post(create_org))
        .route("/api/v1/organisations/{org_id}/users", get(list_users))
        .route("/api/v1/users", post(create_user))
        .route("/api/v1/users/{user_id}/roles", post(grant_role))
        .route("/api/v1/users/{user_id}/roles/{role}", delete(revoke_role))
        .route(
            "/api/v1/organisations/{org_id}/api-keys",
            get(list_keys).post(issue_key),
        )
        .route(
            "/api/v1/organisations/{org_id}/api-keys/{key_id}",
            delete(revoke_key),
        )
        .route("/api/v1/audit/records", get(audit_list))
        .route("/api/v1/audit/records/{index}", get(audit_get))
        .route("/api/v1/audit/records/{index}/receipt", get(audit_receipt))
        .route("/api/v1/audit/sample", get(audit_sample))
}

/// JSON body whose parse failures answer 422 in our error format.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) => Err(bad_body(&match e {
                JsonRejection::JsonDataError(d) => d.body_text(),
                other => other.body_text(),
            })),
        }
    }
}

type ApiResult = Result<Response, ApiError>;

fn json<T: serde::Serialize>(status: StatusCode, v: &T) -> Response {
    (status, Json(v)).into_response()
}

/// `GET /healthz`.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.app.store().ping().await {
        Ok(()) => json(
            StatusCode::OK,
            &serde_json::json!({ "status": "ok", "database": "ok", "audit_log_entries": state.app.ledger().size() }),
        ),
        Err(_) => json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({ "status": "unavailable", "database": "unavailable" }),
        ),
    }
}

#[derive(Debug, Deserialize)]
struct LoginBody {
    username: String,
    password: String,
    totp: String,
}

fn session_cookie(state: &AppState, value: &str, max_age: i64) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

async fn login(State(state): State<AppState>, Body(b): Body<LoginBody>) -> ApiResult {
    let s = session::login(&state.app, &b.username, &b.password, &b.totp).await?;
    let max_age = state.app.config().session_absolute.num_seconds();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        session_cookie(&state, &s.token, max_age),
    );
    let body = serde_json::json!({
        "token": s.token,
        "csrf_token": s.csrf_token,
        "expires_at": s.expires_at,
        "user": s.actor,
    });
    Ok((StatusCode::CREATED, headers, Json(body)).into_response())
}

async fn logout(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    let ctx = auth
        .session
        .ok_or(ApiError(AppError::Unauthenticated("no_session")))?;
    session::logout(&state.app, &ctx).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, session_cookie(&state, "", 0));
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

async fn me(auth: Authenticated) -> ApiResult {
    Ok(json(StatusCode::OK, &auth.actor))
}

async fn list_orgs(State(state): State<AppState>, auth: Authenticated) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &orgs::list_organisations(&state.app, &auth.actor).await?,
    ))
}

async fn create_org(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewOrganisation>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &orgs::create_organisation(&state.app, &auth.actor, &b).await?,
    ))
}

async fn list_users(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(org_id): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &users::list_users(&state.app, &auth.actor, &org_id).await?,
    ))
}

async fn create_user(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<NewUser>,
) -> ApiResult {
    Ok(json(
        StatusCode::CREATED,
        &users::create_user(&state.app, &auth.actor, &b).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct RoleBody {
    role: String,
}

async fn grant_role(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(user_id): Path<String>,
    Body(b): Body<RoleBody>,
) -> ApiResult {
    users::change_role(&state.app, &auth.actor, &user_id, &b.role, true).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn revoke_role(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((user_id, role)): Path<(String, String)>,
) -> ApiResult {
    users::change_role(&state.app, &auth.actor, &user_id, &role, false).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_keys(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(org_id): Path<String>,
) -> ApiResult {
    api_keys::require_key_org(&state.app, &auth.actor, &org_id).await?;
    Ok(json(
        StatusCode::OK,
        &api_keys::list_api_keys(&state.app, &auth.actor, &org_id).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct KeyBody {
    scope: String,
    valid_days: i64,
}

async fn issue_key(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(org_id): Path<String>,
    Body(b): Body<KeyBody>,
) -> ApiResult {
    let input = NewApiKey {
        org_id,
        scope: b.scope,
        valid_days: b.valid_days,
    };
    Ok(json(
        StatusCode::CREATED,
        &api_keys::issue_api_key(&state.app, &auth.actor, &input).await?,
    ))
}

async fn revoke_key(
    State(state): State<AppState>,
    auth: Authenticated,
    Path((org_id, key_id)): Path<(String, String)>,
) -> ApiResult {
    api_keys::revoke_api_key(&state.app, &auth.actor, &org_id, &key_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn query<T: DeserializeOwned>(
    q: Result<Query<T>, axum::extract::rejection::QueryRejection>,
) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError(AppError::Validation(vec![gongshu_app::FieldError::new(
            "query",
            "query.invalid",
            format!("查询参数无效：{}", e.body_text()),
        )]))
    })
}

async fn audit_list(
    State(state): State<AppState>,
    auth: Authenticated,
    q: Result<Query<InspectQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    Ok(json(
        StatusCode::OK,
        &audit_inspect::list(&state.app, &auth.actor, &q).await?,
    ))
}

fn index(raw: &str) -> Result<u64, ApiError> {
    raw.parse().map_err(|_| {
        ApiError(AppError::Validation(vec![gongshu_app::FieldError::new(
            "index",
            "index.invalid",
            "记录序号须为非负整数",
        )]))
    })
}

async fn audit_get(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(i): Path<String>,
) -> ApiResult {
    Ok(json(
        StatusCode::OK,
        &audit_inspect::get(&state.app, &auth.actor, index(&i)?).await?,
    ))
}

async fn audit_receipt(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(i): Path<String>,
) -> ApiResult {
    let text = audit_inspect::receipt(&state.app, &auth.actor, index(&i)?).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response())
}

/// Flattening does not work with URL-encoded numbers, so the filter
/// fields are repeated here.
#[derive(Debug, Deserialize)]
struct SampleQuery {
    n: Option<u32>,
    seed: Option<u64>,
    from: Option<chrono::DateTime<chrono::Utc>>,
    until: Option<chrono::DateTime<chrono::Utc>>,
    actor: Option<String>,
    org: Option<String>,
    dataset: Option<String>,
    action: Option<String>,
}

async fn audit_sample(
    State(state): State<AppState>,
    auth: Authenticated,
    q: Result<Query<SampleQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult {
    let q = query(q)?;
    let filter = InspectQuery {
        from: q.from,
        until: q.until,
        actor: q.actor.clone(),
        org: q.org.clone(),
        dataset: q.dataset.clone(),
        action: q.action.clone(),
        limit: None,
        offset: None,
    };
    let seed = match q.seed {
        Some(s) => s,
        None => {
            u64::from_le_bytes(gongshu_app::crypto::random_bytes::<8>().map_err(AppError::from)?)
        }
    };
    Ok(json(
        StatusCode::OK,
        &audit_inspect::sample(&state.app, &auth.actor, &filter, q.n.unwrap_or(20), seed).await?,
    ))
}
