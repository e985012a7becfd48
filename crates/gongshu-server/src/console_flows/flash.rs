//! The notice of a command that went through, carried across the redirect
//! after the post (post/redirect/get: reloading the page never repeats the
//! command) in a short-lived cookie of the console's own, hex-encoded.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::auth::cookie;
use crate::console::cookie_header;
use crate::state::AppState;

const FLASH: &str = "gongshu_flash";
/// Longest notice carried, in bytes.
const MAX: usize = 600;

fn encode(text: &str) -> String {
    text.bytes().take(MAX).map(|b| format!("{b:02x}")).collect()
}

fn decode(hex: &str) -> Option<String> {
    if hex.len() > MAX * 2 || !hex.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A redirect (303 See Other) to `to` carrying `notice`.
pub(crate) fn redirect(state: &AppState, to: &str, notice: &str) -> Response {
    let mut resp = Redirect::to(to).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(state, FLASH, &encode(notice), 60),
    );
    resp
}

/// The notice carried by the request, if any.
pub(crate) fn take(headers: &HeaderMap) -> Option<String> {
    cookie(headers, FLASH).and_then(|v| decode(&v))
}

/// Clears the notice once shown.
pub(crate) fn clear(state: &AppState, resp: &mut Response) {
    let gone: HeaderValue = cookie_header(state, FLASH, "", 0);
    resp.headers_mut().append(header::SET_COOKIE, gone);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notices_round_trip_and_garbage_is_ignored() {
        let n = "已记录备案，当前状态：已备案";
        assert_eq!(decode(&encode(n)).as_deref(), Some(n));
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("e5b7"), None, "not UTF-8");
        assert_eq!(decode("abc"), None);
    }
}
