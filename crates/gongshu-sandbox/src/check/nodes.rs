//! Node rules: what may read a protected table, and how (R3).

use std::collections::{BTreeSet, HashMap};

use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{Aggregate, Expr, Join, JoinType, LogicalPlan, Operator};
use gongshu_domain::classification::SandboxClass;

use super::expr::{AGGREGATE_FUNCTIONS, Scope, has_or};
use super::lineage::{Lin, Src};
use super::{Checked, Violation};
use crate::spec::TableSpec;

/// Most predicates a WHERE may have (R3.4).
const MAX_PREDICATES: usize = 5;

/// Where a node sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pos {
    /// Only projections, sorts, limits, aliases and filters above.
    top: bool,
    /// An aggregate above.
    under_agg: bool,
}

impl Pos {
    pub(crate) const ROOT: Self = Self {
        top: true,
        under_agg: false,
    };
}

pub(crate) struct Walker<'s> {
    specs: &'s HashMap<&'s str, &'s TableSpec>,
    violations: Vec<Violation>,
    tables: BTreeSet<String>,
    pub(crate) columns: BTreeSet<String>,
    protected_scans: usize,
    protected_aggregates: usize,
    magnitudes: Vec<usize>,
}

impl<'s> Walker<'s> {
    pub(crate) fn new(specs: &'s HashMap<&'s str, &'s TableSpec>) -> Self {
        Self {
            specs,
            violations: Vec::new(),
            tables: BTreeSet::new(),
            columns: BTreeSet::new(),
            protected_scans: 0,
            protected_aggregates: 0,
            magnitudes: Vec::new(),
        }
    }

    pub(crate) fn violate(&mut self, rule: &'static str, column: Option<String>, message: String) {
        let v = Violation {
            rule,
            column,
            message,
        };
        if !self.violations.contains(&v) {
            self.violations.push(v);
        }
    }

    pub(crate) fn finish(mut self) -> Checked {
        if self.magnitudes.len() > crate::cell::MAX_MAGNITUDES {
            self.violate(
                "R4.2",
                None,
                format!(
                    "一次查询最多对 {} 个敏感值求和或平均（优势规则按主体逐一核算）",
                    crate::cell::MAX_MAGNITUDES
                ),
            );
        }
        if self.protected_aggregates > 1 {
            self.violate(
                "R3.2",
                None,
                "一次查询只能对受保护数据做一层聚合（不支持多个聚合结果再组合）".into(),
            );
        }
        Checked {
            violations: self.violations,
            tables: self.tables,
            columns: self.columns,
            protected: self.protected_scans > 0,
            output: Vec::new(),
            magnitudes: self.magnitudes,
        }
    }

    /// Row-level output of anything but public columns is refused (R3.2).
    pub(crate) fn root_output(&mut self, output: &[Lin]) {
        for lin in output {
            if !lin.aggregated && lin.class() != SandboxClass::Public {
                let col = lin.worst().map(Src::qualified);
                self.violate(
                    "R3.2",
                    col,
                    "非公开列不能逐行输出，只能以聚合结果输出".into(),
                );
            }
        }
    }

    pub(crate) fn node(&mut self, plan: &LogicalPlan, pos: Pos) -> Vec<Lin> {
        let before = self.protected_scans;
        let inner = Pos { top: false, ..pos };
        match plan {
            LogicalPlan::TableScan(scan) => self.scan(scan.table_name.table(), plan, pos),
            LogicalPlan::Projection(p) => {
                let lins = self.node(&p.input, pos);
                let scope = Scope {
                    schema: p.input.schema(),
                    lins: &lins,
                };
                p.expr.iter().map(|e| self.expr(e, &scope)).collect()
            }
            LogicalPlan::Filter(f) => {
                let lins = self.node(&f.input, pos);
                self.filter(&f.predicate, f.input.schema(), &lins);
                lins
            }
            LogicalPlan::Aggregate(a) => self.aggregate(a, pos),
            LogicalPlan::Join(j) => self.join(j, inner),
            LogicalPlan::SubqueryAlias(s) => self.node(&s.input, pos),
            LogicalPlan::Sort(s) => {
                let lins = self.node(&s.input, pos);
                let scope = Scope {
                    schema: s.input.schema(),
                    lins: &lins,
                };
                for e in &s.expr {
                    self.expr(&e.expr, &scope);
                }
                self.only_on_top(pos, before, "ORDER BY");
                lins
            }
            LogicalPlan::Limit(l) => {
                let lins = self.node(&l.input, pos);
                self.only_on_top(pos, before, "LIMIT");
                lins
            }
            LogicalPlan::Distinct(_) | LogicalPlan::Union(_) | LogicalPlan::Window(_) => {
                let lins = plan
                    .inputs()
                    .into_iter()
                    .map(|i| self.node(i, inner))
                    .next()
                    .unwrap_or_default();
                if self.protected_scans > before {
                    let what = match plan {
                        LogicalPlan::Distinct(_) => "DISTINCT（请改用 GROUP BY）",
                        LogicalPlan::Union(_) => "集合运算（UNION / INTERSECT / EXCEPT）",
                        _ => "窗口函数",
                    };
                    self.violate("R3.5", None, format!("受保护数据不允许{what}"));
                }
                let width = plan.schema().fields().len();
                let mut lins = lins;
                lins.resize(width, Lin::default());
                lins
            }
            LogicalPlan::EmptyRelation(_) | LogicalPlan::Values(_) => {
                vec![Lin::derived([]); plan.schema().fields().len()]
            }
            other => {
                let name = other.display().to_string();
                let name = name.split(':').next().unwrap_or("").to_owned();
                self.violate(
                    "R3.1",
                    None,
                    format!("只允许只读 SELECT 查询，不支持：{name}"),
                );
                vec![Lin::default(); plan.schema().fields().len()]
            }
        }
    }

    fn only_on_top(&mut self, pos: Pos, before: usize, what: &str) {
        if !pos.top && self.protected_scans > before {
            self.violate(
                "R3.5",
                None,
                format!("子查询中不允许对受保护数据使用 {what}"),
            );
        }
    }

    fn scan(&mut self, name: &str, plan: &LogicalPlan, pos: Pos) -> Vec<Lin> {
        let width = plan.schema().fields().len();
        let Some(spec) = self.specs.get(name).copied() else {
            self.violate(
                "R3.1",
                None,
                format!("只能查询本次授权的数据表，{name} 不在其中"),
            );
            return vec![Lin::default(); width];
        };
        self.tables.insert(spec.name.clone());
        if spec.protected() {
            self.protected_scans += 1;
            if !pos.under_agg {
                self.violate(
                    "R3.2",
                    None,
                    format!("受保护的数据表 {name} 只能以聚合结果输出（缺少 GROUP BY 或聚合函数）"),
                );
            }
        }
        plan.schema()
            .fields()
            .iter()
            .map(|f| {
                let granted = spec.class_of(f.name());
                let src = Src {
                    table: spec.name.clone(),
                    column: f.name().clone(),
                    class: granted.unwrap_or(SandboxClass::DirectId),
                };
                Lin {
                    sources: BTreeSet::from([src]),
                    raw: true,
                    ungranted: granted.is_none(),
                    ..Lin::default()
                }
            })
            .collect()
    }

    fn filter(&mut self, predicate: &Expr, schema: &datafusion::common::DFSchema, lins: &[Lin]) {
        let scope = Scope { schema, lins };
        let conjuncts = split_conjunction(predicate);
        let mut protected_predicates = 0;
        for c in conjuncts {
            let lin = self.expr(c, &scope);
            if lin.aggregated && lin.class() != SandboxClass::Public {
                self.violate(
                    "R3.4",
                    lin.worst().map(Src::qualified),
                    "HAVING 不能以受保护数据的聚合值筛选".into(),
                );
            }
            if lin.class() != SandboxClass::Public {
                protected_predicates += 1;
            }
            if !lin.aggregated && lin.class() == SandboxClass::QuasiId && has_or(c) {
                self.violate(
                    "R3.4",
                    lin.worst().map(Src::qualified),
                    "准标识符条件不能用 OR 组合".into(),
                );
            }
        }
        if protected_predicates > MAX_PREDICATES {
            self.violate(
                "R3.4",
                None,
                format!("受保护数据的筛选条件最多 {MAX_PREDICATES} 个"),
            );
        }
    }

    fn aggregate(&mut self, a: &Aggregate, pos: Pos) -> Vec<Lin> {
        let before = self.protected_scans;
        let child = Pos {
            top: false,
            under_agg: true,
        };
        let lins = self.node(&a.input, child);
        let protected = self.protected_scans > before;
        if protected {
            self.protected_aggregates += 1;
            if pos.under_agg || !pos.top {
                self.violate(
                    "R3.2",
                    None,
                    "受保护数据的聚合结果不能再聚合或参与连接".into(),
                );
            }
        }
        let scope = Scope {
            schema: a.input.schema(),
            lins: &lins,
        };
        let mut out = Vec::new();
        for g in &a.group_expr {
            let lin = self.expr(g, &scope);
            if !lin.aggregated {
                for s in lin.sources.clone() {
                    match s.class {
                        SandboxClass::DirectId => self.violate(
                            "R2.direct_id",
                            Some(s.qualified()),
                            "不能按直接标识符分组".into(),
                        ),
                        SandboxClass::Sensitive => self.violate(
                            "R2.sensitive",
                            Some(s.qualified()),
                            "不能按敏感值分组".into(),
                        ),
                        SandboxClass::QuasiId | SandboxClass::Public => {}
                    }
                }
            }
            out.push(Lin {
                sources: lin.sources,
                aggregated: true,
                key: true,
                ..Lin::default()
            });
        }
        for (i, e) in a.aggr_expr.iter().enumerate() {
            let (lin, magnitude) = self.aggregate_call(e, &scope, protected);
            if protected && magnitude && lin.class() == SandboxClass::Sensitive {
                self.magnitudes.push(i);
            }
            out.push(lin);
        }
        let width = a.schema.fields().len();
        out.resize(width, Lin::derived([]));
        out
    }

    /// The lineage of one aggregate, and whether it is a SUM or AVG.
    fn aggregate_call(&mut self, e: &Expr, scope: &Scope<'_>, protected: bool) -> (Lin, bool) {
        let mut e = e;
        while let Expr::Alias(a) = e {
            e = &a.expr;
        }
        let Expr::AggregateFunction(af) = e else {
            self.violate("R3.1", None, "不支持的聚合表达式".into());
            return (Lin::default(), false);
        };
        let name = af.func.name().to_ascii_lowercase();
        if !AGGREGATE_FUNCTIONS.contains(&name.as_str()) {
            self.violate("R3.1", None, format!("聚合函数 {name} 不在允许清单内"));
        }
        if protected && (af.params.filter.is_some() || !af.params.order_by.is_empty()) {
            self.violate(
                "R3.4",
                None,
                "受保护数据的聚合不能带 FILTER 或 ORDER BY".into(),
            );
        }
        let mut sources = BTreeSet::new();
        for arg in &af.params.args {
            let lin = match strip_cast(arg) {
                Expr::Column(c) => self.column(c, scope),
                other => {
                    let mut lin = self.expr(other, scope);
                    lin.raw = false;
                    lin
                }
            };
            if !lin.aggregated {
                self.aggregate_rules(&name, af.params.distinct, &lin);
            }
            sources.extend(lin.sources);
        }
        let lin = Lin {
            sources,
            aggregated: true,
            count: name == "count",
            ..Lin::default()
        };
        (lin, matches!(name.as_str(), "sum" | "avg"))
    }

    fn aggregate_rules(&mut self, name: &str, distinct: bool, lin: &Lin) {
        for s in lin.sources.clone() {
            let col = Some(s.qualified());
            match (name, s.class) {
                ("count", _) | (_, SandboxClass::Public) => {}
                ("sum" | "avg", SandboxClass::Sensitive) if lin.raw && !distinct => {}
                ("sum" | "avg", SandboxClass::Sensitive) => self.violate(
                    "R2.sensitive",
                    col,
                    format!("{name} 的参数只能是敏感值列本身（不能带运算或 DISTINCT）"),
                ),
                (_, SandboxClass::DirectId) => self.violate(
                    "R2.direct_id",
                    col,
                    format!("直接标识符不能用于 {name}，只能 COUNT(DISTINCT …)"),
                ),
                (_, SandboxClass::QuasiId) => self.violate(
                    "R2.quasi_id",
                    col,
                    format!("准标识符不能用于 {name}（会暴露个体取值）"),
                ),
                (_, SandboxClass::Sensitive) => self.violate(
                    "R2.sensitive",
                    col,
                    format!("敏感值不能用于 {name}，只能 COUNT/SUM/AVG"),
                ),
            }
        }
    }

    fn join(&mut self, j: &Join, pos: Pos) -> Vec<Lin> {
        let before = self.protected_scans;
        let left = self.node(&j.left, pos);
        let right = self.node(&j.right, pos);
        let protected = self.protected_scans > before;
        if protected {
            if j.join_type != JoinType::Inner {
                self.violate(
                    "R3.3",
                    None,
                    format!(
                        "受保护数据只允许内连接（INNER JOIN），不允许 {}",
                        j.join_type
                    ),
                );
            }
            let mut keys = 0;
            let conjuncts = j.filter.as_ref().map(split_conjunction).unwrap_or_default();
            for (l, r) in &j.on {
                keys += 1;
                self.join_key(l, r, j, &left, &right);
            }
            for c in conjuncts {
                match c {
                    Expr::BinaryExpr(b) if b.op == Operator::Eq => {
                        keys += 1;
                        self.join_key(&b.left, &b.right, j, &left, &right);
                    }
                    _ => self.violate("R3.3", None, "连接条件只能是列与列的等值比较".into()),
                }
            }
            if keys == 0 {
                self.violate(
                    "R3.3",
                    None,
                    "受保护数据不允许笛卡尔积，请用 JOIN … ON 等值连接".into(),
                );
            }
        }
        match j.join_type {
            JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark => left,
            JoinType::RightSemi | JoinType::RightAnti | JoinType::RightMark => right,
            _ => left.into_iter().chain(right).collect(),
        }
    }

    fn join_key(&mut self, l: &Expr, r: &Expr, j: &Join, left: &[Lin], right: &[Lin]) {
        let (Expr::Column(lc), Expr::Column(rc)) = (strip_cast(l), strip_cast(r)) else {
            self.violate("R3.3", None, "连接键必须是列本身".into());
            return;
        };
        let ls = Scope {
            schema: j.left.schema(),
            lins: left,
        };
        let rs = Scope {
            schema: j.right.schema(),
            lins: right,
        };
        // A filter's columns may name either side in either order.
        let (a, b) = if ls.schema.maybe_index_of_column(lc).is_some() {
            (self.column(lc, &ls), self.column(rc, &rs))
        } else {
            (self.column(rc, &ls), self.column(lc, &rs))
        };
        let ok = match (a.class(), b.class()) {
            (SandboxClass::DirectId, SandboxClass::DirectId) => a.raw && b.raw,
            (
                SandboxClass::Public | SandboxClass::QuasiId,
                SandboxClass::Public | SandboxClass::QuasiId,
            ) => true,
            _ => false,
        };
        if !ok {
            let col = a.worst().or(b.worst()).map(Src::qualified);
            self.violate(
                "R3.3",
                col,
                "连接键只能是两侧的直接标识符（假名）或公开/准标识符列".into(),
            );
        }
    }
}

fn strip_cast(e: &Expr) -> &Expr {
    match e {
        Expr::Cast(c) => strip_cast(&c.expr),
        Expr::TryCast(c) => strip_cast(&c.expr),
        Expr::Alias(a) => strip_cast(&a.expr),
        other => other,
    }
}
