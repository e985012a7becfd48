//! Check-digit identifiers of the synthetic county: resident ID numbers
//! (GB 11643-1999) and unified social credit codes (GB 32100-2015). The
//! platform validates both on every load, so generated ones must be valid
//! unless a defect is planted on purpose.

use chrono::{Datelike as _, NaiveDate};

/// Administrative division code of Laiyuan County (涞源县), Hebei.
pub const LAIYUAN_AREA: &str = "130630";

/// GB 32100-2015 check character for the first 17 characters of a unified
/// social credit code.
pub fn credit_code(body17: &str) -> String {
    const CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let sum: u32 = body17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| CHARS.find(c).map_or(0, |i| u32::try_from(i).unwrap_or(0)) * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    let c = CHARS.chars().nth(check as usize).unwrap_or('0');
    format!("{body17}{c}")
}

/// The credit code of the county's `index`-th synthetic enterprise (the
/// same scheme the product and finance steps of the demo use).
pub fn enterprise_code(index: usize) -> String {
    credit_code(&format!("9113063{:010}", 3_000_000 + index))
}

/// GB 11643-1999 check character of the first 17 digits.
fn id_check(body17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = body17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

/// A resident ID number born on `birth` with sequence `seq` (0..=999; odd
/// for men, even for women), registered in Laiyuan.
pub fn resident_id(birth: NaiveDate, seq: u32) -> String {
    let body = format!(
        "{LAIYUAN_AREA}{:04}{:02}{:02}{:03}",
        birth.year(),
        birth.month(),
        birth.day(),
        seq % 1000
    );
    let check = id_check(&body);
    format!("{body}{check}")
}

/// The same number with a wrong check character (a planted defect: a
/// typing error in the source system).
pub fn with_bad_check(id: &str) -> String {
    let (body, last) = id.split_at(id.len().saturating_sub(1));
    let wrong = if last == "0" { '1' } else { '0' };
    format!("{body}{wrong}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]
    use super::*;
    use gongshu_domain::dataset::ValidityRule;

    #[test]
    fn generated_identifiers_pass_the_platforms_validators() {
        let birth = NaiveDate::from_ymd_opt(1971, 2, 28).unwrap();
        for seq in [0, 1, 17, 998, 999] {
            let id = resident_id(birth, seq);
            assert!(gongshu_vault::gb11643_valid(&id), "{id}");
            assert!(ValidityRule::ResidentId.check(&id), "{id}");
            assert!(!gongshu_vault::gb11643_valid(&with_bad_check(&id)), "{id}");
        }
        for i in [0, 1, 4_999] {
            let code = enterprise_code(i);
            assert!(ValidityRule::CreditCode.check(&code), "{code}");
        }
        // A published example number (GB 11643 annex): 11010519491231002X.
        assert_eq!(id_check("11010519491231002"), 'X');
    }
}
