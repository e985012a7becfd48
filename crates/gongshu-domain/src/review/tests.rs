use chrono::TimeZone as _;

use super::*;
use crate::DomainError as _;

/// The pinned transition table (STYLE.md §3.4). To update after an
/// intended change: run the test, copy the printed table into
/// `transitions.snap`, and review the diff.
const SNAPSHOT: &str = include_str!("transitions.snap");

fn table() -> String {
    let mut out = String::new();
    for co_signature in [true, false] {
        out.push_str(&format!("# co-signature required: {co_signature}\n"));
        for from in ReviewStatus::ALL {
            for command in ReviewCommand::ALL {
                let to = from
                    .apply(*command, co_signature)
                    .map_or_else(|_| "-".to_owned(), |s| s.as_str().to_owned());
                out.push_str(&format!(
                    "{:<13} {:<13} {to}\n",
                    from.as_str(),
                    command.as_str()
                ));
            }
        }
    }
    out
}

#[test]
fn transition_table_matches_the_snapshot() {
    let actual = table();
    assert_eq!(actual, SNAPSHOT, "transition table changed:\n{actual}");
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

fn approve() -> Verdict {
    Verdict::Approve(None)
}

fn reject(reason: &str) -> Verdict {
    Verdict::parse("reject", Some(reason), "S-4b").unwrap()
}

const OPERATOR: u128 = 1;
const REGULATOR: u128 = 2;
const AGENCY: u128 = 3;
const BUREAU: u128 = 4;
const SOURCE_A: u128 = 5;
const SOURCE_B: u128 = 6;

/// A data demand (S-4b) with two data source units, submitted by user 10.
fn demand() -> JointReview {
    JointReview::submit(
        ReviewKind::DataDemand,
        org(OPERATOR),
        user(10),
        Some(org(REGULATOR)),
        &[
            (org(AGENCY), PartyRole::ImplementingAgency),
            (org(BUREAU), PartyRole::DataBureau),
            (org(SOURCE_A), PartyRole::DataSourceUnit),
            (org(SOURCE_B), PartyRole::DataSourceUnit),
            (org(SOURCE_A), PartyRole::DataSourceUnit),
        ],
    )
    .unwrap()
}

#[test]
fn data_demand_needs_the_co_signature_then_every_party() {
    let mut r = demand();
    assert_eq!(r.status(), ReviewStatus::Submitted);
    assert_eq!(r.parties().len(), 4, "the same provider is one party");
    let err = r
        .decide(org(AGENCY), user(30), approve(), at())
        .unwrap_err();
    assert_eq!(err.code(), "review.not_co_signed");
    assert!(
        err.message_zh().contains("（S-4b）"),
        "{}",
        err.message_zh()
    );

    assert_eq!(
        r.co_sign(org(AGENCY), user(30)).unwrap_err().code(),
        "review.wrong_co_signer"
    );
    r.co_sign(org(REGULATOR), user(20)).unwrap();
    assert_eq!(r.status(), ReviewStatus::CoSigned);

    for (party, u) in [(AGENCY, 30), (BUREAU, 40), (SOURCE_A, 50)] {
        assert_eq!(
            r.decide(org(party), user(u), approve(), at()).unwrap(),
            ReviewStatus::UnderReview
        );
    }
    assert_eq!(r.pending_parties().len(), 1, "one approval missing");
    assert_eq!(
        r.decide(org(SOURCE_B), user(60), approve(), at()).unwrap(),
        ReviewStatus::Approved
    );
    assert!(r.pending_parties().is_empty());
    let late = r
        .decide(org(SOURCE_B), user(61), approve(), at())
        .unwrap_err();
    assert_eq!(late.code(), "review.invalid_transition");
}

#[test]
fn one_rejection_ends_the_review_with_its_reason() {
    let mut r = demand();
    r.co_sign(org(REGULATOR), user(20)).unwrap();
    r.decide(org(AGENCY), user(30), approve(), at()).unwrap();
    assert_eq!(
        r.decide(org(BUREAU), user(40), reject("超出最小必要范围"), at())
            .unwrap(),
        ReviewStatus::Rejected
    );
    assert_eq!(r.rejection_reasons(), vec!["超出最小必要范围"]);
    assert_eq!(
        r.decide(org(SOURCE_A), user(50), approve(), at())
            .unwrap_err()
            .code(),
        "review.invalid_transition"
    );
}

#[test]
fn nobody_decides_twice_and_the_applicant_side_never_decides() {
    let mut r = demand();
    r.co_sign(org(REGULATOR), user(20)).unwrap();
    r.decide(org(AGENCY), user(30), approve(), at()).unwrap();
    let again = r
        .decide(org(AGENCY), user(31), approve(), at())
        .unwrap_err();
    assert_eq!(again.code(), "review.already_decided");
    for (o, u) in [(OPERATOR, 11), (REGULATOR, 21), (BUREAU, 10), (BUREAU, 20)] {
        let err = r.decide(org(o), user(u), approve(), at()).unwrap_err();
        assert_eq!(err.code(), "review.applicant_decides", "{o}/{u}");
    }
    let stranger = r.decide(org(99), user(99), approve(), at()).unwrap_err();
    assert_eq!(stranger.code(), "review.not_a_party");
    assert_eq!(r.decisions().len(), 1);
}

#[test]
fn a_rejection_needs_a_reason() {
    for reason in [None, Some(""), Some("  \u{3000} ")] {
        let err = Verdict::parse("reject", reason, "S-3.3.2a").unwrap_err();
        assert_eq!(err.code(), "review.reason_required");
        assert!(err.message_zh().contains("（S-3.3.2a）"));
    }
    assert_eq!(
        Verdict::parse("maybe", None, "S-4b").unwrap_err().code(),
        "review.unknown_verdict"
    );
    assert!(matches!(
        Verdict::parse("approve", Some(" "), "S-4b").unwrap(),
        Verdict::Approve(None)
    ));
}

#[test]
fn market_entry_needs_no_co_signature_and_all_four_parties() {
    let parties = [
        (org(AGENCY), PartyRole::ImplementingAgency),
        (org(REGULATOR), PartyRole::SectorRegulator),
        (org(OPERATOR), PartyRole::Operator),
        (org(SOURCE_A), PartyRole::DataSourceUnit),
    ];
    let mut r =
        JointReview::submit(ReviewKind::MarketEntry, org(7), user(70), None, &parties).unwrap();
    assert_eq!(r.status(), ReviewStatus::Submitted);
    for (i, (o, _)) in parties.iter().enumerate().take(3) {
        let u = u128::try_from(i).unwrap() + 100;
        assert_eq!(
            r.decide(*o, user(u), approve(), at()).unwrap(),
            ReviewStatus::UnderReview
        );
    }
    assert_eq!(r.status(), ReviewStatus::UnderReview, "three of four");
    r.decide(org(SOURCE_A), user(200), approve(), at()).unwrap();
    assert_eq!(r.status(), ReviewStatus::Approved);
}

#[test]
fn construction_refuses_bad_party_sets() {
    let err = JointReview::submit(
        ReviewKind::MarketEntry,
        org(7),
        user(70),
        None,
        &[(org(7), PartyRole::Operator)],
    )
    .unwrap_err();
    assert_eq!(err.code(), "review.applicant_as_party");
    let err =
        JointReview::submit(ReviewKind::MarketEntry, org(7), user(70), None, &[]).unwrap_err();
    assert_eq!(err.code(), "review.no_parties");
    let err = JointReview::submit(
        ReviewKind::DataDemand,
        org(OPERATOR),
        user(10),
        None,
        &[(org(AGENCY), PartyRole::ImplementingAgency)],
    )
    .unwrap_err();
    assert_eq!(
        err.code(),
        "review.wrong_co_signer",
        "S-4b needs a co-signer"
    );
    let err = JointReview::submit(
        ReviewKind::DataDemand,
        org(OPERATOR),
        user(10),
        Some(org(REGULATOR)),
        &[(org(REGULATOR), PartyRole::SectorRegulator)],
    )
    .unwrap_err();
    assert_eq!(err.code(), "review.applicant_as_party");
}

#[test]
fn withdrawal_only_before_any_decision() {
    let mut r = demand();
    assert!(r.withdraw(org(REGULATOR)).is_err());
    r.co_sign(org(REGULATOR), user(20)).unwrap();
    let mut early = r.clone();
    early.withdraw(org(OPERATOR)).unwrap();
    assert_eq!(early.status(), ReviewStatus::Withdrawn);
    r.decide(org(AGENCY), user(30), approve(), at()).unwrap();
    assert_eq!(
        r.withdraw(org(OPERATOR)).unwrap_err().code(),
        "review.invalid_transition"
    );
}

#[test]
fn restore_round_trips() {
    let mut r = demand();
    r.co_sign(org(REGULATOR), user(20)).unwrap();
    r.decide(org(AGENCY), user(30), approve(), at()).unwrap();
    let back = JointReview::restore(
        r.kind(),
        r.applicant_org(),
        r.submitted_by(),
        r.co_signer_org(),
        r.co_signed_by(),
        r.parties().to_vec(),
        r.decisions().to_vec(),
        r.status(),
    )
    .unwrap();
    assert_eq!(back, r);
}

#[test]
fn texts_and_columns() {
    assert_eq!(
        ReviewText::parse(" 理由\n第二行 ", ReviewText::LONG)
            .unwrap()
            .as_str(),
        "理由\n第二行"
    );
    assert_eq!(
        ReviewText::parse("a\nb", ReviewText::SHORT).unwrap_err(),
        TextError::ControlCharacter
    );
    assert_eq!(ReviewText::parse("", 10).unwrap_err(), TextError::Empty);
    assert_eq!(
        ReviewText::parse("abcdef", 5).unwrap_err(),
        TextError::TooLong { max: 5 }
    );
    assert_eq!(
        ColumnName::parse("id_card_no").unwrap().as_str(),
        "id_card_no"
    );
    assert!(ColumnName::parse("a b").is_err());
    assert!(ColumnName::parse(&"x".repeat(65)).is_err());
}

#[test]
fn codes_and_labels() {
    for s in ReviewStatus::ALL {
        assert_eq!(s.as_str().parse::<ReviewStatus>().unwrap(), *s);
        assert!(!s.label_zh().is_empty());
    }
    for p in PartyRole::ALL {
        assert_eq!(p.as_str().parse::<PartyRole>().unwrap(), *p);
    }
    for k in ReviewKind::ALL {
        assert_eq!(k.as_str().parse::<ReviewKind>().unwrap(), *k);
    }
    assert!(NO_RELICENSING_UNDERTAKING_ZH.contains("转授权"));
}
