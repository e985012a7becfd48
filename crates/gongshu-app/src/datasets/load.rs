//! The load use case: authorise, serialise per resource, check against
//! the catalog, stream into the vault, then commit the version row with
//! its audit record (see the module above for the whole story).

use std::collections::HashMap;
use std::io::Read;
use std::sync::Arc;

use gongshu_domain::catalog::CatalogEntry;
use gongshu_domain::dataset::{LoadMode, QualityThresholds};
use gongshu_policy::Action;
use gongshu_store::{CatalogResourceRow, DatasetVersionRow};
use gongshu_vault::{LoadOptions, Vault};
use serde::Deserialize;

use super::checks::{parse_input, refused, schema_of, validators_of, vault_error};
use super::{QualityReport, VersionView, event, quality, references, version_view};
use crate::actor::AuthMethod;
use crate::catalog;
use crate::{Actor, App, AppError, AuditEvent};

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

fn vault_of(app: &App) -> Result<&Arc<Vault>, AppError> {
    app.vault().ok_or_else(|| AppError::Refused {
        code: "dataset.no_vault",
        message: "本实例未配置可信数据空间存储（vault），不能加载数据".into(),
    })
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
    let partial: Vec<String> = entry
        .columns
        .iter()
        .filter(|c| c.only_for.is_some())
        .map(|c| c.name.clone())
        .collect();
    let quality = quality::report(
        &report,
        referenced_columns,
        &references.unavailable,
        &partial,
        &QualityThresholds::default(),
    );
    Ok((report, mode, base_version, quality))
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
