//! The public disclosure portal (S-7.2-1, 公开): who is authorized, for
//! what, in what scope and for how long; who holds data grants for which
//! purpose; how the data is used (counts from the audit log); and the
//! latest signed audit checkpoint anyone can verify offline. No login, and
//! nothing row-level: names of organisations and resources, dates, counts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::agreement::{AgreementStatus, ClausesInput};
use serde::Serialize;

use crate::App;
use crate::error::AppError;
use crate::inbox::shanghai_today;

/// One authorization agreement in force or ended.
#[derive(Debug, Clone, Serialize)]
pub struct Authorization {
    /// The operator (运营机构).
    pub operator: String,
    /// Status, Chinese.
    pub status: &'static str,
    /// First and last day.
    pub term_start: NaiveDate,
    /// Last day.
    pub term_end: NaiveDate,
    /// Signed on.
    pub signed_on: Option<NaiveDate>,
    /// Filed on (备案).
    pub filed_on: Option<NaiveDate>,
    /// Scope: the catalog text of clause 1.
    pub scope: String,
    /// Datasets authorized, by name.
    pub datasets: Vec<String>,
    /// Products and services (clause 3).
    pub products_and_services: String,
}

/// One data grant.
#[derive(Debug, Clone, Serialize)]
pub struct GrantItem {
    /// Who may use the data.
    pub grantee: String,
    /// Which resource.
    pub dataset: String,
    /// For what.
    pub purpose: String,
    /// From.
    pub valid_from: NaiveDate,
    /// Until.
    pub valid_until: NaiveDate,
    /// `有效`, `已撤销` or `已到期`.
    pub state: &'static str,
}

/// One usage figure.
#[derive(Debug, Clone, Serialize)]
pub struct Usage {
    /// What is counted, Chinese.
    pub label: &'static str,
    /// How many.
    pub count: i64,
}

/// The portal's content.
#[derive(Debug, Clone, Serialize)]
pub struct Portal {
    /// Authorization agreements (signed, filed, expired, terminated).
    pub authorizations: Vec<Authorization>,
    /// Data grants.
    pub grants: Vec<GrantItem>,
    /// Products and services on offer.
    pub products: Vec<ProductItem>,
    /// Annual disclosures, newest first.
    pub disclosures: Vec<Disclosure>,
    /// Usage statistics.
    pub usage: Vec<Usage>,
    /// Records in the audit log.
    pub audit_size: u64,
    /// The latest signed checkpoint (C2SP signed note).
    pub checkpoint: String,
    /// The verifier key of the checkpoint.
    pub vkey: String,
    /// When this page was put together.
    pub generated_at: DateTime<Utc>,
}

/// Audit actions counted on the portal.
const USAGE: &[(&str, &str)] = &[
    ("dataset.version_loaded", "数据加载（版本）"),
    ("sandbox.query", "可信数据空间查询"),
    ("sandbox.dp_budget_spent", "差分隐私查询（消耗预算）"),
    ("release.requested", "出域审核申请"),
    ("release.approved", "出域审核通过"),
    ("release.rejected", "出域审核驳回"),
    ("grant.created", "数据使用授权"),
    ("grant.revoked", "授权撤销"),
    ("product.called", "数据产品调用"),
];

/// An annual disclosure of the agency or the operator (§6.3, S-7.2-1).
#[derive(Debug, Clone, Serialize)]
pub struct Disclosure {
    /// Report id (its xlsx is at `/api/v1/public/disclosures/{id}/xlsx`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Year disclosed.
    pub year: i64,
    /// Day generated (Asia/Shanghai).
    pub generated_on: NaiveDate,
    /// SHA-256 of the content.
    pub sha256: String,
}

/// A product on offer (产品和服务清单, S-7.2-1).
#[derive(Debug, Clone, Serialize)]
pub struct ProductItem {
    /// Name.
    pub name: String,
    /// Kind in Chinese.
    pub kind: &'static str,
    /// What it answers.
    pub summary: String,
    /// The operator offering it.
    pub operator: String,
    /// Scenarios it serves.
    pub scenarios: Vec<String>,
    /// Use category in Chinese.
    pub category: &'static str,
    /// Actual price in force today, e.g. `0.50 元/次`, tiers joined, or
    /// `免费`.
    pub price: String,
    /// Upper-limit fee of this year, or `—` when none is set.
    pub cap: String,
    /// Registration code.
    pub registration_code: String,
    /// `已上架` or `已暂停`.
    pub status: &'static str,
}

/// Puts the portal together.
///
/// # Errors
/// Store and audit log errors.
pub async fn portal(app: &App) -> Result<Portal, AppError> {
    let now = app.clock().now();
    let today = shanghai_today(now);
    let mut tx = app.store().begin_read().await?;
    let orgs: BTreeMap<String, String> = tx
        .list_organisations()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let resources: BTreeMap<String, String> = tx
        .list_catalog_resources()
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let org = |id: &str| {
        orgs.get(id)
            .cloned()
            .unwrap_or_else(|| "（未知机构）".into())
    };
    let dataset = |id: &str| {
        resources
            .get(id)
            .cloned()
            .unwrap_or_else(|| "（未在资源目录中登记的数据）".into())
    };
    let mut authorizations = Vec::new();
    for a in tx.list_agreements().await? {
        let Ok(status) = a.status.parse::<AgreementStatus>() else {
            continue;
        };
        // Drafts and decisions in progress are not yet an authorization.
        if !(status.is_active()
            || matches!(
                status,
                AgreementStatus::Expired | AgreementStatus::Terminated
            ))
        {
            continue;
        }
        let clauses: ClausesInput = serde_json::from_str(&a.clauses).unwrap_or_default();
        authorizations.push(Authorization {
            operator: org(&a.operator_org_id),
            status: status.label_zh(),
            term_start: a.term_start,
            term_end: a.term_end,
            signed_on: a.signed_on,
            filed_on: a.filed_on,
            scope: clauses.data_scope.catalog.clone(),
            datasets: clauses
                .data_scope
                .dataset_ids
                .iter()
                .map(|d| dataset(d))
                .collect(),
            products_and_services: clauses.products_and_services,
        });
    }
    let grants = tx
        .list_all_data_grants()
        .await?
        .into_iter()
        .map(|g| GrantItem {
            grantee: org(&g.grantee_org),
            dataset: dataset(&g.dataset_id),
            purpose: g.purpose,
            valid_from: g.valid_from,
            valid_until: g.valid_until,
            state: if g.revoked_at.is_some() {
                "已撤销"
            } else if g.valid_until < today {
                "已到期"
            } else {
                "有效"
            },
        })
        .collect();
    let book = crate::finance::PriceBook::load(&mut tx).await?;
    let month = gongshu_domain::accounting::Month::of(today);
    let mut products = Vec::new();
    for row in tx.list_products().await? {
        let status = match row.status.as_str() {
            "listed" => "已上架",
            "suspended" => "已暂停",
            _ => continue,
        };
        let Ok(def) = crate::products::definition(&row) else {
            continue;
        };
        products.push(ProductItem {
            kind: def.kind.label_zh(),
            operator: org(&row.owner_org),
            category: def.category.label_zh(),
            price: if def.category.is_free() {
                "免费".into()
            } else {
                book.schedule_for(&row.id, month)
                    .map(|s| crate::finance::schedule_zh(&s, def.billing_unit.unit_zh()))
                    .unwrap_or_else(|_| format!("{} 元/{}", def.price, def.billing_unit.unit_zh()))
            },
            cap: book.cap(&row.id, i64::from(month.year())).map_or_else(
                || "—".to_owned(),
                |c| {
                    format!(
                        "{} 元/{}",
                        gongshu_domain::Money::from_fen(c.cap_fen),
                        def.billing_unit.unit_zh()
                    )
                },
            ),
            registration_code: row.registration_code.clone().unwrap_or_default(),
            status,
            name: def.name,
            summary: def.summary,
            scenarios: def.scenarios,
        });
    }
    let mut usage = Vec::with_capacity(USAGE.len());
    for (action, label) in USAGE {
        usage.push(Usage {
            label,
            count: tx.count_audit_action(action).await?,
        });
    }
    tx.commit().await?;
    let disclosures = crate::finance::reports::list(app, None)
        .await?
        .into_iter()
        .map(|r| Disclosure {
            title: r.doc.title,
            year: r.year,
            generated_on: shanghai_today(r.generated_at),
            sha256: r.sha256,
            id: r.id,
        })
        .collect();
    let ledger = std::sync::Arc::clone(app.ledger());
    let (checkpoint, size, vkey) =
        tokio::task::spawn_blocking(move || (ledger.checkpoint(), ledger.size(), ledger.vkey()))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Portal {
        authorizations,
        grants,
        products,
        disclosures,
        usage,
        audit_size: size,
        checkpoint: checkpoint.map_err(|e| AppError::Internal(e.to_string()))?,
        vkey,
        generated_at: now,
    })
}
