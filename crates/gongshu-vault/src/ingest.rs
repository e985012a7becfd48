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
use arrow::record_batch::RecordBatch;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::encryption::encrypt::FileEncryptionProperties;
use parquet::file::properties::WriterProperties;
use sha2::{Digest as _, Sha256};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Mutex, PoisonError};

use crate::chunks::{Chunk, Chunker};
use crate::rows::RowParser;

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
        .map_err(|e| read_error(e, options.encoding))?;
    let mut chunker = Chunker::new(reader, 1);
    let header = chunker.header().map_err(|e| read_error(e, encoding))?;
    check_header(&header, schema, encoding)?;

    let enc = FileEncryptionProperties::builder(dek.bytes().to_vec())
        .with_aad_prefix(aad)
        .build()?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .with_file_encryption_properties(enc)
        .build();
    let file = fsutil::create_private(tmp_path)?;
    let sink = HashingFile {
        file,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let writer = ArrowWriter::try_new(sink, schema.to_arrow(), Some(props))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    // The first chunk whose parse failed (u64::MAX: none). Chunks before
    // it are still parsed, so the earliest malformed row is the one reported.
    let abort = AtomicU64::new(u64::MAX);
    let (work, queue) = sync_channel::<Chunk>(workers * 2);
    let queue = Mutex::new(queue);
    // Stages: this thread reads and splits the input into chunks of whole
    // records; `workers` threads parse, check and profile them; one thread
    // encodes, compresses and encrypts the batches in input order. Bounded
    // channels keep memory bounded whatever the input size.
    std::thread::scope(|scope| {
        let (batches, received) = sync_channel::<(u64, Vec<RecordBatch>)>(workers * 2);
        let encoder = scope.spawn(move || encode_in_order(writer, &received));
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (batches, queue, abort) = (batches.clone(), &queue, &abort);
            handles.push(scope.spawn(move || {
                parse_worker(
                    schema, options, encoding, pseudonyms, queue, &batches, abort,
                )
            }));
        }
        drop(batches);
        let mut read_failure = None;
        while abort.load(Ordering::Relaxed) == u64::MAX {
            match chunker.next_chunk() {
                Ok(Some(chunk)) => {
                    if work.send(chunk).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    abort.store(0, Ordering::Relaxed);
                    read_failure = Some(read_error(e, encoding));
                    break;
                }
            }
        }
        drop(work);
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(thread_failed(tmp_path))))
            .collect();
        let sink = encoder
            .join()
            .unwrap_or_else(|_| Err(thread_failed(tmp_path)));
        if let Some(e) = read_failure {
            return Err(e);
        }
        let (profile, rejected, bad_rows) = merge_workers(results, options.max_bad_rows)?;
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

fn thread_failed(path: &Path) -> VaultError {
    VaultError::io(path, std::io::Error::other("an ingestion thread failed"))
}

/// An input read error: malformed GB18030 names its byte offset.
fn read_error(e: std::io::Error, encoding: crate::Encoding) -> VaultError {
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

/// Writes batches in chunk order, whatever order the workers finish in.
fn encode_in_order(
    mut writer: ArrowWriter<HashingFile>,
    received: &Receiver<(u64, Vec<RecordBatch>)>,
) -> Result<HashingFile, VaultError> {
    let mut waiting: BTreeMap<u64, Vec<RecordBatch>> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, batches) in received {
        waiting.insert(seq, batches);
        while let Some(ready) = waiting.remove(&next) {
            for batch in &ready {
                writer.write(batch)?;
            }
            next += 1;
        }
    }
    Ok(writer.into_inner()?)
}

type WorkerResult = Result<(Profiler, u64, Vec<BadRow>), VaultError>;

fn parse_worker(
    schema: &DatasetSchema,
    options: &LoadOptions,
    encoding: crate::Encoding,
    pseudonyms: &PseudonymKey,
    queue: &Mutex<Receiver<Chunk>>,
    batches: &SyncSender<(u64, Vec<RecordBatch>)>,
    abort: &AtomicU64,
) -> WorkerResult {
    let mut parser = RowParser::new(schema, options, encoding, pseudonyms);
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(chunk) = next else { break };
        if chunk.seq > abort.load(Ordering::Relaxed) {
            continue; // after the failure: not needed
        }
        match parser.parse_chunk(&chunk) {
            Ok(out) => {
                if batches.send((chunk.seq, out)).is_err() {
                    break; // the encoder failed; its error is reported
                }
            }
            Err(e) => {
                abort.fetch_min(chunk.seq, Ordering::Relaxed);
                return Err(e);
            }
        }
        if options.max_bad_rows > 0 && parser.rejected > options.max_bad_rows {
            abort.fetch_min(chunk.seq, Ordering::Relaxed);
        }
    }
    Ok(parser.finish())
}

/// Joins the workers' results: the earliest row error wins; otherwise the
/// bad-row limit applies to the total, and the profiles merge.
fn merge_workers(results: Vec<WorkerResult>, limit: u64) -> Result<Parsed, VaultError> {
    let mut row_error: Option<VaultError> = None;
    let mut oks = Vec::new();
    for r in results {
        match r {
            Ok(ok) => oks.push(ok),
            Err(e @ VaultError::Csv { .. }) => {
                let line = |e: &VaultError| match e {
                    VaultError::Csv { line, .. } => *line,
                    _ => u64::MAX,
                };
                if row_error.as_ref().is_none_or(|old| line(&e) < line(old)) {
                    row_error = Some(e);
                }
            }
            Err(other) => return Err(other),
        }
    }
    if let Some(e) = row_error {
        return Err(e);
    }
    let mut rejected = 0u64;
    let mut bad_rows = Vec::new();
    let mut merged: Option<Profiler> = None;
    for (profiler, n, rows) in oks {
        rejected += n;
        bad_rows.extend(rows);
        match &mut merged {
            Some(m) => m.merge(profiler),
            None => merged = Some(profiler),
        }
    }
    bad_rows.sort_by_key(|b| b.line);
    bad_rows.truncate(MAX_REPORTED_BAD_ROWS);
    if limit > 0 && rejected > limit {
        return Err(VaultError::TooManyBadRows {
            limit,
            samples: bad_rows,
        });
    }
    let profile = merged
        .ok_or_else(|| VaultError::InvalidSchema("no parse worker ran".into()))?
        .finish();
    Ok((profile, rejected, bad_rows))
}

type Parsed = (QualityProfile, u64, Vec<BadRow>);

fn check_header(
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
