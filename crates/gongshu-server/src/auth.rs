//! Authentication extractors: a session (cookie, or `Authorization: Bearer`)
//! or an API key (`X-Api-Key`). Cookie-authenticated unsafe requests must
//! carry the session's CSRF token in `X-CSRF-Token` (or a form field).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use gongshu_app::{Actor, AppError};

use crate::error::ApiError;
use crate::state::AppState;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "gongshu_session";
/// CSRF header.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Reads one cookie from the headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// Who.
    pub actor: Actor,
    /// The session, when authenticated by one.
    pub session: Option<gongshu_app::session::SessionContext>,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        // An API key comes as `X-Api-Key`, or as a bearer token with the
        // key prefix (session tokens never have it).
        let bearer_key =
            bearer(&parts.headers).filter(|t| t.starts_with(gongshu_app::api_keys::KEY_PREFIX));
        let header_key = parts
            .headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Some(key) = header_key.or(bearer_key) {
            let actor = gongshu_app::api_keys::authenticate_api_key(&state.app, &key).await?;
            return Ok(Self {
                actor,
                session: None,
            });
        }
        let (token, from_cookie) = match bearer(&parts.headers) {
            Some(t) => (t, false),
            None => (
                cookie(&parts.headers, SESSION_COOKIE)
                    .ok_or(ApiError(AppError::Unauthenticated("no_session")))?,
                true,
            ),
        };
        let ctx = gongshu_app::session::authenticate(&state.app, &token).await?;
        let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if from_cookie && unsafe_method {
            let presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !ctx.csrf_ok(presented) {
                return Err(ApiError(AppError::Forbidden {
                    action: "csrf".into(),
                    policy_ids: vec![],
                }));
            }
        }
        Ok(Self {
            actor: ctx.actor.clone(),
            session: Some(ctx),
        })
    }
}
