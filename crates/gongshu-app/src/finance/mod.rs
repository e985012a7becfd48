//! Pricing, billing, revenue sharing, the separate account and the reports
//! built on them (S-5.1, S-5.2, S-5.3, S-6.2-6, S-6.6, S-7.2).
//!
//! Who does what:
//! - the pricing authority (发展改革部门) sets each year's maximum allowed
//!   revenue from the cost survey ([`pricing::set_pricing_period`]);
//! - the implementing agency sets caps within it, revenue-share rules and
//!   the sector regulators' costs ([`pricing::set_cap`],
//!   [`pricing::set_share_rule`], [`pricing::record_regulator_cost`]);
//! - the operator sets actual prices under the caps, issues monthly
//!   statements and credit notes, books costs, closes months and reports
//!   ([`pricing::set_price`], [`billing`], [`journal`], [`reports`]).
//!
//! Every one of these is an audited use case; the journal entry and the
//! audit record commit together or not at all.

pub mod billing;
mod books;
mod caps;
pub mod journal;
pub mod obligations;
pub mod payments;
pub mod pricing;
mod report_facts;
pub mod reports;
mod shares;
mod state;
pub mod xlsx;

use chrono::NaiveDate;
use gongshu_domain::{DomainError, OrgId, OrgKind, UserId};
use gongshu_policy::Resource;

use crate::error::{AppError, FieldError};
use crate::{Actor, App};

pub use state::PriceBook;

/// A price schedule in words, e.g. `0.80 元/次` or
/// `0.80 元/次（第 1–3 次），0.60 元/次（第 4 次起）`.
pub fn schedule_zh(s: &gongshu_domain::pricing::PriceSchedule, unit: &str) -> String {
    let tiers = s.tiers();
    if tiers.len() == 1 {
        return tiers
            .first()
            .map_or_else(String::new, |t| format!("{} 元/{unit}", t.unit_price));
    }
    tiers
        .iter()
        .enumerate()
        .map(|(i, t)| match tiers.get(i + 1) {
            Some(next) => format!(
                "{} 元/{unit}（每月第 {}–{} {unit}）",
                t.unit_price,
                t.from_units + 1,
                next.from_units
            ),
            None => format!(
                "{} 元/{unit}（每月第 {} {unit}起）",
                t.unit_price,
                t.from_units + 1
            ),
        })
        .collect::<Vec<_>>()
        .join("，")
}

/// Today's date in Asia/Shanghai by the app's clock.
pub(crate) fn today(app: &App) -> NaiveDate {
    crate::local_time::shanghai_today(app.clock().now())
}

pub(crate) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

/// A domain refusal of one input field: a 422 naming the field and the
/// rule.
pub(crate) fn invalid(field: &str, e: &impl DomainError) -> AppError {
    AppError::Validation(vec![FieldError::new(field, e.code(), e.message_zh())])
}

/// A plain field error.
pub(crate) fn field(name: &str, code: &str, message: &str) -> AppError {
    AppError::Validation(vec![FieldError::new(name, code, message)])
}

/// The workflow resource the policies decide on: `kind/id`, applied by
/// `applicant_org`.
pub(crate) fn workflow(
    actor: &Actor,
    kind: &str,
    id: &str,
    applicant_org: &str,
) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("{kind}/{id}"),
        applicant_org: OrgId::parse(applicant_org).map_err(internal)?,
        submitted_by: UserId::parse(&actor.user_id).map_err(internal)?,
        parties: vec![],
    })
}

/// Who may read prices, the journal and the statements of everyone: the
/// parties of pricing and supervision, and the operator itself (S-5.3:
/// audit and supervision).
pub fn reads_finance(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::ImplementingAgency
            | OrgKind::DataBureau
            | OrgKind::Operator
            | OrgKind::PricingAuthority
            | OrgKind::FinanceBureau
    )
}

/// Refuses anyone [`reads_finance`] does not admit.
pub(crate) fn require_reader(actor: &Actor) -> Result<(), AppError> {
    if reads_finance(actor) {
        return Ok(());
    }
    Err(AppError::Denied {
        code: "finance.not_a_reader",
        message: "专账、价格与账单仅向实施机构、数据管理部门、发展改革部门、财政部门和运营机构开放（S-5.3）".into(),
    })
}

/// Refuses anyone but the given kind of organisation.
pub(crate) fn require_kind(
    actor: &Actor,
    kind: OrgKind,
    code: &'static str,
) -> Result<(), AppError> {
    if actor.org_kind == kind {
        return Ok(());
    }
    Err(AppError::Denied {
        code,
        message: format!("此操作只能由{}办理", kind.label_zh()),
    })
}
