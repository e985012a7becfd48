//! The sandbox use cases: list my tables, explain (dry run) and run a
//! query. Every call, accepted or refused, is an audit record of the data
//! access class (R6) written before the answer leaves; a query whose
//! record cannot be written releases nothing (fail closed).

mod access;
mod dp;
mod jobs;
mod slots;
mod tables;
mod training;

use chrono::{DateTime, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_sandbox::{Explained, Facts, QueryResult, SandboxError, SessionSpec};
use serde::Serialize;

pub use access::AccessEnds;
pub use dp::{BudgetView, budgets, period as dp_period, set_budget};
pub use gongshu_sandbox::DpParams;
pub use jobs::{JobView, get_job, interrupt_running, list_jobs, submit_job};
pub use slots::{PER_ORG as QUERIES_PER_ORG, QuerySlots};
pub(crate) use tables::tables as granted_tables;
pub use tables::{GrantedColumn, SandboxTable, default_table_name};
pub use training::{TrainingView, create_training_view, list_training_views};

use crate::error::{AppError, FieldError};
use crate::inbox::shanghai_today;
use crate::{Actor, App, AuditEvent, AuthMethod};

/// A released result with the reference of its audit record.
#[derive(Debug, Clone, Serialize)]
pub struct QueryView {
    /// The result.
    #[serde(flatten)]
    pub result: QueryResult,
    /// Hex SHA-256 of the SQL.
    pub sql_sha256: String,
    /// Hex SHA-256 of the released result.
    pub result_sha256: Option<String>,
    /// Ledger index of the audit record.
    pub audit_index: u64,
}

fn sandbox_of(app: &App) -> Result<&std::sync::Arc<gongshu_sandbox::Sandbox>, AppError> {
    app.sandbox().ok_or_else(|| AppError::Refused {
        code: "sandbox.no_vault",
        message: "本实例未配置可信数据空间存储（vault），不能查询数据".into(),
    })
}

/// People query; API keys do not (yet): a key carries no identity to
/// answer for a data call.
fn require_person(actor: &Actor) -> Result<(), AppError> {
    match actor.via {
        AuthMethod::Session => Ok(()),
        AuthMethod::ApiKey { .. } => Err(AppError::Forbidden {
            action: "sandbox.query".into(),
            policy_ids: Vec::new(),
        }),
    }
}

/// The tables the caller's organisation may query now.
///
/// # Errors
/// Store errors.
pub async fn my_tables(app: &App, actor: &Actor) -> Result<Vec<SandboxTable>, AppError> {
    let (_, views) = tables::tables(app, &actor.org_id, shanghai_today(app.clock().now())).await?;
    Ok(views)
}

/// Where a query runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    /// Every table of the caller's live grants, and its training views.
    #[default]
    Production,
    /// Model development (R5.4): training views only; raw tables are not
    /// even visible.
    Development,
}

/// The caller's session and the tables as shown (for purposes).
async fn session(
    app: &App,
    actor: &Actor,
    zone: Zone,
) -> Result<(SessionSpec, Vec<SandboxTable>), AppError> {
    require_person(actor)?;
    let now = app.clock().now();
    let (mut tables, mut views) = tables::tables(app, &actor.org_id, shanghai_today(now)).await?;
    if zone == Zone::Development {
        views.retain(|v| v.kind == "training_view");
        tables.retain(|t| views.iter().any(|v| v.table == t.name));
    }
    let mut spec = SessionSpec {
        tables,
        ..SessionSpec::default()
    };
    // A grant valid "until" a day ends at that day's midnight in Shanghai.
    if let Some(end) = access_end(&views) {
        let left = (end - now).to_std().unwrap_or_default();
        spec.limits.timeout = spec.limits.timeout.min(left);
    }
    Ok((spec, views))
}

/// When the earliest-ending grant ends: midnight after its last day, UTC+8.
fn access_end(views: &[SandboxTable]) -> Option<DateTime<Utc>> {
    let last = views.iter().map(|v| v.valid_until).min()?;
    crate::local_time::shanghai_midnight(last.succ_opt()?)
}

fn event(action: &'static str, actor: &Actor, views: &[SandboxTable], facts: &Facts) -> AuditEvent {
    let used: Vec<&SandboxTable> = views
        .iter()
        .filter(|t| facts.tables.contains(&t.table))
        .collect();
    let grants: Vec<&str> = used
        .iter()
        .flat_map(|t| t.grants.iter().map(String::as_str))
        .collect();
    let purposes: Vec<&str> = used
        .iter()
        .flat_map(|t| t.purposes.iter().map(String::as_str))
        .collect();
    AuditEvent::new(action)
        .class(RetentionClass::DataAccess)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .decided_by(facts.rules.clone())
        .details(serde_json::json!({
            "grants": grants,
            "purposes": purposes,
            "sql_sha256": facts.sql_sha256,
            "plan_sha256": facts.plan_sha256,
            "tables": facts.tables,
            "columns": facts.columns,
            "rules": facts.rules,
            "result_sha256": facts.result_sha256,
        }))
}

/// Maps a sandbox error once: refusals and SQL errors are 422 with one
/// field per broken rule; limits and ended access are refusals.
pub fn app_error(e: SandboxError) -> AppError {
    match e {
        SandboxError::Refused(vs) => AppError::Validation(
            vs.into_iter()
                .map(|v| {
                    let field = v.column.unwrap_or_else(|| "sql".into());
                    FieldError::new(&field, &format!("sandbox.{}", v.rule), v.message)
                })
                .collect(),
        ),
        SandboxError::Sql(m) => {
            AppError::Validation(vec![FieldError::new("sql", "sandbox.sql_invalid", m)])
        }
        SandboxError::Vault(v) => AppError::Internal(v.to_string()),
        SandboxError::Internal(m) => AppError::Internal(m),
        other => AppError::Refused {
            code: other.code(),
            message: other.to_string(),
        },
    }
}

/// Runs `sql` for the caller.
///
/// # Errors
/// [`AppError::Validation`] naming broken rules or SQL errors,
/// [`AppError::Refused`] for limits, ended access or suppressed runtime
/// errors, audit errors (nothing is released then).
pub async fn query(app: &App, actor: &Actor, sql: &str) -> Result<QueryView, AppError> {
    query_in(app, actor, sql, Zone::Production).await
}

/// Runs `sql` for the caller in `zone`.
///
/// # Errors
/// As [`query`].
pub async fn query_in(
    app: &App,
    actor: &Actor,
    sql: &str,
    zone: Zone,
) -> Result<QueryView, AppError> {
    let sandbox = sandbox_of(app)?.clone();
    let (spec, views) = session(app, actor, zone).await?;
    let _slot = take_slot(app, actor).await?;
    let ended = app.access_ends().subscribe(&actor.org_id);
    let (facts, result) = sandbox.query(&spec, sql, ended).await;
    let ev = event("sandbox.query", actor, &views, &facts);
    answer(app, ev, facts, result).await
}

/// A query as submitted: its SQL, DP parameters when in DP mode, its zone.
#[derive(Debug, Clone)]
pub struct QueryRequest {
    /// The SQL text.
    pub sql: String,
    /// DP mode's parameters; `None`: threshold mode.
    pub dp: Option<DpParams>,
    /// Where it runs.
    pub zone: Zone,
}

/// Runs `request` for the caller: in DP mode or threshold mode.
///
/// # Errors
/// As [`query`] and [`query_dp`].
pub async fn run(app: &App, actor: &Actor, request: &QueryRequest) -> Result<QueryView, AppError> {
    match &request.dp {
        Some(p) => query_dp(app, actor, &request.sql, p, request.zone).await,
        None => query_in(app, actor, &request.sql, request.zone).await,
    }
}

/// A query slot of the caller's organisation; a refusal is audited like
/// every refused query.
async fn take_slot(
    app: &App,
    actor: &Actor,
) -> Result<tokio::sync::OwnedSemaphorePermit, AppError> {
    match app.query_slots().take(&actor.org_id) {
        Ok(permit) => Ok(permit),
        Err(e) => {
            let ev = AuditEvent::new("sandbox.query")
                .class(RetentionClass::DataAccess)
                .actor(&actor.user_id, &actor.org_id, actor.role_codes())
                .outcome("refused")
                .details(serde_json::json!({ "code": e.code() }));
            app.record(ev).await?;
            Err(e)
        }
    }
}

/// Records the query's audit event, then answers (fail closed).
async fn answer(
    app: &App,
    mut ev: AuditEvent,
    facts: Facts,
    result: Result<QueryResult, SandboxError>,
) -> Result<QueryView, AppError> {
    match result {
        Ok(result) => {
            let r = &result.report;
            ev.details["rows_released"] = r.rows_released.into();
            ev.details["rows_suppressed"] = (r.rows_suppressed + r.rows_secondary).into();
            if let Some(d) = &r.dp {
                ev.details["mode"] = "dp".into();
                ev.details["dp"] = serde_json::json!({
                    "rho": gongshu_sandbox::micro_text(d.rho_micro),
                    "datasets": d.datasets,
                    "cached": d.cached,
                });
            }
            let rec = app.record(ev).await?;
            Ok(QueryView {
                result,
                sql_sha256: facts.sql_sha256,
                result_sha256: facts.result_sha256,
                audit_index: rec.index,
            })
        }
        Err(e) => {
            let mut ev = ev.outcome("refused");
            ev.details["code"] = e.code().into();
            app.record(ev).await?;
            Err(app_error(e))
        }
    }
}

/// Runs `sql` in DP mode (R4.7) for the caller: the answer carries noise,
/// the budget of every dataset read is charged (its own audit record), an
/// identical earlier query's answer comes back from the cache.
///
/// # Errors
/// As [`query`]; `sandbox.budget_exhausted` when a dataset's budget for
/// the quarter cannot cover the query (nothing ran then).
pub async fn query_dp(
    app: &App,
    actor: &Actor,
    sql: &str,
    params: &DpParams,
    zone: Zone,
) -> Result<QueryView, AppError> {
    let sandbox = sandbox_of(app)?.clone();
    let (spec, views) = session(app, actor, zone).await?;
    let _slot = take_slot(app, actor).await?;
    let ended = app.access_ends().subscribe(&actor.org_id);
    let ledger = dp::StoreLedger { app, actor };
    let (facts, result) = sandbox.query_dp(&spec, sql, params, &ledger, ended).await;
    let mut ev = event("sandbox.query", actor, &views, &facts);
    ev.details["mode"] = "dp".into();
    answer(app, ev, facts, result).await
}

/// Checks `sql` without reading data.
///
/// # Errors
/// As [`query`], without limits.
pub async fn explain(app: &App, actor: &Actor, sql: &str) -> Result<Explained, AppError> {
    explain_in(app, actor, sql, Zone::Production).await
}

/// Checks `sql` in `zone` without reading data.
///
/// # Errors
/// As [`explain`].
pub async fn explain_in(
    app: &App,
    actor: &Actor,
    sql: &str,
    zone: Zone,
) -> Result<Explained, AppError> {
    let sandbox = sandbox_of(app)?.clone();
    let (spec, views) = session(app, actor, zone).await?;
    let (facts, result) = sandbox.explain(&spec, sql).await;
    let mut ev = event("sandbox.explain", actor, &views, &facts);
    match result {
        Ok(explained) => {
            if !explained.accepted {
                ev = ev.outcome("refused");
            }
            app.record(ev).await?;
            Ok(explained)
        }
        Err(e) => {
            ev.details["code"] = e.code().into();
            app.record(ev.outcome("refused")).await?;
            Err(app_error(e))
        }
    }
}
