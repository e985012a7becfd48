//! The zh-CN console (minimal for now: login, home with the audit log's
//! state, logout). Templates are embedded and auto-escaped (minijinja);
//! forms carry CSRF tokens. The full console grows with later issues.

use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use minijinja::{Environment, context};
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::state::AppState;

pub(crate) const LOGIN_CSRF_COOKIE: &str = "gongshu_login_csrf";

/// The embedded templates, compiled once. A template that fails to compile
/// is caught by the `templates_compile_and_escape` test, never in production.
static TEMPLATES: std::sync::LazyLock<Result<Environment<'static>, minijinja::Error>> =
    std::sync::LazyLock::new(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.add_template("base.html", include_str!("../templates/base.html"))?;
        env.add_template("login.html", include_str!("../templates/login.html"))?;
        env.add_template("home.html", include_str!("../templates/home.html"))?;
        env.add_template("audit.html", include_str!("../templates/audit.html"))?;
        env.add_template("error.html", include_str!("../templates/error.html"))?;
        env.add_template("datasets.html", include_str!("../templates/datasets.html"))?;
        env.add_template("dataset.html", include_str!("../templates/dataset.html"))?;
        env.add_template("sandbox.html", include_str!("../templates/sandbox.html"))?;
        env.add_template("products.html", include_str!("../templates/products.html"))?;
        env.add_template("portal.html", include_str!("../templates/portal.html"))?;
        env.add_template("finance.html", include_str!("../templates/finance.html"))?;
        env.add_template("report.html", include_str!("../templates/report.html"))?;
        env.add_template("reviews.html", include_str!("../templates/reviews.html"))?;
        env.add_template("resume.html", include_str!("../templates/resume.html"))?;
        env.add_template("flow.html", include_str!("../templates/flow.html"))?;
        env.add_template("enrol.html", include_str!("../templates/enrol.html"))?;
        Ok(env)
    });

fn render_to_string(name: &str, ctx: minijinja::Value) -> Result<String, minijinja::Error> {
    match &*TEMPLATES {
        Ok(env) => env.get_template(name)?.render(ctx),
        Err(e) => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            e.to_string(),
        )),
    }
}

pub(crate) fn render(name: &str, ctx: minijinja::Value) -> Response {
    match render_to_string(name, ctx) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面渲染失败").into_response()
        }
    }
}

/// The caller of a form post: logged in (else to the login page), with
/// the session's CSRF token (else an error page; nothing is done).
pub(crate) async fn form_actor(
    state: &AppState,
    headers: &HeaderMap,
    csrf: &str,
) -> Result<gongshu_app::Actor, Response> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Err(Redirect::to("/login").into_response());
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Err(Redirect::to("/login").into_response());
    };
    if !ctx.csrf_ok(csrf) {
        return Err(error_page(
            "表单已过期，请刷新页面后重试",
            &gongshu_app::AppError::Unauthenticated("csrf"),
        ));
    }
    Ok(ctx.actor)
}

/// An error page with the error's HTTP status and Chinese message.
pub(crate) fn error_page(title: &str, e: &gongshu_app::AppError) -> Response {
    let mut resp = render(
        "error.html",
        context! { title => title, message => e.message_zh() },
    );
    *resp.status_mut() = crate::error::status_of(e);
    resp
}

/// Console routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout_submit))
        .route(
            "/enrol",
            get(crate::console_enrol::enrol_page).post(crate::console_enrol::enrol_submit),
        )
        .route("/console/audit", get(crate::console_audit::audit_page))
        .route("/console/datasets", get(crate::console_datasets::list_page))
        .route(
            "/console/datasets/{id}",
            get(crate::console_datasets::detail_page),
        )
        .route(
            "/console/sandbox",
            get(crate::console_sandbox::sandbox_page).post(crate::console_sandbox::sandbox_submit),
        )
        .route(
            "/console/products",
            get(crate::console_products::products_page),
        )
        .route(
            "/console/reviews",
            get(crate::console_reviews::reviews_page),
        )
        .route(
            "/console/reviews/{kind}/{id}/decision",
            post(crate::console_reviews::decision_submit),
        )
        .route(
            "/console/products/subscriptions/{id}/keys",
            post(crate::console_products::key_submit),
        )
        .route(
            "/console/products/{id}/decision",
            post(crate::console_products::decision_submit),
        )
        .route(
            "/console/finance",
            get(crate::console_finance::finance_page),
        )
        .route(
            "/console/finance/statements",
            post(crate::console_finance::issue_submit),
        )
        .route(
            "/console/finance/caps",
            post(crate::console_finance::cap_submit),
        )
        .route(
            "/console/finance/prices",
            post(crate::console_finance::price_submit),
        )
        .route(
            "/console/reports/{id}",
            get(crate::console_finance::report_view),
        )
        .route(
            "/portal/disclosures/{id}",
            get(crate::console_finance::disclosure_view),
        )
        .merge(crate::console_flows::routes())
        .route("/portal", get(portal_page))
        .route("/assets/receipt.js", get(receipt_js))
}

pub(crate) fn cookie_header(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if state.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// `GET /portal`: the public disclosure portal, no login.
async fn portal_page(State(state): State<AppState>) -> Response {
    match gongshu_app::portal::portal(&state.app).await {
        Ok(p) => render(
            "portal.html",
            context! { generated => p.generated_at.format("%Y-%m-%d %H:%M UTC").to_string(), p => p },
        ),
        Err(e) => error_page("公开信息暂不可用", &e),
    }
}

async fn login_page(State(state): State<AppState>) -> Response {
    login_form(&state, None, None)
}

/// The login page; `resume` carries an interrupted form's entries.
pub(crate) fn login_form(
    state: &AppState,
    error: Option<String>,
    resume: Option<String>,
) -> Response {
    let Ok(token) = gongshu_app::crypto::random_token() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut resp = render(
        "login.html",
        context! { csrf => token, error => error, resume => resume },
    );
    resp.headers_mut()
        .append(header::SET_COOKIE, login_cookie(state, &token));
    resp
}

/// The cookie holding the login form's CSRF token.
pub(crate) fn login_cookie(state: &AppState, token: &str) -> HeaderValue {
    cookie_header(state, LOGIN_CSRF_COOKIE, token, 1800)
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    username: String,
    password: String,
    totp: String,
    csrf: String,
    /// Entries of a form interrupted by an expired session.
    #[serde(default)]
    resume: String,
}

async fn login_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str()) {
        return login_form(
            &state,
            Some("页面已过期，请重新登录".into()),
            kept(&f.resume),
        );
    }
    match gongshu_app::session::login(&state.app, &f.username, &f.password, &f.totp).await {
        Ok(s) => {
            let mut resp = match crate::console_resume::Resume::parse(&f.resume) {
                Some(r) => r.page(&s.csrf_token),
                None => Redirect::to("/").into_response(),
            };
            let max_age = state.app.config().session_absolute.num_seconds();
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&state, SESSION_COOKIE, &s.token, max_age),
            );
            resp.headers_mut().append(
                header::SET_COOKIE,
                cookie_header(&state, "gongshu_csrf", &s.csrf_token, max_age),
            );
            resp
        }
        Err(e) => login_form(&state, Some(e.message_zh()), kept(&f.resume)),
    }
}

/// The interrupted form's entries, kept across a failed login attempt.
fn kept(resume: &str) -> Option<String> {
    crate::console_resume::Resume::parse(resume).map(|_| resume.to_owned())
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Redirect::to("/login").into_response();
    };
    let csrf = cookie(&headers, "gongshu_csrf").unwrap_or_default();
    let inbox = gongshu_app::inbox::inbox(&state.app, &ctx.actor)
        .await
        .unwrap_or_default();
    let items = inbox;
    let inbox: Vec<minijinja::Value> = items
        .iter()
        .map(|i| {
            let overdue = matches!(
                i.status,
                Some(gongshu_domain::deadline::DeadlineStatus::Overdue { .. })
            );
            context! {
                title => i.obligation.title_zh,
                rule => i.obligation.rule,
                due_on => i.obligation.due_on.to_string(),
                status => i.status_label,
                overdue => overdue,
            }
        })
        .collect();
    let deadlines = deadline_chart(&items);
    let ledger = state.app.ledger();
    render(
        "home.html",
        context! {
            user => ctx.actor.display_name,
            org_kind => ctx.actor.org_kind.label_zh(),
            roles => ctx.actor.roles.iter().map(|r| r.label_zh()).collect::<Vec<_>>(),
            audit_size => ledger.size(),
            audit_origin => ledger.origin(),
            vkey => ledger.vkey(),
            csrf => csrf,
            inbox => inbox,
            deadlines => deadlines,
            can_inspect => ctx.actor.org_kind == gongshu_domain::OrgKind::DataBureau,
        },
    )
}

/// The deadlines chart of the inbox: one row per item (at most 12, most
/// urgent first), a bar to the right for working days left and to the left
/// (red) for working days overdue, capped at 20.
fn deadline_chart(items: &[gongshu_app::inbox::InboxItem]) -> Vec<minijinja::Value> {
    use gongshu_domain::deadline::DeadlineStatus as D;
    const STEP: u32 = 12;
    items
        .iter()
        .filter_map(|item| Some((item, item.status?)))
        .take(12)
        .enumerate()
        .map(|(i, (item, status))| {
            let (days, over, soon) = match status {
                D::OnTrack { working_days_left } => (working_days_left, false, false),
                D::DueSoon { working_days_left } => (working_days_left, false, true),
                D::Overdue { working_days_over } => (working_days_over, true, false),
            };
            let width = days.min(20) * STEP;
            context! {
                y => i * 24,
                title => item.obligation.title_zh,
                width => width.max(2),
                x => if over { 420 - width.max(2) } else { 420 },
                over => over,
                soon => soon,
                label => item.status_label,
            }
        })
        .collect()
}

/// The in-page receipt verifier, vendored in the binary (no CDN).
async fn receipt_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/receipt.js"),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> Response {
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await
        && ctx.csrf_ok(&f.csrf)
    {
        let _ = gongshu_app::session::logout(&state.app, &ctx).await;
    }
    let mut resp = Redirect::to("/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(&state, SESSION_COOKIE, "", 0),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_compile_and_escape() {
        let html = render_to_string(
            "login.html",
            context! { csrf => "t", error => "<script>x</script>" },
        )
        .unwrap();
        assert!(html.contains("lang=\"zh-CN\""));
        assert!(html.contains("&lt;script&gt;"));
        assert!(!html.contains("<script>x"));
        let html = render_to_string(
            "home.html",
            context! { user => "李<b>", org_kind => "数据管理部门", roles => vec!["审核人"], audit_size => 3, audit_origin => "o", vkey => "k", csrf => "c",
                inbox => vec![context! { title => "授权协议备案", rule => "S-3.3.3b", due_on => "2026-03-02", status => "已逾期 2 个工作日", overdue => true }] },
        )
        .unwrap();
        assert!(html.contains("李&lt;b&gt;"));
        assert!(html.contains("id=\"audit-size\">3<"));
        assert!(html.contains("授权协议备案") && html.contains("class=\"overdue\""));
    }
}
