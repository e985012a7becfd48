//! `gongshu serve`.

use gongshu_server::AppState;

use crate::cli::ServeArgs;
use crate::runtime;

pub async fn run(args: ServeArgs) -> Result<(), String> {
    let mut cfg = runtime::config(&args.location)?;
    if let Some(l) = args.listen {
        cfg.listen = l;
    }
    let app = runtime::open(&cfg).await?;
    serve(app, cfg).await
}

/// Binds and serves until a shutdown signal.
pub async fn serve(app: gongshu_app::App, cfg: gongshu_server::ServerConfig) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(cfg.listen)
        .await
        .map_err(|e| format!("无法监听 {}：{e}", cfg.listen))?;
    println!("平台已启动：http://{}/ （按 Ctrl-C 停止）", cfg.listen);
    let ledger = std::sync::Arc::clone(app.ledger());
    gongshu_server::serve(AppState::new(app, cfg), listener)
        .await
        .map_err(|e| format!("服务异常退出：{e}"))?;
    // Make everything the log acknowledged durable in its derived files too.
    tokio::task::spawn_blocking(move || ledger.sync())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("审计日志同步失败：{e}"))
}
