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

use crate::keys::Dek;
use crate::quality::{Profiler, QualityProfile, Validators};
use crate::schema::{ColumnType, DatasetSchema};
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

fn parse_bool(s: &str) -> Option<bool> {
    if s == "1" || s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s == "0" || s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// What a written version file amounts to.
pub(crate) struct Written {
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
    pub(crate) sha256: String,
    pub(crate) profile: QualityProfile,
}

fn csv_err(
    line: u64,
    column: usize,
    schema: &DatasetSchema,
    reason: impl Into<String>,
) -> VaultError {
    let column_name = column
        .checked_sub(1)
        .and_then(|i| schema.columns().get(i))
        .map(|c| c.name.clone())
        .unwrap_or_default();
    VaultError::Csv {
        line,
        column,
        column_name,
        reason: reason.into(),
    }
}

fn map_csv_error(e: &csv::Error, schema: &DatasetSchema) -> VaultError {
    match e.kind() {
        csv::ErrorKind::Utf8 { pos, err } => csv_err(
            pos.as_ref().map_or(0, csv::Position::line),
            err.field() + 1,
            schema,
            "not valid UTF-8 (convert GB18030/GBK input to UTF-8 first)",
        ),
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
            ..
        } => {
            let col = usize::try_from(*len.min(expected_len)).unwrap_or(0) + 1;
            csv_err(
                pos.as_ref().map_or(0, csv::Position::line),
                col,
                schema,
                format!("row has {len} fields, expected {expected_len}"),
            )
        }
        _ => csv_err(0, 0, schema, e.to_string()),
    }
}

/// Streams `reader` (CSV with a header row equal to the schema's names)
/// into an encrypted Parquet file at `tmp_path`, synced to disk. On error
/// the temporary file is removed.
pub(crate) fn write_version<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    validators: &Validators,
    dek: &Dek,
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let result = write_inner(tmp_path, reader, schema, validators, dek, aad);
    if result.is_err() {
        let _ = std::fs::remove_file(tmp_path);
    }
    result
}

fn write_inner<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    validators: &Validators,
    dek: &Dek,
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(reader);
    check_header(&mut csv, schema)?;

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
    let mut writer = ArrowWriter::try_new(sink, arrow_schema.clone(), Some(props))?;

    let cols = schema.columns();
    let mut builders: Vec<ColBuilder> = cols.iter().map(|c| ColBuilder::new(c.ty)).collect();
    let mut profiler = Profiler::new(schema);
    let mut record = csv::StringRecord::new();
    let mut in_batch = 0usize;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(map_csv_error(&e, schema)),
        }
        let line = record.position().map_or(0, csv::Position::line);
        for (i, ((def, b), field)) in cols
            .iter()
            .zip(builders.iter_mut())
            .zip(record.iter())
            .enumerate()
        {
            let col = i + 1;
            if field.is_empty() {
                if !def.nullable {
                    return Err(csv_err(
                        line,
                        col,
                        schema,
                        "empty value in a required column",
                    ));
                }
                b.null();
                profiler.null(i);
                continue;
            }
            if let Some(v) = validators.get(&def.name)
                && !v(field)
            {
                profiler.invalid(i, line);
            }
            match b {
                ColBuilder::Str(b) => {
                    b.append_value(field);
                    profiler.string(i, field);
                }
                ColBuilder::I64(b) => {
                    let v: i64 = field
                        .trim()
                        .parse()
                        .map_err(|_| csv_err(line, col, schema, "not a 64-bit integer"))?;
                    b.append_value(v);
                    profiler.int(i, v);
                }
                ColBuilder::Date(b) => {
                    let d = NaiveDate::parse_from_str(field.trim(), "%Y-%m-%d")
                        .map_err(|_| csv_err(line, col, schema, "not a date (YYYY-MM-DD)"))?;
                    let days = epoch_days(d)
                        .ok_or_else(|| csv_err(line, col, schema, "date out of range"))?;
                    b.append_value(days);
                    profiler.date(i, days, d);
                }
                ColBuilder::Bool(b) => {
                    let v = parse_bool(field.trim()).ok_or_else(|| {
                        csv_err(line, col, schema, "not a boolean (true/false/1/0)")
                    })?;
                    b.append_value(v);
                    profiler.boolean(i, v);
                }
            }
        }
        profiler.end_row();
        in_batch += 1;
        if in_batch == BATCH_ROWS {
            flush_batch(&mut writer, &arrow_schema, &mut builders)?;
            in_batch = 0;
        }
    }
    if in_batch > 0 {
        flush_batch(&mut writer, &arrow_schema, &mut builders)?;
    }
    let sink = writer.into_inner()?;
    sink.file
        .sync_all()
        .map_err(|e| VaultError::io(tmp_path, e))?;
    let profile = profiler.finish();
    Ok(Written {
        rows: profile.rows,
        bytes: sink.bytes,
        sha256: hex::encode(sink.hasher.finalize().as_slice()),
        profile,
    })
}

fn check_header<R: Read>(
    csv: &mut csv::Reader<R>,
    schema: &DatasetSchema,
) -> Result<(), VaultError> {
    let header = csv
        .headers()
        .map_err(|e| map_csv_error(&e, schema))?
        .clone();
    let cols = schema.columns();
    if header.len() != cols.len() {
        return Err(csv_err(
            1,
            header.len().min(cols.len()) + 1,
            schema,
            format!(
                "header has {} fields, schema has {}",
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
                format!(
                    "header field {h:?} does not match schema column {:?}",
                    c.name
                ),
            ));
        }
    }
    Ok(())
}

fn flush_batch(
    writer: &mut ArrowWriter<HashingFile>,
    schema: &SchemaRef,
    builders: &mut [ColBuilder],
) -> Result<(), VaultError> {
    let arrays: Vec<ArrayRef> = builders.iter_mut().map(ColBuilder::finish).collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays)?;
    writer.write(&batch)?;
    Ok(())
}
