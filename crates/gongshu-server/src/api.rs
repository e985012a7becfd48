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

/// One documented route: the OpenAPI document is built from these tables,
/// and a test checks every table entry is documented.
#[derive(Debug, Clone, Copy)]
pub struct RouteDoc {
    /// Lower-case HTTP method.
    pub method: &'static str,
    /// Path with `{param}` segments.
    pub path: &'static str,
    /// Chinese summary.
    pub summary: &'static str,
    /// English description.
    pub description: &'static str,
}

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

/// The foundation's routes.
pub const ROUTES: &[RouteDoc] = &[
    r(
        "post",
        "/api/v1/session",
        "登录（口令 + 动态口令 TOTP）",
        "Log in with username, password and TOTP; sets the session cookie and returns the CSRF token.",
    ),
    r(
        "delete",
        "/api/v1/session",
        "退出登录",
        "Log out (ends the session).",
    ),
    r("get", "/api/v1/me", "当前用户", "The authenticated actor."),
    r(
        "get",
        "/api/v1/organisations",
        "机构列表",
        "List organisations.",
    ),
    r(
        "post",
        "/api/v1/organisations",
        "新建机构",
        "Create an organisation (implementing agency administrators).",
    ),
    r(
        "get",
        "/api/v1/organisations/{org_id}/users",
        "机构用户列表",
        "List the users of an organisation.",
    ),
    r(
        "post",
        "/api/v1/users",
        "新建用户",
        "Create a user; returns one-time password and TOTP enrolment.",
    ),
    r(
        "post",
        "/api/v1/users/{user_id}/roles",
        "授予角色",
        "Grant a role.",
    ),
    r(
        "delete",
        "/api/v1/users/{user_id}/roles/{role}",
        "撤销角色",
        "Revoke a role.",
    ),
    r(
        "get",
        "/api/v1/organisations/{org_id}/api-keys",
        "接口密钥列表",
        "List an organisation's API keys (no secrets).",
    ),
    r(
        "post",
        "/api/v1/organisations/{org_id}/api-keys",
        "签发接口密钥",
        "Issue an API key; the key is shown once.",
    ),
    r(
        "delete",
        "/api/v1/organisations/{org_id}/api-keys/{key_id}",
        "吊销接口密钥",
        "Revoke an API key at once.",
    ),
    r(
        "get",
        "/api/v1/audit/records",
        "审计记录检索",
        "List audit records by time, actor, organisation, dataset, action (data bureau); `newest_first=true` lists the latest first.",
    ),
    r(
        "get",
        "/api/v1/audit/records/{index}",
        "审计记录详情",
        "One audit record with its payload.",
    ),
    r(
        "get",
        "/api/v1/audit/records/{index}/receipt",
        "审计回执",
        "C2SP tlog-proof receipt for one record, verifiable offline.",
    ),
    r(
        "get",
        "/api/v1/audit/sample",
        "审计抽查",
        "Random sample of audit records for spot checks.",
    ),
    r(
        "get",
        "/healthz",
        "健康检查",
        "Liveness and database reachability.",
    ),
    r(
        "get",
        "/metrics",
        "监控指标",
        "Prometheus / OpenMetrics text.",
    ),
    r(
        "get",
        "/api/v1/public/portal",
        "公开信息（无需登录）",
        "The disclosure portal's content (S-7.2-1): authorization agreements signed, filed, expired or terminated (operator, term, scope, datasets, products and services); every data grant (grantee, resource, purpose, validity, state); usage counts from the audit log; the audit log's size, latest signed checkpoint and verifier key. Names, dates and counts only. The same as the page `/portal`.",
    ),
    r(
        "get",
        "/audit/checkpoint",
        "审计日志检查点",
        "Signed C2SP checkpoint (public).",
    ),
    r(
        "get",
        "/audit/vkey",
        "审计日志验证公钥",
        "Verifier key in signed-note form (public).",
    ),
    r(
        "get",
        "/audit/tile/{path}",
        "审计日志哈希瓦片",
        "C2SP tlog-tiles hash tiles (public; entry bundles are not served).",
    ),
];

/// Every documented route of the server, all modules together.
pub fn all_routes() -> Vec<RouteDoc> {
    [
        ROUTES,
        crate::api_agreements::ROUTES,
        crate::api_reviews::ROUTES,
        crate::api_inbox::ROUTES,
        crate::api_selection::ROUTES,
        crate::api_use_applications::ROUTES,
        crate::api_appeals::ROUTES,
        crate::api_evaluations::ROUTES,
        crate::api_catalog::ROUTES,
        crate::api_datasets::ROUTES,
        crate::api_sandbox::ROUTES,
        crate::api_releases::ROUTES,
        crate::api_products::ROUTES,
        crate::api_finance::ROUTES,
    ]
    .concat()
}

/// API routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(crate::api_agreements::routes())
        .merge(crate::api_reviews::routes())
        .merge(crate::api_inbox::routes())
        .merge(crate::api_selection::routes())
        .merge(crate::api_use_applications::routes())
        .merge(crate::api_appeals::routes())
        .merge(crate::api_evaluations::routes())
        .merge(crate::api_catalog::routes())
        .merge(crate::api_datasets::routes())
        .merge(crate::api_sandbox::routes())
        .merge(crate::api_releases::routes())
        .merge(crate::api_products::routes())
        .merge(crate::api_finance::routes())
        .route("/api/v1/session", post(login).delete(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/public/portal", get(public_portal))
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

pub(crate) fn query<T: DeserializeOwned>(
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
        newest_first: false,
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

async fn public_portal(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(Json(gongshu_app::portal::portal(&state.app).await?).into_response())
}
