//! Console pages of pricing, billing and the separate account: revenue
//! against the maximum allowed revenue (an inline SVG bar, no script),
//! caps and prices, statements (a participant sees its own), the income
//! statement and trial balance, reports; the operator issues a month's
//! statements from the page. Reports and public disclosures have a
//! print-styled view.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gongshu_app::finance::reports::{self, Cell, ReportView};
use gongshu_app::finance::{billing, journal, pricing};
use gongshu_app::{Actor, AppError};
use gongshu_domain::{Money, OrgKind};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::state::AppState;

async fn actor(
    state: &AppState,
    headers: &HeaderMap,
) -> Option<(Actor, gongshu_app::session::SessionContext)> {
    let token = cookie(headers, SESSION_COOKIE)?;
    let ctx = gongshu_app::session::authenticate(&state.app, &token)
        .await
        .ok()?;
    Some((ctx.actor.clone(), ctx))
}

fn shanghai_year(state: &AppState) -> i64 {
    let today = gongshu_app::local_time::shanghai_today(state.app.clock().now());
    i64::from(chrono::Datelike::year(&today))
}

/// The price form as entered, with its errors by field.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(crate) struct PriceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    effective_from: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    tier2_from: String,
    #[serde(default)]
    tier2_price: String,
}

/// The cap form as entered.
#[derive(Debug, Default, Deserialize, serde::Serialize)]
pub(crate) struct CapForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    cap: String,
    #[serde(default)]
    forecast_units: String,
    #[serde(default)]
    report_note: String,
}

/// What the page's forms show again after a refusal.
#[derive(Debug, Default)]
struct PriceState {
    form: PriceForm,
    errors: std::collections::BTreeMap<String, String>,
    message: Option<String>,
    cap_form: CapForm,
    cap_errors: std::collections::BTreeMap<String, String>,
    cap_message: Option<String>,
}

async fn page(
    state: &AppState,
    headers: &HeaderMap,
    message: Option<String>,
    month: &str,
    month_error: Option<String>,
    price: &PriceState,
) -> Response {
    let Some((actor, _)) = actor(state, headers).await else {
        return Redirect::to("/login").into_response();
    };
    let app = &state.app;
    let reader = gongshu_app::finance::reads_finance(&actor);
    let statements = match billing::list_statements(app, &actor).await {
        Ok(s) => s,
        Err(e) => return error_page("无法查看账单", &e),
    };
    let orgs: std::collections::BTreeMap<String, String> =
        gongshu_app::orgs::list_organisations(app, &actor)
            .await
            .map(|v| v.into_iter().map(|o| (o.id, o.name)).collect())
            .unwrap_or_default();
    let year = shanghai_year(state);
    let (periods, caps, overview_prices, income, tb, report_list) = if reader {
        let overview = match pricing::overview(app, &actor).await {
            Ok(o) => o,
            Err(e) => return error_page("无法查看价格", &e),
        };
        let income = journal::income_statement(app, &actor, year).await.ok();
        let tb = journal::trial_balance(app, &actor, "2000-01", "2100-12")
            .await
            .ok();
        let report_list = reports::list(app, Some(&actor)).await.unwrap_or_default();
        (
            overview.periods,
            overview.caps,
            overview.prices,
            income,
            tb,
            report_list,
        )
    } else {
        (Vec::new(), Vec::new(), Vec::new(), None, None, Vec::new())
    };
    let cap_products = if actor.org_kind == OrgKind::ImplementingAgency {
        gongshu_app::products::list_products(app, &actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.offered_version.is_some())
            .collect()
    } else {
        Vec::new()
    };
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    render(
        "finance.html",
        context! {
            reader => reader,
            can_bill => actor.org_kind == OrgKind::Operator,
            periods => periods.iter().map(|p| {
                let mar = p.breakdown.maximum_allowed_revenue.fen();
                let per_mille = if mar > 0 { i128::from(p.revenue.fen()) * 1000 / i128::from(mar) } else { 0 };
                context! {
                    year => p.year, trial => p.trial, rate => p.breakdown.profit_rate_pct.to_string(),
                    mar => p.breakdown.maximum_allowed_revenue.to_string(), revenue => p.revenue.to_string(),
                    percent => format!("{}.{}", per_mille / 10, per_mille % 10),
                    bar => (per_mille.clamp(0, 1000) * 160 / 1000),
                    alert => p.alert.map(|a| serde_json::to_value(a).ok()), alert_zh => p.alert_zh,
                }
            }).collect::<Vec<_>>(),
            caps => caps.iter().map(|c| {
                let price = overview_prices.iter().rev().find(|x| x.product_id == c.product_id)
                    .map(|x| gongshu_app::finance::schedule_zh(&x.schedule, c.unit_zh.trim_start_matches("元/")));
                context! {
                    product => c.product_name, year => c.year, cap => format!("{} {}", c.cap, c.unit_zh),
                    price => price.unwrap_or_else(|| "按产品定义价格（不高于上限）".into()), report => c.report_note,
                }
            }).collect::<Vec<_>>(),
            statements => statements.iter().map(|s| context! {
                month => s.month, participant => orgs.get(&s.participant_org).cloned().unwrap_or_else(|| s.participant_org.clone()),
                total => s.total.to_string(), credited => s.credited.to_string(), net => s.net.to_string(),
                lines => s.lines.iter().map(|l| format!("{} {} {}：{} 元", l.product_name, l.units, l.unit_zh, l.amount)).collect::<Vec<_>>().join("；"),
            }).collect::<Vec<_>>(),
            year => year,
            income => income.map(|i| context! {
                revenue => i.total.revenue.to_string(), shares => i.total.revenue_shares.to_string(),
                costs => i.total.costs.iter().filter(|(_, m)| *m != Money::ZERO).map(|(c, m)| context! { name => c.label_zh(), amount => m.to_string() }).collect::<Vec<_>>(),
                result => i.total.operating_result.to_string(),
            }),
            tb => tb.map(|t| context! { debit => t.total_debit.to_string(), credit => t.total_credit.to_string(), balanced => t.is_balanced() }),
            reports => report_list.iter().map(|r| context! {
                id => r.id, title => r.doc.title, year => r.year, due_on => r.doc.due_on.to_string(), late => r.late,
            }).collect::<Vec<_>>(),
            csrf => csrf,
            message => message,
            month => month,
            month_error => month_error,
            price_products => caps.iter().filter(|c| c.year == year).map(|c| context! {
                id => c.product_id, name => c.product_name, year => c.year, cap => format!("{} {}", c.cap, c.unit_zh),
            }).collect::<Vec<_>>(),
            can_cap => actor.org_kind == OrgKind::ImplementingAgency,
            cap_products => cap_products.iter().map(|p| context! { id => p.id, name => p.name }).collect::<Vec<_>>(),
            cap_form => &price.cap_form,
            cap_errors => &price.cap_errors,
            cap_message => &price.cap_message,
            price_form => &price.form,
            price_errors => &price.errors,
            price_message => &price.message,
        },
    )
}

/// `GET /console/finance`.
pub(crate) async fn finance_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let last_month = gongshu_domain::accounting::Month::of(
        gongshu_app::local_time::shanghai_today(state.app.clock().now()),
    );
    let previous = gongshu_domain::accounting::Month::of(
        last_month
            .first_day()
            .pred_opt()
            .unwrap_or(last_month.first_day()),
    );
    page(
        &state,
        &headers,
        None,
        &previous.to_string(),
        None,
        &PriceState::default(),
    )
    .await
}

/// The statements form.
#[derive(Debug, Deserialize)]
pub(crate) struct IssueForm {
    csrf: String,
    month: String,
}

/// `POST /console/finance/statements`: errors stay next to the field with
/// the entered month kept.
pub(crate) async fn issue_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<IssueForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    match billing::issue_statements(&state.app, &actor, f.month.trim()).await {
        Ok(v) if v.is_empty() => {
            page(
                &state,
                &headers,
                Some(format!("{} 没有需要出具的新账单", f.month.trim())),
                &f.month,
                None,
                &PriceState::default(),
            )
            .await
        }
        Ok(v) => {
            page(
                &state,
                &headers,
                Some(format!("已出具 {} 份 {} 月度账单", v.len(), f.month.trim())),
                &f.month,
                None,
                &PriceState::default(),
            )
            .await
        }
        Err(AppError::Validation(errors)) => {
            let msg = errors
                .first()
                .map_or_else(|| "输入有误".to_owned(), |e| e.message.clone());
            page(
                &state,
                &headers,
                None,
                &f.month,
                Some(msg),
                &PriceState::default(),
            )
            .await
        }
        Err(e @ (AppError::Refused { .. } | AppError::Denied { .. })) => {
            page(
                &state,
                &headers,
                None,
                &f.month,
                Some(e.message_zh()),
                &PriceState::default(),
            )
            .await
        }
        Err(e) => error_page("出具账单失败", &e),
    }
}

fn cell_text(c: &Cell) -> (String, bool) {
    match c {
        Cell::Text(t) => (t.clone(), false),
        Cell::Money(m) => (m.to_string(), true),
        Cell::Int(n) => (n.to_string(), true),
    }
}

fn report_page(r: &ReportView, back: &str, xlsx: &str) -> Response {
    let sections: Vec<minijinja::Value> = r
        .doc
        .sections
        .iter()
        .map(|s| {
            let mut sums: Vec<Option<(bool, i128)>> = vec![None; s.columns.len()];
            for row in &s.rows {
                for (i, c) in row.iter().enumerate() {
                    let add = match c {
                        Cell::Money(m) => Some((true, i128::from(m.fen()))),
                        Cell::Int(n) => Some((false, i128::from(*n))),
                        Cell::Text(_) => None,
                    };
                    if let (Some((money, v)), Some(slot)) = (add, sums.get_mut(i)) {
                        *slot = Some((money, slot.map_or(0, |(_, x)| x) + v));
                    }
                }
            }
            let total = s.total.then(|| {
                sums.iter()
                    .enumerate()
                    .map(|(i, v)| match v {
                        _ if i == 0 => context! { text => "合计", num => false },
                        Some((true, fen)) => context! { text => i64::try_from(*fen).map(|f| Money::from_fen(f).to_string()).unwrap_or_default(), num => true },
                        Some((false, n)) => context! { text => n.to_string(), num => true },
                        None => context! { text => "", num => false },
                    })
                    .collect::<Vec<_>>()
            });
            context! {
                title => s.title, columns => s.columns, total => total,
                numeric => sums.iter().map(Option::is_some).collect::<Vec<_>>(),
                rows => s.rows.iter().map(|row| row.iter().map(|c| { let (text, num) = cell_text(c); context! { text => text, num => num } }).collect::<Vec<_>>()).collect::<Vec<_>>(),
            }
        })
        .collect();
    render(
        "report.html",
        context! {
            r => r, sections => sections, back => back, xlsx => xlsx,
            generated => gongshu_app::local_time::shanghai_wall(r.generated_at).format("%Y-%m-%d %H:%M").to_string(),
        },
    )
}

/// `GET /console/reports/{id}`: a report, print-styled.
pub(crate) async fn report_view(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some((actor, _)) = actor(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    match reports::get(&state.app, Some(&actor), &id).await {
        Ok(r) => report_page(
            &r,
            "/console/finance",
            &format!("/api/v1/reports/{id}/xlsx"),
        ),
        Err(e) => error_page("无法查看报告", &e),
    }
}

/// `GET /portal/disclosures/{id}`: a public disclosure, print-styled.
pub(crate) async fn disclosure_view(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Response {
    match reports::get(&state.app, None, &id).await {
        Ok(r) => report_page(
            &r,
            "/portal",
            &format!("/api/v1/public/disclosures/{id}/xlsx"),
        ),
        Err(e) => error_page("没有这份信息披露", &e),
    }
}

/// The page after a form was saved, with its message.
async fn saved(state: &AppState, headers: &HeaderMap, message: String) -> Response {
    page(
        state,
        headers,
        Some(message),
        "",
        None,
        &PriceState::default(),
    )
    .await
}

/// A use case's refusal shown on its form: field errors next to their
/// fields (one API field may be named differently on the page), a rule's
/// refusal above the form; anything else is returned for an error page.
fn absorb(
    e: AppError,
    errors: &mut std::collections::BTreeMap<String, String>,
    message: &mut Option<String>,
    rename: Option<(&str, &str)>,
) -> Option<AppError> {
    match e {
        AppError::Validation(fields) => {
            for f in fields {
                let name = match rename {
                    Some((api, page)) if f.field == api => page.to_owned(),
                    _ => f.field,
                };
                errors.insert(name, f.message);
            }
            None
        }
        e @ (AppError::Refused { .. } | AppError::Denied { .. } | AppError::NotFound { .. }) => {
            *message = Some(e.message_zh());
            None
        }
        e => Some(e),
    }
}

fn yuan_field(text: &str) -> Option<Money> {
    Money::parse_yuan(text).ok().filter(|m| !m.is_negative())
}

/// `POST /console/finance/prices`: the operator's actual price; errors stay
/// next to their fields with the entries kept.
pub(crate) async fn price_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<PriceForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut st = PriceState::default();
    let effective_from =
        chrono::NaiveDate::parse_from_str(f.effective_from.trim(), "%Y-%m-%d").ok();
    if effective_from.is_none() {
        st.errors.insert(
            "effective_from".into(),
            "请填写日期（YYYY-MM-DD，某月 1 日）".into(),
        );
    }
    let first = yuan_field(&f.price);
    if first.is_none() {
        st.errors.insert(
            "price".into(),
            "请填写以元为单位、最多两位小数的单价".into(),
        );
    }
    let mut tiers = vec![gongshu_domain::pricing::Tier {
        from_units: 0,
        unit_price: first.unwrap_or_default(),
    }];
    if !f.tier2_from.trim().is_empty() || !f.tier2_price.trim().is_empty() {
        match (
            f.tier2_from.trim().parse::<u64>().ok(),
            yuan_field(&f.tier2_price),
        ) {
            (Some(n), Some(p)) if n > 0 => tiers.push(gongshu_domain::pricing::Tier {
                // The page counts from the first call; the API from 0.
                from_units: n - 1,
                unit_price: p,
            }),
            _ => {
                st.errors.insert(
                    "tiers".into(),
                    "第二档须同时填写起点（大于 1 的次数）和单价".into(),
                );
            }
        }
    }
    if let (Some(from), true) = (effective_from, st.errors.is_empty()) {
        let input = pricing::NewPrice {
            product_id: f.product_id.clone(),
            effective_from: from,
            tiers,
        };
        match pricing::set_price(&state.app, &actor, &input).await {
            Ok(v) => {
                let done = format!(
                    "已保存“{}”的具体收费标准，自 {} 起执行",
                    v.product_name, v.effective_from
                );
                return saved(&state, &headers, done).await;
            }
            Err(e) => {
                if let Some(e) = absorb(e, &mut st.errors, &mut st.message, None) {
                    return error_page("保存收费标准失败", &e);
                }
            }
        }
    }
    st.form = f;
    st.form.csrf = String::new();
    page(&state, &headers, None, "", None, &st).await
}

/// `POST /console/finance/caps`: the implementing agency's cap; errors stay
/// next to their fields with the entries kept.
pub(crate) async fn cap_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<CapForm>,
) -> Response {
    let actor = match crate::console::form_actor(&state, &headers, &f.csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let mut st = PriceState::default();
    let year = f.year.trim().parse::<i64>().ok();
    if year.is_none() {
        st.cap_errors
            .insert("year".into(), "请填写年度（如 2026）".into());
    }
    let cap = yuan_field(&f.cap);
    if cap.is_none() {
        st.cap_errors
            .insert("cap".into(), "请填写以元为单位、最多两位小数的上限".into());
    }
    let forecast = f
        .forecast_units
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0);
    if forecast.is_none() {
        st.cap_errors.insert(
            "forecast_units".into(),
            "请填写预计年用量（非负整数）".into(),
        );
    }
    if let (Some(year), Some(cap), Some(forecast)) = (year, cap, forecast) {
        let input = pricing::NewCap {
            product_id: f.product_id.clone(),
            year,
            cap_fen: cap.fen(),
            forecast_units: forecast,
            report_note: f.report_note.clone(),
        };
        match pricing::set_cap(&state.app, &actor, &input).await {
            Ok(v) => {
                let mut done = format!(
                    "已制定“{}”{} 年度上限收费标准 {} {}",
                    v.product_name, v.year, v.cap, v.unit_zh
                );
                if v.lowered_price.is_some() {
                    done.push_str("；现行具体收费标准已下调至上限");
                }
                return saved(&state, &headers, done).await;
            }
            Err(e) => {
                let rename = Some(("cap_fen", "cap"));
                if let Some(e) = absorb(e, &mut st.cap_errors, &mut st.cap_message, rename) {
                    return error_page("保存上限收费标准失败", &e);
                }
            }
        }
    }
    st.cap_form = f;
    st.cap_form.csrf = String::new();
    page(&state, &headers, None, "", None, &st).await
}
