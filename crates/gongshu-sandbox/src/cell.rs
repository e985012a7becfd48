//! The hidden aggregate the guard adds to the protected aggregate: per
//! group, the set of person keys and, per person, the absolute sums of up to
//! [`MAX_MAGNITUDES`] sensitive magnitudes. One hash lookup per row serves
//! the threshold (R4.1: persons = keys), dominance and p-ratio (R4.2: the
//! two largest per-person sums) and the difference check (R4.6: the keys).
//! Ours because no engine aggregate gives per-person top contributors; it
//! is added after the checks, so no query can call it.
//!
//! A person key is the first 64 bits of the keyed pseudonym (`p_` + hex of
//! an HMAC), itself keyed; other values are hashed with SHA-256.
//!
//! Output per group, a `List<UInt64>`: `[k, (total, top1, top2) × k,
//! sorted keys…]`. The DP variant (`udaf(true)`) keeps signed sums and row
//! counts per person and emits them all, `[k, n, sorted keys…, (rows,
//! sum × k) × n]`, so the DP release can bound each person's contribution.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, UInt64Array,
};
use datafusion::arrow::buffer::OffsetBuffer;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type, UInt64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, EmitTo, GroupsAccumulator, Signature, Volatility,
};
use sha2::{Digest as _, Sha256};

/// Magnitudes one query may release (the per-person sums are kept inline).
pub(crate) const MAX_MAGNITUDES: usize = 4;

/// Per person: the magnitude sums, then (at [`ROWS`]) the row count.
type Sums = [u64; MAX_MAGNITUDES + 1];
const ROWS: usize = MAX_MAGNITUDES;

/// Person keys are already uniformly distributed (HMAC or SHA-256 bits), so
/// hashing them again would only cost time: the key is its own hash. Ours
/// because the standard library has no identity hasher.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type KeyMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Debug, PartialEq, Eq, Hash)]
struct CellFn {
    signature: Signature,
    /// DP variant: signed sums, per-person output.
    signed: bool,
}

/// The aggregate, called as `udaf(dp).call(vec![person, magnitude…])`.
pub(crate) fn udaf(dp: bool) -> AggregateUDF {
    AggregateUDF::new_from_impl(CellFn {
        signature: Signature::variadic_any(Volatility::Immutable),
        signed: dp,
    })
}

fn list_of(dt: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", dt, true)))
}

/// The 64-bit key of a person value.
pub(crate) fn key(value: &str) -> u64 {
    if let Some(hex) = value.strip_prefix("p_").and_then(|h| h.get(..16))
        && let Ok(k) = u64::from_str_radix(hex, 16)
    {
        return k;
    }
    let d = Sha256::digest(value.as_bytes());
    let mut b = [0u8; 8];
    if let Some(head) = d.as_slice().get(..8) {
        b.copy_from_slice(head);
    }
    u64::from_be_bytes(b)
}

pub(crate) fn keys_of(a: &ArrayRef) -> Result<Vec<Option<u64>>> {
    Ok(match a.data_type() {
        DataType::Utf8View => a.as_string_view().iter().map(|v| v.map(key)).collect(),
        DataType::Utf8 => a.as_string::<i32>().iter().map(|v| v.map(key)).collect(),
        DataType::LargeUtf8 => a.as_string::<i64>().iter().map(|v| v.map(key)).collect(),
        _ => {
            let c = cast(a, &DataType::Utf8)?;
            c.as_string::<i32>().iter().map(|v| v.map(key)).collect()
        }
    })
}

fn ints_of(a: &ArrayRef) -> Result<Int64Array> {
    if a.data_type() == &DataType::Int64 {
        return Ok(a.as_primitive::<Int64Type>().clone());
    }
    Ok(cast(a, &DataType::Int64)?
        .as_primitive::<Int64Type>()
        .clone())
}

impl AggregateUDFImpl for CellFn {
    fn name(&self) -> &str {
        if self.signed {
            "__gs_dpcell"
        } else {
            "__gs_cell"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::UInt64))
    }

    fn accumulator(&self, args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::new(One {
            k: args.exprs.len().saturating_sub(1),
            signed: self.signed,
            cell: Cell::default(),
        }))
    }

    fn state_fields(&self, _args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new("keys", list_of(DataType::UInt64), true)),
            Arc::new(Field::new("sums", list_of(DataType::UInt64), true)),
        ])
    }

    fn groups_accumulator_supported(&self, _args: AccumulatorArgs<'_>) -> bool {
        true
    }

    fn create_groups_accumulator(
        &self,
        args: AccumulatorArgs<'_>,
    ) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(Groups {
            k: args.exprs.len().saturating_sub(1),
            signed: self.signed,
            cells: Vec::new(),
        }))
    }
}

/// One group's state.
#[derive(Debug, Default)]
struct Cell {
    persons: KeyMap<Sums>,
}

impl Cell {
    /// Adds `rows` rows of `person` with magnitude sums `values`; signed
    /// sums are i64 bit patterns.
    fn add(&mut self, person: u64, values: &[u64], rows: u64, k: usize, signed: bool) {
        let sums = self
            .persons
            .entry(person)
            .or_insert([0; MAX_MAGNITUDES + 1]);
        for (s, v) in sums.iter_mut().zip(values).take(k) {
            *s = if signed {
                s.cast_signed()
                    .saturating_add(v.cast_signed())
                    .cast_unsigned()
            } else {
                s.saturating_add(*v)
            };
        }
        sums[ROWS] = sums[ROWS].saturating_add(rows);
    }

    /// The DP output: `[k, n, sorted keys…, (rows, sum × k) × n]`.
    fn dp_output(&self, k: usize) -> Vec<u64> {
        let mut people: Vec<(&u64, &Sums)> = self.persons.iter().collect();
        people.sort_unstable_by_key(|(p, _)| **p);
        let mut out = Vec::with_capacity(2 + people.len() * (k + 2));
        out.extend([k as u64, people.len() as u64]);
        out.extend(people.iter().map(|(p, _)| **p));
        for (_, s) in &people {
            out.push(s[ROWS]);
            out.extend(s.iter().take(k));
        }
        out
    }

    /// `[k, (total, top1, top2) × k, sorted keys…]`.
    fn output(&self, k: usize) -> Vec<u64> {
        let mut out = Vec::with_capacity(1 + 3 * k + self.persons.len());
        out.push(k as u64);
        for m in 0..k {
            let (mut total, mut top1, mut top2) = (0u64, 0u64, 0u64);
            for sums in self.persons.values() {
                let v = sums.get(m).copied().unwrap_or(0);
                total = total.saturating_add(v);
                if v > top1 {
                    top2 = top1;
                    top1 = v;
                } else if v > top2 {
                    top2 = v;
                }
            }
            out.extend([total, top1, top2]);
        }
        let mut keys: Vec<u64> = self.persons.keys().copied().collect();
        keys.sort_unstable();
        out.extend(keys);
        out
    }

    /// Keys and flattened sums (k, then the rows, per key), for the
    /// partial state.
    fn state(&self, k: usize) -> (Vec<u64>, Vec<u64>) {
        let mut keys = Vec::with_capacity(self.persons.len());
        let mut sums = Vec::with_capacity(self.persons.len() * (k + 1));
        for (p, s) in &self.persons {
            keys.push(*p);
            sums.extend(s.iter().take(k));
            sums.push(s[ROWS]);
        }
        (keys, sums)
    }
}

fn list(rows: impl IntoIterator<Item = Vec<u64>>) -> ArrayRef {
    let rows: Vec<Vec<u64>> = rows.into_iter().collect();
    let offsets = OffsetBuffer::from_lengths(rows.iter().map(Vec::len));
    let values = UInt64Array::from(rows.into_iter().flatten().collect::<Vec<u64>>());
    Arc::new(ListArray::new(
        Arc::new(Field::new("item", DataType::UInt64, true)),
        offsets,
        Arc::new(values),
        None,
    ))
}

/// The per-row inputs: person keys and absolute magnitudes.
struct Rows {
    persons: Vec<Option<u64>>,
    magnitudes: Vec<Int64Array>,
    signed: bool,
}

fn rows(values: &[ArrayRef], k: usize, signed: bool) -> Result<Rows> {
    let Some(p) = values.first() else {
        return Err(DataFusionError::Internal(
            "__gs_cell needs a person column".into(),
        ));
    };
    let magnitudes = values
        .iter()
        .skip(1)
        .take(k.min(MAX_MAGNITUDES))
        .map(ints_of)
        .collect::<Result<_>>()?;
    Ok(Rows {
        persons: keys_of(p)?,
        magnitudes,
        signed,
    })
}

impl Rows {
    fn row(&self, i: usize, buf: &mut [u64; MAX_MAGNITUDES]) -> Option<u64> {
        let person = self.persons.get(i).copied().flatten()?;
        for (slot, m) in buf.iter_mut().zip(&self.magnitudes) {
            *slot = match (m.is_valid(i), self.signed) {
                (false, _) => 0,
                (true, true) => m.value(i).cast_unsigned(),
                (true, false) => m.value(i).unsigned_abs(),
            };
        }
        Some(person)
    }
}

fn merge_into(cell: &mut Cell, keys: &UInt64Array, sums: &UInt64Array, k: usize, signed: bool) {
    let mut buf = [0u64; MAX_MAGNITUDES];
    let at = |i: usize| sums.values().get(i).copied().unwrap_or(0);
    for (j, key) in keys.values().iter().enumerate() {
        for (m, slot) in buf.iter_mut().enumerate().take(k) {
            *slot = at(j * (k + 1) + m);
        }
        cell.add(*key, &buf, at(j * (k + 1) + k), k, signed);
    }
}

fn state_lists(states: &[ArrayRef]) -> Result<(&ListArray, &ListArray)> {
    let (Some(k), Some(s)) = (states.first(), states.get(1)) else {
        return Err(DataFusionError::Internal(
            "__gs_cell state has two fields".into(),
        ));
    };
    Ok((k.as_list::<i32>(), s.as_list::<i32>()))
}

fn u64s(a: &ArrayRef) -> UInt64Array {
    a.as_primitive_opt::<UInt64Type>()
        .cloned()
        .unwrap_or_else(|| UInt64Array::from(Vec::<u64>::new()))
}

/// The grouped (fast) path.
#[derive(Debug)]
struct Groups {
    k: usize,
    signed: bool,
    cells: Vec<Cell>,
}

impl GroupsAccumulator for Groups {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        opt_filter: Option<&BooleanArray>,
        total_num_groups: usize,
    ) -> Result<()> {
        self.cells.resize_with(total_num_groups, Cell::default);
        let rows = rows(values, self.k, self.signed)?;
        let mut buf = [0u64; MAX_MAGNITUDES];
        for (i, &g) in group_indices.iter().enumerate() {
            if opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i)) {
                continue;
            }
            if let (Some(person), Some(cell)) = (rows.row(i, &mut buf), self.cells.get_mut(g)) {
                cell.add(person, &buf, 1, self.k, self.signed);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self, emit_to: EmitTo) -> Result<ArrayRef> {
        let (k, signed) = (self.k, self.signed);
        Ok(list(emit_to.take_needed(&mut self.cells).iter().map(|c| {
            if signed { c.dp_output(k) } else { c.output(k) }
        })))
    }

    fn state(&mut self, emit_to: EmitTo) -> Result<Vec<ArrayRef>> {
        let k = self.k;
        let (keys, sums): (Vec<_>, Vec<_>) = emit_to
            .take_needed(&mut self.cells)
            .iter()
            .map(|c| c.state(k))
            .unzip();
        Ok(vec![list(keys), list(sums)])
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.cells.resize_with(total_num_groups, Cell::default);
        let (keys, sums) = state_lists(values)?;
        for (row, &g) in group_indices.iter().enumerate() {
            if keys.is_null(row) || sums.is_null(row) {
                continue;
            }
            if let Some(cell) = self.cells.get_mut(g) {
                merge_into(
                    cell,
                    &u64s(&keys.value(row)),
                    &u64s(&sums.value(row)),
                    self.k,
                    self.signed,
                );
            }
        }
        Ok(())
    }

    fn convert_to_state(
        &self,
        values: &[ArrayRef],
        opt_filter: Option<&BooleanArray>,
    ) -> Result<Vec<ArrayRef>> {
        let rows = rows(values, self.k, self.signed)?;
        let mut buf = [0u64; MAX_MAGNITUDES];
        let (mut keys, mut sums) = (Vec::new(), Vec::new());
        for i in 0..rows.persons.len() {
            let skip = opt_filter.is_some_and(|f| !f.is_valid(i) || !f.value(i));
            match rows.row(i, &mut buf) {
                Some(person) if !skip => {
                    keys.push(vec![person]);
                    let mut s: Vec<u64> = buf.iter().take(self.k).copied().collect();
                    s.push(1);
                    sums.push(s);
                }
                _ => {
                    keys.push(Vec::new());
                    sums.push(Vec::new());
                }
            }
        }
        Ok(vec![list(keys), list(sums)])
    }

    fn size(&self) -> usize {
        self.cells.capacity() * size_of::<Cell>()
            + self
                .cells
                .iter()
                .map(|c| c.persons.capacity() * (size_of::<(u64, Sums)>() + 8))
                .sum::<usize>()
    }
}

/// The ungrouped path (an aggregate without GROUP BY).
#[derive(Debug)]
struct One {
    k: usize,
    signed: bool,
    cell: Cell,
}

impl Accumulator for One {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let rows = rows(values, self.k, self.signed)?;
        let mut buf = [0u64; MAX_MAGNITUDES];
        for i in 0..rows.persons.len() {
            if let Some(person) = rows.row(i, &mut buf) {
                self.cell.add(person, &buf, 1, self.k, self.signed);
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let out = if self.signed {
            self.cell.dp_output(self.k)
        } else {
            self.cell.output(self.k)
        };
        let a = list([out]);
        Ok(ScalarValue::List(Arc::new(a.as_list::<i32>().clone())))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.cell.persons.capacity() * (size_of::<(u64, Sums)>() + 8)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let (keys, sums) = self.cell.state(self.k);
        let (k, s) = (list([keys]), list([sums]));
        Ok(vec![
            ScalarValue::List(Arc::new(k.as_list::<i32>().clone())),
            ScalarValue::List(Arc::new(s.as_list::<i32>().clone())),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (keys, sums) = state_lists(states)?;
        for row in 0..keys.len().min(sums.len()) {
            if keys.is_null(row) || sums.is_null(row) {
                continue;
            }
            merge_into(
                &mut self.cell,
                &u64s(&keys.value(row)),
                &u64s(&sums.value(row)),
                self.k,
                self.signed,
            );
        }
        Ok(())
    }
}

/// Decodes one group's output: persons' sorted keys and the magnitudes.
pub(crate) fn decode(
    array: &dyn Array,
    row: usize,
) -> (Vec<u64>, Vec<gongshu_domain::disclosure::Magnitude>) {
    let Some(lists) = array.as_list_opt::<i32>() else {
        return (Vec::new(), Vec::new());
    };
    if lists.is_null(row) {
        return (Vec::new(), Vec::new());
    }
    let v = lists.value(row);
    let Some(values) = v.as_primitive_opt::<UInt64Type>() else {
        return (Vec::new(), Vec::new());
    };
    let values = values.values();
    let k = usize::try_from(values.first().copied().unwrap_or(0)).unwrap_or(0);
    let mags = (0..k)
        .map(|m| {
            let at = |i: usize| u128::from(values.get(1 + 3 * m + i).copied().unwrap_or(0));
            gongshu_domain::disclosure::Magnitude {
                total: at(0),
                top1: at(1),
                top2: at(2),
            }
        })
        .collect();
    let keys = values
        .get(1 + 3 * k..)
        .map(<[u64]>::to_vec)
        .unwrap_or_default();
    (keys, mags)
}

/// One person's contribution to a group, as the DP variant emits it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Contribution {
    /// The person key.
    pub person: u64,
    /// Rows of the person in the group.
    pub rows: u64,
    /// Signed magnitude sums.
    pub sums: Vec<i64>,
}

/// Decodes one group's DP output.
pub(crate) fn decode_dp(array: &dyn Array, row: usize) -> Vec<Contribution> {
    let Some(lists) = array.as_list_opt::<i32>() else {
        return Vec::new();
    };
    if lists.is_null(row) {
        return Vec::new();
    }
    let v = lists.value(row);
    let Some(values) = v.as_primitive_opt::<UInt64Type>() else {
        return Vec::new();
    };
    let values = values.values();
    let at = |i: usize| values.get(i).copied().unwrap_or(0);
    let k = usize::try_from(at(0)).unwrap_or(0);
    let n = usize::try_from(at(1)).unwrap_or(0);
    (0..n)
        .map(|j| {
            let base = 2 + n + j * (k + 1);
            Contribution {
                person: at(2 + j),
                rows: at(base),
                sums: (0..k).map(|m| at(base + 1 + m).cast_signed()).collect(),
            }
        })
        .collect()
}
