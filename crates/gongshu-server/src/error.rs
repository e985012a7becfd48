//! The one mapping from application errors to HTTP: status, stable code,
//! Chinese message and field errors. Internal details go to the log only.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use gongshu_app::{AppError, FieldError};
use serde::Serialize;

/// Error body: `{"code", "message", "fields"}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// Stable English code.
    pub code: &'static str,
    /// Chinese message.
    pub message: String,
    /// Field errors.
    pub fields: Vec<FieldError>,
}

/// An error as the API returns it.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self(e)
    }
}

/// HTTP status of an application error.
pub fn status_of(e: &AppError) -> StatusCode {
    match e {
        AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden { .. } | AppError::Denied { .. } => StatusCode::FORBIDDEN,
        AppError::Locked | AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Conflict | AppError::Duplicate { .. } | AppError::Refused { .. } => {
            StatusCode::CONFLICT
        }
        AppError::Unavailable | AppError::AuditUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(&self.0);
        if status.is_server_error() {
            tracing::error!(code = self.0.code(), error = %self.0, "request failed");
        }
        let fields = match &self.0 {
            AppError::Validation(f) => f.clone(),
            _ => Vec::new(),
        };
        let body = ErrorBody {
            code: self.0.code(),
            message: self.0.message_zh(),
            fields,
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::RateLimited {
            retry_after_secs, ..
        } = &self.0
            && let Ok(v) = axum::http::HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, v);
        }
        response
    }
}

/// A body that failed to parse as JSON: 422 with the reason.
pub fn bad_body(reason: &str) -> ApiError {
    ApiError(AppError::Validation(vec![FieldError::new(
        "body",
        "body.invalid_json",
        format!("请求体不是有效的 JSON：{reason}"),
    )]))
}
