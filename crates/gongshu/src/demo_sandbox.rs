//! The demo's sandbox step: the operator, holding the approved grant,
//! queries the power bills inside the trusted space; a released table with
//! suppressed rows, and a refused row-level query.

use gongshu_app::{Actor, App, AppError};

use crate::demo_cmd::e;

const ACCEPTED: &str = "SELECT township, count(*) AS bills, count(DISTINCT credit_code) AS enterprises, \
     sum(amount_fen) AS amount_fen FROM power_bill GROUP BY township ORDER BY township";
const REFUSED: &str = "SELECT credit_code, amount_fen FROM power_bill";

fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "—".into(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Runs the step.
pub async fn run(app: &App, operator: &Actor) -> Result<(), String> {
    println!("  · 运营机构在可信数据空间中查询（每行至少 10 个主体，计数取整到 5）：");
    println!("    {ACCEPTED}");
    let view = gongshu_app::sandbox::query(app, operator, ACCEPTED)
        .await
        .map_err(e)?;
    for row in &view.result.rows {
        let values: Vec<String> = row.values.iter().map(cell).collect();
        let note = row
            .suppressed
            .map(|s| format!("（{}）", s.label_zh()))
            .unwrap_or_default();
        println!("      {}{note}", values.join(" | "));
    }
    println!(
        "    审计记录 #{}，结果摘要 {}",
        view.audit_index,
        view.result_sha256.as_deref().unwrap_or("")
    );
    println!("  · 逐行读取企业电费被拒绝：{REFUSED}");
    match gongshu_app::sandbox::query(app, operator, REFUSED).await {
        Err(AppError::Validation(fields)) => {
            for f in fields {
                println!("      [{}] {}：{}", f.code, f.field, f.message);
            }
            Ok(())
        }
        Err(other) => Err(e(other)),
        Ok(_) => Err("逐行查询竟被放行".into()),
    }
}
