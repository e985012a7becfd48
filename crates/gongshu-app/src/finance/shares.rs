//! Revenue-share rules and the sector regulators' costs (S-5.2), set by the
//! implementing agency.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::accounting::Month;
use gongshu_domain::pricing::ShareRule;
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{RegulatorCostRow, ShareRuleRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{field, invalid, require_kind, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

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
