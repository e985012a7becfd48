//! Use cases of the resource catalog and registration (数据资源目录与登记).
//!
//! A data source unit (数源单位) creates and maintains its OWN catalog
//! entries: `workflow.submit` on `Resource::Workflow { id:
//! "catalog/<id>", applicant_org: <provider>, .. }`, so a case officer of
//! another organisation is refused (403, audited by `App::authorize`). The
//! registration authority (登记机构) that accepts, reviews, publishes and
//! registers is the data bureau (`supervision.manage`): under `[规范]`
//! Art. 16 the implementing agency is itself a registrant of resources, so
//! it cannot register them (REQUIREMENTS §4.6, §3.1 N3-N9).
//!
//! Every mutation reads the row, asks the policies, then in one transaction
//! reloads it (a version that moved is a conflict), applies the domain rule,
//! writes with compare-and-set, appends its audit record and commits.
//! Reading is open to every logged-in user.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::catalog::{CatalogEntry, FieldIssue, Registration, ResourceInput};
use gongshu_domain::classification::ColumnClassification;
use gongshu_domain::{OrgId, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{CatalogResourceRow, StoreTx};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

mod registration;

pub use registration::*;

/// Input of `update_resource`: every field again, and the version read.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateInput {
    /// Version the client read (compare-and-set).
    pub version: i64,
    /// The entry.
    #[serde(flatten)]
    pub resource: ResourceInput,
}

/// Input of `set_columns`.
#[derive(Debug, Clone, Deserialize)]
pub struct ColumnsInput {
    /// Version the client read (compare-and-set).
    pub version: i64,
    /// Every column with its classification.
    pub columns: Vec<gongshu_domain::catalog::ColumnInput>,
}

/// A catalog resource as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceView {
    /// Id.
    pub id: String,
    /// Providing data source unit.
    pub provider_org_id: String,
    /// The §6.1 fields and columns.
    #[serde(flatten)]
    pub fields: serde_json::Value,
    /// Highest column grade.
    pub grade: Option<String>,
    /// Registration.
    pub registration: RegistrationView,
    /// Creator.
    pub created_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Updated at.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version.
    pub version: i64,
}

/// The registration part of a resource view.
#[derive(Debug, Clone, Serialize)]
pub struct RegistrationView {
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Application date.
    pub submitted_on: Option<NaiveDate>,
    /// Acceptance date.
    pub accepted_on: Option<NaiveDate>,
    /// Formal review date.
    pub reviewed_on: Option<NaiveDate>,
    /// Notice start.
    pub notice_start: Option<NaiveDate>,
    /// Notice end.
    pub notice_end: Option<NaiveDate>,
    /// Registration date.
    pub registered_on: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_until: Option<NaiveDate>,
    /// 登记结果查询码.
    pub certificate_no: Option<String>,
    /// Reasons of the last rejection.
    pub reject_reason: Option<String>,
    /// Renewals granted.
    pub renewals: i64,
    /// The step the registration authority owes, with its due date
    /// (`null` due date and `calendar_unpublished` when it falls in an
    /// unpublished year: never guessed).
    pub pending: Option<PendingView>,
}

/// A pending step as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PendingView {
    /// Obligation code.
    pub kind: &'static str,
    /// Chinese title.
    pub title_zh: &'static str,
    /// Rule (REQUIREMENTS §3.1 row).
    pub rule: &'static str,
    /// Trigger day.
    pub started_on: NaiveDate,
    /// Due date.
    pub due_on: Option<NaiveDate>,
    /// The year whose holiday schedule is missing, if any.
    pub calendar_unpublished: Option<i32>,
}

pub(crate) fn registration_of(row: &CatalogResourceRow) -> Registration {
    Registration {
        status: row.reg_status.parse().ok(),
        submitted_on: row.submitted_on,
        accepted_on: row.accepted_on,
        reviewed_on: row.reviewed_on,
        notice_start: row.notice_start,
        notice_end: row.notice_end,
        registered_on: row.registered_on,
        valid_until: row.valid_until,
    }
}

fn view(row: CatalogResourceRow) -> ResourceView {
    let reg = registration_of(&row);
    let pending = reg.pending_step().map(|s| {
        let due = crate::agreements::calendar()
            .map_err(|_| gongshu_domain::CalendarError::OutOfRange)
            .and_then(|c| s.due_on(&c));
        PendingView {
            kind: s.kind,
            title_zh: s.title_zh,
            rule: s.rule,
            started_on: s.started_on,
            due_on: due.as_ref().ok().copied(),
            calendar_unpublished: match due {
                Err(gongshu_domain::CalendarError::UnpublishedYear { year }) => Some(year),
                _ => None,
            },
        }
    });
    let mut fields: serde_json::Value =
        serde_json::from_str(&row.fields).unwrap_or(serde_json::Value::Null);
    if let Some(obj) = fields.as_object_mut() {
        obj.insert(
            "columns".into(),
            serde_json::from_str(&row.columns).unwrap_or(serde_json::Value::Null),
        );
    }
    ResourceView {
        id: row.id,
        provider_org_id: row.provider_org_id,
        fields,
        grade: row.grade,
        registration: RegistrationView {
            status_label: reg.current().label_zh().to_owned(),
            status: reg.current().as_str().to_owned(),
            submitted_on: row.submitted_on,
            accepted_on: row.accepted_on,
            reviewed_on: row.reviewed_on,
            notice_start: row.notice_start,
            notice_end: row.notice_end,
            registered_on: row.registered_on,
            valid_until: row.valid_until,
            certificate_no: row.certificate_no,
            reject_reason: row.reject_reason,
            renewals: row.renewals,
            pending,
        },
        created_by: row.created_by,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
    }
}

pub(crate) fn invalid(issues: Vec<FieldIssue>) -> AppError {
    AppError::Validation(
        issues
            .into_iter()
            .map(|i| FieldError::new(&i.field, i.code, i.message_zh))
            .collect(),
    )
}

fn parse(input: &ResourceInput) -> Result<CatalogEntry, AppError> {
    CatalogEntry::parse(input).map_err(invalid)
}

/// Parses the stored entry back (it was checked when written).
pub(crate) fn stored_entry(row: &CatalogResourceRow) -> Result<CatalogEntry, AppError> {
    let bad = |e: serde_json::Error| AppError::Internal(e.to_string());
    let mut input: ResourceInput = serde_json::from_str(&row.fields).map_err(bad)?;
    input.columns = serde_json::from_str(&row.columns).map_err(bad)?;
    CatalogEntry::parse(&input)
        .map_err(|_| AppError::Internal("stored catalog entry no longer parses".into()))
}

fn write_entry(row: &mut CatalogResourceRow, e: &CatalogEntry) -> Result<(), AppError> {
    let bad = |e: serde_json::Error| AppError::Internal(e.to_string());
    let mut fields = e.input.clone();
    fields.columns = Vec::new();
    let mut json = serde_json::to_value(&fields).map_err(bad)?;
    if let Some(o) = json.as_object_mut() {
        o.remove("columns");
    }
    row.name = e.input.name.clone();
    row.fields = json.to_string();
    row.columns = serde_json::to_string(&e.input.columns).map_err(bad)?;
    row.sharing_attribute = e.sharing_attribute.as_str().to_owned();
    row.grade = e.grade.map(|g| g.as_str().to_owned());
    Ok(())
}

pub(crate) fn workflow(row: &CatalogResourceRow) -> Result<Resource, AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok(Resource::Workflow {
        id: format!("catalog/{}", row.id),
        applicant_org: OrgId::parse(&row.provider_org_id).map_err(bad)?,
        submitted_by: UserId::parse(row.submitted_by.as_deref().unwrap_or(&row.created_by))
            .map_err(bad)?,
        parties: vec![],
    })
}

pub(crate) async fn load(app: &App, id: &str) -> Result<CatalogResourceRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_catalog_resource(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound {
        what: "catalog_resource",
    })
}

pub(crate) async fn reload(
    tx: &mut StoreTx,
    seen: &CatalogResourceRow,
) -> Result<CatalogResourceRow, AppError> {
    let row = tx
        .get_catalog_resource(&seen.id)
        .await?
        .ok_or(AppError::NotFound {
            what: "catalog_resource",
        })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

pub(crate) fn event(
    action: &'static str,
    actor: &Actor,
    id: &str,
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("catalog_resource", id)
        .decided_by(decided)
}

/// Lists every catalog resource, oldest first.
pub async fn list_resources(app: &App, _actor: &Actor) -> Result<Vec<ResourceView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_catalog_resources().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
}

/// One catalog resource.
pub async fn get_resource(app: &App, _actor: &Actor, id: &str) -> Result<ResourceView, AppError> {
    load(app, id).await.map(view)
}

/// Creates a catalog entry of the caller's own organisation (a data source unit).
pub async fn create_resource(
    app: &App,
    actor: &Actor,
    input: &ResourceInput,
) -> Result<ResourceView, AppError> {
    let entry = parse(input)?;
    if actor.org_kind != gongshu_domain::OrgKind::DataSourceUnit {
        return Err(AppError::Refused {
            code: "catalog.provider_only",
            message:
                "数据资源目录由数源单位编制和维护，本机构不是数源单位（REQUIREMENTS §6.1 提供单位）"
                    .into(),
        });
    }
    let now = app.clock().now();
    let id = new_id();
    let mut row = CatalogResourceRow {
        id: id.clone(),
        provider_org_id: actor.org_id.clone(),
        name: String::new(),
        fields: String::new(),
        columns: String::new(),
        sharing_attribute: String::new(),
        grade: None,
        reg_status: "unregistered".into(),
        submitted_on: None,
        submitted_by: None,
        accepted_on: None,
        reviewed_on: None,
        notice_start: None,
        notice_end: None,
        registered_on: None,
        valid_until: None,
        certificate_no: None,
        reject_reason: None,
        renewals: 0,
        created_by: actor.user_id.clone(),
        created_at: now,
        updated_at: now,
        version: 1,
    };
    write_entry(&mut row, &entry)?;
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &workflow(&row)?)
        .await?;
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_catalog_resource(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let ev = event("catalog.resource_created", actor, &id, decided).details(serde_json::json!({
        "name": row.name, "sharing_attribute": row.sharing_attribute, "grade": row.grade,
    }));
    change.audit(ev).await?.commit().await?;
    load(app, &id).await.map(view)
}

async fn edit(
    app: &App,
    actor: &Actor,
    id: &str,
    version: i64,
    action: &'static str,
    build: impl FnOnce(&CatalogResourceRow) -> Result<CatalogEntry, AppError>,
) -> Result<ResourceView, AppError> {
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &workflow(&seen)?)
        .await?;
    if seen.version != version {
        return Err(AppError::Conflict);
    }
    let entry = build(&seen)?;
    if !registration_of(&seen).current().is_editable() {
        return Err(AppError::Refused {
            code: "catalog.under_registration",
            message: format!(
                "资源正在登记程序中（{}），登记机构审核期间不能修改（REQUIREMENTS §4.6）",
                registration_of(&seen).current().label_zh()
            ),
        });
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result: Result<CatalogResourceRow, AppError> = async {
        let mut row = reload(change.tx(), &seen).await?;
        write_entry(&mut row, &entry)?;
        row.updated_at = now;
        change
            .tx()
            .update_catalog_resource(&row, seen.version)
            .await?;
        Ok(row)
    }
    .await;
    let row = match result {
        Ok(r) => r,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let ev = event(action, actor, id, decided).details(serde_json::json!({
        "name": row.name, "sharing_attribute": row.sharing_attribute, "grade": row.grade,
        "columns": entry.columns.len(),
    }));
    change.audit(ev).await?.commit().await?;
    load(app, id).await.map(view)
}

/// Replaces every field of the provider's own entry (compare-and-set on `version`).
pub async fn update_resource(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &UpdateInput,
) -> Result<ResourceView, AppError> {
    edit(
        app,
        actor,
        id,
        input.version,
        "catalog.resource_updated",
        |_| parse(&input.resource),
    )
    .await
}

/// Replaces the columns and their classification (compare-and-set on `version`).
pub async fn set_columns(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ColumnsInput,
) -> Result<ResourceView, AppError> {
    edit(
        app,
        actor,
        id,
        input.version,
        "catalog.columns_classified",
        |row| {
            let mut current = stored_entry(row)?.input;
            current.columns = input.columns.clone();
            parse(&current)
        },
    )
    .await
}

/// The classified columns of a resource, for the sandbox
/// (`gongshu_domain::classification::column_class`).
pub async fn columns_of(app: &App, id: &str) -> Result<Vec<ColumnClassification>, AppError> {
    Ok(stored_entry(&load(app, id).await?)?.columns)
}
