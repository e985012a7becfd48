use chrono::NaiveDate;

use super::*;
use crate::DomainError;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The whole transition table, state × command.
const EXPECTED_TABLE: &str = "\
status     | register_candidate   | record_assessment    | decide               | record_objection     | uphold_objection     | dismiss_objection    | finalise
open       | open                 | open                 | publicity            | !invalid_transition  | !invalid_transition  | !invalid_transition  | !not_decided
publicity  | !invalid_transition  | !invalid_transition  | !invalid_transition  | publicity            | open                 | publicity            | finalised
finalised  | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition
";

#[test]
fn transition_table_snapshot() {
    let mut out = format!("{:<10}", "status");
    for c in SelectionCommand::ALL {
        out.push_str(&format!(" | {:<20}", c.as_str()));
    }
    out = out.trim_end().to_owned();
    out.push('\n');
    for s in SelectionStatus::ALL {
        let mut line = format!("{:<10}", s.as_str());
        for c in SelectionCommand::ALL {
            let cell = match s.apply(*c) {
                Ok(next) => next.as_str().to_owned(),
                Err(e) => format!("!{}", e.code().trim_start_matches("selection.")),
            };
            line.push_str(&format!(" | {cell:<20}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
}

#[test]
fn codes_round_trip_and_there_are_4_plus_10_items() {
    for s in SelectionStatus::ALL {
        assert_eq!(s.as_str().parse::<SelectionStatus>().unwrap(), *s);
    }
    for m in SelectionMethod::ALL {
        assert_eq!(parse_method(m.as_str()).unwrap(), *m);
    }
    assert_eq!(
        parse_method("lottery").unwrap_err().code(),
        "selection.method_invalid"
    );
    let basic = QualificationItem::ALL
        .iter()
        .filter(|i| i.group() == RuleGroup::Basic)
        .count();
    assert_eq!((basic, QualificationItem::ALL.len()), (4, 14));
}

fn all_met() -> Assessment {
    let input: Vec<ItemInput> = QualificationItem::ALL
        .iter()
        .map(|i| ItemInput {
            item: i.as_str().into(),
            met: true,
            evidence_ref: Some(format!("附件-{}", i.as_str())),
        })
        .collect();
    let mut a = Assessment::default();
    a.record(Assessment::parse_items(&input).unwrap());
    a
}

#[test]
fn met_needs_evidence_and_unknown_items_are_named() {
    let errors = Assessment::parse_items(&[
        ItemInput {
            item: "tech_innovation".into(),
            met: true,
            evidence_ref: Some("  ".into()),
        },
        ItemInput {
            item: "basic_sound_finances".into(),
            met: false,
            evidence_ref: None,
        },
        ItemInput {
            item: "lucky".into(),
            met: true,
            evidence_ref: Some("x".into()),
        },
    ])
    .unwrap_err();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].code(), "selection.evidence_missing");
    assert_eq!(errors[0].field(), "items.tech_innovation.evidence_ref");
    assert!(errors[0].message_zh().contains("（S-3.2.2）"));
    assert_eq!(errors[1].code(), "selection.item_unknown");
}

#[test]
fn a_candidate_missing_one_item_cannot_be_chosen() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = all_met();
    a.record(vec![(
        QualificationItem::NoViolations,
        ItemResult {
            met: false,
            evidence_ref: None,
        },
    )]);
    let mut s = Selection::open();
    let e = s
        .decide("c1", &a, d(2026, 3, 2), d(2026, 3, 2), &cal)
        .unwrap_err();
    assert_eq!(e.code(), "selection.candidate_not_qualified");
    assert!(e.message_zh().contains("（S-3.2.1）"), "{}", e.message_zh());
    assert!(e.message_zh().contains("无重大违法违规"));
    assert_eq!(s.status, SelectionStatus::Open);
    // A technical item missing names S-3.2.2.
    let mut b = all_met();
    b.record(vec![(
        QualificationItem::Level3,
        ItemResult {
            met: false,
            evidence_ref: None,
        },
    )]);
    let e = s
        .decide("c1", &b, d(2026, 3, 2), d(2026, 3, 2), &cal)
        .unwrap_err();
    assert!(e.message_zh().contains("（S-3.2.2）"), "{}", e.message_zh());
}

#[test]
fn publicity_of_5_working_days_then_objections_and_finalisation() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut s = Selection::open();
    // Decided Friday 2026-02-13: 02-14 (make-up Saturday), then after the
    // Spring Festival holiday 02-24..02-27 count; publicity ends 02-27.
    s.decide("c1", &all_met(), d(2026, 2, 13), d(2026, 2, 13), &cal)
        .unwrap();
    assert_eq!(s.publicity_ends_on, Some(d(2026, 2, 27)));
    assert_eq!(s.status, SelectionStatus::Publicity);
    let e = s.finalise(d(2026, 2, 27), d(2026, 2, 27), 0).unwrap_err();
    assert_eq!(e.code(), "selection.publicity_not_over");
    assert!(e.message_zh().contains("（S-3.3.1）"));
    s.check_objection(d(2026, 2, 20), d(2026, 2, 25)).unwrap();
    assert_eq!(
        s.check_objection(d(2026, 2, 28), d(2026, 3, 2))
            .unwrap_err()
            .code(),
        "selection.objection_outside_publicity"
    );
    assert_eq!(
        s.finalise(d(2026, 3, 2), d(2026, 3, 2), 1)
            .unwrap_err()
            .code(),
        "selection.objections_pending"
    );
    s.resolve_objection(ObjectionStatus::Pending, ObjectionStatus::Dismissed)
        .unwrap();
    assert_eq!(
        s.resolve_objection(ObjectionStatus::Dismissed, ObjectionStatus::Upheld)
            .unwrap_err()
            .code(),
        "selection.objection_resolved"
    );
    s.finalise(d(2026, 3, 2), d(2026, 3, 2), 0).unwrap();
    assert_eq!(s.status, SelectionStatus::Finalised);
}

#[test]
fn an_upheld_objection_reopens_the_selection() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut s = Selection::open();
    s.decide("c1", &all_met(), d(2026, 3, 2), d(2026, 3, 2), &cal)
        .unwrap();
    s.resolve_objection(ObjectionStatus::Pending, ObjectionStatus::Upheld)
        .unwrap();
    assert_eq!(s, Selection::open());
}

#[test]
fn candidates_are_operators_with_a_valid_credit_code() {
    let code = "914403001922038216";
    assert_eq!(
        check_candidate(OrgKind::Operator, None, code).unwrap(),
        code
    );
    assert_eq!(
        check_candidate(OrgKind::Participant, None, code)
            .unwrap_err()
            .code(),
        "selection.candidate_not_operator"
    );
    assert_eq!(
        check_candidate(OrgKind::Operator, None, "914403001922038217")
            .unwrap_err()
            .code(),
        "selection.credit_code_invalid"
    );
    assert_eq!(
        check_candidate(OrgKind::Operator, Some("91440300708461136T"), code)
            .unwrap_err()
            .code(),
        "selection.credit_code_mismatch"
    );
}
