//! HTTP routes of the resource catalog and registration (数据资源目录与登记).

use axum::Router;

use crate::api::RouteDoc;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
