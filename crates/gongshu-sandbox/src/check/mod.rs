//! Plan checks (SANDBOX-RULES.md R2 and R3) on the analysed DataFusion
//! logical plan, before anything executes. The walk derives, for every
//! field of every node, which granted columns it comes from and whether it
//! is aggregated (its lineage); rules read the lineage, the most
//! restrictive class among a field's sources wins. Every violation names
//! its rule, the column and the reason in Chinese.

mod expr;
mod lineage;
mod nodes;

use std::collections::{BTreeSet, HashMap};

use datafusion::logical_expr::LogicalPlan;
use serde::Serialize;

use crate::spec::TableSpec;

pub(crate) use lineage::Lin;

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Violation {
    /// Rule id of SANDBOX-RULES.md, e.g. `R2.direct_id`.
    pub rule: &'static str,
    /// `table.column` concerned, when one is.
    pub column: Option<String>,
    /// Why, in Chinese.
    pub message: String,
}

/// What the checks found.
#[derive(Debug, Clone, Default)]
pub struct Checked {
    /// Broken rules, in plan order, without duplicates.
    pub violations: Vec<Violation>,
    /// Tables read.
    pub tables: BTreeSet<String>,
    /// `table.column` referenced.
    pub columns: BTreeSet<String>,
    /// Whether a protected table is read (the output controls apply).
    pub protected: bool,
    /// Lineage of the output fields.
    pub(crate) output: Vec<Lin>,
    /// Indices, among the protected aggregate's aggregate expressions, of
    /// the SUM/AVG of sensitive values (magnitudes for R4.2).
    pub(crate) magnitudes: Vec<usize>,
}

/// Checks `plan` against the tables of the session.
pub(crate) fn check(plan: &LogicalPlan, tables: &[TableSpec]) -> Checked {
    let specs: HashMap<&str, &TableSpec> = tables.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut w = nodes::Walker::new(&specs);
    let output = w.node(plan, nodes::Pos::ROOT);
    w.root_output(&output);
    let mut checked = w.finish();
    checked.output = output;
    checked
}
