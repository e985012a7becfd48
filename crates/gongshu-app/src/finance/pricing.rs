//! Government-guided pricing as use cases (S-5.1, S-5.2, S-6.6): the
//! pricing period and its maximum allowed revenue, caps, actual prices,
//! revenue-share rules and the sector regulators' costs.

use chrono::{DateTime, Utc};
use gongshu_domain::accounting::Account;
use gongshu_domain::pricing::mar::{self, maximum_allowed_revenue};
use gongshu_domain::pricing::{
    CostCategory, MarBreakdown, MarInputs, ProfitBase, ProfitRule, RevenueAlert,
};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{PricingPeriodRow, StoreTx};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::state::PriceBook;
use super::{field, internal, invalid, journal, require_kind, require_reader, workflow};
use crate::{Actor, App, AppError, AuditEvent};

pub use super::caps::{CapView, NewCap, NewPrice, PriceView, set_cap, set_price};
use super::caps::{cap_view, price_view};
pub use super::shares::{
    NewRegulatorCost, NewShareRule, RegulatorCostView, ShareRuleView, record_regulator_cost,
    set_share_rule,
};

/// One cost-survey item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostItem {
    /// Category.
    pub category: CostCategory,
    /// Amount in fen.
    pub amount_fen: i64,
    /// What it covers.
    #[serde(default)]
    pub note: String,
}

/// Input of [`set_pricing_period`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewPricingPeriod {
    /// The year the maximum applies to.
    pub year: i64,
    /// Trial prices (试行收费标准): no complete operating year yet.
    #[serde(default)]
    pub trial: bool,
    /// Prior-year average 10-year treasury yield, percent.
    pub treasury_yield_pct: Decimal,
    /// Where that yield is published (e.g. 中债国债收益率曲线 年均值).
    pub yield_source: String,
    /// Points added to the yield (S-5.1: 6).
    pub markup_pct: Decimal,
    /// What the rate applies to.
    pub profit_base: ProfitBase,
    /// The cost survey.
    pub costs: Vec<CostItem>,
    /// Effective assets in fen (profit base `effective_assets`).
    #[serde(default)]
    pub effective_assets_fen: i64,
    /// Taxes in fen.
    pub taxes_fen: i64,
}

/// A pricing period as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    /// Year.
    pub year: i64,
    /// Trial prices.
    pub trial: bool,
    /// Treasury yield, percent.
    pub treasury_yield_pct: String,
    /// Its source.
    pub yield_source: String,
    /// Markup, percent.
    pub markup_pct: String,
    /// Profit base.
    pub profit_base: String,
    /// The cost survey.
    pub costs: Vec<CostItem>,
    /// The computation.
    pub breakdown: MarBreakdown,
    /// Fee revenue booked in the year so far (net of credit notes).
    pub revenue: Money,
    /// Alert against the maximum.
    pub alert: Option<RevenueAlert>,
    /// Chinese text of the alert.
    pub alert_zh: Option<&'static str>,
    /// When set.
    pub set_at: DateTime<Utc>,
}

/// Revenue at or above this share of the maximum raises the "near" alert.
pub const NEAR_PERCENT: u8 = 90;

/// Fee revenue booked in `year` (net of credit notes).
pub(crate) async fn revenue_of_year(tx: &mut StoreTx, year: i64) -> Result<Money, AppError> {
    let lines =
        journal::lines_between(tx, &format!("{year:04}-01"), &format!("{year:04}-12")).await?;
    let mut revenue = Money::ZERO;
    for l in lines.iter().filter(|l| l.account == Account::FeeRevenue) {
        revenue = revenue
            .checked_add(l.credit)
            .and_then(|r| r.checked_sub(l.debit))
            .map_err(internal)?;
    }
    Ok(revenue)
}

fn period_view(row: &PricingPeriodRow, revenue: Money) -> Result<PeriodView, AppError> {
    let breakdown: MarBreakdown = serde_json::from_str(&row.breakdown).map_err(internal)?;
    let costs: Vec<CostItem> = serde_json::from_str(&row.inputs)
        .ok()
        .and_then(|v: serde_json::Value| serde_json::from_value(v["costs"].clone()).ok())
        .unwrap_or_default();
    let alert = mar::revenue_alert(revenue, breakdown.maximum_allowed_revenue, NEAR_PERCENT);
    Ok(PeriodView {
        year: row.year,
        trial: row.trial,
        treasury_yield_pct: row.treasury_yield_pct.clone(),
        yield_source: row.yield_source.clone(),
        markup_pct: row.markup_pct.clone(),
        profit_base: row.profit_base.clone(),
        costs,
        breakdown,
        revenue,
        alert,
        alert_zh: alert.map(RevenueAlert::label_zh),
        set_at: row.set_at,
    })
}

fn code_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Sets a year's maximum allowed revenue from its cost survey (S-5.1).
/// The previous year's revenue above its maximum is clawed back.
///
/// # Errors
/// 422 naming the field for bad rates, amounts or text; 409 when the year
/// already has a period; 403 for anyone but the pricing authority.
pub async fn set_pricing_period(
    app: &App,
    actor: &Actor,
    input: &NewPricingPeriod,
) -> Result<PeriodView, AppError> {
    let year = input.year;
    let decided = app
        .authorize(
            actor,
            Action::PricingManage,
            &workflow(actor, "pricing_period", &year.to_string(), &actor.org_id)?,
        )
        .await?;
    require_kind(
        actor,
        OrgKind::PricingAuthority,
        "pricing.not_pricing_authority",
    )?;
    if !(2020..=2100).contains(&year) {
        return Err(field("year", "pricing.bad_year", "年度须在 2020–2100 之间"));
    }
    let source = input.yield_source.trim();
    if source.is_empty() || source.chars().count() > 200 {
        return Err(field(
            "yield_source",
            "pricing.source_required",
            "请注明国债收益率的来源（不超过 200 字）",
        ));
    }
    if input.costs.is_empty() || input.costs.len() > 100 {
        return Err(field(
            "costs",
            "pricing.costs_required",
            "请填写成本监审的成本项目（1–100 项）",
        ));
    }
    if input.costs.iter().any(|c| c.note.chars().count() > 200) {
        return Err(field(
            "costs",
            "pricing.note_too_long",
            "成本项目说明不超过 200 字",
        ));
    }
    let rule = ProfitRule {
        treasury_yield_pct: input.treasury_yield_pct,
        markup_pct: input.markup_pct,
        base: input.profit_base,
    };
    // The claw-back: last year's revenue above last year's maximum.
    let prior_overage = {
        let mut tx = app.store().begin_read().await?;
        let periods = tx.list_pricing_periods().await?;
        let over = match periods.iter().find(|p| p.year == year - 1) {
            Some(prev) => {
                let revenue = revenue_of_year(&mut tx, year - 1).await?;
                mar::overage(revenue, Money::from_fen(prev.mar_fen))
                    .map_err(|e| invalid("costs", &e))?
            }
            None => Money::ZERO,
        };
        tx.commit().await?;
        over
    };
    let inputs = MarInputs {
        costs: input
            .costs
            .iter()
            .map(|c| (c.category, Money::from_fen(c.amount_fen)))
            .collect(),
        effective_assets: Money::from_fen(input.effective_assets_fen),
        taxes: Money::from_fen(input.taxes_fen),
        prior_overage,
    };
    let breakdown = maximum_allowed_revenue(&rule, &inputs).map_err(|e| {
        let name = match &e {
            gongshu_domain::pricing::PricingError::Negative { field } => field,
            gongshu_domain::pricing::PricingError::RateOutOfRange { field } => field,
            _ => "costs",
        };
        invalid(name, &e)
    })?;
    let now = app.clock().now();
    let row = PricingPeriodRow {
        year,
        trial: input.trial,
        treasury_yield_pct: input.treasury_yield_pct.normalize().to_string(),
        yield_source: source.to_owned(),
        markup_pct: input.markup_pct.normalize().to_string(),
        profit_base: code_of(&input.profit_base),
        inputs: serde_json::json!({
            "costs": input.costs, "effective_assets_fen": input.effective_assets_fen,
            "taxes_fen": input.taxes_fen,
        })
        .to_string(),
        breakdown: serde_json::to_string(&breakdown).map_err(internal)?,
        prior_overage_fen: prior_overage.fen(),
        mar_fen: breakdown.maximum_allowed_revenue.fen(),
        set_by: actor.user_id.clone(),
        set_org: actor.org_id.clone(),
        set_at: now,
    };
    let ev = AuditEvent::new("pricing.period_set")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("pricing_period", &year.to_string())
        .decided_by(decided)
        .details(serde_json::json!({
            "trial": input.trial, "treasury_yield_pct": row.treasury_yield_pct,
            "yield_source": row.yield_source, "markup_pct": row.markup_pct,
            "profit_base": row.profit_base, "breakdown": breakdown,
        }));
    let mut change = app.begin().await?;
    match change.tx().insert_pricing_period(&row).await {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(AppError::Refused {
                code: "pricing.period_exists",
                message: format!("{year} 年度的最高准许收入已核定；周期不得重叠（S-5.1）"),
            });
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    change.audit(ev).await?.commit().await?;
    period_view(&row, Money::ZERO)
}

/// Everything about prices, for the dashboards and the portal.
#[derive(Debug, Clone, Serialize)]
pub struct PricingOverview {
    /// Pricing periods with revenue against the maximum.
    pub periods: Vec<PeriodView>,
    /// Caps in force per year and product.
    pub caps: Vec<CapView>,
    /// Every actual price ever set, oldest first.
    pub prices: Vec<PriceView>,
    /// Share rules, oldest first.
    pub share_rules: Vec<ShareRuleView>,
    /// Regulators' costs.
    pub regulator_costs: Vec<RegulatorCostView>,
}

/// The pricing overview.
///
/// # Errors
/// 403 for non-readers.
pub async fn overview(app: &App, actor: &Actor) -> Result<PricingOverview, AppError> {
    require_reader(actor)?;
    let mut tx = app.store().begin_read().await?;
    let book = PriceBook::load(&mut tx).await?;
    let mut periods = Vec::new();
    for p in book.periods.values() {
        let revenue = revenue_of_year(&mut tx, p.year).await?;
        periods.push(period_view(p, revenue)?);
    }
    let regulator_costs = tx.list_regulator_costs().await?;
    tx.commit().await?;
    let years: Vec<i64> = book.periods.keys().copied().collect();
    Ok(PricingOverview {
        periods,
        caps: years
            .iter()
            .flat_map(|y| book.caps_of_year(*y))
            .map(|c| cap_view(&book, c))
            .collect(),
        prices: book
            .prices
            .iter()
            .map(|p| price_view(&book, p))
            .collect::<Result<_, _>>()?,
        share_rules: book.shares.iter().map(ShareRuleView::from).collect(),
        regulator_costs: regulator_costs
            .iter()
            .map(RegulatorCostView::from)
            .collect(),
    })
}
