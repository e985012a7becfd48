//! The console's workflow pages (`/console/flows/…`): forms posted as a
//! browser does, with the same session cookie and CSRF field; each page's
//! tests check what the page shows, what a refused form brings back and
//! that a role without the duty is neither offered the form nor able to
//! post it.

mod agreements;
mod appeals;
mod evaluations;
mod imports;
mod inspections;
mod registration;
mod releases;
mod scenarios;
mod terminations;

use crate::support::{Auth, Resp, Session, TestApp};

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
    t.send(
        axum::http::Method::POST,
        &format!("/console/flows/{area}/{command}"),
        Auth::CookieNoCsrf(s),
        Some(("application/x-www-form-urlencoded", body.into_bytes())),
    )
    .await
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
