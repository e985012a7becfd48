//! Subject index: for sessions scoped to one subject (verification and
//! score products), each table's loaded versions grouped by the subject's
//! pseudonym, decrypted once and kept in memory inside the trusted space.
//! A call about one subject then reads that subject's rows instead of
//! decrypting and scanning the whole table.
//!
//! An index is keyed by immutable inputs (dataset, its loaded versions, the
//! columns read, the subject column), so it is never stale: a new load is a
//! new version and a new key. The scoped table still filters on the
//! pseudonym above the index (`subject::Scoped`), so a fault here cannot
//! widen what a session sees. Destroying a dataset's keys drops its
//! indices (`Sandbox::forget`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use datafusion::arrow::array::{AsArray, RecordBatch, UInt32Array};
use datafusion::arrow::compute::{concat_batches, take_record_batch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::error::ArrowError;

use crate::error::SandboxError;

/// Rows kept in all indices at most; past it, indices are dropped and
/// rebuilt on demand (a county's verification tables fit many times).
const MAX_ROWS: usize = 20_000_000;

/// What an index is built from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct IndexKey {
    pub(crate) dataset: String,
    pub(crate) versions: Vec<u32>,
    pub(crate) fields: Vec<String>,
    pub(crate) subject: String,
}

/// One table's rows by subject.
pub(crate) struct SubjectIndex {
    pub(crate) schema: SchemaRef,
    by_subject: HashMap<String, RecordBatch>,
    rows: usize,
}

// Holds personal data: never printed.
impl std::fmt::Debug for SubjectIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubjectIndex({} subjects)", self.by_subject.len())
    }
}

impl SubjectIndex {
    /// Groups `batches` (all rows of the table, `column` holding the
    /// pseudonym) by subject.
    pub(crate) fn build(
        schema: SchemaRef,
        batches: &[RecordBatch],
        column: usize,
    ) -> Result<Self, SandboxError> {
        let internal = |e: ArrowError| SandboxError::Internal(e.to_string());
        let mut parts: HashMap<String, Vec<RecordBatch>> = HashMap::new();
        let mut rows = 0;
        for batch in batches {
            let values = batch
                .columns()
                .get(column)
                .ok_or_else(|| SandboxError::Internal("主体列不存在".into()))?;
            let positions = match values.data_type() {
                DataType::Utf8 => group(values.as_string::<i32>().iter()),
                DataType::LargeUtf8 => group(values.as_string::<i64>().iter()),
                DataType::Utf8View => group(values.as_string_view().iter()),
                _ => return Err(SandboxError::Internal("主体列须为文本列".into())),
            };
            for (subject, idx) in positions {
                let taken = take_record_batch(batch, &UInt32Array::from(idx)).map_err(internal)?;
                rows += taken.num_rows();
                parts.entry(subject.to_owned()).or_default().push(taken);
            }
        }
        let mut by_subject = HashMap::with_capacity(parts.len());
        for (subject, batches) in parts {
            let one = concat_batches(&schema, &batches).map_err(internal)?;
            by_subject.insert(subject, one);
        }
        Ok(Self {
            schema,
            by_subject,
            rows,
        })
    }

    /// The subject's rows (none when the subject is not in the table).
    pub(crate) fn rows_of(&self, pseudonym: &str) -> Vec<RecordBatch> {
        self.by_subject
            .get(pseudonym)
            .cloned()
            .into_iter()
            .collect()
    }
}

/// Row positions per subject value (nulls belong to no subject).
fn group<'a>(values: impl Iterator<Item = Option<&'a str>>) -> HashMap<&'a str, Vec<u32>> {
    let mut positions: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, v) in values.enumerate() {
        if let (Some(v), Ok(i)) = (v, u32::try_from(i)) {
            positions.entry(v).or_default().push(i);
        }
    }
    positions
}

/// The sandbox's indices.
#[derive(Debug, Default)]
pub(crate) struct SubjectIndexes(Mutex<HashMap<IndexKey, Arc<SubjectIndex>>>);

impl SubjectIndexes {
    pub(crate) fn get(&self, key: &IndexKey) -> Option<Arc<SubjectIndex>> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(key).cloned()
    }

    pub(crate) fn put(&self, key: IndexKey, index: SubjectIndex) -> Arc<SubjectIndex> {
        let index = Arc::new(index);
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let held: usize = map.values().map(|i| i.rows).sum();
        if held + index.rows > MAX_ROWS {
            map.clear();
        }
        // Older versions of the same dataset are no longer read.
        map.retain(|k, _| k.dataset != key.dataset || k.versions == key.versions);
        map.insert(key, Arc::clone(&index));
        index
    }

    /// Drops every index of `dataset` (its keys were destroyed).
    pub(crate) fn forget(&self, dataset: &str) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.retain(|k, _| k.dataset != dataset);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use std::sync::Arc;

    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{Field, Int64Type, Schema};

    use super::*;

    fn batch(schema: &SchemaRef, amounts: Vec<i64>, who: Vec<Option<&str>>) -> RecordBatch {
        RecordBatch::try_new(
            Arc::clone(schema),
            vec![
                Arc::new(Int64Array::from(amounts)),
                Arc::new(StringArray::from(who)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_subject_sees_its_own_rows_from_every_batch_and_nothing_else() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("amount", DataType::Int64, false),
            Field::new("who", DataType::Utf8, true),
        ]));
        let batches = [
            batch(&schema, vec![1, 2, 3], vec![Some("p_a"), Some("p_b"), None]),
            batch(&schema, vec![4, 5], vec![Some("p_a"), Some("p_c")]),
        ];
        let index = SubjectIndex::build(Arc::clone(&schema), &batches, 1).unwrap();
        let amounts = |p: &str| -> Vec<i64> {
            index
                .rows_of(p)
                .iter()
                .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
                .collect()
        };
        assert_eq!(amounts("p_a"), vec![1, 4]);
        assert_eq!(amounts("p_c"), vec![5]);
        assert!(index.rows_of("p_unknown").is_empty());
        assert_eq!(index.rows, 4, "rows without a subject are in no index");

        let kept = SubjectIndexes::default();
        let key = |versions: Vec<u32>| IndexKey {
            dataset: "d".into(),
            versions,
            fields: vec!["amount".into()],
            subject: "who".into(),
        };
        kept.put(key(vec![1]), index);
        assert!(kept.get(&key(vec![1])).is_some());
        let again = SubjectIndex::build(Arc::clone(&schema), &batches, 1).unwrap();
        kept.put(key(vec![1, 2]), again);
        assert!(
            kept.get(&key(vec![1])).is_none(),
            "an older load is dropped"
        );
        kept.forget("d");
        assert!(
            kept.get(&key(vec![1, 2])).is_none(),
            "destroyed with its keys"
        );
    }
}
