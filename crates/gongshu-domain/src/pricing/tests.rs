use proptest::prelude::*;
use rust_decimal::Decimal;

use super::mar::{maximum_allowed_revenue, overage, revenue_alert};
use super::schedule::check_caps_within;
use super::*;
use crate::{DomainError, Money};

fn yuan(y: i64) -> Money {
    Money::from_yuan(y).unwrap()
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn survey() -> MarInputs {
    MarInputs {
        costs: vec![
            (CostCategory::DataProcurement, yuan(1_200_000)),
            (CostCategory::ProductDevelopment, yuan(800_000)),
            (CostCategory::ComputeStorage, yuan(600_000)),
            (CostCategory::SecurityCompliance, yuan(300_000)),
            (CostCategory::Labour, yuan(1_500_000)),
            (CostCategory::ServiceOperation, yuan(400_000)),
            (CostCategory::Other, yuan(100_000)),
        ],
        effective_assets: Money::ZERO,
        taxes: yuan(150_000),
        prior_overage: Money::ZERO,
    }
}

fn rule() -> ProfitRule {
    ProfitRule {
        treasury_yield_pct: dec("1.90"),
        markup_pct: dec("6"),
        base: ProfitBase::OperatingCost,
    }
}

/// Worked example (S-5.1): a cost survey of 4.9 million yuan, a 1.90 %
/// prior-year 10-year treasury yield plus 6 points, 150 000 yuan of taxes.
#[test]
fn cost_survey_to_maximum_allowed_revenue_and_caps() {
    let b = maximum_allowed_revenue(&rule(), &survey()).unwrap();
    assert_eq!(b.operating_cost, yuan(4_900_000));
    assert_eq!(b.profit_rate_pct, dec("7.90"));
    assert_eq!(b.allowed_profit, yuan(387_100));
    assert_eq!(b.calculated, yuan(5_437_100));
    assert_eq!(b.clawback, Money::ZERO);
    assert_eq!(b.maximum_allowed_revenue, yuan(5_437_100));

    // Caps: 2 yuan per verification call × 1.5 million calls, 50 yuan per
    // report × 40 000 reports: 5 million, within the maximum.
    let caps = [(yuan(2), 1_500_000), (yuan(50), 40_000)];
    assert_eq!(
        check_caps_within(&caps, b.maximum_allowed_revenue).unwrap(),
        yuan(5_000_000)
    );
    // 50 000 reports would plan 5.5 million: refused, naming both figures.
    let err = check_caps_within(
        &[(yuan(2), 1_500_000), (yuan(50), 50_000)],
        b.maximum_allowed_revenue,
    )
    .unwrap_err();
    assert_eq!(err.code(), "pricing.caps_exceed_mar");
    assert!(
        err.message_zh().contains("5500000.00"),
        "{}",
        err.message_zh()
    );
}

/// Worked example: year 1 earns 5.6 million against 5 437 100; the 162 900
/// overage is deducted from year 2's maximum.
#[test]
fn overage_is_clawed_back_next_period() {
    let year1 = maximum_allowed_revenue(&rule(), &survey()).unwrap();
    let over = overage(yuan(5_600_000), year1.maximum_allowed_revenue).unwrap();
    assert_eq!(over, yuan(162_900));
    assert_eq!(
        overage(yuan(5_000_000), year1.maximum_allowed_revenue).unwrap(),
        Money::ZERO
    );
    let year2 = maximum_allowed_revenue(
        &rule(),
        &MarInputs {
            prior_overage: over,
            ..survey()
        },
    )
    .unwrap();
    assert_eq!(year2.clawback, yuan(162_900));
    assert_eq!(year2.maximum_allowed_revenue, yuan(5_274_200));
    // An overage larger than the whole maximum leaves zero, never negative.
    let year3 = maximum_allowed_revenue(
        &rule(),
        &MarInputs {
            prior_overage: yuan(9_000_000),
            ..survey()
        },
    )
    .unwrap();
    assert_eq!(year3.maximum_allowed_revenue, Money::ZERO);
}

#[test]
fn profit_on_assets_and_the_rounding_rule() {
    let assets = ProfitRule {
        base: ProfitBase::EffectiveAssets,
        ..rule()
    };
    let b = maximum_allowed_revenue(
        &assets,
        &MarInputs {
            effective_assets: Money::from_fen(333),
            costs: vec![],
            ..MarInputs::default()
        },
    )
    .unwrap();
    // 333 × 7.90 % = 26.307 fen → 26.
    assert_eq!(b.allowed_profit, Money::from_fen(26));
    // Half away from zero, both signs.
    assert_eq!(
        percent_of(Money::from_fen(10), dec("5")).unwrap(),
        Money::from_fen(1)
    );
    assert_eq!(
        percent_of(Money::from_fen(-10), dec("5")).unwrap(),
        Money::from_fen(-1)
    );
    assert_eq!(
        percent_of(Money::from_fen(333), dec("7.5")).unwrap(),
        Money::from_fen(25)
    );
    assert_eq!(
        percent_of(Money::from_fen(14), dec("10")).unwrap(),
        Money::from_fen(1)
    );
}

#[test]
fn bad_inputs_are_refused_with_the_rule_named() {
    let mut negative = survey();
    negative
        .costs
        .push((CostCategory::Other, Money::from_fen(-1)));
    assert_eq!(
        maximum_allowed_revenue(&rule(), &negative)
            .unwrap_err()
            .code(),
        "pricing.negative_amount"
    );
    for (yield_pct, markup) in [("-0.1", "6"), ("1.9", "20.5"), ("1.23456", "6")] {
        let r = ProfitRule {
            treasury_yield_pct: dec(yield_pct),
            markup_pct: dec(markup),
            base: ProfitBase::OperatingCost,
        };
        assert_eq!(
            maximum_allowed_revenue(&r, &survey()).unwrap_err().code(),
            "pricing.rate_out_of_range",
            "{yield_pct} {markup}"
        );
    }
}

#[test]
fn revenue_alerts_near_and_over_the_maximum() {
    let mar = yuan(1000);
    assert_eq!(revenue_alert(yuan(899), mar, 90), None);
    assert_eq!(revenue_alert(yuan(900), mar, 90), Some(RevenueAlert::Near));
    assert_eq!(revenue_alert(yuan(1000), mar, 90), Some(RevenueAlert::Near));
    assert_eq!(
        revenue_alert(Money::from_fen(100_001), mar, 90),
        Some(RevenueAlert::Over)
    );
    assert_eq!(revenue_alert(Money::ZERO, Money::ZERO, 90), None);
}

/// Worked example of a tiered price: 2.00 up to 1 000 calls, 1.50 up to
/// 10 000, 1.00 beyond; 12 000 calls in a month cost 17 500.00.
#[test]
fn tiered_prices_sum_band_by_band() {
    let s = PriceSchedule::new(vec![
        Tier {
            from_units: 0,
            unit_price: yuan(2),
        },
        Tier {
            from_units: 1_000,
            unit_price: Money::from_fen(150),
        },
        Tier {
            from_units: 10_000,
            unit_price: yuan(1),
        },
    ])
    .unwrap();
    assert_eq!(s.charge(0).unwrap(), Money::ZERO);
    assert_eq!(s.charge(1_000).unwrap(), yuan(2_000));
    assert_eq!(s.charge(1_001).unwrap(), Money::from_fen(200_150));
    assert_eq!(s.charge(12_000).unwrap(), yuan(17_500));
    assert_eq!(s.check_cap(yuan(2)), Ok(()));
    let err = s.check_cap(Money::from_fen(199)).unwrap_err();
    assert_eq!(err.code(), "pricing.above_cap");
    assert!(err.message_zh().contains("第 1 档"), "{}", err.message_zh());
    assert_eq!(
        s.lowered_to(Money::from_fen(120)).highest(),
        Money::from_fen(120)
    );
    assert_eq!(s.check_free().unwrap_err().code(), "pricing.free_not_zero");
    assert_eq!(
        PriceSchedule::flat(Money::ZERO).unwrap().check_free(),
        Ok(())
    );
}

#[test]
fn malformed_tiers_are_refused() {
    let t = |from_units, fen| Tier {
        from_units,
        unit_price: Money::from_fen(fen),
    };
    for tiers in [
        vec![],
        vec![t(1, 5)],
        vec![t(0, 5), t(10, 4), t(10, 3)],
        vec![t(0, 5), t(5, 4), t(3, 3)],
    ] {
        assert_eq!(
            PriceSchedule::new(tiers).unwrap_err().code(),
            "pricing.tiers_invalid"
        );
    }
    assert_eq!(
        PriceSchedule::new(vec![t(0, -1)]).unwrap_err().code(),
        "pricing.negative_amount"
    );
    // The JSON form is checked the same way.
    assert!(serde_json::from_str::<PriceSchedule>(r#"[{"from_units":3,"unit_price":5}]"#).is_err());
}

/// Worked example (S-5.2): 1 000.01 yuan split 33.33 / 33.33 / 33.34 %, with
/// 200 yuan of sector-regulator costs paid from the government's part.
#[test]
fn revenue_share_parts_sum_exactly() {
    let r = ShareRule {
        government_pct: dec("33.33"),
        operator_pct: dec("33.33"),
        market_pct: dec("33.34"),
    };
    let a = r.allocate(Money::from_fen(100_001), yuan(200)).unwrap();
    assert_eq!(
        [a.government, a.operator, a.market].map(Money::fen),
        [33_330, 33_330, 33_341]
    );
    assert_eq!(a.regulator_costs, yuan(200));
    assert_eq!(a.treasury, Money::from_fen(13_330));
    // Costs above the government's part are capped at that part.
    let small = r.allocate(Money::from_fen(300), yuan(200)).unwrap();
    assert_eq!(small.regulator_costs, small.government);
    assert_eq!(small.treasury, Money::ZERO);
    // A credit note splits the same way, with the opposite sign.
    let credit = r.allocate(Money::from_fen(-100_001), Money::ZERO).unwrap();
    assert_eq!(credit.market, Money::from_fen(-33_341));
    for bad in [
        ("50", "40", "9.99"),
        ("50", "60", "-10"),
        ("33.333", "33.333", "33.334"),
    ] {
        let rule = ShareRule {
            government_pct: dec(bad.0),
            operator_pct: dec(bad.1),
            market_pct: dec(bad.2),
        };
        assert_eq!(
            rule.validate().unwrap_err().code(),
            "pricing.shares_invalid",
            "{bad:?}"
        );
    }
}

fn share_rule() -> impl Strategy<Value = ShareRule> {
    (0_u32..=10_000, 0_u32..=10_000).prop_map(|(a, b)| {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        ShareRule {
            government_pct: Decimal::new(i64::from(lo), 2),
            operator_pct: Decimal::new(i64::from(hi - lo), 2),
            market_pct: Decimal::new(i64::from(10_000 - hi), 2),
        }
    })
}

fn schedule_under(cap: i64) -> impl Strategy<Value = PriceSchedule> {
    proptest::collection::vec((1_u64..5_000, 0..=cap), 0..4).prop_map(move |bands| {
        let mut from = 0;
        let mut tiers = vec![Tier {
            from_units: 0,
            unit_price: Money::from_fen(cap / 2),
        }];
        for (step, price) in bands {
            from += step;
            tiers.push(Tier {
                from_units: from,
                unit_price: Money::from_fen(price),
            });
        }
        PriceSchedule::new(tiers).unwrap()
    })
}

proptest! {
    #[test]
    fn allocation_sums_exactly_and_never_goes_negative(
        fen in 0_i64..=i64::MAX / 2,
        costs in 0_i64..=1_000_000_000,
        rule in share_rule(),
    ) {
        let a = rule.allocate(Money::from_fen(fen), Money::from_fen(costs)).unwrap();
        let parts = [a.government, a.operator, a.market];
        prop_assert_eq!(parts.iter().map(|p| i128::from(p.fen())).sum::<i128>(), i128::from(fen));
        prop_assert!(parts.iter().all(|p| !p.is_negative()));
        prop_assert!(!a.treasury.is_negative() && !a.regulator_costs.is_negative());
        prop_assert_eq!(a.regulator_costs.fen() + a.treasury.fen(), a.government.fen());
    }

    #[test]
    fn a_schedule_under_its_cap_never_charges_above_cap_times_units(
        cap in 0_i64..100_000,
        units in 0_u64..50_000,
        seed in schedule_under(1_000),
    ) {
        let cap = Money::from_fen(cap);
        let s = seed.lowered_to(cap);
        prop_assert!(s.check_cap(cap).is_ok());
        let charge = s.charge(units).unwrap();
        prop_assert!(charge <= cap.checked_mul(i64::try_from(units).unwrap()).unwrap());
        prop_assert!(!charge.is_negative());
    }
}
