//! gongshu-server: the HTTP face of the platform. JSON API under `/api/v1`
//! (OpenAPI at `/api/openapi.json`), the public audit files under `/audit`,
//! the zh-CN console, health and Prometheus metrics. Handlers translate
//! HTTP to use cases and back; they hold no business rules.

pub mod api;
pub mod api_agreements;
pub mod api_appeals;
pub mod api_catalog;
pub mod api_datasets;
pub mod api_evaluations;
pub mod api_finance;
pub mod api_inbox;
pub mod api_products;
pub mod api_releases;
pub mod api_reviews;
pub mod api_sandbox;
pub mod api_selection;
pub mod api_use_applications;
pub mod auth;
pub mod config;
pub mod console;
mod console_audit;
mod console_datasets;
mod console_enrol;
mod console_finance;
mod console_flows;
mod console_products;
mod console_resume;
mod console_reviews;
mod console_sandbox;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod public_audit;
pub mod state;

use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, Request};
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

pub use config::{ConfigError, ServerConfig};
pub use state::AppState;

/// Header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

#[derive(Debug, Clone, Copy, Default)]
struct UuidRequestId;

impl MakeRequestId for UuidRequestId {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        uuid::Uuid::new_v4()
            .to_string()
            .parse()
            .ok()
            .map(RequestId::new)
    }
}

/// The whole router.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(api::routes())
        .merge(public_audit::routes())
        .merge(console::routes())
        .route("/healthz", axum::routing::get(api::healthz))
        .route("/metrics", axum::routing::get(metrics::render))
        .route("/api/openapi.json", axum::routing::get(openapi::document));
    with_platform_layers(routes, &state).with_state(state)
}

/// The middleware every route of the platform runs under: request ids,
/// tracing, metrics and the console's expired-form resume. The product
/// benchmark serves its unaudited baseline under the same layers, so the
/// two paths differ only in what the call path itself does.
pub fn with_platform_layers(routes: Router<AppState>, state: &AppState) -> Router<AppState> {
    let header = HeaderName::from_static(REQUEST_ID);
    routes
        // A console form posted after the session expired keeps its entries.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            console_resume::keep_expired_forms,
        ))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        // Logs carry method, path, status and latency; never headers or bodies.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            let id = req
                .headers()
                .get(REQUEST_ID)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-")
                .to_owned();
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(header.clone()))
        .layer(SetRequestIdLayer::new(header, UuidRequestId))
}

/// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(state: AppState, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    // Connection info gives the product API the client's network
    // (re-licensing signals).
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
    tokio::time::sleep(Duration::from_millis(10)).await;
}
