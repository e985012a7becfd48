use chrono::NaiveDate;

use super::*;
use crate::WorkingDayCalendar;
use crate::calendar::CalendarError;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

#[test]
fn registration_transition_table_snapshot() {
    let mut table = String::new();
    for from in RegistrationStatus::ALL {
        for command in RegistrationCommand::ALL {
            if let Ok(to) = from.apply(*command) {
                table.push_str(&format!("{from} --{command}--> {to}\n"));
            }
        }
    }
    assert_eq!(
        table,
        "\
unregistered --submit--> submitted
submitted --accept--> accepted
submitted --reject--> rejected
accepted --review--> reviewed
accepted --reject--> rejected
reviewed --notice--> in_notice
reviewed --reject--> rejected
in_notice --register--> registered
in_notice --reject--> rejected
registered --renew--> renewal_requested
renewal_requested --accept--> registered
renewal_requested --reject--> registered
rejected --submit--> submitted
"
    );
}

#[test]
fn deadlines_across_the_2026_national_day() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut r = Registration::default();
    // Submitted on Wednesday 2026-09-30, the eve of the National Day
    // holiday (10-01 to 10-07, make-up working day Saturday 10-10).
    r.submit(d(2026, 9, 30)).unwrap();
    let step = r.pending_step().unwrap();
    assert_eq!(step.kind, "registration.accept");
    // 10-08 (Thu), 10-09 (Fri), 10-10 (Sat, make-up) are the 3 working days.
    assert_eq!(step.due_on(&cal).unwrap(), d(2026, 10, 10));
    r.accept(d(2026, 10, 9)).unwrap();
    let due = r.pending_step().unwrap().due_on(&cal).unwrap();
    assert_eq!(cal.working_days_between(d(2026, 10, 9), due).unwrap(), 20);
    r.review(d(2026, 10, 20)).unwrap();
    r.notice(d(2026, 10, 21), &cal).unwrap();
    let end = r.notice_end.unwrap();
    assert_eq!(end, d(2026, 11, 3));
    // 赋码 is owed on the first working day after the notice (N6).
    let step = r.pending_step().unwrap();
    assert_eq!(step.kind, "registration.register");
    assert_eq!(step.due_on(&cal).unwrap(), d(2026, 11, 4));
    assert!(matches!(
        r.register(end, &cal),
        Err(RegistrationError::NoticeNotEnded { .. })
    ));
    r.register(d(2026, 11, 4), &cal).unwrap();
    assert_eq!(r.valid_until, Some(d(2029, 11, 3)));
    assert_eq!(r.current(), RegistrationStatus::Registered);
}

#[test]
fn unpublished_year_leaves_the_due_date_open() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut r = Registration::default();
    r.submit(d(2026, 12, 30)).unwrap();
    assert_eq!(
        r.pending_step().unwrap().due_on(&cal),
        Err(CalendarError::UnpublishedYear { year: 2027 })
    );
}

#[test]
fn renewal_only_within_sixty_days_before_expiry() {
    let mut r = Registration {
        status: Some(RegistrationStatus::Registered),
        valid_until: Some(d(2029, 3, 31)),
        ..Registration::default()
    };
    let e = r.renew(d(2029, 1, 29)).unwrap_err(); // 61 days before
    assert!(matches!(e, RegistrationError::RenewalTooEarly { .. }));
    assert!(crate::DomainError::message_zh(&e).contains("60 日"));
    assert!(matches!(
        r.renew(d(2029, 4, 1)),
        Err(RegistrationError::RenewalTooLate { .. })
    ));
    r.renew(d(2029, 1, 31)).unwrap(); // 59 days before
    r.accept(d(2029, 2, 1)).unwrap();
    assert_eq!(r.valid_until, Some(d(2032, 3, 31)));
    assert_eq!(r.current(), RegistrationStatus::Registered);
}

fn input() -> ResourceInput {
    ResourceInput {
        name: "居民用水量".into(),
        summary: "按户按月的用水量".into(),
        category: "公用事业/供水".into(),
        format: "table".into(),
        update_frequency: "monthly".into(),
        sharing_attribute: "conditional".into(),
        sharing_method: "sandbox".into(),
        use_conditions: "仅限可信数据空间内统计分析".into(),
        time_coverage_start: Some("2020-01-01".into()),
        industry: "电力、热力、燃气及水生产和供应业".into(),
        region: "涞源县".into(),
        columns: vec![ColumnInput {
            name: "account_no".into(),
            grade: Some("core".into()),
            personal_info: Some("personal".into()),
            sandbox_class: Some("direct_id".into()),
            ..ColumnInput::default()
        }],
        ..ResourceInput::default()
    }
}

#[test]
fn entry_parses_and_core_data_is_never_unconditional() {
    let e = CatalogEntry::parse(&input()).unwrap();
    assert_eq!(e.grade, Some(crate::classification::Grade::Core));
    assert!(e.registration_issues().is_empty());
    let mut bad = input();
    bad.sharing_attribute = "unconditional".into();
    let issues = CatalogEntry::parse(&bad).unwrap_err();
    assert_eq!(issues[0].code, "catalog.core_data_unconditional");
    assert!(issues[0].message_zh.contains("§7"));
}

#[test]
fn every_bad_field_is_named() {
    let mut bad = input();
    bad.format = "xls".into();
    bad.name = String::new();
    bad.columns[0].sandbox_class = Some("secret".into());
    let fields: Vec<String> = CatalogEntry::parse(&bad)
        .unwrap_err()
        .into_iter()
        .map(|i| i.field)
        .collect();
    assert_eq!(fields, ["name", "format", "columns[0].sandbox_class"]);
    let mut draft = input();
    draft.columns[0].sandbox_class = None;
    let e = CatalogEntry::parse(&draft).unwrap();
    let issues = e.registration_issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "columns[0].sandbox_class");
    assert!(issues[0].message_zh.contains("account_no"));
}

#[test]
fn sandbox_table_names_are_plain_sql_identifiers() {
    assert!(valid_table_name("power_bill"));
    assert!(valid_table_name("bus_trips_2025"));
    for bad in ["Power", "1x", "r_abc", "a-b", "", "电费"] {
        assert!(!valid_table_name(bad), "{bad}");
    }
    let mut i = input();
    i.table_name = Some("电费".into());
    let issues = CatalogEntry::parse(&i).unwrap_err();
    assert!(
        issues
            .iter()
            .any(|x| x.code == "catalog.table_name_invalid"),
        "{issues:?}"
    );
    i.table_name = Some(" power_bill ".into());
    let entry = CatalogEntry::parse(&i).unwrap();
    assert_eq!(entry.input.table_name.as_deref(), Some("power_bill"));
}
