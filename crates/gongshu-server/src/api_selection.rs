//! HTTP routes of 运营机构遴选与应用场景.

use axum::Router;

use crate::api::RouteDoc;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
