//! The guard: after the checks pass, the one aggregate over protected data
//! gets a hidden column `__gs_persons`, the distinct persons (keyed
//! pseudonyms) behind each group, carried up to the output so the release
//! step can apply the output controls. The person column is threaded
//! through projections below the aggregate even when the caller neither
//! selected nor was granted it.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::common::Column;
use datafusion::functions_aggregate::expr_fn::{count, count_distinct};
use datafusion::logical_expr::{Aggregate, Expr, LogicalPlan, Projection, SubqueryAlias, lit};

use crate::SandboxError;
use crate::spec::TableSpec;

/// Name of the hidden persons column.
pub(crate) const PERSONS: &str = "__gs_persons";
const ENTITY: &str = "__gs_entity";

enum Found {
    None,
    /// A protected table below: its person column, if it has one.
    Entity(Option<Column>),
    /// The guarded aggregate below: where its persons column is.
    Persons(Column),
}

fn df(e: datafusion::error::DataFusionError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

/// Adds the persons column; `plan` passed the checks.
pub(crate) fn guard(plan: LogicalPlan, tables: &[TableSpec]) -> Result<LogicalPlan, SandboxError> {
    let specs: HashMap<&str, &TableSpec> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let (plan, found) = rewrite(plan, &specs)?;
    match found {
        Found::Persons(_) => Ok(plan),
        _ => Err(SandboxError::Internal("受保护查询缺少可守护的聚合".into())),
    }
}

fn rewrite(
    plan: LogicalPlan,
    specs: &HashMap<&str, &TableSpec>,
) -> Result<(LogicalPlan, Found), SandboxError> {
    match plan {
        LogicalPlan::TableScan(scan) => {
            let found = match specs.get(scan.table_name.table()) {
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
            let (input, found) = rewrite(Arc::unwrap_or_clone(s.input), specs)?;
            let alias = s.alias;
            let requalify = |c: Column| Column::new(Some(alias.clone()), c.name);
            let found = match found {
                Found::Entity(c) => Found::Entity(c.map(requalify)),
                Found::Persons(c) => Found::Persons(requalify(c)),
                Found::None => Found::None,
            };
            let node = SubqueryAlias::try_new(Arc::new(input), alias.clone()).map_err(df)?;
            Ok((LogicalPlan::SubqueryAlias(node), found))
        }
        LogicalPlan::Projection(p) => {
            let (input, found) = rewrite(Arc::unwrap_or_clone(p.input), specs)?;
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
                Found::Persons(c) => {
                    let relation = c.relation.clone();
                    exprs.push(Expr::Column(c));
                    Found::Persons(Column::new(relation, PERSONS))
                }
                other => other,
            };
            let node = Projection::try_new(exprs, Arc::new(input)).map_err(df)?;
            Ok((LogicalPlan::Projection(node), found))
        }
        LogicalPlan::Aggregate(a) => {
            let (input, found) = rewrite(Arc::unwrap_or_clone(a.input), specs)?;
            let persons = match found {
                Found::Entity(Some(c)) => count_distinct(Expr::Column(c)),
                Found::Entity(None) => count(lit(1i64)),
                other => {
                    let node = Aggregate::try_new(Arc::new(input), a.group_expr, a.aggr_expr)
                        .map_err(df)?;
                    return Ok((LogicalPlan::Aggregate(node), other));
                }
            };
            let mut aggr = a.aggr_expr;
            aggr.push(persons.alias(PERSONS));
            let node = Aggregate::try_new(Arc::new(input), a.group_expr, aggr).map_err(df)?;
            Ok((
                LogicalPlan::Aggregate(node),
                Found::Persons(Column::from_name(PERSONS)),
            ))
        }
        other => {
            // Filters, sorts, limits and joins: same expressions, new inputs.
            let mut found = Found::None;
            let mut inputs = Vec::new();
            for input in other.inputs() {
                let (new, f) = rewrite(input.clone(), specs)?;
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
