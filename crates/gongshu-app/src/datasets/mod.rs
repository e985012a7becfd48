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
use std::io::Read;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::OrgKind;
use gongshu_domain::catalog::{CatalogEntry, UpdateFrequency};
use gongshu_domain::classification::{ColumnClassification, SandboxClass};
use gongshu_domain::dataset::{ColumnType, LoadMode, QualityThresholds, Timeliness, timeliness};
use gongshu_policy::Action;
use gongshu_store::{CatalogResourceRow, DatasetVersionRow};
use gongshu_vault::{
    ColumnDef, ColumnType as VaultType, DatasetSchema, Encoding, LoadOptions, Validators, Vault,
    VaultError,
};
use serde::{Deserialize, Serialize};

use crate::actor::AuthMethod;
use crate::catalog;
use crate::error::FieldError;
use crate::inbox::shanghai_today;
use crate::{Actor, App, AppError, AuditEvent};

mod quality;
mod references;

pub use quality::{QualityReport, quality_obligations};

/// Rule: source units bring full data and answer for its quality.
pub const RULE: &str = "S-6.4";

/// Options of a load, as the API and the CLI take them.
#[derive(Debug, Clone, Deserialize)]
pub struct LoadInput {
    /// `replace` (default) or `append`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// `auto` (default), `utf-8` or `gb18030`.
    #[serde(default)]
    pub encoding: String,
    /// Malformed rows to skip before the load fails (default 0).
    #[serde(default)]
    pub max_bad_rows: u64,
}

fn default_mode() -> String {
    LoadMode::Replace.as_str().to_owned()
}

impl Default for LoadInput {
    fn default() -> Self {
        Self {
            mode: default_mode(),
            encoding: String::new(),
            max_bad_rows: 0,
        }
    }
}

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

fn vault_of(app: &App) -> Result<&Arc<Vault>, AppError> {
    app.vault().ok_or_else(|| AppError::Refused {
        code: "dataset.no_vault",
        message: "本实例未配置可信数据空间存储（vault），不能加载数据".into(),
    })
}

fn refused(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Refused {
        code,
        message: message.into(),
    }
}

/// The vault schema of a catalog entry; every column must be classified
/// and typed (a column without a class cannot be stored or queried).
fn schema_of(columns: &[ColumnClassification]) -> Result<DatasetSchema, AppError> {
    if columns.is_empty() {
        return Err(refused(
            "dataset.no_columns",
            "目录未登记数据项，不能加载数据（REQUIREMENTS §6.1 数据项）",
        ));
    }
    let missing: Vec<&str> = columns
        .iter()
        .filter(|c| !c.is_classified() || c.data_type.is_none())
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(refused(
            "dataset.columns_unclassified",
            format!(
                "数据项“{}”尚未完成分类分级或未声明数据类型，不能加载（SANDBOX-RULES R1.3 未分类即拒绝）",
                missing.join("、")
            ),
        ));
    }
    let defs = columns
        .iter()
        .map(|c| {
            let ty = match c.data_type {
                Some(ColumnType::Int64) => VaultType::Int64,
                Some(ColumnType::Date) => VaultType::Date,
                Some(ColumnType::Boolean) => VaultType::Boolean,
                Some(ColumnType::String) | None => VaultType::String,
            };
            let mut def = ColumnDef::new(&c.name, ty);
            def.nullable = !c.required;
            def.pseudonymised = c.sandbox_class == Some(SandboxClass::DirectId);
            def
        })
        .collect();
    DatasetSchema::new(defs).map_err(|e| {
        refused(
            "dataset.schema_invalid",
            format!("数据项定义不能用于存储：{e}（直接标识符须为文本类型）"),
        )
    })
}

fn validators_of(columns: &[ColumnClassification]) -> Validators {
    columns
        .iter()
        .fold(Validators::new(), |v, c| match &c.validity {
            Some(rule) => {
                let rule = rule.clone();
                v.with(&c.name, move |s| rule.check(s))
            }
            None => v,
        })
}

fn parse_input(input: &LoadInput) -> Result<(LoadMode, Encoding), AppError> {
    let mut errors = Vec::new();
    let mode = input.mode.parse::<LoadMode>().map_err(|_| {
        errors.push(FieldError::new(
            "mode",
            "dataset.mode_invalid",
            "加载方式须为 replace（全量替换）或 append（增量追加）",
        ));
    });
    let encoding = input.encoding.parse::<Encoding>().map_err(|e| {
        errors.push(FieldError::new(
            "encoding",
            "dataset.encoding_invalid",
            e.to_string(),
        ));
    });
    match (mode, encoding) {
        (Ok(m), Ok(e)) => Ok((m, e)),
        _ => Err(AppError::Validation(errors)),
    }
}

/// A vault error as the user sees it; data problems name lines and columns.
fn vault_error(e: VaultError) -> AppError {
    let row = |b: &gongshu_vault::BadRow| {
        let field = if b.column == 0 {
            format!("line {}", b.line)
        } else {
            format!("line {} column {} ({})", b.line, b.column, b.column_name)
        };
        let place = if b.column == 0 {
            format!("第 {} 行", b.line)
        } else {
            format!("第 {} 行第 {} 列（{}）", b.line, b.column, b.column_name)
        };
        FieldError::new(&field, "dataset.bad_row", format!("{place}：{}", b.reason))
    };
    match e {
        VaultError::Csv {
            line,
            column,
            column_name,
            reason,
        } => AppError::Validation(vec![row(&gongshu_vault::BadRow {
            line,
            column,
            column_name,
            reason,
        })]),
        VaultError::TooManyBadRows { limit, samples } => {
            let mut f = vec![FieldError::new(
                "max_bad_rows",
                "dataset.too_many_bad_rows",
                format!(
                    "格式错误的行超过允许的 {limit} 行，本次加载未生效；前 {} 行错误如下",
                    samples.len()
                ),
            )];
            f.extend(samples.iter().map(row));
            AppError::Validation(f)
        }
        VaultError::Encoding {
            encoding,
            byte_offset,
        } => AppError::Validation(vec![FieldError::new(
            "encoding",
            "dataset.encoding_mismatch",
            format!(
                "输入在第 {byte_offset} 字节处不是有效的 {encoding} 文本，请确认文件编码（可指定 utf-8 或 gb18030）"
            ),
        )]),
        // The upload itself could not be read: a broken connection, or a
        // Parquet body that is not Parquet. The caller's input, not ours.
        VaultError::Io { path, source } if path == std::path::Path::new("<input>") => {
            AppError::Validation(vec![FieldError::new(
                "body",
                "dataset.input_unreadable",
                format!("无法读取上传的数据，本次加载未生效（{source}）"),
            )])
        }
        VaultError::Destroyed { .. } => refused(
            "dataset.destroyed",
            "该数据集已按授权终止要求不可逆销毁，不能再加载或读取（S-3.3.5）",
        ),
        other => AppError::Internal(other.to_string()),
    }
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

/// Loads `reader` as a new version of the caller's own resource.
///
/// # Errors
/// [`AppError::Forbidden`] for another organisation's resource,
/// [`AppError::Refused`] when columns are unclassified or the data was
/// destroyed, [`AppError::Validation`] naming malformed lines, audit and
/// store errors.
pub async fn load<R: Read + Send + 'static>(
    app: &App,
    actor: &Actor,
    resource_id: &str,
    reader: R,
    input: &LoadInput,
) -> Result<VersionView, AppError> {
    let row = catalog::load(app, resource_id).await?;
    let decided = authorize_load(app, actor, &row).await?;
    let lock = app.load_locks().get(resource_id);
    let _serialised = lock.lock().await;
    let result = prepare_and_ingest(app, &row, reader, input).await;
    let (report, mode, base_version, quality) = match result {
        Ok(ok) => ok,
        Err(e) => {
            let ev = event("dataset.load_refused", actor, resource_id, decided)
                .outcome("refused")
                .details(serde_json::json!({ "code": e.code(), "mode": input.mode }));
            app.record(ev).await?;
            return Err(e);
        }
    };
    let info = &report.info;
    let to_i64 = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    let version_row = DatasetVersionRow {
        resource_id: resource_id.to_owned(),
        version: i64::from(info.version),
        mode: mode.as_str().to_owned(),
        base_version,
        rows_loaded: to_i64(info.rows),
        rows_rejected: to_i64(report.rejected_rows),
        bytes: to_i64(info.bytes),
        sha256: info.sha256.clone(),
        key_id: info.key_id.clone(),
        encoding: report.encoding.as_str().to_owned(),
        quality: serde_json::to_string(&quality).map_err(|e| AppError::Internal(e.to_string()))?,
        alerts: i64::try_from(quality.alerts.len()).unwrap_or(i64::MAX),
        loaded_by: actor.user_id.clone(),
        loaded_at: app.clock().now(),
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_dataset_version(&version_row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let ev =
        event("dataset.version_loaded", actor, resource_id, decided).details(serde_json::json!({
            "version": info.version,
            "mode": mode.as_str(),
            "base_version": base_version,
            "rows": info.rows,
            "rows_rejected": report.rejected_rows,
            "bad_row_lines": report.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(),
            "sha256": info.sha256,
            "key_id": info.key_id,
            "encoding": report.encoding.as_str(),
            "alerts": quality.alerts.iter().map(|a| a.dimension.as_str()).collect::<Vec<_>>(),
            // A machine load names its key: the user is only the key's issuer.
            "api_key": match &actor.via {
                AuthMethod::ApiKey { key_id, .. } => Some(key_id.as_str()),
                AuthMethod::Session => None,
            },
        }));
    change.audit(ev).await?.commit().await?;
    Ok(version_view(version_row))
}

/// The API-key scope that allows loading `resource_id`.
pub fn load_scope(resource_id: &str) -> String {
    format!("dataset:{resource_id}/load")
}

/// People load through the policies (`workflow.submit` on the provider's
/// own catalog entry). An API key carries no roles; it may load only when
/// it belongs to the providing organisation and its scope names exactly
/// this resource's load, so a leaked key cannot touch other data.
async fn authorize_load(
    app: &App,
    actor: &Actor,
    row: &CatalogResourceRow,
) -> Result<Vec<String>, AppError> {
    let AuthMethod::ApiKey { scope, key_id } = &actor.via else {
        return app
            .authorize(actor, Action::WorkflowSubmit, &catalog::workflow(row)?)
            .await;
    };
    if actor.org_id == row.provider_org_id && *scope == load_scope(&row.id) {
        return Ok(vec!["api_key_scope_dataset_load".into()]);
    }
    let ev = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("catalog_resource", &row.id)
        .outcome("denied")
        .details(serde_json::json!({ "action": "dataset.load", "api_key": key_id }));
    app.record(ev).await?;
    Err(AppError::Forbidden {
        action: "dataset.load".into(),
        policy_ids: Vec::new(),
    })
}

type Prepared = (gongshu_vault::LoadReport, LoadMode, i64, QualityReport);

async fn prepare_and_ingest<R: Read + Send + 'static>(
    app: &App,
    row: &CatalogResourceRow,
    reader: R,
    input: &LoadInput,
) -> Result<Prepared, AppError> {
    let (mode, encoding) = parse_input(input)?;
    let vault = vault_of(app)?.clone();
    let entry: CatalogEntry = catalog::stored_entry(row)?;
    let schema = schema_of(&entry.columns)?;
    let mut tx = app.store().begin_read().await?;
    let previous = tx.list_dataset_versions(&row.id).await?;
    tx.commit().await?;
    let base = match (mode, previous.last()) {
        (LoadMode::Replace, _) => None,
        (LoadMode::Append, None) => {
            return Err(refused(
                "dataset.append_without_base",
                "尚无已加载的版本，首次加载请使用全量替换（replace）",
            ));
        }
        (LoadMode::Append, Some(last)) => {
            let stored = u32::try_from(last.version).ok().and_then(|v| {
                vault
                    .versions(&row.id)
                    .ok()?
                    .into_iter()
                    .find(|i| i.version == v)
            });
            if stored.map(|i| i.schema) != Some(schema.clone()) {
                return Err(refused(
                    "dataset.append_schema_changed",
                    "目录登记的数据项已与上一版本不同，不能增量追加，请以全量替换方式加载",
                ));
            }
            Some(last.base_version)
        }
    };
    let references = references::load_sets(app, &vault, &row.id, &entry.columns).await?;
    let referenced_columns = references.sets.len() as u64;
    let options = LoadOptions {
        encoding,
        max_bad_rows: input.max_bad_rows,
        validators: validators_of(&entry.columns),
        references: references.sets,
    };
    let id = row.id.clone();
    let report = tokio::task::spawn_blocking(move || vault.ingest(&id, reader, &schema, &options))
        .await
        .map_err(|e| AppError::Internal(format!("load task failed: {e}")))?
        .map_err(vault_error)?;
    let base_version = base.unwrap_or_else(|| i64::from(report.info.version));
    let quality = quality::report(
        &report,
        referenced_columns,
        &references.unavailable,
        &QualityThresholds::default(),
    );
    Ok((report, mode, base_version, quality))
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

/// One lock per resource, held from reading the previous versions to
/// committing the new one, so concurrent loads of one resource (a replace
/// racing an append) cannot compute a stale base version.
#[derive(Debug, Clone, Default)]
pub(crate) struct LoadLocks(Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>);

impl LoadLocks {
    fn get(&self, resource_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(resource_id.to_owned()).or_default().clone()
    }
}

/// Column sets of referenced datasets, for consistency checks.
pub(crate) struct ReferenceSets {
    pub(crate) sets: HashMap<String, HashSet<String>>,
    pub(crate) unavailable: Vec<String>,
}
