//! Ends queries in flight when access ends (termination of the
//! authorization revokes every grant at once).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

/// One signal per organisation with queries in flight.
#[derive(Debug, Clone, Default)]
pub struct AccessEnds(Arc<Mutex<HashMap<String, watch::Sender<bool>>>>);

impl AccessEnds {
    /// A receiver that turns true when `org`'s access ends.
    pub fn subscribe(&self, org: &str) -> watch::Receiver<bool> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(org.to_owned())
            .or_insert_with(|| watch::channel(false).0)
            .subscribe()
    }

    /// Ends every query in flight of `orgs`; later queries start afresh
    /// (and find the grants revoked).
    pub fn end(&self, orgs: impl IntoIterator<Item = String>) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for org in orgs {
            if let Some(tx) = map.remove(&org) {
                let _ = tx.send(true);
            }
        }
    }

    /// Ends every query in flight.
    pub fn end_all(&self) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for (_, tx) in map.drain() {
            let _ = tx.send(true);
        }
    }
}
