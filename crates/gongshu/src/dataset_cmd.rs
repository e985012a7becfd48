//! `gongshu dataset load`: a data source unit's client. It streams CSV to
//! the platform's load API with its API key; Parquet files and PostgreSQL
//! tables or queries are converted to CSV on the fly, on the source's own
//! machine, so the platform has one ingestion path. Memory stays bounded:
//! at most a few chunks are in flight.

use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use crate::cli::DatasetLoadArgs;

/// Bytes per chunk sent.
const CHUNK: usize = 256 * 1024;
/// Chunks buffered between the reader and the connection.
const IN_FLIGHT: usize = 4;

type Chunk = Result<Bytes, std::io::Error>;

/// Progress shared by the producers.
struct Progress {
    bar: indicatif::ProgressBar,
}

impl Progress {
    fn new(quiet: bool, total: Option<u64>) -> Self {
        let bar = if quiet {
            indicatif::ProgressBar::hidden()
        } else if let Some(t) = total {
            let b = indicatif::ProgressBar::new(t);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "上传中 {bar:30} {bytes}/{total_bytes} （{bytes_per_sec}）{msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b
        } else {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} 上传中 {bytes}（{bytes_per_sec}）{msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            b
        };
        bar.enable_steady_tick(Duration::from_millis(200));
        Self { bar }
    }

    fn sent(&self, bytes: &[u8], rows: u64) {
        self.bar.inc(bytes.len() as u64);
        let rate = self.bar.per_sec();
        let pos = self.bar.position().max(1);
        // Rows per second from the byte rate and the mean row size so far.
        let row_rate = if rows > 0 {
            rate * rows as f64 / pos as f64
        } else {
            0.0
        };
        self.bar
            .set_message(format!("约 {rows} 行，{row_rate:.0} 行/秒"));
    }
}

fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The upload URL; plain http is refused for anything but this machine,
/// since the body is the source unit's raw data.
fn upload_uri(args: &DatasetLoadArgs) -> Result<hyper::Uri, String> {
    let base: hyper::Uri = args
        .server
        .parse()
        .map_err(|_| format!("平台地址“{}”无效", args.server))?;
    if base.scheme_str() != Some("http") {
        return Err(
            "本客户端只支持本机的 http 地址；远程加载请在平台所在主机上运行，或经 TLS 隧道连接到本机端口"
                .into(),
        );
    }
    let host = base.host().unwrap_or_default();
    if !is_loopback(host) {
        return Err(format!(
            "拒绝以明文 http 向非本机地址 {host} 上传原始数据；请在平台主机上运行或使用 TLS 隧道"
        ));
    }
    let id = &args.resource;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(format!("目录资源编号“{id}”无效"));
    }
    format!(
        "{}/api/v1/catalog/resources/{id}/versions?mode={}&encoding={}&max_bad_rows={}",
        args.server.trim_end_matches('/'),
        args.mode,
        args.encoding,
        args.max_bad_rows
    )
    .parse()
    .map_err(|e| format!("无法构造上传地址：{e}"))
}

fn count_rows(chunk: &[u8]) -> u64 {
    chunk.iter().filter(|&&b| b == b'\n').count() as u64
}

/// Streams a CSV file (or standard input) as it is.
fn produce_csv(path: &Path, tx: &mpsc::Sender<Chunk>, progress: &Progress) -> Result<(), String> {
    let mut input: Box<dyn Read> = if path == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path).map_err(|e| format!("无法打开 {}：{e}", path.display()))?,
        )
    };
    let mut rows = 0u64;
    loop {
        let mut buf = vec![0u8; CHUNK];
        let n = input
            .read(&mut buf)
            .map_err(|e| format!("读取 {} 失败：{e}", path.display()))?;
        if n == 0 {
            return Ok(());
        }
        buf.truncate(n);
        rows += count_rows(&buf);
        progress.sent(&buf, rows.saturating_sub(1));
        if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
            return Ok(()); // the connection ended; its error is reported
        }
    }
}

/// Converts a Parquet file to CSV on the fly, batch by batch.
fn produce_parquet(
    path: &Path,
    tx: &mpsc::Sender<Chunk>,
    progress: &Progress,
) -> Result<(), String> {
    let file =
        std::fs::File::open(path).map_err(|e| format!("无法打开 {}：{e}", path.display()))?;
    gongshu_vault::parquet_to_csv(file, |text, rows| {
        progress.sent(&text, rows);
        tx.blocking_send(Ok(Bytes::from(text))).is_ok()
    })
    .map(|_| ())
    .map_err(|e| format!("{} 不是可读的 Parquet 文件：{e}", path.display()))
}

/// Quotes a possibly schema-qualified table name for `COPY`.
fn quote_table(name: &str) -> Result<String, String> {
    let parts: Vec<&str> = name.split('.').collect();
    if parts.is_empty() || parts.len() > 2 || parts.iter().any(|p| p.is_empty()) {
        return Err(format!("表名“{name}”无效"));
    }
    Ok(parts
        .iter()
        .map(|p| format!("\"{}\"", p.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join("."))
}

/// Streams `COPY … TO STDOUT (FORMAT csv, HEADER)` from the source database.
async fn produce_postgres(
    url: &str,
    table: Option<&str>,
    query: Option<&str>,
    tx: mpsc::Sender<Chunk>,
    progress: &Progress,
) -> Result<(), String> {
    use futures_util::StreamExt as _;
    use sqlx::Connection as _;

    let source = match (table, query) {
        (Some(t), None) => quote_table(t)?,
        (None, Some(q)) => format!("({})", q.trim().trim_end_matches(';')),
        _ => return Err("请用 --table 或 --query 指定源数据".into()),
    };
    let mut conn = sqlx::PgConnection::connect(url)
        .await
        .map_err(|_| "无法连接源 PostgreSQL 数据库（连接串不显示以免泄露口令）".to_owned())?;
    let statement =
        format!("COPY {source} TO STDOUT WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')");
    let mut stream = conn
        .copy_out_raw(&statement)
        .await
        .map_err(|e| format!("源数据库导出失败：{e}"))?;
    let mut rows = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("源数据库导出失败：{e}"))?;
        rows += count_rows(&chunk);
        progress.sent(&chunk, rows.saturating_sub(1));
        if tx.send(Ok(chunk)).await.is_err() {
            break;
        }
    }
    Ok(())
}

fn source_format(args: &DatasetLoadArgs, path: &Path) -> &'static str {
    match args.format.as_deref() {
        Some("parquet") => "parquet",
        Some(_) => "csv",
        None if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("parquet")) =>
        {
            "parquet"
        }
        None => "csv",
    }
}

/// Runs `gongshu dataset load`.
pub async fn run(args: DatasetLoadArgs) -> Result<(), String> {
    let key = args
        .api_key
        .clone()
        .filter(|k| !k.trim().is_empty())
        .ok_or("请在环境变量 GONGSHU_API_KEY 中提供本单位的接口密钥")?;
    let uri = upload_uri(&args)?;
    let (tx, mut rx) = mpsc::channel::<Chunk>(IN_FLIGHT);
    let file: Option<PathBuf> = args.file.clone();
    let total = file
        .as_deref()
        .filter(|p| *p != Path::new("-") && source_format(&args, p) == "csv")
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    let progress = std::sync::Arc::new(Progress::new(args.quiet, total));

    let producer = {
        let progress = progress.clone();
        let postgres = args.postgres.clone();
        let (table, query) = (args.table.clone(), args.query.clone());
        let format = file.as_deref().map(|p| source_format(&args, p));
        tokio::spawn(async move {
            let result = match (file, postgres) {
                (Some(path), _) => {
                    let tx = tx.clone();
                    let progress = progress.clone();
                    tokio::task::spawn_blocking(move || {
                        if format == Some("parquet") {
                            produce_parquet(&path, &tx, &progress)
                        } else {
                            produce_csv(&path, &tx, &progress)
                        }
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("读取任务失败：{e}")))
                }
                (None, Some(url)) => {
                    produce_postgres(
                        &url,
                        table.as_deref(),
                        query.as_deref(),
                        tx.clone(),
                        &progress,
                    )
                    .await
                }
                (None, None) => Err("请用 --file 或 --postgres 指定数据来源".into()),
            };
            if let Err(msg) = &result {
                // Abort the upload: the server then stores nothing.
                let _ = tx.send(Err(std::io::Error::other(msg.clone()))).await;
            }
            result
        })
    };

    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)).map_ok_frames();
    let request = hyper::Request::post(uri)
        .header("x-api-key", key)
        .header("content-type", "text/csv")
        .body(StreamBody::new(stream))
        .map_err(|e| format!("无法构造请求：{e}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await;
    let produced = producer
        .await
        .unwrap_or_else(|e| Err(format!("读取任务失败：{e}")));
    progress.bar.finish_and_clear();
    produced?;
    let response = response.map_err(|e| format!("无法连接平台 {}：{e}", args.server))?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("读取平台应答失败：{e}"))?
        .to_bytes();
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    if status.is_success() {
        print_version(&v);
        Ok(())
    } else {
        Err(describe_error(status.as_u16(), &v))
    }
}

/// Turns a stream of chunks into body frames.
trait MapOkFrames: Sized {
    fn map_ok_frames(self) -> futures_util::stream::MapOk<Self, fn(Bytes) -> Frame<Bytes>>;
}

impl<S> MapOkFrames for S
where
    S: futures_util::TryStream<Ok = Bytes, Error = std::io::Error>,
{
    fn map_ok_frames(self) -> futures_util::stream::MapOk<Self, fn(Bytes) -> Frame<Bytes>> {
        futures_util::TryStreamExt::map_ok(self, Frame::data as fn(Bytes) -> Frame<Bytes>)
    }
}

fn print_version(v: &serde_json::Value) {
    let q = &v["quality"];
    println!(
        "已加载：第 {} 版（{}，编码 {}），入库 {} 行，拒收 {} 行",
        v["version"],
        if v["mode"] == "append" {
            "增量追加"
        } else {
            "全量替换"
        },
        v["encoding"].as_str().unwrap_or_default(),
        v["rows_loaded"],
        v["rows_rejected"]
    );
    println!(
        "数据质量：完整性 {}‰  准确性 {}‰  一致性 {}‰",
        q["completeness_permille"], q["validity_permille"], q["consistency_permille"]
    );
    if let Some(alerts) = q["alerts"].as_array() {
        for a in alerts {
            println!("  告警：{}", a["message_zh"].as_str().unwrap_or_default());
        }
    }
    println!(
        "密文 SHA-256 {}  数据密钥 {}",
        v["sha256"].as_str().unwrap_or_default(),
        v["key_id"].as_str().unwrap_or_default()
    );
}

fn describe_error(status: u16, v: &serde_json::Value) -> String {
    let mut out = format!(
        "加载未生效（HTTP {status} {}）：{}",
        v["code"].as_str().unwrap_or("unknown"),
        v["message"].as_str().unwrap_or("平台未给出原因")
    );
    if let Some(fields) = v["fields"].as_array() {
        for f in fields {
            out.push_str("\n  ");
            out.push_str(f["message"].as_str().unwrap_or_default());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_allowed() {
        assert!(is_loopback("127.0.0.1") && is_loopback("localhost") && is_loopback("[::1]"));
        assert!(!is_loopback("10.0.0.8") && !is_loopback("example.org"));
    }

    #[test]
    fn table_names_are_quoted() {
        assert_eq!(
            quote_table("public.readings").unwrap(),
            "\"public\".\"readings\""
        );
        assert_eq!(quote_table("a\"b").unwrap(), "\"a\"\"b\"");
        assert!(quote_table("a.b.c").is_err() && quote_table("").is_err());
    }
}
