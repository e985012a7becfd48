//! Caps and actual prices (S-5.1): the implementing agency's upper-limit
//! fee per product and year within the maximum allowed revenue, and the
//! operator's price at or under it.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use gongshu_domain::accounting::Month;
use gongshu_domain::pricing::schedule::check_caps_within;
use gongshu_domain::pricing::{PriceSchedule, Tier};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{PriceCapRow, ProductPriceRow, StoreTx};
use serde::{Deserialize, Serialize};

use super::state::{PriceBook, new_year, year_of};
use super::{field, internal, invalid, require_kind, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

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

pub(crate) fn cap_view(book: &PriceBook, c: &PriceCapRow) -> CapView {
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

pub(crate) fn price_view(book: &PriceBook, p: &ProductPriceRow) -> Result<PriceView, AppError> {
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
