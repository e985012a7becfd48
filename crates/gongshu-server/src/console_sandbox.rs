//! Console page of the sandbox (可信数据空间查询): my tables with their
//! column classes, an SQL editor with dry run (预检) and run (执行), the
//! released rows with suppressed rows marked, and refusals naming rule and
//! column. Forms carry the session's CSRF token.

use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::AppError;
use gongshu_app::sandbox::{self, BudgetView, QueryView, SandboxTable};
use gongshu_sandbox::DpParams;
use minijinja::context;
use serde::Deserialize;

use crate::auth::cookie;
use crate::console::{error_page, render};
use crate::state::AppState;

const EXAMPLE: &str =
    "SELECT township, count(*) AS 记录数\nFROM power_bill\nGROUP BY township\nORDER BY township";

fn tables_ctx(tables: &[SandboxTable], budgets: &[BudgetView]) -> Vec<minijinja::Value> {
    tables
        .iter()
        .map(|t| {
            let budget = budgets.iter().find(|b| b.table == t.table);
            context! {
                budget => budget.map(|b| context! {
                    period => b.period, remaining => b.remaining_rho, total => b.total_rho,
                    percent => b.remaining_percent,
                }),
                table => t.table,
                name => t.resource_name,
                threshold => t.threshold,
                valid_until => t.valid_until.to_string(),
                loaded => t.loaded,
                purposes => t.purposes.join("；"),
                columns => t.columns.iter().map(|c| context! {
                    name => c.name, class => c.class_zh, description => c.description,
                }).collect::<Vec<_>>(),
            }
        })
        .collect()
}

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn result_ctx(q: &QueryView) -> minijinja::Value {
    let rows: Vec<minijinja::Value> = q
        .result
        .rows
        .iter()
        .map(|r| {
            let values: Vec<String> = r
                .values
                .iter()
                .zip(&q.result.columns)
                .map(|(v, c)| {
                    if r.suppressed.is_some() && c.kind != gongshu_sandbox::ColumnKind::Key {
                        "＊".to_owned()
                    } else {
                        cell(v)
                    }
                })
                .collect();
            context! { values => values, suppressed => r.suppressed.map(|s| s.label_zh()) }
        })
        .collect();
    context! {
        columns => q.result.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>(),
        rows => rows,
        report => context! {
            protected => q.result.report.protected,
            threshold => q.result.report.threshold,
            base => q.result.report.rounding_base,
            released => q.result.report.rows_released,
            dp => q.result.report.dp.as_ref().map(|d| context! {
                rho => gongshu_sandbox::micro_text(d.rho_micro),
                cached => d.cached,
                max_groups => d.max_groups,
                max_rows => d.max_rows,
                noise => d.noise.iter().map(|n| format!("{}：σ≈{}", n.measure, n.sd)).collect::<Vec<_>>().join("，"),
            }),
            suppressed => q.result.report.rows_suppressed,
            secondary => q.result.report.rows_secondary,
        },
        audit_index => q.audit_index,
        result_sha256 => q.result_sha256,
    }
}

fn refusal_ctx(e: &AppError) -> Vec<minijinja::Value> {
    match e {
        AppError::Validation(fields) => fields
            .iter()
            .map(|f| context! { code => f.code, column => f.field, message => f.message })
            .collect(),
        other => {
            vec![context! { code => other.code(), column => "", message => other.message_zh() }]
        }
    }
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    form: &SqlForm,
    outcome: minijinja::Value,
) -> Response {
    let Some(actor) = crate::console_datasets::actor(state, headers).await else {
        return Redirect::to("/login").into_response();
    };
    let tables = match sandbox::my_tables(&state.app, &actor).await {
        Ok(t) => t,
        Err(e) => return error_page("无法查看可查询的数据表", &e),
    };
    let budgets = match sandbox::budgets(&state.app, &actor).await {
        Ok(b) => b,
        Err(e) => return error_page("无法查看差分隐私预算", &e),
    };
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    render(
        "sandbox.html",
        context! {
            tables => tables_ctx(&tables, &budgets), csrf => csrf, outcome => outcome,
            sql => form.sql, mode => form.mode, rho => form.rho, bounds => form.bounds,
            max_groups => form.max_groups, max_rows => form.max_rows,
        },
    )
}

/// `GET /console/sandbox`.
pub(crate) async fn sandbox_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let form = SqlForm {
        csrf: String::new(),
        sql: EXAMPLE.into(),
        action: String::new(),
        mode: "threshold".into(),
        rho: "0.05".into(),
        bounds: String::new(),
        max_groups: gongshu_sandbox::DEFAULT_MAX_GROUPS.to_string(),
        max_rows: gongshu_sandbox::DEFAULT_MAX_ROWS.to_string(),
    };
    page(&state, &headers, &form, minijinja::Value::UNDEFINED).await
}

/// The editor's form.
#[derive(Debug, Deserialize)]
pub(crate) struct SqlForm {
    csrf: String,
    sql: String,
    /// `explain` or `query`.
    action: String,
    /// `threshold` or `dp`.
    #[serde(default)]
    mode: String,
    #[serde(default)]
    rho: String,
    /// `column=low..high`, one per line or separated by commas.
    #[serde(default)]
    bounds: String,
    #[serde(default)]
    max_groups: String,
    #[serde(default)]
    max_rows: String,
}

fn field_error(field: &str, message: &str) -> AppError {
    AppError::Validation(vec![gongshu_app::FieldError::new(
        field,
        "sandbox.R4.7",
        message,
    )])
}

/// The DP parameters of the form; errors name the field.
fn dp_params(f: &SqlForm) -> Result<DpParams, AppError> {
    let rho: f64 = f
        .rho
        .trim()
        .parse()
        .map_err(|_| field_error("dp.rho", "ρ 须为数字，例如 0.05"))?;
    let micro = crate::api_sandbox::rho_micro(rho, "dp.rho")?;
    let int = |field: &str, v: &str| {
        v.trim()
            .parse::<u32>()
            .map_err(|_| field_error(field, "须为正整数"))
    };
    let mut bounds = std::collections::BTreeMap::new();
    for part in f.bounds.split(['\n', ',', '，', ';', '；']) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let parsed = part.split_once('=').and_then(|(c, r)| {
            let (lo, hi) = r.split_once("..")?;
            Some((
                c.trim().to_owned(),
                (
                    lo.trim().parse::<i64>().ok()?,
                    hi.trim().parse::<i64>().ok()?,
                ),
            ))
        });
        let Some((column, range)) = parsed else {
            return Err(field_error(
                "dp.bounds",
                &format!("无法识别“{part}”：请写成 列名=下界..上界，例如 amount_fen=0..100000"),
            ));
        };
        bounds.insert(column, range);
    }
    Ok(DpParams {
        rho_micro: micro,
        bounds,
        max_groups: int("dp.max_groups", &f.max_groups)?,
        max_rows: int("dp.max_rows", &f.max_rows)?,
    })
}

/// `POST /console/sandbox`.
pub(crate) async fn sandbox_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SqlForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let outcome = if f.action == "explain" {
        match sandbox::explain(&state.app, &actor, &f.sql).await {
            Ok(x) => context! {
                kind => "explain",
                accepted => x.accepted,
                violations => x.violations.iter().map(|v| context! {
                    code => format!("sandbox.{}", v.rule), column => v.column, message => v.message,
                }).collect::<Vec<_>>(),
                plan => x.plan,
            },
            Err(e) => context! { kind => "refused", violations => refusal_ctx(&e) },
        }
    } else {
        let ran = if f.mode == "dp" {
            match dp_params(&f) {
                Ok(p) => {
                    sandbox::query_dp(&state.app, &actor, &f.sql, &p, sandbox::Zone::Production)
                        .await
                }
                Err(e) => Err(e),
            }
        } else {
            sandbox::query(&state.app, &actor, &f.sql).await
        };
        match ran {
            Ok(q) => context! { kind => "result", result => result_ctx(&q) },
            Err(e) => context! { kind => "refused", violations => refusal_ctx(&e) },
        }
    };
    page(&state, &headers, &f, outcome).await
}
