//! Long queries as jobs: accepted (a row and an audit record) before they
//! run, run in the background through the same audited query path, their
//! released result kept for the submitting user. A job still running when
//! the process starts was cut off and is marked interrupted, never lost.

use chrono::{DateTime, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_store::{SandboxJobRow, StoreTx};
use serde::Serialize;

use crate::agreements::commit_with;
use crate::error::AppError;
use crate::{Actor, App, AuditEvent, new_id};

/// A job as shown to its submitter.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// Id.
    pub id: String,
    /// `running`, `done`, `failed` or `interrupted`.
    pub status: String,
    /// Status in Chinese.
    pub status_zh: &'static str,
    /// The SQL.
    pub sql: String,
    /// The released result when done; `{code, message, fields}` when failed.
    pub result: Option<serde_json::Value>,
    /// Accepted.
    pub created_at: DateTime<Utc>,
    /// Finished.
    pub finished_at: Option<DateTime<Utc>>,
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "running" => "执行中",
        "done" => "已完成",
        "failed" => "未通过或失败",
        _ => "已中断（服务重启），请重新提交",
    }
}

fn view(r: SandboxJobRow) -> JobView {
    JobView {
        status_zh: status_zh(&r.status),
        result: r
            .result
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        id: r.id,
        status: r.status,
        sql: r.sql_text,
        created_at: r.created_at,
        finished_at: r.finished_at,
    }
}

fn event(action: &'static str, actor: &Actor, id: &str) -> AuditEvent {
    AuditEvent::new(action)
        .class(RetentionClass::DataAccess)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("sandbox_job", id)
}

/// Accepts `sql` as a job and starts it.
///
/// # Errors
/// As [`super::query`] before running (no vault, an API key), audit and
/// store errors.
pub async fn submit_job(
    app: &App,
    actor: &Actor,
    request: &super::QueryRequest,
) -> Result<JobView, AppError> {
    let sql = request.sql.as_str();
    super::require_person(actor)?;
    super::sandbox_of(app)?;
    if let Some(p) = &request.dp {
        // Bad parameters are refused now, not in the job.
        p.validate().map_err(super::app_error)?;
    }
    if sql.len() > gongshu_sandbox::MAX_SQL_BYTES {
        return Err(super::app_error(gongshu_sandbox::SandboxError::Sql(
            format!("SQL 超过 {} 字节", gongshu_sandbox::MAX_SQL_BYTES),
        )));
    }
    let row = SandboxJobRow {
        id: new_id(),
        org_id: actor.org_id.clone(),
        user_id: actor.user_id.clone(),
        sql_text: sql.to_owned(),
        status: "running".into(),
        result: None,
        error_code: None,
        error: None,
        created_at: app.clock().now(),
        finished_at: None,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_sandbox_job(&row).await?;
        Ok(
            event("sandbox.job_accepted", actor, &row.id).details(serde_json::json!({
                "sql_sha256": gongshu_sandbox::sql_sha256(sql),
                "mode": if request.dp.is_some() { "dp" } else { "threshold" },
            })),
        )
    })
    .await?;
    let (app2, actor2, mut done) = (app.clone(), actor.clone(), row.clone());
    let request = request.clone();
    tokio::spawn(async move {
        let outcome = super::run(&app2, &actor2, &request).await;
        done.finished_at = Some(app2.clock().now());
        match outcome {
            Ok(v) => {
                done.status = "done".into();
                done.result = serde_json::to_string(&v).ok();
            }
            Err(e) => {
                done.status = "failed".into();
                let fields = match &e {
                    AppError::Validation(f) => f.clone(),
                    _ => Vec::new(),
                };
                done.error_code = Some(e.code().to_owned());
                done.error = Some(e.message_zh());
                done.result = serde_json::to_string(&serde_json::json!({
                    "code": e.code(), "message": e.message_zh(), "fields": fields,
                }))
                .ok();
            }
        }
        let id = done.id.clone();
        let status = done.status.clone();
        let finished = commit_with(&app2, async |tx: &mut StoreTx| {
            tx.finish_sandbox_job(&done).await?;
            Ok(event("sandbox.job_finished", &actor2, &id)
                .details(serde_json::json!({ "status": status })))
        })
        .await;
        if let Err(e) = finished {
            tracing::error!(code = e.code(), job = %id, "could not record a finished sandbox job");
        }
    });
    Ok(view(row))
}

/// One of the caller's jobs.
///
/// # Errors
/// Not found (also another user's job).
pub async fn get_job(app: &App, actor: &Actor, id: &str) -> Result<JobView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_sandbox_job(id).await?;
    tx.commit().await?;
    row.filter(|r| r.user_id == actor.user_id)
        .map(view)
        .ok_or(AppError::NotFound {
            what: "sandbox_job",
        })
}

/// The caller's jobs, newest first.
///
/// # Errors
/// Store errors.
pub async fn list_jobs(app: &App, actor: &Actor) -> Result<Vec<JobView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_sandbox_jobs(&actor.user_id).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(view).collect())
}

/// Marks jobs left running by a crash or restart as interrupted (startup).
///
/// # Errors
/// Audit and store errors.
pub async fn interrupt_running(app: &App) -> Result<u64, AppError> {
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let n = match change.tx().interrupt_running_sandbox_jobs(now).await {
        Ok(n) => n,
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    };
    if n == 0 {
        change.abandon().await;
        return Ok(0);
    }
    let ev = AuditEvent::new("sandbox.jobs_interrupted")
        .class(RetentionClass::DataAccess)
        .details(serde_json::json!({ "jobs": n }));
    change.audit(ev).await?.commit().await?;
    Ok(n)
}
