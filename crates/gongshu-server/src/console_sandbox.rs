//! Console page of the sandbox (可信数据空间查询): my tables with their
//! column classes, an SQL editor with dry run (预检) and run (执行), the
//! released rows with suppressed rows marked, and refusals naming rule and
//! column. Forms carry the session's CSRF token.

use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::AppError;
use gongshu_app::sandbox::{self, QueryView, SandboxTable};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::state::AppState;

const EXAMPLE: &str =
    "SELECT township, count(*) AS 记录数\nFROM power_bill\nGROUP BY township\nORDER BY township";

fn tables_ctx(tables: &[SandboxTable]) -> Vec<minijinja::Value> {
    tables
        .iter()
        .map(|t| {
            context! {
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
    sql: &str,
    outcome: minijinja::Value,
) -> Response {
    let Some(actor) = crate::console_datasets::actor(state, headers).await else {
        return Redirect::to("/login").into_response();
    };
    let tables = match sandbox::my_tables(&state.app, &actor).await {
        Ok(t) => t,
        Err(e) => return error_page("无法查看可查询的数据表", &e),
    };
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    render(
        "sandbox.html",
        context! { tables => tables_ctx(&tables), sql => sql, csrf => csrf, outcome => outcome },
    )
}

/// `GET /console/sandbox`.
pub(crate) async fn sandbox_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, &headers, EXAMPLE, minijinja::Value::UNDEFINED).await
}

/// The editor's form.
#[derive(Debug, Deserialize)]
pub(crate) struct SqlForm {
    csrf: String,
    sql: String,
    /// `explain` or `query`.
    action: String,
}

/// `POST /console/sandbox`.
pub(crate) async fn sandbox_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<SqlForm>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Redirect::to("/login").into_response();
    };
    if !ctx.csrf_ok(&f.csrf) {
        return error_page(
            "表单已过期，请刷新页面后重试",
            &AppError::Unauthenticated("csrf"),
        );
    }
    let outcome = if f.action == "explain" {
        match sandbox::explain(&state.app, &ctx.actor, &f.sql).await {
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
        match sandbox::query(&state.app, &ctx.actor, &f.sql).await {
            Ok(q) => context! { kind => "result", result => result_ctx(&q) },
            Err(e) => context! { kind => "refused", violations => refusal_ctx(&e) },
        }
    };
    page(&state, &headers, &f.sql, outcome).await
}
