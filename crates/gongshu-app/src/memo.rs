//! Facts read from the store, kept for the hot product call path until the
//! next committed change. Every audited change bumps the application's
//! generation after its commit (`audit::Change::commit`), so a fact read
//! before a change is never served after it: a revoked key, subscription
//! or consent, a suspended product or an ended agreement refuses the very
//! next call. An age limit bounds staleness when another process writes
//! the same database.
//!
//! Written here rather than taken from a cache crate: the rule is "valid
//! until the next committed change anywhere", a global generation, which
//! per-key time-based eviction (moka, quick_cache) does not express.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a fact may be served without a change seen in this process.
const MAX_AGE: Duration = Duration::from_secs(2);

/// The application's change counter.
#[derive(Debug, Clone, Default)]
pub(crate) struct Generation(Arc<AtomicU64>);

impl Generation {
    /// The current generation; read it before reading the store.
    pub(crate) fn current(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// Called after every committed change.
    pub(crate) fn bump(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

#[derive(Debug)]
struct Entry<V> {
    generation: u64,
    at: Instant,
    value: Arc<V>,
}

/// A bounded map of facts, each valid for the generation it was read in.
#[derive(Debug)]
pub(crate) struct Memo<K, V> {
    map: Mutex<HashMap<K, Entry<V>>>,
    capacity: usize,
}

impl<K: Hash + Eq, V> Memo<K, V> {
    /// A memo holding at most `capacity` facts (all are dropped when full:
    /// the hot set refills in one round of calls).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            capacity,
        }
    }

    /// The fact for `key` if it was read in `generation` and is young.
    pub(crate) fn get(&self, key: &K, generation: u64) -> Option<Arc<V>> {
        let map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key)
            .filter(|e| e.generation == generation && e.at.elapsed() < MAX_AGE)
            .map(|e| Arc::clone(&e.value))
    }

    /// Keeps `value`, read from the store after `generation` was taken.
    pub(crate) fn put(&self, key: K, generation: u64, value: V) -> Arc<V> {
        let value = Arc::new(value);
        let mut map = self.map.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= self.capacity {
            map.clear();
        }
        map.insert(
            key,
            Entry {
                generation,
                at: Instant::now(),
                value: Arc::clone(&value),
            },
        );
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fact_is_served_until_the_next_change() {
        let g = Generation::default();
        let m: Memo<&str, u32> = Memo::new(10);
        let read_in = g.current();
        m.put("k", read_in, 7);
        assert_eq!(m.get(&"k", g.current()).as_deref(), Some(&7));
        g.bump();
        assert_eq!(m.get(&"k", g.current()), None, "a change invalidates");
    }

    #[test]
    fn a_fact_read_before_a_change_is_not_served_after_it() {
        let g = Generation::default();
        let m: Memo<&str, u32> = Memo::new(10);
        let read_in = g.current();
        g.bump(); // a change commits while the fact is being read
        m.put("k", read_in, 7);
        assert_eq!(m.get(&"k", g.current()), None);
    }

    #[test]
    fn a_full_memo_starts_afresh() {
        let m: Memo<u32, u32> = Memo::new(2);
        m.put(1, 0, 1);
        m.put(2, 0, 2);
        m.put(3, 0, 3);
        assert_eq!(m.get(&1, 0), None);
        assert_eq!(m.get(&3, 0).as_deref(), Some(&3));
    }
}
