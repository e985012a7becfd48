//! Shared state of the handlers.

use std::sync::Arc;

use gongshu_app::App;

use crate::config::ServerConfig;
use crate::metrics::Metrics;

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The use cases.
    pub app: App,
    /// Server configuration.
    pub config: Arc<ServerConfig>,
    /// Metrics registry.
    pub metrics: Arc<Metrics>,
}

impl AppState {
    /// Builds the state.
    pub fn new(app: App, config: ServerConfig) -> Self {
        Self {
            app,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
        }
    }
}
