//! Money (金额) in Chinese yuan, held as an integer number of fen (分).
//!
//! No floats anywhere (`#![deny(clippy::float_arithmetic)]` on the crate):
//! arithmetic is checked and fails with [`MoneyError::Overflow`] rather than
//! wrapping, and splitting an amount ([`Money::allocate`]) never loses or
//! invents a fen. Storage columns are `*_fen BIGINT`; JSON carries the fen
//! as an integer.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Why a money operation or parse failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The result does not fit in an `i64` number of fen.
    #[error("amount out of range")]
    Overflow,
    /// The text is not an amount of yuan with at most two decimals.
    #[error("not an amount in yuan with at most two decimals: {found:?}")]
    Malformed {
        /// The rejected text.
        found: String,
    },
    /// `allocate` was given no weights, or weights that sum to zero.
    #[error("weights must not be empty and must not sum to zero")]
    NoWeight,
}

impl DomainError for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            Self::Overflow => "money.overflow",
            Self::Malformed { .. } => "money.malformed",
            Self::NoWeight => "money.no_weight",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Overflow => "金额超出允许范围".to_owned(),
            Self::Malformed { found } => {
                format!("金额格式错误：{found}（应为以元为单位、最多两位小数的数字）")
            }
            Self::NoWeight => "分配比例不能为空，且合计不能为零".to_owned(),
        }
    }
}

/// Money (金额): an amount in yuan held as fen (分). Never a float.
///
/// Serialises as the integer number of fen.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money {
    fen: i64,
}

impl Money {
    /// Zero yuan.
    pub const ZERO: Self = Self { fen: 0 };

    /// An amount of `fen` fen.
    pub const fn from_fen(fen: i64) -> Self {
        Self { fen }
    }

    /// An amount of whole yuan.
    pub fn from_yuan(yuan: i64) -> Result<Self, MoneyError> {
        yuan.checked_mul(100)
            .map(Self::from_fen)
            .ok_or(MoneyError::Overflow)
    }

    /// The amount in fen.
    pub const fn fen(self) -> i64 {
        self.fen
    }

    /// Whether the amount is below zero (a refund or a correction).
    pub const fn is_negative(self) -> bool {
        self.fen < 0
    }

    /// `self + other`, or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.fen
            .checked_add(other.fen)
            .map(Self::from_fen)
            .ok_or(MoneyError::Overflow)
    }

    /// `self - other`, or [`MoneyError::Overflow`].
    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.fen
            .checked_sub(other.fen)
            .map(Self::from_fen)
            .ok_or(MoneyError::Overflow)
    }

    /// `self × factor` (e.g. unit price × number of calls), or
    /// [`MoneyError::Overflow`].
    pub fn checked_mul(self, factor: i64) -> Result<Self, MoneyError> {
        self.fen
            .checked_mul(factor)
            .map(Self::from_fen)
            .ok_or(MoneyError::Overflow)
    }

    /// Sum of many amounts, or [`MoneyError::Overflow`].
    pub fn checked_sum<I: IntoIterator<Item = Self>>(amounts: I) -> Result<Self, MoneyError> {
        amounts
            .into_iter()
            .try_fold(Self::ZERO, |total, amount| total.checked_add(amount))
    }

    /// Parses an amount in yuan such as `"12.34"`, `"-0.5"` or `"100"`
    /// (at most two decimals; a third would need an explicit rounding rule,
    /// so it is refused).
    pub fn parse_yuan(raw: &str) -> Result<Self, MoneyError> {
        let malformed = || MoneyError::Malformed {
            found: raw.to_owned(),
        };
        let text = raw.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, decimals) = unsigned.split_once('.').unwrap_or((unsigned, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(decimals)
            || decimals.len() > 2
            || (unsigned.contains('.') && decimals.is_empty())
        {
            return Err(malformed());
        }
        let whole_fen = whole
            .parse::<i64>()
            .map_err(|_| MoneyError::Overflow)?
            .checked_mul(100)
            .ok_or(MoneyError::Overflow)?;
        let cents = match decimals.len() {
            0 => 0,
            1 => decimals.parse::<i64>().map_err(|_| malformed())? * 10,
            _ => decimals.parse::<i64>().map_err(|_| malformed())?,
        };
        let magnitude = whole_fen.checked_add(cents).ok_or(MoneyError::Overflow)?;
        Ok(Self::from_fen(if negative {
            -magnitude
        } else {
            magnitude
        }))
    }

    /// Splits the amount by non-negative weights so that the parts always
    /// sum to `self` exactly (largest-remainder method; ties go to the
    /// earlier weight). Used for revenue sharing (收益分配, S-5.2).
    pub fn allocate(self, weights: &[u64]) -> Result<Vec<Self>, MoneyError> {
        let total_weight: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if total_weight == 0 {
            return Err(MoneyError::NoWeight);
        }
        let magnitude = u128::from(self.fen.unsigned_abs());
        let mut parts: Vec<u128> = Vec::with_capacity(weights.len());
        let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
        for (index, weight) in weights.iter().enumerate() {
            // |fen| < 2^63 and weight < 2^64, so the product fits in u128.
            let scaled = magnitude * u128::from(*weight);
            parts.push(scaled / total_weight);
            remainders.push((scaled % total_weight, index));
        }
        let assigned: u128 = parts.iter().sum();
        let leftover = magnitude - assigned;
        // Largest remainder first; on equal remainders the earlier index wins.
        remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (_, index) in remainders
            .iter()
            .take(usize::try_from(leftover).unwrap_or(usize::MAX))
        {
            if let Some(part) = parts.get_mut(*index) {
                *part += 1;
            }
        }
        parts
            .into_iter()
            .map(|part| {
                // Sign applied in i128 so that a part of 2^63 fen can still be
                // i64::MIN when the amount is negative.
                let magnitude = i128::try_from(part).map_err(|_| MoneyError::Overflow)?;
                let signed = if self.fen < 0 { -magnitude } else { magnitude };
                i64::try_from(signed)
                    .map(Self::from_fen)
                    .map_err(|_| MoneyError::Overflow)
            })
            .collect()
    }
}

impl fmt::Display for Money {
    /// Yuan with two decimals, e.g. `1234.50` or `-0.05`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.fen < 0 { "-" } else { "" };
        let magnitude = self.fen.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

impl FromStr for Money {
    type Err = MoneyError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse_yuan(raw)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn displays_as_yuan_with_two_decimals() {
        assert_eq!(Money::from_fen(0).to_string(), "0.00");
        assert_eq!(Money::from_fen(5).to_string(), "0.05");
        assert_eq!(Money::from_fen(-5).to_string(), "-0.05");
        assert_eq!(Money::from_fen(123_450).to_string(), "1234.50");
        assert_eq!(
            Money::from_fen(i64::MIN).to_string(),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn parses_yuan_text() {
        assert_eq!(Money::parse_yuan("12.34").unwrap().fen(), 1234);
        assert_eq!(Money::parse_yuan("12.3").unwrap().fen(), 1230);
        assert_eq!(Money::parse_yuan(" 12 ").unwrap().fen(), 1200);
        assert_eq!(Money::parse_yuan("-0.05").unwrap().fen(), -5);
        assert_eq!(Money::parse_yuan("0.00").unwrap(), Money::ZERO);
        for bad in [
            "", "-", "1.", ".5", "1.234", "1,00", "¥1", "1e3", "+1", "1.-5",
        ] {
            assert_eq!(
                Money::parse_yuan(bad).unwrap_err().code(),
                "money.malformed",
                "{bad:?}"
            );
        }
        assert_eq!(
            Money::parse_yuan("99999999999999999999").unwrap_err(),
            MoneyError::Overflow
        );
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_fen(150);
        assert_eq!(a.checked_add(Money::from_fen(50)).unwrap().fen(), 200);
        assert_eq!(a.checked_sub(Money::from_fen(200)).unwrap().fen(), -50);
        assert_eq!(a.checked_mul(3).unwrap().fen(), 450);
        assert_eq!(
            Money::from_fen(i64::MAX).checked_add(Money::from_fen(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_fen(i64::MIN).checked_sub(Money::from_fen(1)),
            Err(MoneyError::Overflow)
        );
        assert_eq!(
            Money::from_fen(i64::MAX).checked_mul(2),
            Err(MoneyError::Overflow)
        );
        assert_eq!(Money::from_yuan(i64::MAX), Err(MoneyError::Overflow));
        assert_eq!(
            Money::checked_sum([Money::from_fen(1), Money::from_fen(2)])
                .unwrap()
                .fen(),
            3
        );
    }

    #[test]
    fn serialises_as_integer_fen() {
        assert_eq!(
            serde_json::to_string(&Money::from_fen(1234)).unwrap(),
            "1234"
        );
        assert_eq!(serde_json::from_str::<Money>("-7").unwrap().fen(), -7);
    }

    #[test]
    fn allocate_splits_exactly() {
        let parts = Money::from_fen(100).allocate(&[1, 1, 1]).unwrap();
        assert_eq!(parts, [34, 33, 33].map(Money::from_fen));
        let parts = Money::from_fen(-100).allocate(&[1, 1, 1]).unwrap();
        assert_eq!(parts, [-34, -33, -33].map(Money::from_fen));
        let parts = Money::from_fen(1000).allocate(&[5000, 3000, 2000]).unwrap();
        assert_eq!(parts, [500, 300, 200].map(Money::from_fen));
        assert_eq!(
            Money::from_fen(i64::MIN).allocate(&[1]).unwrap(),
            [Money::from_fen(i64::MIN)]
        );
        assert_eq!(Money::from_fen(1).allocate(&[]), Err(MoneyError::NoWeight));
        assert_eq!(
            Money::from_fen(1).allocate(&[0, 0]),
            Err(MoneyError::NoWeight)
        );
    }

    proptest! {
        #[test]
        fn allocate_preserves_the_total(
            fen in any::<i64>(),
            weights in proptest::collection::vec(any::<u64>(), 1..8),
        ) {
            prop_assume!(weights.iter().any(|w| *w > 0));
            let parts = Money::from_fen(fen).allocate(&weights).unwrap();
            prop_assert_eq!(parts.len(), weights.len());
            let total: i128 = parts.iter().map(|p| i128::from(p.fen())).sum();
            prop_assert_eq!(total, i128::from(fen));
            for (part, weight) in parts.iter().zip(&weights) {
                prop_assert!(fen < 0 || part.fen() >= 0);
                prop_assert!(*weight > 0 || part.fen() == 0);
            }
        }

        #[test]
        fn display_and_parse_round_trip(fen in (i64::MIN + 1)..=i64::MAX) {
            let money = Money::from_fen(fen);
            prop_assert_eq!(Money::parse_yuan(&money.to_string()).unwrap(), money);
        }
    }
}
