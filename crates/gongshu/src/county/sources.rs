//! The source systems' exports: one CSV per dataset, written row by row
//! (a county-scale file never sits in memory), with seasonality and
//! planted defects counted as they are planted, so the quality reports
//! can be checked against them.

use std::collections::BTreeMap;
use std::io::{self, Write};

use chrono::{Datelike as _, Days, NaiveDate};
use rand::{Rng as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use super::County;
use super::ids::with_bad_check;
use super::people::{Household, INDUSTRIES};
use super::places::TOWNSHIPS;

/// Defects planted in one file: `column.kind` → affected rows.
pub type Defects = BTreeMap<String, u64>;

/// Rows written and defects planted.
#[derive(Debug, Default)]
pub struct Written {
    /// Data rows (without the header).
    pub rows: u64,
    /// Planted defects.
    pub defects: Defects,
}

impl Written {
    fn plant(&mut self, what: &str) {
        *self.defects.entry(what.to_owned()).or_default() += 1;
    }
}

/// A stable per-account draw in `0..1000`, independent of the row order,
/// so an account's defect (a mistyped ID number) is in all its rows.
fn per_mille(account: u32, salt: u64) -> u64 {
    let x = (u64::from(account) ^ salt).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 32) % 1000
}

/// A stream of draws for one file: seeded by the county's seed, the
/// file's table and its first month, so every file is reproducible alone.
fn stream(county: &County, table: &str, months: &[NaiveDate]) -> ChaCha8Rng {
    let mut seed = county.seed ^ 0x636f_756e_7479;
    for b in table.bytes() {
        seed = seed.rotate_left(7) ^ u64::from(b);
    }
    if let Some(m) = months.first() {
        seed ^= u64::from(m.year().unsigned_abs()) << 16 | u64::from(m.month());
    }
    ChaCha8Rng::seed_from_u64(seed)
}

fn id_of(h: &Household, bad_permille: u64, salt: u64) -> (String, bool) {
    if per_mille(h.account, salt) < bad_permille {
        (with_bad_check(&h.id_number), true)
    } else {
        (h.id_number.clone(), false)
    }
}

/// Electricity use by season, percent of the base (heating and cooling).
fn power_season(month: u32) -> u32 {
    match month {
        12 | 1 | 2 => 135,
        7 | 8 => 120,
        _ => 100,
    }
}

/// `power_bill`: households (居民) and enterprises (工商业 / 农业) of the
/// county power company. Planted: 0.3 % of amounts missing, 0.2 % of
/// households with a mistyped ID number.
pub fn power_bill(
    county: &County,
    months: &[NaiveDate],
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    const ID_SALT: u64 = 0x5057_5231;
    let mut rng = stream(county, "power_bill", months);
    let mut out = Written::default();
    writeln!(
        w,
        "account_no,holder_id_number,holder_name,phone,township,village,customer_type,credit_code,industry,bill_month,kwh,amount_fen,paid_on_time,arrears_fen"
    )?;
    for m in months {
        let season = power_season(m.month());
        for h in &county.households {
            let (id, bad) = id_of(h, 2, ID_SALT);
            if bad {
                out.plant("holder_id_number.bad_check_digit");
            }
            let kwh = h.base_kwh * season / 100 + rng.random_range(0..30);
            let amount = i64::from(kwh) * 52;
            let late = rng.random_range(0..1000) < h.late_permille;
            let missing = rng.random_range(0..1000) < 3;
            if missing {
                out.plant("amount_fen.missing");
            }
            let arrears = if late && rng.random_range(0..10) < 3 {
                amount
            } else {
                0
            };
            writeln!(
                w,
                "DL1306{:08},{id},{},{},{},{},居民,,,{m},{kwh},{},{},{arrears}",
                h.account,
                h.name,
                h.phone,
                TOWNSHIPS[h.township].0,
                h.village,
                if missing {
                    String::new()
                } else {
                    amount.to_string()
                },
                !late,
            )?;
            out.rows += 1;
        }
        for e in &county.enterprises {
            let kwh = e.base_kwh * season / 100 + rng.random_range(0..500);
            let amount = i64::from(kwh) * 68;
            let late = rng.random_range(0..1000) < e.late_permille;
            let missing = rng.random_range(0..1000) < 3;
            if missing {
                out.plant("amount_fen.missing");
            }
            let arrears = if late && rng.random_range(0..10) < 3 {
                amount
            } else {
                0
            };
            let kind = if e.industry == INDUSTRIES[0] {
                "农业"
            } else {
                "工商业"
            };
            writeln!(
                w,
                "DQ1306{:08},{},{},{},{},{},{kind},{},{},{m},{kwh},{},{},{arrears}",
                e.account,
                e.legal_rep_id,
                e.name,
                e.phone,
                TOWNSHIPS[e.township].0,
                e.village,
                e.credit_code,
                e.industry,
                if missing {
                    String::new()
                } else {
                    amount.to_string()
                },
                !late,
            )?;
            out.rows += 1;
        }
        tick(out.rows);
    }
    Ok(out)
}

/// `water_bill` of the county water company (households). Planted: 2 % of
/// households with a mistyped ID number, above the 1 % validity threshold.
pub fn water_bill(
    county: &County,
    months: &[NaiveDate],
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    const ID_SALT: u64 = 0x5741_5452;
    let mut rng = stream(county, "water_bill", months);
    let mut out = Written::default();
    writeln!(
        w,
        "account_no,holder_id_number,holder_name,township,village,bill_month,tons,amount_fen,paid_on_time"
    )?;
    for m in months {
        let season = match m.month() {
            6..=8 => 130,
            12 | 1 | 2 => 85,
            _ => 100,
        };
        for h in &county.households {
            let (id, bad) = id_of(h, 20, ID_SALT);
            if bad {
                out.plant("holder_id_number.bad_check_digit");
            }
            let tons = (2 + h.base_kwh / 40) * season / 100 + rng.random_range(0..3);
            let late = rng.random_range(0..1000) < h.late_permille / 2;
            writeln!(
                w,
                "SS1306{:08},{id},{},{},{},{m},{tons},{},{}",
                h.account,
                h.name,
                TOWNSHIPS[h.township].0,
                h.village,
                i64::from(tons) * 320,
                !late
            )?;
            out.rows += 1;
        }
        tick(out.rows);
    }
    Ok(out)
}

/// `gas_bill` of the county gas company (households on piped gas), three
/// times the use in the heating months. Its planted defect is in time, not
/// content: the company does not send the months after the first load.
pub fn gas_bill(
    county: &County,
    months: &[NaiveDate],
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    let mut rng = stream(county, "gas_bill", months);
    let mut out = Written::default();
    writeln!(
        w,
        "account_no,holder_id_number,township,village,bill_month,cubic_m,amount_fen,paid_on_time"
    )?;
    for m in months {
        let season = if matches!(m.month(), 11 | 12 | 1 | 2 | 3) {
            300
        } else {
            100
        };
        for h in county.households.iter().filter(|h| h.gas) {
            let m3 = (8 + h.base_kwh / 20) * season / 100 + rng.random_range(0..4);
            let late = rng.random_range(0..1000) < h.late_permille;
            writeln!(
                w,
                "RQ1306{:08},{},{},{},{m},{m3},{},{}",
                h.account,
                h.id_number,
                TOWNSHIPS[h.township].0,
                h.village,
                i64::from(m3) * 290,
                !late
            )?;
            out.rows += 1;
        }
        tick(out.rows);
    }
    Ok(out)
}

/// `heating_bill` of the county heating company (the county seat), only in
/// the heating season (15 November to 15 March: half months at its ends).
/// Planted: the heated area is missing for about a quarter of the accounts
/// (old contracts), above the 20 % completeness threshold.
pub fn heating_bill(
    county: &County,
    months: &[NaiveDate],
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    const AREA_SALT: u64 = 0x4845_4154;
    let mut rng = stream(county, "heating_bill", months);
    let mut out = Written::default();
    writeln!(
        w,
        "account_no,holder_id_number,village,bill_month,heated_area_m2,amount_fen,paid_on_time"
    )?;
    for m in months {
        let share = match m.month() {
            11 | 3 => 50,
            12 | 1 | 2 => 100,
            _ => continue,
        };
        for h in &county.households {
            let Some(area) = h.heated_m2 else { continue };
            let missing = per_mille(h.account, AREA_SALT) < 250;
            if missing {
                out.plant("heated_area_m2.missing");
            }
            // 22 yuan per m² and season, over four months.
            let amount = i64::from(area) * 550 * share / 100;
            let late = rng.random_range(0..1000) < h.late_permille;
            writeln!(
                w,
                "RL1306{:08},{},{},{m},{},{amount},{}",
                h.account,
                h.id_number,
                h.village,
                if missing {
                    String::new()
                } else {
                    area.to_string()
                },
                !late
            )?;
            out.rows += 1;
        }
        tick(out.rows);
    }
    Ok(out)
}

/// `bus_trip`: trips of bus-card holders in `months`. Planted: 4 % of the
/// cards are unregistered (no holder ID number).
pub fn bus_trip(
    county: &County,
    months: &[NaiveDate],
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    const CARD_SALT: u64 = 0x4255_5331;
    const ROUTES: [&str; 6] = ["1路", "2路", "3路", "5路", "城乡1线", "城乡2线"];
    let mut rng = stream(county, "bus_trip", months);
    let mut out = Written::default();
    writeln!(
        w,
        "card_no,holder_id_number,trip_date,route,boarding_township,fare_fen"
    )?;
    for m in months {
        let days = days_in_month(*m);
        for h in county.households.iter().filter(|h| h.bus_card) {
            let anonymous = per_mille(h.account, CARD_SALT) < 40;
            let trips = rng.random_range(2..24u32);
            for _ in 0..trips {
                if anonymous {
                    out.plant("holder_id_number.missing");
                }
                let day = m
                    .checked_add_days(Days::new(rng.random_range(0..days)))
                    .unwrap_or(*m);
                let rural = h.township != 0 || rng.random_range(0..10) == 0;
                let route = if rural {
                    ROUTES[4 + rng.random_range(0..2)]
                } else {
                    ROUTES[rng.random_range(0..4)]
                };
                writeln!(
                    w,
                    "GJ1306{:08},{},{day},{route},{},{}",
                    h.account,
                    if anonymous { "" } else { h.id_number.as_str() },
                    TOWNSHIPS[h.township].0,
                    if rural { 300 } else { 100 }
                )?;
                out.rows += 1;
            }
        }
        tick(out.rows);
    }
    Ok(out)
}

/// `enterprise_registry` of the market regulation bureau.
pub fn enterprise_registry(
    county: &County,
    w: &mut impl Write,
    tick: &dyn Fn(u64),
) -> io::Result<Written> {
    let mut out = Written::default();
    writeln!(
        w,
        "credit_code,name,industry,township,registered_capital_fen,established_on,status"
    )?;
    for e in &county.enterprises {
        writeln!(
            w,
            "{},{},{},{},{},{},{}",
            e.credit_code,
            e.name,
            e.industry,
            TOWNSHIPS[e.township].0,
            e.capital_fen,
            e.established,
            e.status
        )?;
        out.rows += 1;
    }
    tick(out.rows);
    Ok(out)
}

fn days_in_month(first: NaiveDate) -> u64 {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(first);
    u64::try_from(next.signed_duration_since(first).num_days()).unwrap_or(28)
}
