//! Unit tests of the agreement rules, with the transition-table snapshot.

use chrono::NaiveDate;

use super::*;
use crate::{DomainError, OrgKind, WorkingDayCalendar};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn input(start: NaiveDate, end: NaiveDate) -> ClausesInput {
    let t = |s: &str| format!("{s}条款正文");
    ClausesInput {
        data_scope: DataScopeInput {
            catalog: "县级公共数据资源目录（2026 版）".into(),
            dataset_ids: vec!["018f3c1e-0000-7000-8000-000000000001".into()],
        },
        term: TermInput {
            start: Some(start),
            end: Some(end),
        },
        products_and_services: t("产品"),
        technical_platform: t("平台"),
        asset_ownership: t("资产"),
        disclosure: t("披露"),
        cost_revenue_and_distribution: t("收益"),
        security_and_emergency: t("安全"),
        evaluation_renewal_exit: t("评价"),
        breach_liability: t("违约"),
        dispute_resolution: t("争议"),
        change_and_termination: t("变更"),
        other: t("其他"),
    }
}

fn clauses(start: NaiveDate, end: NaiveDate) -> AgreementClauses {
    AgreementClauses::parse(&input(start, end)).unwrap()
}

/// The whole transition table, state × command. Any change to the
/// workflow shows up here as a reviewable diff.
const EXPECTED_TABLE: &str = "\
status             | record_opinion     | decide             | sign               | file               | request_renewal    | change             | expire             | terminate
draft              | opinions_collected | !opinions_missing  | !not_decided       | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
opinions_collected | opinions_collected | decided            | !not_decided       | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
decided            | !invalid_transition | !invalid_transition | signed             | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
signed             | !invalid_transition | !invalid_transition | !invalid_transition | filed              | signed             | signed             | expired            | terminated
filed              | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | filed              | filed              | expired            | terminated
expired            | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition
terminated         | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition
";

#[test]
fn transition_table_snapshot() {
    let mut out = format!("{:<18}", "status");
    for c in AgreementCommand::ALL {
        out.push_str(&format!(" | {:<18}", c.as_str()));
    }
    out = out.trim_end().to_owned();
    out.push('\n');
    for s in AgreementStatus::ALL {
        let mut line = format!("{:<18}", s.as_str());
        for c in AgreementCommand::ALL {
            let cell = match s.apply(*c) {
                Ok(next) => next.as_str().to_owned(),
                Err(e) => format!("!{}", e.code().trim_start_matches("agreement.")),
            };
            line.push_str(&format!(" | {cell:<18}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
}

#[test]
fn statuses_round_trip_and_have_labels() {
    for s in AgreementStatus::ALL {
        assert_eq!(s.as_str().parse::<AgreementStatus>().unwrap(), *s);
        assert!(!s.label_zh().is_empty());
    }
    assert!("active".parse::<AgreementStatus>().is_err());
}

#[test]
fn term_of_three_years_is_accepted_and_a_day_more_refused() {
    // S-2.2a
    let ok = AgreementTerm::new(d(2026, 1, 1), d(2028, 12, 31)).unwrap();
    assert_eq!(ok.end(), d(2028, 12, 31));
    let err = AgreementTerm::new(d(2026, 1, 1), d(2029, 1, 1)).unwrap_err();
    assert_eq!(err.code(), "agreement.term_too_long");
    assert!(
        err.message_zh().contains("（S-2.2a）"),
        "{}",
        err.message_zh()
    );
    assert!(AgreementTerm::new(d(2026, 3, 15), d(2029, 3, 14)).is_ok());
    assert!(AgreementTerm::new(d(2026, 3, 15), d(2029, 3, 15)).is_err());
    // Leap days: from 2024-02-29 the anniversary is 2027-03-01.
    assert!(AgreementTerm::new(d(2024, 2, 29), d(2027, 2, 28)).is_ok());
    assert!(AgreementTerm::new(d(2024, 2, 29), d(2027, 3, 1)).is_err());
    // A term ending on a leap day.
    assert!(AgreementTerm::new(d(2025, 3, 1), d(2028, 2, 29)).is_ok());
    assert_eq!(
        AgreementTerm::new(d(2026, 5, 1), d(2026, 4, 30))
            .unwrap_err()
            .code(),
        "agreement.term_inverted"
    );
}

#[test]
fn every_missing_clause_is_named() {
    let errors = AgreementClauses::parse(&ClausesInput::default()).unwrap_err();
    let codes: Vec<&str> = errors.iter().map(DomainError::code).collect();
    assert!(codes.contains(&"agreement.datasets_missing"));
    let mut clauses: Vec<u8> = errors
        .iter()
        .filter_map(|e| match e {
            AgreementError::ClauseMissing { clause, .. } => Some(*clause),
            _ => None,
        })
        .collect();
    clauses.dedup();
    assert_eq!(clauses, (1..=13).collect::<Vec<u8>>());
    for e in &errors {
        assert!(e.is_input_error());
        assert!(
            e.message_zh().contains("（S-3.3.3c）"),
            "{}",
            e.message_zh()
        );
    }
    let e = &errors[errors.len() - 1];
    assert_eq!(e.field(), "other");
    assert!(
        e.message_zh().contains("第 13 项条款“其他”"),
        "{}",
        e.message_zh()
    );
}

#[test]
fn clauses_round_trip_through_the_input_form() {
    let c = clauses(d(2026, 1, 1), d(2028, 12, 31));
    assert_eq!(AgreementClauses::parse(&c.to_input()).unwrap(), c);
    assert_eq!(c.text(3), Some("产品条款正文"));
    assert_eq!(c.text(13), Some("其他条款正文"));
    assert_eq!(c.text(14), None);
    let mut bad = c.to_input();
    bad.data_scope.dataset_ids.push("not-an-id".into());
    let errors = AgreementClauses::parse(&bad).unwrap_err();
    assert_eq!(errors[0].code(), "agreement.dataset_id_invalid");
}

fn decided(start: NaiveDate, end: NaiveDate) -> Agreement {
    let mut a = Agreement::draft(clauses(start, end), None);
    a.record_opinion(OrgKind::SectorRegulator, d(2026, 1, 5), d(2026, 1, 5))
        .unwrap();
    a.decide(d(2026, 1, 20), d(2026, 1, 20)).unwrap();
    a
}

#[test]
fn happy_path_and_filing_deadline_across_the_spring_festival() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = decided(d(2026, 2, 1), d(2029, 1, 31));
    // Signed Friday 2026-02-13: 02-14 (make-up Saturday) counts, the
    // holiday 02-15..02-23 does not, 02-28 (make-up Saturday) counts.
    a.sign(d(2026, 2, 13), d(2026, 2, 13), &[], &cal).unwrap();
    assert_eq!(a.filing_due_on, Some(d(2026, 3, 5)));
    assert!(!a.file(d(2026, 3, 5), d(2026, 3, 5)).unwrap());
    assert_eq!(a.status, AgreementStatus::Filed);
    let mut late = decided(d(2026, 2, 1), d(2029, 1, 31));
    late.sign(d(2026, 2, 13), d(2026, 2, 13), &[], &cal)
        .unwrap();
    assert!(
        late.file(d(2026, 3, 6), d(2026, 3, 6)).unwrap(),
        "late but recorded"
    );
    assert_eq!(late.status, AgreementStatus::Filed);
}

#[test]
fn opinions_come_from_regulators_and_supervisors_only() {
    let mut a = Agreement::draft(clauses(d(2026, 1, 1), d(2026, 12, 31)), None);
    let e = a
        .record_opinion(OrgKind::Operator, d(2026, 1, 5), d(2026, 1, 5))
        .unwrap_err();
    assert_eq!(e.code(), "agreement.opinion_source_invalid");
    assert_eq!(a.status, AgreementStatus::Draft);
    assert_eq!(
        a.decide(d(2026, 1, 5), d(2026, 1, 5)).unwrap_err().code(),
        "agreement.opinions_missing"
    );
    let e = a
        .record_opinion(OrgKind::DataBureau, d(2026, 1, 6), d(2026, 1, 5))
        .unwrap_err();
    assert_eq!(e.code(), "agreement.date_in_future");
}

#[test]
fn only_one_active_agreement_unless_a_later_renewal() {
    let cal = WorkingDayCalendar::official().unwrap();
    let active = ActiveAgreement {
        id: "old".into(),
        term: AgreementTerm::new(d(2026, 1, 1), d(2026, 6, 30)).unwrap(),
    };
    let mut second = decided(d(2026, 3, 1), d(2027, 2, 28));
    let e = second
        .sign(
            d(2026, 2, 2),
            d(2026, 2, 2),
            std::slice::from_ref(&active),
            &cal,
        )
        .unwrap_err();
    assert_eq!(e.code(), "agreement.another_active");
    assert!(e.message_zh().contains("（S-2.1）"));
    assert_eq!(second.status, AgreementStatus::Decided);
    // A renewal whose term overlaps is refused too; one that follows is not.
    let mut overlapping = decided(d(2026, 6, 30), d(2027, 6, 29));
    overlapping.renewal_of = Some("old".into());
    assert!(
        overlapping
            .sign(
                d(2026, 2, 2),
                d(2026, 2, 2),
                std::slice::from_ref(&active),
                &cal
            )
            .is_err()
    );
    let mut renewal = decided(d(2026, 7, 1), d(2029, 6, 30));
    renewal.renewal_of = Some("old".into());
    renewal
        .sign(
            d(2026, 2, 2),
            d(2026, 2, 2),
            std::slice::from_ref(&active),
            &cal,
        )
        .unwrap();
}

#[test]
fn renewal_window_is_the_last_three_months() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
    a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
    let e = a.check_renewal(d(2026, 8, 31), None, None).unwrap_err();
    assert_eq!(e.code(), "agreement.renewal_too_early");
    assert!(e.message_zh().contains("（S-2.2b）"));
    assert!(a.check_renewal(d(2026, 9, 30), None, None).is_err());
    a.check_renewal(d(2026, 10, 1), None, None).unwrap();
    a.check_renewal(d(2026, 12, 31), None, None).unwrap();
    assert_eq!(
        a.check_renewal(d(2027, 1, 1), None, None)
            .unwrap_err()
            .code(),
        "agreement.renewal_too_late"
    );
    assert_eq!(
        a.check_renewal(d(2026, 11, 1), Some("r"), None)
            .unwrap_err()
            .code(),
        "agreement.renewal_exists"
    );
    // S-7.2-3: a 不合格 evaluation not rectified by its deadline refuses renewal.
    let e = a
        .check_renewal(d(2026, 11, 1), None, Some(("ev", d(2026, 10, 15))))
        .unwrap_err();
    assert_eq!(e.code(), "agreement.evaluation_not_rectified");
    assert!(e.message_zh().contains("（S-7.2-3）"), "{}", e.message_zh());
    assert!(!e.is_input_error());
}

#[test]
fn a_change_before_signing_is_a_new_revision() {
    let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
    let mut new = a.clauses.to_input();
    new.cost_revenue_and_distribution = "新的收益分配方案".into();
    let change = a.change(AgreementClauses::parse(&new).unwrap()).unwrap();
    assert_eq!(change.changed, vec!["cost_revenue_and_distribution"]);
    assert!(change.major && change.new_revision && !change.pending);
    assert_eq!(a.status, AgreementStatus::Draft);
    assert_eq!(a.revision, 2);
    assert_eq!(a.decided_on, None);
    // A draft edited stays the same revision.
    let mut minor = a.clauses.to_input();
    minor.other = "补充约定".into();
    let change = a.change(AgreementClauses::parse(&minor).unwrap()).unwrap();
    assert!(!change.major && !change.new_revision);
    assert_eq!(a.revision, 2);
}

#[test]
fn a_change_after_signing_keeps_the_signed_revision_in_force() {
    // S-2.4: the changed revision is approved again while revision 1
    // stays in force; it replaces revision 1 only when signed itself.
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = decided(d(2026, 1, 1), d(2028, 12, 31));
    a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
    a.file(d(2026, 1, 30), d(2026, 1, 30)).unwrap();
    let original = a.clauses.clone();
    let mut new = a.clauses.to_input();
    new.cost_revenue_and_distribution = "新的收益分配方案".into();
    let change = a.change(AgreementClauses::parse(&new).unwrap()).unwrap();
    assert!(change.major && change.new_revision && change.pending);
    assert_eq!(a.status, AgreementStatus::Filed);
    assert!(a.status.is_active());
    assert_eq!(a.revision, 1);
    assert_eq!(a.clauses, original);
    assert_eq!(a.signed_on, Some(d(2026, 1, 21)));
    let pending = a.pending.clone().unwrap();
    assert_eq!(
        (pending.status, pending.revision),
        (AgreementStatus::Draft, 2)
    );
    // Signing the pending draft is refused until it is decided.
    assert_eq!(
        a.sign(d(2026, 3, 2), d(2026, 3, 2), &[], &cal)
            .unwrap_err()
            .code(),
        "agreement.not_decided"
    );
    a.record_opinion(OrgKind::DataBureau, d(2026, 3, 2), d(2026, 3, 2))
        .unwrap();
    a.decide(d(2026, 3, 3), d(2026, 3, 3)).unwrap();
    assert_eq!(a.decided_on, Some(d(2026, 1, 20)), "in force: unchanged");
    // Changed again after the decision: a new pending revision (3).
    new.other = "补充约定".into();
    let change = a.change(AgreementClauses::parse(&new).unwrap()).unwrap();
    assert!(change.new_revision);
    assert_eq!(change.superseded_pending.unwrap().revision, 2);
    assert_eq!(a.pending.as_ref().unwrap().revision, 3);
    a.record_opinion(OrgKind::DataBureau, d(2026, 3, 4), d(2026, 3, 4))
        .unwrap();
    a.decide(d(2026, 3, 4), d(2026, 3, 4)).unwrap();
    // Signed on Thursday 2026-03-05: it replaces revision 1 and is filed again.
    a.sign(d(2026, 3, 5), d(2026, 3, 5), &[], &cal).unwrap();
    assert_eq!(a.status, AgreementStatus::Signed);
    assert_eq!(a.revision, 3);
    assert_eq!(a.pending, None);
    assert_eq!(a.clauses.text(13), Some("补充约定"));
    assert_eq!(a.decided_on, Some(d(2026, 3, 4)));
    assert_eq!(a.filing_due_on, Some(d(2026, 3, 19)));
    assert_eq!(a.filed_on, None);
    // Without a pending revision, opinions and signing are refused in force.
    assert_eq!(
        a.record_opinion(OrgKind::DataBureau, d(2026, 3, 5), d(2026, 3, 5))
            .unwrap_err()
            .code(),
        "agreement.invalid_transition"
    );
}

#[test]
fn the_term_cannot_change_after_signing() {
    // S-2.2b: a different term is a renewal, not a change.
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
    a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
    let e = a
        .change(clauses(d(2026, 1, 1), d(2027, 12, 31)))
        .unwrap_err();
    assert_eq!(e.code(), "agreement.term_change_after_signing");
    assert!(e.message_zh().contains("（S-2.2b）"), "{}", e.message_zh());
    assert_eq!(a.pending, None);
    // Before signing the term may still change.
    let mut draft = decided(d(2026, 1, 1), d(2026, 12, 31));
    draft
        .change(clauses(d(2026, 1, 1), d(2027, 12, 31)))
        .unwrap();
}

#[test]
fn expiry_waits_for_the_end_of_the_term() {
    let cal = WorkingDayCalendar::official().unwrap();
    let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
    a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
    assert_eq!(
        a.expire(d(2026, 12, 31)).unwrap_err().code(),
        "agreement.term_not_ended"
    );
    a.expire(d(2027, 1, 1)).unwrap();
    assert_eq!(a.status, AgreementStatus::Expired);
    assert!(a.terminate().is_err());
}
