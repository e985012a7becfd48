//! The county's households and enterprises: who holds which utility
//! accounts, where they live, and how they pay. Drawn once from the seed;
//! every source file is then written from the same population, so the
//! datasets join inside the trusted space as real ones would.

use chrono::NaiveDate;
use rand::Rng as _;
use rand_chacha::ChaCha8Rng;

use super::ids::{enterprise_code, resident_id};
use super::places::{self, COUNTY_SEAT, VILLAGES};

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "胡", "郭", "何",
    "高", "林", "罗", "梁",
];
const GIVEN: [&str; 24] = [
    "建国", "秀英", "桂兰", "志强", "海燕", "俊杰", "红梅", "立新", "淑珍", "国华", "丽娟", "永刚",
    "春生", "玉兰", "晓东", "文静", "金山", "凤英", "学军", "雪梅", "振华", "丽华", "宏伟", "欣怡",
];

/// Industries of the enterprise registry (国民经济行业分类 门类 names).
pub const INDUSTRIES: [&str; 6] = [
    "农、林、牧、渔业",
    "农副食品加工业",
    "批发和零售业",
    "住宿和餐饮业",
    "建筑业",
    "旅游业",
];

/// One household (its head holds the accounts).
#[derive(Debug, Clone)]
pub struct Household {
    /// Head's resident ID number.
    pub id_number: String,
    /// Head's name.
    pub name: String,
    /// Mobile number.
    pub phone: String,
    /// Township index.
    pub township: usize,
    /// Village name.
    pub village: String,
    /// Account number suffix shared by the utilities' numbering.
    pub account: u32,
    /// Monthly base consumption of electricity, kWh.
    pub base_kwh: u32,
    /// Share of bills paid late, in per-mille.
    pub late_permille: u32,
    /// Connected to piped gas.
    pub gas: bool,
    /// Heated floor area in m² when on central heating.
    pub heated_m2: Option<u32>,
    /// Holds a bus card.
    pub bus_card: bool,
}

/// One enterprise.
#[derive(Debug, Clone)]
pub struct Enterprise {
    /// Unified social credit code.
    pub credit_code: String,
    /// Registered name.
    pub name: String,
    /// Legal representative's resident ID number (holds the power account).
    pub legal_rep_id: String,
    /// Mobile number.
    pub phone: String,
    /// Industry (see [`INDUSTRIES`]).
    pub industry: &'static str,
    /// Township index.
    pub township: usize,
    /// Village name.
    pub village: String,
    /// Registered capital, fen.
    pub capital_fen: i64,
    /// Date of establishment.
    pub established: NaiveDate,
    /// Registration status: 存续, 注销 or 吊销.
    pub status: &'static str,
    /// Account number suffix.
    pub account: u32,
    /// Monthly base consumption of electricity, kWh.
    pub base_kwh: u32,
    /// Share of bills paid late, in per-mille.
    pub late_permille: u32,
}

fn name(rng: &mut ChaCha8Rng) -> String {
    let s = SURNAMES[rng.random_range(0..SURNAMES.len())];
    let g = GIVEN[rng.random_range(0..GIVEN.len())];
    format!("{s}{g}")
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    const PREFIXES: [&str; 6] = ["135", "139", "150", "158", "187", "133"];
    let p = PREFIXES[rng.random_range(0..PREFIXES.len())];
    format!("{p}{:08}", rng.random_range(0..100_000_000u32))
}

fn birth(rng: &mut ChaCha8Rng, from_year: i32, to_year: i32) -> NaiveDate {
    let year = rng.random_range(from_year..=to_year);
    let ordinal = rng.random_range(1..=365u32);
    NaiveDate::from_yo_opt(year, ordinal).unwrap_or(NaiveDate::MIN)
}

/// The resident ID number of the county's `index`-th person out of `total`:
/// the sequence number is `index % 1000` and each block of a thousand
/// persons is born in its own span of days (1940–1999), so no two persons
/// share a number.
fn person_id(rng: &mut ChaCha8Rng, index: usize, total: usize) -> String {
    const SPAN_DAYS: usize = 21_900;
    let blocks = total.div_ceil(1000).max(1);
    let width = (SPAN_DAYS / blocks).max(1);
    let day = (index / 1000) * width + rng.random_range(0..width);
    let born = NaiveDate::from_ymd_opt(1940, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(u64::try_from(day).unwrap_or(0))))
        .unwrap_or(NaiveDate::MIN);
    resident_id(born, u32::try_from(index % 1000).unwrap_or(0))
}

fn place(rng: &mut ChaCha8Rng) -> (usize, String) {
    let t = places::township_at(rng.random_range(0..places::total_weight()));
    (t, places::village(t, rng.random_range(0..VILLAGES)))
}

/// Paying habits: most pay on time, a tail is often late.
fn lateness(rng: &mut ChaCha8Rng) -> u32 {
    match rng.random_range(0..100u32) {
        0..=79 => rng.random_range(0..20),
        80..=94 => rng.random_range(20..150),
        _ => rng.random_range(150..600),
    }
}

/// `n` households out of `persons` in the county (heads of household
/// first, then the enterprises' legal representatives).
pub fn households(rng: &mut ChaCha8Rng, n: usize, persons: usize) -> Vec<Household> {
    (0..n)
        .map(|i| {
            let (township, village) = place(rng);
            let seat = township == COUNTY_SEAT;
            Household {
                id_number: person_id(rng, i, persons),
                name: name(rng),
                phone: phone(rng),
                township,
                village,
                account: u32::try_from(i).unwrap_or(0),
                base_kwh: rng.random_range(60..260),
                late_permille: lateness(rng),
                gas: rng.random_range(0..100) < if seat { 75 } else { 35 },
                heated_m2: (seat && rng.random_range(0..100) < 70)
                    .then(|| rng.random_range(45..140)),
                bus_card: rng.random_range(0..100) < if seat { 35 } else { 15 },
            }
        })
        .collect()
}

/// `n` enterprises, numbered as [`enterprise_code`] numbers them; their
/// legal representatives are persons `first_person..` of `persons`.
pub fn enterprises(
    rng: &mut ChaCha8Rng,
    n: usize,
    first_person: usize,
    persons: usize,
) -> Vec<Enterprise> {
    (0..n)
        .map(|i| {
            let (township, village) = place(rng);
            let industry = INDUSTRIES[rng.random_range(0..INDUSTRIES.len())];
            let town = places::TOWNSHIPS[township].0;
            let status = match rng.random_range(0..100u32) {
                0..=2 => "注销",
                3 => "吊销",
                _ => "存续",
            };
            Enterprise {
                credit_code: enterprise_code(i),
                name: format!("涞源县{town}第{}号商贸有限公司", i + 1),
                legal_rep_id: person_id(rng, first_person + i, persons),
                phone: phone(rng),
                industry,
                township,
                village,
                capital_fen: i64::from(rng.random_range(10..5_000u32)) * 1_000_000,
                established: birth(rng, 1995, 2024),
                status,
                account: u32::try_from(i).unwrap_or(0),
                base_kwh: rng.random_range(800..40_000),
                late_permille: lateness(rng),
            }
        })
        .collect()
}
