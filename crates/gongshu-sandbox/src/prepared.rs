//! Prepared subject templates: a product about one subject runs the same
//! approved SQL for every call; only the subject changes. The template is
//! parsed, planned, analysed, checked and optimised once per session shape
//! (SQL, tables with their versions, columns and classes, subject column),
//! over placeholder tables that hold no rows at all. A call binds the
//! subject: each placeholder is swapped for the subject's rows from the
//! subject index (still under the scope's filter, `subject::Scoped`) and a
//! fresh physical plan is built and run. Physical plans are never reused,
//! so no operator state is shared between calls.
//!
//! A placeholder that was not swapped fails its scan: a fault here stops
//! the call instead of reading anything.

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DataFusionError, Result as DfResult};
use datafusion::datasource::{MemTable, provider_as_source, source_as_provider};
use datafusion::execution::TaskContext;
use datafusion::execution::session_state::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, TableType};
use datafusion::physical_plan::ExecutionPlan;

use crate::check::Lin;
use crate::spec::SessionSpec;
use crate::subject::{Scoped, SubjectScope};
use crate::subject_index::SubjectIndex;

/// Prepared templates kept at most; past it, all are dropped and prepared
/// again on demand (each holds a session and a plan, no data).
const MAX_PREPARED: usize = 256;

/// A table of a prepared plan before a subject is bound: the position of
/// its spec table, and the schema its subject index serves.
#[derive(Debug)]
pub(crate) struct Slot {
    pub(crate) schema: SchemaRef,
    pub(crate) table: usize,
}

#[async_trait]
impl TableProvider for Slot {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        _state: &dyn Session,
        _projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        Err(DataFusionError::Internal(
            "预备查询的表未绑定主体，拒绝读取".into(),
        ))
    }
}

/// A checked, optimised template and the session it was planned in.
pub(crate) struct Prepared {
    pub(crate) state: SessionState,
    pub(crate) task: Arc<TaskContext>,
    /// The optimised logical plan over `Slot` placeholders.
    pub(crate) plan: LogicalPlan,
    pub(crate) plan_sha256: String,
    pub(crate) tables: Vec<String>,
    pub(crate) columns: Vec<String>,
    pub(crate) output: Vec<Lin>,
}

// The plan holds schema names and the template's literals only; still kept
// out of logs like every plan.
impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Prepared({})", self.plan_sha256)
    }
}

impl Prepared {
    /// The physical plan of one call: every placeholder bound to the
    /// subject's rows of its table's index (`indexed[slot.table]`).
    pub(crate) async fn bind(
        &self,
        indexed: &[Arc<SubjectIndex>],
        scope: &SubjectScope,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let plan = self
            .plan
            .clone()
            .transform_up_with_subqueries(|node| {
                let LogicalPlan::TableScan(mut scan) = node else {
                    return Ok(Transformed::no(node));
                };
                let provider = source_as_provider(&scan.source)?;
                let Some(bound) = bound_table(provider.as_ref(), indexed, scope)? else {
                    return Ok(Transformed::no(LogicalPlan::TableScan(scan)));
                };
                scan.source = provider_as_source(bound);
                Ok(Transformed::yes(LogicalPlan::TableScan(scan)))
            })?
            .data;
        self.state
            .query_planner()
            .create_physical_plan(&plan, &self.state)
            .await
    }
}

/// The subject's table for a placeholder, `None` for any other provider.
fn bound_table(
    provider: &dyn TableProvider,
    indexed: &[Arc<SubjectIndex>],
    scope: &SubjectScope,
) -> DfResult<Option<Arc<dyn TableProvider>>> {
    let any: &dyn Any = provider;
    let Some(scoped) = any.downcast_ref::<Scoped>() else {
        return Ok(None);
    };
    let inner: &dyn Any = scoped.inner.as_ref();
    let Some(slot) = inner.downcast_ref::<Slot>() else {
        return Ok(None);
    };
    let index = indexed
        .get(slot.table)
        .ok_or_else(|| DataFusionError::Internal("预备查询的表没有主体索引".into()))?;
    let rows = MemTable::try_new(
        Arc::clone(&index.schema),
        vec![index.rows_of(&scope.pseudonym)],
    )?;
    Ok(Some(Arc::new(Scoped {
        inner: Arc::new(rows),
        schema: Arc::clone(&scoped.schema),
        column: scoped.column,
        pseudonym: scope.pseudonym.clone(),
    })))
}

/// What a prepared template depends on: everything that changes its plan
/// or its checks (no subject, no data).
pub(crate) fn key(spec: &SessionSpec, scope: &SubjectScope, sql: &str) -> String {
    let mut k = String::with_capacity(sql.len() + 256);
    let _ = write!(
        k,
        "{}\u{1}{}\u{1}{}\u{1}{}",
        scope.column, spec.limits.partitions, spec.limits.memory_bytes, sql
    );
    for t in &spec.tables {
        let _ = write!(
            k,
            "\u{1}{}\u{2}{}\u{2}{:?}\u{2}{:?}\u{2}{}",
            t.name, t.dataset_id, t.versions, t.entity, t.sensitive_domain
        );
        for c in &t.columns {
            let _ = write!(k, "\u{2}{}:{:?}", c.name, c.class);
        }
    }
    k
}

/// The sandbox's prepared templates.
#[derive(Debug, Default)]
pub(crate) struct PreparedTemplates(Mutex<HashMap<String, Arc<Prepared>>>);

impl PreparedTemplates {
    pub(crate) fn get(&self, key: &str) -> Option<Arc<Prepared>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    pub(crate) fn put(&self, key: String, prepared: Prepared) -> Arc<Prepared> {
        let prepared = Arc::new(prepared);
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_PREPARED {
            map.clear();
        }
        map.insert(key, Arc::clone(&prepared));
        prepared
    }

    /// Drops every prepared template (a dataset's keys were destroyed).
    pub(crate) fn clear(&self) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}
