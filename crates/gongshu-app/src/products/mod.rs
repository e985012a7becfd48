//! Data products and services (数据产品和服务, S-3.3.4-3): the operator
//! drafts a versioned definition, the platform checks its template with
//! the sandbox's plan rules, the implementing agency approves and the
//! sector regulator and the data bureau review compliance; an approved
//! version is registered and listed, and served through the audited
//! product API (`call`) to admitted participants with a live subscription
//! and, for products about one subject, the subject's live consent.

mod alerts;
mod assets;
mod call;
mod consent;
mod hot;
mod limits;
mod meter;
mod review;
mod stats;
mod template;
mod trace;
mod views;

use chrono::{DateTime, Utc};
use gongshu_domain::product::{
    ParamType, ProductCommand, ProductDefinition, ProductError, ProductStatus, SubjectIdKind,
};
use gongshu_domain::{DomainError, OrgId, OrgKind, Sector, UserId};
use gongshu_ledger::RetentionClass;
use gongshu_policy::{Action, Resource};
use gongshu_store::{ProductRow, StoreTx};
use serde::Deserialize;

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

pub use alerts::{AlertView, relicensing_signals};
pub use assets::{AssetView, IP_TERMS_ZH, NewAsset, list_assets, register_asset};
pub use call::{CallInput, CallOutput, call_product};
pub use consent::{
    ConsentView, NewConsent, RevokeConsent, list_consents, record_consent, revoke_consent,
};
pub use hot::HotFacts;
pub use limits::CallWindows;
pub use meter::Meter;
pub use review::{ProductDecision, decide_product};
pub use stats::{CallStats, ProductCalls, call_statistics};
pub use template::Baseline;
pub use trace::{TraceView, trace_output};
pub use views::{
    CallView, DecisionView, PartyView, ProductVersionView, ProductView, SubscriptionKeyInput,
    get_product, issue_subscription_key, list_my_calls, list_my_subscriptions, list_products,
};

/// What the workflow items of products are called in policies and audit.
const KIND: &str = "product";

/// A draft as the operator submits it: the definition and the sector
/// whose regulator reviews compliance.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductInput {
    /// The definition.
    #[serde(flatten)]
    pub definition: ProductDefinition,
    /// Sector code (e.g. `finance`).
    pub sector: String,
}

/// A status change with its reason (suspension, retirement).
#[derive(Debug, Clone, Deserialize)]
pub struct StatusChange {
    /// Why (required to suspend or retire).
    #[serde(default)]
    pub reason: Option<String>,
}

fn product_error(e: &ProductError) -> AppError {
    match e {
        ProductError::Transition { .. } => AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        },
        _ => AppError::Validation(vec![FieldError::new(&e.field(), e.code(), e.message_zh())]),
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

pub(crate) fn definition(row: &ProductRow) -> Result<ProductDefinition, AppError> {
    serde_json::from_str(&row.definition).map_err(internal)
}

pub(crate) fn status(row: &ProductRow) -> Result<ProductStatus, AppError> {
    ProductStatus::ALL
        .iter()
        .copied()
        .find(|s| s.as_str() == row.status)
        .ok_or_else(|| internal(format!("unknown product status {}", row.status)))
}

/// The product as a workflow item: applied for by its operator, submitted
/// by its drafter (so the drafter never approves it).
fn resource(row: &ProductRow, parties: Vec<OrgId>) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("{KIND}/{}", row.id),
        applicant_org: OrgId::parse(&row.owner_org).map_err(internal)?,
        submitted_by: UserId::parse(&row.created_by).map_err(internal)?,
        parties,
    })
}

/// Only the operator offers products (S-3.3.4-3); a refusal is audited.
async fn require_operator(app: &App, actor: &Actor, id: &str) -> Result<(), AppError> {
    if actor.org_kind == OrgKind::Operator {
        return Ok(());
    }
    let e = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, id)
        .outcome("denied")
        .details(serde_json::json!({ "action": "workflow.submit", "rule": "S-3.3.4-3" }));
    app.record(e).await?;
    Err(AppError::Denied {
        code: "product.owner_not_operator",
        message: "只有运营机构可以开发和提供数据产品（S-3.3.4-3）".into(),
    })
}

fn check_input(input: &ProductInput) -> Result<Sector, AppError> {
    input.definition.validate().map_err(|e| product_error(&e))?;
    input.sector.parse::<Sector>().map_err(|_| {
        AppError::Validation(vec![FieldError::new(
            "sector",
            "product.sector_unknown",
            "请选择产品所属行业（由该行业主管部门审核合规性）",
        )])
    })
}

/// The latest version of a product.
pub(crate) async fn latest(tx: &mut StoreTx, id: &str) -> Result<ProductRow, AppError> {
    tx.list_product_versions(id)
        .await?
        .pop()
        .ok_or(AppError::NotFound { what: "product" })
}

/// The version on offer (listed or suspended), if any.
pub(crate) async fn offered(tx: &mut StoreTx, id: &str) -> Result<Option<ProductRow>, AppError> {
    Ok(tx
        .list_product_versions(id)
        .await?
        .into_iter()
        .find(|r| r.status == "listed" || r.status == "suspended"))
}

fn new_row(
    id: &str,
    version: i64,
    actor: &Actor,
    input: &ProductInput,
    now: DateTime<Utc>,
) -> Result<ProductRow, AppError> {
    Ok(ProductRow {
        id: id.to_owned(),
        version,
        owner_org: actor.org_id.clone(),
        definition: serde_json::to_string(&input.definition).map_err(internal)?,
        sector: input.sector.clone(),
        status: ProductStatus::Draft.as_str().to_owned(),
        created_by: actor.user_id.clone(),
        created_at: now,
        review_round: 0,
        submitted_at: None,
        checks: None,
        registration_code: None,
        listed_at: None,
        updated_at: now,
        revision: 1,
    })
}

/// Writes `row` (new or changed from `expected`) with its audit event.
async fn save(
    app: &App,
    row: &ProductRow,
    expected: Option<i64>,
    event: AuditEvent,
    extra: impl AsyncFnOnce(&mut StoreTx) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        match expected {
            None => tx.insert_product(row).await?,
            Some(rev) => tx.update_product(row, rev).await?,
        }
        extra(tx).await
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    change.audit(event).await?.commit().await?;
    Ok(())
}

fn event(
    action: &'static str,
    actor: &Actor,
    row: &ProductRow,
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, &row.id)
        .decided_by(decided)
        .details(serde_json::json!({ "version": row.version, "status": row.status }))
}

/// Drafts a new product (version 1) for the operator.
///
/// # Errors
/// 422 naming the field; 403 for anyone but the operator's case officers.
pub async fn create_product(
    app: &App,
    actor: &Actor,
    input: &ProductInput,
) -> Result<ProductView, AppError> {
    let id = new_id();
    require_operator(app, actor, &id).await?;
    let now = app.clock().now();
    let row = new_row(&id, 1, actor, input, now)?;
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource(&row, vec![])?)
        .await?;
    check_input(input)?;
    let mut ev = event("product.drafted", actor, &row, decided);
    ev.details["name"] = input.definition.name.clone().into();
    save(app, &row, None, ev, async |_| Ok(())).await?;
    get_product(app, actor, &id).await
}

/// Replaces the definition of the product's draft version.
///
/// # Errors
/// As [`create_product`]; 409 when the latest version is not a draft.
pub async fn update_draft(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ProductInput,
) -> Result<ProductView, AppError> {
    let current = {
        let mut tx = app.store().begin_read().await?;
        let r = latest(&mut tx, id).await;
        tx.commit().await?;
        r?
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource(&current, vec![])?)
        .await?;
    require_operator(app, actor, id).await?;
    if !status(&current)?.editable() {
        return Err(AppError::Refused {
            code: "product.not_draft",
            message: "只有草稿可以修改；已批准或已上架的产品请新建版本，重新审核（S-3.3.4-3）"
                .into(),
        });
    }
    check_input(input)?;
    let mut row = current.clone();
    row.definition = serde_json::to_string(&input.definition).map_err(internal)?;
    row.sector.clone_from(&input.sector);
    row.updated_at = app.clock().now();
    let ev = event("product.draft_changed", actor, &row, decided);
    save(app, &row, Some(current.revision), ev, async |_| Ok(())).await?;
    get_product(app, actor, id).await
}

/// Starts a new version from the latest approved, listed or suspended
/// one, with a changed definition: it is a draft and is reviewed again.
///
/// # Errors
/// As [`create_product`]; 409 when the latest version is a draft or in
/// review, or retired.
pub async fn new_version(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ProductInput,
) -> Result<ProductView, AppError> {
    let current = {
        let mut tx = app.store().begin_read().await?;
        let r = latest(&mut tx, id).await;
        tx.commit().await?;
        r?
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource(&current, vec![])?)
        .await?;
    require_operator(app, actor, id).await?;
    if !matches!(
        status(&current)?,
        ProductStatus::Approved | ProductStatus::Listed | ProductStatus::Suspended
    ) {
        return Err(AppError::Refused {
            code: "product.version_not_allowed",
            message: "只有已批准、已上架或已暂停的产品可以新建版本".into(),
        });
    }
    check_input(input)?;
    let row = new_row(id, current.version + 1, actor, input, app.clock().now())?;
    let ev = event("product.version_drafted", actor, &row, decided);
    save(app, &row, None, ev, async |_| Ok(())).await?;
    get_product(app, actor, id).await
}

/// Sample values for the automatic check: each parameter's first allowed
/// value, and a well-formed subject (it is not a placeholder, so its value
/// does not change the SQL).
fn samples(def: &ProductDefinition) -> std::collections::BTreeMap<String, serde_json::Value> {
    def.params
        .iter()
        .map(|p| {
            let v = match &p.ty {
                ParamType::Integer { min, .. } => serde_json::json!(min),
                ParamType::Choice { values } => serde_json::json!(values.first()),
                ParamType::Month => serde_json::json!("2026-01"),
                ParamType::Subject { id_kind } => serde_json::json!(match id_kind {
                    SubjectIdKind::CreditCode => "91130630MA0A1B2C39",
                    SubjectIdKind::ResidentId => "11010519491231002X",
                    SubjectIdKind::Account => "SAMPLE-0001",
                }),
            };
            (p.name.clone(), v)
        })
        .collect()
}

/// Submits the draft for review after the automatic checks: the template,
/// bound to sample values, must pass the sandbox's plan rules (R2, R3) on
/// the operator's own granted tables, without reading data.
///
/// # Errors
/// 422 naming the broken rule or the dataset not granted; 409 when the
/// latest version is not a draft.
pub async fn submit_product(app: &App, actor: &Actor, id: &str) -> Result<ProductView, AppError> {
    let current = {
        let mut tx = app.store().begin_read().await?;
        let r = latest(&mut tx, id).await;
        tx.commit().await?;
        r?
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource(&current, vec![])?)
        .await?;
    require_operator(app, actor, id).await?;
    let next = status(&current)?
        .apply(ProductCommand::Submit)
        .map_err(|e| product_error(&e))?;
    let def = definition(&current)?;
    let checks = template::check_template(app, &current.owner_org, &def, &samples(&def)).await?;
    let parties = review::parties(app, &current).await?;
    let now = app.clock().now();
    let mut row = current.clone();
    row.status = next.as_str().to_owned();
    row.review_round += 1;
    row.submitted_at = Some(now);
    row.checks = Some(checks.to_string());
    row.updated_at = now;
    let mut ev = event("product.submitted", actor, &row, decided);
    ev.details["round"] = row.review_round.into();
    ev.details["checks"] = checks;
    let first = current.review_round == 0;
    save(app, &row, Some(current.revision), ev, async |tx| {
        if first {
            for p in &parties {
                tx.insert_product_party(p).await?;
            }
        }
        Ok(())
    })
    .await?;
    get_product(app, actor, id).await
}

/// Lists (上架) the approved version: it is registered (a registration
/// code, REQUIREMENTS §6.5) and replaces any version offered before.
///
/// # Errors
/// 409 when no version is approved.
pub async fn list_product(app: &App, actor: &Actor, id: &str) -> Result<ProductView, AppError> {
    let (current, previous) = {
        let mut tx = app.store().begin_read().await?;
        let c = latest(&mut tx, id).await;
        let p = offered(&mut tx, id).await;
        tx.commit().await?;
        (c?, p?)
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource(&current, vec![])?)
        .await?;
    require_operator(app, actor, id).await?;
    let next = status(&current)?
        .apply(ProductCommand::List)
        .map_err(|e| product_error(&e))?;
    let now = app.clock().now();
    let mut row = current.clone();
    row.status = next.as_str().to_owned();
    row.listed_at = Some(now);
    row.updated_at = now;
    let day = crate::inbox::shanghai_today(now).format("%Y%m%d");
    // The random tail of the id (UUID v7 ids begin with their time).
    let hex: Vec<char> = id.chars().filter(char::is_ascii_hexdigit).collect();
    let short: String = hex[hex.len().saturating_sub(12)..].iter().collect();
    row.registration_code = Some(format!("GSDP-{day}-{short}-V{}", row.version).to_uppercase());
    let mut ev = event("product.listed", actor, &row, decided);
    ev.details["registration_code"] = row.registration_code.clone().into();
    if let Some(p) = &previous {
        ev.details["replaces_version"] = p.version.into();
    }
    save(app, &row, Some(current.revision), ev, async |tx| {
        if let Some(p) = previous {
            let mut retired = p.clone();
            retired.status = ProductStatus::Retired.as_str().to_owned();
            retired.updated_at = now;
            tx.update_product(&retired, p.revision).await?;
        }
        Ok(())
    })
    .await?;
    get_product(app, actor, id).await
}

/// Suspends, resumes or retires the product's offered (or latest) version:
/// by the operator, or by the implementing agency (governance, S-3.3.4-3).
///
/// # Errors
/// 422 without a reason to suspend or retire; 409 when not allowed now.
pub async fn change_status(
    app: &App,
    actor: &Actor,
    id: &str,
    command: ProductCommand,
    input: &StatusChange,
) -> Result<ProductView, AppError> {
    let current = {
        let mut tx = app.store().begin_read().await?;
        let offered = offered(&mut tx, id).await;
        let latest = latest(&mut tx, id).await;
        tx.commit().await?;
        match offered? {
            Some(o) => o,
            None => latest?,
        }
    };
    let action = if actor.org_kind == OrgKind::ImplementingAgency {
        Action::GovernanceManage
    } else {
        Action::WorkflowSubmit
    };
    let decided = app
        .authorize(actor, action, &resource(&current, vec![])?)
        .await?;
    if action == Action::WorkflowSubmit {
        require_operator(app, actor, id).await?;
    }
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default();
    if command != ProductCommand::Resume && (reason.is_empty() || reason.chars().count() > 500) {
        return Err(AppError::Validation(vec![FieldError::new(
            "reason",
            "product.reason_required",
            "请填写原因（不超过 500 字）",
        )]));
    }
    let next = status(&current)?
        .apply(command)
        .map_err(|e| product_error(&e))?;
    let mut row = current.clone();
    row.status = next.as_str().to_owned();
    row.updated_at = app.clock().now();
    let action_code = match command {
        ProductCommand::Suspend => "product.suspended",
        ProductCommand::Resume => "product.resumed",
        _ => "product.retired",
    };
    let mut ev = event(action_code, actor, &row, decided).class(RetentionClass::Governance);
    ev.details["reason"] = reason.into();
    save(app, &row, Some(current.revision), ev, async |_| Ok(())).await?;
    get_product(app, actor, id).await
}
