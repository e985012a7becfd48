//! Government-guided pricing records (S-5.1, S-5.2): pricing periods with
//! their maximum allowed revenue, caps, the operator's actual prices,
//! revenue-share rules and the sector regulators' costs. Rows are only
//! ever added; the newest row in force wins.

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `pricing_periods`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PricingPeriodRow {
    /// The year (one period per year)
    pub year: i64,
    /// Trial prices (before the first full operating year)
    pub trial: bool,
    /// Prior-year average 10-year treasury yield, percent (decimal text)
    pub treasury_yield_pct: String,
    /// Where the yield comes from
    pub yield_source: String,
    /// Points added, percent (decimal text)
    pub markup_pct: String,
    /// `operating_cost` or `effective_assets`
    pub profit_base: String,
    /// Cost survey and other inputs (JSON)
    pub inputs: String,
    /// The worked computation (JSON)
    pub breakdown: String,
    /// Overage of the previous year clawed back
    pub prior_overage_fen: i64,
    /// The maximum allowed revenue
    pub mar_fen: i64,
    /// Setting user
    pub set_by: String,
    /// Setting organisation
    pub set_org: String,
    /// When
    pub set_at: DateTime<Utc>,
}

/// A row of `price_caps`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceCapRow {
    /// Id
    pub id: String,
    /// Product
    pub product_id: String,
    /// Pricing year
    pub year: i64,
    /// Cap per billing unit
    pub cap_fen: i64,
    /// Forecast yearly units
    pub forecast_units: i64,
    /// The written report to the pricing authority and data bureau
    pub report_note: String,
    /// Setting user
    pub set_by: String,
    /// When
    pub set_at: DateTime<Utc>,
}

/// A row of `product_prices`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductPriceRow {
    /// Id
    pub id: String,
    /// Product
    pub product_id: String,
    /// First day in force (a month's first day)
    pub effective_from: NaiveDate,
    /// JSON tiers
    pub schedule: String,
    /// `operator` or `lowered_to_cap`
    pub origin: String,
    /// Setting user
    pub set_by: String,
    /// When
    pub set_at: DateTime<Utc>,
}

/// A row of `share_rules`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ShareRuleRow {
    /// Id
    pub id: String,
    /// Product, or none for any product
    pub product_id: Option<String>,
    /// Scenario, or none for any scenario
    pub scenario: Option<String>,
    /// First day in force
    pub effective_from: NaiveDate,
    /// Government share, percent
    pub government_pct: String,
    /// Operator share, percent
    pub operator_pct: String,
    /// Secondary-market share, percent
    pub market_pct: String,
    /// Setting user
    pub set_by: String,
    /// When
    pub set_at: DateTime<Utc>,
}

/// A row of `regulator_costs`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RegulatorCostRow {
    /// Id
    pub id: String,
    /// Month `YYYY-MM`
    pub month: String,
    /// The sector regulator
    pub regulator_org: String,
    /// Amount
    pub amount_fen: i64,
    /// What for
    pub memo: String,
    /// Recording user
    pub recorded_by: String,
    /// When
    pub recorded_at: DateTime<Utc>,
}

const PERIOD: &str = "year, trial, treasury_yield_pct, yield_source, markup_pct, profit_base, \
                      inputs, breakdown, prior_overage_fen, mar_fen, set_by, set_org, set_at";
const CAP: &str = "id, product_id, year, cap_fen, forecast_units, report_note, set_by, set_at";
const PRICE: &str = "id, product_id, effective_from, schedule, origin, set_by, set_at";
const SHARE: &str = "id, product_id, scenario, effective_from, government_pct, operator_pct, \
                     market_pct, set_by, set_at";
const COST: &str = "id, month, regulator_org, amount_fen, memo, recorded_by, recorded_at";

impl StoreTx {
    /// Inserts a pricing period; false when the year already has one
    pub async fn insert_pricing_period(
        &mut self,
        row: &PricingPeriodRow,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO pricing_periods ({PERIOD}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (year) DO NOTHING"
        );
        let n = on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(row.year)
                .bind(row.trial)
                .bind(&row.treasury_yield_pct)
                .bind(&row.yield_source)
                .bind(&row.markup_pct)
                .bind(&row.profit_base)
                .bind(&row.inputs)
                .bind(&row.breakdown)
                .bind(row.prior_overage_fen)
                .bind(row.mar_fen)
                .bind(&row.set_by)
                .bind(&row.set_org)
                .bind(micros(row.set_at))
                .execute(conn)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// All pricing periods, oldest first
    pub async fn list_pricing_periods(&mut self) -> Result<Vec<PricingPeriodRow>, StoreError> {
        let sql = format!("SELECT {PERIOD} FROM pricing_periods ORDER BY year");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a cap
    pub async fn insert_price_cap(&mut self, row: &PriceCapRow) -> Result<(), StoreError> {
        let sql = format!("INSERT INTO price_caps ({CAP}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)");
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.product_id)
                .bind(row.year)
                .bind(row.cap_fen)
                .bind(row.forecast_units)
                .bind(&row.report_note)
                .bind(&row.set_by)
                .bind(micros(row.set_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// All caps, oldest first (the newest per product and year is in force)
    pub async fn list_price_caps(&mut self) -> Result<Vec<PriceCapRow>, StoreError> {
        let sql = format!("SELECT {CAP} FROM price_caps ORDER BY year, set_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts an actual price
    pub async fn insert_product_price(&mut self, row: &ProductPriceRow) -> Result<(), StoreError> {
        let sql =
            format!("INSERT INTO product_prices ({PRICE}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.product_id)
                .bind(row.effective_from)
                .bind(&row.schedule)
                .bind(&row.origin)
                .bind(&row.set_by)
                .bind(micros(row.set_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// All actual prices, oldest first
    pub async fn list_product_prices(&mut self) -> Result<Vec<ProductPriceRow>, StoreError> {
        let sql = format!("SELECT {PRICE} FROM product_prices ORDER BY effective_from, set_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a share rule
    pub async fn insert_share_rule(&mut self, row: &ShareRuleRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO share_rules ({SHARE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.product_id)
                .bind(&row.scenario)
                .bind(row.effective_from)
                .bind(&row.government_pct)
                .bind(&row.operator_pct)
                .bind(&row.market_pct)
                .bind(&row.set_by)
                .bind(micros(row.set_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// All share rules, oldest first
    pub async fn list_share_rules(&mut self) -> Result<Vec<ShareRuleRow>, StoreError> {
        let sql = format!("SELECT {SHARE} FROM share_rules ORDER BY effective_from, set_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Inserts a regulator's cost
    pub async fn insert_regulator_cost(
        &mut self,
        row: &RegulatorCostRow,
    ) -> Result<(), StoreError> {
        let sql =
            format!("INSERT INTO regulator_costs ({COST}) VALUES ($1, $2, $3, $4, $5, $6, $7)");
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.month)
                .bind(&row.regulator_org)
                .bind(row.amount_fen)
                .bind(&row.memo)
                .bind(&row.recorded_by)
                .bind(micros(row.recorded_at))
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Regulators' costs, oldest first
    pub async fn list_regulator_costs(&mut self) -> Result<Vec<RegulatorCostRow>, StoreError> {
        let sql = format!("SELECT {COST} FROM regulator_costs ORDER BY month, recorded_at, id");
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
