//! Console page of the joint reviews (联合审核): data demands (S-4b: the
//! operator and the sector regulator apply, the implementing agency, the
//! data bureau and each providing source unit approve) and market entries
//! (S-4a: four-party review). Each item shows its parties by name with
//! their decisions; a party that has not decided gets a form. A rejection
//! without a reason is named next to the field with the entries kept; a
//! decision someone else made first is reported with the current state.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::reviews::{self, DecisionInput, ReviewView};
use gongshu_app::{Actor, AppError};
use minijinja::context;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::console_products::DecisionForm;
use crate::state::AppState;

/// What a refused form brings back to its item.
#[derive(Debug, Default)]
struct Refusal {
    /// `<kind>/<id>` of the item.
    item: String,
    verdict: String,
    reason: String,
    /// Error of the reason field.
    reason_error: Option<String>,
    /// A refusal by rule or a conflict, shown above the form.
    message: Option<String>,
}

/// Whether `actor`'s organisation still has to decide.
fn can_decide(r: &ReviewView, actor: &Actor, cosign_first: bool) -> bool {
    let open = match r.status.as_str() {
        "under_review" | "co_signed" => true,
        "submitted" => !cosign_first,
        _ => false,
    };
    open && r
        .parties
        .iter()
        .any(|p| p.org_id == actor.org_id && p.decision.is_none())
}

fn parties_ctx(r: &ReviewView, names: &HashMap<String, String>) -> Vec<minijinja::Value> {
    r.parties
        .iter()
        .map(|p| {
            context! {
                name => names.get(&p.org_id).cloned().unwrap_or_else(|| "（未知机构）".into()),
                roles => p.role_labels.join("、"),
                verdict => p.decision.as_ref().map(|d| if d.verdict == "approve" { "同意" } else { "驳回" }),
                reason => p.decision.as_ref().and_then(|d| d.reason.clone()),
                decided_on => p.decision.as_ref().map(|d| gongshu_app::local_time::shanghai_wall(d.decided_at).format("%Y-%m-%d %H:%M").to_string()),
            }
        })
        .collect()
}

#[allow(
    clippy::too_many_arguments,
    reason = "one row of the page: plain fields"
)]
fn item_ctx(
    kind: &str,
    id: &str,
    title: String,
    detail: String,
    r: &ReviewView,
    names: &HashMap<String, String>,
    actor: &Actor,
    refusal: Option<&Refusal>,
) -> minijinja::Value {
    let key = format!("{kind}/{id}");
    let mine = refusal.filter(|f| f.item == key);
    context! {
        kind => kind,
        id => id,
        anchor => format!("{kind}-{}", id.chars().take(8).collect::<String>()),
        title => title,
        detail => detail,
        applicant => names.get(&r.applicant_org).cloned().unwrap_or_default(),
        co_signer => r.co_signer_org.as_ref().and_then(|o| names.get(o).cloned()),
        submitted_on => gongshu_app::local_time::shanghai_today(r.submitted_at).to_string(),
        status => r.status_label,
        parties => parties_ctx(r, names),
        can_decide => can_decide(r, actor, kind == "data-demands"),
        verdict => mine.map_or("approve", |f| f.verdict.as_str()),
        reason => mine.map(|f| f.reason.clone()),
        reason_error => mine.and_then(|f| f.reason_error.clone()),
        message => mine.and_then(|f| f.message.clone()),
    }
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    notice: Option<String>,
    refusal: Option<&Refusal>,
) -> Response {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Redirect::to("/login").into_response();
    };
    let actor = ctx.actor;
    let app = &state.app;
    let loaded = async {
        let orgs = gongshu_app::orgs::list_organisations(app, &actor).await?;
        let resources = gongshu_app::catalog::list_resources(app, &actor).await?;
        let demands = reviews::list_data_demands(app, &actor).await?;
        let entries = reviews::list_market_entries(app, &actor).await?;
        Ok::<_, AppError>((orgs, resources, demands, entries))
    }
    .await;
    let (orgs, resources, demands, entries) = match loaded {
        Ok(l) => l,
        Err(e) => return error_page("无法查看联合审核", &e),
    };
    let names: HashMap<String, String> = orgs.into_iter().map(|o| (o.id, o.name)).collect();
    let dataset = |id: &str| {
        resources
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.fields["name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "（未登记的数据）".into())
    };
    let demands: Vec<_> = demands
        .iter()
        .rev()
        .map(|d| {
            let data = d
                .datasets
                .iter()
                .map(|x| format!("{}（{}）", dataset(&x.dataset_id), x.columns.join("、")))
                .collect::<Vec<_>>()
                .join("；");
            item_ctx(
                "data-demands",
                &d.id,
                format!("数据需求：{}", d.scenario),
                format!(
                    "用途：{}；数据：{data}；有效期 {} 至 {}",
                    d.purpose, d.valid_from, d.valid_until
                ),
                &d.review,
                &names,
                &actor,
                refusal,
            )
        })
        .collect();
    let entries: Vec<_> = entries
        .iter()
        .rev()
        .map(|m| {
            item_ctx(
                "market-entries",
                &m.id,
                format!(
                    "二级市场准入：{}",
                    names
                        .get(&m.review.applicant_org)
                        .cloned()
                        .unwrap_or_default()
                ),
                format!(
                    "资质：{}；合规：{}；技术安全：{}{}",
                    m.qualification,
                    m.compliance,
                    m.technical_security,
                    if m.admitted {
                        "；已准入并签署不转授权承诺"
                    } else {
                        ""
                    }
                ),
                &m.review,
                &names,
                &actor,
                refusal,
            )
        })
        .collect();
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    render(
        "reviews.html",
        context! { demands => demands, entries => entries, csrf => csrf, notice => notice },
    )
}

/// `GET /console/reviews`.
pub(crate) async fn reviews_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, &headers, None, None).await
}

/// `POST /console/reviews/{kind}/{id}/decision`.
pub(crate) async fn decision_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((kind, id)): Path<(String, String)>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = DecisionInput {
        verdict: f.verdict.clone(),
        reason: Some(f.reason.clone()).filter(|r| !r.trim().is_empty()),
    };
    let app = &state.app;
    let result = match kind.as_str() {
        "data-demands" => reviews::decide_data_demand(app, &actor, &id, &input)
            .await
            .map(|v| v.review.status_label),
        "market-entries" => reviews::decide_market_entry(app, &actor, &id, &input)
            .await
            .map(|v| v.review.status_label),
        _ => Err(AppError::NotFound { what: "review" }),
    };
    let mut refusal = Refusal {
        item: format!("{kind}/{id}"),
        verdict: f.verdict,
        reason: f.reason,
        ..Refusal::default()
    };
    match result {
        Ok(status) => {
            return page(
                &state,
                &headers,
                Some(format!("已提交审核意见，当前状态：{status}")),
                None,
            )
            .await;
        }
        Err(AppError::Validation(fields)) => {
            for x in fields {
                if x.field == "reason" {
                    refusal.reason_error = Some(x.message);
                } else {
                    refusal.message = Some(x.message);
                }
            }
        }
        Err(e @ AppError::Duplicate { .. }) => {
            refusal.message = Some(format!(
                "本机构已有他人先行作出审核意见，{}未提交（{}）；以下为当前状态",
                typed(&refusal),
                e.message_zh()
            ));
        }
        Err(
            e @ (AppError::Refused { .. }
            | AppError::Denied { .. }
            | AppError::Forbidden { .. }
            | AppError::Conflict),
        ) => {
            refusal.message = Some(format!(
                "{}：{}未提交；以下为当前状态",
                e.message_zh(),
                typed(&refusal)
            ));
        }
        Err(e) => return error_page("提交审核意见失败", &e),
    }
    page(&state, &headers, None, Some(&refusal)).await
}

/// What the user entered, for a message when the form is gone.
fn typed(r: &Refusal) -> String {
    let verdict = if r.verdict == "reject" {
        "驳回"
    } else {
        "同意"
    };
    if r.reason.trim().is_empty() {
        format!("您的意见（{verdict}）")
    } else {
        format!("您的意见（{verdict}：{}）", r.reason.trim())
    }
}
