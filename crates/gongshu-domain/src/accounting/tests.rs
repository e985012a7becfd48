use chrono::NaiveDate;
use proptest::prelude::*;

use super::*;
use crate::pricing::CostCategory;
use crate::{DomainError, Money};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()
}

fn fen(f: i64) -> Money {
    Money::from_fen(f)
}

#[test]
fn accounts_round_trip_their_codes() {
    for a in Account::all() {
        assert_eq!(Account::parse(&a.code()).unwrap(), a);
    }
    assert_eq!(Account::Cost(CostCategory::Labour).code(), "6401.05");
    assert_eq!(
        Account::parse("9999").unwrap_err().code(),
        "accounting.unknown_account"
    );
    assert_eq!(
        serde_json::to_string(&Account::FeeRevenue).unwrap(),
        "\"6001\""
    );
}

#[test]
fn months_parse_and_bound() {
    let m = Month::parse("2026-02").unwrap();
    assert_eq!(m.last_day(), NaiveDate::from_ymd_opt(2026, 2, 28).unwrap());
    assert_eq!(m.next().to_string(), "2026-03");
    assert_eq!(
        Month::parse("2026-12").unwrap().next().to_string(),
        "2027-01"
    );
    for bad in ["2026-13", "2026-1", "26-01", "2026/01", ""] {
        assert_eq!(
            Month::parse(bad).unwrap_err().code(),
            "accounting.bad_month",
            "{bad}"
        );
    }
}

#[test]
fn entries_must_balance_with_one_side_per_line() {
    let ok = Entry::new(
        day(),
        "三月服务费",
        vec![
            Line::debit(Account::Receivable, fen(10_000)),
            Line::credit(Account::FeeRevenue, fen(10_000)),
            Line::credit(Account::MarketSharePayable, Money::ZERO),
        ],
    )
    .unwrap();
    assert_eq!(ok.lines.len(), 2, "zero lines are dropped");
    let unbalanced = Entry::new(
        day(),
        "x",
        vec![
            Line::debit(Account::Bank, fen(2)),
            Line::credit(Account::FeeRevenue, fen(1)),
        ],
    );
    assert_eq!(unbalanced.unwrap_err().code(), "accounting.unbalanced");
    let negative = Entry::new(
        day(),
        "x",
        vec![
            Line::debit(Account::Bank, fen(-2)),
            Line::credit(Account::FeeRevenue, fen(-2)),
        ],
    );
    assert_eq!(negative.unwrap_err().code(), "accounting.bad_line");
    let both = Entry {
        date: day(),
        memo: "x".into(),
        lines: vec![
            Line {
                account: Account::Bank,
                debit: fen(1),
                credit: fen(1),
            },
            Line::credit(Account::FeeRevenue, fen(0)),
        ],
    };
    assert_eq!(both.validate().unwrap_err().code(), "accounting.bad_line");
    assert_eq!(
        Entry::new(
            day(),
            " ",
            vec![
                Line::debit(Account::Bank, fen(1)),
                Line::credit(Account::FeeRevenue, fen(1))
            ]
        )
        .unwrap_err()
        .code(),
        "accounting.memo_required"
    );
    assert_eq!(
        Entry::new(day(), "x", vec![Line::debit(Account::Bank, fen(1))])
            .unwrap_err()
            .code(),
        "accounting.too_few_lines"
    );
}

#[test]
fn a_reversal_cancels_the_entry() {
    let cost = Entry::new(
        day(),
        "机房租金",
        vec![
            Line::debit(Account::Cost(CostCategory::ComputeStorage), fen(500_000)),
            Line::credit(Account::Payable, fen(500_000)),
        ],
    )
    .unwrap();
    let reversal = cost.reversal(day(), "冲销：金额录错").unwrap();
    let lines: Vec<&Line> = cost.lines.iter().chain(&reversal.lines).collect();
    let tb = TrialBalance::of(lines.iter().copied()).unwrap();
    assert!(tb.is_balanced());
    let is = IncomeStatement::of(lines.iter().copied()).unwrap();
    assert_eq!(is.total_cost, Money::ZERO);
}

/// Worked example: 10 000 yuan billed, 4 000 shared out, 3 000 of labour:
/// an operating result of 3 000.
#[test]
fn income_statement_from_the_journal() {
    let entries = [
        Entry::new(
            day(),
            "服务费",
            vec![
                Line::debit(Account::Receivable, fen(1_000_000)),
                Line::credit(Account::FeeRevenue, fen(1_000_000)),
            ],
        )
        .unwrap(),
        Entry::new(
            day(),
            "收益分成",
            vec![
                Line::debit(Account::RevenueShareExpense, fen(400_000)),
                Line::credit(Account::GovernmentSharePayable, fen(250_000)),
                Line::credit(Account::RegulatorCostPayable, fen(50_000)),
                Line::credit(Account::MarketSharePayable, fen(100_000)),
            ],
        )
        .unwrap(),
        Entry::new(
            day(),
            "工资",
            vec![
                Line::debit(Account::Cost(CostCategory::Labour), fen(300_000)),
                Line::credit(Account::Payable, fen(300_000)),
            ],
        )
        .unwrap(),
    ];
    let lines: Vec<&Line> = entries.iter().flat_map(|e| &e.lines).collect();
    let is = IncomeStatement::of(lines.iter().copied()).unwrap();
    assert_eq!(is.revenue, fen(1_000_000));
    assert_eq!(is.revenue_shares, fen(400_000));
    assert_eq!(is.total_cost, fen(300_000));
    assert_eq!(is.operating_result, fen(300_000));
    assert_eq!(is.costs.len(), CostCategory::ALL.len());
    let tb = TrialBalance::of(lines.iter().copied()).unwrap();
    assert!(tb.is_balanced());
    assert_eq!(tb.total_debit, fen(1_700_000));
}

proptest! {
    /// Whatever valid entries are booked, the trial balance nets to zero.
    #[test]
    fn valid_entries_always_balance(amounts in proptest::collection::vec((1_i64..1_000_000, 1_i64..1_000_000), 1..20)) {
        let entries: Vec<Entry> = amounts
            .iter()
            .map(|(a, b)| {
                Entry::new(day(), "x", vec![
                    Line::debit(Account::Receivable, fen(a + b)),
                    Line::credit(Account::FeeRevenue, fen(*a)),
                    Line::credit(Account::MarketSharePayable, fen(*b)),
                ]).unwrap()
            })
            .collect();
        let tb = TrialBalance::of(entries.iter().flat_map(|e| &e.lines)).unwrap();
        prop_assert!(tb.is_balanced());
    }
}
