//! Shared fixtures for the vault tests.
#![allow(dead_code, reason = "each test binary uses a subset")]

use std::path::Path;

use gongshu_vault::{ColumnDef, ColumnType, DatasetSchema};

pub const MARKER: &str = "MARKERzhangsan7731";

pub fn schema() -> DatasetSchema {
    DatasetSchema::new(vec![
        ColumnDef::new("id_number", ColumnType::String).required(),
        ColumnDef::new("name", ColumnType::String),
        ColumnDef::new("age", ColumnType::Int64),
        ColumnDef::new("birth_date", ColumnType::Date),
        ColumnDef::new("active", ColumnType::Boolean),
    ])
    .unwrap()
}

/// Five rows: one invalid ID check digit (line 4), three nulls in total.
pub fn csv() -> String {
    format!(
        "id_number,name,age,birth_date,active\n\
         11010519491231002X,{MARKER},75,1949-12-31,true\n\
         33010219800101123X,李四,45,1980-01-01,false\n\
         330102199512314561,王五,,1995-12-31,1\n\
         330102199512314560,,30,,0\n\
         11010519491231002X,赵六,75,1949-12-31,TRUE\n"
    )
}

/// Every file under `dir`, recursively.
pub fn all_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(all_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Whether any file under `dir` contains `needle`.
pub fn any_file_contains(dir: &Path, needle: &[u8]) -> bool {
    all_files(dir).iter().any(|p| {
        let bytes = std::fs::read(p).unwrap();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}
