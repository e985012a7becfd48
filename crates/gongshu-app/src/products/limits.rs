//! Per-subscription call rate: a fixed one-minute window per subscription,
//! in memory. Written here rather than taken from a rate-limiting crate
//! because the limit is read per call from the product's definition and
//! the answer must carry an exact `Retry-After`; a window map is all that
//! needs. Daily quotas are counted in memory (`hot`) and re-read from the
//! metered calls in the store every 2 seconds (so they survive restarts and
//! see other processes); the minute window need not survive.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Calls per subscription in the current minute.
#[derive(Debug, Clone, Default)]
pub struct CallWindows(Arc<Mutex<HashMap<String, (i64, u32)>>>);

impl CallWindows {
    /// Counts a call of `subscription` at `now_secs` (Unix seconds) against
    /// `per_minute`; `Err(seconds)` until the next window when over.
    pub fn take(&self, subscription: &str, now_secs: i64, per_minute: u32) -> Result<(), u64> {
        let minute = now_secs.div_euclid(60);
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (m, _)| *m == minute);
        }
        let slot = map.entry(subscription.to_owned()).or_insert((minute, 0));
        if slot.0 != minute {
            *slot = (minute, 0);
        }
        if slot.1 >= per_minute {
            let left = 60 - now_secs.rem_euclid(60);
            return Err(u64::try_from(left).unwrap_or(60));
        }
        slot.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_allows_its_limit_then_names_the_wait() {
        let w = CallWindows::default();
        assert_eq!(w.take("s", 120, 2), Ok(()));
        assert_eq!(w.take("s", 130, 2), Ok(()));
        assert_eq!(w.take("s", 135, 2), Err(45));
        assert_eq!(w.take("other", 135, 2), Ok(()));
        assert_eq!(w.take("s", 180, 2), Ok(()), "a new minute starts afresh");
    }
}
