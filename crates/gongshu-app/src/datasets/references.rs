//! Consistency references (一致性): a column may declare that its values
//! occur in a column of another resource (e.g. enterprise credit codes in
//! the enterprise registry). The referenced column's current values are
//! read through the vault's one read path into a set for the load; they
//! never leave this process. Values compare as stored, so two direct
//! identifier columns compare by their keyed pseudonyms.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{Array, AsArray as _};
use arrow::datatypes::{DataType, Int64Type};
use gongshu_domain::classification::ColumnClassification;
use gongshu_vault::Vault;

use super::{ReferenceSets, current_versions};
use crate::{App, AppError};

/// Most values read from one referenced column; a bigger reference is
/// reported unavailable rather than exhausting memory.
const MAX_REFERENCE_VALUES: usize = 5_000_000;

pub(crate) async fn load_sets(
    app: &App,
    vault: &Arc<Vault>,
    own_id: &str,
    columns: &[ColumnClassification],
) -> Result<ReferenceSets, AppError> {
    let mut out = ReferenceSets {
        sets: Default::default(),
        unavailable: Vec::new(),
    };
    for c in columns {
        let Some((res, col)) = c.references.as_deref().and_then(|r| r.split_once('.')) else {
            continue;
        };
        let versions = if res == own_id {
            Vec::new()
        } else {
            current_versions(app, res).await?
        };
        if versions.is_empty() {
            out.unavailable.push(c.name.clone());
            continue;
        }
        let (vault, res, col) = (vault.clone(), res.to_owned(), col.to_owned());
        let set = tokio::task::spawn_blocking(move || read_column(&vault, &res, &versions, &col))
            .await
            .map_err(|e| AppError::Internal(format!("reference task failed: {e}")))?;
        match set {
            Some(s) => {
                out.sets.insert(c.name.clone(), s);
            }
            None => out.unavailable.push(c.name.clone()),
        }
    }
    Ok(out)
}

/// The distinct values of `column` in `versions`, or `None` when the
/// column is missing, of another type, too big or unreadable.
fn read_column(
    vault: &Vault,
    dataset: &str,
    versions: &[u32],
    column: &str,
) -> Option<HashSet<String>> {
    let mut set = HashSet::new();
    for &v in versions {
        let batches = vault.read_batches(dataset, v).ok()?;
        let idx = batches.schema().index_of(column).ok()?;
        for batch in batches {
            let batch = batch.ok()?;
            let array = batch.column(idx);
            match array.data_type() {
                DataType::Utf8 => {
                    let a = array.as_string::<i32>();
                    set.extend(a.iter().flatten().map(str::to_owned));
                }
                DataType::Int64 => {
                    let a = array.as_primitive::<Int64Type>();
                    set.extend(a.iter().flatten().map(|n| n.to_string()));
                }
                _ => return None,
            }
            if set.len() > MAX_REFERENCE_VALUES {
                return None;
            }
        }
    }
    Some(set)
}
