//! The data source units of the synthetic county beyond the power company
//! and the market regulation bureau (water, gas, heating, buses): their
//! organisations and case officers, the exports they load, and the
//! monthly update after the time-lapse.

use std::path::{Path, PathBuf};

use chrono::{Datelike as _, NaiveDate};
use gongshu_app::{Actor, App};

use crate::county::{self, County, SourceFile};
use crate::demo_cmd::{Person, org, person};
use crate::demo_sources::{Source, load_file, register_and_load, report};

/// (organisation, table, user name, display name) of each further unit.
const UNITS: [(&str, &str, &str, &str); 4] = [
    ("涞源县自来水公司", "water_bill", "water.officer", "施供水"),
    ("涞源县燃气公司", "gas_bill", "gas.officer", "严燃气"),
    ("涞源县热力公司", "heating_bill", "heat.officer", "温供热"),
    ("涞源县公共交通公司", "bus_trip", "bus.officer", "符公交"),
];

/// Months of bus trips the first export holds.
const BUS_MONTHS: u32 = 3;

/// A unit's officer and the table they load.
pub struct Unit {
    /// Organisation name.
    pub organisation: &'static str,
    /// Table the unit loads.
    pub table: &'static str,
    /// The case officer.
    pub person: Person,
}

/// Creates the units and one case officer each.
pub async fn create(app: &App, admin: &Actor) -> Result<Vec<Unit>, String> {
    let mut out = Vec::new();
    for (name, table, username, display) in UNITS {
        let sector = if table == "bus_trip" {
            "transport"
        } else {
            "utilities"
        };
        let id = org(app, admin, name, "data_source_unit", Some(sector), None).await?;
        let person = person(app, admin, &id, username, display, &["case_officer"]).await?;
        out.push(Unit {
            organisation: name,
            table,
            person,
        });
    }
    Ok(out)
}

/// Where the exports go.
pub fn sources_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("sources")
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// Writes the exports the units hold when the demo starts on `start`:
/// `scale` months of bills before it, the last months of bus trips and the
/// registry, plus `sources/manifest.json`.
pub fn initial_exports(
    county: &County,
    data_dir: &Path,
    start: NaiveDate,
) -> Result<Vec<SourceFile>, String> {
    let dir = sources_dir(data_dir);
    let (_, _, months) = county.scale.size();
    let until = first_of_month(start);
    let quiet = false;
    let mut files = county::write_exports(county, &dir, &["enterprise_registry"], &[], quiet)?;
    files.extend(county::write_exports(
        county,
        &dir,
        &["power_bill", "water_bill", "gas_bill", "heating_bill"],
        &county::months_before(until, months),
        quiet,
    )?);
    files.extend(county::write_exports(
        county,
        &dir,
        &["bus_trip"],
        &county::months_before(until, BUS_MONTHS),
        quiet,
    )?);
    write_manifest(county, &dir, "manifest.json", &files)?;
    let rows: u64 = files.iter().map(|f| f.written.rows).sum();
    println!(
        "  · 示例县（种子 {}，规模 {}）：{} 户居民、{} 家企业；各单位系统导出 {} 个文件共 {rows} 行，位于 {}",
        county.seed,
        county.scale.as_str(),
        county.households.len(),
        county.enterprises.len(),
        files.len(),
        dir.display()
    );
    Ok(files)
}

fn write_manifest(
    county: &County,
    dir: &Path,
    name: &str,
    files: &[SourceFile],
) -> Result<(), String> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(&county::manifest(county, files))
        .map_err(|x| x.to_string())?;
    std::fs::write(&path, text).map_err(|x| format!("无法写入 {}：{x}", path.display()))
}

/// Who loads what.
pub struct Loaders<'a> {
    /// The power company's officer.
    pub power: &'a Actor,
    /// The market regulation bureau's officer.
    pub market: &'a Actor,
    /// The further units.
    pub units: &'a [Unit],
}

impl Loaders<'_> {
    fn officer(&self, table: &str) -> Option<&Actor> {
        match table {
            "power_bill" => Some(self.power),
            "enterprise_registry" => Some(self.market),
            _ => self
                .units
                .iter()
                .find(|u| u.table == table)
                .map(|u| &u.person.actor),
        }
    }
}

/// The registered datasets.
pub struct Loaded(pub Vec<Source>);

impl Loaded {
    /// The resource id of `table`.
    pub fn id_of(&self, table: &str) -> Result<String, String> {
        self.0
            .iter()
            .find(|s| s.table == table)
            .map(|s| s.id.clone())
            .ok_or_else(|| format!("演示未登记数据集 {table}"))
    }
}

/// Registers and loads every initial export.
pub async fn load_initial(
    app: &App,
    files: &[SourceFile],
    loaders: &Loaders<'_>,
) -> Result<Loaded, String> {
    let mut out = Vec::new();
    for file in files {
        let officer = loaders
            .officer(file.table)
            .ok_or_else(|| format!("没有负责 {} 的数源单位", file.table))?;
        out.push(register_and_load(app, officer, file).await?);
    }
    Ok(Loaded(out))
}

/// After the time-lapse: the units append the months since the start (the
/// registry is replaced, it is updated daily); the gas company sends
/// nothing, so its data is late against its declared monthly frequency.
pub async fn monthly_update(
    app: &App,
    county: &County,
    data_dir: &Path,
    start: NaiveDate,
    loaded: &Loaded,
) -> Result<(), String> {
    let today = gongshu_app::inbox::shanghai_today(app.clock().now());
    let months = county::months_between(first_of_month(start), first_of_month(today));
    println!("11. 数源单位按月更新数据（燃气公司逾期未更新 → 及时性告警列入待办）");
    println!(
        "  · 回到当前时间：各数源单位按月推送 {} 个月的新数据（燃气公司逾期未推送）",
        months.len()
    );
    let dir = sources_dir(data_dir);
    let mut files = county::write_exports(
        county,
        &dir,
        &["power_bill", "water_bill", "heating_bill", "bus_trip"],
        &months,
        false,
    )?;
    files.extend(county::write_exports(
        county,
        &dir,
        &["enterprise_registry"],
        &[],
        false,
    )?);
    write_manifest(county, &dir, "manifest-update.json", &files)?;
    for file in &files {
        let Some(source) = loaded.0.iter().find(|s| s.table == file.table) else {
            continue;
        };
        if file.written.rows == 0 {
            // No heating bills outside the season: nothing to send.
            continue;
        }
        let mode = if file.table == "enterprise_registry" {
            "replace"
        } else {
            "append"
        };
        let view = load_file(app, &source.officer, &source.id, &file.path, mode).await?;
        let name = gongshu_app::datasets::dataset(app, &source.officer, &source.id)
            .await
            .map_err(crate::demo_cmd::e)?
            .name;
        report(&name, &view, file);
    }
    if let Some(gas) = loaded.0.iter().find(|s| s.table == "gas_bill") {
        let view = gongshu_app::datasets::dataset(app, &gas.officer, &gas.id)
            .await
            .map_err(crate::demo_cmd::e)?;
        if let Some(t) = view.timeliness.filter(|t| t.late) {
            println!(
                "  · 及时性告警：{} 距上次更新 {} 天，超过按月更新允许的 {} 天，已列入燃气公司的待办",
                view.name,
                t.age_days,
                t.max_age_days.unwrap_or_default()
            );
        }
    }
    Ok(())
}
