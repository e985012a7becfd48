//! One parse worker: turns chunks of CSV records into Arrow batches,
//! checking types, pseudonymising direct identifiers, counting validity
//! and consistency, and profiling. Several workers run on one load.

use std::collections::HashSet;

use arrow::array::ArrayRef;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::VaultError;
use crate::chunks::Chunk;
use crate::ingest::{
    BATCH_ROWS, BadRow, Cell, ColBuilder, LoadOptions, MAX_REPORTED_BAD_ROWS, bad, map_csv_error,
    parse_cell,
};
use crate::pseudonym::{PseudonymCache, PseudonymKey};
use crate::quality::{Profiler, Validator};
use crate::schema::DatasetSchema;

/// A column's previous non-empty field and its outcomes.
struct Last {
    raw: String,
    cell: Option<Cell>,
    invalid: bool,
    unmatched: bool,
    pseudonym: String,
}

/// A parse worker's state across the chunks it handles.
pub(crate) struct RowParser<'a> {
    schema: &'a DatasetSchema,
    arrow_schema: SchemaRef,
    options: &'a LoadOptions,
    encoding: crate::Encoding,
    validators: Vec<Option<&'a Validator>>,
    references: Vec<Option<&'a HashSet<String>>>,
    pseudonyms: PseudonymCache<'a>,
    builders: Vec<ColBuilder>,
    profiler: Profiler,
    /// Per column: the previous row's raw field and what it parsed to.
    /// Rows of one entity often repeat a field (the same person, month,
    /// township); a repeat skips parsing, pseudonymising, validating,
    /// hashing and the reference lookup, which give the same answers.
    last: Vec<Last>,
    /// Malformed rows skipped so far.
    pub(crate) rejected: u64,
    /// The first malformed rows skipped.
    pub(crate) bad_rows: Vec<BadRow>,
}

impl<'a> RowParser<'a> {
    pub(crate) fn new(
        schema: &'a DatasetSchema,
        options: &'a LoadOptions,
        encoding: crate::Encoding,
        pseudonyms: &'a PseudonymKey,
    ) -> Self {
        let cols = schema.columns();
        Self {
            schema,
            arrow_schema: schema.to_arrow(),
            options,
            encoding,
            validators: cols
                .iter()
                .map(|c| options.validators.get(&c.name))
                .collect(),
            references: cols
                .iter()
                .map(|c| options.references.get(&c.name))
                .collect(),
            pseudonyms: PseudonymCache::new(pseudonyms),
            builders: cols.iter().map(|c| ColBuilder::new(c.ty)).collect(),
            profiler: Profiler::new(schema),
            last: cols
                .iter()
                .map(|_| Last {
                    raw: String::new(),
                    cell: None,
                    invalid: false,
                    unmatched: false,
                    pseudonym: String::new(),
                })
                .collect(),
            rejected: 0,
            bad_rows: Vec::new(),
        }
    }

    /// The worker's profile and malformed rows.
    pub(crate) fn finish(self) -> (Profiler, u64, Vec<BadRow>) {
        (self.profiler, self.rejected, self.bad_rows)
    }

    fn flush(&mut self, out: &mut Vec<RecordBatch>) -> Result<(), VaultError> {
        let arrays: Vec<ArrayRef> = self.builders.iter_mut().map(ColBuilder::finish).collect();
        out.push(RecordBatch::try_new(self.arrow_schema.clone(), arrays)?);
        Ok(())
    }

    /// Parses one chunk into batches. With a bad-row limit of 0 the first
    /// malformed row is the error; otherwise malformed rows are counted and
    /// skipped (the caller enforces the limit across workers).
    pub(crate) fn parse_chunk(&mut self, chunk: &Chunk) -> Result<Vec<RecordBatch>, VaultError> {
        let schema = self.schema;
        let cols = schema.columns();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(chunk.bytes.as_slice());
        let mut record = csv::StringRecord::new();
        let mut cells: Vec<Cell> = Vec::with_capacity(cols.len());
        let mut repeats: Vec<bool> = Vec::with_capacity(cols.len());
        let mut out = Vec::new();
        let mut in_batch = 0usize;
        loop {
            match csv.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(map_csv_error(e, schema, self.encoding, chunk.first_line)),
            }
            let line = chunk.first_line + record.position().map_or(1, csv::Position::line) - 1;
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
                repeats.clear();
                for (i, ((def, field), last)) in cols
                    .iter()
                    .zip(record.iter())
                    .zip(self.last.iter_mut())
                    .enumerate()
                {
                    if !field.is_empty()
                        && let Some(cell) = last.cell
                        && last.raw == field
                    {
                        cells.push(cell);
                        repeats.push(true);
                        continue;
                    }
                    last.cell = None;
                    let cell = parse_cell(def, field, &mut self.pseudonyms, &mut last.pseudonym)
                        .map_err(|why| bad(line, i + 1, schema, why))?;
                    last.invalid = !matches!(cell, Cell::Null)
                        && self
                            .validators
                            .get(i)
                            .is_some_and(|v| v.is_some_and(|v| !v(field)));
                    last.unmatched = false;
                    if !matches!(cell, Cell::Null) {
                        last.raw.clear();
                        last.raw.push_str(field);
                        last.cell = Some(cell);
                    }
                    cells.push(cell);
                    repeats.push(false);
                }
                Ok(())
            })();
            if let Err(row) = parsed {
                self.rejected += 1;
                if self.options.max_bad_rows == 0 {
                    return Err(row.into());
                }
                if self.bad_rows.len() < MAX_REPORTED_BAD_ROWS {
                    self.bad_rows.push(row);
                }
                continue;
            }
            for (i, last) in self.last.iter().enumerate() {
                if last.invalid && !matches!(cells.get(i), Some(Cell::Null)) {
                    self.profiler.invalid(i, line);
                }
            }
            self.append_row(&cells, &repeats, &record)?;
            in_batch += 1;
            if in_batch == BATCH_ROWS {
                self.flush(&mut out)?;
                in_batch = 0;
            }
        }
        if in_batch > 0 {
            self.flush(&mut out)?;
        }
        Ok(out)
    }

    fn append_row(
        &mut self,
        cells: &[Cell],
        repeats: &[bool],
        record: &csv::StringRecord,
    ) -> Result<(), VaultError> {
        let profiler = &mut self.profiler;
        for (i, (((cell, b), field), last)) in cells
            .iter()
            .zip(self.builders.iter_mut())
            .zip(record.iter())
            .zip(self.last.iter_mut())
            .enumerate()
        {
            if repeats.get(i) == Some(&true) {
                // Same value as the row before: distinct counts and
                // extremes cannot change; only append and repeat findings.
                match (cell, b) {
                    (Cell::Str, ColBuilder::Str(b)) => b.append_value(field),
                    (Cell::Pseudo, ColBuilder::Str(b)) => b.append_value(&last.pseudonym),
                    (Cell::I64(v), ColBuilder::I64(b)) => b.append_value(*v),
                    (Cell::Date(days, _), ColBuilder::Date(b)) => b.append_value(*days),
                    (Cell::Bool(v), ColBuilder::Bool(b)) => b.append_value(*v),
                    _ => {
                        return Err(VaultError::InvalidSchema(
                            "cell and column types differ".into(),
                        ));
                    }
                }
                if last.unmatched {
                    profiler.unmatched(i);
                }
                continue;
            }
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
                (Cell::Pseudo, ColBuilder::Str(b)) => {
                    b.append_value(&last.pseudonym);
                    profiler.string(i, &last.pseudonym);
                    Some(last.pseudonym.as_str())
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
            if let Some(Some(set)) = self.references.get(i) {
                let hit = match (stored, cell) {
                    (Some(s), _) => set.contains(s),
                    (None, Cell::Null) => true,
                    (None, _) => set.contains(field.trim()),
                };
                if !hit {
                    profiler.unmatched(i);
                }
                last.unmatched = !hit;
            }
        }
        profiler.end_row();
        Ok(())
    }
}
