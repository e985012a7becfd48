//! The clock port: use cases never read the system time directly, so tests
//! can move time (session expiry, TOTP steps, lockouts).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

/// Source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests can set and advance (milliseconds since the epoch).
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    /// A fake clock at `start`.
    pub fn at(start: DateTime<Utc>) -> Self {
        Self(Arc::new(AtomicI64::new(start.timestamp_millis())))
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: TimeDelta) {
        self.0.fetch_add(by.num_milliseconds(), Ordering::SeqCst);
    }

    /// Milliseconds since the epoch, for the ledger's clock.
    pub fn millis(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(self.millis()).unwrap_or_default()
    }
}

/// The system clock running behind real time by an offset that only
/// shrinks: the demo replays a stretch of the recent past at full speed
/// (a month of calls, a year end), then catches up. It never runs
/// backwards and never ahead of real time.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock(Arc<AtomicI64>);

impl ShiftedClock {
    /// A clock reading `start` now (real time if `start` is in the future).
    pub fn starting_at(start: DateTime<Utc>) -> Self {
        let offset = (start - Utc::now()).num_milliseconds().min(0);
        Self(Arc::new(AtomicI64::new(offset)))
    }

    /// Moves the clock forward to `at` (at most to real time; never back).
    pub fn advance_to(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_milliseconds().min(0);
        self.0.fetch_max(offset, Ordering::SeqCst);
    }

    /// Back to real time.
    pub fn catch_up(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + TimeDelta::milliseconds(self.0.load(Ordering::SeqCst))
    }
}
