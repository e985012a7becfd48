//! Quality profiles (S-6.4): completeness, validity, and the figures for
//! consistency and timeliness checks, computed exactly while ingesting.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasher as _;

use crate::distinct::Distinct;

/// Fixed-seed, well-mixed 64-bit hashing of values for the distinct
/// counts (SipHash, the std default, was a third of the ingestion time;
/// DoS resistance does not matter for counting one's own input).
fn hash<T: std::hash::Hash + ?Sized>(v: &T) -> u64 {
    foldhash::quality::FixedState::with_seed(0x9e37_79b9_7f4a_7c15).hash_one(v)
}

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::schema::DatasetSchema;

/// An exact ratio of two integers (no floats in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ratio {
    /// Numerator.
    pub numerator: u64,
    /// Denominator (0 only for an empty dataset).
    pub denominator: u64,
}

/// The smallest or largest value of a number or date column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Extreme {
    /// Of an `Int64` column.
    Int(i64),
    /// Of a `Date` column.
    Date(NaiveDate),
}

/// The profile of one column in one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnProfile {
    /// Column name.
    pub name: String,
    /// Rows where the field was empty (NULL).
    pub null_count: u64,
    /// Distinct non-null values, counted by 64-bit hash (no raw values in
    /// memory): exact up to 65 536, a HyperLogLog estimate (≈ 0.8 %
    /// standard error) beyond, so memory stays bounded at any size.
    pub distinct_count: u64,
    /// Minimum (number and date columns).
    pub min: Option<Extreme>,
    /// Maximum (number and date columns).
    pub max: Option<Extreme>,
    /// Non-null values the caller's validator rejected (0 without a validator).
    pub invalid_count: u64,
    /// Input line numbers of the first few rejected values (never the values).
    pub invalid_lines: Vec<u64>,
    /// Non-null values missing from the caller's reference set (consistency).
    #[serde(default)]
    pub unmatched_count: u64,
}

/// The quality profile of one version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityProfile {
    /// Rows in the version.
    pub rows: u64,
    /// One profile per schema column, in order.
    pub columns: Vec<ColumnProfile>,
    /// Non-null cells over all cells (rows x columns).
    pub completeness: Ratio,
    /// Rows without any validator failure, over all rows.
    pub validity: Ratio,
}

/// A per-column validator: gets the raw non-empty CSV text, returns whether it is valid.
pub type Validator = Box<dyn Fn(&str) -> bool + Send + Sync>;

/// Per-column validators the caller passes to ingestion (e.g. a GB 11643
/// check digit for an ID-number column: [`gb11643_valid`]).
#[derive(Default)]
pub struct Validators {
    by_column: HashMap<String, Validator>,
}

impl fmt::Debug for Validators {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_column.keys()).finish()
    }
}

impl Validators {
    /// No validators.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the validator of `column`.
    #[must_use]
    pub fn with(
        mut self,
        column: impl Into<String>,
        f: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.by_column.insert(column.into(), Box::new(f));
        self
    }

    pub(crate) fn get(&self, column: &str) -> Option<&Validator> {
        self.by_column.get(column)
    }
}

/// GB 11643-1999 citizen ID number check: 18 characters, 17 digits and an
/// ISO 7064 MOD 11-2 check character (`0`-`9` or `X`).
pub fn gb11643_valid(id: &str) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const C: &[u8; 11] = b"10X98765432";
    let b = id.as_bytes();
    if b.len() != 18 {
        return false;
    }
    let mut sum = 0u32;
    for (i, w) in W.iter().enumerate() {
        match b.get(i) {
            Some(d) if d.is_ascii_digit() => sum += u32::from(d - b'0') * w,
            _ => return false,
        }
    }
    let expect = C.get((sum % 11) as usize).copied();
    let last = b.get(17).map(u8::to_ascii_uppercase);
    expect.is_some() && expect == last
}

const MAX_INVALID_LINES: usize = 10;

struct ColumnAcc {
    profile: ColumnProfile,
    distinct: Distinct,
}

/// Accumulates a [`QualityProfile`] row by row during ingestion.
pub(crate) struct Profiler {
    rows: u64,
    invalid_rows: u64,
    row_invalid: bool,
    cols: Vec<ColumnAcc>,
}

impl Profiler {
    pub(crate) fn new(schema: &DatasetSchema) -> Self {
        let cols = schema
            .columns()
            .iter()
            .map(|c| ColumnAcc {
                profile: ColumnProfile {
                    name: c.name.clone(),
                    null_count: 0,
                    distinct_count: 0,
                    min: None,
                    max: None,
                    invalid_count: 0,
                    invalid_lines: Vec::new(),
                    unmatched_count: 0,
                },
                distinct: Distinct::new(),
            })
            .collect();
        Self {
            rows: 0,
            invalid_rows: 0,
            row_invalid: false,
            cols,
        }
    }

    pub(crate) fn end_row(&mut self) {
        self.rows += 1;
        if self.row_invalid {
            self.invalid_rows += 1;
        }
        self.row_invalid = false;
    }

    fn col(&mut self, i: usize) -> Option<&mut ColumnAcc> {
        self.cols.get_mut(i)
    }

    pub(crate) fn null(&mut self, i: usize) {
        if let Some(c) = self.col(i) {
            c.profile.null_count += 1;
        }
    }

    pub(crate) fn invalid(&mut self, i: usize, line: u64) {
        self.row_invalid = true;
        if let Some(c) = self.col(i) {
            c.profile.invalid_count += 1;
            if c.profile.invalid_lines.len() < MAX_INVALID_LINES {
                c.profile.invalid_lines.push(line);
            }
        }
    }

    pub(crate) fn unmatched(&mut self, i: usize) {
        if let Some(c) = self.col(i) {
            c.profile.unmatched_count += 1;
        }
    }

    fn extreme(p: &mut ColumnProfile, v: Extreme) {
        if p.min.is_none_or(|m| v < m) {
            p.min = Some(v);
        }
        if p.max.is_none_or(|m| v > m) {
            p.max = Some(v);
        }
    }

    pub(crate) fn int(&mut self, i: usize, v: i64) {
        if let Some(c) = self.col(i) {
            c.distinct.insert(hash(&v));
            Self::extreme(&mut c.profile, Extreme::Int(v));
        }
    }

    pub(crate) fn date(&mut self, i: usize, days: i32, d: NaiveDate) {
        if let Some(c) = self.col(i) {
            c.distinct.insert(hash(&days));
            Self::extreme(&mut c.profile, Extreme::Date(d));
        }
    }

    pub(crate) fn boolean(&mut self, i: usize, v: bool) {
        if let Some(c) = self.col(i) {
            c.distinct.insert(hash(&v));
        }
    }

    pub(crate) fn string(&mut self, i: usize, v: &str) {
        if let Some(c) = self.col(i) {
            c.distinct.insert(hash(v));
        }
    }

    /// Adds another worker's profile of other rows of the same load.
    pub(crate) fn merge(&mut self, other: Self) {
        self.rows += other.rows;
        self.invalid_rows += other.invalid_rows;
        for (mine, theirs) in self.cols.iter_mut().zip(other.cols) {
            let (p, q) = (&mut mine.profile, theirs.profile);
            p.null_count += q.null_count;
            p.invalid_count += q.invalid_count;
            p.unmatched_count += q.unmatched_count;
            for v in [q.min, q.max].into_iter().flatten() {
                Self::extreme(p, v);
            }
            p.invalid_lines.extend(q.invalid_lines);
            p.invalid_lines.sort_unstable();
            p.invalid_lines.truncate(MAX_INVALID_LINES);
            mine.distinct.merge(theirs.distinct);
        }
    }

    pub(crate) fn finish(self) -> QualityProfile {
        let ncols = self.cols.len() as u64;
        let cells = self.rows.saturating_mul(ncols);
        let mut nulls = 0u64;
        let columns = self
            .cols
            .into_iter()
            .map(|mut c| {
                nulls += c.profile.null_count;
                c.profile.distinct_count = c.distinct.count();
                c.profile
            })
            .collect();
        QualityProfile {
            rows: self.rows,
            columns,
            completeness: Ratio {
                numerator: cells.saturating_sub(nulls),
                denominator: cells,
            },
            validity: Ratio {
                numerator: self.rows.saturating_sub(self.invalid_rows),
                denominator: self.rows,
            },
        }
    }
}
