//! Personal identifiers: the resident identity card number (公民身份号码) and
//! the mainland mobile number (手机号码).
//!
//! Both are personal information (个人信息保护法): their `Debug` output is
//! masked so that they never reach tracing logs by accident (STYLE.md §3.11),
//! and `masked()` gives the form to show on screens. The full value is read
//! only through `as_str()`.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// Weights of positions 1-17 (GB 11643-1999 §6.2, ISO 7064 MOD 11-2):
/// `2^(18-i) mod 11`.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check character for each value of `Σ ai·Wi mod 11` (GB 11643-1999 §6.2).
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Earliest birth year accepted; the standard's own example is from 1880.
const EARLIEST_BIRTH_YEAR: i32 = 1850;

/// Why a text is not a resident identity card number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdNumberError {
    /// Not 18 characters long.
    #[error("a resident id number has 18 characters, found {found}")]
    WrongLength {
        /// Number of characters found.
        found: usize,
    },
    /// Positions 1-17 are not all digits, or position 18 is not a digit or `X`.
    #[error("a resident id number has 17 digits and a digit or X")]
    BadCharacter,
    /// Positions 7-14 are not a valid date of birth.
    #[error("positions 7-14 of a resident id number are not a valid date of birth")]
    BadBirthDate,
    /// The 18th character does not match the one computed from the first 17.
    #[error("the check character of the resident id number does not match")]
    BadCheckCharacter,
}

impl DomainError for ResidentIdNumberError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "resident_id_number.wrong_length",
            Self::BadCharacter => "resident_id_number.bad_character",
            Self::BadBirthDate => "resident_id_number.bad_birth_date",
            Self::BadCheckCharacter => "resident_id_number.bad_check_character",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongLength { found } => {
                format!("公民身份号码应为 18 位，实际为 {found} 位")
            }
            Self::BadCharacter => "公民身份号码应为 17 位数字加 1 位数字或 X".to_owned(),
            Self::BadBirthDate => "公民身份号码中的出生日期无效".to_owned(),
            Self::BadCheckCharacter => "公民身份号码校验码错误".to_owned(),
        }
    }
}

/// Resident identity card number (公民身份号码), GB 11643-1999: 6-digit
/// address code, 8-digit date of birth, 3-digit sequence code, check character.
///
/// INVARIANT: 17 ASCII digits then a digit or `X`; positions 7-14 form a valid
/// date no earlier than 1850; the check character matches.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResidentIdNumber {
    text: String,
    birth_date: NaiveDate,
}

impl ResidentIdNumber {
    /// Parses a number; surrounding whitespace is dropped and a lower-case
    /// `x` is upper-cased.
    pub fn parse(raw: &str) -> Result<Self, ResidentIdNumberError> {
        let text = raw.trim().to_ascii_uppercase();
        let found = text.chars().count();
        if found != 18 {
            return Err(ResidentIdNumberError::WrongLength { found });
        }
        let bytes = text.as_bytes();
        let (body, check) = bytes.split_at(17);
        if !body.iter().all(u8::is_ascii_digit) {
            return Err(ResidentIdNumberError::BadCharacter);
        }
        let check = check.first().copied().unwrap_or_default();
        if !(check.is_ascii_digit() || check == b'X') {
            return Err(ResidentIdNumberError::BadCharacter);
        }
        let birth_date = parse_birth_date(body).ok_or(ResidentIdNumberError::BadBirthDate)?;
        if id_check_character(body) != check {
            return Err(ResidentIdNumberError::BadCheckCharacter);
        }
        Ok(Self { text, birth_date })
    }

    /// The full number. Personal information: do not log it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The date of birth encoded in positions 7-14.
    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    /// The number with the date of birth hidden, for display: the address
    /// code and the last four characters stay (`110105********002X`).
    pub fn masked(&self) -> String {
        let head = self.text.get(..6).unwrap_or_default();
        let tail = self.text.get(14..).unwrap_or_default();
        format!("{head}********{tail}")
    }
}

/// Decimal value of a run of ASCII digits (the caller checked they are digits).
fn digits_value(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, digit| acc * 10 + u32::from(digit - b'0'))
}

fn parse_birth_date(body: &[u8]) -> Option<NaiveDate> {
    let year = i32::try_from(digits_value(body.get(6..10)?)).ok()?;
    let month = digits_value(body.get(10..12)?);
    let day = digits_value(body.get(12..14)?);
    if year < EARLIEST_BIRTH_YEAR {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

/// ISO 7064 MOD 11-2 check character of the 17 body digits.
fn id_check_character(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let index = usize::try_from(sum % 11).unwrap_or_default();
    ID_CHECK.get(index).copied().unwrap_or_default()
}

impl fmt::Debug for ResidentIdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentIdNumber({})", self.masked())
    }
}

impl FromStr for ResidentIdNumber {
    type Err = ResidentIdNumberError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl Serialize for ResidentIdNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ResidentIdNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a mainland mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileNumberError {
    /// Not 11 digits starting with 13-19, after removing separators and `+86`.
    #[error("a mobile number has 11 digits and starts with 13 to 19")]
    Malformed,
}

impl DomainError for MobileNumberError {
    fn code(&self) -> &'static str {
        match self {
            Self::Malformed => "mobile_number.malformed",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Malformed => "手机号码应为以 13 至 19 开头的 11 位数字".to_owned(),
        }
    }
}

/// Mainland mobile number (手机号码): 11 digits, `1[3-9]` then nine digits.
///
/// INVARIANT: exactly 11 ASCII digits, the first `1`, the second `3`-`9`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MobileNumber(String);

impl MobileNumber {
    /// Parses a number. Spaces and hyphens are dropped, and a leading `+86`
    /// (or `0086`) country code is removed.
    pub fn parse(raw: &str) -> Result<Self, MobileNumberError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        let national = compact
            .strip_prefix("+86")
            .or_else(|| compact.strip_prefix("0086"))
            .unwrap_or(&compact);
        let bytes = national.as_bytes();
        let well_formed = bytes.len() == 11
            && bytes.iter().all(u8::is_ascii_digit)
            && bytes.first() == Some(&b'1')
            && bytes
                .get(1)
                .is_some_and(|second| (b'3'..=b'9').contains(second));
        if !well_formed {
            return Err(MobileNumberError::Malformed);
        }
        Ok(Self(national.to_owned()))
    }

    /// The 11 digits. Personal information: do not log it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with digits 4-7 hidden, for display (`138****5678`).
    pub fn masked(&self) -> String {
        let head = self.0.get(..3).unwrap_or_default();
        let tail = self.0.get(7..).unwrap_or_default();
        format!("{head}****{tail}")
    }
}

impl fmt::Debug for MobileNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MobileNumber({})", self.masked())
    }
}

impl FromStr for MobileNumber {
    type Err = MobileNumberError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl Serialize for MobileNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MobileNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn the_standards_examples_parse() {
        // The two worked examples printed in GB 11643-1999.
        let beijing = ResidentIdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(
            beijing.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        let shantou = ResidentIdNumber::parse("440524188001010014").unwrap();
        assert_eq!(
            shantou.birth_date(),
            NaiveDate::from_ymd_opt(1880, 1, 1).unwrap()
        );
    }

    #[test]
    fn computed_examples_parse() {
        // Check characters computed with ISO 7064 MOD 11-2.
        for raw in [
            "13063019900101123X",
            "130630200002290045",
            "110105201212310013",
        ] {
            assert!(ResidentIdNumber::parse(raw).is_ok(), "{raw}");
        }
        assert!(ResidentIdNumber::parse("11010519491231002x").is_ok());
    }

    #[test]
    fn invalid_id_numbers_are_rejected_with_the_right_code() {
        let cases = [
            ("1101051949123100", "resident_id_number.wrong_length"),
            ("11010519491231002XX", "resident_id_number.wrong_length"),
            ("11010519491231002Y", "resident_id_number.bad_character"),
            ("1101051949123100X2", "resident_id_number.bad_character"),
            (
                "110105194912310021",
                "resident_id_number.bad_check_character",
            ),
            (
                "130630199001011234",
                "resident_id_number.bad_check_character",
            ),
            // 1990-02-30 and 2001-02-29 do not exist; 1700 is too early.
            ("130630199002301234", "resident_id_number.bad_birth_date"),
            ("130630200102291234", "resident_id_number.bad_birth_date"),
            ("130630170001011234", "resident_id_number.bad_birth_date"),
        ];
        for (raw, code) in cases {
            assert_eq!(
                ResidentIdNumber::parse(raw).unwrap_err().code(),
                code,
                "{raw}"
            );
        }
    }

    #[test]
    fn id_numbers_are_masked_in_debug() {
        let id = ResidentIdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
        let debug = format!("{id:?}");
        assert!(!debug.contains("19491231"), "{debug}");
    }

    #[test]
    fn mobile_numbers_parse_and_normalise() {
        for raw in [
            "13812345678",
            "+86 138-1234-5678",
            "008613812345678",
            " 19912345678 ",
        ] {
            let number = MobileNumber::parse(raw).unwrap();
            assert_eq!(number.as_str().len(), 11, "{raw}");
        }
        let number = MobileNumber::parse("+8613812345678").unwrap();
        assert_eq!(number.as_str(), "13812345678");
        assert_eq!(number.masked(), "138****5678");
        assert_eq!(format!("{number:?}"), "MobileNumber(138****5678)");
    }

    #[test]
    fn malformed_mobile_numbers_are_rejected() {
        for raw in [
            "",
            "12812345678",
            "1381234567",
            "138123456789",
            "1381234567a",
            "23812345678",
            "+1 13812345678",
        ] {
            let err = MobileNumber::parse(raw).unwrap_err();
            assert_eq!(err.code(), "mobile_number.malformed", "{raw}");
        }
    }

    proptest! {
        #[test]
        fn any_valid_body_with_its_check_character_parses(
            address in 110_000u32..=659_999,
            days in 0i64..50_000,
            sequence in 0u32..1000,
        ) {
            let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
            let birth = base + chrono::Duration::days(days);
            let body = format!("{address:06}{}{sequence:03}", birth.format("%Y%m%d"));
            let check = char::from(id_check_character(body.as_bytes()));
            let parsed = ResidentIdNumber::parse(&format!("{body}{check}")).unwrap();
            prop_assert_eq!(parsed.birth_date(), birth);
        }
    }
}
