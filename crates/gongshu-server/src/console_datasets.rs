//! Console pages of datasets (数据资源与数据质量): the catalog with each
//! resource's current data and quality for those who may see it (the
//! provider, the data bureau, the implementing agency), and one
//! resource's versions with per-column quality and alerts.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::datasets::{self, DatasetView, VersionView};
use minijinja::context;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::state::AppState;

pub(crate) async fn actor(state: &AppState, headers: &HeaderMap) -> Option<gongshu_app::Actor> {
    let token = cookie(headers, SESSION_COOKIE)?;
    gongshu_app::session::authenticate(&state.app, &token)
        .await
        .ok()
        .map(|c| c.actor)
}

fn version_ctx(v: &VersionView) -> minijinja::Value {
    context! {
        version => v.version,
        mode => if v.mode == "append" { "增量追加" } else { "全量替换" },
        rows => v.rows_loaded,
        rejected => v.rows_rejected,
        encoding => v.encoding,
        completeness => v.quality.completeness_permille,
        validity => v.quality.validity_permille,
        consistency => v.quality.consistency_permille,
        alerts => v.quality.alerts.len(),
        loaded_at => v.loaded_at.format("%Y-%m-%d %H:%M").to_string(),
        key_id => v.key_id,
    }
}

fn summary(d: &DatasetView) -> minijinja::Value {
    let latest = d.versions.last();
    context! {
        versions => d.versions.len(),
        current_rows => d.current_rows,
        latest => latest.map(version_ctx),
        late => d.timeliness.is_some_and(|t| t.late),
        age_days => d.timeliness.map(|t| t.age_days),
    }
}

/// `GET /console/datasets`.
pub(crate) async fn list_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(actor) = actor(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let resources = match gongshu_app::catalog::list_resources(&state.app, &actor).await {
        Ok(r) => r,
        Err(e) => return error_page("无法查看数据资源目录", &e),
    };
    let mut rows = Vec::with_capacity(resources.len());
    for r in &resources {
        // Only resources whose quality the caller may see are asked for,
        // so browsing never produces refusals.
        let data = if datasets::may_read_quality(&actor, &r.provider_org_id) {
            match datasets::dataset(&state.app, &actor, &r.id).await {
                Ok(d) => Some(summary(&d)),
                Err(e) => return error_page("无法查看数据质量", &e),
            }
        } else {
            None
        };
        rows.push(context! {
            id => r.id,
            name => r.fields.get("name").and_then(|v| v.as_str()).unwrap_or_default(),
            registration => r.registration.status_label,
            grade => r.grade,
            data => data,
        });
    }
    render("datasets.html", context! { resources => rows })
}

/// `GET /console/datasets/{id}`.
pub(crate) async fn detail_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some(actor) = actor(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let d = match datasets::dataset(&state.app, &actor, &id).await {
        Ok(d) => d,
        Err(e) => return error_page("无法查看数据质量", &e),
    };
    let latest = d.versions.last().map(|v| {
        let columns: Vec<minijinja::Value> = v
            .quality
            .columns
            .iter()
            .map(|c| {
                context! {
                    name => c.name,
                    nulls => c.nulls,
                    invalid => c.invalid,
                    unmatched => c.unmatched,
                    distinct => c.distinct,
                    lines => c.invalid_lines.iter().map(u64::to_string).collect::<Vec<_>>().join("、"),
                }
            })
            .collect();
        let alerts: Vec<String> = v.quality.alerts.iter().map(|a| a.message_zh.clone()).collect();
        context! { version => v.version, columns => columns, alerts => alerts }
    });
    render(
        "dataset.html",
        context! {
            name => d.name,
            summary => summary(&d),
            parts => d.current_parts.iter().map(i64::to_string).collect::<Vec<_>>().join("、"),
            versions => d.versions.iter().rev().map(version_ctx).collect::<Vec<_>>(),
            // Oldest first, for the quality-over-time chart (last 12 versions).
            history => d.versions[d.versions.len().saturating_sub(12)..].iter().map(version_ctx).collect::<Vec<_>>(),
            latest => latest,
        },
    )
}
