//! Derived assets (S-5.4): a register of models, algorithms and reports
//! the operator or a participant developed from public data. The owner
//! holds a limited IP right in the asset itself; the register links it to
//! the products and grants it came from, and nobody may claim the raw data.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gongshu_domain::{OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::DerivedAssetRow;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// The IP terms every registered asset carries (S-5.4).
pub const IP_TERMS_ZH: &str = "登记主体对该模型、算法或报告享有有限的知识产权；\
    不得据此主张对所用公共数据原始数据的任何权利，不得用于逆向还原原始数据。";

/// Input of [`register_asset`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewAsset {
    /// `model`, `algorithm` or `report`.
    pub kind: String,
    /// Name.
    pub name: String,
    /// What it is and does.
    pub description: String,
    /// Products it came from.
    #[serde(default)]
    pub products: Vec<String>,
    /// Grants it came from.
    #[serde(default)]
    pub grants: Vec<String>,
}

/// A registered asset.
#[derive(Debug, Clone, Serialize)]
pub struct AssetView {
    /// Id.
    pub id: String,
    /// Owner.
    pub owner_org: String,
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Products it came from.
    pub products: Vec<String>,
    /// Grants it came from.
    pub grants: Vec<String>,
    /// The IP terms.
    pub ip_terms: &'static str,
    /// When registered.
    pub registered_at: DateTime<Utc>,
}

fn view(r: DerivedAssetRow) -> AssetView {
    AssetView {
        products: serde_json::from_str(&r.products).unwrap_or_default(),
        grants: serde_json::from_str(&r.grants).unwrap_or_default(),
        id: r.id,
        owner_org: r.owner_org,
        kind: r.kind,
        name: r.name,
        description: r.description,
        ip_terms: IP_TERMS_ZH,
        registered_at: r.registered_at,
    }
}

/// Registers an asset of the caller's organisation (operator or
/// participant); every product and grant named must exist, and a grant
/// must be the caller's own.
///
/// # Errors
/// 422 naming the field; 403 for other organisation kinds.
pub async fn register_asset(
    app: &App,
    actor: &Actor,
    input: &NewAsset,
) -> Result<AssetView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &Resource::Workflow {
                id: format!("derived_asset/{id}"),
                applicant_org: OrgId::parse(&actor.org_id).map_err(super::internal)?,
                submitted_by: UserId::parse(&actor.user_id).map_err(super::internal)?,
                parties: vec![],
            },
        )
        .await?;
    if !matches!(actor.org_kind, OrgKind::Operator | OrgKind::Participant) {
        return Err(AppError::Denied {
            code: "derived_asset.owner_kind",
            message: "只有运营机构和二级市场主体登记衍生成果（S-5.4）".into(),
        });
    }
    let mut errors = Vec::new();
    if !matches!(input.kind.as_str(), "model" | "algorithm" | "report") {
        errors.push(FieldError::new(
            "kind",
            "derived_asset.kind",
            "类型须为 model（模型）、algorithm（算法）或 report（报告）",
        ));
    }
    if !(2..=100).contains(&input.name.trim().chars().count()) {
        errors.push(FieldError::new(
            "name",
            "derived_asset.name",
            "名称须为 2 至 100 个字",
        ));
    }
    if input.description.trim().is_empty() || input.description.chars().count() > 2000 {
        errors.push(FieldError::new(
            "description",
            "derived_asset.description",
            "请填写说明（不超过 2000 字）",
        ));
    }
    if input.products.is_empty() && input.grants.is_empty() {
        errors.push(FieldError::new(
            "products",
            "derived_asset.provenance",
            "须注明来源的数据产品或数据授权（至少一项）",
        ));
    }
    let mut tx = app.store().begin_read().await?;
    let grants: BTreeSet<String> = tx
        .list_data_grants(&actor.org_id)
        .await?
        .into_iter()
        .map(|g| g.id)
        .collect();
    for (i, p) in input.products.iter().enumerate() {
        if tx.list_product_versions(p).await?.is_empty() {
            errors.push(FieldError::new(
                &format!("products[{i}]"),
                "derived_asset.product_unknown",
                "没有这个数据产品",
            ));
        }
    }
    tx.commit().await?;
    for (i, g) in input.grants.iter().enumerate() {
        if !grants.contains(g) {
            errors.push(FieldError::new(
                &format!("grants[{i}]"),
                "derived_asset.grant_unknown",
                "不是本机构的数据授权",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let row = DerivedAssetRow {
        id: id.clone(),
        owner_org: actor.org_id.clone(),
        kind: input.kind.clone(),
        name: input.name.trim().to_owned(),
        description: input.description.trim().to_owned(),
        products: serde_json::to_string(&input.products).map_err(super::internal)?,
        grants: serde_json::to_string(&input.grants).map_err(super::internal)?,
        registered_by: actor.user_id.clone(),
        registered_at: app.clock().now(),
    };
    let ev = AuditEvent::new("derived_asset.registered")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("derived_asset", &id)
        .decided_by(decided)
        .details(serde_json::json!({ "kind": row.kind, "name": row.name,
            "products": input.products, "grants": input.grants }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_derived_asset(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    Ok(view(row))
}

/// The register: one's own assets; all for the implementing agency and
/// the data bureau.
///
/// # Errors
/// Store errors.
pub async fn list_assets(app: &App, actor: &Actor) -> Result<Vec<AssetView>, AppError> {
    let all = matches!(
        actor.org_kind,
        OrgKind::ImplementingAgency | OrgKind::DataBureau
    );
    let mut tx = app.store().begin_read().await?;
    let rows = tx
        .list_derived_assets((!all).then_some(actor.org_id.as_str()))
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
}
