//! A deterministic synthetic Laiyuan County: households and enterprises
//! drawn from a seed, and the exports of its source systems (power, water,
//! gas, heating, buses, the enterprise registry) written as CSV files under
//! `DIR/sources/`, outside the platform's own storage, as real exports
//! would be. The same seed and scale give the same bytes.

pub mod ids;
pub mod people;
pub mod places;
pub mod sources;

use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use chrono::{Months, NaiveDate};
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

use people::{Enterprise, Household};

/// How big a county to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Seconds: 2 000 households, 300 enterprises, 12 months (tests, CI).
    Small,
    /// Minutes: 100 000 households, 5 000 enterprises, 36 months.
    County,
}

impl Scale {
    /// Households, enterprises and months of bills before the demo starts.
    pub const fn size(self) -> (usize, usize, u32) {
        match self {
            Self::Small => (2_000, 300, 12),
            Self::County => (100_000, 5_000, 36),
        }
    }

    /// The flag's value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Small => "small",
            Self::County => "county",
        }
    }
}

/// The county's population.
#[derive(Debug)]
pub struct County {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Its scale.
    pub scale: Scale,
    /// Households.
    pub households: Vec<Household>,
    /// Enterprises.
    pub enterprises: Vec<Enterprise>,
}

impl County {
    /// Draws the population.
    pub fn generate(seed: u64, scale: Scale) -> Self {
        let (h, e, _) = scale.size();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let households = people::households(&mut rng, h, h + e);
        let enterprises = people::enterprises(&mut rng, e, h, h + e);
        Self {
            seed,
            scale,
            households,
            enterprises,
        }
    }
}

/// The `n` months before `until` (exclusive), as first days, ascending.
pub fn months_before(until: NaiveDate, n: u32) -> Vec<NaiveDate> {
    (1..=n)
        .rev()
        .filter_map(|k| until.checked_sub_months(Months::new(k)))
        .collect()
}

/// The months from `from` up to `until` (exclusive), as first days.
pub fn months_between(from: NaiveDate, until: NaiveDate) -> Vec<NaiveDate> {
    let mut out = Vec::new();
    let mut m = from;
    while m < until {
        out.push(m);
        match m.checked_add_months(Months::new(1)) {
            Some(next) => m = next,
            None => break,
        }
    }
    out
}

/// One written export.
#[derive(Debug)]
pub struct SourceFile {
    /// The dataset's table name.
    pub table: &'static str,
    /// Where it was written.
    pub path: PathBuf,
    /// Rows and planted defects.
    pub written: sources::Written,
}

type Writer = fn(
    &County,
    &[NaiveDate],
    &mut BufWriter<std::fs::File>,
    &dyn Fn(u64),
) -> std::io::Result<sources::Written>;

fn writer(table: &str) -> Option<Writer> {
    Some(match table {
        "power_bill" => sources::power_bill,
        "water_bill" => sources::water_bill,
        "gas_bill" => sources::gas_bill,
        "heating_bill" => sources::heating_bill,
        "bus_trip" => sources::bus_trip,
        _ => return None,
    })
}

fn bar(label: &str, quiet: bool) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    if let Ok(style) = indicatif::ProgressStyle::with_template("  {spinner} {msg} {pos} 行") {
        bar.set_style(style);
    }
    bar.set_message(label.to_owned());
    bar
}

/// Writes the exports of `tables` for `months` into `dir` as
/// `<table>-<first month>.csv` (the registry has no months), with a progress
/// line each on a terminal.
///
/// # Errors
/// File system errors, with the path.
pub fn write_exports(
    county: &County,
    dir: &Path,
    tables: &[&'static str],
    months: &[NaiveDate],
    quiet: bool,
) -> Result<Vec<SourceFile>, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("无法创建 {}：{e}", dir.display()))?;
    let mut out = Vec::new();
    for &table in tables {
        let name = match months.first() {
            Some(m) if table != "enterprise_registry" => {
                format!("{table}-{}.csv", m.format("%Y-%m"))
            }
            _ => format!("{table}.csv"),
        };
        let path = dir.join(name);
        let failed = |e: std::io::Error| format!("无法写入 {}：{e}", path.display());
        let file = std::fs::File::create(&path).map_err(failed)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        let progress = bar(table, quiet);
        let tick = |rows: u64| progress.set_position(rows);
        let written = match writer(table) {
            Some(f) => f(county, months, &mut w, &tick),
            None => sources::enterprise_registry(county, &mut w, &tick),
        }
        .map_err(failed)?;
        w.flush().map_err(failed)?;
        progress.finish_and_clear();
        out.push(SourceFile {
            table,
            path,
            written,
        });
    }
    Ok(out)
}

/// The manifest of the exports (`sources/manifest.json`): seed, scale, and
/// per file its rows and planted defects, for checking quality reports.
pub fn manifest(county: &County, files: &[SourceFile]) -> serde_json::Value {
    serde_json::json!({
        "seed": county.seed,
        "scale": county.scale.as_str(),
        "households": county.households.len(),
        "enterprises": county.enterprises.len(),
        "files": files.iter().map(|f| serde_json::json!({
            "table": f.table,
            "file": f.path.file_name().map(|n| n.to_string_lossy().into_owned()),
            "rows": f.written.rows,
            "defects": f.written.defects,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests;
