use proptest::prelude::*;

use super::*;

fn row(keys: &[&str], persons: u64) -> RowStats {
    RowStats {
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        persons,
        magnitudes: Vec::new(),
        too_close: false,
    }
}

#[test]
fn difference_check_blocks_a_cell_that_singles_out_a_few() {
    let all: Vec<u64> = (0..100).collect();
    let minus_one: Vec<u64> = (1..100).collect();
    let other: Vec<u64> = (200..300).collect();
    assert_eq!(symmetric_difference(&all, &minus_one), 1);
    assert!(too_close(&minus_one, &all, 10));
    assert!(
        !too_close(&all, &all, 10),
        "the same cell again reveals nothing"
    );
    assert!(!too_close(&other, &all, 10));
    let mut r = row(&["a"], 99);
    r.too_close = true;
    assert_eq!(
        primary(&r, &Controls::default(), false),
        Some(Suppression::Difference)
    );
}

#[test]
fn threshold_is_entity_level_and_higher_for_sensitive_domains() {
    let c = Controls::default();
    assert_eq!(
        primary(&row(&["a"], 9), &c, false),
        Some(Suppression::Threshold)
    );
    assert_eq!(primary(&row(&["a"], 10), &c, false), None);
    assert_eq!(
        primary(&row(&["a"], 19), &c, true),
        Some(Suppression::Threshold)
    );
    assert_eq!(primary(&row(&["a"], 20), &c, true), None);
}

#[test]
fn dominance_and_p_ratio() {
    let c = Controls::default();
    let mut r = row(&["a"], 50);
    // Two persons hold 91 of 100: dominated.
    r.magnitudes = vec![Magnitude {
        total: 100,
        top1: 60,
        top2: 31,
    }];
    assert_eq!(primary(&r, &c, false), Some(Suppression::Dominance));
    // 90 % exactly is allowed; the rest (10) is 10 % of top1 (50)… 20 %: fine.
    r.magnitudes = vec![Magnitude {
        total: 100,
        top1: 50,
        top2: 40,
    }];
    assert_eq!(primary(&r, &c, false), None);
    // With the defaults the p-ratio rule is implied by dominance (a rest of
    // at least 10 % of the total is at least 10 % of the largest); with a
    // raised k it bites on its own: rest 5 < 10 % of top1 (60).
    let raised = Controls {
        dominance_k_percent: 95,
        ..c
    };
    r.magnitudes = vec![Magnitude {
        total: 100,
        top1: 60,
        top2: 35,
    }];
    assert_eq!(primary(&r, &raised, false), Some(Suppression::PRatio));
    assert_eq!(primary(&r, &c, false), Some(Suppression::Dominance));
}

#[test]
fn a_lone_suppressed_row_takes_the_next_smallest_with_it() {
    let rows = vec![
        row(&["a"], 3),
        row(&["b"], 40),
        row(&["c"], 12),
        row(&["d"], 90),
    ];
    let d = decide(&rows, &Controls::default(), false);
    assert_eq!(
        d,
        vec![
            Some(Suppression::Threshold),
            None,
            Some(Suppression::Secondary),
            None
        ]
    );
}

#[test]
fn two_dimensional_lines_are_protected_both_ways() {
    let rows = vec![
        row(&["x", "1"], 4),
        row(&["x", "2"], 30),
        row(&["x", "3"], 25),
        row(&["y", "1"], 50),
        row(&["y", "2"], 60),
        row(&["y", "3"], 70),
    ];
    let d = decide(&rows, &Controls::default(), false);
    // (x,1) is primary; protecting its row line and its column line
    // cascades until every line is safe.
    assert_eq!(d[0], Some(Suppression::Threshold));
    for (i, s) in d.iter().enumerate() {
        if i != 0 {
            assert_ne!(*s, Some(Suppression::Threshold), "row {i}");
        }
    }
    assert!(d[2].is_some() && d[3].is_some(), "{d:?}");
}

#[test]
fn rounding_to_base_five_halves_up() {
    assert_eq!(round_count(0, 5), 0);
    assert_eq!(round_count(12, 5), 10);
    assert_eq!(round_count(13, 5), 15);
    assert_eq!(round_count(15, 5), 15);
    assert_eq!(round_count(17, 1), 17);
    assert_eq!(round_count(i64::MAX, 5), i64::MAX - 2);
}

fn arb_rows() -> impl Strategy<Value = Vec<RowStats>> {
    prop::collection::vec((0u8..4, 0u8..4, 0u64..40), 1..16).prop_map(|cells| {
        let mut seen = std::collections::BTreeSet::new();
        cells
            .into_iter()
            .filter(|(a, b, _)| seen.insert((*a, *b)))
            .map(|(a, b, p)| row(&[&a.to_string(), &b.to_string()], p))
            .collect()
    })
}

proptest! {
    /// No released row ever covers fewer persons than the threshold.
    #[test]
    fn released_rows_meet_the_threshold(rows in arb_rows(), sensitive in any::<bool>()) {
        let c = Controls::default();
        let d = decide(&rows, &c, sensitive);
        for (r, s) in rows.iter().zip(&d) {
            if s.is_none() {
                prop_assert!(r.persons >= c.threshold_for(sensitive));
            }
        }
    }

    /// In every line, suppressed rows never stand alone, and together they
    /// cover at least the threshold unless nothing in the line is released:
    /// subtracting the released rows from a line total reveals no single
    /// suppressed row and no group smaller than the threshold.
    #[test]
    fn suppressed_rows_cannot_be_recovered_from_line_totals(rows in arb_rows()) {
        let c = Controls::default();
        let d = decide(&rows, &c, false);
        for dim in 0..2 {
            for line in lines(&rows, dim) {
                let sup: Vec<usize> = line.iter().copied().filter(|&i| d[i].is_some()).collect();
                let released = line.len() - sup.len();
                if sup.is_empty() || released == 0 {
                    continue;
                }
                let covered: u64 = sup.iter().map(|&i| rows[i].persons).sum();
                prop_assert!(sup.len() >= 2, "lone suppressed row in {line:?}: {d:?}");
                prop_assert!(covered >= c.threshold, "suppressed cover {covered} in {line:?}");
            }
        }
    }

    /// Rounding moves a count by at most half the base and lands on a multiple.
    #[test]
    fn rounding_is_bounded(n in 0i64..1_000_000) {
        let r = round_count(n, 5);
        prop_assert_eq!(r % 5, 0);
        prop_assert!((r - n).abs() <= 2);
    }
}

proptest! {
    /// The symmetric difference is symmetric and matches a set computation.
    #[test]
    fn symmetric_difference_matches_sets(
        a in prop::collection::btree_set(0u64..200, 0..60),
        b in prop::collection::btree_set(0u64..200, 0..60),
    ) {
        let (va, vb): (Vec<u64>, Vec<u64>) = (a.iter().copied().collect(), b.iter().copied().collect());
        let expected = a.symmetric_difference(&b).count();
        prop_assert_eq!(symmetric_difference(&va, &vb), expected);
        prop_assert_eq!(symmetric_difference(&vb, &va), expected);
    }
}
