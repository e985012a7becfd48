//! Demo step 4: the source units (数源单位) register their datasets in the
//! catalog and load their systems' exports from `DIR/sources/` into the
//! vault; each load's quality report is set against the defects the
//! generator planted. After the time-lapse, the monthly update: every unit
//! but the gas company sends the months since, so the gas data turns late.

use std::path::Path;

use gongshu_app::datasets::{self, LoadInput, VersionView};
use gongshu_app::{Actor, App};
use gongshu_domain::catalog::ResourceInput;

use crate::county::SourceFile;
use crate::demo_cmd::e;

/// A registered dataset and who loads it.
pub struct Source {
    /// Table name.
    pub table: &'static str,
    /// Catalog resource id.
    pub id: String,
    /// The unit's case officer.
    pub officer: Actor,
}

/// The catalog entry of `table`.
fn entry(table: &str) -> Option<ResourceInput> {
    Some(match table {
        "power_bill" => crate::demo_catalog::power_bill(),
        "water_bill" => crate::demo_catalog::water_bill(),
        "gas_bill" => crate::demo_catalog::gas_bill(),
        "heating_bill" => crate::demo_catalog::heating_bill(),
        "bus_trip" => crate::demo_catalog::bus_trip(),
        "enterprise_registry" => crate::demo_catalog::enterprise_registry(),
        _ => return None,
    })
}

/// Loads one export file (streamed from disk).
pub async fn load_file(
    app: &App,
    officer: &Actor,
    id: &str,
    path: &Path,
    mode: &str,
) -> Result<VersionView, String> {
    let file =
        std::fs::File::open(path).map_err(|x| format!("无法读取 {}：{x}", path.display()))?;
    let input = LoadInput {
        mode: mode.into(),
        ..LoadInput::default()
    };
    datasets::load(app, officer, id, std::io::BufReader::new(file), &input)
        .await
        .map_err(e)
}

/// Chinese name of a planted defect kind.
fn kind_zh(kind: &str) -> &str {
    match kind {
        "bad_check_digit" => "校验位错误",
        "missing" => "为空",
        other => other,
    }
}

/// Prints a load and, per planted defect, what the quality report found.
pub fn report(name: &str, view: &VersionView, file: &SourceFile) {
    let q = &view.quality;
    println!(
        "  · {name}：第 {} 版（{}）{} 行，完整性 {}‰，准确性 {}‰",
        view.version,
        if view.mode == "append" {
            "增量"
        } else {
            "全量"
        },
        view.rows_loaded,
        q.completeness_permille,
        q.validity_permille
    );
    for (what, planted) in &file.written.defects {
        let (column, kind) = what.split_once('.').unwrap_or((what, ""));
        let found = q.columns.iter().find(|c| c.name == column).map_or(0, |c| {
            if kind == "missing" {
                c.nulls
            } else {
                c.invalid
            }
        });
        let verdict = if found == *planted {
            "一致"
        } else {
            "不一致"
        };
        println!(
            "    植入缺陷 {column} {}：{planted} 行；质量报告发现 {found} 行（{verdict}）",
            kind_zh(kind)
        );
    }
    for alert in &q.alerts {
        println!(
            "    质量告警（{}）：{}",
            alert.dimension.label_zh(),
            alert.message_zh
        );
    }
}

/// Registers `file`'s dataset for `officer`'s unit and loads it in full.
pub async fn register_and_load(
    app: &App,
    officer: &Actor,
    file: &SourceFile,
) -> Result<Source, String> {
    let input = entry(file.table).ok_or_else(|| format!("未知数据集 {}", file.table))?;
    let name = input.name.clone();
    let view = gongshu_app::catalog::create_resource(app, officer, &input)
        .await
        .map_err(e)?;
    let loaded = load_file(app, officer, &view.id, &file.path, "replace").await?;
    report(&name, &loaded, file);
    Ok(Source {
        table: file.table,
        id: view.id,
        officer: officer.clone(),
    })
}
