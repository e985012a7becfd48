//! Revenue sharing (收益分配, S-5.2) among the government, the operator and
//! the secondary market, by configurable percentages. The sector
//! regulators' costs are counted toward the government's share: they are
//! paid out of it first.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

use super::PricingError;
use crate::Money;

/// Shares in percent with at most two decimals, summing to exactly 100.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRule {
    /// Government (政府) share, in percent.
    pub government_pct: Decimal,
    /// Operator (运营机构) share, in percent.
    pub operator_pct: Decimal,
    /// Secondary market (二级市场) share, in percent.
    pub market_pct: Decimal,
}

/// One amount split by a [`ShareRule`]. `government + operator + market`
/// is the total, exactly; `regulator_costs + treasury` is `government`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The government's share.
    pub government: Money,
    /// Part of the government's share that reimburses the sector
    /// regulators' costs.
    pub regulator_costs: Money,
    /// The rest of the government's share.
    pub treasury: Money,
    /// The operator's share.
    pub operator: Money,
    /// The secondary market's share.
    pub market: Money,
}

impl ShareRule {
    /// The three shares as integer weights in basis points (1/100 %).
    fn weights(&self) -> Result<[u64; 3], PricingError> {
        let mut weights = [0_u64; 3];
        for (slot, pct) in
            weights
                .iter_mut()
                .zip([self.government_pct, self.operator_pct, self.market_pct])
        {
            let bp = pct * Decimal::ONE_HUNDRED;
            if pct.is_sign_negative() && !pct.is_zero() || bp.fract() != Decimal::ZERO {
                return Err(PricingError::SharesInvalid);
            }
            *slot = bp.to_u64().ok_or(PricingError::SharesInvalid)?;
        }
        if weights.iter().sum::<u64>() != 10_000 {
            return Err(PricingError::SharesInvalid);
        }
        Ok(weights)
    }

    /// Checks the rule.
    pub fn validate(&self) -> Result<(), PricingError> {
        self.weights().map(|_| ())
    }

    /// Splits `total` (negative for a credit note) by largest remainder, so
    /// the parts sum to it exactly; `regulator_costs` still unreimbursed are
    /// paid from the government's part, up to that part.
    pub fn allocate(
        &self,
        total: Money,
        regulator_costs: Money,
    ) -> Result<Allocation, PricingError> {
        let weights = self.weights()?;
        let [government, operator, market]: [Money; 3] = total
            .allocate(&weights)?
            .try_into()
            .map_err(|_| PricingError::SharesInvalid)?;
        let regulator_costs = if government.is_negative() {
            Money::ZERO
        } else {
            super::non_negative(regulator_costs, "regulator_costs")?.min(government)
        };
        Ok(Allocation {
            government,
            regulator_costs,
            treasury: government.checked_sub(regulator_costs)?,
            operator,
            market,
        })
    }
}
