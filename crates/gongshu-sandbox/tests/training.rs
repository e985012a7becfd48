//! Training views: a sample of persons with all their rows, no direct
//! identifier, a person reference that differs per view.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use gongshu_sandbox::{PERSON_REF, SandboxError, TrainingOptions, training_extract};

fn options(fraction_ppm: u32, seed: u8) -> TrainingOptions {
    TrainingOptions {
        fraction_ppm,
        seed: [seed; 32],
        max_rows: 10_000,
    }
}

fn rows(csv: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_reader(csv);
    let header = r.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = r
        .records()
        .map(|x| x.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_view_samples_whole_persons_without_direct_identifiers() {
    let county = common::County::new();
    let spec = common::session("operator");
    let power = spec.tables.iter().find(|t| t.name == "power_bill").unwrap();
    let x = training_extract(&county.vault, power, &options(500_000, 7))
        .await
        .unwrap();
    let (header, body) = rows(&x.csv);
    assert_eq!(header[0], PERSON_REF);
    assert!(
        !header
            .iter()
            .any(|h| h == "account_no" || h == "holder_id_number")
    );
    let text = String::from_utf8(x.csv.clone()).unwrap();
    assert!(
        !text.contains("ACC0") && !text.contains("11010119"),
        "{text}"
    );
    // 90 persons, half expected: far from none and from all.
    assert!((20..=70).contains(&x.persons), "{} persons", x.persons);
    assert_eq!(x.rows, body.len() as u64);
    // A person is in with all their bills (two each, one person has one).
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &body {
        assert!(r[0].starts_with("t_"), "{r:?}");
        *per.entry(r[0].as_str()).or_default() += 1;
    }
    assert_eq!(per.len() as u64, x.persons);
    assert!(per.values().filter(|n| **n != 2).count() <= 1, "{per:?}");
    assert_eq!(x.columns[0].name, PERSON_REF);

    // Another view: other references, no link between the two.
    let y = training_extract(&county.vault, power, &options(500_000, 8))
        .await
        .unwrap();
    let refs = |csv: &[u8]| -> BTreeSet<String> {
        rows(csv).1.into_iter().map(|r| r[0].clone()).collect()
    };
    assert!(refs(&x.csv).is_disjoint(&refs(&y.csv)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fractions_out_of_range_and_tables_without_persons_are_refused() {
    let county = common::County::new();
    let spec = common::session("operator");
    let power = spec.tables.iter().find(|t| t.name == "power_bill").unwrap();
    for ppm in [0, 999, 500_001] {
        let e = training_extract(&county.vault, power, &options(ppm, 1))
            .await
            .unwrap_err();
        assert!(
            matches!(e, SandboxError::Refused(ref v) if v[0].rule == "R5.4"),
            "{e:?}"
        );
    }
    let registry = spec
        .tables
        .iter()
        .find(|t| t.name == "enterprise_registry")
        .unwrap();
    let e = training_extract(&county.vault, registry, &options(100_000, 1))
        .await
        .unwrap_err();
    assert!(matches!(e, SandboxError::Refused(_)), "{e:?}");
    let mut small = options(500_000, 3);
    small.max_rows = 5;
    let e = training_extract(&county.vault, power, &small)
        .await
        .unwrap_err();
    assert!(matches!(e, SandboxError::Limit { limit: "rows" }), "{e:?}");
}
