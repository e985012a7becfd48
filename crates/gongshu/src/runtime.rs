//! Wiring shared by the subcommands: logging, the async runtime, opening
//! the store, the ledger and the application from a configuration.

use std::sync::Arc;

use gongshu_app::{App, AppConfig, SystemClock};
use gongshu_ledger::{Ledger, LedgerOptions};
use gongshu_server::ServerConfig;
use gongshu_store::Store;

use crate::cli::Location;

/// Structured logs to stderr; `RUST_LOG` filters. Never secrets: handlers
/// and use cases log ids and codes only.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs a future on a multi-threaded runtime.
pub fn block_on<F: Future<Output = Result<(), String>>>(f: F) -> Result<(), String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("无法启动运行时：{e}"))?
        .block_on(f)
}

/// Reads the configuration for a location.
pub fn config(loc: &Location) -> Result<ServerConfig, String> {
    let mut cfg = ServerConfig::load(loc.config.as_deref(), Some(&loc.data_dir), &|k| {
        std::env::var(k).ok()
    })
    .map_err(|e| e.to_string())?;
    if loc.database_url.is_some() {
        cfg.database_url.clone_from(&loc.database_url);
    }
    Ok(cfg)
}

/// Opens store, ledger and application.
pub async fn open(cfg: &ServerConfig) -> Result<App, String> {
    open_with_clock(cfg, Arc::new(SystemClock)).await
}

/// [`open`] with another clock (the demo's time-lapse), shared by the
/// ledger so audit records carry the same time as the use cases.
pub async fn open_with_clock(
    cfg: &ServerConfig,
    clock: Arc<dyn gongshu_app::Clock>,
) -> Result<App, String> {
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| format!("无法创建数据目录 {}：{e}", cfg.data_dir.display()))?;
    let store = Store::connect(&cfg.database_url())
        .await
        .map_err(|e| format!("无法连接数据库：{e}"))?;
    let audit_dir = cfg.audit_dir();
    let origin = cfg.audit_origin.clone();
    let ledger_clock = Arc::clone(&clock);
    let ledger = tokio::task::spawn_blocking(move || {
        let mut opts = LedgerOptions::new(origin);
        opts.clock = Arc::new(move || ledger_clock.now().timestamp_millis());
        Ledger::open(&audit_dir, opts)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("无法打开审计日志：{e}"))?;
    let vault_dir = cfg.data_dir.join("vault");
    let vault = tokio::task::spawn_blocking(move || gongshu_vault::Vault::open(vault_dir))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("无法打开数据保管库：{e}"))?;
    let app = App::start(store, Arc::new(ledger), clock, AppConfig::default())
        .await
        .and_then(|app| app.with_vault(Arc::new(vault)))
        .map_err(|e| format!("启动失败：{}（{e}）", e.message_zh()))?;
    // Seeds stored plain by an earlier version are sealed before anyone
    // logs in.
    let sealed = app
        .seal_totp_seeds()
        .await
        .map_err(|e| format!("启动失败：{}（{e}）", e.message_zh()))?;
    if sealed > 0 {
        tracing::info!(sealed, "sealed TOTP seeds stored in plain");
    }
    Ok(app)
}
