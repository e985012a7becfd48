//! Builds a session: a DataFusion context with a memory limit, the vault's
//! key factory and one listing table per granted dataset, whose schema holds
//! only the granted columns (plus the person column the guard needs).

use std::sync::Arc;

use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};
use gongshu_vault::Vault;

use crate::SandboxError;
use crate::keys::{FACTORY_ID, SessionKeys};
use crate::spec::{SessionSpec, TableSpec};

fn df(e: datafusion::error::DataFusionError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

/// A fresh context holding exactly the spec's tables.
pub(crate) fn context(vault: &Vault, spec: &SessionSpec) -> Result<SessionContext, SandboxError> {
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_limit(spec.limits.memory_bytes, 1.0)
        .build_arc()
        .map_err(df)?;
    let mut keys = SessionKeys::default();
    let mut tables = Vec::new();
    for table in &spec.tables {
        tables.push((table, files(vault, table, &mut keys)?));
    }
    runtime.register_parquet_encryption_factory(FACTORY_ID, Arc::new(keys));
    let config = SessionConfig::new()
        .with_target_partitions(spec.limits.partitions.max(1))
        .with_information_schema(false);
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    for (table, (schema, paths)) in tables {
        register(&ctx, table, schema, paths)?;
    }
    Ok(ctx)
}

type Files = (Arc<Schema>, Vec<std::path::PathBuf>);

/// The version files of a table, their keys and the session schema.
fn files(vault: &Vault, table: &TableSpec, keys: &mut SessionKeys) -> Result<Files, SandboxError> {
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
    let fields: Vec<Field> = full
        .fields()
        .iter()
        .filter(|f| wanted(f.name()))
        .map(|f| f.as_ref().clone())
        .collect();
    Ok((Arc::new(Schema::new(fields)), paths))
}

fn register(
    ctx: &SessionContext,
    table: &TableSpec,
    schema: Arc<Schema>,
    paths: Vec<std::path::PathBuf>,
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
        .with_schema(schema);
    let provider = ListingTable::try_new(config).map_err(df)?;
    ctx.register_table(table.name.as_str(), Arc::new(provider))
        .map_err(df)?;
    Ok(())
}
