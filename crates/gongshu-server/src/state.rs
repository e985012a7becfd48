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
    /// Console forms that issued a secret (key issuance), by user, form
    /// and target: a reloaded or repeated post issues nothing more.
    pub(crate) submitted: Arc<SubmittedForms>,
}

/// Console forms already acted on: `(user, form nonce, target)` and when.
#[derive(Debug, Default)]
pub(crate) struct SubmittedForms(
    std::sync::Mutex<std::collections::HashMap<(String, String, String), std::time::Instant>>,
);

/// How long a form is remembered (a page left open longer is reloaded).
const FORM_MEMORY: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

impl SubmittedForms {
    /// Claims a form for one action; `false` when it was claimed before.
    pub(crate) fn claim(&self, user: &str, nonce: &str, target: &str) -> bool {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() > 4096 {
            map.retain(|_, at| at.elapsed() < FORM_MEMORY);
        }
        let key = (user.to_owned(), nonce.to_owned(), target.to_owned());
        if map.contains_key(&key) {
            return false;
        }
        map.insert(key, std::time::Instant::now());
        true
    }

    /// Gives a claim back (the action failed, nothing was issued).
    pub(crate) fn release(&self, user: &str, nonce: &str, target: &str) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&(user.to_owned(), nonce.to_owned(), target.to_owned()));
    }
}

impl AppState {
    /// Builds the state.
    pub fn new(app: App, config: ServerConfig) -> Self {
        Self {
            app,
            config: Arc::new(config),
            metrics: Arc::new(Metrics::new()),
            submitted: Arc::new(SubmittedForms::default()),
        }
    }
}
