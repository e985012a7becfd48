//! Government-guided pricing as use cases (S-5.1, S-5.2, S-6.6): the
//! pricing period and its maximum allowed revenue, caps, actual prices,
//! revenue-share rules and the sector regulators' costs.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use gongshu_domain::accounting::{Account, Month};
use gongshu_domain::pricing::mar::{self, maximum_allowed_revenue};
use gongshu_domain::pricing::schedule::check_caps_within;
use gongshu_domain::pricing::{
    CostCategory, MarBreakdown, MarInputs, PriceSchedule, ProfitBase, ProfitRule, RevenueAlert,
    ShareRule, Tier,
};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{
    PriceCapRow, PricingPeriodRow, ProductPriceRow, RegulatorCostRow, ShareRuleRow, StoreTx,
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::state::{PriceBook, new_year, year_of};
use super::{field, internal, invalid, journal, require_kind, require_reader, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

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

/// Input of [`set_cap`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewCap {
    /// Product.
    pub product_id: String,
    /// Pricing year.
    pub year: i64,
    /// Cap per billing unit, in fen.
    pub cap_fen: i64,
    /// Forecast units in the year.
    pub forecast_units: i64,
    /// The written report to the pricing authority and the data bureau
    /// (document number and date).
    pub report_note: String,
}

/// A cap as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CapView {
    /// Id.
    pub id: String,
    /// Product.
    pub product_id: String,
    /// Product name.
    pub product_name: String,
    /// Year.
    pub year: i64,
    /// Cap per unit.
    pub cap: Money,
    /// Unit in Chinese.
    pub unit_zh: String,
    /// Forecast units.
    pub forecast_units: i64,
    /// Written report.
    pub report_note: String,
    /// When set.
    pub set_at: DateTime<Utc>,
    /// Actual prices lowered to this cap when it was set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lowered_price: Option<PriceSchedule>,
}

fn cap_view(book: &PriceBook, c: &PriceCapRow) -> CapView {
    let def = book.products.get(&c.product_id).map(|(_, d)| d);
    CapView {
        id: c.id.clone(),
        product_id: c.product_id.clone(),
        product_name: def.map(|d| d.name.clone()).unwrap_or_default(),
        year: c.year,
        cap: Money::from_fen(c.cap_fen),
        unit_zh: def
            .map(|d| format!("元/{}", d.billing_unit.unit_zh()))
            .unwrap_or_default(),
        forecast_units: c.forecast_units,
        report_note: c.report_note.clone(),
        set_at: c.set_at,
        lowered_price: None,
    }
}

/// Sets the upper-limit fee of a product for a year, within the maximum
/// allowed revenue, with the written report to the pricing authority and
/// the data bureau. An actual price above the new cap is lowered to it
/// (S-5.1: over-high fees are lowered).
///
/// # Errors
/// 422 for a negative cap, an empty report or caps above the maximum; 409
/// without a pricing period; 404 for an unknown product; 403 for anyone but
/// the implementing agency.
pub async fn set_cap(app: &App, actor: &Actor, input: &NewCap) -> Result<CapView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::PricingManage,
            &workflow(actor, "price_cap", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::ImplementingAgency, "pricing.not_agency")?;
    if input.cap_fen < 0 || input.forecast_units < 0 {
        return Err(field(
            "cap_fen",
            "pricing.negative_amount",
            "上限收费标准和预计用量不能为负数",
        ));
    }
    let note = input.report_note.trim();
    if note.is_empty() || note.chars().count() > 200 {
        return Err(field(
            "report_note",
            "pricing.report_required",
            "请填写向发展改革部门、数据管理部门书面报告的文号和日期（不超过 200 字）",
        ));
    }
    let book = {
        let mut tx = app.store().begin_read().await?;
        let b = PriceBook::load(&mut tx).await?;
        tx.commit().await?;
        b
    };
    let Some((_, def)) = book.products.get(&input.product_id) else {
        return Err(AppError::NotFound { what: "product" });
    };
    if def.category.is_free() && input.cap_fen != 0 {
        return Err(invalid(
            "cap_fen",
            &gongshu_domain::pricing::PricingError::FreeNotZero,
        ));
    }
    // A cap governs prices to come; an ended year's prices are history.
    if input.year < year_of(today(app)) {
        return Err(field(
            "year",
            "pricing.year_ended",
            "该年度已结束，上限收费标准只能为本年度或以后年度制定",
        ));
    }
    let Some(period) = book.periods.get(&input.year) else {
        return Err(AppError::Refused {
            code: "pricing.no_period",
            message: format!(
                "{} 年度的最高准许收入尚未核定，不能制定上限收费标准（S-5.1）",
                input.year
            ),
        });
    };
    let cap = Money::from_fen(input.cap_fen);
    let mut plan: Vec<(Money, u64)> = book
        .caps_of_year(input.year)
        .into_iter()
        .filter(|c| c.product_id != input.product_id)
        .map(|c| {
            (
                Money::from_fen(c.cap_fen),
                u64::try_from(c.forecast_units).unwrap_or(0),
            )
        })
        .collect();
    plan.push((cap, u64::try_from(input.forecast_units).unwrap_or(0)));
    check_caps_within(&plan, Money::from_fen(period.mar_fen))
        .map_err(|e| invalid("cap_fen", &e))?;
    let now = app.clock().now();
    let row = PriceCapRow {
        id: id.clone(),
        product_id: input.product_id.clone(),
        year: input.year,
        cap_fen: input.cap_fen,
        forecast_units: input.forecast_units,
        report_note: note.to_owned(),
        set_by: actor.user_id.clone(),
        set_at: now,
    };
    // The price in force from the later of the cap's first day and this
    // month's first day, lowered if above the cap.
    let from = new_year(input.year)
        .map(|d| d.max(Month::of(today(app)).first_day()))
        .ok_or_else(|| field("year", "pricing.bad_year", "年度无效"))?;
    let lowered = match book.price_row(&input.product_id, from) {
        Some(p) => {
            let s: PriceSchedule = serde_json::from_str(&p.schedule).map_err(internal)?;
            (s.highest() > cap).then(|| s.lowered_to(cap))
        }
        None => (def.price > cap)
            .then(|| PriceSchedule::flat(cap))
            .transpose()
            .map_err(internal)?,
    };
    let ev = AuditEvent::new("pricing.cap_set")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("product", &input.product_id)
        .decided_by(decided)
        .details(serde_json::json!({
            "cap_id": id, "year": input.year, "cap_fen": input.cap_fen,
            "forecast_units": input.forecast_units, "report_note": note,
            "reported_to": ["pricing_authority", "data_bureau"],
            "maximum_allowed_revenue_fen": period.mar_fen,
            "lowered_price": lowered,
        }));
    let mut change = app.begin().await?;
    let write = async |tx: &mut StoreTx| -> Result<(), AppError> {
        tx.insert_price_cap(&row).await?;
        if let Some(s) = &lowered {
            tx.insert_product_price(&ProductPriceRow {
                id: new_id(),
                product_id: input.product_id.clone(),
                effective_from: from,
                schedule: serde_json::to_string(s).map_err(internal)?,
                origin: "lowered_to_cap".into(),
                set_by: actor.user_id.clone(),
                set_at: now,
            })
            .await?;
        }
        Ok(())
    };
    if let Err(e) = write(change.tx()).await {
        change.abandon().await;
        return Err(e);
    }
    change.audit(ev).await?.commit().await?;
    let mut view = cap_view(&book, &row);
    view.lowered_price = lowered;
    Ok(view)
}

/// Input of [`set_price`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewPrice {
    /// Product.
    pub product_id: String,
    /// First day in force: the first day of this month or a later one.
    pub effective_from: NaiveDate,
    /// Tiers by monthly volume (one tier for a flat price).
    pub tiers: Vec<Tier>,
}

/// An actual price as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PriceView {
    /// Id.
    pub id: String,
    /// Product.
    pub product_id: String,
    /// Product name.
    pub product_name: String,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Tiers.
    pub schedule: PriceSchedule,
    /// `operator` or `lowered_to_cap`.
    pub origin: String,
    /// The cap of the year it starts in.
    pub cap: Option<Money>,
    /// When set.
    pub set_at: DateTime<Utc>,
}

fn price_view(book: &PriceBook, p: &ProductPriceRow) -> Result<PriceView, AppError> {
    Ok(PriceView {
        id: p.id.clone(),
        product_id: p.product_id.clone(),
        product_name: book
            .products
            .get(&p.product_id)
            .map(|(_, d)| d.name.clone())
            .unwrap_or_default(),
        effective_from: p.effective_from,
        schedule: serde_json::from_str(&p.schedule).map_err(internal)?,
        origin: p.origin.clone(),
        cap: book
            .cap(&p.product_id, year_of(p.effective_from))
            .map(|c| Money::from_fen(c.cap_fen)),
        set_at: p.set_at,
    })
}

/// Sets the operator's actual price of its product, at or under the cap
/// (S-5.1), from the first day of a month that has not passed.
///
/// # Errors
/// 422 naming the rule (above the cap, tiers, retroactive start, price on
/// free use); 409 without a cap; 404 for another operator's or an unknown
/// product; 403 for anyone but the operator.
pub async fn set_price(app: &App, actor: &Actor, input: &NewPrice) -> Result<PriceView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "product_price", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::Operator, "finance.not_operator")?;
    let schedule = PriceSchedule::new(input.tiers.clone()).map_err(|e| invalid("tiers", &e))?;
    if input.effective_from.day() != 1 || input.effective_from < Month::of(today(app)).first_day() {
        return Err(field(
            "effective_from",
            "pricing.retroactive",
            "价格自某月 1 日起执行，且不得早于本月（价格不溯及既往）",
        ));
    }
    let book = {
        let mut tx = app.store().begin_read().await?;
        let b = PriceBook::load(&mut tx).await?;
        tx.commit().await?;
        b
    };
    let Some((product, def)) = book.products.get(&input.product_id) else {
        return Err(AppError::NotFound { what: "product" });
    };
    if product.owner_org != actor.org_id {
        return Err(AppError::NotFound { what: "product" });
    }
    if def.category.is_free() {
        schedule.check_free().map_err(|e| invalid("tiers", &e))?;
    } else {
        let year = year_of(input.effective_from);
        let Some(cap) = book.cap(&input.product_id, year) else {
            return Err(AppError::Refused {
                code: "pricing.no_cap",
                message: format!(
                    "实施机构尚未制定该产品 {year} 年度的上限收费标准，不能定价（S-5.1）"
                ),
            });
        };
        schedule
            .check_cap(Money::from_fen(cap.cap_fen))
            .map_err(|e| invalid("tiers", &e))?;
    }
    let now = app.clock().now();
    let row = ProductPriceRow {
        id: id.clone(),
        product_id: input.product_id.clone(),
        effective_from: input.effective_from,
        schedule: serde_json::to_string(&schedule).map_err(internal)?,
        origin: "operator".into(),
        set_by: actor.user_id.clone(),
        set_at: now,
    };
    let ev = AuditEvent::new("pricing.price_set")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("product", &input.product_id)
        .decided_by(decided)
        .details(serde_json::json!({
            "price_id": id, "effective_from": input.effective_from, "tiers": schedule,
        }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_product_price(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    price_view(&book, &row)
}

/// Input of [`set_share_rule`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewShareRule {
    /// The product it applies to; none for any product.
    #[serde(default)]
    pub product_id: Option<String>,
    /// The scenario it applies to; none for any scenario.
    #[serde(default)]
    pub scenario: Option<String>,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Government share, percent.
    pub government_pct: Decimal,
    /// Operator share, percent.
    pub operator_pct: Decimal,
    /// Secondary-market share, percent.
    pub market_pct: Decimal,
}

/// A share rule as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ShareRuleView {
    /// Id.
    pub id: String,
    /// Product, or none for any product.
    pub product_id: Option<String>,
    /// Scenario, or none for any scenario.
    pub scenario: Option<String>,
    /// First day in force.
    pub effective_from: NaiveDate,
    /// Government share, percent.
    pub government_pct: String,
    /// Operator share, percent.
    pub operator_pct: String,
    /// Secondary-market share, percent.
    pub market_pct: String,
    /// When set.
    pub set_at: DateTime<Utc>,
}

impl From<&ShareRuleRow> for ShareRuleView {
    fn from(r: &ShareRuleRow) -> Self {
        Self {
            id: r.id.clone(),
            product_id: r.product_id.clone(),
            scenario: r.scenario.clone(),
            effective_from: r.effective_from,
            government_pct: r.government_pct.clone(),
            operator_pct: r.operator_pct.clone(),
            market_pct: r.market_pct.clone(),
            set_at: r.set_at,
        }
    }
}

/// A regulator's cost as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RegulatorCostView {
    /// Id.
    pub id: String,
    /// Month.
    pub month: String,
    /// The sector regulator.
    pub regulator_org: String,
    /// Amount.
    pub amount: Money,
    /// What for.
    pub memo: String,
    /// When recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<&RegulatorCostRow> for RegulatorCostView {
    fn from(r: &RegulatorCostRow) -> Self {
        Self {
            id: r.id.clone(),
            month: r.month.clone(),
            regulator_org: r.regulator_org.clone(),
            amount: Money::from_fen(r.amount_fen),
            memo: r.memo.clone(),
            recorded_at: r.recorded_at,
        }
    }
}

/// Sets a revenue-share rule (S-5.2).
///
/// # Errors
/// 422 when the shares do not sum to 100 % with two decimals; 404 for an
/// unknown product; 403 for anyone but the implementing agency.
pub async fn set_share_rule(
    app: &App,
    actor: &Actor,
    input: &NewShareRule,
) -> Result<ShareRuleView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::PricingManage,
            &workflow(actor, "share_rule", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::ImplementingAgency, "pricing.not_agency")?;
    let rule = ShareRule {
        government_pct: input.government_pct,
        operator_pct: input.operator_pct,
        market_pct: input.market_pct,
    };
    rule.validate().map_err(|e| invalid("government_pct", &e))?;
    if let Some(p) = &input.product_id {
        let mut tx = app.store().begin_read().await?;
        let versions = tx.list_product_versions(p).await?;
        tx.commit().await?;
        if versions.is_empty() {
            return Err(AppError::NotFound { what: "product" });
        }
    }
    let row = ShareRuleRow {
        id: id.clone(),
        product_id: input.product_id.clone(),
        scenario: input
            .scenario
            .as_deref()
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_owned),
        effective_from: input.effective_from,
        government_pct: input.government_pct.normalize().to_string(),
        operator_pct: input.operator_pct.normalize().to_string(),
        market_pct: input.market_pct.normalize().to_string(),
        set_by: actor.user_id.clone(),
        set_at: app.clock().now(),
    };
    let ev = AuditEvent::new("revenue_share.rule_set")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("share_rule", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "product_id": row.product_id, "scenario": row.scenario,
            "effective_from": row.effective_from,
            "government_pct": row.government_pct, "operator_pct": row.operator_pct,
            "market_pct": row.market_pct,
        }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_share_rule(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    Ok(ShareRuleView::from(&row))
}

/// Input of [`record_regulator_cost`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewRegulatorCost {
    /// Month `YYYY-MM` the cost belongs to.
    pub month: String,
    /// The sector regulator.
    pub regulator_org: String,
    /// Amount in fen.
    pub amount_fen: i64,
    /// What for.
    pub memo: String,
}

/// Records a sector regulator's cost of the month, paid from the
/// government's share of that month's revenue (S-5.2).
///
/// # Errors
/// 422 for a bad month, amount, memo or an organisation that is not a
/// sector regulator; 403 for anyone but the implementing agency.
pub async fn record_regulator_cost(
    app: &App,
    actor: &Actor,
    input: &NewRegulatorCost,
) -> Result<RegulatorCostView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::PricingManage,
            &workflow(actor, "regulator_cost", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::ImplementingAgency, "pricing.not_agency")?;
    let month = Month::parse(&input.month).map_err(|e| invalid("month", &e))?;
    if input.amount_fen <= 0 {
        return Err(field(
            "amount_fen",
            "pricing.negative_amount",
            "金额须为正数（分）",
        ));
    }
    let memo = input.memo.trim();
    if memo.is_empty() || memo.chars().count() > 200 {
        return Err(field(
            "memo",
            "accounting.memo_required",
            "请填写摘要（不超过 200 字）",
        ));
    }
    let mut tx = app.store().begin_read().await?;
    let org = tx.get_organisation(&input.regulator_org).await?;
    tx.commit().await?;
    if org.is_none_or(|o| o.kind != OrgKind::SectorRegulator.as_str()) {
        return Err(field(
            "regulator_org",
            "pricing.not_a_regulator",
            "请选择一个行业主管部门",
        ));
    }
    let row = RegulatorCostRow {
        id: id.clone(),
        month: month.to_string(),
        regulator_org: input.regulator_org.clone(),
        amount_fen: input.amount_fen,
        memo: memo.to_owned(),
        recorded_by: actor.user_id.clone(),
        recorded_at: app.clock().now(),
    };
    let ev = AuditEvent::new("revenue_share.regulator_cost_recorded")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("regulator_cost", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "month": row.month, "regulator_org": row.regulator_org,
            "amount_fen": row.amount_fen, "memo": row.memo,
        }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_regulator_cost(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    Ok(RegulatorCostView::from(&row))
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
