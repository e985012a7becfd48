//! Builds a session: a DataFusion context with a memory limit, the vault's
//! key factory and one listing table per granted dataset, whose schema holds
//! only the granted columns (plus the person column the guard needs).

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::catalog::TableProvider;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::runtime_env::{RuntimeEnv, RuntimeEnvBuilder};
use datafusion::prelude::{SessionConfig, SessionContext};
use gongshu_vault::Vault;

use crate::keys::{FACTORY_ID, SessionKeys};
use crate::prepared::Slot;
use crate::spec::{SessionSpec, TableSpec};
use crate::subject::{Scoped, SubjectScope};
use crate::subject_index::{IndexKey, SubjectIndex};
use crate::{SandboxError, Violation};

fn df(e: datafusion::error::DataFusionError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

/// A fresh context holding exactly the spec's tables, each restricted to
/// the subject's rows when `scope` is given. `indexed[i]`, when present,
/// serves table `i` from its subject index instead of the encrypted files.
pub(crate) fn context(
    vault: &Vault,
    spec: &SessionSpec,
    scope: Option<&SubjectScope>,
    indexed: &[Option<Arc<SubjectIndex>>],
) -> Result<SessionContext, SandboxError> {
    let runtime = runtime(spec.limits.memory_bytes)?;
    let mut keys = SessionKeys::default();
    let mut tables = Vec::new();
    for (i, table) in spec.tables.iter().enumerate() {
        let index = indexed.get(i).cloned().flatten();
        let source = match (index, scope) {
            (Some(index), Some(scope)) => Source::Index(index, scope),
            _ => Source::Files(files(vault, table, scope, &mut keys)?),
        };
        tables.push((table, source));
    }
    runtime.register_parquet_encryption_factory(FACTORY_ID, Arc::new(keys));
    let ctx = new_context(spec.limits.partitions, runtime);
    for (table, source) in tables {
        match source {
            Source::Files((schema, paths)) => register(&ctx, table, schema, paths, scope)?,
            Source::Index(index, scope) => {
                let rows = MemTable::try_new(
                    Arc::clone(&index.schema),
                    vec![index.rows_of(&scope.pseudonym)],
                )
                .map_err(df)?;
                register_scoped(
                    &ctx,
                    table,
                    Arc::clone(&index.schema),
                    Arc::new(rows),
                    scope,
                )?;
            }
        }
    }
    Ok(ctx)
}

/// A runtime whose memory pool stops a session at `memory_bytes`.
fn runtime(memory_bytes: usize) -> Result<Arc<RuntimeEnv>, SandboxError> {
    RuntimeEnvBuilder::new()
        .with_memory_limit(memory_bytes, 1.0)
        .build_arc()
        .map_err(df)
}

fn new_context(partitions: usize, runtime: Arc<RuntimeEnv>) -> SessionContext {
    let config = SessionConfig::new()
        .with_target_partitions(partitions.max(1))
        .with_information_schema(false);
    SessionContext::new_with_config_rt(config, runtime)
}

/// A context for preparing a subject template: every table is a
/// placeholder (`prepared::Slot`) with its index's schema, under the
/// scope's filter, holding no rows until a call binds its subject.
pub(crate) fn prepared_context(
    spec: &SessionSpec,
    scope: &SubjectScope,
    indexed: &[Arc<SubjectIndex>],
) -> Result<SessionContext, SandboxError> {
    let runtime = runtime(spec.limits.memory_bytes)?;
    // One subject's rows are few: one partition, no repartitioning or
    // merging of partial aggregates.
    let ctx = new_context(1, runtime);
    for (i, (table, index)) in spec.tables.iter().zip(indexed).enumerate() {
        let slot = Slot {
            schema: Arc::clone(&index.schema),
            table: i,
        };
        register_scoped(
            &ctx,
            table,
            Arc::clone(&index.schema),
            Arc::new(slot),
            scope,
        )?;
    }
    Ok(ctx)
}

enum Source<'a> {
    Files(Files),
    Index(Arc<SubjectIndex>, &'a SubjectScope),
}

/// What a table's subject index is built from.
pub(crate) fn index_key(table: &TableSpec, scope: &SubjectScope) -> IndexKey {
    let mut fields: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    fields.extend(table.entity.clone());
    IndexKey {
        dataset: table.dataset_id.clone(),
        versions: table.versions.clone(),
        fields,
        subject: scope.column.clone(),
    }
}

/// Reads every row of `table` (the session's columns and the subject
/// column) and groups them by subject.
pub(crate) async fn build_index(
    vault: &Vault,
    table: &TableSpec,
    scope: &SubjectScope,
    limits: crate::spec::Limits,
) -> Result<SubjectIndex, SandboxError> {
    let runtime = runtime(limits.memory_bytes)?;
    let mut keys = SessionKeys::default();
    let (schema, paths) = files(vault, table, Some(scope), &mut keys)?;
    runtime.register_parquet_encryption_factory(FACTORY_ID, Arc::new(keys));
    let config = SessionConfig::new().with_information_schema(false);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    register(&ctx, table, Arc::clone(&schema), paths, None)?;
    let batches = ctx
        .table(table.name.as_str())
        .await
        .map_err(df)?
        .collect()
        .await
        .map_err(df)?;
    let column = schema
        .index_of(&scope.column)
        .map_err(|e| SandboxError::Internal(e.to_string()))?;
    SubjectIndex::build(schema, &batches, column)
}

type Files = (Arc<Schema>, Vec<std::path::PathBuf>);

/// The version files of a table, their keys and the schema to read: the
/// session's columns, then the subject column when scoped and not granted.
fn files(
    vault: &Vault,
    table: &TableSpec,
    scope: Option<&SubjectScope>,
    keys: &mut SessionKeys,
) -> Result<Files, SandboxError> {
    let mut paths = Vec::new();
    let mut schema = None;
    for &v in &table.versions {
        let file = vault.open_for_engine(&table.dataset_id, v)?;
        keys.insert(&file.path, file.decryption);
        paths.push(file.path);
        schema = Some(file.schema);
    }
    let full = schema
        .ok_or_else(|| SandboxError::Internal(format!("表 {} 没有可读版本", table.name)))?
        .to_arrow();
    let wanted = |name: &str| {
        table.columns.iter().any(|c| c.name == name) || table.entity.as_deref() == Some(name)
    };
    let mut fields: Vec<Field> = full
        .fields()
        .iter()
        .filter(|f| wanted(f.name()))
        .map(|f| f.as_ref().clone())
        .collect();
    if let Some(scope) = scope
        && !fields.iter().any(|f| f.name() == &scope.column)
    {
        let Ok(subject) = full.field_with_name(&scope.column) else {
            return Err(SandboxError::Refused(vec![Violation {
                rule: "P1.subject",
                column: Some(format!("{}.{}", table.name, scope.column)),
                message: format!(
                    "表 {} 没有主体列 {}，无法把查询限定到该主体",
                    table.name, scope.column
                ),
            }]));
        };
        fields.push(subject.clone());
    }
    Ok((Arc::new(Schema::new(fields)), paths))
}

fn register(
    ctx: &SessionContext,
    table: &TableSpec,
    schema: Arc<Schema>,
    paths: Vec<std::path::PathBuf>,
    scope: Option<&SubjectScope>,
) -> Result<(), SandboxError> {
    let urls = paths
        .iter()
        .map(|p| ListingTableUrl::parse(p.to_string_lossy()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(df)?;
    let mut format = ParquetFormat::default();
    let mut options = format.options().clone();
    options.crypto.factory_id = Some(FACTORY_ID.to_owned());
    format = format.with_options(options);
    let listing = ListingOptions::new(Arc::new(format)).with_file_extension(".parquet");
    let config = ListingTableConfig::new_with_multi_paths(urls)
        .with_listing_options(listing)
        .with_schema(Arc::clone(&schema));
    let provider = Arc::new(ListingTable::try_new(config).map_err(df)?);
    let Some(scope) = scope else {
        ctx.register_table(table.name.as_str(), provider)
            .map_err(df)?;
        return Ok(());
    };
    register_scoped(ctx, table, schema, provider, scope)
}

/// Registers `provider` (rows with `schema`, the subject column included)
/// filtered to the subject's rows, the subject column hidden unless granted.
fn register_scoped(
    ctx: &SessionContext,
    table: &TableSpec,
    schema: Arc<Schema>,
    provider: Arc<dyn TableProvider>,
    scope: &SubjectScope,
) -> Result<(), SandboxError> {
    let column = schema
        .index_of(&scope.column)
        .map_err(|e| SandboxError::Internal(e.to_string()))?;
    let granted = table.columns.iter().any(|c| c.name == scope.column)
        || table.entity.as_deref() == Some(scope.column.as_str());
    let visible = if granted {
        Arc::clone(&schema)
    } else {
        let fields: Vec<Field> = schema
            .fields()
            .iter()
            .take(column)
            .map(|f| f.as_ref().clone())
            .collect();
        Arc::new(Schema::new(fields))
    };
    let scoped = Scoped {
        inner: provider,
        schema: visible,
        column,
        pseudonym: scope.pseudonym.clone(),
    };
    ctx.register_table(table.name.as_str(), Arc::new(scoped))
        .map_err(df)?;
    Ok(())
}
