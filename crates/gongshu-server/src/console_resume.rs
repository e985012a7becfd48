//! A console form posted after the session expired is not lost: the post
//! is answered with the login page, which carries what was typed (never
//! the old CSRF token) in a hidden field; after logging in, the user gets
//! the same form's entries back on a page that submits them to the same
//! action with the new session's token, or discards them. A console page
//! asked for without a session shows the login form and, after login,
//! returns to that page.

use axum::Form;
use axum::extract::{FromRequest, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::render;
use crate::state::AppState;

/// Entries of an interrupted form.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Resume {
    /// The form's action, a `/console/` path.
    pub(crate) action: String,
    /// Its fields in order, without the CSRF token.
    pub(crate) fields: Vec<(String, String)>,
    /// A page asked for (GET) rather than a form posted: after login the
    /// user is simply taken back to it.
    #[serde(default)]
    pub(crate) get: bool,
}

/// Whether `action` is a console path this server serves forms on (no
/// other host, no scheme, nothing that leaves the console).
fn safe_action(action: &str) -> bool {
    action.starts_with("/console/")
        && action.len() <= 200
        && action
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_".contains(c))
}

impl Resume {
    /// Parses the hidden field of the login page; `None` for anything else.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        let r: Self = serde_json::from_str(text).ok()?;
        (safe_action(&r.action) && r.fields.len() <= 64).then_some(r)
    }

    /// The page offering to submit the entries again with `csrf`, or for a
    /// page asked for, the way back to it.
    pub(crate) fn page(&self, csrf: &str) -> Response {
        if self.get {
            return axum::response::Redirect::to(&self.action).into_response();
        }
        let fields: Vec<_> = self
            .fields
            .iter()
            .map(|(name, value)| {
                // A chosen organisation, resource or item travels as an id:
                // submitted as it was, but not shown.
                let shown = if crate::console_flows::has_id(value) {
                    "（已选择）".to_owned()
                } else {
                    value.clone()
                };
                context! { name => name, value => value, shown => shown }
            })
            .collect();
        render(
            "resume.html",
            context! { action => self.action, fields => fields, csrf => csrf },
        )
    }
}

/// Middleware on the console routes: a form post without a live session
/// gets the login page carrying its entries.
pub(crate) async fn keep_expired_forms(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let get = req.method() == Method::GET;
    if !(get || req.method() == Method::POST) || !safe_action(&path) {
        return next.run(req).await;
    }
    let live = match cookie(req.headers(), SESSION_COOKIE) {
        Some(token) => gongshu_app::session::authenticate(&state.app, &token)
            .await
            .is_ok(),
        None => false,
    };
    if live {
        return next.run(req).await;
    }
    if get {
        let back = Resume {
            action: path,
            fields: Vec::new(),
            get: true,
        };
        return crate::console::login_form(
            &state,
            Some("请先登录，登录后回到刚才的页面".into()),
            serde_json::to_string(&back).ok(),
        );
    }
    let Ok(Form(fields)) = Form::<Vec<(String, String)>>::from_request(req, &state).await else {
        return crate::console::login_form(&state, Some("登录已失效，请重新登录".into()), None);
    };
    let resume = Resume {
        action: path,
        fields: fields.into_iter().filter(|(k, _)| k != "csrf").collect(),
        get: false,
    };
    let text = serde_json::to_string(&resume).unwrap_or_default();
    crate::console::login_form(
        &state,
        Some("登录已失效，请重新登录；您填写的内容已保留，登录后可继续提交".into()),
        Some(text),
    )
    .into_response()
}
