//! The hidden aggregate behind the difference check (R4.6): per group, the
//! sorted set of person keys. A key is the first 64 bits of the keyed
//! pseudonym (`p_` + hex of an HMAC), so it is itself keyed; other values
//! are hashed with SHA-256. Ours because DataFusion's `array_agg(DISTINCT)`
//! would carry the pseudonyms themselves; registered only by the guard.

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, UInt64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, UInt64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use sha2::{Digest as _, Sha256};

#[derive(Debug, PartialEq, Eq, Hash)]
struct PersonSetFn {
    signature: Signature,
}

/// The aggregate, called as `udaf().call(vec![person])`.
pub(crate) fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(PersonSetFn {
        signature: Signature::any(1, Volatility::Immutable),
    })
}

fn list_u64() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::UInt64, true)))
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
    b.copy_from_slice(d.as_slice().get(..8).unwrap_or(&[0; 8]));
    u64::from_be_bytes(b)
}

impl AggregateUDFImpl for PersonSetFn {
    fn name(&self) -> &str {
        "__gs_person_set"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(list_u64())
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<Keys>::default())
    }

    fn state_fields(&self, _args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new("keys", list_u64(), true))])
    }
}

#[derive(Debug, Default)]
struct Keys {
    set: HashSet<u64>,
}

impl Keys {
    fn list(&self) -> ScalarValue {
        let mut v: Vec<u64> = self.set.iter().copied().collect();
        v.sort_unstable();
        let values: Vec<ScalarValue> = v
            .into_iter()
            .map(|k| ScalarValue::UInt64(Some(k)))
            .collect();
        ScalarValue::List(ScalarValue::new_list(&values, &DataType::UInt64, true))
    }
}

impl Accumulator for Keys {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let Some(p) = values.first() else {
            return Err(DataFusionError::Internal(
                "__gs_person_set takes one argument".into(),
            ));
        };
        let p = cast(p, &DataType::Utf8)?;
        let p = p.as_string::<i32>();
        for i in 0..p.len() {
            if p.is_valid(i) {
                self.set.insert(key(p.value(i)));
            }
        }
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        Ok(self.list())
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.set.capacity() * 16
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.list()])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(s) = states.first() else {
            return Err(DataFusionError::Internal(
                "__gs_person_set state has one field".into(),
            ));
        };
        let lists = s.as_list::<i32>();
        for row in 0..lists.len() {
            if lists.is_null(row) {
                continue;
            }
            let v = lists.value(row);
            let keys: &UInt64Array = v.as_primitive::<UInt64Type>();
            self.set.extend(keys.iter().flatten());
        }
        Ok(())
    }
}

/// The sorted keys of a hidden set column's row.
pub(crate) fn read(array: &dyn Array, row: usize) -> Vec<u64> {
    let Some(lists) = array.as_list_opt::<i32>() else {
        return Vec::new();
    };
    if lists.is_null(row) {
        return Vec::new();
    }
    let v = lists.value(row);
    v.as_primitive_opt::<UInt64Type>()
        .map(|a| a.iter().flatten().collect())
        .unwrap_or_default()
}
