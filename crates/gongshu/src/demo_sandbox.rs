//! The demo's sandbox step: the operator, holding the approved grant,
//! queries the power bills inside the trusted space; a released table with
//! suppressed rows, the same data in DP mode with the budget it spent, and
//! a refused row-level query.

use gongshu_app::{Actor, App, AppError};

use crate::demo_cmd::e;

const ACCEPTED: &str = "SELECT township, count(*) AS bills, count(DISTINCT credit_code) AS enterprises, \
     sum(amount_fen) AS amount_fen FROM power_bill GROUP BY township ORDER BY township";
const DP: &str = "SELECT township, COUNT(*) AS bills, AVG(amount_fen) AS avg_fen \
     FROM power_bill GROUP BY township ORDER BY township";
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
    dp(app, operator).await;
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

/// The DP step: noisy answers, the quarter's budget left. A refusal (say,
/// the budget spent by earlier runs on the same directory) is shown, not
/// fatal.
async fn dp(app: &App, operator: &Actor) {
    let params = gongshu_app::sandbox::DpParams {
        rho_micro: 50_000,
        bounds: [("amount_fen".to_owned(), (0, 100_000))]
            .into_iter()
            .collect(),
        max_groups: 1,
        max_rows: 36,
    };
    println!("  · 同一数据的差分隐私模式查询（ρ = 0.05，每户每月电费截断到 0–1000 元）：");
    println!("    {DP}");
    match gongshu_app::sandbox::query_dp(
        app,
        operator,
        DP,
        &params,
        gongshu_app::sandbox::Zone::Production,
    )
    .await
    {
        Ok(view) => {
            for row in &view.result.rows {
                let values: Vec<String> = row.values.iter().map(cell).collect();
                println!("      {}", values.join(" | "));
            }
            if let Some(d) = &view.result.report.dp {
                let noise: Vec<String> = d
                    .noise
                    .iter()
                    .map(|n| format!("{} σ≈{}", n.measure, n.sd))
                    .collect();
                println!(
                    "    噪声：{}{}",
                    noise.join("，"),
                    if d.cached {
                        "（相同查询的既有答案，未再消耗预算）"
                    } else {
                        ""
                    }
                );
            }
        }
        Err(err) => println!("    未执行：{}", err.message_zh()),
    }
    if let Ok(budgets) = gongshu_app::sandbox::budgets(app, operator).await {
        for b in budgets {
            println!(
                "    {} 本季度（{}）隐私预算剩余 ρ = {} / {}",
                b.table, b.period, b.remaining_rho, b.total_rho
            );
        }
    }
}
