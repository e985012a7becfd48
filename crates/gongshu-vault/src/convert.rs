//! Parquet → CSV text, for sources that export Parquet: the platform has
//! one ingestion path (CSV), and the client (or the server, from memory)
//! converts Parquet into it batch by batch. Values are printed the way the
//! loader parses them (dates `YYYY-MM-DD`, booleans `true`/`false`, NULL as
//! an empty field).

use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;

use crate::VaultError;

fn csv_error(e: impl std::fmt::Display) -> VaultError {
    VaultError::Metadata {
        path: "<parquet input>".into(),
        reason: e.to_string(),
    }
}

/// Converts a plaintext Parquet input to CSV with a header row, handing
/// the text to `sink` one batch at a time with the rows converted so far;
/// `sink` returns `false` to stop early. Returns the rows converted.
///
/// # Errors
/// [`VaultError::Parquet`] for an unreadable file, [`VaultError::Arrow`] for
/// a column type that cannot be printed.
pub fn parquet_to_csv<R: ChunkReader + 'static>(
    input: R,
    mut sink: impl FnMut(Vec<u8>, u64) -> bool,
) -> Result<u64, VaultError> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(input)?
        .with_batch_size(8192)
        .build()?;
    let schema = arrow::record_batch::RecordBatchReader::schema(&reader);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(schema.fields().iter().map(|f| f.name()))
        .map_err(csv_error)?;
    let options = FormatOptions::default().with_null("");
    let mut rows = 0u64;
    let mut fields: Vec<String> = Vec::new();
    for batch in reader {
        let batch = batch?;
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            fields.clear();
            fields.extend(formatters.iter().map(|f| f.value(row).to_string()));
            out.write_record(&fields).map_err(csv_error)?;
        }
        rows += batch.num_rows() as u64;
        let text = std::mem::replace(&mut out, csv::Writer::from_writer(Vec::new()))
            .into_inner()
            .map_err(csv_error)?;
        if !sink(text, rows) {
            return Ok(rows);
        }
    }
    let rest = out.into_inner().map_err(csv_error)?;
    if !rest.is_empty() {
        sink(rest, rows);
    }
    Ok(rows)
}
