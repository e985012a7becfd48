//! Subject scope: a session that sees only one subject's rows. A product
//! about one consenting subject (a verification, a score) runs its approved
//! template in such a session, so whatever the template computes can only
//! be about that subject: every table is filtered on the subject's keyed
//! pseudonym inside the scan, below anything the template can express.
//! The filter column is read by the scan but stays out of the table's
//! schema unless it was granted, so the template cannot name it.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{Expr, Operator, TableType};
use datafusion::physical_expr::expressions::{BinaryExpr, Column, Literal};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::filter::FilterExecBuilder;

/// The subject a session is scoped to.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectScope {
    /// The column holding the subject's identifier in every table.
    pub column: String,
    /// The subject's keyed pseudonym, as the data holds it.
    pub pseudonym: String,
}

// The pseudonym identifies a person or an enterprise: kept out of logs.
impl std::fmt::Debug for SubjectScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectScope({})", self.column)
    }
}

/// A table restricted to one subject's rows. `inner` has the session's
/// columns first and, when it was not granted, the subject column last.
#[derive(Debug)]
pub(crate) struct Scoped {
    pub(crate) inner: Arc<dyn TableProvider>,
    /// The session schema (a prefix of the inner schema).
    pub(crate) schema: SchemaRef,
    /// The subject column's index in the inner schema.
    pub(crate) column: usize,
    pub(crate) pseudonym: String,
}

impl Scoped {
    fn literal(&self) -> Result<ScalarValue, DataFusionError> {
        let inner = self.inner.schema();
        let field = inner
            .fields()
            .get(self.column)
            .ok_or_else(|| DataFusionError::Plan("主体列不存在".into()))?;
        let v = Some(self.pseudonym.clone());
        Ok(match field.data_type() {
            DataType::Utf8View => ScalarValue::Utf8View(v),
            DataType::LargeUtf8 => ScalarValue::LargeUtf8(v),
            DataType::Utf8 => ScalarValue::Utf8(v),
            _ => return Err(DataFusionError::Plan("主体列须为文本列".into())),
        })
    }
}

#[async_trait]
impl TableProvider for Scoped {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        _limit: Option<usize>,
    ) -> datafusion::common::Result<Arc<dyn ExecutionPlan>> {
        // Neither filters nor the limit go below the subject filter: a limit
        // applied first would count other subjects' rows.
        let wanted: Vec<usize> =
            projection.map_or_else(|| (0..self.schema.fields().len()).collect(), Clone::clone);
        let mut read = wanted.clone();
        let at = match read.iter().position(|&i| i == self.column) {
            Some(at) => at,
            None => {
                read.push(self.column);
                read.len() - 1
            }
        };
        let scan = self.inner.scan(state, Some(&read), &[], None).await?;
        let name = self.inner.schema().field(self.column).name().clone();
        let predicate = Arc::new(BinaryExpr::new(
            Arc::new(Column::new(&name, at)),
            Operator::Eq,
            Arc::new(Literal::new(self.literal()?)),
        ));
        let filter = FilterExecBuilder::new(predicate, scan)
            .apply_projection(Some((0..wanted.len()).collect()))?
            .build()?;
        Ok(Arc::new(filter))
    }
}
