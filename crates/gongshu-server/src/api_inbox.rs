//! HTTP routes of the 待办与期限 workflows.

use axum::Router;

use crate::api::RouteDoc;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
