//! The pricing records read together: which cap, price and share rule is in
//! force for a product on a day. Rows are only ever added, so "in force" is
//! the newest row whose start is not after the day.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use gongshu_domain::Money;
use gongshu_domain::accounting::Month;
use gongshu_domain::pricing::{PriceSchedule, ShareRule};
use gongshu_domain::product::ProductDefinition;
use gongshu_store::{
    PriceCapRow, PricingPeriodRow, ProductPriceRow, ProductRow, ShareRuleRow, StoreTx,
};

use super::internal;
use crate::AppError;

/// Every pricing record, loaded in one read.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    /// Pricing periods by year.
    pub periods: BTreeMap<i64, PricingPeriodRow>,
    /// Caps, oldest first.
    pub caps: Vec<PriceCapRow>,
    /// Actual prices, by start then setting time.
    pub prices: Vec<ProductPriceRow>,
    /// Share rules, by start then setting time.
    pub shares: Vec<ShareRuleRow>,
    /// The newest version of each product.
    pub products: BTreeMap<String, (ProductRow, ProductDefinition)>,
}

impl PriceBook {
    /// Loads the book.
    pub async fn load(tx: &mut StoreTx) -> Result<Self, AppError> {
        let periods = tx
            .list_pricing_periods()
            .await?
            .into_iter()
            .map(|p| (p.year, p))
            .collect();
        let mut products = BTreeMap::new();
        for row in tx.list_products().await? {
            let def: ProductDefinition = serde_json::from_str(&row.definition).map_err(internal)?;
            let newer = products
                .get(&row.id)
                .is_none_or(|(old, _): &(ProductRow, ProductDefinition)| old.version < row.version);
            if newer {
                products.insert(row.id.clone(), (row, def));
            }
        }
        Ok(Self {
            periods,
            caps: tx.list_price_caps().await?,
            prices: tx.list_product_prices().await?,
            shares: tx.list_share_rules().await?,
            products,
        })
    }

    /// The cap in force for `product_id` in `year`.
    pub fn cap(&self, product_id: &str, year: i64) -> Option<&PriceCapRow> {
        self.caps
            .iter()
            .rev()
            .find(|c| c.product_id == product_id && c.year == year)
    }

    /// The caps in force in `year`, one per product.
    pub fn caps_of_year(&self, year: i64) -> Vec<&PriceCapRow> {
        let mut latest: BTreeMap<&str, &PriceCapRow> = BTreeMap::new();
        for c in self.caps.iter().filter(|c| c.year == year) {
            latest.insert(&c.product_id, c);
        }
        latest.into_values().collect()
    }

    /// The operator's price row in force on `day`, if any.
    pub fn price_row(&self, product_id: &str, day: NaiveDate) -> Option<&ProductPriceRow> {
        self.prices
            .iter()
            .rev()
            .find(|p| p.product_id == product_id && p.effective_from <= day)
    }

    /// The schedule that rates `month` for a product: the operator's price
    /// in force on the month's first day (else the definition's price),
    /// lowered to the cap of that year if the cap is lower, and zero for
    /// free use. This is the last guard: nothing is billed above its cap.
    pub fn schedule_for(&self, product_id: &str, month: Month) -> Result<PriceSchedule, AppError> {
        let Some((_, def)) = self.products.get(product_id) else {
            return Err(AppError::NotFound { what: "product" });
        };
        if def.category.is_free() {
            return PriceSchedule::flat(Money::ZERO).map_err(internal);
        }
        let schedule = match self.price_row(product_id, month.first_day()) {
            Some(row) => serde_json::from_str::<PriceSchedule>(&row.schedule).map_err(internal)?,
            None => PriceSchedule::flat(def.price).map_err(internal)?,
        };
        Ok(match self.cap(product_id, i64::from(month.year())) {
            Some(cap) => schedule.lowered_to(Money::from_fen(cap.cap_fen)),
            None => schedule,
        })
    }

    /// The share rule in force on `day` for a product's calls in a
    /// scenario, the most specific first: product and scenario, product,
    /// scenario, default.
    pub fn share_rule(
        &self,
        product_id: &str,
        scenario: &str,
        day: NaiveDate,
    ) -> Result<Option<ShareRule>, AppError> {
        let pick = |product: Option<&str>, scen: Option<&str>| {
            self.shares.iter().rev().find(|r| {
                r.effective_from <= day
                    && r.product_id.as_deref() == product
                    && r.scenario.as_deref() == scen
            })
        };
        let Some(row) = pick(Some(product_id), Some(scenario))
            .or_else(|| pick(Some(product_id), None))
            .or_else(|| pick(None, Some(scenario)))
            .or_else(|| pick(None, None))
        else {
            return Ok(None);
        };
        let parse = |t: &str| t.parse().map_err(internal);
        Ok(Some(ShareRule {
            government_pct: parse(&row.government_pct)?,
            operator_pct: parse(&row.operator_pct)?,
            market_pct: parse(&row.market_pct)?,
        }))
    }
}

/// The first day of `year`.
pub(crate) fn new_year(year: i64) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, 1, 1)
}

/// The year of `day`, as stored.
pub(crate) fn year_of(day: NaiveDate) -> i64 {
    i64::from(day.year())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn rule(id: &str, product: Option<&str>, scenario: Option<&str>, gov: &str) -> ShareRuleRow {
        ShareRuleRow {
            id: id.into(),
            product_id: product.map(Into::into),
            scenario: scenario.map(Into::into),
            effective_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
            government_pct: gov.into(),
            operator_pct: "50".into(),
            market_pct: "10".into(),
            set_by: "u".into(),
            set_at: Utc
                .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
        }
    }

    #[test]
    fn the_most_specific_share_rule_applies() {
        let book = PriceBook {
            shares: vec![
                rule("d", None, None, "40"),
                rule("s", None, Some("信用评价"), "40.00"),
                rule("p", Some("P"), None, "40.0"),
                rule("ps", Some("P"), Some("信用评价"), "40.000"),
            ],
            ..PriceBook::default()
        };
        let day = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap_or_default();
        let gov = |p: &str, s: &str| {
            book.share_rule(p, s, day)
                .ok()
                .flatten()
                .map(|r| r.government_pct.to_string())
        };
        assert_eq!(gov("P", "信用评价").as_deref(), Some("40.000"));
        assert_eq!(gov("P", "其他").as_deref(), Some("40.0"));
        assert_eq!(gov("Q", "信用评价").as_deref(), Some("40.00"));
        assert_eq!(gov("Q", "其他").as_deref(), Some("40"));
        let before = NaiveDate::from_ymd_opt(2025, 12, 31).unwrap_or_default();
        assert!(
            book.share_rule("P", "信用评价", before)
                .ok()
                .flatten()
                .is_none()
        );
    }
}
