//! The operator's actual price (具体收费标准) of one product: a unit price,
//! or tiers by monthly volume summed band by band (阶梯, `[闽费]`), never
//! above the upper-limit fee (上限收费标准) the implementing agency set.

use serde::{Deserialize, Serialize};

use super::PricingError;
use crate::Money;

/// One band: from the `from_units`-th unit of the month (0-based) on, each
/// unit costs `unit_price`, until the next band starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// First unit of the band, counted from 0 within the billing month.
    pub from_units: u64,
    /// Price of each unit in the band.
    pub unit_price: Money,
}

/// A validated price schedule: tiers start at 0 and strictly ascend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "Vec<Tier>", into = "Vec<Tier>")]
pub struct PriceSchedule {
    tiers: Vec<Tier>,
}

impl PriceSchedule {
    /// One price for every unit.
    pub fn flat(unit_price: Money) -> Result<Self, PricingError> {
        Self::new(vec![Tier {
            from_units: 0,
            unit_price,
        }])
    }

    /// Tiers, checked: non-empty, the first from 0, strictly ascending,
    /// no negative price.
    pub fn new(tiers: Vec<Tier>) -> Result<Self, PricingError> {
        if tiers.first().is_none_or(|t| t.from_units != 0)
            || tiers.windows(2).any(|w| w[0].from_units >= w[1].from_units)
        {
            return Err(PricingError::TiersInvalid);
        }
        if tiers.iter().any(|t| t.unit_price.is_negative()) {
            return Err(PricingError::Negative {
                field: "unit_price",
            });
        }
        Ok(Self { tiers })
    }

    /// The tiers.
    pub fn tiers(&self) -> &[Tier] {
        &self.tiers
    }

    /// The highest unit price of any band.
    pub fn highest(&self) -> Money {
        self.tiers
            .iter()
            .map(|t| t.unit_price)
            .max()
            .unwrap_or(Money::ZERO)
    }

    /// Refuses any band priced above `cap` (S-5.1), naming the band.
    pub fn check_cap(&self, cap: Money) -> Result<(), PricingError> {
        match self.tiers.iter().position(|t| t.unit_price > cap) {
            Some(tier) => Err(PricingError::AboveCap {
                tier,
                price: self.tiers[tier].unit_price,
                cap,
            }),
            None => Ok(()),
        }
    }

    /// Refuses a price on free use (public governance or welfare, S-6.6).
    pub fn check_free(&self) -> Result<(), PricingError> {
        if self.highest() != Money::ZERO {
            return Err(PricingError::FreeNotZero);
        }
        Ok(())
    }

    /// Each band lowered to at most `cap` ("over-high fees are lowered",
    /// S-5.1): what the platform applies when a new cap is below the price.
    pub fn lowered_to(&self, cap: Money) -> Self {
        Self {
            tiers: self
                .tiers
                .iter()
                .map(|t| Tier {
                    from_units: t.from_units,
                    unit_price: t.unit_price.min(cap),
                })
                .collect(),
        }
    }

    /// The charge for `units` units of a month, summed band by band.
    pub fn charge(&self, units: u64) -> Result<Money, PricingError> {
        let mut total = Money::ZERO;
        for (index, tier) in self.tiers.iter().enumerate() {
            if units <= tier.from_units {
                break;
            }
            let end = self
                .tiers
                .get(index + 1)
                .map_or(units, |next| next.from_units.min(units));
            let in_band =
                i64::try_from(end - tier.from_units).map_err(|_| crate::MoneyError::Overflow)?;
            total = total.checked_add(tier.unit_price.checked_mul(in_band)?)?;
        }
        Ok(total)
    }
}

impl TryFrom<Vec<Tier>> for PriceSchedule {
    type Error = PricingError;

    fn try_from(tiers: Vec<Tier>) -> Result<Self, Self::Error> {
        Self::new(tiers)
    }
}

impl From<PriceSchedule> for Vec<Tier> {
    fn from(schedule: PriceSchedule) -> Self {
        schedule.tiers
    }
}

/// Checks that the caps times their forecast yearly volumes
/// stay within the maximum allowed revenue; returns the planned revenue.
pub fn check_caps_within(
    caps: &[(Money, u64)],
    maximum_allowed_revenue: Money,
) -> Result<Money, PricingError> {
    let mut planned = Money::ZERO;
    for (cap, units) in caps {
        let units = i64::try_from(*units).map_err(|_| crate::MoneyError::Overflow)?;
        planned = planned.checked_add(cap.checked_mul(units)?)?;
    }
    if planned > maximum_allowed_revenue {
        return Err(PricingError::CapsExceedMar {
            planned,
            mar: maximum_allowed_revenue,
        });
    }
    Ok(planned)
}
