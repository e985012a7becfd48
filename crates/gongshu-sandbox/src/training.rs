//! Training views (SANDBOX-RULES R5.4, S-6.2-4): models are developed only
//! on sampled, de-identified extracts generated inside the space. An
//! extract keeps a random fraction of the persons of one granted table
//! (chosen by a keyed hash of the person, so a person is in or out with
//! all their rows), drops every direct identifier, replaces the person
//! with a reference that is random per view (views cannot be linked to
//! each other or to the raw tables), coarsens dates among the
//! quasi-identifiers to months and top- and bottom-codes sensitive
//! integers at the sample's 1st and 99th percentiles. The caller gets the
//! extract as CSV for the vault, never rows.

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::col;
use futures::StreamExt as _;
use gongshu_domain::classification::SandboxClass;
use gongshu_vault::{ColumnDef, ColumnType, DatasetSchema, Vault};
use sha2::{Digest as _, Sha256};

use crate::spec::{ColumnSpec, SessionSpec, TableSpec};
use crate::{SandboxError, Violation};

/// The person reference column of every training view.
pub const PERSON_REF: &str = "person_ref";

/// How to draw a training view.
#[derive(Debug, Clone)]
pub struct TrainingOptions {
    /// Share of persons kept, in millionths (1 000 ..= 500 000).
    pub fraction_ppm: u32,
    /// Random per view; never stored or shown (unlinkability).
    pub seed: [u8; 32],
    /// Rows at most in the extract.
    pub max_rows: usize,
}

/// A drawn extract, ready for the vault.
#[derive(Debug)]
pub struct Extract {
    /// CSV with a header line.
    pub csv: Vec<u8>,
    /// Its vault schema (`person_ref` pseudonymised again on ingestion).
    pub schema: DatasetSchema,
    /// Its columns and their sandbox classes.
    pub columns: Vec<ColumnSpec>,
    /// Rows kept.
    pub rows: u64,
    /// Persons kept.
    pub persons: u64,
}

fn refuse(message: &str) -> SandboxError {
    SandboxError::Refused(vec![Violation {
        rule: "R5.4",
        column: None,
        message: message.into(),
    }])
}

fn df(e: &datafusion::error::DataFusionError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

fn keyed(seed: &[u8; 32], tag: &[u8], key: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(seed);
    h.update(tag);
    h.update(key.to_be_bytes());
    h.finalize().into()
}

struct Out {
    name: String,
    class: SandboxClass,
    ty: ColumnType,
}

/// Draws a training view of `table` (one of the caller's tables).
///
/// # Errors
/// [`SandboxError::Refused`] (R5.4) for a table without a person column,
/// [`SandboxError::Limit`] past `max_rows`, vault and engine errors.
pub async fn training_extract(
    vault: &Vault,
    table: &TableSpec,
    options: &TrainingOptions,
) -> Result<Extract, SandboxError> {
    let Some(entity) = table.entity.clone() else {
        return Err(refuse("该表没有个人标识列，不能按人抽样生成训练视图"));
    };
    if !(1_000..=500_000).contains(&options.fraction_ppm) {
        return Err(SandboxError::Refused(vec![Violation {
            rule: "R5.4",
            column: Some("fraction".into()),
            message: "抽样比例须在 0.001 到 0.5 之间".into(),
        }]));
    }
    let spec = SessionSpec {
        tables: vec![table.clone()],
        ..SessionSpec::default()
    };
    let ctx = crate::tables::context(vault, &spec, None, &[])?;
    let kept: Vec<Out> = table
        .columns
        .iter()
        .filter(|c| c.class != SandboxClass::DirectId && c.name != entity)
        .map(|c| Out {
            name: c.name.clone(),
            class: c.class,
            ty: ColumnType::String,
        })
        .collect();
    let mut select = vec![col(format!("\"{entity}\""))];
    select.extend(kept.iter().map(|c| col(format!("\"{}\"", c.name))));
    let frame = ctx
        .table(table.name.as_str())
        .await
        .and_then(|f| f.select(select))
        .map_err(|e| df(&e))?;
    let mut stream = frame.execute_stream().await.map_err(|e| df(&e))?;
    let mut kept = kept;
    // The sample threshold on the first 64 bits of the keyed hash.
    let cut = u128::from(u64::MAX) * u128::from(options.fraction_ppm) / 1_000_000;
    let mut rows: Vec<Vec<Option<String>>> = Vec::new();
    let mut persons = std::collections::HashSet::new();
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(|e| df(&e))?;
        let Some(first) = batch.columns().first() else {
            continue;
        };
        let keys = crate::cell::keys_of(first).map_err(|e| df(&e))?;
        let mut texts = Vec::with_capacity(kept.len());
        for (i, out) in kept.iter_mut().enumerate() {
            let a = batch.column(i + 1);
            out.ty = match a.data_type() {
                DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => {
                    ColumnType::Int64
                }
                DataType::Boolean => ColumnType::Boolean,
                _ => ColumnType::String,
            };
            texts.push(cast(a, &DataType::Utf8).map_err(|e| df(&e.into()))?);
        }
        for (r, key) in keys.iter().enumerate() {
            let Some(key) = *key else { continue };
            let h = keyed(&options.seed, b"sample", key);
            let mut head = [0u8; 8];
            head.copy_from_slice(h.get(..8).unwrap_or(&[0; 8]));
            if u128::from(u64::from_be_bytes(head)) >= cut {
                continue;
            }
            let person = hex::encode(
                keyed(&options.seed, b"person", key)
                    .get(..16)
                    .unwrap_or(&[]),
            );
            persons.insert(key);
            let mut row = vec![Some(format!("t_{person}"))];
            for (t, out) in texts.iter().zip(&kept) {
                let s = t.as_string::<i32>();
                let v = (!s.is_null(r)).then(|| s.value(r).to_owned());
                row.push(v.map(|v| coarsen(&v, out.class)));
            }
            rows.push(row);
            if rows.len() > options.max_rows {
                return Err(SandboxError::Limit { limit: "rows" });
            }
        }
    }
    for (i, out) in kept.iter().enumerate() {
        if out.class == SandboxClass::Sensitive && out.ty == ColumnType::Int64 {
            top_and_bottom_code(&mut rows, i + 1);
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    let header: Vec<&str> = std::iter::once(PERSON_REF)
        .chain(kept.iter().map(|c| c.name.as_str()))
        .collect();
    let io = |e: csv::Error| SandboxError::Internal(e.to_string());
    w.write_record(&header).map_err(io)?;
    for row in &rows {
        w.write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))
            .map_err(io)?;
    }
    let csv = w
        .into_inner()
        .map_err(|e| SandboxError::Internal(e.to_string()))?;
    let mut defs = vec![ColumnDef::new(PERSON_REF, ColumnType::String).pseudonymised()];
    defs.extend(kept.iter().map(|c| ColumnDef::new(c.name.clone(), c.ty)));
    let schema = DatasetSchema::new(defs)?;
    let mut columns = vec![ColumnSpec {
        name: PERSON_REF.into(),
        class: SandboxClass::DirectId,
    }];
    columns.extend(kept.iter().map(|c| ColumnSpec {
        name: c.name.clone(),
        class: c.class,
    }));
    Ok(Extract {
        csv,
        schema,
        columns,
        rows: rows.len() as u64,
        persons: persons.len() as u64,
    })
}

/// Quasi-identifying dates keep their month only.
fn coarsen(v: &str, class: SandboxClass) -> String {
    let b = v.as_bytes();
    let is_date = b.len() >= 10
        && b.iter().take(10).enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            _ => c.is_ascii_digit(),
        });
    if class == SandboxClass::QuasiId && is_date {
        v.get(..7).unwrap_or(v).to_owned()
    } else {
        v.to_owned()
    }
}

/// Clamps column `i` to the 1st and 99th percentiles of its values.
fn top_and_bottom_code(rows: &mut [Vec<Option<String>>], i: usize) {
    let mut values: Vec<i64> = rows
        .iter()
        .filter_map(|r| r.get(i)?.as_deref()?.parse().ok())
        .collect();
    if values.len() < 100 {
        return;
    }
    values.sort_unstable();
    let n = values.len();
    let (lo, hi) = (values[n / 100], values[n * 99 / 100]);
    for r in rows.iter_mut() {
        if let Some(Some(v)) = r.get_mut(i)
            && let Ok(x) = v.parse::<i64>()
        {
            *v = x.clamp(lo, hi).to_string();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quasi_identifying_dates_keep_the_month() {
        assert_eq!(coarsen("2025-03-17", SandboxClass::QuasiId), "2025-03");
        assert_eq!(coarsen("2025-03-17", SandboxClass::Public), "2025-03-17");
        assert_eq!(coarsen("南屯镇", SandboxClass::QuasiId), "南屯镇");
    }

    #[test]
    fn extremes_are_clamped_to_the_percentiles() {
        let mut rows: Vec<Vec<Option<String>>> = (0..200)
            .map(|i| {
                vec![
                    None,
                    Some(
                        (if i == 0 {
                            -5_000
                        } else if i == 199 {
                            9_999_999
                        } else {
                            i
                        })
                        .to_string(),
                    ),
                ]
            })
            .collect();
        top_and_bottom_code(&mut rows, 1);
        let v: Vec<i64> = rows
            .iter()
            .map(|r| r[1].as_deref().unwrap_or("0").parse().unwrap_or(0))
            .collect();
        assert!(v.iter().all(|x| (2..=198).contains(x)), "{v:?}");
    }
}
