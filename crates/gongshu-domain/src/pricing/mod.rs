//! Government-guided pricing (政府指导价, S-5.1, S-6.6, REQUIREMENTS.md §5).
//!
//! The chain, from the cost survey to the price a participant pays:
//! 1. [`mar`]: the pricing authority (发展改革部门) with the data bureau
//!    sets the operator's maximum allowed revenue (最高准许收入) per year from
//!    a cost survey: operating cost + allowed profit + taxes, minus last
//!    period's overage (claw-back).
//! 2. [`schedule::check_caps_within`]: the implementing agency sets an
//!    upper-limit fee (上限收费标准) per product, so that the caps times the
//!    forecast volumes stay within the maximum allowed revenue.
//! 3. [`schedule::PriceSchedule`]: the operator's actual price (具体收费标准),
//!    flat or tiered (阶梯) by monthly volume, never above the cap.
//! 4. [`share`]: revenue is split among government, operator and secondary
//!    market (S-5.2).
//!
//! **The one rounding rule.** An amount derived from a rate (allowed profit,
//! a percentage) is computed exactly in [`Decimal`] and rounded once, at the
//! end, to the fen, half away from zero (四舍五入). Splitting an amount
//! ([`crate::Money::allocate`]) never rounds: the parts sum exactly.

pub mod mar;
pub mod schedule;
pub mod share;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::{DomainError, Money, MoneyError};

pub use mar::{CostCategory, MarBreakdown, MarInputs, ProfitBase, ProfitRule, RevenueAlert};
pub use schedule::{PriceSchedule, Tier};
pub use share::{Allocation, ShareRule};

/// Why a pricing, billing or sharing input is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PricingError {
    /// An amount that must not be negative is.
    #[error("{field} must not be negative")]
    Negative {
        /// Which input.
        field: &'static str,
    },
    /// A rate is outside its allowed range or has too many decimals.
    #[error("{field} is out of range")]
    RateOutOfRange {
        /// Which input.
        field: &'static str,
    },
    /// A price of the schedule is above the product's cap (S-5.1).
    #[error("tier {tier} price {price} is above the cap {cap}")]
    AboveCap {
        /// Index of the offending tier.
        tier: usize,
        /// Its unit price.
        price: Money,
        /// The cap.
        cap: Money,
    },
    /// The caps times their forecast volumes exceed the maximum allowed
    /// revenue.
    #[error("caps plan {planned} above the maximum allowed revenue {mar}")]
    CapsExceedMar {
        /// Caps × forecast volumes.
        planned: Money,
        /// The maximum allowed revenue.
        mar: Money,
    },
    /// Tiers are empty, do not start at unit 0 or are not strictly
    /// ascending.
    #[error("tiers must start at 0 and ascend")]
    TiersInvalid,
    /// A free category (public governance or welfare) has a price.
    #[error("free use must be priced at zero")]
    FreeNotZero,
    /// Revenue shares are negative, have more than two decimals, or do not
    /// sum to 100 %.
    #[error("shares must be non-negative with two decimals and sum to 100")]
    SharesInvalid,
    /// Money arithmetic overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl DomainError for PricingError {
    fn code(&self) -> &'static str {
        match self {
            Self::Negative { .. } => "pricing.negative_amount",
            Self::RateOutOfRange { .. } => "pricing.rate_out_of_range",
            Self::AboveCap { .. } => "pricing.above_cap",
            Self::CapsExceedMar { .. } => "pricing.caps_exceed_mar",
            Self::TiersInvalid => "pricing.tiers_invalid",
            Self::FreeNotZero => "pricing.free_not_zero",
            Self::SharesInvalid => "pricing.shares_invalid",
            Self::Money(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Negative { field } => format!("{field} 不能为负数"),
            Self::RateOutOfRange { field } => {
                format!("{field} 超出允许范围（0–100，最多四位小数）")
            }
            Self::AboveCap { tier, price, cap } => format!(
                "第 {} 档单价 {price} 元高于上限收费标准 {cap} 元（S-5.1：具体收费标准不得高于上限）",
                tier + 1
            ),
            Self::CapsExceedMar { planned, mar } => {
                format!("上限收费标准按预计用量合计 {planned} 元，超过最高准许收入 {mar} 元")
            }
            Self::TiersInvalid => "阶梯价格须从第 0 单位起，且各档起点严格递增".to_owned(),
            Self::FreeNotZero => "用于公共治理、公益事业的产品和服务须免费（S-6.6）".to_owned(),
            Self::SharesInvalid => {
                "政府、运营机构、二级市场的分配比例须非负、最多两位小数，且合计 100%".to_owned()
            }
            Self::Money(e) => e.message_zh(),
        }
    }
}

/// `amount × percent / 100`, rounded to the fen half away from zero: the
/// one rounding rule of gongshu's money (see the module docs).
pub fn percent_of(amount: Money, percent: Decimal) -> Result<Money, PricingError> {
    let exact = Decimal::from(amount.fen())
        .checked_mul(percent)
        .and_then(|v| v.checked_div(Decimal::ONE_HUNDRED))
        .ok_or(MoneyError::Overflow)?;
    let fen = exact
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .ok_or(MoneyError::Overflow)?;
    Ok(Money::from_fen(fen))
}

/// Checks a percentage: `0 ≤ rate ≤ max` with at most four decimals.
pub fn check_percent(rate: Decimal, max: Decimal, field: &'static str) -> Result<(), PricingError> {
    if rate.is_sign_negative() && !rate.is_zero() || rate > max || rate.normalize().scale() > 4 {
        return Err(PricingError::RateOutOfRange { field });
    }
    Ok(())
}

/// Refuses a negative amount.
pub fn non_negative(amount: Money, field: &'static str) -> Result<Money, PricingError> {
    if amount.is_negative() {
        return Err(PricingError::Negative { field });
    }
    Ok(amount)
}

#[cfg(test)]
mod tests;
