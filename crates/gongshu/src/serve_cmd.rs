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
    let retention = tokio::spawn(retention_job(std::sync::Arc::clone(&ledger)));
    let expiry = tokio::spawn(agreement_expiry_job(app.clone()));
    gongshu_server::serve(AppState::new(app, cfg), listener)
        .await
        .map_err(|e| format!("服务异常退出：{e}"))?;
    retention.abort();
    expiry.abort();
    // Make everything the log acknowledged durable in its derived files too.
    tokio::task::spawn_blocking(move || ledger.sync())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("审计日志同步失败：{e}"))
}

/// Deletes expired audit payloads once at start and then daily; each
/// deletion is itself logged by the ledger. Tree data is never deleted.
async fn retention_job(ledger: std::sync::Arc<gongshu_ledger::Ledger>) {
    let mut every_day = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        every_day.tick().await;
        let l = std::sync::Arc::clone(&ledger);
        match tokio::task::spawn_blocking(move || l.expire()).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(days = n, "expired audit payloads deleted"),
            Ok(Err(e)) => tracing::error!(error = %e, "audit retention run failed"),
            Err(e) => tracing::error!(error = %e, "audit retention task failed"),
        }
    }
}

/// Records the expiry of agreements whose term has ended (S-2.2a), once at
/// start and then daily; each expiry is an audited change.
async fn agreement_expiry_job(app: gongshu_app::App) {
    let mut every_day = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        every_day.tick().await;
        let today = gongshu_app::inbox::shanghai_today(app.clock().now());
        match gongshu_app::agreements::expire_lapsed(&app, today).await {
            Ok(ids) if ids.is_empty() => {}
            Ok(ids) => tracing::info!(count = ids.len(), "lapsed agreements expired"),
            Err(e) => tracing::error!(code = e.code(), "agreement expiry run failed"),
        }
        // Finish any crypto-shredding a crash or a vault error interrupted.
        match gongshu_app::evaluations::destruction::complete_all(&app).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(count = n, "pending destructions completed"),
            Err(e) => tracing::error!(code = e.code(), "destruction run failed"),
        }
    }
}
