//! China Standard Time (Asia/Shanghai, UTC+8 all year, no daylight saving):
//! instants are stored in UTC; deadlines, reports and every time a person
//! reads or enters are in Beijing wall time. One place converts.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

const OFFSET: TimeDelta = TimeDelta::hours(8);

/// Today in Asia/Shanghai: deadlines and reports count local days.
pub fn shanghai_today(now: DateTime<Utc>) -> NaiveDate {
    shanghai_wall(now).date()
}

/// A UTC instant as Beijing wall time.
pub fn shanghai_wall(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc() + OFFSET
}

/// The UTC instant of a Beijing wall time; `None` out of range.
pub fn from_shanghai_wall(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    Some(local.checked_sub_signed(OFFSET)?.and_utc())
}

/// The UTC instant at which `day` begins in Beijing; `None` out of range.
pub fn shanghai_midnight(day: NaiveDate) -> Option<DateTime<Utc>> {
    from_shanghai_wall(day.and_hms_opt(0, 0, 0)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beijing_is_eight_hours_ahead_across_midnight() {
        let at = DateTime::parse_from_rfc3339("2026-03-01T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(shanghai_today(at).to_string(), "2026-03-02");
        assert_eq!(shanghai_wall(at).to_string(), "2026-03-02 00:30:00");
        assert_eq!(from_shanghai_wall(shanghai_wall(at)), Some(at));
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(
            shanghai_midnight(day).unwrap().to_rfc3339(),
            "2026-03-01T16:00:00+00:00"
        );
    }
}
