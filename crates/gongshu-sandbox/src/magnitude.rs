//! The hidden aggregate behind the dominance and p-ratio rules (R4.2):
//! per group, the absolute contributions to a magnitude summed per person,
//! reduced to `[total, top1, top2]`. Ours because no engine aggregate gives
//! the largest per-person sums; it is registered only inside the guard's
//! rewrite, after the checks, so no query can call it.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListArray, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Int64Type};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};

/// Name of the hidden aggregate.
pub(crate) const NAME: &str = "__gs_top2";

#[derive(Debug, PartialEq, Eq, Hash)]
struct Top2 {
    signature: Signature,
}

/// The aggregate, ready to call as `udaf().call(vec![person, value])`.
pub(crate) fn udaf() -> AggregateUDF {
    AggregateUDF::new_from_impl(Top2 {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

fn list_of(dt: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", dt, true)))
}

impl AggregateUDFImpl for Top2 {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::Int64))
    }

    fn accumulator(&self, _args: AccumulatorArgs<'_>) -> Result<Box<dyn Accumulator>> {
        Ok(Box::<PerPerson>::default())
    }

    fn state_fields(&self, _args: StateFieldsArgs<'_>) -> Result<Vec<FieldRef>> {
        Ok(vec![
            Arc::new(Field::new("persons", list_of(DataType::Utf8), true)),
            Arc::new(Field::new("sums", list_of(DataType::Int64), true)),
        ])
    }
}

/// Absolute contributions per person (saturating: a magnitude near
/// `i64::MAX` is dominated anyway).
#[derive(Debug, Default)]
struct PerPerson {
    sums: HashMap<String, i64>,
}

fn strings(a: &ArrayRef) -> Result<StringArray> {
    let c = cast(a, &DataType::Utf8)?;
    Ok(c.as_string::<i32>().clone())
}

fn ints(a: &ArrayRef) -> Result<Int64Array> {
    let c = cast(a, &DataType::Int64)?;
    Ok(c.as_primitive::<Int64Type>().clone())
}

impl PerPerson {
    fn add(&mut self, persons: &StringArray, values: &Int64Array) {
        for i in 0..persons.len().min(values.len()) {
            if persons.is_null(i) || values.is_null(i) {
                continue;
            }
            let v = values.value(i).saturating_abs();
            let slot = self.sums.entry(persons.value(i).to_owned()).or_insert(0);
            *slot = slot.saturating_add(v);
        }
    }
}

impl Accumulator for PerPerson {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let (Some(p), Some(v)) = (values.first(), values.get(1)) else {
            return Err(DataFusionError::Internal(
                "__gs_top2 takes two arguments".into(),
            ));
        };
        self.add(&strings(p)?, &ints(v)?);
        Ok(())
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        let (mut total, mut top1, mut top2) = (0i64, 0i64, 0i64);
        for &v in self.sums.values() {
            total = total.saturating_add(v);
            if v > top1 {
                top2 = top1;
                top1 = v;
            } else if v > top2 {
                top2 = v;
            }
        }
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>([Some([
            Some(total),
            Some(top1),
            Some(top2),
        ])]);
        Ok(ScalarValue::List(Arc::new(list)))
    }

    fn size(&self) -> usize {
        size_of::<Self>() + self.sums.capacity() * (size_of::<(String, i64)>() + 40)
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        let persons: Vec<ScalarValue> = self
            .sums
            .keys()
            .map(|k| ScalarValue::Utf8(Some(k.clone())))
            .collect();
        let sums: Vec<ScalarValue> = self
            .sums
            .values()
            .map(|v| ScalarValue::Int64(Some(*v)))
            .collect();
        Ok(vec![
            ScalarValue::List(ScalarValue::new_list(&persons, &DataType::Utf8, true)),
            ScalarValue::List(ScalarValue::new_list(&sums, &DataType::Int64, true)),
        ])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let (Some(p), Some(s)) = (states.first(), states.get(1)) else {
            return Err(DataFusionError::Internal(
                "__gs_top2 state has two fields".into(),
            ));
        };
        let (p, s) = (p.as_list::<i32>(), s.as_list::<i32>());
        for row in 0..p.len().min(s.len()) {
            if p.is_null(row) || s.is_null(row) {
                continue;
            }
            self.add(&strings(&p.value(row))?, &ints(&s.value(row))?);
        }
        Ok(())
    }
}
