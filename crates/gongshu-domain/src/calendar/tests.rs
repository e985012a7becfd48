use chrono::NaiveDate;

use super::*;

fn date(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

fn official() -> WorkingDayCalendar {
    WorkingDayCalendar::official().unwrap()
}

#[test]
fn the_official_calendar_loads_2025_and_2026() {
    let calendar = official();
    assert_eq!(calendar.published_years(), [2025, 2026]);
    assert!(calendar.source(2026).unwrap().contains("gov.cn"));
    assert_eq!(calendar.source(2027), None);
}

#[test]
fn holidays_and_make_up_days_follow_the_notices() {
    let calendar = official();
    let cases = [
        ("2025-01-01", false), // 元旦, a Wednesday
        ("2025-01-26", true),  // Sunday made a working day for 春节
        ("2025-01-28", false), // 除夕
        ("2025-02-04", false), // 初七
        ("2025-02-05", true),
        ("2025-02-08", true),  // Saturday made a working day
        ("2025-03-08", false), // an ordinary Saturday
        ("2025-03-10", true),  // an ordinary Monday
        ("2025-04-27", true),
        ("2025-05-05", false),
        ("2025-10-08", false),
        ("2025-10-11", true),
        ("2026-01-02", false),
        ("2026-01-04", true),
        ("2026-02-23", false), // 正月初七, a Monday
        ("2026-02-28", true),
        ("2026-09-20", true),
        ("2026-09-25", false), // 中秋节, separate from 国庆节 in 2026
        ("2026-10-07", false),
        ("2026-10-10", true),
    ];
    for (day, expected) in cases {
        assert_eq!(calendar.is_working_day(date(day)), Ok(expected), "{day}");
    }
}

#[test]
fn each_year_has_248_working_days_and_no_run_longer_than_six() {
    // 2025 and 2026 each have 13 statutory holiday days; the notices keep
    // runs of consecutive working days to at most six.
    let calendar = official();
    for year in [2025, 2026] {
        let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        let mut working = 0;
        let mut run = 0;
        for day in first.iter_days().take_while(|d| d.year() == year) {
            if calendar.is_working_day(day).unwrap() {
                working += 1;
                run += 1;
                assert!(run <= 6, "run of {run} working days ending {day}");
            } else {
                run = 0;
            }
        }
        assert_eq!(working, 248, "{year}");
    }
}

#[test]
fn the_trigger_day_is_not_counted() {
    let calendar = official();
    assert_eq!(
        calendar.add_working_days(date("2025-03-03"), 1),
        Ok(date("2025-03-04"))
    );
    // Triggered on a Friday: the next working day is Monday.
    assert_eq!(
        calendar.add_working_days(date("2025-03-07"), 1),
        Ok(date("2025-03-10"))
    );
}

#[test]
fn working_day_periods_skip_holidays_and_count_make_up_days() {
    let calendar = official();
    // Agreement signed on Friday 2025-09-26, filed within 10 working days
    // (S-3.3.3b): 09-28 (Sunday, working) counts, 10-01..10-08 do not, 10-11
    // (Saturday, working) counts.
    assert_eq!(
        calendar.add_working_days(date("2025-09-26"), 10),
        Ok(date("2025-10-16"))
    );
    assert_eq!(
        calendar.add_working_days(date("2025-01-24"), 3),
        Ok(date("2025-02-05"))
    );
    assert_eq!(
        calendar.add_working_days(date("2026-02-13"), 5),
        Ok(date("2026-02-27"))
    );
    // Across the year boundary into the make-up Sunday 2026-01-04.
    assert_eq!(
        calendar.add_working_days(date("2025-12-31"), 1),
        Ok(date("2026-01-04"))
    );
    assert_eq!(
        calendar.working_days_between(date("2025-09-26"), date("2025-10-16")),
        Ok(10)
    );
    assert_eq!(
        calendar.working_days_between(date("2025-10-16"), date("2025-09-26")),
        Ok(0)
    );
}

#[test]
fn zero_working_days_is_the_start_or_the_next_working_day() {
    let calendar = official();
    assert_eq!(
        calendar.add_working_days(date("2025-03-04"), 0),
        Ok(date("2025-03-04"))
    );
    assert_eq!(
        calendar.add_working_days(date("2025-10-01"), 0),
        Ok(date("2025-10-09"))
    );
}

#[test]
fn calendar_day_periods_move_off_holidays_and_weekends() {
    let calendar = official();
    assert_eq!(
        calendar.add_calendar_days(date("2025-03-01"), 3),
        Ok(date("2025-03-04"))
    );
    // Ends on 10-01, a holiday: moves to the first day after the holiday.
    assert_eq!(
        calendar.add_calendar_days(date("2025-09-30"), 1),
        Ok(date("2025-10-09"))
    );
    // Ends on an ordinary Saturday: moves to Monday.
    assert_eq!(
        calendar.add_calendar_days(date("2025-03-01"), 7),
        Ok(date("2025-03-10"))
    );
    // Ends on a make-up working Sunday: stays.
    assert_eq!(
        calendar.add_calendar_days(date("2025-09-27"), 1),
        Ok(date("2025-09-28"))
    );
}

#[test]
fn unpublished_years_are_refused_not_guessed() {
    let calendar = official();
    let unpublished = |year| CalendarError::UnpublishedYear { year };
    assert_eq!(
        calendar.is_working_day(date("2024-06-03")),
        Err(unpublished(2024))
    );
    assert_eq!(
        calendar.is_working_day(date("2027-01-04")),
        Err(unpublished(2027))
    );
    assert_eq!(
        calendar.add_working_days(date("2026-12-20"), 10),
        Err(unpublished(2027))
    );
    assert_eq!(
        calendar.add_calendar_days(date("2026-12-01"), 60),
        Err(unpublished(2027))
    );
    // Only days after the trigger are needed.
    assert_eq!(
        calendar.add_working_days(date("2024-12-31"), 1),
        Ok(date("2025-01-02"))
    );
    let err = calendar.is_working_day(date("2027-01-04")).unwrap_err();
    assert_eq!(err.code(), "calendar.unpublished_year");
    assert!(err.message_zh().contains("2027"));
}

#[test]
fn a_later_year_can_be_loaded_and_merged() {
    // A made-up schedule: only the mechanism is under test.
    let text = "year 2027\nsource test data, not an official notice\noff 2027-01-01\nwork 2027-01-02 # a Saturday\n";
    let mut calendar = official();
    calendar
        .merge(WorkingDayCalendar::parse(text).unwrap())
        .unwrap();
    assert_eq!(calendar.published_years(), [2025, 2026, 2027]);
    assert_eq!(calendar.is_working_day(date("2027-01-01")), Ok(false));
    assert_eq!(calendar.is_working_day(date("2027-01-02")), Ok(true));
    assert_eq!(
        calendar.add_working_days(date("2026-12-31"), 1),
        Ok(date("2027-01-02"))
    );
    let again = WorkingDayCalendar::parse(text).unwrap();
    assert_eq!(
        calendar.merge(again),
        Err(CalendarLoadError::DuplicateYear { year: 2027 })
    );
}

#[test]
fn bad_calendar_data_is_refused_with_its_line() {
    let cases = [
        (
            "year 2027\nsource s\nholiday 2027-01-01",
            "calendar_load.syntax",
        ),
        ("year 27\nsource s", "calendar_load.syntax"),
        ("year 2027\nsource s\noff", "calendar_load.syntax"),
        (
            "year 2027\nsource s\noff 2027-02-30",
            "calendar_load.bad_date",
        ),
        (
            "year 2027\nsource s\noff 2027-1-05",
            "calendar_load.bad_date",
        ),
        (
            "year 2027\nsource s\noff 2027-01-05..2027-01-03",
            "calendar_load.bad_date",
        ),
        ("off 2027-01-01", "calendar_load.no_year"),
        (
            "year 2027\nsource s\noff 2026-12-31",
            "calendar_load.outside_year",
        ),
        (
            "year 2027\nsource s\nwork 2027-01-04",
            "calendar_load.work_day_not_on_weekend",
        ),
        (
            "year 2027\nsource s\noff 2027-01-02\nwork 2027-01-02",
            "calendar_load.off_and_work",
        ),
        (
            "year 2027\nsource s\nyear 2027\nsource s",
            "calendar_load.duplicate_year",
        ),
        ("year 2027\noff 2027-01-01", "calendar_load.missing_source"),
    ];
    for (text, code) in cases {
        let err = WorkingDayCalendar::parse(text).unwrap_err();
        assert_eq!(err.code(), code, "{text:?}");
        assert!(!err.message_zh().is_empty());
    }
    assert_eq!(
        WorkingDayCalendar::parse("year 2027\nsource s\n\nwork 2027-01-05"),
        Err(CalendarLoadError::WorkDayNotOnWeekend {
            line: 4,
            date: date("2027-01-05")
        })
    );
}
