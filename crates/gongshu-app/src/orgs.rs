//! Organisations (机构): create, list, read.

use gongshu_domain::{CreditCode, DomainError as _, OrgId, OrgKind, OrgName, Sector};
use gongshu_policy::{Action, Resource};
use gongshu_store::OrganisationRow;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `create_organisation`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewOrganisation {
    /// Name.
    pub name: String,
    /// Kind code (`operator`, `data_source_unit`, …).
    pub kind: String,
    /// Sector code, required for sector regulators.
    pub sector: Option<String>,
    /// Unified social credit code.
    pub credit_code: Option<String>,
}

/// An organisation as shown to users.
#[derive(Debug, Clone, Serialize)]
pub struct OrganisationView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Kind code.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_label: String,
    /// Sector code.
    pub sector: Option<String>,
    /// Credit code.
    pub credit_code: Option<String>,
    /// Version.
    pub version: i64,
}

impl From<OrganisationRow> for OrganisationView {
    fn from(r: OrganisationRow) -> Self {
        let kind_label = r
            .kind
            .parse::<OrgKind>()
            .map(|k| k.label_zh().to_owned())
            .unwrap_or_default();
        Self {
            id: r.id,
            name: r.name,
            kind: r.kind,
            kind_label,
            sector: r.sector,
            credit_code: r.credit_code,
            version: r.version,
        }
    }
}

struct Parsed {
    name: OrgName,
    kind: OrgKind,
    sector: Option<Sector>,
    credit_code: Option<CreditCode>,
}

fn parse(input: &NewOrganisation) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let name = OrgName::parse(&input.name)
        .map_err(|e| errors.push(FieldError::new("name", "org_name.invalid", e.message_zh())))
        .ok();
    let kind = input
        .kind
        .parse::<OrgKind>()
        .map_err(|_| errors.push(FieldError::new("kind", "org_kind.unknown", "机构类型无效")))
        .ok();
    let sector = match input.sector.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse::<Sector>()
            .map_err(|_| errors.push(FieldError::new("sector", "sector.unknown", "行业无效")))
            .ok(),
        None => None,
    };
    if kind.is_some_and(|k| k.requires_sector()) && sector.is_none() {
        errors.push(FieldError::new(
            "sector",
            "sector.required",
            "行业主管部门必须填写所属行业",
        ));
    }
    let credit_code = match input
        .credit_code
        .as_deref()
        .filter(|s| !s.trim().is_empty())
    {
        Some(c) => CreditCode::parse(c)
            .map_err(|e| {
                errors.push(FieldError::new(
                    "credit_code",
                    "credit_code.invalid",
                    e.message_zh(),
                ))
            })
            .ok(),
        None => None,
    };
    match (name, kind) {
        (Some(name), Some(kind)) if errors.is_empty() => Ok(Parsed {
            name,
            kind,
            sector,
            credit_code,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Creates an organisation.
pub async fn create_organisation(
    app: &App,
    actor: &Actor,
    input: &NewOrganisation,
) -> Result<OrganisationView, AppError> {
    let p = parse(input)?;
    let id = new_id();
    let resource = Resource::Organisation {
        id: OrgId::parse(&id).map_err(|e| AppError::Internal(e.to_string()))?,
        kind: p.kind,
        sector: p.sector,
    };
    let decided = app.authorize(actor, Action::OrgCreate, &resource).await?;
    let row = OrganisationRow {
        id: id.clone(),
        name: p.name.as_str().to_owned(),
        kind: p.kind.as_str().to_owned(),
        sector: p.sector.map(|s| s.as_str().to_owned()),
        credit_code: p.credit_code.map(|c| c.as_str().to_owned()),
        created_at: app.clock().now(),
        version: 1,
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_organisation(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("org.created")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("organisation", &id)
        .decided_by(decided)
        .details(serde_json::json!({ "name": row.name, "kind": row.kind, "sector": row.sector }));
    change.audit(event).await?.commit().await?;
    Ok(row.into())
}

/// Lists organisations (every logged-in user may see who takes part).
pub async fn list_organisations(
    app: &App,
    _actor: &Actor,
) -> Result<Vec<OrganisationView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_organisations().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Into::into).collect())
}
