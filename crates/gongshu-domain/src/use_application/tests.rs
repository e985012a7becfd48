use chrono::TimeZone as _;

use super::*;

/// The pinned transition table (STYLE.md §3.4); a change shows here.
const SNAPSHOT: &str = "\
draft        submit       submitted
draft        approve      -
draft        approve_last -
draft        reject       -
draft        withdraw     withdrawn
submitted    submit       -
submitted    approve      under_review
submitted    approve_last approved
submitted    reject       rejected
submitted    withdraw     withdrawn
under_review submit       -
under_review approve      under_review
under_review approve_last approved
under_review reject       rejected
under_review withdraw     -
approved     submit       -
approved     approve      -
approved     approve_last -
approved     reject       -
approved     withdraw     -
rejected     submit       -
rejected     approve      -
rejected     approve_last -
rejected     reject       -
rejected     withdraw     -
withdrawn    submit       -
withdrawn    approve      -
withdrawn    approve_last -
withdrawn    reject       -
withdrawn    withdraw     -
";

#[test]
fn use_application_transition_table_matches_the_snapshot() {
    let mut out = String::new();
    for from in UseStatus::ALL {
        for command in UseCommand::ALL {
            let to = from
                .apply(*command)
                .map_or_else(|_| "-".to_owned(), |s| s.as_str().to_owned());
            out.push_str(&format!(
                "{:<12} {:<12} {to}\n",
                from.as_str(),
                command.as_str()
            ));
        }
    }
    assert_eq!(out, SNAPSHOT, "transition table changed:\n{out}");
}

fn org(n: u128) -> OrgId {
    OrgId::from_u128(n)
}

fn user(n: u128) -> UserId {
    UserId::from_u128(n)
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap()
}

const PARTICIPANT: u128 = 1;
const OPERATOR: u128 = 2;
const AGENCY: u128 = 3;
const SOURCE_A: u128 = 4;
const SOURCE_B: u128 = 5;

fn sandbox() -> UseReview {
    let parties = required_parties(
        UseKind::SandboxAccess,
        org(OPERATOR),
        org(AGENCY),
        &[org(SOURCE_A), org(SOURCE_B), org(SOURCE_A)],
    );
    UseReview::submit(org(PARTICIPANT), user(10), &parties).unwrap()
}

#[test]
fn sandbox_access_needs_the_operator_the_agency_and_every_provider() {
    let mut r = sandbox();
    assert_eq!(r.parties().len(), 4);
    for (p, u) in [(OPERATOR, 20), (AGENCY, 30), (SOURCE_A, 40)] {
        assert_eq!(
            r.decide(org(p), user(u), Verdict::Approve(None), at())
                .unwrap(),
            UseStatus::UnderReview
        );
    }
    assert_eq!(r.pending_parties().len(), 1, "one approval missing");
    assert_eq!(
        r.decide(org(SOURCE_B), user(50), Verdict::Approve(None), at())
            .unwrap(),
        UseStatus::Approved
    );
    assert!(!r.status().is_appealable());
}

#[test]
fn product_use_needs_the_operator_and_the_agency_only() {
    let parties = required_parties(
        UseKind::ProductSubscription,
        org(OPERATOR),
        org(AGENCY),
        &[org(SOURCE_A)],
    );
    assert_eq!(parties.len(), 2);
    let mut r = UseReview::submit(org(PARTICIPANT), user(10), &parties).unwrap();
    let err = r
        .decide(org(SOURCE_A), user(40), Verdict::Approve(None), at())
        .unwrap_err();
    assert_eq!(err.code(), "use_application.not_a_party");
    assert!(err.message_zh().contains("（S-2.5b）"));
}

#[test]
fn a_rejection_ends_it_appealable_and_the_applicant_never_decides() {
    let mut r = sandbox();
    for (o, u) in [(PARTICIPANT, 11), (OPERATOR, 10)] {
        let err = r
            .decide(org(o), user(u), Verdict::Approve(None), at())
            .unwrap_err();
        assert_eq!(err.code(), "use_application.applicant_decides");
    }
    r.decide(org(OPERATOR), user(20), Verdict::Approve(None), at())
        .unwrap();
    assert_eq!(
        r.decide(org(OPERATOR), user(21), Verdict::Approve(None), at())
            .unwrap_err()
            .code(),
        "use_application.already_decided"
    );
    let reason = Verdict::parse("reject", Some("字段超出最小必要范围"), RULE).unwrap();
    assert_eq!(
        r.decide(org(AGENCY), user(30), reason, at()).unwrap(),
        UseStatus::Rejected
    );
    assert!(r.status().is_appealable());
    assert_eq!(r.rejection_reasons(), vec!["字段超出最小必要范围"]);
    assert!(r.pending_parties().is_empty());
    assert_eq!(
        r.decide(org(SOURCE_A), user(40), Verdict::Approve(None), at())
            .unwrap_err()
            .code(),
        "use_application.invalid_transition"
    );
}

#[test]
fn bad_party_sets_and_withdrawal() {
    let err = UseReview::submit(org(1), user(1), &[(org(1), PartyRole::Operator)]);
    assert_eq!(
        err.unwrap_err().code(),
        "use_application.applicant_as_party"
    );
    assert_eq!(
        UseReview::submit(org(1), user(1), &[]).unwrap_err().code(),
        "use_application.no_parties"
    );
    let mut r = sandbox();
    let restored = UseReview::restore(
        r.applicant_org(),
        r.submitted_by(),
        r.parties(),
        r.decisions().to_vec(),
        r.status(),
    )
    .unwrap();
    assert_eq!(restored, r);
    assert!(r.withdraw(org(OPERATOR)).is_err());
    r.withdraw(org(PARTICIPANT)).unwrap();
    assert_eq!(r.status(), UseStatus::Withdrawn);
    for e in [
        UseApplicationError::NotAdmitted,
        UseApplicationError::ApplicantNotParticipant,
    ] {
        assert!(e.message_zh().contains("（S-"), "{}", e.message_zh());
    }
    for s in UseStatus::ALL {
        assert_eq!(s.as_str().parse::<UseStatus>().unwrap(), *s);
    }
    for k in UseKind::ALL {
        assert_eq!(k.as_str().parse::<UseKind>().unwrap(), *k);
    }
}
