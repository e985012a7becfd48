//! Expression rules: which functions may run, and what a direct
//! identifier or a sensitive value may be an operand of (R2, R3.1).

use datafusion::common::tree_node::TreeNode as _;
use datafusion::common::{Column, DFSchema};
use datafusion::logical_expr::{BinaryExpr, Expr, Operator};
use gongshu_domain::classification::SandboxClass;

use super::lineage::Lin;
use super::nodes::Walker;

/// Scalar functions a query may call (R3.1 allowlist): generalisation of
/// dates and codes, text normalisation, rounding and null handling.
pub(crate) const SCALAR_FUNCTIONS: &[&str] = &[
    "date_trunc",
    "date_part",
    "datepart",
    "datetrunc",
    "to_char",
    "substr",
    "substring",
    "left",
    "upper",
    "lower",
    "btrim",
    "trim",
    "ltrim",
    "rtrim",
    "length",
    "char_length",
    "coalesce",
    "nullif",
    "round",
    "abs",
    "floor",
    "ceil",
    "trunc",
];

/// Aggregate functions a query may call; their use per class is further
/// restricted in the aggregate rules.
pub(crate) const AGGREGATE_FUNCTIONS: &[&str] = &["count", "sum", "avg", "min", "max"];

/// The columns and lineage an expression is evaluated against.
pub(crate) struct Scope<'p> {
    pub schema: &'p DFSchema,
    pub lins: &'p [Lin],
}

impl Walker<'_> {
    /// The lineage of a column reference, refusing ungranted columns.
    pub(crate) fn column(&mut self, c: &Column, scope: &Scope<'_>) -> Lin {
        let lin = scope
            .schema
            .maybe_index_of_column(c)
            .and_then(|i| scope.lins.get(i))
            .cloned()
            .unwrap_or_default();
        if lin.ungranted {
            self.violate(
                "R1.3",
                lin.sources
                    .iter()
                    .next()
                    .map(super::lineage::Src::qualified),
                "该列不在本次数据使用授权范围内".into(),
            );
        }
        for s in &lin.sources {
            self.columns.insert(s.qualified());
        }
        lin
    }

    /// The lineage of `e`, recording violations of the operand rules.
    pub(crate) fn expr(&mut self, e: &Expr, scope: &Scope<'_>) -> Lin {
        match e {
            Expr::Column(c) => self.column(c, scope),
            Expr::Alias(a) => self.expr(&a.expr, scope),
            Expr::Cast(c) => self.expr(&c.expr, scope),
            Expr::TryCast(c) => self.expr(&c.expr, scope),
            Expr::Literal(..) => Lin::derived([]),
            Expr::ScalarFunction(f) => {
                let name = f.func.name().to_ascii_lowercase();
                if !SCALAR_FUNCTIONS.contains(&name.as_str()) {
                    self.violate("R3.1", None, format!("函数 {name} 不在允许清单内"));
                }
                let op = format!("函数 {name}");
                self.operands(f.args.iter(), scope, &op)
            }
            Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
                let what = format!("运算符 {op}");
                self.operands([left.as_ref(), right.as_ref()], scope, &what)
            }
            Expr::Not(x)
            | Expr::IsNull(x)
            | Expr::IsNotNull(x)
            | Expr::IsTrue(x)
            | Expr::IsFalse(x)
            | Expr::IsUnknown(x)
            | Expr::IsNotTrue(x)
            | Expr::IsNotFalse(x)
            | Expr::IsNotUnknown(x)
            | Expr::Negative(x) => self.operands([x.as_ref()], scope, "条件或运算"),
            Expr::Between(b) => self.operands([b.expr.as_ref(), &b.low, &b.high], scope, "BETWEEN"),
            Expr::InList(l) => {
                self.operands(std::iter::once(l.expr.as_ref()).chain(&l.list), scope, "IN")
            }
            Expr::Like(l) | Expr::SimilarTo(l) => {
                self.operands([l.expr.as_ref(), &l.pattern], scope, "LIKE")
            }
            Expr::Case(c) => {
                let parts = c
                    .expr
                    .iter()
                    .map(AsRef::as_ref)
                    .chain(
                        c.when_then_expr
                            .iter()
                            .flat_map(|(w, t)| [w.as_ref(), t.as_ref()]),
                    )
                    .chain(c.else_expr.iter().map(AsRef::as_ref));
                self.operands(parts, scope, "CASE")
            }
            Expr::WindowFunction(_) => {
                self.violate("R3.5", None, "不允许窗口函数".into());
                Lin::default()
            }
            Expr::Exists(_)
            | Expr::InSubquery(_)
            | Expr::ScalarSubquery(_)
            | Expr::SetComparison(_)
            | Expr::OuterReferenceColumn(..) => {
                self.violate("R3.5", None, "不允许子查询表达式（请改用连接）".into());
                Lin::default()
            }
            Expr::GroupingSet(_) => {
                self.violate("R3.5", None, "不允许 ROLLUP / CUBE / GROUPING SETS".into());
                Lin::default()
            }
            Expr::AggregateFunction(_) => {
                self.violate("R3.1", None, "聚合函数只能出现在 SELECT 的聚合中".into());
                Lin::default()
            }
            other => {
                let kind = other.variant_name();
                self.violate("R3.1", None, format!("不支持的表达式：{kind}"));
                Lin::default()
            }
        }
    }

    /// Operands of an operator or function: a direct identifier or a
    /// sensitive value that is not yet aggregated may not be one.
    fn operands<'e>(
        &mut self,
        parts: impl IntoIterator<Item = &'e Expr>,
        scope: &Scope<'_>,
        what: &str,
    ) -> Lin {
        let mut lins = Vec::new();
        for part in parts {
            let lin = self.expr(part, scope);
            if !lin.aggregated {
                self.operand_rules(&lin, what);
            }
            lins.push(lin);
        }
        Lin::derived(lins)
    }

    fn operand_rules(&mut self, lin: &Lin, what: &str) {
        for s in lin.sources.clone() {
            match s.class {
                SandboxClass::DirectId => self.violate(
                    "R2.direct_id",
                    Some(s.qualified()),
                    format!("直接标识符不能用于{what}，只能作假名连接键或 COUNT(DISTINCT …)"),
                ),
                SandboxClass::Sensitive => self.violate(
                    "R2.sensitive",
                    Some(s.qualified()),
                    format!("敏感值不能用于{what}，只能作 COUNT/SUM/AVG 的列参数"),
                ),
                SandboxClass::QuasiId | SandboxClass::Public => {}
            }
        }
    }
}

/// Whether `e` contains an OR.
pub(crate) fn has_or(e: &Expr) -> bool {
    let mut found = false;
    let _ = e.apply(|x| {
        if matches!(
            x,
            Expr::BinaryExpr(BinaryExpr {
                op: Operator::Or,
                ..
            })
        ) {
            found = true;
        }
        Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
    });
    found
}
