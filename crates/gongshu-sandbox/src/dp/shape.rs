//! Which queries DP mode answers, and what each output column measures.
//! DP mode releases only group keys and noisy measurements the release
//! computes itself from per-person contributions, so the query must be a
//! single protected aggregate whose outputs are its keys or one of
//! `COUNT(*)`, `COUNT(DISTINCT <person column>)`, `SUM(x)`, `AVG(x)`; ordering
//! only by keys (an order by true values would leak them).

use std::collections::BTreeMap;

use datafusion::logical_expr::{Expr, LogicalPlan};

use crate::check::Violation;
use crate::spec::TableSpec;

/// What one output column releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// A group key, as is.
    Key,
    /// COUNT(*): rows, each person's capped.
    Rows,
    /// COUNT(DISTINCT person).
    Persons,
    /// SUM of magnitude slot `n`.
    Sum(usize),
    /// AVG of magnitude slot `n`: noisy sum over noisy rows.
    Avg(usize),
}

/// A query DP mode can answer.
#[derive(Debug, Clone)]
pub(crate) struct Shape {
    /// Per output column.
    pub outputs: Vec<Out>,
    /// Indices of the summed aggregate expressions (the cell's magnitudes).
    pub magnitudes: Vec<usize>,
    /// Per magnitude slot: the clamp bounds.
    pub bounds: Vec<(i64, i64)>,
}

fn refuse(message: impl Into<String>) -> Violation {
    Violation {
        rule: "R4.7",
        column: None,
        message: message.into(),
    }
}

fn column_of(e: &Expr) -> Option<&datafusion::common::Column> {
    let mut e = e;
    loop {
        match e {
            Expr::Alias(a) => e = &a.expr,
            Expr::Cast(c) => e = &c.expr,
            Expr::TryCast(c) => e = &c.expr,
            Expr::Column(c) => return Some(c),
            _ => return None,
        }
    }
}

/// The shape of `plan` (which passed the checks) for DP mode; `bounds`
/// maps a summed column's name to its clamp bounds.
pub(crate) fn shape(
    plan: &LogicalPlan,
    tables: &[TableSpec],
    bounds: &BTreeMap<String, (i64, i64)>,
) -> Result<Shape, Vec<Violation>> {
    let mut node = plan;
    let mut sorts: Vec<Vec<Expr>> = Vec::new();
    let mut projection: Option<&[Expr]> = None;
    let aggregate = loop {
        match node {
            LogicalPlan::Sort(s) if s.fetch.is_none() => {
                sorts.push(s.expr.iter().map(|e| e.expr.clone()).collect());
                node = &s.input;
            }
            LogicalPlan::Projection(p) if projection.is_none() => {
                projection = Some(&p.expr);
                node = &p.input;
            }
            LogicalPlan::Aggregate(a) => break a,
            LogicalPlan::Limit(_) => {
                return Err(vec![refuse(
                    "差分隐私模式不支持 LIMIT（按真实值截取会泄露信息）",
                )]);
            }
            _ => {
                return Err(vec![refuse(
                    "差分隐私模式只支持单层分组聚合：SELECT 分组键, COUNT(*), COUNT(DISTINCT 个人标识), SUM(列), AVG(列) … GROUP BY 分组键",
                )]);
            }
        }
    };
    let groups = aggregate.group_expr.len();
    let mut violations = Vec::new();
    let mut kinds = Vec::with_capacity(aggregate.aggr_expr.len());
    let mut magnitudes = Vec::new();
    let mut slot_bounds = Vec::new();
    for (i, e) in aggregate.aggr_expr.iter().enumerate() {
        match measure(e, tables, bounds) {
            Ok(Measure::Rows) => kinds.push(Out::Rows),
            Ok(Measure::Persons) => kinds.push(Out::Persons),
            Ok(Measure::Sum(b, avg)) => {
                let slot = magnitudes.len();
                magnitudes.push(i);
                slot_bounds.push(b);
                kinds.push(if avg { Out::Avg(slot) } else { Out::Sum(slot) });
            }
            Err(v) => violations.push(v),
        }
    }
    if !violations.is_empty() {
        return Err(violations);
    }
    if magnitudes.len() > crate::cell::MAX_MAGNITUDES {
        violations.push(refuse(format!(
            "差分隐私模式下一次查询最多 {} 个 SUM/AVG",
            crate::cell::MAX_MAGNITUDES
        )));
    }
    let of_field = |c: &datafusion::common::Column| -> Option<Out> {
        let i = aggregate.schema.index_of_column(c).ok()?;
        if i < groups {
            Some(Out::Key)
        } else {
            kinds.get(i - groups).copied()
        }
    };
    let outputs: Vec<Out> = match projection {
        Some(exprs) => exprs
            .iter()
            .map(|e| {
                let mut e = e;
                while let Expr::Alias(a) = e {
                    e = &a.expr;
                }
                match e {
                    Expr::Column(c) => of_field(c).ok_or(()),
                    _ => Err(()),
                }
            })
            .collect::<Result<_, ()>>()
            .map_err(|()| {
                vec![refuse(
                    "差分隐私模式下输出列只能是分组键或聚合本身，不能再做运算（例如 SUM(a)/COUNT(*) 请改用 AVG(a)）",
                )]
            })?,
        None => (0..groups)
            .map(|_| Out::Key)
            .chain(kinds.iter().copied())
            .collect(),
    };
    if !violations.is_empty() {
        return Err(violations);
    }
    for exprs in &sorts {
        let by_key = exprs.iter().all(|e| match e {
            Expr::Column(c) => {
                of_field(c) == Some(Out::Key)
                    || projection.is_some_and(|p| {
                        p.iter()
                            .zip(&outputs)
                            .any(|(pe, o)| *o == Out::Key && pe.schema_name().to_string() == c.name)
                    })
            }
            _ => false,
        });
        if !by_key {
            return Err(vec![refuse(
                "差分隐私模式下只能按分组键排序（按真实聚合值排序会泄露信息）",
            )]);
        }
    }
    Ok(Shape {
        outputs,
        magnitudes,
        bounds: slot_bounds,
    })
}

enum Measure {
    Rows,
    Persons,
    /// Clamp bounds, and whether it is an AVG.
    Sum((i64, i64), bool),
}

fn measure(
    e: &Expr,
    tables: &[TableSpec],
    bounds: &BTreeMap<String, (i64, i64)>,
) -> Result<Measure, Violation> {
    let mut e = e;
    while let Expr::Alias(a) = e {
        e = &a.expr;
    }
    let Expr::AggregateFunction(af) = e else {
        return Err(refuse(
            "差分隐私模式下只支持 COUNT(*)、COUNT(DISTINCT 个人标识)、SUM、AVG",
        ));
    };
    let p = &af.params;
    if p.filter.is_some() || !p.order_by.is_empty() {
        return Err(refuse("差分隐私模式下聚合不能带 FILTER 或 ORDER BY"));
    }
    let arg = p.args.first();
    match (af.func.name(), p.distinct) {
        ("count", false) if matches!(arg, Some(Expr::Literal(..))) => Ok(Measure::Rows),
        ("count", true) => {
            let is_person = arg.and_then(column_of).is_some_and(|c| {
                tables.iter().any(|t| {
                    t.entity.as_deref() == Some(c.name.as_str())
                        && c.relation.as_ref().is_none_or(|r| r.table() == t.name)
                })
            });
            if is_person {
                Ok(Measure::Persons)
            } else {
                Err(refuse(
                    "差分隐私模式下 COUNT(DISTINCT …) 只能计个人标识（隐私单位）",
                ))
            }
        }
        ("count", false) => Err(refuse("差分隐私模式下请用 COUNT(*) 计行数")),
        (name @ ("sum" | "avg"), false) => {
            let Some(col) = arg.and_then(column_of) else {
                return Err(refuse("差分隐私模式下 SUM/AVG 的参数只能是一列"));
            };
            match bounds.get(&col.name) {
                Some(&(lo, hi)) if lo <= hi => Ok(Measure::Sum((lo, hi), name == "avg")),
                Some(_) => Err(Violation {
                    rule: "R4.7",
                    column: Some(col.name.clone()),
                    message: "截断区间的下界大于上界".into(),
                }),
                None => Err(Violation {
                    rule: "R4.7",
                    column: Some(col.name.clone()),
                    message: format!(
                        "差分隐私模式下 SUM/AVG 需要为列 {} 声明每人每组的截断区间（bounds）",
                        col.name
                    ),
                }),
            }
        }
        _ => Err(refuse(
            "差分隐私模式下只支持 COUNT(*)、COUNT(DISTINCT 个人标识)、SUM、AVG",
        )),
    }
}
