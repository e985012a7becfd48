//! The caller's sandbox tables: from the live grants of the caller's
//! organisation, the catalog's column classes and the current versions.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use gongshu_domain::classification::{ColumnClassification, PersonalInfo, SandboxClass};
use gongshu_domain::dataset::ValidityRule;
use gongshu_sandbox::{ColumnSpec, TableSpec};
use gongshu_store::DataGrantRow;
use serde::Serialize;

use crate::error::AppError;
use crate::{App, catalog};

/// One granted column as shown to the grantee.
#[derive(Debug, Clone, Serialize)]
pub struct GrantedColumn {
    /// Column name.
    pub name: String,
    /// Sandbox class code.
    pub class: SandboxClass,
    /// Chinese label of the class.
    pub class_zh: &'static str,
    /// 数据项说明.
    pub description: String,
}

/// One table the caller may query.
#[derive(Debug, Clone, Serialize)]
pub struct SandboxTable {
    /// SQL name.
    pub table: String,
    /// Catalog resource.
    pub resource_id: String,
    /// Resource name (目录名称).
    pub resource_name: String,
    /// Granted columns.
    pub columns: Vec<GrantedColumn>,
    /// Purposes of the covering grants.
    pub purposes: Vec<String>,
    /// Covering grant ids.
    pub grants: Vec<String>,
    /// Last day of validity (the latest among the grants).
    pub valid_until: NaiveDate,
    /// Persons per released row at least.
    pub threshold: u64,
    /// Whether data has been loaded.
    pub loaded: bool,
    /// `table`, or `training_view` for a sampled, de-identified extract
    /// (the only kind visible in the development zone).
    pub kind: &'static str,
}

fn live(g: &DataGrantRow, today: NaiveDate) -> bool {
    g.revoked_at.is_none() && g.valid_from <= today && today <= g.valid_until
}

/// The person column: a resident ID number, else a credit code, else the
/// first direct identifier (see docs/sandbox.md).
pub(crate) fn entity_column(columns: &[ColumnClassification]) -> Option<String> {
    let ids: Vec<&ColumnClassification> = columns
        .iter()
        .filter(|c| c.is_classified() && c.sandbox_class == Some(SandboxClass::DirectId))
        .collect();
    let with = |rule: ValidityRule| ids.iter().find(|c| c.validity.as_ref() == Some(&rule));
    with(ValidityRule::ResidentId)
        .or_else(|| with(ValidityRule::CreditCode))
        .or_else(|| ids.first())
        .map(|c| c.name.clone())
}

/// The default SQL name of a resource without one.
pub fn default_table_name(resource_id: &str) -> String {
    format!("r_{}", resource_id.replace('-', ""))
}

/// Builds the caller organisation's tables; `today` in Asia/Shanghai.
pub(crate) async fn tables(
    app: &App,
    org_id: &str,
    today: NaiveDate,
) -> Result<(Vec<TableSpec>, Vec<SandboxTable>), AppError> {
    let mut tx = app.store().begin_read().await?;
    let grants = tx.list_data_grants(org_id).await?;
    let mut by_dataset: BTreeMap<String, Vec<DataGrantRow>> = BTreeMap::new();
    for g in grants.into_iter().filter(|g| live(g, today)) {
        by_dataset.entry(g.dataset_id.clone()).or_default().push(g);
    }
    let mut versions = BTreeMap::new();
    for id in by_dataset.keys() {
        versions.insert(id.clone(), tx.list_dataset_versions(id).await?);
    }
    let training = tx.list_training_views(org_id).await?;
    tx.commit().await?;
    let controls = gongshu_domain::disclosure::Controls::default();
    let mut specs = Vec::new();
    let mut views = Vec::new();
    let mut names = BTreeSet::new();
    for (dataset, grants) in by_dataset {
        // A grant may name a dataset not (or no longer) in the catalog:
        // nothing to query there.
        let row = match catalog::load(app, &dataset).await {
            Ok(row) => row,
            Err(AppError::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        let entry = catalog::stored_entry(&row)?;
        let granted: BTreeSet<String> = grants
            .iter()
            .flat_map(|g| serde_json::from_str::<Vec<String>>(&g.columns).unwrap_or_default())
            .collect();
        // Unclassified columns are left out: no class, no use (R1.3).
        let columns: Vec<&ColumnClassification> = entry
            .columns
            .iter()
            .filter(|c| granted.contains(&c.name) && c.is_classified())
            .collect();
        let mut name = entry
            .input
            .table_name
            .clone()
            .unwrap_or_else(|| default_table_name(&dataset));
        if !names.insert(name.clone()) {
            name = default_table_name(&dataset);
            names.insert(name.clone());
        }
        let sensitive = entry
            .columns
            .iter()
            .any(|c| c.personal_info == Some(PersonalInfo::SensitivePersonal));
        let current: Vec<u32> = versions
            .get(&dataset)
            .and_then(|v| {
                let last = v.last()?;
                Some(
                    v.iter()
                        .filter(|r| r.version >= last.base_version)
                        .filter_map(|r| u32::try_from(r.version).ok())
                        .collect(),
                )
            })
            .unwrap_or_default();
        let grant_ids: Vec<String> = grants.iter().map(|g| g.id.clone()).collect();
        views.push(SandboxTable {
            table: name.clone(),
            resource_id: dataset.clone(),
            resource_name: entry.input.name.clone(),
            columns: columns
                .iter()
                .filter_map(|c| {
                    let class = c.sandbox_class?;
                    Some(GrantedColumn {
                        name: c.name.clone(),
                        class,
                        class_zh: class.label_zh(),
                        description: c.description.clone(),
                    })
                })
                .collect(),
            purposes: grants.iter().map(|g| g.purpose.clone()).collect(),
            grants: grant_ids.clone(),
            valid_until: grants.iter().map(|g| g.valid_until).max().unwrap_or(today),
            threshold: controls.threshold_for(sensitive),
            loaded: !current.is_empty(),
            kind: "table",
        });
        if current.is_empty() {
            continue;
        }
        specs.push(TableSpec {
            name,
            dataset_id: dataset,
            versions: current,
            columns: columns
                .iter()
                .filter_map(|c| {
                    Some(ColumnSpec {
                        name: c.name.clone(),
                        class: c.sandbox_class?,
                    })
                })
                .collect(),
            entity: entity_column(&entry.columns),
            sensitive_domain: sensitive,
            grants: grant_ids,
        });
    }
    super::training::add_views(&training, &mut specs, &mut views);
    Ok((specs, views))
}
