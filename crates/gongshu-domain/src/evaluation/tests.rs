use super::*;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn input(scores: [i64; 5], weights: Option<[i64; 5]>) -> Vec<ScoreInput> {
    Indicator::ALL
        .iter()
        .enumerate()
        .map(|(i, ind)| ScoreInput {
            indicator: ind.as_str().into(),
            score: scores[i],
            weight: weights.map(|w| w[i]),
        })
        .collect()
}

#[test]
fn weighted_total_is_exact_and_graded_at_the_thresholds() {
    // 30·90 + 25·85 + 20·80 + 15·88 + 10·70 = 8445 → 84.45, 良好.
    let card = Scorecard::parse(&input([90, 85, 80, 88, 70], None)).unwrap();
    assert_eq!(card.total_hundredths(), 8_445);
    assert_eq!(format_total(card.total_hundredths()), "84.45");
    assert_eq!(card.grade(), Grade::Good);
    assert_eq!(grade_of(9_000), Grade::Excellent);
    assert_eq!(grade_of(8_999), Grade::Good);
    assert_eq!(grade_of(8_000), Grade::Good);
    assert_eq!(grade_of(7_999), Grade::Pass);
    assert_eq!(grade_of(6_000), Grade::Pass);
    assert_eq!(grade_of(5_999), Grade::Fail);
    let card = Scorecard::parse(&input([100; 5], Some([20; 5]))).unwrap();
    assert_eq!(card.total_hundredths(), 10_000);
}

#[test]
fn bad_scorecards_name_every_problem() {
    let e = Scorecard::parse(&input([101, 50, 50, 50, -1], None)).unwrap_err();
    let codes: Vec<&str> = e.iter().map(DomainError::code).collect();
    assert_eq!(
        codes,
        [
            "evaluation.score_out_of_range",
            "evaluation.score_out_of_range"
        ]
    );
    assert!(e[0].message_zh().contains("（S-7.2-3）"));
    assert_eq!(e[0].field(), "scores.security");
    let e = Scorecard::parse(&input([50; 5], Some([30, 30, 20, 10, 5]))).unwrap_err();
    assert_eq!(e[0].code(), "evaluation.weights_sum");
    let mut short = input([50; 5], None);
    short.pop();
    short.push(ScoreInput {
        indicator: "security".into(),
        score: 1,
        weight: None,
    });
    let codes: Vec<String> = Scorecard::parse(&short)
        .unwrap_err()
        .iter()
        .map(|e| e.code().to_owned())
        .collect();
    assert_eq!(
        codes,
        [
            "evaluation.indicator_duplicate",
            "evaluation.indicator_missing"
        ]
    );
}

#[test]
fn a_fail_needs_requirements_and_the_deadline_is_counted() {
    let cal = WorkingDayCalendar::official().unwrap();
    let none = RectificationInput::default();
    assert_eq!(
        rectification(Grade::Fail, &none, d(2026, 3, 2), &cal)
            .unwrap_err()
            .code(),
        "evaluation.rectification_required"
    );
    assert_eq!(
        rectification(Grade::Pass, &none, d(2026, 3, 2), &cal).unwrap(),
        None
    );
    let req = RectificationInput {
        requirements: vec!["补齐数据安全负责人".into()],
        working_days: None,
    };
    // 2026-03-02 + 30 日 = 2026-04-01 (a Wednesday).
    let r = rectification(Grade::Fail, &req, d(2026, 3, 2), &cal)
        .unwrap()
        .unwrap();
    assert_eq!(r.due_on, d(2026, 4, 1));
    // Monday 2026-09-28 + 10 working days across the National Day
    // holiday: 09-29, 09-30, (10-01..10-07 off), 10-08, 10-09, 10-10
    // (make-up Saturday), 10-12..10-16.
    let wd = RectificationInput {
        requirements: vec!["整改".into()],
        working_days: Some(10),
    };
    let r = rectification(Grade::Fail, &wd, d(2026, 9, 28), &cal)
        .unwrap()
        .unwrap();
    assert_eq!(r.due_on, d(2026, 10, 16));
    let bad = RectificationInput {
        requirements: vec!["整改".into()],
        working_days: Some(0),
    };
    assert!(rectification(Grade::Fail, &bad, d(2026, 3, 2), &cal).is_err());
}

#[test]
fn only_an_unrectified_fail_past_its_deadline_blocks_renewal() {
    let due = d(2026, 4, 1);
    let mut e = Evaluation {
        grade: Grade::Fail,
        status: EvaluationStatus::Rectifying,
        due_on: Some(due),
        submitted_on: None,
    };
    assert!(!e.blocks_renewal(due));
    assert!(e.blocks_renewal(d(2026, 4, 2)));
    e.status = EvaluationStatus::Rectified;
    e.submitted_on = Some(due);
    assert!(!e.blocks_renewal(d(2026, 4, 2)));
    e.submitted_on = Some(d(2026, 4, 2));
    assert!(e.blocks_renewal(d(2026, 4, 3)), "rectified late");
    e.grade = Grade::Pass;
    assert!(!e.blocks_renewal(d(2026, 4, 3)));
}

const EXPECTED_TABLE: &str = "\
status                  | submit_rectification    | accept_rectification    | return_rectification
completed               | !invalid_transition     | !invalid_transition     | !invalid_transition
rectifying              | rectification_submitted | !invalid_transition     | !invalid_transition
rectification_submitted | !invalid_transition     | rectified               | rectifying
rectified               | !invalid_transition     | !invalid_transition     | !invalid_transition
";

#[test]
fn evaluation_transition_table_snapshot() {
    let mut out = format!("{:<23}", "status");
    for c in EvaluationCommand::ALL {
        out.push_str(&format!(" | {:<23}", c.as_str()));
    }
    out = out.trim_end().to_owned();
    out.push('\n');
    for s in EvaluationStatus::ALL {
        let mut line = format!("{:<23}", s.as_str());
        for c in EvaluationCommand::ALL {
            let cell = match s.apply(*c) {
                Ok(next) => next.as_str().to_owned(),
                Err(e) => format!("!{}", e.code().trim_start_matches("evaluation.")),
            };
            line.push_str(&format!(" | {cell:<23}"));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
}
