//! HTTP routes of the sandbox (可信数据空间查询): my tables, explain (dry
//! run, no data read) and query. Results are released cells only; every
//! call is an audit record.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use std::collections::BTreeMap;

use gongshu_app::sandbox::{self, Zone};
use gongshu_sandbox::DpParams;
use serde::Deserialize;

use crate::api::{Body, RouteDoc};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "get",
        path: "/api/v1/sandbox/tables",
        summary: "我可查询的数据表",
        description: "The tables the caller's organisation may query now (live, unrevoked grants): SQL table name, granted columns with their class (`direct_id`, `quasi_id`, `sensitive`, `public`), purposes, grants, last day of validity and the person threshold of released rows.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/sandbox/explain",
        summary: "查询预检（不读取数据）",
        description: "Body `{\"sql\": \"SELECT …\"}`. Plans and checks the query against the column classes (R2) and query-shape rules (R3) without reading data: `accepted`, `violations` (rule id, `table.column`, reason in Chinese) and the analysed plan. Audited.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/sandbox/query",
        summary: "在沙箱中执行查询",
        description: "Body `{\"sql\": \"SELECT …\"}`. Runs a read-only query over the caller's granted tables and releases only aggregate rows that pass the output controls: at least 10 distinct persons per row (20 for sensitive personal information), secondary suppression, counts rounded to 5. Withheld rows keep their group keys with `suppressed` naming the rule. A broken rule answers 422 with one field per violation (`code` = `sandbox.<rule>`); limits (time, rows, memory), ended access and runtime errors over protected data answer 409. Audited before the answer leaves.\n\nDP mode (R4.7): add `\"dp\": {\"rho\": 0.05, \"bounds\": {\"amount_fen\": [0, 100000]}, \"max_groups\": 1, \"max_rows\": 12}`. Only `SELECT keys, COUNT(*), COUNT(DISTINCT <person column>), SUM(x), AVG(x) … GROUP BY keys` is answered; each person counts in at most `max_groups` groups (default 1) with at most `max_rows` rows each (default 12), sums clamped to `bounds` (required for every summed column); discrete Gaussian noise (OpenDP) on every value; groups whose noisy person count is under the threshold are not released at all. `rho` (zCDP, at most 0.125 per query) is charged to the global quarterly budget of every dataset read (shared by all requesters; 409 `sandbox.budget_exhausted` when short); an identical query returns the cached answer (`report.dp.cached`) without spending.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/sandbox/training-views",
        summary: "生成训练视图（抽样、去标识）",
        description: "Body `{\"table\": \"power_bill\", \"fraction\": 0.1}`. Draws a training view inside the space (R5.4): a random share (0.001–0.5) of the persons of one of the caller's loaded tables with all their rows, every direct identifier dropped, the person replaced by `person_ref` (random per view, unlinkable to other views and tables), quasi-identifying dates coarsened to months, sensitive integers top- and bottom-coded at the sample's 1st/99th percentiles. The view is a table of the caller's sandbox under the same rules, named `tv_<table>_<n>`, and the only kind of table of the development zone (`\"zone\": \"development\"` on query and explain); it disappears with the source grant. 201 with the view; audited.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/sandbox/training-views",
        summary: "我的训练视图",
        description: "The caller organisation's training views: table name, source table, fraction, rows and persons kept.",
    },
    RouteDoc {
        method: "put",
        path: "/api/v1/sandbox/budgets/{dataset_id}",
        summary: "设定数据集的季度隐私预算（数据局）",
        description: "Body `{\"total_rho\": 0.5, \"reason\": \"…\"}`. The data bureau sets a dataset's DP budget per quarter (0 < ρ ≤ 10; default 1), effective at once for the current quarter (queries already charged stay charged). 422 without a reason or out of range, 404 for a dataset not in the catalog, 403 for anyone else (audited); audited `sandbox.dp_budget_set` with the previous and new totals.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/sandbox/budgets",
        summary: "差分隐私预算（本季度）",
        description: "Per table the caller may query: the quarter (Asia/Shanghai), the dataset's total, spent and remaining ρ (zCDP; spent by all requesters together) and the most one query may spend.",
    },
    RouteDoc {
        method: "post",
        path: "/api/v1/sandbox/jobs",
        summary: "以作业方式提交查询（长查询）",
        description: "Body as `/query` (`sql`, optional `dp` and `zone`). Accepts the query as a job (a row and an audit record first) and answers 202 at once; it runs through the same checks and output controls as `/query`. A job left running by a restart becomes `interrupted`.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/sandbox/jobs",
        summary: "我的查询作业",
        description: "The caller's jobs, newest first, with status (`running`, `done`, `failed`, `interrupted`) and, when finished, the released result or the refusal.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/sandbox/jobs/{id}",
        summary: "查询作业状态与结果",
        description: "One of the caller's jobs (404 for anyone else's).",
    },
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/sandbox/tables", get(tables))
        .route("/api/v1/sandbox/explain", post(explain))
        .route("/api/v1/sandbox/query", post(query))
        .route("/api/v1/sandbox/budgets", get(budgets))
        .route("/api/v1/sandbox/budgets/{dataset_id}", put(set_budget))
        .route(
            "/api/v1/sandbox/training-views",
            post(create_view).get(list_views),
        )
        .route("/api/v1/sandbox/jobs", post(submit_job).get(jobs))
        .route("/api/v1/sandbox/jobs/{id}", get(job))
}

/// A dry run, optionally in the development zone.
#[derive(Debug, Deserialize)]
pub struct ExplainInput {
    /// The SQL text.
    pub sql: String,
    /// `production` (default) or `development` (training views only).
    #[serde(default)]
    pub zone: Zone,
}

/// A training view to draw.
#[derive(Debug, Deserialize)]
pub struct TrainingViewInput {
    /// Source table (SQL name).
    pub table: String,
    /// Share of persons kept (0.001–0.5).
    pub fraction: f64,
}

/// A query, optionally in DP mode.
#[derive(Debug, Deserialize)]
pub struct QueryInput {
    /// The SQL text.
    pub sql: String,
    /// DP mode's parameters; absent: threshold mode.
    #[serde(default)]
    pub dp: Option<DpInput>,
    /// `production` (default) or `development` (training views only).
    #[serde(default)]
    pub zone: Zone,
}

/// DP parameters as sent.
#[derive(Debug, Deserialize)]
pub struct DpInput {
    /// ρ of the query (zCDP).
    pub rho: f64,
    /// Clamp bounds per summed column.
    #[serde(default)]
    pub bounds: BTreeMap<String, (i64, i64)>,
    /// Groups per person at most (default 1).
    #[serde(default)]
    pub max_groups: Option<u32>,
    /// Rows per person and group at most (default 12).
    #[serde(default)]
    pub max_rows: Option<u32>,
}

/// ρ in millionths (the sandbox checks the range).
///
/// # Errors
/// Validation of `dp.rho` for a value that is not a positive number.
pub(crate) fn rho_micro(rho: f64, field: &str) -> Result<u64, gongshu_app::AppError> {
    let micro = rho * 1e6;
    if !micro.is_finite() || !(0.5..=1e12).contains(&micro) {
        return Err(gongshu_app::AppError::Validation(vec![
            gongshu_app::FieldError::new(field, "sandbox.R4.7", "ρ 必须是大于 0 的数"),
        ]));
    }
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked finite, positive and at most 10^12 above"
    )]
    Ok(micro.round() as u64)
}

impl QueryInput {
    fn request(self) -> Result<sandbox::QueryRequest, ApiError> {
        Ok(sandbox::QueryRequest {
            sql: self.sql,
            dp: self.dp.map(DpInput::params).transpose()?,
            zone: self.zone,
        })
    }
}

impl DpInput {
    fn params(self) -> Result<DpParams, ApiError> {
        Ok(DpParams {
            rho_micro: rho_micro(self.rho, "dp.rho")?,
            bounds: self.bounds,
            max_groups: self
                .max_groups
                .unwrap_or(gongshu_sandbox::DEFAULT_MAX_GROUPS),
            max_rows: self.max_rows.unwrap_or(gongshu_sandbox::DEFAULT_MAX_ROWS),
        })
    }
}

async fn tables(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    Ok(Json(sandbox::my_tables(&state.app, &auth.actor).await?).into_response())
}

async fn explain(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<ExplainInput>,
) -> Result<Response, ApiError> {
    Ok(Json(sandbox::explain_in(&state.app, &auth.actor, &b.sql, b.zone).await?).into_response())
}

async fn query(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<QueryInput>,
) -> Result<Response, ApiError> {
    let view = sandbox::run(&state.app, &auth.actor, &b.request()?).await?;
    Ok(Json(view).into_response())
}

async fn create_view(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<TrainingViewInput>,
) -> Result<Response, ApiError> {
    let v = sandbox::create_training_view(&state.app, &auth.actor, &b.table, b.fraction).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

async fn list_views(
    State(state): State<AppState>,
    auth: Authenticated,
) -> Result<Response, ApiError> {
    Ok(Json(sandbox::list_training_views(&state.app, &auth.actor).await?).into_response())
}

/// A budget setting.
#[derive(Debug, Deserialize)]
struct BudgetInput {
    total_rho: f64,
    reason: String,
}

async fn set_budget(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(dataset_id): Path<String>,
    Body(b): Body<BudgetInput>,
) -> Result<Response, ApiError> {
    let total = rho_micro(b.total_rho, "total_rho")?;
    sandbox::set_budget(&state.app, &auth.actor, &dataset_id, total, &b.reason).await?;
    Ok(Json(serde_json::json!({
        "dataset_id": dataset_id,
        "total_rho": gongshu_sandbox::micro_text(total),
    }))
    .into_response())
}

async fn budgets(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    Ok(Json(sandbox::budgets(&state.app, &auth.actor).await?).into_response())
}

async fn submit_job(
    State(state): State<AppState>,
    auth: Authenticated,
    Body(b): Body<QueryInput>,
) -> Result<Response, ApiError> {
    let v = sandbox::submit_job(&state.app, &auth.actor, &b.request()?).await?;
    Ok((StatusCode::ACCEPTED, Json(v)).into_response())
}

async fn jobs(State(state): State<AppState>, auth: Authenticated) -> Result<Response, ApiError> {
    Ok(Json(sandbox::list_jobs(&state.app, &auth.actor).await?).into_response())
}

async fn job(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(Json(sandbox::get_job(&state.app, &auth.actor, &id).await?).into_response())
}
