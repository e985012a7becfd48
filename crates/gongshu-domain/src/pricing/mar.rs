//! Maximum allowed revenue (最高准许收入, S-5.1, REQUIREMENTS.md §5.3):
//! `operating cost + allowed profit + taxes − claw-back`, where the allowed
//! profit is `base × (10-year treasury yield of the prior year + markup)` and
//! the claw-back is the previous period's revenue above its maximum.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{PricingError, check_percent, non_negative, percent_of};
use crate::Money;

/// Cost item of the cost survey (成本监审科目), after `[芜湖]` and `[闽费]`
/// (REQUIREMENTS.md §5.3): what the operator may account as operating cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CostCategory {
    /// Data bought from source units such as utilities (数据采购).
    DataProcurement,
    /// Product research and development (产品研发).
    ProductDevelopment,
    /// Compute and storage facilities (算力与存储).
    ComputeStorage,
    /// Security and compliance (安全与合规).
    SecurityCompliance,
    /// Staff (人工).
    Labour,
    /// Service and operation of the platform (运营服务).
    ServiceOperation,
    /// Anything else, explained in the item's note (其他).
    Other,
}

impl CostCategory {
    /// Every category, in report order.
    pub const ALL: [Self; 7] = [
        Self::DataProcurement,
        Self::ProductDevelopment,
        Self::ComputeStorage,
        Self::SecurityCompliance,
        Self::Labour,
        Self::ServiceOperation,
        Self::Other,
    ];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            Self::DataProcurement => "data_procurement",
            Self::ProductDevelopment => "product_development",
            Self::ComputeStorage => "compute_storage",
            Self::SecurityCompliance => "security_compliance",
            Self::Labour => "labour",
            Self::ServiceOperation => "service_operation",
            Self::Other => "other",
        }
    }

    /// Parses [`Self::code`].
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::DataProcurement => "数据采购",
            Self::ProductDevelopment => "产品研发",
            Self::ComputeStorage => "算力与存储",
            Self::SecurityCompliance => "安全与合规",
            Self::Labour => "人工",
            Self::ServiceOperation => "运营服务",
            Self::Other => "其他",
        }
    }
}

/// What the allowed profit rate applies to. REQUIREMENTS.md §5.3 leaves it
/// open (cost or assets), so it is a versioned parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfitBase {
    /// The surveyed operating cost.
    OperatingCost,
    /// The effective assets of the authorized operation (有效资产).
    EffectiveAssets,
}

/// The allowed-profit parameters of one period (S-5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfitRule {
    /// Average yield of 10-year treasury bonds in the year before the cost
    /// survey, in percent (e.g. `1.70`).
    pub treasury_yield_pct: Decimal,
    /// Percentage points added to the yield (S-5.1: 6).
    pub markup_pct: Decimal,
    /// What the rate applies to.
    pub base: ProfitBase,
}

impl ProfitRule {
    /// The allowed profit rate in percent: yield + markup.
    pub fn rate_pct(&self) -> Decimal {
        self.treasury_yield_pct + self.markup_pct
    }

    /// Checks both rates: 0–20 % with at most four decimals.
    pub fn validate(&self) -> Result<(), PricingError> {
        let max = Decimal::from(20);
        check_percent(self.treasury_yield_pct, max, "treasury_yield_pct")?;
        check_percent(self.markup_pct, max, "markup_pct")
    }
}

/// The inputs of one period's maximum allowed revenue.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MarInputs {
    /// Surveyed operating cost per category (one amount per item).
    pub costs: Vec<(CostCategory, Money)>,
    /// Effective assets, when the profit base is assets.
    pub effective_assets: Money,
    /// Taxes (税金).
    pub taxes: Money,
    /// Revenue of the previous period above its maximum (claw-back).
    pub prior_overage: Money,
}

/// The worked computation, every step kept for the record and the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarBreakdown {
    /// Sum of the surveyed costs.
    pub operating_cost: Money,
    /// What the profit rate applied to.
    pub profit_base_amount: Money,
    /// Yield + markup, in percent.
    pub profit_rate_pct: Decimal,
    /// `profit_base_amount × profit_rate_pct`, rounded once to the fen.
    pub allowed_profit: Money,
    /// Taxes.
    pub taxes: Money,
    /// `operating_cost + allowed_profit + taxes`.
    pub calculated: Money,
    /// Deducted for the previous period's overage.
    pub clawback: Money,
    /// `max(0, calculated − clawback)`.
    pub maximum_allowed_revenue: Money,
}

/// Computes the maximum allowed revenue of a period.
///
/// # Errors
/// Negative amounts or rates out of range, named; overflow.
pub fn maximum_allowed_revenue(
    rule: &ProfitRule,
    inputs: &MarInputs,
) -> Result<MarBreakdown, PricingError> {
    rule.validate()?;
    for (_, amount) in &inputs.costs {
        non_negative(*amount, "costs")?;
    }
    non_negative(inputs.effective_assets, "effective_assets")?;
    non_negative(inputs.taxes, "taxes")?;
    non_negative(inputs.prior_overage, "prior_overage")?;
    let operating_cost = Money::checked_sum(inputs.costs.iter().map(|(_, a)| *a))?;
    let profit_base_amount = match rule.base {
        ProfitBase::OperatingCost => operating_cost,
        ProfitBase::EffectiveAssets => inputs.effective_assets,
    };
    let profit_rate_pct = rule.rate_pct();
    let allowed_profit = percent_of(profit_base_amount, profit_rate_pct)?;
    let calculated = operating_cost
        .checked_add(allowed_profit)?
        .checked_add(inputs.taxes)?;
    let clawback = inputs.prior_overage.min(calculated);
    Ok(MarBreakdown {
        operating_cost,
        profit_base_amount,
        profit_rate_pct,
        allowed_profit,
        taxes: inputs.taxes,
        calculated,
        clawback,
        maximum_allowed_revenue: calculated.checked_sub(clawback)?,
    })
}

/// Revenue above the maximum allowed revenue, deducted from the next
/// period (`max(0, actual − maximum)`).
pub fn overage(actual_revenue: Money, maximum: Money) -> Result<Money, PricingError> {
    Ok(actual_revenue.checked_sub(maximum)?.max(Money::ZERO))
}

/// How close revenue is to the maximum allowed revenue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevenueAlert {
    /// At or above `near_percent` of the maximum (接近最高准许收入).
    Near,
    /// Above the maximum (超过最高准许收入): the overage is clawed back.
    Over,
}

impl RevenueAlert {
    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Near => "收入接近最高准许收入",
            Self::Over => "收入已超过最高准许收入，超出部分将在下一周期扣减",
        }
    }
}

/// The alert for `revenue` against `maximum`, if any.
pub fn revenue_alert(revenue: Money, maximum: Money, near_percent: u8) -> Option<RevenueAlert> {
    if revenue > maximum {
        return Some(RevenueAlert::Over);
    }
    // revenue × 100 ≥ maximum × near_percent, in i128 so nothing overflows.
    let near =
        i128::from(revenue.fen()) * 100 >= i128::from(maximum.fen()) * i128::from(near_percent);
    (near && revenue.fen() > 0).then_some(RevenueAlert::Near)
}
