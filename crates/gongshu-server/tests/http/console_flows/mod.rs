//! The console's workflow pages (`/console/flows/…`): forms posted as a
//! browser does, with the same session cookie and CSRF field; each page's
//! tests check what the page shows, what a refused form brings back and
//! that a role without the duty is neither offered the form nor able to
//! post it.

mod agreements;
mod appeals;
mod applications;
mod evaluations;
mod imports;
mod incidents;
mod inspections;
mod registration;
mod releases;
mod scenarios;
mod terminations;

use crate::support::{Auth, Resp, Session, TestApp};

/// The data bureau, the operator and a participant of the supervision
/// pages, created with the names the pages are checked against.
pub struct Supervised {
    pub bureau: String,
    pub operator: String,
    pub participant: String,
}

pub async fn supervised(t: &TestApp, admin: &Session) -> Supervised {
    Supervised {
        bureau: t.create_org(admin, "测试县数据管理局", "data_bureau").await,
        operator: t
            .create_org(admin, "测试县数据运营有限公司", "operator")
            .await,
        participant: t
            .create_org(admin, "测试数据科技有限公司", "participant")
            .await,
    }
}

/// Percent-encodes every byte outside the unreserved set.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Posts a workflow form as the browser does (`target` names the item,
/// empty for a create).
pub async fn post_form(
    t: &TestApp,
    s: &Session,
    area: &str,
    command: &str,
    target: &str,
    fields: &[(&str, &str)],
) -> Resp {
    let mut body = format!("csrf={}&target={}", encode(&s.csrf), encode(target));
    for (k, v) in fields {
        body.push_str(&format!("&{}={}", encode(k), encode(v)));
    }
    let r = t
        .send(
            axum::http::Method::POST,
            &format!("/console/flows/{area}/{command}"),
            Auth::CookieNoCsrf(s),
            Some(("application/x-www-form-urlencoded", body.into_bytes())),
        )
        .await;
    if r.status != axum::http::StatusCode::SEE_OTHER {
        return r;
    }
    // A command that went through redirects to the page, its notice in a
    // short-lived cookie (post/redirect/get); follow it as a browser does.
    let location = r.headers["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/console/flows/{area}"));
    let flash = r
        .headers
        .get_all(axum::http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("gongshu_flash="))
        .and_then(|v| v.split(';').next())
        .expect("the notice travels with the redirect")
        .to_owned();
    let shown = t
        .get(
            &location,
            Auth::RawCookie(&format!(
                "gongshu_session={}; gongshu_flash={flash}",
                s.token
            )),
        )
        .await;
    assert!(
        shown
            .headers
            .get_all(axum::http::header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().unwrap().starts_with("gongshu_flash=;")),
        "the notice is shown once"
    );
    shown
}

/// The page of `area` as `s` sees it.
pub async fn page(t: &TestApp, s: &Session, area: &str) -> String {
    t.get(&format!("/console/flows/{area}"), Auth::CookieNoCsrf(s))
        .await
        .expect(200)
        .text()
}

/// Whether the page offers the form of `command`.
pub fn offers(html: &str, area: &str, command: &str) -> bool {
    html.contains(&format!("action=\"/console/flows/{area}/{command}\""))
}

/// The text a reader sees: the page without its tags (and so without the
/// ids that select options and hidden fields carry as values).
pub fn visible(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}
