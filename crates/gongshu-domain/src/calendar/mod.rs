//! Working-day calendar (工作日历) and deadline arithmetic (期限计算).
//!
//! Deadlines count official working days (DESIGN.md §4 invariant 4): Monday
//! to Friday, minus the statutory holidays of the State Council's yearly
//! notice, plus the weekend days it makes working days (调休上班). The
//! schedules are data (`data/holidays-cn.txt`, REQUIREMENTS.md §11), parsed at
//! load; later years are added from a file with [`WorkingDayCalendar::parse`]
//! and [`WorkingDayCalendar::merge`]. A date in a year that is not loaded is an
//! error ([`CalendarError::UnpublishedYear`]), never a guess.
//!
//! Counting follows the Civil Code (民法典 Art. 201-203): the day of the
//! triggering event does not count, and a deadline whose last day is not a
//! working day moves to the next working day. Time of day and time zones are
//! the caller's business: dates here are Asia/Shanghai calendar dates.

mod load;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

use crate::DomainError;

pub use load::CalendarLoadError;
use load::YearSchedule;

/// The official schedules of 2025 and 2026, embedded at build time.
const OFFICIAL_DATA: &str = include_str!("../../data/holidays-cn.txt");

/// Why a calendar computation has no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The computation needs a year whose holiday schedule is not loaded.
    #[error("the holiday schedule of {year} is not published or not loaded")]
    UnpublishedYear {
        /// The missing year.
        year: i32,
    },
    /// The date would leave the range of representable dates.
    #[error("date out of range")]
    OutOfRange,
}

impl DomainError for CalendarError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnpublishedYear { .. } => "calendar.unpublished_year",
            Self::OutOfRange => "calendar.out_of_range",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::UnpublishedYear { year } => {
                format!("{year} 年的节假日安排尚未发布或未加载，无法计算工作日")
            }
            Self::OutOfRange => "日期超出可计算范围".to_owned(),
        }
    }
}

/// Working-day calendar (工作日历): the published holiday schedules by year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingDayCalendar {
    years: BTreeMap<i32, YearSchedule>,
}

impl WorkingDayCalendar {
    /// The official calendar embedded in this crate (2025 and 2026).
    ///
    /// The embedded data is checked by this crate's tests, so an error here
    /// means a broken build, not bad input.
    pub fn official() -> Result<Self, CalendarLoadError> {
        Self::parse(OFFICIAL_DATA)
    }

    /// Parses calendar data in the format of `data/holidays-cn.txt`.
    pub fn parse(text: &str) -> Result<Self, CalendarLoadError> {
        load::parse(text).map(|years| Self { years })
    }

    /// Adds the years of `other`; a year present in both is an error and
    /// leaves `self` unchanged.
    pub fn merge(&mut self, other: Self) -> Result<(), CalendarLoadError> {
        if let Some(year) = other
            .years
            .keys()
            .find(|year| self.years.contains_key(year))
        {
            return Err(CalendarLoadError::DuplicateYear { year: *year });
        }
        self.years.extend(other.years);
        Ok(())
    }

    /// The loaded years, in ascending order.
    pub fn published_years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// Where the schedule of `year` was published, if it is loaded.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years
            .get(&year)
            .map(|schedule| schedule.source.as_str())
    }

    /// Whether `date` is a working day (工作日).
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let year = date.year();
        let schedule = self
            .years
            .get(&year)
            .ok_or(CalendarError::UnpublishedYear { year })?;
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        Ok(schedule.work.contains(&date) || (!weekend && !schedule.off.contains(&date)))
    }

    /// `date` itself if it is a working day, otherwise the next working day.
    pub fn next_working_day_on_or_after(
        &self,
        date: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        let mut day = date;
        while !self.is_working_day(day)? {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
        }
        Ok(day)
    }

    /// The last day of a period of `days` working days triggered on `start`
    /// ("N 个工作日内"): counting starts the day after `start`, and only
    /// working days count, so the result is always a working day. With
    /// `days == 0` the result is `start`, moved to the next working day if
    /// `start` is not one.
    ///
    /// Only the days after `start` are looked up, so `start` itself may lie in
    /// an unloaded year when `days > 0`.
    pub fn add_working_days(
        &self,
        start: NaiveDate,
        days: u32,
    ) -> Result<NaiveDate, CalendarError> {
        if days == 0 {
            return self.next_working_day_on_or_after(start);
        }
        let mut day = start;
        let mut remaining = days;
        while remaining > 0 {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(day)? {
                remaining -= 1;
            }
        }
        Ok(day)
    }

    /// The last day of a period of `days` natural days triggered on `start`
    /// ("N 日内"): `start + days`, moved to the next working day if that day
    /// is a weekend or holiday (民法典 Art. 203).
    pub fn add_calendar_days(
        &self,
        start: NaiveDate,
        days: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let last = start
            .checked_add_days(Days::new(u64::from(days)))
            .ok_or(CalendarError::OutOfRange)?;
        self.next_working_day_on_or_after(last)
    }

    /// Number of working days after `start` up to and including `end`
    /// (0 when `end <= start`). Used to report how long a review took.
    pub fn working_days_between(
        &self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count: u32 = 0;
        let mut day = start;
        while day < end {
            day = day.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(day)? {
                count = count.saturating_add(1);
            }
        }
        Ok(count)
    }
}

#[cfg(test)]
mod tests;
