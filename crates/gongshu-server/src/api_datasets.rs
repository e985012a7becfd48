//! HTTP routes of datasets (数据集加载与质量): a data source unit streams
//! CSV (UTF-8 or GB18030) as the request body; the server hands it to the
//! load use case chunk by chunk with bounded memory (a small channel), so
//! a file of any size never sits in memory or on disk in plaintext.

use std::io::{self, Read};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use bytes::Bytes;
use gongshu_app::datasets::{self, LoadInput};
use http_body_util::BodyExt as _;
use tokio::sync::mpsc;

use crate::api::RouteDoc;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::state::AppState;

/// Chunks in flight between the connection and the loader.
const CHANNEL_CHUNKS: usize = 8;
/// Largest Parquet body. Parquet needs random access (its footer comes
/// last), so a Parquet upload is held in memory, never written to disk in
/// plaintext; bigger files go through `gongshu dataset load`, which
/// converts on the client side and streams.
pub const MAX_PARQUET_BYTES: usize = 256 * 1024 * 1024;

/// Documented routes of this module.
pub const ROUTES: &[RouteDoc] = &[
    RouteDoc {
        method: "post",
        path: "/api/v1/catalog/resources/{id}/versions",
        summary: "加载数据（新建数据集版本）",
        description: "Stream a CSV file (header row = the catalog's column names) as the request body (`Content-Type: text/csv`), or send a Parquet file (`Content-Type: application/vnd.apache.parquet`, at most 256 MiB, held in memory only) to create a new immutable, encrypted version of the provider's own resource. Query: `mode` = `replace` (default) or `append`; `encoding` = `auto` (default), `utf-8` or `gb18030`; `max_bad_rows` (default 0: the first malformed row fails the load). Every column must be classified and typed; direct identifiers are stored as keyed pseudonyms. Malformed input answers 422 naming lines and columns, and nothing is stored. 201 with the version and its quality report.",
    },
    RouteDoc {
        method: "get",
        path: "/api/v1/catalog/resources/{id}/dataset",
        summary: "数据集版本与质量",
        description: "Committed versions of a resource's dataset with quality scores (completeness, validity, consistency in per-mille), alerts, the versions forming the current data and timeliness against the declared update frequency. The provider, the data bureau and the implementing agency only.",
    },
];

/// Routes of this module.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/catalog/resources/{id}/versions", post(load))
        .route("/api/v1/catalog/resources/{id}/dataset", get(dataset))
}

/// A blocking reader over body chunks sent from the async side.
struct ChannelReader {
    rx: mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(&chunk);
        }
        Ok(n)
    }
}

async fn load(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
    q: Result<Query<LoadInput>, QueryRejection>,
    request: Request,
) -> Result<Response, ApiError> {
    let input = crate::api::query(q)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let is_parquet = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/vnd.apache.parquet"));
    if is_parquet {
        let bytes = http_body_util::Limited::new(request.into_body(), MAX_PARQUET_BYTES)
            .collect()
            .await
            .map_err(|_| {
                ApiError(gongshu_app::AppError::Validation(vec![
                    gongshu_app::FieldError::new(
                        "body",
                        "dataset.parquet_too_large",
                        "Parquet 文件超过 256 MiB 或上传中断；大文件请用 gongshu dataset load（在本机转换并流式上传）",
                    ),
                ]))
            })?
            .to_bytes();
        // Converts on a blocking thread while the loader consumes the text.
        let convert = tokio::task::spawn_blocking(move || {
            let result = gongshu_vault::parquet_to_csv(bytes, |text, _| {
                tx.blocking_send(Ok(Bytes::from(text))).is_ok()
            });
            if let Err(e) = result {
                let _ = tx.blocking_send(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("not a readable Parquet file: {e}"),
                )));
            }
        });
        let reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        let result = datasets::load(&state.app, &auth.actor, &id, reader, &input).await;
        convert.abort();
        return Ok((StatusCode::CREATED, Json(result?)).into_response());
    }
    let mut body = request.into_body();
    // Pumps the body into the channel; a broken connection becomes a read
    // error, so the load fails whole and stores nothing.
    let pump = tokio::spawn(async move {
        loop {
            let item = match body.frame().await {
                None => break,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => Ok(data),
                    Err(_) => continue,
                },
                Some(Err(e)) => Err(io::Error::new(io::ErrorKind::UnexpectedEof, e.to_string())),
            };
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                break;
            }
        }
    });
    let reader = ChannelReader {
        rx,
        current: Bytes::new(),
    };
    let result = datasets::load(&state.app, &auth.actor, &id, reader, &input).await;
    pump.abort();
    Ok((StatusCode::CREATED, Json(result?)).into_response())
}

async fn dataset(
    State(state): State<AppState>,
    auth: Authenticated,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let view = datasets::dataset(&state.app, &auth.actor, &id).await?;
    Ok((StatusCode::OK, Json(view)).into_response())
}
