//! `GET /api/v1/inbox`: what waits for the caller's organisation, with
//! working-day deadlines and overdue marks.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::api::RouteDoc;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[RouteDoc {
    method: "get",
    path: "/api/v1/inbox",
    summary: "待办事项",
    description: "Open obligations of the caller's organisation with working-day due dates (Asia/Shanghai) and status: on track, due soon, overdue.",
}];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/inbox", get(inbox))
}

async fn inbox(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    let items = gongshu_app::inbox::inbox(&state.app, &auth.actor).await?;
    Ok(Json(items).into_response())
}
