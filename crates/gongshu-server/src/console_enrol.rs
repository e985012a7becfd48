//! 验证器绑定 (`/enrol`): a new account's holder, with the one-time
//! password, sees the account's TOTP secret as a QR code (rendered on the
//! server as SVG, no script, no third party) and logs in with the first
//! code, which closes the enrolment for good (see `gongshu_app::enrolment`).

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use qrcode::QrCode;
use qrcode::render::svg;
use serde::Deserialize;

use crate::auth::cookie;
use crate::console::{LOGIN_CSRF_COOKIE, login_cookie, render};
use crate::state::AppState;

/// The QR code of `uri` as an inline SVG; `None` if it does not fit a code.
fn qr_svg(uri: &str) -> Option<String> {
    let code = QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(220, 220)
            .quiet_zone(true)
            .build(),
    )
}

/// The secret in groups of four, easier to type.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn no_store(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

fn form_page(state: &AppState, error: Option<String>, username: &str) -> Response {
    let Ok(token) = gongshu_app::crypto::random_token() else {
        return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut resp = render(
        "enrol.html",
        context! { csrf => token, error => error, username => username },
    );
    resp.headers_mut()
        .append(header::SET_COOKIE, login_cookie(state, &token));
    no_store(resp)
}

/// `GET /enrol`.
pub(crate) async fn enrol_page(State(state): State<AppState>) -> Response {
    form_page(&state, None, "")
}

#[derive(Deserialize)]
pub(crate) struct EnrolForm {
    username: String,
    password: String,
    csrf: String,
}

impl std::fmt::Debug for EnrolForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolForm")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// `POST /enrol`: the QR code and the form for the first code, which
/// posts to `/login` with the same login CSRF token.
pub(crate) async fn enrol_submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<EnrolForm>,
) -> Response {
    if cookie(&headers, LOGIN_CSRF_COOKIE).as_deref() != Some(f.csrf.as_str()) {
        return form_page(&state, Some("页面已过期，请重新填写".into()), &f.username);
    }
    match gongshu_app::enrolment::enrolment(&state.app, &f.username, &f.password).await {
        Ok(e) => {
            let qr = qr_svg(&e.uri).unwrap_or_default();
            no_store(render(
                "enrol.html",
                context! {
                    csrf => f.csrf,
                    username => e.username,
                    password => f.password,
                    qr => minijinja::Value::from_safe_string(qr),
                    secret => grouped(&e.secret),
                    shown => true,
                },
            ))
        }
        // One answer for every refusal, so that the page tells nothing
        // about the password of an account bound already.
        Err(gongshu_app::AppError::Unauthenticated(_)) => form_page(
            &state,
            Some("未能显示绑定二维码：用户名或初始密码不正确，或该账号已完成验证器绑定（已绑定的请直接登录；验证器遗失请联系本单位管理员重新开通）".into()),
            &f.username,
        ),
        Err(e) => form_page(&state, Some(e.message_zh()), &f.username),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_an_svg_and_the_secret_is_grouped() {
        let svg =
            qr_svg("otpauth://totp/gongshu:li?secret=JBSWY3DPEHPK3PXP&issuer=gongshu").unwrap();
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
        assert!(!svg.contains("<script"));
        assert_eq!(grouped("JBSWY3DPEHPK3PXP"), "JBSW Y3DP EHPK 3PXP");
    }
}
