//! The demo's closing summary: what the platform now holds and where to
//! look, in a few lines.

use std::path::Path;

use gongshu_app::App;

use crate::demo_units::Loaded;

/// Prints the summary.
pub async fn print(
    app: &App,
    loaded: &Loaded,
    data_dir: &Path,
    listen: std::net::SocketAddr,
) -> Result<(), String> {
    println!("\n总结：");
    let mut rows = 0;
    let mut parts = Vec::new();
    for s in &loaded.0 {
        let v = gongshu_app::datasets::dataset(app, &s.officer, &s.id)
            .await
            .map_err(crate::demo_cmd::e)?;
        rows += v.current_rows;
        parts.push(format!("{} {} 行", v.name, v.current_rows));
    }
    println!(
        "  · 可信数据空间中 {} 个数据集共 {rows} 行（加密存储）：{}",
        loaded.0.len(),
        parts.join("，")
    );
    println!(
        "  · 审计日志 {} 条记录，已离线校验；公开检查点 http://{listen}/audit/checkpoint",
        app.ledger().size()
    );
    println!(
        "  · 控制台 http://{listen}/（账号见 {}），公开信息 http://{listen}/portal",
        data_dir.join("demo-accounts.json").display()
    );
    println!(
        "  · 各数源单位的导出文件与植入缺陷清单：{}",
        data_dir.join("sources").display()
    );
    Ok(())
}
