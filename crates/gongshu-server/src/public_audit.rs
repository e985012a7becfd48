//! The public face of the audit log: checkpoint, verifier key and the
//! C2SP tlog-tiles hash tiles. Entry bundles are NOT served: record
//! contents are for inspectors, not the public.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;

/// Routes under `/audit`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit/checkpoint", get(checkpoint))
        .route("/audit/vkey", get(vkey))
        .route("/audit/tile/{*path}", get(tile))
}

fn text(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn checkpoint(State(state): State<AppState>) -> Response {
    let l = std::sync::Arc::clone(state.app.ledger());
    match tokio::task::spawn_blocking(move || l.checkpoint()).await {
        Ok(Ok(cp)) => ([(header::CACHE_CONTROL, "no-cache")], text(cp)).into_response(),
        _ => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

async fn vkey(State(state): State<AppState>) -> Response {
    text(format!("{}\n", state.app.ledger().vkey()))
}

/// Only `tile/<L>/<N…>[.p/<W>]` with digits and `x`-groups: no traversal,
/// no entry bundles.
fn valid_tile_path(path: &str) -> bool {
    let mut parts = path.split('/');
    let Some(level) = parts.next() else {
        return false;
    };
    if level.is_empty() || !level.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    if rest.is_empty() {
        return false;
    }
    let (index_parts, width) = match rest.iter().position(|p| p.ends_with(".p")) {
        Some(i) if i + 2 == rest.len() => (&rest[..=i], Some(rest[i + 1])),
        Some(_) => return false,
        None => (&rest[..], None),
    };
    let last = index_parts.len() - 1;
    index_parts.iter().enumerate().all(|(i, p)| {
        let p = if i == last {
            p.trim_end_matches(".p")
        } else {
            p
        };
        let digits = if i == last {
            Some(p)
        } else {
            p.strip_prefix('x')
        };
        digits.is_some_and(|d| d.len() == 3 && d.bytes().all(|b| b.is_ascii_digit()))
    }) && width
        .is_none_or(|w| !w.is_empty() && w.len() <= 3 && w.bytes().all(|b| b.is_ascii_digit()))
}

async fn tile(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    if !valid_tile_path(&path) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let file = state.app.ledger().log_dir().join("tile").join(&path);
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            // Full tiles never change; partial ones are superseded.
            let cache = if path.contains(".p/") {
                "no-cache"
            } else {
                "public, max-age=31536000, immutable"
            };
            (
                [
                    (header::CONTENT_TYPE, "application/octet-stream"),
                    (header::CACHE_CONTROL, cache),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::valid_tile_path;

    #[test]
    fn tile_paths() {
        for ok in ["0/000", "0/x001/234", "1/000.p/7", "2/x001/x002/003.p/255"] {
            assert!(valid_tile_path(ok), "{ok}");
        }
        for bad in [
            "entries/000",
            "../x",
            "0/../../etc",
            "0/00",
            "0/000.p",
            "0/000.p/",
            "x/000",
            "0/000/.p/1",
            "",
        ] {
            assert!(!valid_tile_path(bad), "{bad}");
        }
    }
}
