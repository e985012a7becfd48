//! CSV → encrypted Parquet, streaming in batches with a quality profile.
//!
//! Encryption uses Parquet modular encryption (AES-256-GCM, encrypted
//! footer): the version's DEK is the footer key and, with no per-column
//! keys, encrypts every column's pages and metadata (statistics included).
//! Modular encryption keeps the file a normal Parquet file that DataFusion
//! can read with decryption properties (projection and row-group pruning
//! still work), which whole-file AES-GCM would not allow without
//! decrypting the whole file first. The AAD prefix binds the file to its
//! dataset and version, so a file swapped between versions fails to decrypt.
//! Pages are encrypted in memory before they are written, so no plaintext
//! reaches disk, temporary files included.

use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, Date32Builder, Int64Builder, StringBuilder};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::encryption::encrypt::FileEncryptionProperties;
use parquet::file::properties::WriterProperties;
use sha2::{Digest as _, Sha256};

use std::collections::{HashMap, HashSet};

use crate::encoding::Malformed;
use crate::keys::Dek;
use crate::pseudonym::{PseudonymCache, PseudonymKey};
use crate::quality::{Profiler, QualityProfile, Validators};
use crate::schema::{ColumnDef, ColumnType, DatasetSchema};
use crate::{VaultError, fsutil};

/// Rows per Arrow batch while ingesting.
pub(crate) const BATCH_ROWS: usize = 8192;

/// The Parquet AAD prefix of a version's file.
pub(crate) fn file_aad(dataset: &str, version: u32) -> Vec<u8> {
    format!("gongshu-vault/file/v1\0{dataset}\0{version}").into_bytes()
}

/// A file writer that hashes every byte it writes (the ciphertext).
struct HashingFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

enum ColBuilder {
    Str(StringBuilder),
    I64(Int64Builder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
}

impl ColBuilder {
    fn new(ty: ColumnType) -> Self {
        match ty {
            ColumnType::String => {
                Self::Str(StringBuilder::with_capacity(BATCH_ROWS, BATCH_ROWS * 16))
            }
            ColumnType::Int64 => Self::I64(Int64Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Date => Self::Date(Date32Builder::with_capacity(BATCH_ROWS)),
            ColumnType::Boolean => Self::Bool(BooleanBuilder::with_capacity(BATCH_ROWS)),
        }
    }

    fn null(&mut self) {
        match self {
            Self::Str(b) => b.append_null(),
            Self::I64(b) => b.append_null(),
            Self::Date(b) => b.append_null(),
            Self::Bool(b) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
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

fn bad(line: u64, column: usize, schema: &DatasetSchema, reason: impl Into<String>) -> BadRow {
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

fn map_csv_error(e: csv::Error, schema: &DatasetSchema, encoding: crate::Encoding) -> VaultError {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Utf8 { err, .. } => csv_err(
            line,
            err.field() + 1,
            schema,
            "不是有效的 UTF-8 文本（GB18030/GBK 文件请指定编码 gb18030）",
        ),
        csv::ErrorKind::Io(io) => {
            let malformed = io
                .get_ref()
                .and_then(|inner| inner.downcast_ref::<Malformed>())
                .map(|m| m.byte_offset);
            match malformed {
                Some(byte_offset) => VaultError::Encoding {
                    encoding: encoding.as_str(),
                    byte_offset,
                },
                None => VaultError::Io {
                    path: "<input>".into(),
                    source: io,
                },
            }
        }
        other => csv_err(line, 0, schema, format!("{other:?}")),
    }
}

/// A parsed field of the current row, before it is appended.
enum Cell {
    Null,
    Str,
    Pseudo(String),
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

fn parse_cell(
    def: &ColumnDef,
    field: &str,
    pseudonyms: &mut PseudonymCache<'_>,
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
            Cell::Pseudo(pseudonyms.pseudonym(field).map_err(|_| "无法生成假名")?)
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

/// Streams `reader` (CSV with a header row equal to the schema's names)
/// into an encrypted Parquet file at `tmp_path`, synced to disk. On error
/// the temporary file is removed.
pub(crate) fn write_version<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    options: &LoadOptions,
    keys: (&Dek, &PseudonymKey),
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let result = write_inner(tmp_path, reader, schema, options, keys, aad);
    if result.is_err() {
        let _ = std::fs::remove_file(tmp_path);
    }
    result
}

fn write_inner<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    options: &LoadOptions,
    (dek, pseudonyms): (&Dek, &PseudonymKey),
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let (reader, encoding) = crate::encoding::decode(reader, options.encoding)
        .map_err(|e| VaultError::io(Path::new("<input>"), e))?;
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(1 << 18)
        .from_reader(reader);
    check_header(&mut csv, schema, encoding)?;

    let enc = FileEncryptionProperties::builder(dek.bytes().to_vec())
        .with_aad_prefix(aad)
        .build()?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .with_file_encryption_properties(enc)
        .build();
    let arrow_schema: SchemaRef = schema.to_arrow();
    let file = fsutil::create_private(tmp_path)?;
    let sink = HashingFile {
        file,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let writer = ArrowWriter::try_new(sink, arrow_schema.clone(), Some(props))?;
    // Two stages on two threads: this one parses, checks and profiles;
    // the writer thread encodes, compresses and encrypts. A bounded
    // channel keeps at most two batches in flight (bounded memory).
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<RecordBatch>(2);
        let encoder = scope.spawn(move || -> Result<HashingFile, VaultError> {
            let mut writer = writer;
            for batch in received {
                writer.write(&batch)?;
            }
            Ok(writer.into_inner()?)
        });
        let parsed = parse_rows(
            &mut csv,
            (schema, &arrow_schema),
            options,
            encoding,
            pseudonyms,
            &batches,
        );
        drop(batches);
        let sink = encoder.join().map_err(|_| {
            VaultError::io(tmp_path, std::io::Error::other("encoder thread failed"))
        })?;
        // A parse error explains more than the writer's view of it.
        let (profile, rejected, bad_rows) = parsed?;
        let sink = sink?;
        sink.file
            .sync_all()
            .map_err(|e| VaultError::io(tmp_path, e))?;
        Ok(Written {
            rows: profile.rows,
            bytes: sink.bytes,
            sha256: hex::encode(sink.hasher.finalize().as_slice()),
            profile,
            rejected,
            bad_rows,
            encoding,
        })
    })
}

type Parsed = (QualityProfile, u64, Vec<BadRow>);

/// Parses every row into batches for `batches`, profiling as it goes.
fn parse_rows<R: Read>(
    csv: &mut csv::Reader<R>,
    (schema, arrow_schema): (&DatasetSchema, &SchemaRef),
    options: &LoadOptions,
    encoding: crate::Encoding,
    pseudonyms: &PseudonymKey,
    batches: &std::sync::mpsc::SyncSender<RecordBatch>,
) -> Result<Parsed, VaultError> {
    let mut pseudonyms = PseudonymCache::new(pseudonyms);
    let cols = schema.columns();
    let validators: Vec<_> = cols
        .iter()
        .map(|c| options.validators.get(&c.name))
        .collect();
    let references: Vec<_> = cols
        .iter()
        .map(|c| options.references.get(&c.name))
        .collect();
    let mut builders: Vec<ColBuilder> = cols.iter().map(|c| ColBuilder::new(c.ty)).collect();
    let mut profiler = Profiler::new(schema);
    let mut record = csv::StringRecord::new();
    let mut cells: Vec<Cell> = Vec::with_capacity(cols.len());
    let mut invalid: Vec<usize> = Vec::new();
    let mut rejected = 0u64;
    let mut bad_rows: Vec<BadRow> = Vec::new();
    let mut in_batch = 0usize;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(map_csv_error(e, schema, encoding)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        // Parse the whole row first, so a malformed row appends nothing.
        let parsed: Result<(), BadRow> = (|| {
            if record.len() != cols.len() {
                return Err(bad(
                    line,
                    0,
                    schema,
                    format!("本行有 {} 个字段，应为 {} 个", record.len(), cols.len()),
                ));
            }
            cells.clear();
            invalid.clear();
            for (i, (def, field)) in cols.iter().zip(record.iter()).enumerate() {
                let cell = parse_cell(def, field, &mut pseudonyms)
                    .map_err(|why| bad(line, i + 1, schema, why))?;
                if !matches!(cell, Cell::Null)
                    && let Some(Some(v)) = validators.get(i)
                    && !v(field)
                {
                    invalid.push(i);
                }
                cells.push(cell);
            }
            Ok(())
        })();
        if let Err(row) = parsed {
            rejected += 1;
            if options.max_bad_rows == 0 {
                return Err(row.into());
            }
            if bad_rows.len() < MAX_REPORTED_BAD_ROWS {
                bad_rows.push(row);
            }
            if rejected > options.max_bad_rows {
                return Err(VaultError::TooManyBadRows {
                    limit: options.max_bad_rows,
                    samples: bad_rows,
                });
            }
            continue;
        }
        for &i in &invalid {
            profiler.invalid(i, line);
        }
        for (i, ((cell, b), field)) in cells
            .iter()
            .zip(builders.iter_mut())
            .zip(record.iter())
            .enumerate()
        {
            let stored = match (cell, b) {
                (Cell::Null, b) => {
                    b.null();
                    profiler.null(i);
                    None
                }
                (Cell::Str, ColBuilder::Str(b)) => {
                    b.append_value(field);
                    profiler.string(i, field);
                    Some(field)
                }
                (Cell::Pseudo(p), ColBuilder::Str(b)) => {
                    b.append_value(p);
                    profiler.string(i, p);
                    Some(p.as_str())
                }
                (Cell::I64(v), ColBuilder::I64(b)) => {
                    b.append_value(*v);
                    profiler.int(i, *v);
                    None
                }
                (Cell::Date(days, d), ColBuilder::Date(b)) => {
                    b.append_value(*days);
                    profiler.date(i, *days, *d);
                    None
                }
                (Cell::Bool(v), ColBuilder::Bool(b)) => {
                    b.append_value(*v);
                    profiler.boolean(i, *v);
                    None
                }
                // The builder was made from the same column type.
                _ => {
                    return Err(VaultError::InvalidSchema(
                        "cell and column types differ".into(),
                    ));
                }
            };
            if let Some(Some(set)) = references.get(i) {
                let hit = match (stored, cell) {
                    (Some(s), _) => set.contains(s),
                    (None, Cell::Null) => true,
                    (None, _) => set.contains(field.trim()),
                };
                if !hit {
                    profiler.unmatched(i);
                }
            }
        }
        profiler.end_row();
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            flush_batch(batches, arrow_schema, &mut builders)?;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        flush_batch(batches, arrow_schema, &mut builders)?;
    }
    Ok((profiler.finish(), rejected, bad_rows))
}

fn check_header<R: Read>(
    csv: &mut csv::Reader<R>,
    schema: &DatasetSchema,
    encoding: crate::Encoding,
) -> Result<(), VaultError> {
    let header = csv
        .headers()
        .map_err(|e| map_csv_error(e, schema, encoding))?
        .clone();
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

fn flush_batch(
    batches: &std::sync::mpsc::SyncSender<RecordBatch>,
    schema: &SchemaRef,
    builders: &mut [ColBuilder],
) -> Result<(), VaultError> {
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColBuilder::finish).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    // A closed channel means the writer failed; its error is reported.
    let _ = batches.send(batch);
    Ok(())
}
