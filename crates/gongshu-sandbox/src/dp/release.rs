//! The DP release: bound each person's contribution, measure, add noise,
//! select groups by their noisy person count.

use std::collections::HashMap;

use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use gongshu_domain::disclosure::Controls;
use serde_json::Value;

use super::noise::gaussian;
use super::shape::{Out, Shape};
use super::{DpParams, DpReport, NoiseInfo};
use crate::SandboxError;
use crate::cell::{Contribution, decode_dp};
use crate::check::Lin;
use crate::release::{ColumnKind, DisclosureReport, OutRow, QueryResult, cell, float, out_columns};

/// ⌈b·√c⌉ in integers: the L2 sensitivity of a measurement to which one
/// person adds at most `b` in each of at most `c` groups.
fn l2_sensitivity(b: u64, c: u32) -> i64 {
    let t = u128::from(b) * u128::from(b) * u128::from(c);
    let mut x = t.isqrt();
    if x * x < t {
        x += 1;
    }
    i64::try_from(x).unwrap_or(i64::MAX)
}

/// A data-independent tie-break: which of a person's groups they keep.
/// Ours: a few multiply-xor rounds (FNV then a 64-bit finaliser) are all
/// it takes; SHA-256 per (person, group) would dominate the release.
fn rank(person: u64, group: &str) -> u64 {
    let mut h = person ^ 0x9e37_79b9_7f4a_7c15;
    for b in group.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

struct Group {
    keys: Vec<Value>,
    people: Vec<Contribution>,
}

/// Releases a DP answer; `batches` end with the DP cell column.
#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the pieces are the query's facts"
)]
pub(crate) fn release_dp(
    schema: &Schema,
    batches: &[RecordBatch],
    lineage: &[Lin],
    shape: &Shape,
    params: &DpParams,
    datasets: Vec<String>,
    sensitive_domain: bool,
    controls: &Controls,
) -> Result<QueryResult, SandboxError> {
    let visible = schema.fields().len().saturating_sub(1);
    let mut columns = out_columns(schema, lineage, visible);
    for (c, o) in columns.iter_mut().zip(&shape.outputs) {
        c.kind = match o {
            Out::Key => ColumnKind::Key,
            Out::Rows | Out::Persons => ColumnKind::Count,
            Out::Sum(_) | Out::Avg(_) => ColumnKind::Value,
        };
    }
    let mut groups = Vec::new();
    for batch in batches {
        for r in 0..batch.num_rows() {
            let mut keys = Vec::new();
            for (c, o) in shape.outputs.iter().enumerate().take(visible) {
                keys.push(if *o == Out::Key {
                    cell(batch.column(c).as_ref(), r)?
                } else {
                    Value::Null
                });
            }
            groups.push(Group {
                keys,
                people: decode_dp(batch.column(visible).as_ref(), r),
            });
        }
    }
    bound_groups(&mut groups, params.max_groups);

    // Exact bounded measurements per group.
    let slots = shape.bounds.len();
    let n = groups.len();
    let mut persons = Vec::with_capacity(n);
    let mut rows = Vec::with_capacity(n);
    let mut sums = vec![Vec::with_capacity(n); slots];
    for g in &groups {
        persons.push(i64::try_from(g.people.len()).unwrap_or(i64::MAX));
        let capped: u64 = g
            .people
            .iter()
            .map(|p| p.rows.min(u64::from(params.max_rows)))
            .sum();
        rows.push(i64::try_from(capped).unwrap_or(i64::MAX));
        for (m, out) in sums.iter_mut().enumerate() {
            let (lo, hi) = shape.bounds.get(m).copied().unwrap_or((0, 0));
            let total = g
                .people
                .iter()
                .map(|p| p.sums.get(m).copied().unwrap_or(0).clamp(lo, hi))
                .fold(0i64, i64::saturating_add);
            out.push(total);
        }
    }

    // Noise, the budget split evenly over the measurements.
    let needs_rows = shape
        .outputs
        .iter()
        .any(|o| matches!(o, Out::Rows | Out::Avg(_)));
    let measurements = 1 + usize::from(needs_rows) + slots;
    let rho_each = params.rho_micro as f64 / 1e6 / measurements as f64;
    let mut noise = Vec::new();
    let mut noisy = |name: String, values: &[i64], b: u64| -> Result<Vec<i64>, SandboxError> {
        let delta = l2_sensitivity(b, params.max_groups);
        if delta == 0 {
            return Ok(values.to_vec());
        }
        let (out, _) = gaussian(values, delta, rho_each)?;
        let sd = delta as f64 / (2.0 * rho_each).sqrt();
        noise.push(NoiseInfo {
            measure: name,
            sd: (sd * 100.0).round() / 100.0,
        });
        Ok(out)
    };
    let persons = noisy("persons".into(), &persons, 1)?;
    let rows = if needs_rows {
        noisy("rows".into(), &rows, u64::from(params.max_rows))?
    } else {
        rows
    };
    let mut noisy_sums = Vec::with_capacity(slots);
    for (m, values) in sums.iter().enumerate() {
        let (lo, hi) = shape.bounds.get(m).copied().unwrap_or((0, 0));
        let b = lo.unsigned_abs().max(hi.unsigned_abs());
        noisy_sums.push(noisy(format!("sum#{}", m + 1), values, b)?);
    }

    let threshold = i64::try_from(controls.threshold_for(sensitive_domain)).unwrap_or(i64::MAX);
    let mut out_rows = Vec::new();
    for (i, g) in groups.into_iter().enumerate() {
        let np = persons.get(i).copied().unwrap_or(0);
        if np < threshold {
            continue; // not released, not even its keys
        }
        let nr = rows.get(i).copied().unwrap_or(0);
        let values = shape
            .outputs
            .iter()
            .zip(g.keys)
            .map(|(o, key)| match *o {
                Out::Key => key,
                Out::Persons => np.max(0).into(),
                Out::Rows => nr.max(0).into(),
                Out::Sum(m) => noisy_sums
                    .get(m)
                    .and_then(|v| v.get(i))
                    .copied()
                    .unwrap_or(0)
                    .into(),
                Out::Avg(m) => {
                    let (lo, hi) = shape.bounds.get(m).copied().unwrap_or((0, 0));
                    let s = noisy_sums
                        .get(m)
                        .and_then(|v| v.get(i))
                        .copied()
                        .unwrap_or(0);
                    let avg = s as f64 / nr.max(1) as f64;
                    float(avg.clamp(lo as f64, hi as f64))
                }
            })
            .collect();
        out_rows.push(OutRow {
            values,
            suppressed: None,
        });
    }
    Ok(QueryResult {
        report: DisclosureReport {
            protected: true,
            threshold: controls.threshold_for(sensitive_domain),
            rounding_base: 1,
            rows_released: out_rows.len(),
            rows_suppressed: 0,
            rows_secondary: 0,
            rules: ["R2", "R3", "R4.1", "R4.7"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            dp: Some(DpReport {
                rho_micro: params.rho_micro,
                datasets,
                max_groups: params.max_groups,
                max_rows: params.max_rows,
                noise,
                cached: false,
            }),
        },
        columns,
        rows: out_rows,
    })
}

/// Keeps each person in at most `max` groups: those ranked first by a
/// keyed hash of (person, group keys), which depends on nobody else.
fn bound_groups(groups: &mut [Group], max: u32) {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut seen: HashMap<u64, Vec<(u64, usize)>> = HashMap::new();
    let labels: Vec<String> = groups
        .iter()
        .map(|g| Value::Array(g.keys.clone()).to_string())
        .collect();
    for (gi, g) in groups.iter().enumerate() {
        for p in &g.people {
            let r = rank(p.person, labels.get(gi).map_or("", String::as_str));
            seen.entry(p.person).or_default().push((r, gi));
        }
    }
    let mut drop: HashMap<usize, Vec<u64>> = HashMap::new();
    for (person, mut at) in seen {
        if at.len() > max {
            at.sort_unstable();
            for (_, gi) in at.into_iter().skip(max) {
                drop.entry(gi).or_default().push(person);
            }
        }
    }
    for (gi, people) in drop {
        if let Some(g) = groups.get_mut(gi) {
            g.people.retain(|p| !people.contains(&p.person));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn sensitivity_is_the_integer_ceiling() {
        assert_eq!(l2_sensitivity(1, 1), 1);
        assert_eq!(l2_sensitivity(1, 4), 2);
        assert_eq!(l2_sensitivity(1, 2), 2); // √2 → 2
        assert_eq!(l2_sensitivity(100, 2), 142); // 141.42 → 142
        assert_eq!(l2_sensitivity(0, 9), 0);
    }

    #[test]
    fn a_person_counts_in_at_most_max_groups() {
        let person = |p: u64| Contribution {
            person: p,
            rows: 1,
            sums: Vec::new(),
        };
        let mut groups: Vec<Group> = (0..5)
            .map(|g| Group {
                keys: vec![Value::from(g)],
                people: vec![person(7), person(8 + g)],
            })
            .collect();
        bound_groups(&mut groups, 2);
        let sevens = groups
            .iter()
            .filter(|g| g.people.iter().any(|p| p.person == 7))
            .count();
        assert_eq!(sevens, 2);
        // Others, each in one group, are untouched.
        assert!(
            groups
                .iter()
                .all(|g| g.people.iter().any(|p| p.person != 7))
        );
    }
}
