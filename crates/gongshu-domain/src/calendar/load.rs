//! Parsing of the calendar data format (see `data/holidays-cn.txt`).
//!
//! The format is line-based so that a year's State Council notice can be
//! typed in and reviewed by a person in minutes. Loading is strict: any line
//! the parser does not understand, any date outside its year's block, and any
//! day both off and working fails the whole load with the line number.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};

use crate::DomainError;

/// One published year: its non-working holidays and its make-up working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct YearSchedule {
    pub(super) source: String,
    pub(super) off: BTreeSet<NaiveDate>,
    pub(super) work: BTreeSet<NaiveDate>,
}

/// Why calendar data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarLoadError {
    /// A line is neither a comment nor a known statement with a value.
    #[error("line {line}: cannot read {text:?}")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The line.
        text: String,
    },
    /// A date is not `YYYY-MM-DD` or does not exist, or a range runs backwards.
    #[error("line {line}: {text:?} is not a valid date or date range")]
    BadDate {
        /// 1-based line number.
        line: usize,
        /// The rejected text.
        text: String,
    },
    /// `off`, `work` or `source` before any `year` line.
    #[error("line {line}: statement before the first `year` line")]
    NoYear {
        /// 1-based line number.
        line: usize,
    },
    /// A date that does not belong to its block's year.
    #[error("line {line}: {date} lies outside year {year}")]
    OutsideYear {
        /// 1-based line number.
        line: usize,
        /// The date.
        date: NaiveDate,
        /// The block's year.
        year: i32,
    },
    /// A make-up working day that is not a Saturday or Sunday.
    #[error("line {line}: {date} is a weekday and cannot be a make-up working day")]
    WorkDayNotOnWeekend {
        /// 1-based line number.
        line: usize,
        /// The date.
        date: NaiveDate,
    },
    /// A day listed both as off and as a working day.
    #[error("{date} is listed both as off and as a working day")]
    OffAndWork {
        /// The date.
        date: NaiveDate,
    },
    /// A year given twice (in one text or across merged calendars).
    #[error("year {year} is given twice")]
    DuplicateYear {
        /// The year.
        year: i32,
    },
    /// A year block without a `source` line.
    #[error("year {year} has no source")]
    MissingSource {
        /// The year.
        year: i32,
    },
}

impl DomainError for CalendarLoadError {
    fn code(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "calendar_load.syntax",
            Self::BadDate { .. } => "calendar_load.bad_date",
            Self::NoYear { .. } => "calendar_load.no_year",
            Self::OutsideYear { .. } => "calendar_load.outside_year",
            Self::WorkDayNotOnWeekend { .. } => "calendar_load.work_day_not_on_weekend",
            Self::OffAndWork { .. } => "calendar_load.off_and_work",
            Self::DuplicateYear { .. } => "calendar_load.duplicate_year",
            Self::MissingSource { .. } => "calendar_load.missing_source",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Syntax { line, .. } => format!("工作日历数据第 {line} 行无法识别"),
            Self::BadDate { line, text } => format!("工作日历数据第 {line} 行日期无效：{text}"),
            Self::NoYear { line } => format!("工作日历数据第 {line} 行之前缺少年份"),
            Self::OutsideYear { line, date, year } => {
                format!("工作日历数据第 {line} 行的日期 {date} 不属于 {year} 年")
            }
            Self::WorkDayNotOnWeekend { line, date } => {
                format!("工作日历数据第 {line} 行：{date} 不是周末，不能作为调休上班日")
            }
            Self::OffAndWork { date } => format!("{date} 同时被列为放假日和上班日"),
            Self::DuplicateYear { year } => format!("{year} 年的节假日安排重复"),
            Self::MissingSource { year } => format!("{year} 年的节假日安排缺少发文来源"),
        }
    }
}

/// Parses strict `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<NaiveDate> {
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let well_formed = parts.next().is_none()
        && year.len() == 4
        && month.len() == 2
        && day.len() == 2
        && [year, month, day]
            .iter()
            .all(|part| part.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Parses `date` or `first..last` into the inclusive list of days.
fn parse_range(text: &str) -> Option<Vec<NaiveDate>> {
    let (first, last) = match text.split_once("..") {
        Some((first, last)) => (parse_date(first)?, parse_date(last)?),
        None => {
            let date = parse_date(text)?;
            (date, date)
        }
    };
    if first > last {
        return None;
    }
    Some(first.iter_days().take_while(|day| *day <= last).collect())
}

/// The block being read: its year and what has been collected so far.
struct Block {
    year: i32,
    schedule: YearSchedule,
}

fn finish(
    block: Option<Block>,
    years: &mut BTreeMap<i32, YearSchedule>,
) -> Result<(), CalendarLoadError> {
    let Some(Block { year, schedule }) = block else {
        return Ok(());
    };
    if schedule.source.is_empty() {
        return Err(CalendarLoadError::MissingSource { year });
    }
    if let Some(date) = schedule.off.intersection(&schedule.work).next() {
        return Err(CalendarLoadError::OffAndWork { date: *date });
    }
    if years.insert(year, schedule).is_some() {
        return Err(CalendarLoadError::DuplicateYear { year });
    }
    Ok(())
}

/// Parses calendar data text into one schedule per year.
pub(super) fn parse(text: &str) -> Result<BTreeMap<i32, YearSchedule>, CalendarLoadError> {
    let mut years = BTreeMap::new();
    let mut current: Option<Block> = None;
    for (index, raw_line) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw_line
            .split_once('#')
            .map_or(raw_line, |(before, _)| before)
            .trim();
        if content.is_empty() {
            continue;
        }
        let syntax = || CalendarLoadError::Syntax {
            line,
            text: raw_line.to_owned(),
        };
        let (keyword, value) = content.split_once(char::is_whitespace).ok_or_else(syntax)?;
        let value = value.trim();
        if keyword == "year" {
            finish(current.take(), &mut years)?;
            let year = value
                .parse::<i32>()
                .ok()
                .filter(|_| value.len() == 4)
                .ok_or_else(syntax)?;
            current = Some(Block {
                year,
                schedule: YearSchedule {
                    source: String::new(),
                    off: BTreeSet::new(),
                    work: BTreeSet::new(),
                },
            });
            continue;
        }
        let block = current.as_mut().ok_or(CalendarLoadError::NoYear { line })?;
        let bad_date = || CalendarLoadError::BadDate {
            line,
            text: value.to_owned(),
        };
        let year = block.year;
        let in_year = |date: NaiveDate| {
            if date.year() == year {
                Ok(date)
            } else {
                Err(CalendarLoadError::OutsideYear { line, date, year })
            }
        };
        match keyword {
            "source" => block.schedule.source = value.to_owned(),
            "off" => {
                for date in parse_range(value).ok_or_else(bad_date)? {
                    let date = in_year(date)?;
                    block.schedule.off.insert(date);
                }
            }
            "work" => {
                let date = in_year(parse_date(value).ok_or_else(bad_date)?)?;
                if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
                    return Err(CalendarLoadError::WorkDayNotOnWeekend { line, date });
                }
                block.schedule.work.insert(date);
            }
            _ => return Err(syntax()),
        }
    }
    finish(current, &mut years)?;
    Ok(years)
}
