//! Console page of data products (数据产品和服务): every product the
//! caller may see with its versions, review state and registration; a
//! review form for the parties of a version in review; the participant's
//! subscriptions, consents and calls; re-licensing signals for the
//! operator and the supervisors. Forms carry the session's CSRF token.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::products::{self, ProductDecision, ProductView};
use gongshu_app::{Actor, AppError};
use gongshu_domain::OrgKind;
use minijinja::context;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::state::AppState;

fn product_ctx(p: &ProductView, actor: &Actor) -> minijinja::Value {
    let latest = p.versions.last();
    let def = latest.map(|v| &v.definition);
    let decided = latest.is_some_and(|v| {
        v.decisions
            .iter()
            .any(|d| d.round == v.review_round && d.party_org == actor.org_id)
    });
    let party = latest.is_some_and(|v| v.parties.iter().any(|x| x.org_id == actor.org_id));
    context! {
        id => p.id,
        name => p.name,
        kind => def.map(|d| d.kind.label_zh()),
        category => def.map(|d| d.category.label_zh()),
        price => def.map(|d| if d.category.is_free() { "免费".to_owned() } else { format!("{} 元/{}", d.price, d.billing_unit.unit_zh()) }),
        scenarios => def.map(|d| d.scenarios.join("、")),
        version => latest.map(|v| v.version),
        status => latest.map(|v| v.status_label),
        offered => p.offered_version,
        registration => latest.and_then(|v| v.registration_code.clone()),
        approvals => latest.map(|v| v.decisions.iter().filter(|d| d.round == v.review_round && d.verdict == "approve").count()),
        parties => latest.map(|v| v.parties.len()),
        rejections => latest.map(|v| v.decisions.iter().filter(|d| d.verdict == "reject").map(|d| d.reason.clone().unwrap_or_default()).collect::<Vec<_>>()),
        can_decide => party && !decided && latest.is_some_and(|v| v.status == "in_review"),
    }
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    message: Option<String>,
    key: Option<minijinja::Value>,
) -> Response {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Redirect::to("/login").into_response();
    };
    let actor = ctx.actor;
    let app = &state.app;
    let list = match products::list_products(app, &actor).await {
        Ok(l) => l,
        Err(e) => return error_page("无法查看数据产品", &e),
    };
    let participant = actor.org_kind == OrgKind::Participant;
    let supervisor = matches!(
        actor.org_kind,
        OrgKind::Operator | OrgKind::ImplementingAgency | OrgKind::DataBureau
    );
    let (subs, consents) = if participant {
        (
            products::list_my_subscriptions(app, &actor)
                .await
                .unwrap_or_default(),
            products::list_consents(app, &actor, None)
                .await
                .unwrap_or_default(),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let calls = if participant || supervisor {
        products::list_my_calls(app, &actor)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let alerts = if supervisor {
        products::relicensing_signals(app, &actor)
            .await
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let stats = if participant || supervisor {
        products::call_statistics(app, &actor, CHART_MONTHS)
            .await
            .ok()
    } else {
        None
    };
    let names: std::collections::HashMap<String, String> =
        gongshu_app::orgs::list_organisations(app, &actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
    let product_name = |id: &str| {
        list.iter()
            .find(|p| p.id == id)
            .map_or_else(|| "（已下架或不可见的产品）".to_owned(), |p| p.name.clone())
    };
    let chart = stats.as_ref().map(|s| calls_chart(s, &product_name));
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    render(
        "products.html",
        context! {
            products => list.iter().map(|p| product_ctx(p, &actor)).collect::<Vec<_>>(),
            participant => participant,
            supervisor => supervisor,
            subscriptions => subs.iter().map(|s| context! {
                id => s.id, product => product_name(&s.product_id), scenario => s.scenario,
                valid_from => s.valid_from.to_string(), valid_until => s.valid_until.to_string(),
                revoked => s.revoked_at.is_some(),
                calls_today => s.calls_today, daily_quota => s.daily_quota,
            }).collect::<Vec<_>>(),
            consents => consents.iter().map(|c| context! {
                subject => c.subject_masked, scenario => c.scenario,
                valid_until => c.valid_until.to_string(), revoked => c.revoked_at.is_some(),
            }).collect::<Vec<_>>(),
            calls => calls.iter().take(50).map(|c| context! {
                product => product_name(&c.product_id), called_at => gongshu_app::local_time::shanghai_wall(c.called_at).format("%Y-%m-%d %H:%M:%S").to_string(),
                scenario => c.scenario, units => c.units, price => yuan(c.price_fen),
            }).collect::<Vec<_>>(),
            calls_total => calls.len(),
            alerts => alerts.iter().map(|a| context! {
                participant => names.get(&a.participant_org).cloned().unwrap_or_else(|| "（未知机构）".into()),
                product => product_name(&a.product_id), detail => a.alert.detail_zh,
            }).collect::<Vec<_>>(),
            chart => chart,
            key => key,
            csrf => csrf,
            form_nonce => uuid::Uuid::new_v4().to_string(),
            message => message,
        },
    )
}

/// Months shown in the calls chart.
const CHART_MONTHS: u32 = 12;

/// A price in fen as yuan with two decimals.
fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02} 元", (fen / 100).abs(), (fen % 100).abs())
}

/// The calls chart: one bar per product (total over the window) and one
/// column per month (all products), scaled to the largest value.
fn calls_chart(s: &products::CallStats, name: &dyn Fn(&str) -> String) -> minijinja::Value {
    const BAR: i64 = 360;
    const COLUMN: i64 = 80;
    const STEP: usize = 40;
    let top = s.products.iter().map(|p| p.total).max().unwrap_or(0).max(1);
    let bars: Vec<minijinja::Value> = s
        .products
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, p)| {
            context! {
                y => i * 26,
                name => name(&p.product_id),
                total => p.total,
                width => (p.total * BAR / top).max(1),
            }
        })
        .collect();
    let monthly: Vec<i64> = (0..s.months.len())
        .map(|m| s.products.iter().filter_map(|p| p.per_month.get(m)).sum())
        .collect();
    let peak = monthly.iter().copied().max().unwrap_or(0).max(1);
    let columns: Vec<minijinja::Value> = s
        .months
        .iter()
        .zip(&monthly)
        .enumerate()
        .map(|(i, (month, n))| {
            let h = n * COLUMN / peak;
            context! {
                x => i * STEP,
                h => h,
                y => COLUMN - h,
                month => month.format("%Y-%m").to_string(),
                label => month.format("%m月").to_string(),
                n => n,
            }
        })
        .collect();
    context! {
        bars => bars,
        height => s.products.len().min(10) * 26,
        columns => columns,
        width => s.months.len() * STEP,
        total => monthly.iter().sum::<i64>(),
        peak => peak,
        first => s.months.first().map(|m| m.format("%Y-%m").to_string()),
        last => s.months.last().map(|m| m.format("%Y-%m").to_string()),
    }
}

/// `GET /console/products`.
pub(crate) async fn products_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    page(&state, &headers, None, None).await
}

/// A review decision from a page (products and joint reviews).
#[derive(Debug, Deserialize)]
pub(crate) struct DecisionForm {
    pub(crate) csrf: String,
    pub(crate) verdict: String,
    #[serde(default)]
    pub(crate) reason: String,
}

/// `POST /console/products/{id}/decision`.
pub(crate) async fn decision_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let input = ProductDecision {
        verdict: f.verdict,
        reason: Some(f.reason).filter(|r| !r.trim().is_empty()),
    };
    let message = match products::decide_product(&state.app, &actor, &id, &input).await {
        Ok(v) => format!(
            "已提交审核意见：{}（当前状态：{}）",
            v.name,
            v.versions.last().map_or("", |x| x.status_label)
        ),
        Err(AppError::Validation(f)) => f
            .first()
            .map_or_else(|| "输入有误".to_owned(), |x| x.message.clone()),
        Err(e) => e.message_zh(),
    };
    page(&state, &headers, Some(message), None).await
}

/// The key issuance form of a subscription.
#[derive(Debug, Deserialize)]
pub(crate) struct KeyForm {
    csrf: String,
    #[serde(default)]
    valid_days: String,
    /// The page's form nonce: one key per form, however often it is posted.
    #[serde(default)]
    form: String,
}

/// `POST /console/products/subscriptions/{id}/keys`: the key is shown
/// once, on a page the browser must not store.
pub(crate) async fn key_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<KeyForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(valid_days) = f.valid_days.trim().parse::<i64>() else {
        return page(
            &state,
            &headers,
            Some(format!(
                "未签发：有效天数应为 1 至 366 的整数（填写的是“{}”）",
                f.valid_days.trim()
            )),
            None,
        )
        .await;
    };
    let nonce = f.form.trim();
    if nonce.is_empty() {
        return page(
            &state,
            &headers,
            Some("未签发：表单已过期，请在本页重新签发".into()),
            None,
        )
        .await;
    }
    // A reload re-posts the form: the key was shown once, on the first post.
    if !state.submitted.claim(&actor.user_id, nonce, &id) {
        return page(
            &state,
            &headers,
            Some(
                "未签发：这张表单已经提交过，密钥已在那次提交时签发并只显示一次；如需另一把密钥，请在本页重新签发"
                    .into(),
            ),
            None,
        )
        .await;
    }
    let input = products::SubscriptionKeyInput { valid_days };
    let issued = products::issue_subscription_key(&state.app, &actor, &id, &input).await;
    if issued.is_err() {
        state.submitted.release(&actor.user_id, nonce, &id);
    }
    match issued {
        Ok(k) => {
            let key = context! {
                secret => k.key,
                expires => gongshu_app::local_time::shanghai_wall(k.expires_at).format("%Y-%m-%d %H:%M").to_string(),
            };
            let mut resp = page(
                &state,
                &headers,
                Some("已签发订阅密钥；密钥只显示这一次，请立即妥善保存".into()),
                Some(key),
            )
            .await;
            resp.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            resp
        }
        Err(AppError::Validation(f)) => {
            let m = f
                .first()
                .map_or_else(|| "输入有误".to_owned(), |x| x.message.clone());
            page(&state, &headers, Some(format!("未签发：{m}")), None).await
        }
        Err(e) => {
            page(
                &state,
                &headers,
                Some(format!("未签发：{}", e.message_zh())),
                None,
            )
            .await
        }
    }
}
