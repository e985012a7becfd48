//! A query's way through the sandbox: parse, plan, analyse, check, guard,
//! execute under limits, release.

use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::DataFusionError;
use datafusion::config::Dialect;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::{ExecutionPlan, execute_stream};
use datafusion::prelude::SessionContext;
use datafusion::sql::parser::Statement;
use datafusion::sql::sqlparser::ast::Statement as SqlStatement;
use futures::StreamExt as _;
use gongshu_vault::Vault;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use tokio::sync::watch;

use crate::check::{self, Checked, Violation};
use crate::dp::{self, DpLedger, DpParams};
use crate::prepared::{self, Prepared, PreparedTemplates};
use crate::release::{self, QueryResult};
use crate::spec::{SessionSpec, TableSpec};
use crate::subject::SubjectScope;
use crate::subject_index::{SubjectIndex, SubjectIndexes};
use crate::{SandboxError, guard, tables};

/// Longest SQL text accepted.
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// What the audit record of a query says (no data values).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// Hex SHA-256 of the SQL text.
    pub sql_sha256: String,
    /// Hex SHA-256 of the analysed plan, when planning succeeded.
    pub plan_sha256: Option<String>,
    /// Tables read.
    pub tables: Vec<String>,
    /// `table.column` referenced.
    pub columns: Vec<String>,
    /// Rule ids: the violated ones of a refusal, else those applied.
    pub rules: Vec<String>,
    /// Hex SHA-256 of the released result (JSON), when one was released.
    pub result_sha256: Option<String>,
}

/// The dry run's answer: would the query be accepted, and why not.
#[derive(Debug, Clone, Serialize)]
pub struct Explained {
    /// No rule broken.
    pub accepted: bool,
    /// The broken rules.
    pub violations: Vec<Violation>,
    /// The analysed logical plan, as text (schema names and the query's
    /// own literals only, never data).
    pub plan: String,
    /// Facts for the audit record.
    pub facts: Facts,
}

/// The sandbox: the only code path that reads dataset contents.
#[derive(Debug, Clone)]
pub struct Sandbox {
    vault: Arc<Vault>,
    history: Option<Arc<crate::History>>,
    subjects: Arc<SubjectIndexes>,
    prepared: Arc<PreparedTemplates>,
}

/// Hex SHA-256 of a query's text, as audit records name it.
pub fn sql_sha256(sql: &str) -> String {
    hex_sha256(sql.as_bytes())
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes).as_slice())
}

fn sql_error(e: &DataFusionError) -> SandboxError {
    // The first line only: DataFusion may append backtraces or context.
    let text = e.to_string();
    SandboxError::Sql(text.lines().next().unwrap_or_default().to_owned())
}

struct Planned {
    ctx: SessionContext,
    plan: LogicalPlan,
    checked: Checked,
}

impl Sandbox {
    /// A sandbox over `vault`.
    pub fn new(vault: Arc<Vault>) -> Self {
        Self {
            vault,
            history: None,
            subjects: Arc::new(SubjectIndexes::default()),
            prepared: Arc::new(PreparedTemplates::default()),
        }
    }

    /// Drops what the sandbox keeps in memory of `dataset` (its subject
    /// indices, and the prepared templates): called when the dataset's keys are destroyed.
    pub fn forget(&self, dataset: &str) {
        self.subjects.forget(dataset);
        self.prepared.clear();
    }

    /// The subject index of each table, built on first use. A table whose
    /// index cannot be built (over the memory limit, say) is read from its
    /// files as before.
    async fn indexed(
        &self,
        spec: &SessionSpec,
        scope: &SubjectScope,
    ) -> Vec<Option<Arc<SubjectIndex>>> {
        let mut out = Vec::with_capacity(spec.tables.len());
        for table in &spec.tables {
            let key = tables::index_key(table, scope);
            let index = match self.subjects.get(&key) {
                Some(i) => Some(i),
                None => match tables::build_index(&self.vault, table, scope, spec.limits).await {
                    Ok(i) => Some(self.subjects.put(key, i)),
                    // Correct either way: the files are scanned and filtered.
                    Err(_) => None,
                },
            };
            out.push(index);
        }
        out
    }

    /// The same sandbox remembering released cells in `history` and
    /// withholding cells too close to them (R4.6).
    #[must_use]
    pub fn with_history(mut self, history: Arc<crate::History>) -> Self {
        self.history = Some(history);
        self
    }

    async fn plan(
        &self,
        spec: &SessionSpec,
        scope: Option<&SubjectScope>,
        indexed: &[Option<Arc<SubjectIndex>>],
        sql: &str,
        facts: &mut Facts,
    ) -> Result<Planned, SandboxError> {
        admit_sql(sql, facts)?;
        let ctx = tables::context(&self.vault, spec, scope, indexed)?;
        plan_in(ctx, spec, sql, facts).await
    }
}

/// Records the SQL's hash; refuses an over-long text.
fn admit_sql(sql: &str, facts: &mut Facts) -> Result<(), SandboxError> {
    facts.sql_sha256 = hex_sha256(sql.as_bytes());
    if sql.len() > MAX_SQL_BYTES {
        return Err(SandboxError::Sql(format!("SQL 超过 {MAX_SQL_BYTES} 字节")));
    }
    Ok(())
}

/// Parses, plans, analyses and checks `sql` in `ctx`.
async fn plan_in(
    ctx: SessionContext,
    spec: &SessionSpec,
    sql: &str,
    facts: &mut Facts,
) -> Result<Planned, SandboxError> {
    let state = ctx.state();
    let statement = state
        .sql_to_statement(sql, &Dialect::Generic)
        .map_err(|e| sql_error(&e))?;
    let read_only = matches!(&statement, Statement::Statement(s) if matches!(s.as_ref(), SqlStatement::Query(_)));
    if !read_only {
        let v = Violation {
            rule: "R3.1",
            column: None,
            message: "只允许只读 SELECT 查询（不允许 DDL、DML、EXPLAIN、SET 等语句）".into(),
        };
        facts.rules = vec![v.rule.to_owned()];
        return Err(SandboxError::Refused(vec![v]));
    }
    let plan = state
        .statement_to_plan(statement)
        .await
        .map_err(|e| sql_error(&e))?;
    let plan = state
        .analyzer()
        .execute_and_check(plan, state.config_options(), |_, _| {})
        .map_err(|e| sql_error(&e))?;
    facts.plan_sha256 = Some(hex_sha256(
        plan.display_indent_schema().to_string().as_bytes(),
    ));
    let checked = check::check(&plan, &spec.tables);
    facts.tables = checked.tables.iter().cloned().collect();
    facts.columns = checked.columns.iter().cloned().collect();
    if !checked.violations.is_empty() {
        facts.rules = checked
            .violations
            .iter()
            .map(|v| v.rule.to_owned())
            .collect();
        facts.rules.dedup();
    }
    Ok(Planned { ctx, plan, checked })
}

impl Sandbox {
    /// Checks `sql` without reading any data.
    ///
    /// # Errors
    /// [`SandboxError::Sql`] when the SQL cannot be planned,
    /// [`SandboxError::Refused`] for a statement that is not a query.
    pub async fn explain(
        &self,
        spec: &SessionSpec,
        sql: &str,
    ) -> (Facts, Result<Explained, SandboxError>) {
        let mut facts = Facts::default();
        let result = self
            .plan(spec, None, &[], sql, &mut facts)
            .await
            .map(|p| Explained {
                accepted: p.checked.violations.is_empty(),
                violations: p.checked.violations,
                plan: p.plan.display_indent().to_string(),
                facts: facts.clone(),
            });
        (facts, result)
    }

    /// Runs `sql`; stops when `ended` turns true (the caller's access
    /// ended), on a limit, or on refusal. The facts are returned in every
    /// case, for the audit record.
    pub async fn query(
        &self,
        spec: &SessionSpec,
        sql: &str,
        mut ended: watch::Receiver<bool>,
    ) -> (Facts, Result<QueryResult, SandboxError>) {
        let mut facts = Facts::default();
        let run = async {
            let p = self.plan(spec, None, &[], sql, &mut facts).await?;
            if !p.checked.violations.is_empty() {
                return Err(SandboxError::Refused(p.checked.violations));
            }
            let protected = p.checked.protected;
            let (plan, hidden) = if protected {
                guard::guard(p.plan, &spec.tables, &p.checked.magnitudes, false)?
            } else {
                (p.plan, guard::Layout::default())
            };
            let (schema, batches) = tokio::select! {
                r = tokio::time::timeout(spec.limits.timeout, execute(&p.ctx, plan, spec.limits.max_rows, protected)) => {
                    r.map_err(|_| SandboxError::Limit { limit: "timeout" })??
                }
                () = access_ended(&mut ended) => return Err(SandboxError::AccessEnded),
            };
            let sensitive = spec
                .tables
                .iter()
                .any(|t| t.sensitive_domain && p.checked.tables.contains(&t.name));
            let result = release::release(
                &schema,
                &batches,
                &p.checked.output,
                hidden,
                self.history.as_deref(),
                sensitive,
                &spec.controls,
            )?;
            Ok(result)
        };
        let result = run.await;
        if let Ok(r) = &result {
            facts.rules.clone_from(&r.report.rules);
            facts.result_sha256 = serde_json::to_vec(r).ok().map(|b| hex_sha256(&b));
        }
        (facts, result)
    }
}

impl Sandbox {
    /// Runs `sql` in DP mode (R4.7): the query must have a DP shape (see
    /// `dp::shape`); the budget is reserved through `ledger` after the
    /// checks and before execution; an identical earlier query's answer is
    /// returned from the cache without spending.
    pub async fn query_dp(
        &self,
        spec: &SessionSpec,
        sql: &str,
        params: &DpParams,
        ledger: &dyn DpLedger,
        mut ended: watch::Receiver<bool>,
    ) -> (Facts, Result<QueryResult, SandboxError>) {
        let mut facts = Facts::default();
        let run = async {
            params.validate()?;
            let p = self.plan(spec, None, &[], sql, &mut facts).await?;
            if !p.checked.violations.is_empty() {
                return Err(SandboxError::Refused(p.checked.violations));
            }
            if !p.checked.protected {
                // Public data only: nothing to protect, no budget spent.
                drop(p);
                let (_, r) = self.query(spec, sql, ended).await;
                return r;
            }
            let shape =
                dp::shape(&p.plan, &spec.tables, &params.bounds).map_err(SandboxError::Refused)?;
            let used: Vec<&TableSpec> = spec
                .tables
                .iter()
                .filter(|t| p.checked.tables.contains(&t.name))
                .collect();
            if let Some(t) = used.iter().find(|t| t.protected() && t.entity.is_none()) {
                return Err(SandboxError::Refused(vec![Violation {
                    rule: "R4.7",
                    column: None,
                    message: format!("表 {} 没有个人标识列，差分隐私模式无法界定隐私单位", t.name),
                }]));
            }
            let mut datasets: Vec<String> = used.iter().map(|t| t.dataset_id.clone()).collect();
            datasets.sort();
            datasets.dedup();
            let key = dp::cache_key(
                facts.plan_sha256.as_deref().unwrap_or_default(),
                &used,
                params,
            );
            if let Some(mut hit) = ledger.cached(&key).await? {
                if let Some(d) = hit.report.dp.as_mut() {
                    d.cached = true;
                }
                return Ok(hit);
            }
            let (plan, layout) = guard::guard(p.plan, &spec.tables, &shape.magnitudes, true)?;
            if layout != guard::Layout::Cell {
                return Err(SandboxError::Internal(
                    "差分隐私查询缺少个人贡献聚合".into(),
                ));
            }
            ledger.reserve(&datasets, params.rho_micro).await?;
            let (schema, batches) = tokio::select! {
                r = tokio::time::timeout(spec.limits.timeout, execute(&p.ctx, plan, spec.limits.max_rows, true)) => {
                    r.map_err(|_| SandboxError::Limit { limit: "timeout" })??
                }
                () = access_ended(&mut ended) => return Err(SandboxError::AccessEnded),
            };
            let sensitive = used.iter().any(|t| t.sensitive_domain);
            let result = dp::release_dp(
                &schema,
                &batches,
                &p.checked.output,
                &shape,
                params,
                datasets,
                sensitive,
                &spec.controls,
            )?;
            ledger.remember(&key, &result).await
        };
        let result = run.await;
        if let Ok(r) = &result {
            facts.rules.clone_from(&r.report.rules);
            facts.result_sha256 = serde_json::to_vec(r).ok().map(|b| hex_sha256(&b));
        }
        (facts, result)
    }
}

/// Rows a product about one subject answers at most.
pub const MAX_SUBJECT_ROWS: usize = 1;

impl Sandbox {
    /// Runs an approved product template for one consenting subject: every
    /// table holds only the subject's rows (see `subject`), the plan checks
    /// (R2, R3) hold as for any query, so protected data still leaves only
    /// in aggregate; the answer is one row about that subject alone, so the
    /// person threshold does not apply (the subject consented to it).
    pub async fn query_subject(
        &self,
        spec: &SessionSpec,
        sql: &str,
        scope: &SubjectScope,
        mut ended: watch::Receiver<bool>,
    ) -> (Facts, Result<QueryResult, SandboxError>) {
        let mut facts = Facts::default();
        let run = async {
            let indexed = self.indexed(spec, scope).await;
            if let Some(all) = indexed
                .iter()
                .cloned()
                .collect::<Option<Vec<_>>>()
                .filter(|all| !all.is_empty())
            {
                return self
                    .run_prepared(spec, sql, scope, &all, &mut facts, &mut ended)
                    .await;
            }
            let p = self
                .plan(spec, Some(scope), &indexed, sql, &mut facts)
                .await?;
            if !p.checked.violations.is_empty() {
                return Err(SandboxError::Refused(p.checked.violations));
            }
            let (schema, batches) = tokio::select! {
                r = tokio::time::timeout(spec.limits.timeout, execute(&p.ctx, p.plan, MAX_SUBJECT_ROWS, true)) => {
                    r.map_err(|_| SandboxError::Limit { limit: "timeout" })??
                }
                () = access_ended(&mut ended) => return Err(SandboxError::AccessEnded),
            };
            release::release_subject(&schema, &batches, &p.checked.output)
        };
        let result = run.await;
        if let Ok(r) = &result {
            facts.rules.clone_from(&r.report.rules);
            facts.result_sha256 = serde_json::to_vec(r).ok().map(|b| hex_sha256(&b));
        }
        (facts, result)
    }
}

impl Sandbox {
    /// A subject template whose tables are all indexed: prepared once per
    /// session shape (see `prepared`), bound to the subject per call.
    async fn run_prepared(
        &self,
        spec: &SessionSpec,
        sql: &str,
        scope: &SubjectScope,
        indexed: &[Arc<SubjectIndex>],
        facts: &mut Facts,
        ended: &mut watch::Receiver<bool>,
    ) -> Result<QueryResult, SandboxError> {
        admit_sql(sql, facts)?;
        let key = prepared::key(spec, scope, sql);
        let prepared = match self.prepared.get(&key) {
            Some(p) => p,
            None => {
                let ctx = tables::prepared_context(spec, scope, indexed)?;
                let p = plan_in(ctx, spec, sql, facts).await?;
                if !p.checked.violations.is_empty() {
                    return Err(SandboxError::Refused(p.checked.violations));
                }
                let state = p.ctx.state();
                // Planning reads no data; still, errors over protected
                // tables say nothing more than "suppressed" (R4.8).
                let plan = state.optimize(&p.plan).map_err(runtime_error(true))?;
                let ready = Prepared {
                    task: state.task_ctx(),
                    state,
                    plan,
                    plan_sha256: facts.plan_sha256.clone().unwrap_or_default(),
                    tables: facts.tables.clone(),
                    columns: facts.columns.clone(),
                    output: p.checked.output,
                };
                self.prepared.put(key, ready)
            }
        };
        facts.plan_sha256 = Some(prepared.plan_sha256.clone());
        facts.tables.clone_from(&prepared.tables);
        facts.columns.clone_from(&prepared.columns);
        let run = async {
            let plan = prepared
                .bind(indexed, scope)
                .await
                .map_err(runtime_error(true))?;
            collect(plan, Arc::clone(&prepared.task), MAX_SUBJECT_ROWS, true).await
        };
        let (schema, batches) = tokio::select! {
            r = tokio::time::timeout(spec.limits.timeout, run) => {
                r.map_err(|_| SandboxError::Limit { limit: "timeout" })??
            }
            () = access_ended(ended) => return Err(SandboxError::AccessEnded),
        };
        release::release_subject(&schema, &batches, &prepared.output)
    }
}

/// Resolves when access ends; never when the sender is gone without
/// having ended it.
async fn access_ended(ended: &mut watch::Receiver<bool>) {
    if ended.wait_for(|v| *v).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Maps an engine error at run time: the memory limit by name, anything
/// else over protected data as "suppressed" (R4.8: a runtime error over
/// protected data could encode a value).
fn runtime_error(protected: bool) -> impl Fn(DataFusionError) -> SandboxError {
    move |e: DataFusionError| match e.find_root() {
        DataFusionError::ResourcesExhausted(_) => SandboxError::Limit { limit: "memory" },
        _ if protected => SandboxError::Suppressed,
        other => sql_error(other),
    }
}

async fn execute(
    ctx: &SessionContext,
    plan: LogicalPlan,
    max_rows: usize,
    protected: bool,
) -> Result<(SchemaRef, Vec<RecordBatch>), SandboxError> {
    let runtime = runtime_error(protected);
    let frame = ctx.execute_logical_plan(plan).await.map_err(&runtime)?;
    let physical = frame.create_physical_plan().await.map_err(&runtime)?;
    collect(physical, ctx.task_ctx(), max_rows, protected).await
}

/// Runs a physical plan, stopping past `max_rows`.
async fn collect(
    plan: Arc<dyn ExecutionPlan>,
    task: Arc<TaskContext>,
    max_rows: usize,
    protected: bool,
) -> Result<(SchemaRef, Vec<RecordBatch>), SandboxError> {
    let runtime = runtime_error(protected);
    let mut stream = execute_stream(plan, task).map_err(&runtime)?;
    let schema = stream.schema();
    let mut rows = 0usize;
    let mut batches = Vec::new();
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(&runtime)?;
        rows += batch.num_rows();
        if rows > max_rows {
            return Err(SandboxError::Limit { limit: "rows" });
        }
        batches.push(batch);
    }
    Ok((schema, batches))
}
