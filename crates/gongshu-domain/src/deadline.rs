//! Deadlines (期限): open obligations with due dates counted on the official
//! working-day calendar, and their status as seen on a given day. Every
//! workflow reports its open obligations as [`Obligation`]s; the inbox shows
//! them to the responsible organisation, warns before and flags after.

use chrono::NaiveDate;
use serde::Serialize;

use crate::calendar::{CalendarError, WorkingDayCalendar};

/// Working days before the due date from which an obligation is "due soon".
pub const WARN_WORKING_DAYS: u32 = 3;

/// Obligation (待办事项): something a party must do by a date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Obligation {
    /// Stable code, e.g. `agreement.filing`.
    pub kind: String,
    /// Chinese title shown in the inbox.
    pub title_zh: String,
    /// Rule that sets the time limit (e.g. `S-3.3.3b`).
    pub rule: String,
    /// Kind of the item concerned (`agreement`, `data_demand`, …).
    pub subject_type: String,
    /// Id of the item concerned.
    pub subject_id: String,
    /// Organisation (id) that must act.
    pub responsible_org: String,
    /// The day the time limit started (the trigger day, not counted).
    pub started_on: NaiveDate,
    /// Last day to act, already moved off holidays.
    pub due_on: NaiveDate,
}

/// Where an obligation stands on a given day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeadlineStatus {
    /// More than [`WARN_WORKING_DAYS`] working days left.
    OnTrack {
        /// Working days left after today.
        working_days_left: u32,
    },
    /// Due within [`WARN_WORKING_DAYS`] working days (or today).
    DueSoon {
        /// Working days left after today.
        working_days_left: u32,
    },
    /// Past its due date.
    Overdue {
        /// Working days since the due date.
        working_days_over: u32,
    },
}

impl DeadlineStatus {
    /// Chinese label for the inbox.
    pub fn label_zh(self) -> String {
        match self {
            Self::OnTrack { working_days_left } => format!("剩余 {working_days_left} 个工作日"),
            Self::DueSoon {
                working_days_left: 0,
            } => "今日到期".to_owned(),
            Self::DueSoon { working_days_left } => {
                format!("即将到期：剩余 {working_days_left} 个工作日")
            }
            Self::Overdue { working_days_over } => format!("已逾期 {working_days_over} 个工作日"),
        }
    }
}

/// Due date of a limit of `working_days` working days triggered on `start`
/// (民法典 Art. 201: the trigger day does not count; Art. 203: a last day
/// that is a holiday moves to the next working day).
pub fn due_in_working_days(
    calendar: &WorkingDayCalendar,
    start: NaiveDate,
    working_days: u32,
) -> Result<NaiveDate, CalendarError> {
    calendar.add_working_days(start, working_days)
}

/// Status of an obligation due on `due` as seen on `today`.
pub fn status(
    calendar: &WorkingDayCalendar,
    due: NaiveDate,
    today: NaiveDate,
) -> Result<DeadlineStatus, CalendarError> {
    if today > due {
        return Ok(DeadlineStatus::Overdue {
            working_days_over: calendar.working_days_between(due, today)?,
        });
    }
    let left = calendar.working_days_between(today, due)?;
    Ok(if left <= WARN_WORKING_DAYS {
        DeadlineStatus::DueSoon {
            working_days_left: left,
        }
    } else {
        DeadlineStatus::OnTrack {
            working_days_left: left,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn filing_deadline_across_the_2026_spring_festival() {
        let cal = WorkingDayCalendar::official().unwrap();
        // Signed on Friday 2026-02-13; the Spring Festival holiday runs
        // 2026-02-15 to 02-23 with make-up working days on Saturday 02-14
        // and Saturday 02-28 (REQUIREMENTS.md §11.2).
        let due = due_in_working_days(&cal, d(2026, 2, 13), 10).unwrap();
        let mut counted = 0;
        let mut day = d(2026, 2, 13);
        while day < due {
            day = day.succ_opt().unwrap();
            if cal.is_working_day(day).unwrap() {
                counted += 1;
            }
        }
        assert_eq!(counted, 10);
        assert!(cal.is_working_day(due).unwrap());
        assert!(due > d(2026, 2, 23), "the holiday does not count: {due}");
    }

    #[test]
    fn national_day_and_status() {
        let cal = WorkingDayCalendar::official().unwrap();
        // Triggered on 2026-09-30, the eve of the National Day holiday.
        let due = due_in_working_days(&cal, d(2026, 9, 30), 10).unwrap();
        assert!(due > d(2026, 10, 7), "{due}");
        assert!(matches!(
            status(&cal, due, d(2026, 9, 30)).unwrap(),
            DeadlineStatus::OnTrack { .. }
        ));
        assert_eq!(
            status(&cal, due, due).unwrap(),
            DeadlineStatus::DueSoon {
                working_days_left: 0
            }
        );
        let later = cal.add_working_days(due, 2).unwrap();
        assert_eq!(
            status(&cal, due, later).unwrap(),
            DeadlineStatus::Overdue {
                working_days_over: 2
            }
        );
        assert_eq!(
            DeadlineStatus::Overdue {
                working_days_over: 2
            }
            .label_zh(),
            "已逾期 2 个工作日"
        );
    }

    #[test]
    fn unpublished_years_are_flagged_not_guessed() {
        let cal = WorkingDayCalendar::official().unwrap();
        assert_eq!(
            due_in_working_days(&cal, d(2026, 12, 25), 10),
            Err(CalendarError::UnpublishedYear { year: 2027 })
        );
    }
}
