//! Rendering released results as files.

use gongshu_sandbox::{ColumnKind, QueryResult};
use sha2::{Digest as _, Sha256};

/// Hex SHA-256 of a file's content.
pub(crate) fn sha256(content: &str) -> String {
    hex::encode(Sha256::digest(content.as_bytes()).as_slice())
}

fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// The released rows as CSV: withheld values as `*`, NULL as empty.
pub fn result_csv(result: &QueryResult) -> String {
    let mut out = result
        .columns
        .iter()
        .map(|c| field(&c.name))
        .collect::<Vec<_>>()
        .join(",");
    out.push('\n');
    for row in &result.rows {
        let cells: Vec<String> = row
            .values
            .iter()
            .zip(&result.columns)
            .map(|(v, c)| match v {
                _ if row.suppressed.is_some() && c.kind != ColumnKind::Key => "*".into(),
                serde_json::Value::Null => String::new(),
                serde_json::Value::String(s) => field(s),
                other => field(&other.to_string()),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}
