//! Ingestion types and per-field parsing: load options, malformed-row
//! reports, column builders, cells, dates and booleans, the header check.
//! The threads that run a load are in `pipeline`.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, Int64Builder, StringBuilder};
use chrono::NaiveDate;

use crate::VaultError;
use crate::encoding::Malformed;
use crate::pseudonym::PseudonymCache;
use crate::quality::{QualityProfile, Validators};
use crate::schema::{ColumnDef, ColumnType, DatasetSchema};

/// Rows per Arrow batch while ingesting.
pub(crate) const BATCH_ROWS: usize = 8192;

/// The Parquet AAD prefix of a version's file.
pub(crate) fn file_aad(dataset: &str, version: u32) -> Vec<u8> {
    format!("gongshu-vault/file/v1\0{dataset}\0{version}").into_bytes()
}

pub(crate) enum ColBuilder {
    Str(StringBuilder),
    I64(Int64Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
}

impl ColBuilder {
    pub(crate) fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::String => {
                Self::Str(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16))
            }
            ColumnType::Int64 => Self::I64(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => Self::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Boolean => Self::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
        }
    }

    pub(crate) fn null(&mut self) {
        match self {
            Self::Str(b) => b.append_null(),
            Self::I64(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
            Self::Bool(b) => b.append_null(),
        }
    }

    pub(crate) fn finish(&mut self) -> ArrayRef {
        match self {
            Self::Str(b) => Arc::new(b.finish()),
            Self::I64(b) => Arc::new(b.finish()),
            Self::Date(b) => Arc::new(b.finish()),
            Self::Bool(b) => Arc::new(b.finish()),
        }
    }
}

/// Days since 1970-01-01 (Arrow `Date32`).
fn epoch_days(d: NaiveDate) -> Option<i32> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1)?;
    i32::try_from(d.signed_duration_since(epoch).num_days()).ok()
}

/// `true`/`false`, `1`/`0`, PostgreSQL's `t`/`f`, and 是/否 (any ASCII case).
fn parse_bool(s: &str) -> Option<bool> {
    let yes = ["1", "true", "t", "是"];
    let no = ["0", "false", "f", "否"];
    if yes.iter().any(|y| s.eq_ignore_ascii_case(y)) {
        Some(true)
    } else if no.iter().any(|n| s.eq_ignore_ascii_case(n)) {
        Some(false)
    } else {
        None
    }
}

/// A malformed row that was skipped (within the bad-row limit).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BadRow {
    /// 1-based input line (the header is line 1).
    pub line: u64,
    /// 1-based column number (0 when the whole row is wrong).
    pub column: usize,
    /// Column name (empty when unknown).
    pub column_name: String,
    /// What is wrong, in Chinese; never the value itself.
    pub reason: String,
}

/// Most bad rows kept for a report.
pub const MAX_REPORTED_BAD_ROWS: usize = 100;

/// Options of one load.
#[derive(Default)]
pub struct LoadOptions {
    /// Text encoding of the CSV.
    pub encoding: crate::Encoding,
    /// Malformed rows to skip before the whole load fails; 0 (the
    /// default) makes the first malformed row fail the load.
    pub max_bad_rows: u64,
    /// Per-column validity checks (quality, never rejection).
    pub validators: Validators,
    /// Per-column reference sets (consistency): a stored value not in the
    /// set counts as unmatched. Values are compared as stored, so a
    /// pseudonymised column is checked against pseudonyms.
    pub references: HashMap<String, HashSet<String>>,
}

impl std::fmt::Debug for LoadOptions {
    // Reference sets hold data values: show only their sizes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("encoding", &self.encoding)
            .field("max_bad_rows", &self.max_bad_rows)
            .field("validators", &self.validators)
            .field(
                "references",
                &self
                    .references
                    .iter()
                    .map(|(k, v)| (k, v.len()))
                    .collect::<HashMap<_, _>>(),
            )
            .finish()
    }
}

/// What a written version file amounts to.
pub(crate) struct Written {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
    pub(crate) profile: QualityProfile,
    pub(crate) rejected: u64,
    pub(crate) bad_rows: Vec<BadRow>,
    pub(crate) encoding: crate::Encoding,
}

pub(crate) fn bad(
    line: u64,
    column: usize,
    schema: &DatasetSchema,
    reason: impl Into<String>,
) -> BadRow {
    let column_name = column
        .checked_sub(1)
        .and_then(|i| schema.columns().get(i))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    BadRow {
        line,
        column,
        column_name,
        reason: reason.into(),
    }
}

fn csv_err(
    line: u64,
    column: usize,
    schema: &DatasetSchema,
    reason: impl Into<String>,
) -> VaultError {
    VaultError::from(bad(line, column, schema, reason))
}

/// A csv error as a vault error; `first_line` is the input line of the
/// parsed text's first byte.
pub(crate) fn map_csv_error(
    e: csv::Error,
    schema: &DatasetSchema,
    encoding: crate::Encoding,
    first_line: u64,
) -> VaultError {
    let line = first_line + e.position().map_or(1, csv::Position::line) - 1;
    match e.into_kind() {
        csv::ErrorKind::Utf8 { err, .. } => csv_err(
            line,
            err.field() + 1,
            schema,
            "不是有效的 UTF-8 文本（GB18030/GBK 文件请指定编码 gb18030）",
        ),
        csv::ErrorKind::Io(io) => read_error(io, encoding),
        other => csv_err(line, 0, schema, format!("{other:?}")),
    }
}

/// A parsed field of the current row, before it is appended. A
/// pseudonym's text is in the parser's per-column buffer.
#[derive(Clone, Copy)]
pub(crate) enum Cell {
    Null,
    Str,
    Pseudo,
    I64(i64),
    Date(i32, NaiveDate),
    Bool(bool),
}

/// Parses field `i` of a row; `Err` is the reason the row is malformed.
/// `YYYY-MM-DD`; the fixed layout is parsed by hand (chrono's format
/// parser was a visible share of ingestion time), anything else by chrono.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?.iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    if b.len() == 10 && b.get(4) == Some(&b'-') && b.get(7) == Some(&b'-') {
        let year = i32::try_from(num(0..4)?).ok()?;
        return NaiveDate::from_ymd_opt(year, num(5..7)?, num(8..10)?);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

pub(crate) fn parse_cell(
    def: &ColumnDef,
    field: &str,
    pseudonyms: &mut PseudonymCache<'_>,
    pseudonym: &mut String,
) -> Result<Cell, &'static str> {
    if field.is_empty() {
        return if def.nullable {
            Ok(Cell::Null)
        } else {
            Err("必填数据项为空")
        };
    }
    Ok(match def.ty {
        ColumnType::String if def.pseudonymised => {
            pseudonyms
                .pseudonym_into(field, pseudonym)
                .map_err(|_| "无法生成假名")?;
            Cell::Pseudo
        }
        ColumnType::String => Cell::Str,
        ColumnType::Int64 => Cell::I64(field.trim().parse().map_err(|_| "不是 64 位整数")?),
        ColumnType::Date => {
            let d = parse_date(field.trim()).ok_or("不是 YYYY-MM-DD 格式的日期")?;
            Cell::Date(epoch_days(d).ok_or("日期超出范围")?, d)
        }
        ColumnType::Boolean => {
            Cell::Bool(parse_bool(field.trim()).ok_or("不是布尔值（true/false/1/0）")?)
        }
    })
}

/// An input read error: malformed GB18030 names its byte offset.
pub(crate) fn read_error(e: std::io::Error, encoding: crate::Encoding) -> VaultError {
    let malformed = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<Malformed>())
        .map(|m| m.byte_offset);
    match malformed {
        Some(byte_offset) => VaultError::Encoding {
            encoding: encoding.as_str(),
            byte_offset,
        },
        None => VaultError::io(Path::new("<input>"), e),
    }
}

pub(crate) fn check_header(
    bytes: &[u8],
    schema: &DatasetSchema,
    encoding: crate::Encoding,
) -> Result<(), VaultError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut header = csv::StringRecord::new();
    let found = csv
        .read_record(&mut header)
        .map_err(|e| map_csv_error(e, schema, encoding, 1))?;
    if !found {
        return Err(csv_err(1, 0, schema, "输入为空，缺少表头"));
    }
    let cols = schema.columns();
    if header.len() != cols.len() {
        return Err(csv_err(
            1,
            header.len().min(cols.len()) + 1,
            schema,
            format!(
                "表头有 {} 个字段，目录登记的数据项有 {} 个",
                header.len(),
                cols.len()
            ),
        ));
    }
    for (i, (h, c)) in header.iter().zip(cols).enumerate() {
        let h = if i == 0 {
            h.trim_start_matches('\u{feff}')
        } else {
            h
        };
        if h.trim() != c.name {
            return Err(csv_err(
                1,
                i + 1,
                schema,
                format!("表头字段“{h}”与目录登记的数据项“{}”不一致", c.name),
            ));
        }
    }
    Ok(())
}
