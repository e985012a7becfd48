//! At most a few queries of one organisation run at a time, so one party
//! cannot starve the others on a shared county server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::AppError;

/// Queries one organisation may run at once.
pub const PER_ORG: usize = 4;

/// One semaphore per organisation.
#[derive(Debug, Clone, Default)]
pub struct QuerySlots(Arc<Mutex<HashMap<String, Arc<Semaphore>>>>);

impl QuerySlots {
    /// A slot for one query of `org`, held until dropped.
    ///
    /// # Errors
    /// `sandbox.busy` when `org` already runs [`PER_ORG`] queries.
    pub fn take(&self, org: &str) -> Result<OwnedSemaphorePermit, AppError> {
        let sem = {
            let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            map.entry(org.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(PER_ORG)))
                .clone()
        };
        sem.try_acquire_owned().map_err(|_| AppError::Refused {
            code: "sandbox.busy",
            message: format!("本单位同时进行的查询已达上限（{PER_ORG} 个），请待其完成后再试"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn an_org_gets_at_most_per_org_slots_and_others_are_unaffected() {
        let slots = QuerySlots::default();
        let held: Vec<_> = (0..PER_ORG).map(|_| slots.take("a").unwrap()).collect();
        let e = slots.take("a").unwrap_err();
        assert!(matches!(
            e,
            AppError::Refused {
                code: "sandbox.busy",
                ..
            }
        ));
        assert!(slots.take("b").is_ok());
        drop(held);
        assert!(slots.take("a").is_ok());
    }
}
