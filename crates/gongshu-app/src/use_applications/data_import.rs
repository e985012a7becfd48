//! External data import (外部数据导入, S-6.2-3, S-3.3.4-3): the operator or
//! an admitted participant applies to bring lawfully obtained enterprise or
//! personal data into the trusted space; the implementing agency alone
//! decides; approval creates a pending import naming the applicant as the
//! owner of the future dataset, with its own classification, for the vault
//! to load.
//!
//! Audit action codes (stable): `data_import.submitted`,
//! `data_import.decided`; follow-ups `data_import.approved`,
//! `data_import.rejected`, `pending_import.created`.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::data_import::{
    DataImportError, ImportDecider, ImportStatus, LegalBasis, REVIEW_RULE, RULE, SensitivityGrade,
    check_personal_information, decide_import,
};
use gongshu_domain::deadline::{Obligation, due_in_working_days};
use gongshu_domain::review::{ReviewText, Verdict};
use gongshu_domain::{DatasetId, DomainError as _, OrgKind, WorkingDayCalendar};
use gongshu_policy::{Action, Resource};
use gongshu_store::{DataImportRow, PendingImportRow, StoreTx};
use serde::{Deserialize, Serialize};

use super::support::{Follow, actor_ids, deny, org_id, to_json, user_id};
use crate::error::{AppError, FieldError};
use crate::reviews::{DecisionInput, text, unique_org};
use crate::{Actor, App, AuditEvent, new_id};

const KIND: &str = "data_import";

/// Input of `create_data_import`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewDataImport {
    /// What the data is and where it comes from.
    pub description: String,
    /// `consent`, `contract` or `law`.
    pub legal_basis: String,
    /// Consent or legal-basis reference (required with personal information).
    #[serde(default)]
    pub legal_basis_reference: Option<String>,
    /// Data categories (数据类别).
    pub data_categories: Vec<String>,
    /// Whether personal information is included.
    pub personal_information: bool,
    /// `general`, `important` or `core` (GB/T 43697-2024).
    pub sensitivity: String,
    /// Dataset ids it will be fused with.
    pub fuse_with: Vec<String>,
}

/// A pending import (待导入数据) as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PendingImportView {
    /// Id of the future dataset.
    pub id: String,
    /// The approved import.
    pub import_id: String,
    /// Owner of the future dataset (the applicant).
    pub owner_org: String,
    /// Its classification.
    pub sensitivity: String,
    /// Whether it holds personal information.
    pub personal_information: bool,
    /// `pending` until loaded.
    pub status: String,
    /// When created.
    pub created_at: DateTime<Utc>,
}

impl From<PendingImportRow> for PendingImportView {
    fn from(p: PendingImportRow) -> Self {
        Self {
            id: p.id,
            import_id: p.import_id,
            owner_org: p.owner_org,
            sensitivity: p.sensitivity,
            personal_information: p.personal_information == 1,
            status: p.status,
            created_at: p.created_at,
        }
    }
}

/// An import application as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DataImportView {
    /// Id.
    pub id: String,
    /// Applicant.
    pub applicant_org: String,
    /// Submitting user.
    pub submitted_by: String,
    /// When submitted.
    pub submitted_at: DateTime<Utc>,
    /// Description.
    pub description: String,
    /// Legal basis code.
    pub legal_basis: String,
    /// Consent or legal-basis reference.
    pub legal_basis_reference: Option<String>,
    /// Data categories.
    pub data_categories: Vec<String>,
    /// Whether personal information is included.
    pub personal_information: bool,
    /// Sensitivity grade code.
    pub sensitivity: String,
    /// Datasets to fuse with.
    pub fuse_with: Vec<String>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Deciding user.
    pub decided_by: Option<String>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Reason or opinion.
    pub reason: Option<String>,
    /// The pending import an approval created.
    pub pending_import: Option<PendingImportView>,
}

struct Parsed {
    description: ReviewText,
    legal_basis: LegalBasis,
    reference: Option<ReviewText>,
    categories: Vec<String>,
    sensitivity: SensitivityGrade,
    fuse_with: Vec<String>,
}

fn parse(input: &NewDataImport) -> Result<Parsed, AppError> {
    let mut errors = Vec::new();
    let description = text(
        &mut errors,
        "description",
        &input.description,
        ReviewText::LONG,
    );
    let legal_basis = input
        .legal_basis
        .trim()
        .parse::<LegalBasis>()
        .map_err(|e| {
            errors.push(FieldError::new(
                "legal_basis",
                e.code(),
                "合法来源依据须为 consent、contract 或 law",
            ))
        })
        .ok();
    let reference = input
        .legal_basis_reference
        .as_deref()
        .filter(|r| !r.trim().is_empty())
        .and_then(|r| text(&mut errors, "legal_basis_reference", r, ReviewText::SHORT));
    if let Err(e) = check_personal_information(input.personal_information, reference.as_ref()) {
        errors.push(FieldError::new(
            "legal_basis_reference",
            e.code(),
            e.message_zh(),
        ));
    }
    if input.data_categories.is_empty() {
        errors.push(FieldError::new(
            "data_categories",
            "data_import.no_categories",
            format!("须列明导入数据的类别（{RULE}）"),
        ));
    }
    let categories: Vec<String> = input
        .data_categories
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            text(
                &mut errors,
                &format!("data_categories[{i}]"),
                c,
                ReviewText::SHORT,
            )
        })
        .map(|c| c.as_str().to_owned())
        .collect();
    let sensitivity = input
        .sensitivity
        .trim()
        .parse::<SensitivityGrade>()
        .map_err(|e| {
            errors.push(FieldError::new(
                "sensitivity",
                e.code(),
                "数据分级须为 general、important 或 core",
            ))
        })
        .ok();
    if input.fuse_with.is_empty() {
        errors.push(FieldError::new(
            "fuse_with",
            "data_import.no_datasets",
            format!("须列明拟融合计算的数据集（{RULE}）"),
        ));
    }
    let mut fuse_with = Vec::new();
    for (i, d) in input.fuse_with.iter().enumerate() {
        match DatasetId::parse(d.trim()) {
            Ok(d) if !fuse_with.contains(&d.to_string()) => fuse_with.push(d.to_string()),
            Ok(_) => {}
            Err(e) => errors.push(FieldError::new(
                &format!("fuse_with[{i}]"),
                e.code(),
                e.message_zh(),
            )),
        }
    }
    match (description, legal_basis, sensitivity) {
        (Some(description), Some(legal_basis), Some(sensitivity)) if errors.is_empty() => {
            Ok(Parsed {
                description,
                legal_basis,
                reference,
                categories,
                sensitivity,
                fuse_with,
            })
        }
        _ => Err(AppError::Validation(errors)),
    }
}

fn import_error(e: &DataImportError) -> AppError {
    match e {
        DataImportError::ReferenceRequired => AppError::Validation(vec![FieldError::new(
            "legal_basis_reference",
            e.code(),
            e.message_zh(),
        )]),
        _ => AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        },
    }
}

/// Submits an import application (提交外部数据导入申请): the operator, or a
/// participant admitted to the secondary market.
pub async fn create_data_import(
    app: &App,
    actor: &Actor,
    input: &NewDataImport,
) -> Result<DataImportView, AppError> {
    let p = parse(input)?;
    let (applicant, by) = actor_ids(actor)?;
    let id = new_id();
    let (orgs, entry) = {
        let mut tx = app.store().begin_read().await?;
        let orgs = tx.list_organisations().await?;
        let entry = tx.admitted_market_entry(&actor.org_id).await?;
        tx.commit().await?;
        (orgs, entry)
    };
    let agency = unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let resource = Resource::Workflow {
        id: format!("{KIND}/{id}"),
        applicant_org: applicant,
        submitted_by: by,
        parties: vec![org_id(&agency.id)?],
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource)
        .await?;
    match actor.org_kind {
        OrgKind::Operator => {}
        OrgKind::Participant if entry.is_some() => {}
        OrgKind::Participant => {
            return Err(AppError::Refused {
                code: "data_import.not_admitted",
                message: format!(
                    "只有已准入（准入审核全部通过并已签署不转授权承诺）的二级市场主体可以申请导入外部数据（{}）",
                    gongshu_domain::use_application::ADMISSION_RULE
                ),
            });
        }
        _ => {
            let e = DataImportError::ApplicantNotAllowed;
            return Err(deny(
                app,
                actor,
                Action::WorkflowSubmit,
                (KIND, &id),
                e.code(),
                &e.message_zh(),
            )
            .await);
        }
    }
    let now = app.clock().now();
    let status = ImportStatus::Draft
        .apply(gongshu_domain::data_import::ImportCommand::Submit)
        .map_err(|e| import_error(&DataImportError::Transition(e)))?;
    let mut change = app.begin().await?;
    let row = DataImportRow {
        id: id.clone(),
        applicant_org: actor.org_id.clone(),
        submitted_by: actor.user_id.clone(),
        submitted_at: now,
        description: p.description.as_str().to_owned(),
        legal_basis: p.legal_basis.as_str().to_owned(),
        legal_basis_reference: p.reference.as_ref().map(|r| r.as_str().to_owned()),
        data_categories: to_json(&p.categories)?,
        personal_information: i64::from(input.personal_information),
        sensitivity: p.sensitivity.as_str().to_owned(),
        fuse_with: to_json(&p.fuse_with)?,
        status: status.as_str().to_owned(),
        decided_by: None,
        decided_at: None,
        reason: None,
        version: 1,
    };
    if let Err(e) = change.tx().insert_data_import(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("data_import.submitted")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": RULE,
            "legal_basis": p.legal_basis.as_str(),
            "legal_basis_reference": row.legal_basis_reference,
            "data_categories": p.categories,
            "personal_information": input.personal_information,
            "sensitivity": p.sensitivity.as_str(),
            "fuse_with": p.fuse_with,
            "market_entry": entry,
        }));
    change.audit(event).await?.commit().await?;
    get_data_import(app, actor, &id).await
}

async fn read(app: &App, id: &str) -> Result<DataImportRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_data_import(id).await;
    tx.commit().await?;
    row?.ok_or(AppError::NotFound { what: KIND })
}

/// The implementing agency decides an import (审核外部数据导入). Approval
/// creates the pending import in the same transaction; concurrent
/// decisions have exactly one winner (compare-and-set, 409 for the other).
pub async fn decide_data_import(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<DataImportView, AppError> {
    let verdict = Verdict::parse(&input.verdict, input.reason.as_deref(), REVIEW_RULE)
        .map_err(|e| crate::reviews::review_error(&e))?;
    let row = read(app, id).await?;
    let (applicant, submitted_by) = (org_id(&row.applicant_org)?, user_id(&row.submitted_by)?);
    let orgs = {
        let mut tx = app.store().begin_read().await?;
        let orgs = tx.list_organisations().await?;
        tx.commit().await?;
        orgs
    };
    let agency = unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let resource = Resource::Workflow {
        id: format!("{KIND}/{id}"),
        applicant_org: applicant,
        submitted_by,
        parties: vec![org_id(&agency.id)?],
    };
    let decided = app
        .authorize(actor, Action::WorkflowApprove, &resource)
        .await?;
    let (org, by) = actor_ids(actor)?;
    let decider = ImportDecider {
        org,
        by,
        is_agency: actor.org_kind == OrgKind::ImplementingAgency,
    };
    let approve = matches!(verdict, Verdict::Approve(_));
    let status = |s: &str| {
        s.parse::<ImportStatus>()
            .map_err(|e| AppError::Internal(e.to_string()))
    };
    if let Err(e) = decide_import(
        status(&row.status)?,
        applicant,
        submitted_by,
        decider,
        approve,
    ) {
        return Err(match e {
            DataImportError::ApplicantDecides | DataImportError::NotAgency => {
                deny(
                    app,
                    actor,
                    Action::WorkflowApprove,
                    (KIND, id),
                    e.code(),
                    &e.message_zh(),
                )
                .await
            }
            other => import_error(&other),
        });
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let fresh = tx
            .get_data_import(id)
            .await?
            .ok_or(AppError::NotFound { what: KIND })?;
        let next = decide_import(
            status(&fresh.status)?,
            applicant,
            submitted_by,
            decider,
            approve,
        )
        .map_err(|e| import_error(&e))?;
        let mut updated = fresh.clone();
        updated.status = next.as_str().to_owned();
        updated.decided_by = Some(actor.user_id.clone());
        updated.decided_at = Some(now);
        updated.reason = verdict.reason().map(|r| r.as_str().to_owned());
        tx.update_data_import(&updated, fresh.version).await?;
        let pending = if next == ImportStatus::Approved {
            let p = PendingImportRow {
                id: new_id(),
                import_id: id.to_owned(),
                owner_org: fresh.applicant_org.clone(),
                sensitivity: fresh.sensitivity.clone(),
                personal_information: fresh.personal_information,
                status: "pending".into(),
                created_at: now,
            };
            tx.insert_pending_import(&p).await?;
            Some(p)
        } else {
            None
        };
        Ok::<_, AppError>((next, pending))
    }
    .await;
    let (next, pending) = match result {
        Ok(v) => v,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let event = AuditEvent::new("data_import.decided")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, id)
        .decided_by(decided.clone())
        .details(serde_json::json!({
            "rule": REVIEW_RULE,
            "verdict": verdict.as_str(),
            "reason": verdict.reason().map(ReviewText::as_str),
            "status": next.as_str(),
            "pending_import": pending.as_ref().map(|p| &p.id),
        }));
    change.audit(event).await?.commit().await?;
    let follow = Follow {
        app,
        actor,
        decided: &decided,
    };
    let action = if next == ImportStatus::Approved {
        "data_import.approved"
    } else {
        "data_import.rejected"
    };
    let outcome = AuditEvent::new(action)
        .target(KIND, id)
        .details(serde_json::json!({ "rule": RULE, "status": next.as_str() }));
    follow.send(outcome, None).await;
    if let Some(p) = &pending {
        let event = AuditEvent::new("pending_import.created")
            .target("pending_import", &p.id)
            .details(serde_json::json!({
                "rule": RULE,
                "import_id": id,
                "owner_org": p.owner_org,
                "sensitivity": p.sensitivity,
                "personal_information": p.personal_information == 1,
            }));
        follow.send(event, Some(p.id.clone())).await;
    }
    get_data_import(app, actor, id).await
}

fn visible(actor: &Actor, owner: &str) -> bool {
    matches!(
        actor.org_kind,
        OrgKind::ImplementingAgency | OrgKind::DataBureau
    ) || actor.org_id == owner
}

async fn view(tx: &mut StoreTx, row: DataImportRow) -> Result<DataImportView, AppError> {
    let status = row
        .status
        .parse::<ImportStatus>()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let pending_import = tx
        .list_pending_imports()
        .await?
        .into_iter()
        .find(|p| p.import_id == row.id)
        .map(PendingImportView::from);
    Ok(DataImportView {
        data_categories: serde_json::from_str(&row.data_categories).unwrap_or_default(),
        fuse_with: serde_json::from_str(&row.fuse_with).unwrap_or_default(),
        personal_information: row.personal_information == 1,
        status_label: status.label_zh().to_owned(),
        id: row.id,
        applicant_org: row.applicant_org,
        submitted_by: row.submitted_by,
        submitted_at: row.submitted_at,
        description: row.description,
        legal_basis: row.legal_basis,
        legal_basis_reference: row.legal_basis_reference,
        sensitivity: row.sensitivity,
        status: row.status,
        decided_by: row.decided_by,
        decided_at: row.decided_at,
        reason: row.reason,
        pending_import,
    })
}

/// One import application, for the applicant, the agency and the bureau.
pub async fn get_data_import(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<DataImportView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx
        .get_data_import(id)
        .await?
        .filter(|r| visible(actor, &r.applicant_org))
        .ok_or(AppError::NotFound { what: KIND })?;
    let v = view(&mut tx, row).await?;
    tx.commit().await?;
    Ok(v)
}

/// The import applications the actor may see, oldest first.
pub async fn list_data_imports(app: &App, actor: &Actor) -> Result<Vec<DataImportView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for row in tx.list_data_imports(false).await? {
        if visible(actor, &row.applicant_org) {
            out.push(view(&mut tx, row).await?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// The pending imports of APPROVED import applications, for the vault to
/// load: all of them for the implementing agency and the data bureau, an
/// owner's own for anyone else. Unapproved imports are never listed.
pub async fn list_approved_imports(
    app: &App,
    actor: &Actor,
) -> Result<Vec<PendingImportView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_pending_imports().await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|p| visible(actor, &p.owner_org))
        .map(PendingImportView::from)
        .collect())
}

/// "Import review due" obligations of the implementing agency.
pub(super) async fn open_obligations(
    tx: &mut StoreTx,
    calendar: &WorkingDayCalendar,
) -> Result<Vec<Obligation>, AppError> {
    let open = tx.list_data_imports(true).await?;
    if open.is_empty() {
        return Ok(Vec::new());
    }
    let orgs = tx.list_organisations().await?;
    let Ok(agency) = unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for row in open {
        let started_on: NaiveDate = crate::inbox::shanghai_today(row.submitted_at);
        match due_in_working_days(calendar, started_on, super::DATA_IMPORT_REVIEW_WORKING_DAYS) {
            Ok(due_on) => out.push(Obligation {
                kind: "data_import.review".into(),
                title_zh: "外部数据导入申请待审核".into(),
                rule: RULE.into(),
                subject_type: KIND.into(),
                subject_id: row.id.clone(),
                responsible_org: agency.id.clone(),
                started_on,
                due_on,
            }),
            Err(e) => {
                tracing::warn!(error = %e, data_import.id = %row.id, "deadline not computable")
            }
        }
    }
    Ok(out)
}
