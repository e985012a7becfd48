//! Steps 13 and 14 of `gongshu demo`: the data bureau inspects the audit
//! log (listing, filtering, a random sample, one receipt checked offline)
//! and the whole log is verified offline, as an outside auditor would.

use std::path::Path;
use std::sync::Arc;

use gongshu_app::{Actor, App};
use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::{verify_log_dir, verify_payloads};

use crate::demo_cmd::e;

/// Inspects the log as `inspector` (a data-bureau reviewer) and verifies
/// the log in `audit_dir` offline.
pub(crate) async fn inspect_and_verify(
    app: &App,
    inspector: &Actor,
    audit_dir: &Path,
) -> Result<(), String> {
    println!("13. 数据管理部门检查审计日志");
    let records = gongshu_app::audit_inspect::list(app, inspector, &Default::default())
        .await
        .map_err(e)?;
    let sample = gongshu_app::audit_inspect::sample(app, inspector, &Default::default(), 5, 2026)
        .await
        .map_err(e)?;
    let denied = gongshu_app::audit_inspect::list(
        app,
        inspector,
        &gongshu_app::audit_inspect::InspectQuery {
            action: Some("authz.denied".into()),
            limit: Some(500),
            ..Default::default()
        },
    )
    .await
    .map_err(e)?
    .len();
    println!(
        "  · 检索到 {} 条记录（按操作筛选：越权拒绝 {denied} 条），随机抽查 {} 条",
        records.len(),
        sample.len()
    );
    let first = records
        .last()
        .map_or(0, |r| u64::try_from(r.index).unwrap_or(0));
    let receipt = gongshu_app::audit_inspect::receipt(app, inspector, first)
        .await
        .map_err(e)?;
    let vk = NoteVerifier::parse(&app.ledger().vkey()).map_err(|e| e.to_string())?;
    let ok = gongshu_ledger::Receipt::parse(&receipt)
        .map_err(|e| e.to_string())?
        .verify(&vk, None)
        .map_err(|e| e.to_string())?;
    println!(
        "  · 第 {} 条记录的回执离线校验通过（日志规模 {}）",
        ok.index, ok.size
    );

    println!("14. 离线校验整个审计日志");
    let ledger = Arc::clone(app.ledger());
    tokio::task::spawn_blocking(move || ledger.sync())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let report = verify_log_dir(&audit_dir.join("log"), &vk, None, None, &mut |_, _| {})
        .map_err(|e| e.to_string())?;
    let payloads = verify_payloads(audit_dir, report.checkpoint.size).map_err(|e| e.to_string())?;
    println!(
        "  · 校验通过：{} 条记录，{payloads} 条载荷承诺一致",
        report.checkpoint.size
    );
    Ok(())
}
