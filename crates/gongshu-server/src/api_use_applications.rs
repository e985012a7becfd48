//! HTTP routes of 数据使用申请与外部数据导入.

use axum::Router;

use crate::api::RouteDoc;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
}
