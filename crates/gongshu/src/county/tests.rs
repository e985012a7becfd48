#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use super::*;
use gongshu_domain::dataset::ValidityRule;

fn month(y: i32, m: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, 1).unwrap()
}

fn export(
    county: &County,
    table: &'static str,
    months: &[NaiveDate],
) -> (String, sources::Written) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = write_exports(county, dir.path(), &[table], months, true).unwrap();
    let f = files.pop().unwrap();
    (std::fs::read_to_string(&f.path).unwrap(), f.written)
}

/// Rows as field maps (the generator writes no quoted fields).
fn rows(csv: &str) -> Vec<std::collections::HashMap<&str, &str>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| header.iter().copied().zip(l.split(',')).collect())
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_does_not() {
    let months = months_before(month(2025, 12), 2);
    let a = export(&County::generate(7, Scale::Small), "power_bill", &months).0;
    let b = export(&County::generate(7, Scale::Small), "power_bill", &months).0;
    let c = export(&County::generate(8, Scale::Small), "power_bill", &months).0;
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn identifiers_pass_their_validators_except_the_planted_defects() {
    let county = County::generate(1, Scale::Small);
    let months = months_before(month(2025, 12), 3);
    for table in ["power_bill", "water_bill"] {
        let (csv, written) = export(&county, table, &months);
        let rows = rows(&csv);
        let bad_ids = rows
            .iter()
            .filter(|r| !ValidityRule::ResidentId.check(r["holder_id_number"]))
            .count() as u64;
        assert_eq!(
            Some(&bad_ids),
            written.defects.get("holder_id_number.bad_check_digit"),
            "{table}"
        );
        assert!(bad_ids > 0, "{table}: a defect is planted");
        assert_eq!(written.rows, rows.len() as u64);
        if table == "power_bill" {
            let codes: Vec<&str> = rows
                .iter()
                .map(|r| r["credit_code"])
                .filter(|c| !c.is_empty())
                .collect();
            assert_eq!(codes.len(), county.enterprises.len() * months.len());
            assert!(codes.iter().all(|c| ValidityRule::CreditCode.check(c)));
            let missing = rows.iter().filter(|r| r["amount_fen"].is_empty()).count() as u64;
            assert_eq!(Some(&missing), written.defects.get("amount_fen.missing"));
            for r in &rows {
                assert!(ValidityRule::Mobile.check(r["phone"]), "{}", r["phone"]);
                assert!(places::township_names().contains(&r["township"]));
            }
        }
    }
    // Water's mistyped ID numbers exceed the 1 % validity threshold; power's do not.
    let (csv, written) = export(&county, "water_bill", &months);
    let rate = written.defects["holder_id_number.bad_check_digit"] * 1000 / rows(&csv).len() as u64;
    assert!(rate > 10, "{rate}‰");
}

#[test]
fn heating_is_billed_in_winter_only_and_gas_peaks_there() {
    let county = County::generate(3, Scale::Small);
    let year = months_between(month(2024, 12), month(2025, 12));
    let (csv, written) = export(&county, "heating_bill", &year);
    let rows = rows(&csv);
    let billed: std::collections::BTreeSet<&str> = rows.iter().map(|r| r["bill_month"]).collect();
    assert_eq!(
        billed.into_iter().collect::<Vec<_>>(),
        [
            "2024-12-01",
            "2025-01-01",
            "2025-02-01",
            "2025-03-01",
            "2025-11-01"
        ]
    );
    let missing = rows
        .iter()
        .filter(|r| r["heated_area_m2"].is_empty())
        .count() as u64;
    assert_eq!(
        Some(&missing),
        written.defects.get("heated_area_m2.missing")
    );
    assert!(
        missing * 1000 / rows.len() as u64 > 200,
        "above the completeness threshold"
    );

    let (csv, _) = export(&county, "gas_bill", &year);
    let use_in = |m: &str| -> u64 { rows_of(&csv).filter(|r| r.1 == m).map(|r| r.0).sum() };
    assert!(use_in("2025-01-01") > 2 * use_in("2025-07-01"));
}

/// (cubic metres, month) of each gas bill.
fn rows_of(csv: &str) -> impl Iterator<Item = (u64, String)> + '_ {
    csv.lines().skip(1).map(|l| {
        let f: Vec<&str> = l.split(',').collect();
        (f[5].parse().unwrap(), f[4].to_owned())
    })
}

#[test]
fn every_bus_trip_falls_in_its_month_and_unregistered_cards_are_counted() {
    let county = County::generate(5, Scale::Small);
    let months = months_before(month(2025, 12), 1);
    let (csv, written) = export(&county, "bus_trip", &months);
    let rows = rows(&csv);
    assert!(rows.iter().all(|r| r["trip_date"].starts_with("2025-11-")));
    let anonymous = rows
        .iter()
        .filter(|r| r["holder_id_number"].is_empty())
        .count() as u64;
    assert_eq!(
        Some(&anonymous),
        written.defects.get("holder_id_number.missing")
    );
    assert!(anonymous > 0);
}

#[test]
fn months_are_counted_back_from_the_start() {
    assert_eq!(
        months_before(month(2025, 12), 3),
        vec![month(2025, 9), month(2025, 10), month(2025, 11)]
    );
    assert_eq!(
        months_between(month(2025, 11), month(2026, 2)),
        vec![month(2025, 11), month(2025, 12), month(2026, 1)]
    );
    assert!(months_between(month(2026, 2), month(2026, 2)).is_empty());
}

#[test]
fn no_two_persons_share_an_id_number() {
    let county = County::generate(11, Scale::Small);
    let ids: std::collections::HashSet<&str> = county
        .households
        .iter()
        .map(|h| h.id_number.as_str())
        .chain(county.enterprises.iter().map(|e| e.legal_rep_id.as_str()))
        .collect();
    assert_eq!(
        ids.len(),
        county.households.len() + county.enterprises.len()
    );
    assert!(ids.iter().all(|id| ValidityRule::ResidentId.check(id)));
}
