//! HTTP routes of 申诉、争议、监督检查与安全事件.

use axum::Router;

use crate::api::RouteDoc;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
