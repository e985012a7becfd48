//! What the call path keeps between calls (see `crate::memo`): the API
//! key's actor, the subscription, admission, offered product and agreement
//! facts, the subject's consents, the operator's granted tables, the
//! answers of subject-scoped templates, and today's call counts. Every
//! fact is re-checked against the clock on each call (validity windows,
//! expiry); any committed change drops them all.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use gongshu_domain::product::ProductDefinition;
use gongshu_sandbox::{QueryResult, TableSpec};
use gongshu_store::{ApiKeyRow, ProductRow, ProductSubscriptionRow, SubjectConsentRow};

use crate::Actor;
use crate::memo::Memo;

/// How often a quota count is read again from the store, so calls metered
/// by another process on the same database are counted too.
const QUOTA_REREAD: Duration = Duration::from_secs(2);

/// The policy facts of one (subscription, product, caller).
#[derive(Debug)]
pub(crate) struct CallFacts {
    pub(crate) subscription: Option<ProductSubscriptionRow>,
    pub(crate) admitted: bool,
    pub(crate) product: Option<(ProductRow, ProductDefinition)>,
    /// Whether the product's operator has an agreement in force.
    pub(crate) in_force: bool,
}

/// What an answer depends on: the version's template bound to the call's
/// parameters, the subject, and the day (grants are live by date).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AnswerKey {
    pub(crate) product_id: String,
    pub(crate) version: i64,
    pub(crate) sql: String,
    pub(crate) subject: String,
    pub(crate) day: NaiveDate,
}

/// The call path's memoised facts.
#[derive(Debug)]
pub struct HotFacts {
    pub(crate) keys: Memo<String, (ApiKeyRow, Actor)>,
    pub(crate) calls: Memo<(String, String, String), CallFacts>,
    pub(crate) consents: Memo<(String, String), Vec<SubjectConsentRow>>,
    pub(crate) tables: Memo<(String, NaiveDate), Vec<TableSpec>>,
    pub(crate) answers: Memo<AnswerKey, QueryResult>,
    answers_on: AtomicBool,
    /// Per subscription: day, calls counted, when last read from the store.
    quotas: Mutex<HashMap<String, (NaiveDate, i64, Instant)>>,
}

impl Default for HotFacts {
    fn default() -> Self {
        Self {
            keys: Memo::new(10_000),
            calls: Memo::new(10_000),
            consents: Memo::new(100_000),
            tables: Memo::new(1_000),
            answers: Memo::new(100_000),
            answers_on: AtomicBool::new(true),
            quotas: Mutex::new(HashMap::new()),
        }
    }
}

impl HotFacts {
    /// Whether answers of subject-scoped templates are kept.
    pub(crate) fn answers_on(&self) -> bool {
        self.answers_on.load(Ordering::Relaxed)
    }

    /// Turns keeping answers on or off (the benchmark measures both).
    pub fn keep_answers(&self, on: bool) {
        self.answers_on.store(on, Ordering::Relaxed);
    }

    /// Counts one call of `subscription` on `day` against `quota`:
    /// `None` when today's count is not known yet or is due to be read
    /// again (read it from the store and [`Self::seed_quota`] it),
    /// `Some(false)` when the quota is used up.
    pub(crate) fn take_quota(
        &self,
        subscription: &str,
        day: NaiveDate,
        quota: i64,
    ) -> Option<bool> {
        let mut map = self.quotas.lock().unwrap_or_else(PoisonError::into_inner);
        let (d, used, read_at) = map.get_mut(subscription)?;
        if *d != day || read_at.elapsed() >= QUOTA_REREAD {
            return None;
        }
        if *used >= quota {
            return Some(false);
        }
        *used += 1;
        Some(true)
    }

    /// Sets today's count from the store. Calls counted here but not yet
    /// committed are not in the store's count, so the higher of the two
    /// is kept.
    pub(crate) fn seed_quota(&self, subscription: &str, day: NaiveDate, stored: i64) {
        let mut map = self.quotas.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() > 100_000 {
            map.retain(|_, (d, _, _)| *d == day);
        }
        let now = Instant::now();
        let slot = map
            .entry(subscription.to_owned())
            .or_insert((day, stored, now));
        if slot.0 == day {
            *slot = (day, slot.1.max(stored), now);
        } else {
            *slot = (day, stored, now);
        }
    }

    /// Returns a counted call that was not delivered.
    pub(crate) fn give_back_quota(&self, subscription: &str, day: NaiveDate) {
        let mut map = self.quotas.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((d, used, _)) = map.get_mut(subscription)
            && *d == day
        {
            *used = (*used - 1).max(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    #[test]
    fn a_quota_counts_from_the_stored_calls_and_refuses_when_used_up() {
        let h = HotFacts::default();
        assert_eq!(h.take_quota("s", day(2), 3), None, "unknown until seeded");
        h.seed_quota("s", day(2), 2);
        assert_eq!(h.take_quota("s", day(2), 3), Some(true));
        assert_eq!(h.take_quota("s", day(2), 3), Some(false));
        h.give_back_quota("s", day(2));
        assert_eq!(h.take_quota("s", day(2), 3), Some(true));
        assert_eq!(
            h.take_quota("s", day(3), 3),
            None,
            "a new day is read again"
        );
        h.seed_quota("s", day(3), 0);
        assert_eq!(h.take_quota("s", day(3), 3), Some(true));
        // Another process metered two more: the higher count wins.
        h.seed_quota("s", day(3), 3);
        assert_eq!(h.take_quota("s", day(3), 3), Some(false));
    }
}
