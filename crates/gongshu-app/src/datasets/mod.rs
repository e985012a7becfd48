//! Use cases of datasets (数据集): a data source unit loads the data of its
//! own catalog resource into the vault (S-6.4: full data, kept updated,
//! quality answered for); the provider, the data bureau and the
//! implementing agency see versions, quality scores and alerts.
//!
//! A load is checked against the catalog (every column classified and
//! typed: fail closed), streamed into the vault as a new encrypted version,
//! then committed by one transaction that inserts the `dataset_versions`
//! row with the load's audit record. The row is what makes a version
//! visible: a crash before it leaves an invisible orphan file in the
//! vault, and the previous version stays current. A refused load is
//! audited too and stores nothing.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::OrgKind;
use gongshu_domain::catalog::{CatalogEntry, UpdateFrequency};
use gongshu_domain::dataset::{Timeliness, timeliness};
use gongshu_store::{CatalogResourceRow, DatasetVersionRow};
use serde::Serialize;

use crate::catalog;
use crate::inbox::shanghai_today;
use crate::{Actor, App, AppError, AuditEvent};

mod checks;
mod load;
mod quality;
mod references;

pub(crate) use load::LoadLocks;
pub use load::{LoadInput, load, load_scope};
pub use quality::{QualityReport, quality_obligations};

/// Rule: source units bring full data and answer for its quality.
pub const RULE: &str = "S-6.4";

/// One committed version as shown.
#[derive(Debug, Clone, Serialize)]
pub struct VersionView {
    /// Version number.
    pub version: i64,
    /// `replace` or `append`.
    pub mode: String,
    /// First version of the state it belongs to.
    pub base_version: i64,
    /// Rows stored.
    pub rows_loaded: i64,
    /// Malformed rows skipped.
    pub rows_rejected: i64,
    /// Ciphertext size in bytes.
    pub bytes: i64,
    /// Hex SHA-256 of the ciphertext.
    pub sha256: String,
    /// Public id of the data key.
    pub key_id: String,
    /// Input encoding.
    pub encoding: String,
    /// Quality scores and alerts.
    pub quality: QualityReport,
    /// Loading user.
    pub loaded_by: String,
    /// Commit time.
    pub loaded_at: DateTime<Utc>,
}

/// A resource's dataset as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DatasetView {
    /// Catalog resource id.
    pub resource_id: String,
    /// Catalog name.
    pub name: String,
    /// Committed versions, ascending.
    pub versions: Vec<VersionView>,
    /// The versions making up the current data (from the last replace).
    pub current_parts: Vec<i64>,
    /// Rows in the current data.
    pub current_rows: i64,
    /// Timeliness of the latest version against the declared frequency.
    pub timeliness: Option<Timeliness>,
}

fn event(
    action: &'static str,
    actor: &Actor,
    resource_id: &str,
    decided: Vec<String>,
) -> AuditEvent {
    AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("catalog_resource", resource_id)
        .decided_by(decided)
}

/// The stored versions forming the current data: from the last replace.
fn current_parts(rows: &[DatasetVersionRow]) -> Vec<&DatasetVersionRow> {
    match rows.last() {
        Some(last) => rows
            .iter()
            .filter(|r| r.version >= last.base_version)
            .collect(),
        None => Vec::new(),
    }
}

/// The vault version numbers of a resource's current data (for reading).
///
/// # Errors
/// Store errors.
pub async fn current_versions(app: &App, resource_id: &str) -> Result<Vec<u32>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_dataset_versions(resource_id).await?;
    tx.commit().await?;
    Ok(current_parts(&rows)
        .iter()
        .filter_map(|r| u32::try_from(r.version).ok())
        .collect())
}

fn version_view(r: DatasetVersionRow) -> VersionView {
    let quality = serde_json::from_str(&r.quality).unwrap_or_default();
    VersionView {
        version: r.version,
        mode: r.mode,
        base_version: r.base_version,
        rows_loaded: r.rows_loaded,
        rows_rejected: r.rows_rejected,
        bytes: r.bytes,
        sha256: r.sha256,
        key_id: r.key_id,
        encoding: r.encoding,
        quality,
        loaded_by: r.loaded_by,
        loaded_at: r.loaded_at,
    }
}

/// Whether `actor` may see the versions and quality of a resource provided
/// by `provider_org_id`: its provider, the data bureau (quality
/// supervision) and the implementing agency.
pub fn may_read_quality(actor: &Actor, provider_org_id: &str) -> bool {
    actor.org_id == provider_org_id
        || matches!(
            actor.org_kind,
            OrgKind::DataBureau | OrgKind::ImplementingAgency
        )
}

/// Refuses (audited) anyone else.
async fn check_can_see(app: &App, actor: &Actor, row: &CatalogResourceRow) -> Result<(), AppError> {
    if may_read_quality(actor, &row.provider_org_id) {
        return Ok(());
    }
    let ev = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("catalog_resource", &row.id)
        .outcome("denied")
        .details(serde_json::json!({ "action": "dataset.read_quality" }));
    app.record(ev).await?;
    Err(AppError::Forbidden {
        action: "dataset.read_quality".into(),
        policy_ids: Vec::new(),
    })
}

/// The versions, quality and timeliness of a resource's dataset.
///
/// # Errors
/// [`AppError::NotFound`], [`AppError::Forbidden`], store errors.
pub async fn dataset(app: &App, actor: &Actor, resource_id: &str) -> Result<DatasetView, AppError> {
    let row = catalog::load(app, resource_id).await?;
    check_can_see(app, actor, &row).await?;
    let entry = catalog::stored_entry(&row)?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_dataset_versions(resource_id).await?;
    tx.commit().await?;
    let parts = current_parts(&rows);
    let current_parts_v: Vec<i64> = parts.iter().map(|r| r.version).collect();
    let current_rows = parts.iter().map(|r| r.rows_loaded).sum();
    let today = shanghai_today(app.clock().now());
    let timeliness = rows
        .last()
        .and_then(|last| timeliness_of(&entry, last.loaded_at, today));
    Ok(DatasetView {
        resource_id: row.id.clone(),
        name: row.name.clone(),
        versions: rows.into_iter().map(version_view).collect(),
        current_parts: current_parts_v,
        current_rows,
        timeliness,
    })
}

pub(crate) fn timeliness_of(
    entry: &CatalogEntry,
    loaded_at: DateTime<Utc>,
    today: NaiveDate,
) -> Option<Timeliness> {
    let freq: UpdateFrequency = entry.input.update_frequency.parse().ok()?;
    Some(timeliness(freq, shanghai_today(loaded_at), today))
}

/// Column sets of referenced datasets, for consistency checks.
pub(crate) struct ReferenceSets {
    pub(crate) sets: HashMap<String, HashSet<String>>,
    pub(crate) unavailable: Vec<String>,
}
