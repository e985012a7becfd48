//! Running a product's approved template: the check at submission (plan
//! rules on the operator's tables, no data read), the execution of a call
//! (scoped to the subject for products about one subject, answers kept
//! until the next change), and the benchmark's unaudited baseline of that
//! same execution.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use gongshu_domain::product::{Bound, ProductDefinition, bind};
use gongshu_sandbox::{QueryResult, SessionSpec, SubjectScope};
use gongshu_store::ProductRow;
use serde_json::Value;

use super::consent::pseudonym;
use super::hot::AnswerKey;
use super::{definition, offered, product_error};
use crate::App;
use crate::error::{AppError, FieldError};
use crate::inbox::shanghai_today;

pub(super) fn refused(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Refused {
        code,
        message: message.into(),
    }
}

/// The operator's granted tables that the product reads, or why not.
async fn session(app: &App, owner: &str, def: &ProductDefinition) -> Result<SessionSpec, AppError> {
    let today = shanghai_today(app.clock().now());
    let key = (owner.to_owned(), today);
    let generation = app.generation();
    let granted = match app.hot().tables.get(&key, generation) {
        Some(t) => t,
        None => {
            let (tables, _) = crate::sandbox::granted_tables(app, owner, today).await?;
            app.hot().tables.put(key, generation, tables)
        }
    };
    let tables: Vec<_> = granted
        .iter()
        .filter(|t| def.datasets.contains(&t.dataset_id))
        .cloned()
        .collect();
    if let Some(missing) = def
        .datasets
        .iter()
        .find(|d| !tables.iter().any(|t| &t.dataset_id == *d))
    {
        return Err(refused(
            "product.data_unavailable",
            format!(
                "运营机构对产品使用的数据资源 {missing} 没有有效授权或尚未加载数据，产品暂不可用"
            ),
        ));
    }
    Ok(SessionSpec {
        tables,
        ..SessionSpec::default()
    })
}

/// The automatic check at submission: the template, bound to sample
/// values, passes the plan rules on the operator's tables (no data read).
pub(super) async fn check_template(
    app: &App,
    owner: &str,
    def: &ProductDefinition,
    samples: &BTreeMap<String, Value>,
) -> Result<Value, AppError> {
    let sandbox = app
        .sandbox()
        .ok_or_else(|| refused("sandbox.no_vault", "本实例未配置可信数据空间存储"))?;
    let spec = session(app, owner, def).await.map_err(|e| match e {
        AppError::Refused { code, message } => {
            AppError::Validation(vec![FieldError::new("datasets", code, message)])
        }
        other => other,
    })?;
    let Bound { sql, .. } = bind(&def.template, &def.params, samples, &|s| Some(s.to_owned()))
        .map_err(|e| product_error(&e))?;
    let (facts, result) = sandbox.explain(&spec, &sql).await;
    let explained = result.map_err(|e| match crate::sandbox::app_error(e) {
        AppError::Validation(mut f) => {
            for e in &mut f {
                e.field = "template".into();
            }
            AppError::Validation(f)
        }
        other => other,
    })?;
    if !explained.accepted {
        return Err(AppError::Validation(
            explained
                .violations
                .into_iter()
                .map(|v| FieldError::new("template", &format!("sandbox.{}", v.rule), v.message))
                .collect(),
        ));
    }
    Ok(serde_json::json!({
        "plan_rules": "passed",
        "tables": facts.tables,
        "columns": facts.columns,
        "plan_sha256": facts.plan_sha256,
    }))
}

/// Runs the version's template bound to the call: scoped to the subject's
/// rows for products about one subject (answers kept until the next
/// change or the next day), under the output controls otherwise.
pub(super) async fn execute(
    app: &App,
    product: &ProductRow,
    def: &ProductDefinition,
    bound: &Bound,
    today: NaiveDate,
) -> Result<Arc<QueryResult>, AppError> {
    let sandbox = app
        .sandbox()
        .ok_or_else(|| refused("sandbox.no_vault", "本实例未配置可信数据空间存储"))?
        .clone();
    let scoped = match (&bound.subject, &def.subject_column) {
        (Some(p), Some(column)) => Some(SubjectScope {
            column: column.clone(),
            pseudonym: p.clone(),
        }),
        _ => None,
    };
    let generation = app.generation();
    let key = scoped
        .as_ref()
        .filter(|_| app.hot().answers_on())
        .map(|s| AnswerKey {
            product_id: product.id.clone(),
            version: product.version,
            sql: bound.sql.clone(),
            subject: s.pseudonym.clone(),
            day: today,
        });
    if let Some(hit) = key
        .as_ref()
        .and_then(|k| app.hot().answers.get(k, generation))
    {
        return Ok(hit);
    }
    let spec = session(app, &product.owner_org, def).await?;
    let ended = app.access_ends().subscribe(&product.owner_org);
    let (_, result) = match &scoped {
        Some(scope) => sandbox.query_subject(&spec, &bound.sql, scope, ended).await,
        None => sandbox.query(&spec, &bound.sql, ended).await,
    };
    let result = result.map_err(crate::sandbox::app_error)?;
    Ok(match key {
        Some(k) => app.hot().answers.put(k, generation, result),
        None => Arc::new(result),
    })
}

/// The benchmark's baseline (BENCHMARKS.md, `gongshu bench products`): one
/// call of a product — parameters bound per call, then the same execution
/// function (with the same kept answers) as the call path — without key,
/// subscription, policy, consent, quota, metering or audit. No route of
/// the platform serves it; only the benchmark binary does, on loopback.
#[derive(Debug)]
pub struct Baseline {
    app: App,
    product: ProductRow,
    def: ProductDefinition,
}

impl Baseline {
    /// The offered version of `product_id`.
    ///
    /// # Errors
    /// `product.not_offered`, store errors.
    pub async fn prepare(app: &App, product_id: &str) -> Result<Self, AppError> {
        let product = {
            let mut tx = app.store().begin_read().await?;
            let p = offered(&mut tx, product_id).await;
            tx.commit().await?;
            p?
        }
        .ok_or_else(|| refused("product.not_offered", "产品未上架或已下架"))?;
        let def = definition(&product)?;
        Ok(Self {
            app: app.clone(),
            product,
            def,
        })
    }

    /// Binds `params` (as the call path does) and runs the execution once.
    ///
    /// # Errors
    /// The call path's parameter errors; the sandbox's refusals.
    pub async fn run(
        &self,
        params: &BTreeMap<String, Value>,
    ) -> Result<Arc<QueryResult>, AppError> {
        let bound = bind(&self.def.template, &self.def.params, params, &|c| {
            pseudonym(&self.app, c).ok()
        })
        .map_err(|e| product_error(&e))?;
        let today = shanghai_today(self.app.clock().now());
        execute(&self.app, &self.product, &self.def, &bound, today).await
    }
}
