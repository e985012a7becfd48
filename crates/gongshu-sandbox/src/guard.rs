//! The guard: after the checks pass, the one aggregate over protected data
//! gets one hidden column carried up to the output so the release step can
//! apply the output controls: `__gs_cell`, per group the keys of the persons
//! behind it and their per-person sums of every SUM/AVG of a sensitive value
//! (see `cell`), or, for a table without a person column, `__gs_persons`
//! counting rows. The person column is threaded through projections below
//! the aggregate even when the caller neither selected nor was granted it.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::Column;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::logical_expr::expr::Cast;
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, Projection, SubqueryAlias, lit};

use crate::SandboxError;
use crate::spec::TableSpec;

/// Name of the hidden persons column.
pub(crate) const PERSONS: &str = "__gs_persons";
const ENTITY: &str = "__gs_entity";
const CELL: &str = "__gs_cell";

enum Found {
    None,
    /// A protected table below: its person column, if it has one.
    Entity(Option<Column>),
    /// The guarded aggregate below: where its hidden columns are.
    Hidden(Vec<Column>),
}

struct Ctx<'a> {
    specs: HashMap<&'a str, &'a TableSpec>,
    /// Aggregate expressions of the guarded aggregate that are magnitudes.
    magnitudes: &'a [usize],
    /// DP mode: the cell keeps signed per-person contributions.
    dp: bool,
}

/// The hidden column that ends a guarded output.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Not guarded (public data only).
    #[default]
    None,
    /// `__gs_cell`: person keys and magnitudes.
    Cell,
    /// `__gs_persons`: a row count (no person column).
    Rows,
}

fn df(e: datafusion::error::DataFusionError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

/// Adds the hidden column; `plan` passed the checks. `dp`: the DP variant
/// of the cell (see `cell`), with `magnitudes` the summed expressions.
pub(crate) fn guard(
    plan: LogicalPlan,
    tables: &[TableSpec],
    magnitudes: &[usize],
    dp: bool,
) -> Result<(LogicalPlan, Layout), SandboxError> {
    let ctx = Ctx {
        specs: tables.iter().map(|t| (t.name.as_str(), t)).collect(),
        magnitudes,
        dp,
    };
    let (plan, found) = rewrite(plan, &ctx)?;
    match found {
        Found::Hidden(cols) if cols.first().is_some_and(|c| c.name == CELL) => {
            Ok((plan, Layout::Cell))
        }
        Found::Hidden(_) => Ok((plan, Layout::Rows)),
        _ => Err(SandboxError::Internal("受保护查询缺少可守护的聚合".into())),
    }
}

/// The argument of a magnitude aggregate, as Int64.
fn magnitude_arg(e: &Expr) -> Option<Expr> {
    let mut e = e;
    while let Expr::Alias(a) = e {
        e = &a.expr;
    }
    let Expr::AggregateFunction(af) = e else {
        return None;
    };
    let mut arg = af.params.args.first()?;
    while let Expr::Cast(c) = arg {
        arg = &c.expr;
    }
    Some(Expr::Cast(Cast::new(
        Box::new(arg.clone()),
        DataType::Int64,
    )))
}

fn rewrite(plan: LogicalPlan, ctx: &Ctx<'_>) -> Result<(LogicalPlan, Found), SandboxError> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let found = match ctx.specs.get(scan.table_name.table()) {
                Some(spec) if spec.protected() => Found::Entity(
                    spec.entity
                        .as_ref()
                        .map(|e| Column::new(Some(scan.table_name.clone()), e)),
                ),
                _ => Found::None,
            };
            Ok((LogicalPlan::TableScan(scan), found))
        }
        LogicalPlan::SubqueryAlias(s) => {
            let (input, found) = rewrite(Arc::unwrap_or_clone(s.input), ctx)?;
            let alias = s.alias;
            let requalify = |c: Column| Column::new(Some(alias.clone()), c.name);
            let found = match found {
                Found::Entity(c) => Found::Entity(c.map(requalify)),
                Found::Hidden(cs) => Found::Hidden(cs.into_iter().map(requalify).collect()),
                Found::None => Found::None,
            };
            let node = SubqueryAlias::try_new(Arc::new(input), alias.clone()).map_err(df)?;
            Ok((LogicalPlan::SubqueryAlias(node), found))
        }
        LogicalPlan::Projection(p) => {
            let (input, found) = rewrite(Arc::unwrap_or_clone(p.input), ctx)?;
            let mut exprs = p.expr;
            let found = match found {
                Found::Entity(Some(c)) => {
                    let kept = exprs
                        .iter()
                        .any(|e| matches!(e, Expr::Column(x) if *x == c));
                    if kept {
                        Found::Entity(Some(c))
                    } else {
                        exprs.push(Expr::Column(c).alias(ENTITY));
                        Found::Entity(Some(Column::from_name(ENTITY)))
                    }
                }
                Found::Hidden(cs) => {
                    let mut out = Vec::with_capacity(cs.len());
                    for c in cs {
                        out.push(Column::new(c.relation.clone(), c.name.clone()));
                        exprs.push(Expr::Column(c));
                    }
                    Found::Hidden(out)
                }
                other => other,
            };
            let node = Projection::try_new(exprs, Arc::new(input)).map_err(df)?;
            Ok((LogicalPlan::Projection(node), found))
        }
        LogicalPlan::Aggregate(a) => {
            let (input, found) = rewrite(Arc::unwrap_or_clone(a.input), ctx)?;
            let (hidden, extra) = match found {
                Found::Entity(Some(person)) => {
                    let mut args = vec![Expr::Column(person)];
                    args.extend(
                        ctx.magnitudes
                            .iter()
                            .filter_map(|&i| a.aggr_expr.get(i).and_then(magnitude_arg)),
                    );
                    (CELL, crate::cell::udaf(ctx.dp).call(args).alias(CELL))
                }
                // Without a person column, rows are counted instead and
                // dominance is not computed (see docs/sandbox.md).
                Found::Entity(None) => (PERSONS, count(lit(1i64)).alias(PERSONS)),
                other => {
                    let node = Aggregate::try_new(Arc::new(input), a.group_expr, a.aggr_expr)
                        .map_err(df)?;
                    return Ok((LogicalPlan::Aggregate(node), other));
                }
            };
            let mut aggr = a.aggr_expr;
            aggr.push(extra);
            let node = Aggregate::try_new(Arc::new(input), a.group_expr, aggr).map_err(df)?;
            Ok((
                LogicalPlan::Aggregate(node),
                Found::Hidden(vec![Column::from_name(hidden)]),
            ))
        }
        other => {
            // Filters, sorts, limits and joins: same expressions, new inputs.
            let mut found = Found::None;
            let mut inputs = Vec::new();
            for input in other.inputs() {
                let (new, f) = rewrite(input.clone(), ctx)?;
                if matches!(found, Found::None) {
                    found = f;
                }
                inputs.push(new);
            }
            let exprs = other.expressions();
            let node = other.with_new_exprs(exprs, inputs).map_err(df)?;
            Ok((node, found))
        }
    }
}
