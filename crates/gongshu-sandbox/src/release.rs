//! Release: turns result batches into cells and applies the output
//! controls (R4) to every row of a protected result.

use datafusion::arrow::array::Array;
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::ScalarValue;
use gongshu_domain::disclosure::{self, Controls, RowStats, Suppression};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::SandboxError;
use crate::check::Lin;
use crate::guard::Layout;
use crate::history::History;

/// What a released column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// A group key: stays visible when the row is suppressed.
    Key,
    /// A count: rounded to the base.
    Count,
    /// Any other value.
    Value,
}

/// One output column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutColumn {
    /// Name as in the query.
    pub name: String,
    /// What it holds.
    pub kind: ColumnKind,
}

/// One output row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutRow {
    /// Values; withheld values are `null`.
    pub values: Vec<Value>,
    /// Why the row's values were withheld, if they were.
    pub suppressed: Option<Suppression>,
}

/// What the controls did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosureReport {
    /// Whether protected data was read (and the controls applied).
    pub protected: bool,
    /// Persons per row at least.
    pub threshold: u64,
    /// Counts rounded to this base (1: no rounding).
    pub rounding_base: i64,
    /// Rows released.
    pub rows_released: usize,
    /// Rows withheld by a primary rule.
    pub rows_suppressed: usize,
    /// Rows withheld by secondary suppression.
    pub rows_secondary: usize,
    /// The rules applied, by id.
    pub rules: Vec<String>,
    /// DP mode: what was measured and spent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<crate::dp::DpReport>,
}

/// A released result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryResult {
    /// Columns.
    pub columns: Vec<OutColumn>,
    /// Rows.
    pub rows: Vec<OutRow>,
    /// Disclosure-control report.
    pub report: DisclosureReport,
}

/// Floats leave with at most this many decimals (R5.3, no steganography).
const FLOAT_DECIMALS: i32 = 4;

pub(crate) fn cell(array: &dyn Array, row: usize) -> Result<Value, SandboxError> {
    let v = ScalarValue::try_from_array(array, row)
        .map_err(|e| SandboxError::Internal(e.to_string()))?;
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match v {
        ScalarValue::Int8(Some(x)) => x.into(),
        ScalarValue::Int16(Some(x)) => x.into(),
        ScalarValue::Int32(Some(x)) => x.into(),
        ScalarValue::Int64(Some(x)) => x.into(),
        ScalarValue::UInt8(Some(x)) => x.into(),
        ScalarValue::UInt16(Some(x)) => x.into(),
        ScalarValue::UInt32(Some(x)) => x.into(),
        ScalarValue::UInt64(Some(x)) => x.into(),
        ScalarValue::Float32(Some(x)) => float(f64::from(x)),
        ScalarValue::Float64(Some(x)) => float(x),
        ScalarValue::Boolean(Some(b)) => b.into(),
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.into(),
        other => other.to_string().into(),
    })
}

pub(crate) fn float(x: f64) -> Value {
    let scale = 10f64.powi(FLOAT_DECIMALS);
    serde_json::Number::from_f64((x * scale).round() / scale).map_or(Value::Null, Value::Number)
}

/// Releases a subject-scoped answer as computed: every cell is about the
/// one consenting subject (see `subject`).
pub(crate) fn release_subject(
    schema: &Schema,
    batches: &[RecordBatch],
    lineage: &[Lin],
) -> Result<QueryResult, SandboxError> {
    let visible = schema.fields().len();
    let mut rows = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let values = (0..visible)
                .map(|c| cell(batch.column(c).as_ref(), r))
                .collect::<Result<Vec<_>, _>>()?;
            rows.push(OutRow {
                values,
                suppressed: None,
            });
        }
    }
    Ok(QueryResult {
        columns: out_columns(schema, lineage, visible),
        report: DisclosureReport {
            protected: true,
            threshold: 1,
            rounding_base: 1,
            rows_released: rows.len(),
            rows_suppressed: 0,
            rows_secondary: 0,
            rules: ["R2", "R3", "P1.subject"].map(str::to_owned).to_vec(),
            dp: None,
        },
        rows,
    })
}

/// Releases the rows of `batches`; the last `hidden` columns are the
/// guard's (persons, then magnitudes); none for a public-only query.
pub(crate) fn release(
    schema: &Schema,
    batches: &[RecordBatch],
    lineage: &[Lin],
    layout: Layout,
    history: Option<&History>,
    sensitive_domain: bool,
    controls: &Controls,
) -> Result<QueryResult, SandboxError> {
    let protected = layout != Layout::None;
    let hidden = usize::from(protected);
    let visible = schema.fields().len().saturating_sub(hidden);
    // Held from the check to the record: concurrent releases serialise.
    let mut history = history.map(History::lock);
    let threshold = controls.threshold_for(sensitive_domain);
    let mut sets = Vec::new();
    let columns = out_columns(schema, lineage, visible);
    let mut rows = Vec::new();
    let mut stats = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let mut values = Vec::with_capacity(visible);
            for c in 0..visible {
                values.push(cell(batch.column(c).as_ref(), r)?);
            }
            if protected {
                let (set, magnitudes) = if layout == Layout::Cell {
                    crate::cell::decode(batch.column(visible).as_ref(), r)
                } else {
                    (Vec::new(), Vec::new())
                };
                let persons = if layout == Layout::Cell {
                    set.len() as u64
                } else {
                    cell(batch.column(visible).as_ref(), r)?
                        .as_u64()
                        .unwrap_or(0)
                };
                let keys = values
                    .iter()
                    .zip(&columns)
                    .filter(|(_, c)| c.kind == ColumnKind::Key)
                    .map(|(v, _)| v.to_string())
                    .collect();
                let too_close = history
                    .as_ref()
                    .is_some_and(|h| !set.is_empty() && h.too_close(&set, threshold));
                sets.push(set);
                stats.push(RowStats {
                    keys,
                    persons,
                    magnitudes,
                    too_close,
                });
            }
            rows.push(OutRow {
                values,
                suppressed: None,
            });
        }
    }
    if !protected {
        return Ok(QueryResult {
            report: report(false, rows.len(), 0, 0, sensitive_domain, controls),
            columns,
            rows,
        });
    }
    let decisions = disclosure::decide(&stats, controls, sensitive_domain);
    let (mut primary, mut secondary) = (0, 0);
    for (row, decision) in rows.iter_mut().zip(decisions) {
        match decision {
            Some(why) => {
                if why == Suppression::Secondary {
                    secondary += 1;
                } else {
                    primary += 1;
                }
                row.suppressed = Some(why);
                for (v, c) in row.values.iter_mut().zip(&columns) {
                    if c.kind != ColumnKind::Key {
                        *v = Value::Null;
                    }
                }
            }
            None => {
                for (v, c) in row.values.iter_mut().zip(&columns) {
                    if c.kind == ColumnKind::Count
                        && let Some(n) = v.as_i64()
                    {
                        *v = disclosure::round_count(n, controls.rounding_base).into();
                    }
                }
            }
        }
    }
    let released = rows.len() - primary - secondary;
    if let Some(h) = history.as_mut() {
        let kept: Vec<Vec<u64>> = rows
            .iter()
            .zip(sets)
            .filter(|(r, s)| r.suppressed.is_none() && !s.is_empty())
            .map(|(_, s)| s)
            .collect();
        h.record(kept)?;
    }
    Ok(QueryResult {
        report: report(
            true,
            released,
            primary,
            secondary,
            sensitive_domain,
            controls,
        ),
        columns,
        rows,
    })
}

pub(crate) fn out_columns(schema: &Schema, lineage: &[Lin], visible: usize) -> Vec<OutColumn> {
    schema
        .fields()
        .iter()
        .take(visible)
        .enumerate()
        .map(|(i, f)| {
            let lin = lineage.get(i);
            let kind = match lin {
                Some(l) if l.count => ColumnKind::Count,
                Some(l) if l.key => ColumnKind::Key,
                _ => ColumnKind::Value,
            };
            OutColumn {
                name: f.name().clone(),
                kind,
            }
        })
        .collect()
}

fn report(
    protected: bool,
    released: usize,
    primary: usize,
    secondary: usize,
    sensitive: bool,
    controls: &Controls,
) -> DisclosureReport {
    DisclosureReport {
        protected,
        threshold: if protected {
            controls.threshold_for(sensitive)
        } else {
            0
        },
        rounding_base: if protected { controls.rounding_base } else { 1 },
        rows_released: released,
        rows_suppressed: primary,
        rows_secondary: secondary,
        rules: if protected {
            vec!["R2", "R3", "R4.1", "R4.2", "R4.4", "R4.5", "R4.6"]
        } else {
            vec!["R2", "R3"]
        }
        .into_iter()
        .map(str::to_owned)
        .collect(),
        dp: None,
    }
}
