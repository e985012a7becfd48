//! Data demand (数据需求申请, S-4b): the operator applies for datasets and
//! columns for a scenario, the sector regulator of the scenario's sector
//! co-signs, and the implementing agency, the data bureau and every data
//! source unit concerned approve. Approval creates the data grants the
//! sandbox reads; anything less grants nothing.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::review::{ColumnName, JointReview, PartyRole, ReviewKind, ReviewText};
use gongshu_domain::{DatasetId, DomainError as _, OrgId, OrgKind, Sector, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{
    DataDemandItemRow, DataDemandRow, DataGrantRow, JointReviewRow, ReviewPartyRow, StoreTx,
};
use serde::{Deserialize, Serialize};

use super::{DecisionInput, Loaded, ReviewView, deny, load, review_error, text, unique_org};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

const KIND: ReviewKind = ReviewKind::DataDemand;
const RULE: &str = "S-4b";

/// One requested dataset.
#[derive(Debug, Clone, Deserialize)]
pub struct DatasetRequest {
    /// Dataset id.
    pub dataset_id: String,
    /// The data source unit that provides it (named by the applicant until
    /// the data vault knows the catalogue).
    pub provider_org: String,
    /// Column names requested (minimum and necessary).
    pub columns: Vec<String>,
}

/// Input of `create_data_demand`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDataDemand {
    /// Scenario (应用场景), one line.
    pub scenario: String,
    /// Purpose of use (用途).
    pub purpose: String,
    /// Sector code of the scenario; its regulator co-signs.
    pub sector: String,
    /// First day of validity (`YYYY-MM-DD`).
    pub valid_from: String,
    /// Last day of validity (`YYYY-MM-DD`).
    pub valid_until: String,
    /// Datasets and columns.
    pub datasets: Vec<DatasetRequest>,
}

/// A requested dataset as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetRequestView {
    /// Dataset id.
    pub dataset_id: String,
    /// Provider.
    pub provider_org: String,
    /// Columns.
    pub columns: Vec<String>,
}

/// A data grant (数据使用授权) as shown.
#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    /// Id.
    pub id: String,
    /// Organisation allowed to use the data.
    pub grantee_org: String,
    /// Dataset.
    pub dataset_id: String,
    /// Provider.
    pub provider_org: String,
    /// Columns.
    pub columns: Vec<String>,
    /// Purpose.
    pub purpose: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day.
    pub valid_until: NaiveDate,
    /// The approved demand.
    pub source_demand: String,
    /// When created.
    pub created_at: DateTime<Utc>,
    /// When revoked.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<DataGrantRow> for GrantView {
    fn from(g: DataGrantRow) -> Self {
        Self {
            columns: serde_json::from_str(&g.columns).unwrap_or_default(),
            id: g.id,
            grantee_org: g.grantee_org,
            dataset_id: g.dataset_id,
            provider_org: g.provider_org,
            purpose: g.purpose,
            valid_from: g.valid_from,
            valid_until: g.valid_until,
            source_demand: g.source_demand,
            created_at: g.created_at,
            revoked_at: g.revoked_at,
        }
    }
}

/// A data demand as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DataDemandView {
    /// Id.
    pub id: String,
    /// Scenario.
    pub scenario: String,
    /// Purpose.
    pub purpose: String,
    /// Sector code.
    pub sector: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// Datasets requested.
    pub datasets: Vec<DatasetRequestView>,
    /// The joint review.
    pub review: ReviewView,
    /// Grants created by the approval (empty until approved).
    pub grants: Vec<GrantView>,
}

struct Parsed {
    scenario: ReviewText,
    purpose: ReviewText,
    sector: Sector,
    valid_from: NaiveDate,
    valid_until: NaiveDate,
    datasets: Vec<(DatasetId, OrgId, Vec<ColumnName>)>,
}

fn parse(input: &NewDataDemand) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let scenario = text(&mut errors, "scenario", &input.scenario, ReviewText::SHORT);
    let purpose = text(&mut errors, "purpose", &input.purpose, ReviewText::LONG);
    let sector = input
        .sector
        .parse::<Sector>()
        .map_err(|_| errors.push(FieldError::new("sector", "sector.unknown", "行业无效")))
        .ok();
    let mut date = |field: &str, raw: &str| {
        NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
            .map_err(|_| {
                errors.push(FieldError::new(
                    field,
                    "date.invalid",
                    "日期格式应为 YYYY-MM-DD",
                ))
            })
            .ok()
    };
    let valid_from = date("valid_from", &input.valid_from);
    let valid_until = date("valid_until", &input.valid_until);
    if let (Some(f), Some(u)) = (valid_from, valid_until)
        && f > u
    {
        errors.push(FieldError::new(
            "valid_until",
            "data_demand.validity_reversed",
            "有效期截止日不能早于起始日",
        ));
    }
    if input.datasets.is_empty() {
        errors.push(FieldError::new(
            "datasets",
            "data_demand.no_datasets",
            format!("须至少申请一个数据集（{RULE}）"),
        ));
    }
    let mut datasets = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, d) in input.datasets.iter().enumerate() {
        let field = |name: &str| format!("datasets[{i}].{name}");
        let dataset = DatasetId::parse(d.dataset_id.trim())
            .map_err(|e| {
                errors.push(FieldError::new(
                    &field("dataset_id"),
                    e.code(),
                    e.message_zh(),
                ))
            })
            .ok();
        if let Some(id) = dataset
            && !seen.insert(id)
        {
            errors.push(FieldError::new(
                &field("dataset_id"),
                "data_demand.duplicate_dataset",
                "同一数据集只能申请一次",
            ));
        }
        let provider = OrgId::parse(d.provider_org.trim())
            .map_err(|e| {
                errors.push(FieldError::new(
                    &field("provider_org"),
                    e.code(),
                    e.message_zh(),
                ))
            })
            .ok();
        let mut columns = Vec::new();
        let mut seen_columns = BTreeSet::new();
        if d.columns.is_empty() {
            errors.push(FieldError::new(
                &field("columns"),
                "data_demand.no_columns",
                format!("须列明申请的字段（最小必要，{RULE}）"),
            ));
        }
        for c in &d.columns {
            match ColumnName::parse(c) {
                Ok(c) if seen_columns.insert(c.clone()) => columns.push(c),
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(&field("columns"), e.code(), e.message_zh())),
            }
        }
        if let (Some(dataset), Some(provider)) = (dataset, provider) {
            datasets.push((dataset, provider, columns));
        }
    }
    match (scenario, purpose, sector, valid_from, valid_until) {
        (Some(scenario), Some(purpose), Some(sector), Some(valid_from), Some(valid_until))
            if errors.is_empty() =>
        {
            Ok(Parsed {
                scenario,
                purpose,
                sector,
                valid_from,
                valid_until,
                datasets,
            })
        }
        _ => Err(AppError::Validation(errors)),
    }
}

fn parse_actor(actor: &Actor) -> Result<(OrgId, UserId), AppError> {
    Ok((
        OrgId::parse(&actor.org_id).map_err(|e| AppError::Internal(e.to_string()))?,
        UserId::parse(&actor.user_id).map_err(|e| AppError::Internal(e.to_string()))?,
    ))
}

/// Submits a data demand (提交数据需求申请). Only an operator applies; the
/// sector regulator of the scenario's sector must co-sign before review.
pub async fn create_data_demand(
    app: &App,
    actor: &Actor,
    input: &NewDataDemand,
) -> Result<DataDemandView, AppError> {
    let p = parse(input)?;
    let (applicant, by) = parse_actor(actor)?;
    let id = new_id();
    let orgs = {
        let mut tx = app.store().begin_read().await?;
        let orgs = tx.list_organisations().await?;
        tx.commit().await?;
        orgs
    };
    let regulator = unique_org(&orgs, OrgKind::SectorRegulator, Some(p.sector), RULE)?;
    let agency = unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let bureau = unique_org(&orgs, OrgKind::DataBureau, None, RULE)?;
    let mut parties = vec![
        (super::org_id(&agency.id)?, PartyRole::ImplementingAgency),
        (super::org_id(&bureau.id)?, PartyRole::DataBureau),
    ];
    let mut errors = Vec::new();
    for (i, (_, provider, _)) in p.datasets.iter().enumerate() {
        let provider_text = provider.to_string();
        if orgs
            .iter()
            .any(|o| o.id == provider_text && o.kind == OrgKind::DataSourceUnit.as_str())
        {
            parties.push((*provider, PartyRole::DataSourceUnit));
        } else {
            errors.push(FieldError::new(
                &format!("datasets[{i}].provider_org"),
                "data_demand.provider_not_data_source_unit",
                format!("数据提供单位须为已登记的数源单位（{RULE}）"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let review = JointReview::submit(
        KIND,
        applicant,
        by,
        Some(super::org_id(&regulator.id)?),
        &parties,
    )
    .map_err(|e| review_error(&e))?;
    let resource = Resource::Workflow {
        id: format!("{}/{id}", KIND.as_str()),
        applicant_org: applicant,
        submitted_by: by,
        parties: review.parties().iter().map(|p| p.org).collect(),
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource)
        .await?;
    if actor.org_kind != OrgKind::Operator {
        return Err(deny_kind(
            app,
            actor,
            &id,
            "data_demand.applicant_not_operator",
            "只有运营机构可以提出数据需求申请（S-4b）",
        )
        .await);
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        tx.insert_joint_review(&JointReviewRow {
            id: id.clone(),
            kind: KIND.as_str().to_owned(),
            applicant_org: actor.org_id.clone(),
            submitted_by: actor.user_id.clone(),
            submitted_at: now,
            co_signer_org: Some(regulator.id.clone()),
            co_signed_by: None,
            co_signed_at: None,
            status: review.status().as_str().to_owned(),
            closed_at: None,
            version: 1,
        })
        .await?;
        insert_parties(tx, &id, &review).await?;
        tx.insert_data_demand(&DataDemandRow {
            id: id.clone(),
            scenario: p.scenario.as_str().to_owned(),
            purpose: p.purpose.as_str().to_owned(),
            sector: p.sector.as_str().to_owned(),
            valid_from: p.valid_from,
            valid_until: p.valid_until,
        })
        .await?;
        for (i, (dataset, provider, columns)) in p.datasets.iter().enumerate() {
            let columns: Vec<&str> = columns.iter().map(ColumnName::as_str).collect();
            tx.insert_data_demand_item(&DataDemandItemRow {
                demand_id: id.clone(),
                dataset_id: dataset.to_string(),
                provider_org: provider.to_string(),
                columns: serde_json::to_string(&columns)
                    .map_err(|e| AppError::Internal(e.to_string()))?,
                position: i64::try_from(i).unwrap_or(i64::MAX),
            })
            .await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let event = AuditEvent::new("data_demand.submitted")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND.as_str(), &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": RULE,
            "scenario": p.scenario.as_str(),
            "sector": p.sector.as_str(),
            "co_signer_org": regulator.id,
            "parties": review.parties().iter().map(|p| p.org.to_string()).collect::<Vec<_>>(),
            "datasets": p.datasets.iter().map(|(d, _, c)| serde_json::json!({
                "dataset_id": d.to_string(),
                "columns": c.iter().map(ColumnName::as_str).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "valid_from": p.valid_from,
            "valid_until": p.valid_until,
        }));
    change.audit(event).await?.commit().await?;
    get_data_demand(app, actor, &id).await
}

async fn deny_kind(
    app: &App,
    actor: &Actor,
    id: &str,
    code: &'static str,
    message: &str,
) -> AppError {
    let event = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND.as_str(), id)
        .outcome("denied")
        .details(serde_json::json!({ "action": Action::WorkflowSubmit.as_str(), "rule": code, "message": message }));
    if let Err(e) = app.record(event).await {
        return e;
    }
    AppError::Forbidden {
        action: Action::WorkflowSubmit.as_str().to_owned(),
        policy_ids: vec![code.to_owned()],
    }
}

pub(super) async fn insert_parties(
    tx: &mut StoreTx,
    id: &str,
    review: &JointReview,
) -> Result<(), AppError> {
    for (i, party) in review.parties().iter().enumerate() {
        tx.insert_review_party(&ReviewPartyRow {
            review_id: id.to_owned(),
            party_org: party.org.to_string(),
            roles: party
                .roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(","),
            position: i64::try_from(i).unwrap_or(i64::MAX),
        })
        .await?;
    }
    Ok(())
}

/// The sector regulator co-signs (会签) a submitted data demand (S-4b: the
/// operator and the sector regulator apply jointly). Authorized as a
/// `workflow.submit` on the regulator's side.
pub async fn co_sign_data_demand(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<DataDemandView, AppError> {
    let loaded = read(app, id).await?;
    let co_signer = loaded
        .review
        .co_signer_org()
        .ok_or_else(|| AppError::Internal("data demand without co-signer".into()))?;
    let resource = Resource::Workflow {
        id: format!("{}/{id}", KIND.as_str()),
        applicant_org: co_signer,
        submitted_by: loaded.review.submitted_by(),
        parties: loaded.review.parties().iter().map(|p| p.org).collect(),
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource)
        .await?;
    let (org, by) = parse_actor(actor)?;
    if let Err(e) = loaded.review.clone().co_sign(org, by) {
        return Err(match e {
            gongshu_domain::review::ReviewError::WrongCoSigner { .. } => {
                deny(app, actor, Action::WorkflowSubmit, (KIND.as_str(), id), &e).await
            }
            other => review_error(&other),
        });
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut fresh = load(tx, KIND, id).await?;
        fresh
            .review
            .co_sign(org, by)
            .map_err(|e| review_error(&e))?;
        let mut row = fresh.row.clone();
        row.status = fresh.review.status().as_str().to_owned();
        row.co_signed_by = Some(actor.user_id.clone());
        row.co_signed_at = Some(now);
        tx.update_joint_review(&row, fresh.row.version).await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let event = AuditEvent::new("data_demand.cosigned")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND.as_str(), id)
        .decided_by(decided)
        .details(serde_json::json!({ "rule": RULE }));
    change.audit(event).await?.commit().await?;
    get_data_demand(app, actor, id).await
}

/// A party decides a data demand (审核). On the last approval the grants
/// are created in the same transaction.
pub async fn decide_data_demand(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<DataDemandView, AppError> {
    super::decide(app, actor, KIND, id, input).await?;
    get_data_demand(app, actor, id).await
}

/// Creates one grant per requested dataset of an approved demand.
pub(super) async fn create_grants(
    tx: &mut StoreTx,
    app: &App,
    id: &str,
    grantee_org: &str,
) -> Result<Vec<DataGrantRow>, AppError> {
    let demand = tx.get_data_demand(id).await?.ok_or(AppError::NotFound {
        what: "data_demand",
    })?;
    let now = app.clock().now();
    let mut out = Vec::new();
    for item in tx.list_data_demand_items(id).await? {
        let row = DataGrantRow {
            id: new_id(),
            grantee_org: grantee_org.to_owned(),
            dataset_id: item.dataset_id,
            provider_org: item.provider_org,
            columns: item.columns,
            purpose: demand.purpose.clone(),
            valid_from: demand.valid_from,
            valid_until: demand.valid_until,
            source_demand: id.to_owned(),
            created_at: now,
            revoked_at: None,
        };
        tx.insert_data_grant(&row).await?;
        out.push(row);
    }
    Ok(out)
}

async fn read(app: &App, id: &str) -> Result<Loaded, AppError> {
    let mut tx = app.store().begin_read().await?;
    let l = load(&mut tx, KIND, id).await;
    tx.commit().await?;
    l
}

async fn view(tx: &mut StoreTx, loaded: &Loaded) -> Result<DataDemandView, AppError> {
    let id = &loaded.row.id;
    let demand = tx.get_data_demand(id).await?.ok_or(AppError::NotFound {
        what: "data_demand",
    })?;
    let datasets = tx
        .list_data_demand_items(id)
        .await?
        .into_iter()
        .map(|i| DatasetRequestView {
            columns: serde_json::from_str(&i.columns).unwrap_or_default(),
            dataset_id: i.dataset_id,
            provider_org: i.provider_org,
        })
        .collect();
    let grants = tx
        .list_data_grants_of_demand(id)
        .await?
        .into_iter()
        .map(GrantView::from)
        .collect();
    Ok(DataDemandView {
        id: id.clone(),
        scenario: demand.scenario,
        purpose: demand.purpose,
        sector: demand.sector,
        valid_from: demand.valid_from,
        valid_until: demand.valid_until,
        datasets,
        review: loaded.view(),
        grants,
    })
}

/// One data demand, for the applicant side, its parties and the
/// supervising agency and bureau.
pub async fn get_data_demand(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<DataDemandView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let loaded = load(&mut tx, KIND, id).await?;
    if !loaded.visible_to(actor) {
        return Err(AppError::NotFound {
            what: "data_demand",
        });
    }
    let v = view(&mut tx, &loaded).await?;
    tx.commit().await?;
    Ok(v)
}

/// The data demands the actor may see, oldest first.
pub async fn list_data_demands(app: &App, actor: &Actor) -> Result<Vec<DataDemandView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for row in tx.list_joint_reviews(KIND.as_str()).await? {
        let loaded = load(&mut tx, KIND, &row.id).await?;
        if loaded.visible_to(actor) {
            out.push(view(&mut tx, &loaded).await?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The data grants of an organisation: for itself and for the supervising
/// implementing agency and data bureau.
pub async fn list_grants(app: &App, actor: &Actor, org: &str) -> Result<Vec<GrantView>, AppError> {
    OrgId::parse(org).map_err(|e| {
        AppError::Validation(vec![FieldError::new("org", e.code(), e.message_zh())])
    })?;
    let allowed = actor.org_id == org
        || matches!(
            actor.org_kind,
            OrgKind::ImplementingAgency | OrgKind::DataBureau
        );
    if !allowed {
        // Refusals are audited like every policy denial.
        app.record(
            AuditEvent::new("authz.denied")
                .actor(&actor.user_id, &actor.org_id, actor.role_codes())
                .outcome("denied")
                .details(serde_json::json!({ "action": "grant.read", "org": org })),
        )
        .await?;
        return Err(AppError::Forbidden {
            action: "grant.read".into(),
            policy_ids: Vec::new(),
        });
    }
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_data_grants(org).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(GrantView::from).collect())
}
