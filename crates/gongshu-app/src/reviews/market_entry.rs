//! Secondary-market entry (二级市场准入, S-3.3.2a/b): a participant submits
//! qualification, compliance and technical-security materials; the
//! implementing agency, the sector regulator of its sector, the operator
//! and a named data source unit review jointly; after all four approve the
//! participant signs the no-re-licensing undertaking (S-3.3.2b) and only
//! then is admitted.

use chrono::{DateTime, Utc};
use gongshu_domain::review::{
    JointReview, NO_RELICENSING_UNDERTAKING_VERSION, NO_RELICENSING_UNDERTAKING_ZH, PartyRole,
    ReviewKind, ReviewStatus, ReviewText,
};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, Sector, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{JointReviewRow, MarketEntryRow};
use serde::{Deserialize, Serialize};

use super::{DecisionInput, Loaded, ReviewView, follow_up, load, review_error, text, unique_org};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

const KIND: ReviewKind = ReviewKind::MarketEntry;
const RULE: &str = "S-3.3.2a";

/// Input of `create_market_entry`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewMarketEntry {
    /// Sector code; its regulator reviews.
    pub sector: String,
    /// Qualification materials (资质材料).
    pub qualification: String,
    /// Compliance materials (合规材料).
    pub compliance: String,
    /// Technical-security materials (技术安全材料).
    pub technical_security: String,
    /// Attachment references (附件编号).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The data source unit that reviews.
    pub data_source_org: String,
}

/// Input of `sign_undertaking`: the version of the text the signer read.
#[derive(Debug, Clone, Deserialize)]
pub struct SignUndertaking {
    /// Version of the undertaking text.
    pub version: String,
}

/// The signed undertaking as shown.
#[derive(Debug, Clone, Serialize)]
pub struct UndertakingView {
    /// Text version.
    pub version: String,
    /// Signer.
    pub signed_by: String,
    /// When.
    pub signed_at: DateTime<Utc>,
}

/// A market entry as shown.
#[derive(Debug, Clone, Serialize)]
pub struct MarketEntryView {
    /// Id.
    pub id: String,
    /// Sector code.
    pub sector: String,
    /// Qualification materials.
    pub qualification: String,
    /// Compliance materials.
    pub compliance: String,
    /// Technical-security materials.
    pub technical_security: String,
    /// Attachment references.
    pub attachments: Vec<String>,
    /// Reviewing data source unit.
    pub data_source_org: String,
    /// The joint review.
    pub review: ReviewView,
    /// The undertaking to sign (current version and text).
    pub undertaking_version: &'static str,
    /// Its text.
    pub undertaking_text: &'static str,
    /// The signed undertaking.
    pub undertaking: Option<UndertakingView>,
    /// Whether the participant is admitted (approved and signed).
    pub admitted: bool,
    /// When admitted.
    pub admitted_at: Option<DateTime<Utc>>,
}

fn view(loaded: &Loaded, e: MarketEntryRow) -> MarketEntryView {
    let undertaking = match (
        e.undertaking_version,
        e.undertaking_signed_by,
        e.undertaking_signed_at,
    ) {
        (Some(version), Some(signed_by), Some(signed_at)) => Some(UndertakingView {
            version,
            signed_by,
            signed_at,
        }),
        _ => None,
    };
    MarketEntryView {
        id: e.id,
        sector: e.sector,
        qualification: e.qualification,
        compliance: e.compliance,
        technical_security: e.technical_security,
        attachments: serde_json::from_str(&e.attachments).unwrap_or_default(),
        data_source_org: e.data_source_org,
        review: loaded.view(),
        undertaking_version: NO_RELICENSING_UNDERTAKING_VERSION,
        undertaking_text: NO_RELICENSING_UNDERTAKING_ZH,
        undertaking,
        admitted: e.admitted_at.is_some() && loaded.review.status() == ReviewStatus::Approved,
        admitted_at: e.admitted_at,
    }
}

/// Submits a market entry (提交二级市场准入申请). Only a participant applies.
pub async fn create_market_entry(
    app: &App,
    actor: &Actor,
    input: &NewMarketEntry,
) -> Result<MarketEntryView, AppError> {
    let mut errors = Vec::new();
    let qualification = text(
        &mut errors,
        "qualification",
        &input.qualification,
        ReviewText::LONG,
    );
    let compliance = text(
        &mut errors,
        "compliance",
        &input.compliance,
        ReviewText::LONG,
    );
    let technical = text(
        &mut errors,
        "technical_security",
        &input.technical_security,
        ReviewText::LONG,
    );
    let attachments: Vec<String> = input
        .attachments
        .iter()
        .filter_map(|a| text(&mut errors, "attachments", a, ReviewText::SHORT))
        .map(|a| a.as_str().to_owned())
        .collect();
    let sector = input
        .sector
        .parse::<Sector>()
        .map_err(|_| errors.push(FieldError::new("sector", "sector.unknown", "行业无效")))
        .ok();
    let source = OrgId::parse(input.data_source_org.trim())
        .map_err(|e| errors.push(FieldError::new("data_source_org", e.code(), e.message_zh())))
        .ok();
    let (Some(qualification), Some(compliance), Some(technical), Some(sector), Some(source)) =
        (qualification, compliance, technical, sector, source)
    else {
        return Err(AppError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let applicant = OrgId::parse(&actor.org_id).map_err(|e| AppError::Internal(e.to_string()))?;
    let by = UserId::parse(&actor.user_id).map_err(|e| AppError::Internal(e.to_string()))?;
    let orgs = {
        let mut tx = app.store().begin_read().await?;
        let orgs = tx.list_organisations().await?;
        tx.commit().await?;
        orgs
    };
    let agency = unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let regulator = unique_org(&orgs, OrgKind::SectorRegulator, Some(sector), RULE)?;
    let operator = unique_org(&orgs, OrgKind::Operator, None, RULE)?;
    let source_text = source.to_string();
    if !orgs
        .iter()
        .any(|o| o.id == source_text && o.kind == OrgKind::DataSourceUnit.as_str())
    {
        return Err(AppError::Validation(vec![FieldError::new(
            "data_source_org",
            "market_entry.not_data_source_unit",
            format!("须指定已登记的数源单位参与审核（{RULE}）"),
        )]));
    }
    let review = JointReview::submit(
        KIND,
        applicant,
        by,
        None,
        &[
            (super::org_id(&agency.id)?, PartyRole::ImplementingAgency),
            (super::org_id(&regulator.id)?, PartyRole::SectorRegulator),
            (super::org_id(&operator.id)?, PartyRole::Operator),
            (source, PartyRole::DataSourceUnit),
        ],
    )
    .map_err(|e| review_error(&e))?;
    let id = new_id();
    let resource = Resource::Workflow {
        id: format!("{}/{id}", KIND.as_str()),
        applicant_org: applicant,
        submitted_by: by,
        parties: review.parties().iter().map(|p| p.org).collect(),
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource)
        .await?;
    if actor.org_kind != OrgKind::Participant {
        return Err(AppError::Validation(vec![FieldError::new(
            "applicant",
            "market_entry.applicant_not_participant",
            format!("只有二级市场主体可以申请准入（{RULE}）"),
        )]));
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
            co_signer_org: None,
            co_signed_by: None,
            co_signed_at: None,
            status: review.status().as_str().to_owned(),
            closed_at: None,
            version: 1,
        })
        .await?;
        super::data_demand::insert_parties(tx, &id, &review).await?;
        tx.insert_market_entry(&MarketEntryRow {
            id: id.clone(),
            sector: sector.as_str().to_owned(),
            qualification: qualification.as_str().to_owned(),
            compliance: compliance.as_str().to_owned(),
            technical_security: technical.as_str().to_owned(),
            attachments: serde_json::to_string(&attachments)
                .map_err(|e| AppError::Internal(e.to_string()))?,
            data_source_org: source_text.clone(),
            undertaking_version: None,
            undertaking_signed_by: None,
            undertaking_signed_at: None,
            admitted_at: None,
        })
        .await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let event = AuditEvent::new("market_entry.submitted")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND.as_str(), &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": RULE,
            "sector": sector.as_str(),
            "attachments": attachments,
            "parties": review.parties().iter().map(|p| p.org.to_string()).collect::<Vec<_>>(),
        }));
    change.audit(event).await?.commit().await?;
    get_market_entry(app, actor, &id).await
}

/// A party decides a market entry (审核).
pub async fn decide_market_entry(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<MarketEntryView, AppError> {
    super::decide(app, actor, KIND, id, input).await?;
    get_market_entry(app, actor, id).await
}

/// The participant signs the no-re-licensing undertaking (签署不转授权承诺,
/// S-3.3.2b) after all four parties approved; this admits it.
pub async fn sign_undertaking(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &SignUndertaking,
) -> Result<MarketEntryView, AppError> {
    if input.version.trim() != NO_RELICENSING_UNDERTAKING_VERSION {
        return Err(AppError::Validation(vec![FieldError::new(
            "version",
            "undertaking.version_mismatch",
            format!(
                "承诺书版本不是现行版本 {NO_RELICENSING_UNDERTAKING_VERSION}，请阅读现行文本后签署（S-3.3.2b）"
            ),
        )]));
    }
    let loaded = {
        let mut tx = app.store().begin_read().await?;
        let l = load(&mut tx, KIND, id).await;
        tx.commit().await?;
        l?
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &loaded.resource()?)
        .await?;
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let fresh = load(tx, KIND, id).await?;
        if fresh.review.status() != ReviewStatus::Approved {
            return Err(AppError::Refused {
                code: "market_entry.not_approved",
                message: format!(
                    "准入申请须经实施机构、行业主管部门、运营机构和数源单位全部同意后方可签署承诺（{RULE}）"
                ),
            });
        }
        tx.sign_market_entry_undertaking(id, NO_RELICENSING_UNDERTAKING_VERSION, &actor.user_id, now)
            .await?;
        tx.update_joint_review(&fresh.row, fresh.row.version).await?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let event = AuditEvent::new("market_entry.undertaking_signed")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND.as_str(), id)
        .decided_by(decided.clone())
        .details(serde_json::json!({
            "rule": "S-3.3.2b",
            "version": NO_RELICENSING_UNDERTAKING_VERSION,
            "admitted": true,
        }));
    change.audit(event).await?.commit().await?;
    follow_up(
        app,
        AuditEvent::new("market_entry.admitted")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .target(KIND.as_str(), id)
            .decided_by(decided)
            .details(serde_json::json!({ "rule": RULE, "participant_org": actor.org_id })),
    )
    .await;
    get_market_entry(app, actor, id).await
}

/// One market entry, for the applicant, its parties and the supervisors.
pub async fn get_market_entry(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<MarketEntryView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let loaded = load(&mut tx, KIND, id).await?;
    if !loaded.visible_to(actor) {
        return Err(AppError::NotFound {
            what: "market_entry",
        });
    }
    let row = tx.get_market_entry(id).await?.ok_or(AppError::NotFound {
        what: "market_entry",
    })?;
    tx.commit().await?;
    Ok(view(&loaded, row))
}

/// The market entries the actor may see, oldest first.
pub async fn list_market_entries(
    app: &App,
    actor: &Actor,
) -> Result<Vec<MarketEntryView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for row in tx.list_joint_reviews(KIND.as_str()).await? {
        let loaded = load(&mut tx, KIND, &row.id).await?;
        if loaded.visible_to(actor)
            && let Some(e) = tx.get_market_entry(&row.id).await?
        {
            out.push(view(&loaded, e));
        }
    }
    tx.commit().await?;
    Ok(out)
}
