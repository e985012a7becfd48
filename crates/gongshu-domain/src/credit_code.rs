//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! Layout (GB 32100-2015 §4): position 1 registration department, 2
//! organisation category, 3-8 administrative division (GB/T 2260, digits),
//! 9-17 organisation code body (GB 11714), 18 check character. The alphabet is
//! the 31 characters `0-9` and `A-Y` without `I O Z S V` (§4.2, to avoid
//! confusion with 1, 0, 2, 5 and U).
//!
//! Only what the standard fixes for every code is checked: length, alphabet,
//! digits in the division code and the check character. The registration
//! department and category lists have grown over the years, so they are not
//! closed here lest a valid code be refused.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::DomainError;

/// The code alphabet in value order (GB 32100-2015 table 2): the value of a
/// character is its index.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights of positions 1-17 (GB 32100-2015 §5.2): `3^(i-1) mod 31`.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Length of a code in characters.
const LENGTH: usize = 18;

/// Why a text is not a unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Not 18 characters long.
    #[error("a unified social credit code has 18 characters, found {found}")]
    WrongLength {
        /// Number of characters found.
        found: usize,
    },
    /// A character outside the code's alphabet (I, O, Z, S, V are excluded).
    #[error(
        "character {character:?} at position {position} is not allowed in a unified social credit code"
    )]
    BadCharacter {
        /// The offending character.
        character: char,
        /// Its 1-based position.
        position: usize,
    },
    /// Positions 3-8 (the administrative division code) are not all digits.
    #[error("positions 3-8 of a unified social credit code must be digits")]
    BadDivisionCode,
    /// The 18th character does not match the one computed from the first 17.
    #[error("check character {found:?} does not match the expected {expected:?}")]
    BadCheckCharacter {
        /// Check character in the input.
        found: char,
        /// Check character computed from positions 1-17.
        expected: char,
    },
}

impl DomainError for CreditCodeError {
    fn code(&self) -> &'static str {
        match self {
            Self::WrongLength { .. } => "credit_code.wrong_length",
            Self::BadCharacter { .. } => "credit_code.bad_character",
            Self::BadDivisionCode => "credit_code.bad_division_code",
            Self::BadCheckCharacter { .. } => "credit_code.bad_check_character",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::WrongLength { found } => {
                format!("统一社会信用代码应为 18 位，实际为 {found} 位")
            }
            Self::BadCharacter {
                character,
                position,
            } => format!("统一社会信用代码第 {position} 位含有不允许的字符“{character}”"),
            Self::BadDivisionCode => {
                "统一社会信用代码第 3 至 8 位（行政区划码）应为数字".to_owned()
            }
            Self::BadCheckCharacter { .. } => "统一社会信用代码校验位错误".to_owned(),
        }
    }
}

/// Value of one code character, if it belongs to the alphabet.
fn char_value(byte: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|candidate| *candidate == byte)
        .and_then(|index| u32::try_from(index).ok())
}

/// Computes the check character for positions 1-17 (GB 32100-2015 §5.2):
/// `C18 = 31 - (Σ Ci·Wi mod 31)`, where 31 maps to `0`.
/// Returns `None` if `body` has a character outside the alphabet.
fn check_character(body: &[u8]) -> Option<char> {
    let mut sum: u32 = 0;
    for (byte, weight) in body.iter().zip(WEIGHTS) {
        sum += char_value(*byte)? * weight;
    }
    let value = (31 - sum % 31) % 31;
    let index = usize::try_from(value).ok()?;
    ALPHABET.get(index).map(|byte| char::from(*byte))
}

/// Unified social credit code (统一社会信用代码): 18 characters with a check
/// character (GB 32100-2015).
///
/// INVARIANT: holds exactly 18 upper-case ASCII characters of the code alphabet,
/// digits at positions 3-8, and a matching check character.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Parses a code; surrounding whitespace is dropped and lower-case
    /// letters are upper-cased.
    pub fn parse(raw: &str) -> Result<Self, CreditCodeError> {
        let text = raw.trim().to_ascii_uppercase();
        let found = text.chars().count();
        if found != LENGTH {
            return Err(CreditCodeError::WrongLength { found });
        }
        // Length in characters is 18; a non-ASCII character is reported here
        // before byte positions are used below.
        for (index, character) in text.chars().enumerate() {
            let allowed = u8::try_from(character).ok().and_then(char_value).is_some();
            if !allowed {
                return Err(CreditCodeError::BadCharacter {
                    character,
                    position: index + 1,
                });
            }
        }
        let bytes = text.as_bytes();
        let (body, check) = bytes.split_at(LENGTH - 1);
        let division = body.get(2..8).unwrap_or_default();
        if !division.iter().all(u8::is_ascii_digit) {
            return Err(CreditCodeError::BadDivisionCode);
        }
        // Every character was checked above, so `None` cannot happen; it maps
        // to an error rather than a panic all the same.
        let expected = check_character(body).ok_or(CreditCodeError::WrongLength { found })?;
        let found_check = check.first().map_or(' ', |byte| char::from(*byte));
        if found_check != expected {
            return Err(CreditCodeError::BadCheckCharacter {
                found: found_check,
                expected,
            });
        }
        Ok(Self(text))
    }

    /// The code as 18 upper-case characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The administrative division code (行政区划码), positions 3-8.
    pub fn division_code(&self) -> &str {
        // INVARIANT (CreditCode): 18 ASCII characters, so 2..8 is in bounds.
        self.0.get(2..8).unwrap_or_default()
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}

impl Serialize for CreditCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for CreditCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// Codes of well-known companies, as published in their business
    /// registration: Huawei Technologies Co., Ltd. and Shenzhen Tencent
    /// Computer Systems Co., Ltd.
    const PUBLIC_EXAMPLES: [&str; 2] = ["914403001922038216", "91440300708461136T"];

    /// Codes whose check character was computed with the GB 32100-2015 rule.
    const COMPUTED_EXAMPLES: [&str; 4] = [
        "91130630MA0A1B2C39",
        "121306300000000009",
        "91110108551385082Q",
        "52130630MA07PQRTU6",
    ];

    #[test]
    fn known_valid_codes_parse() {
        for code in PUBLIC_EXAMPLES.iter().chain(&COMPUTED_EXAMPLES) {
            let parsed = CreditCode::parse(code).unwrap();
            assert_eq!(parsed.as_str(), *code);
        }
        assert_eq!(
            CreditCode::parse("914403001922038216")
                .unwrap()
                .division_code(),
            "440300"
        );
    }

    #[test]
    fn input_is_trimmed_and_upper_cased() {
        let parsed = CreditCode::parse("  91440300708461136t \n").unwrap();
        assert_eq!(parsed.as_str(), "91440300708461136T");
    }

    #[test]
    fn wrong_check_character_is_rejected() {
        let err = CreditCode::parse("914403001922038217").unwrap_err();
        assert_eq!(
            err,
            CreditCodeError::BadCheckCharacter {
                found: '7',
                expected: '6'
            }
        );
        assert_eq!(err.code(), "credit_code.bad_check_character");
    }

    #[test]
    fn malformed_codes_are_rejected_with_the_right_code() {
        let cases = [
            ("", "credit_code.wrong_length"),
            ("91440300708461136", "credit_code.wrong_length"),
            ("91440300708461136TT", "credit_code.wrong_length"),
            // I, O, Z, S and V are not in the alphabet.
            ("9144030070846113I6", "credit_code.bad_character"),
            ("9144030070846113O6", "credit_code.bad_character"),
            ("91440300708461136Z", "credit_code.bad_character"),
            ("914403007084611S6T", "credit_code.bad_character"),
            ("91440300708461V36T", "credit_code.bad_character"),
            ("9144030070846113６T", "credit_code.bad_character"),
            ("91A40300708461136T", "credit_code.bad_division_code"),
        ];
        for (raw, code) in cases {
            let err = CreditCode::parse(raw).unwrap_err();
            assert_eq!(err.code(), code, "input {raw:?}");
            assert!(!err.message_zh().is_empty());
        }
    }

    #[test]
    fn serde_round_trip_validates() {
        let code = CreditCode::parse("914403001922038216").unwrap();
        let json = serde_json::to_string(&code).unwrap();
        assert_eq!(json, "\"914403001922038216\"");
        assert_eq!(serde_json::from_str::<CreditCode>(&json).unwrap(), code);
        assert!(serde_json::from_str::<CreditCode>("\"914403001922038217\"").is_err());
    }

    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        let any_char = proptest::sample::select(ALPHABET.to_vec());
        let digit = proptest::sample::select(b"0123456789".to_vec());
        (
            proptest::collection::vec(any_char.clone(), 2),
            proptest::collection::vec(digit, 6),
            proptest::collection::vec(any_char, 9),
        )
            .prop_map(|(head, division, tail)| [head, division, tail].concat())
    }

    proptest! {
        #[test]
        fn a_computed_check_character_always_validates(body in body_strategy()) {
            let check = check_character(&body).unwrap();
            let code = format!("{}{check}", String::from_utf8(body).unwrap());
            prop_assert!(CreditCode::parse(&code).is_ok());
        }

        #[test]
        fn any_single_substitution_is_detected(
            body in body_strategy(),
            position in 0usize..17,
            replacement in proptest::sample::select(ALPHABET.to_vec()),
        ) {
            let check = check_character(&body).unwrap();
            let mut changed = body;
            prop_assume!(changed[position] != replacement);
            prop_assume!(!(2..8).contains(&position) || replacement.is_ascii_digit());
            changed[position] = replacement;
            let code = format!("{}{check}", String::from_utf8(changed).unwrap());
            prop_assert!(CreditCode::parse(&code).is_err());
        }
    }
}
