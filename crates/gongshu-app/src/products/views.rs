//! Products as shown, subscriptions and their keys, and call records.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::OrgKind;
use gongshu_domain::product::{ProductDefinition, ProductStatus};
use gongshu_store::{ProductCallRow, ProductRow};
use serde::{Deserialize, Serialize};

use super::{definition, status};
use crate::api_keys::{IssuedApiKey, NewApiKey, issue_api_key};
use crate::error::AppError;
use crate::inbox::shanghai_today;
use crate::{Actor, App};

/// A review party.
#[derive(Debug, Clone, Serialize)]
pub struct PartyView {
    /// Organisation.
    pub org_id: String,
    /// `approval` or `compliance`.
    pub role: String,
}

/// A decision.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    /// Round.
    pub round: i64,
    /// Party.
    pub party_org: String,
    /// `approve` or `reject`.
    pub verdict: String,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// One version.
#[derive(Debug, Clone, Serialize)]
pub struct ProductVersionView {
    /// Version.
    pub version: i64,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: &'static str,
    /// Definition (the template only for the operator and reviewers).
    pub definition: ProductDefinition,
    /// Sector of the compliance review.
    pub sector: String,
    /// Submission round.
    pub review_round: i64,
    /// Automatic checks of the last submission.
    pub checks: Option<serde_json::Value>,
    /// Registration code.
    pub registration_code: Option<String>,
    /// First listed.
    pub listed_at: Option<DateTime<Utc>>,
    /// Review parties.
    pub parties: Vec<PartyView>,
    /// Decisions, all rounds.
    pub decisions: Vec<DecisionView>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A product with its versions.
#[derive(Debug, Clone, Serialize)]
pub struct ProductView {
    /// Product id.
    pub id: String,
    /// Operator.
    pub owner_org: String,
    /// Name (of the latest version).
    pub name: String,
    /// The version on offer, if any.
    pub offered_version: Option<i64>,
    /// Versions, oldest first.
    pub versions: Vec<ProductVersionView>,
}

/// Whether the caller sees drafts and templates: the operator and the
/// government parties that review or supervise.
fn insider(actor: &Actor) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::Operator
            | OrgKind::ImplementingAgency
            | OrgKind::DataBureau
            | OrgKind::SectorRegulator
    )
}

async fn version_view(
    app: &App,
    actor: &Actor,
    row: ProductRow,
) -> Result<ProductVersionView, AppError> {
    let mut def = definition(&row)?;
    if !insider(actor) {
        def.template = String::new();
    }
    let s = status(&row)?;
    let (parties, decisions) = {
        let mut tx = app.store().begin_read().await?;
        let p = tx.list_product_parties(&row.id, row.version).await?;
        let d = tx.list_product_decisions(&row.id, row.version).await?;
        tx.commit().await?;
        (p, d)
    };
    Ok(ProductVersionView {
        version: row.version,
        status: row.status,
        status_label: s.label_zh(),
        definition: def,
        sector: row.sector,
        review_round: row.review_round,
        checks: row.checks.and_then(|c| serde_json::from_str(&c).ok()),
        registration_code: row.registration_code,
        listed_at: row.listed_at,
        parties: parties
            .into_iter()
            .map(|p| PartyView {
                org_id: p.party_org,
                role: p.role,
            })
            .collect(),
        decisions: decisions
            .into_iter()
            .map(|d| DecisionView {
                round: d.round,
                party_org: d.party_org,
                verdict: d.verdict,
                reason: d.reason,
                decided_at: d.decided_at,
            })
            .collect(),
        updated_at: row.updated_at,
    })
}

async fn view(
    app: &App,
    actor: &Actor,
    rows: Vec<ProductRow>,
) -> Result<Option<ProductView>, AppError> {
    let visible: Vec<ProductRow> = rows
        .into_iter()
        .filter(|r| {
            insider(actor)
                || status(r)
                    .is_ok_and(|s| matches!(s, ProductStatus::Listed | ProductStatus::Suspended))
        })
        .collect();
    let Some(last) = visible.last() else {
        return Ok(None);
    };
    let id = last.id.clone();
    let owner_org = last.owner_org.clone();
    let name = definition(last)?.name;
    let offered_version = visible
        .iter()
        .find(|r| r.status == "listed" || r.status == "suspended")
        .map(|r| r.version);
    let mut versions = Vec::new();
    for r in visible {
        versions.push(version_view(app, actor, r).await?);
    }
    Ok(Some(ProductView {
        id,
        owner_org,
        name,
        offered_version,
        versions,
    }))
}

/// One product: every version for insiders, the offered one for others.
///
/// # Errors
/// 404 when there is nothing the caller may see.
pub async fn get_product(app: &App, actor: &Actor, id: &str) -> Result<ProductView, AppError> {
    let rows = {
        let mut tx = app.store().begin_read().await?;
        let r = tx.list_product_versions(id).await?;
        tx.commit().await?;
        r
    };
    view(app, actor, rows)
        .await?
        .ok_or(AppError::NotFound { what: "product" })
}

/// Every product the caller may see.
///
/// # Errors
/// Store errors.
pub async fn list_products(app: &App, actor: &Actor) -> Result<Vec<ProductView>, AppError> {
    let rows = {
        let mut tx = app.store().begin_read().await?;
        let r = tx.list_products().await?;
        tx.commit().await?;
        r
    };
    let mut by_id: std::collections::BTreeMap<String, Vec<ProductRow>> = Default::default();
    let mut order = Vec::new();
    for r in rows {
        if !by_id.contains_key(&r.id) {
            order.push(r.id.clone());
        }
        by_id.entry(r.id.clone()).or_default().push(r);
    }
    let mut out = Vec::new();
    for id in order {
        let mut rows = by_id.remove(&id).unwrap_or_default();
        rows.sort_by_key(|r| r.version);
        if let Some(v) = view(app, actor, rows).await? {
            out.push(v);
        }
    }
    Ok(out)
}

/// Input of [`issue_subscription_key`].
#[derive(Debug, Clone, Deserialize)]
pub struct SubscriptionKeyInput {
    /// Validity in days (1..=366); calls stop with the subscription anyway.
    pub valid_days: i64,
}

/// Issues an API key scoped to one live subscription of the caller's
/// organisation (organisation, product, scenario).
///
/// # Errors
/// 404 for a subscription of another organisation; 409 when it is not live.
pub async fn issue_subscription_key(
    app: &App,
    actor: &Actor,
    subscription_id: &str,
    input: &SubscriptionKeyInput,
) -> Result<IssuedApiKey, AppError> {
    let sub = {
        let mut tx = app.store().begin_read().await?;
        let s = tx.get_product_subscription(subscription_id).await?;
        tx.commit().await?;
        s
    }
    .filter(|s| s.subscriber_org == actor.org_id)
    .ok_or(AppError::NotFound {
        what: "subscription",
    })?;
    let today = shanghai_today(app.clock().now());
    if sub.revoked_at.is_some() || today > sub.valid_until {
        return Err(AppError::Refused {
            code: "product.subscription_not_live",
            message: "产品订阅已过期或已撤销，不能签发密钥".into(),
        });
    }
    issue_api_key(
        app,
        actor,
        &NewApiKey {
            org_id: actor.org_id.clone(),
            scope: format!("subscription:{}", sub.id),
            valid_days: input.valid_days,
        },
    )
    .await
}

/// A subscription as its participant sees it.
#[derive(Debug, Clone, Serialize)]
pub struct MySubscription {
    /// Id.
    pub id: String,
    /// Product.
    pub product_id: String,
    /// Scenario.
    pub scenario: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day.
    pub valid_until: NaiveDate,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Calls today (Asia/Shanghai).
    pub calls_today: i64,
    /// The product's daily quota, when it is on offer.
    pub daily_quota: Option<u32>,
}

/// The caller's organisation's product subscriptions, with today's use of
/// the quota.
///
/// # Errors
/// Store errors.
pub async fn list_my_subscriptions(
    app: &App,
    actor: &Actor,
) -> Result<Vec<MySubscription>, AppError> {
    let today = shanghai_today(app.clock().now());
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_product_subscriptions_of_org(&actor.org_id).await?;
    let mut out = Vec::with_capacity(rows.len());
    for s in rows {
        let calls_today = tx.count_product_calls(&s.id, today).await?;
        let daily_quota = super::offered(&mut tx, &s.product_id)
            .await?
            .and_then(|p| definition(&p).ok())
            .map(|d| d.daily_quota);
        out.push(MySubscription {
            id: s.id,
            product_id: s.product_id,
            scenario: s.scenario,
            valid_from: s.valid_from,
            valid_until: s.valid_until,
            revoked_at: s.revoked_at,
            calls_today,
            daily_quota,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// A metered call.
#[derive(Debug, Clone, Serialize)]
pub struct CallView {
    /// Call id.
    pub id: String,
    /// Product.
    pub product_id: String,
    /// Version.
    pub product_version: i64,
    /// Participant.
    pub participant_org: String,
    /// Scenario.
    pub scenario: String,
    /// When.
    pub called_at: DateTime<Utc>,
    /// Units.
    pub units: i64,
    /// Price per unit, fen.
    pub price_fen: i64,
}

impl From<ProductCallRow> for CallView {
    fn from(r: ProductCallRow) -> Self {
        Self {
            id: r.id,
            product_id: r.product_id,
            product_version: r.product_version,
            participant_org: r.participant_org,
            scenario: r.scenario,
            called_at: r.called_at,
            units: r.units,
            price_fen: r.price_fen,
        }
    }
}

/// The latest calls: a participant's own; every call for the operator,
/// the implementing agency and the data bureau.
///
/// # Errors
/// Store errors.
pub async fn list_my_calls(app: &App, actor: &Actor) -> Result<Vec<CallView>, AppError> {
    let all = matches!(
        actor.org_kind,
        OrgKind::Operator | OrgKind::ImplementingAgency | OrgKind::DataBureau
    );
    let mut tx = app.store().begin_read().await?;
    let rows = tx
        .list_product_calls((!all).then_some(actor.org_id.as_str()), 500)
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(CallView::from).collect())
}
