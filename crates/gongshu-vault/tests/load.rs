//! Loads: encodings, malformed rows and the bad-row limit, pseudonymised
//! direct identifiers, consistency references.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, StringArray};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use common::{any_file_contains, csv, schema};
use gongshu_vault::{
    ColumnDef, ColumnType, DatasetSchema, Encoding, LoadOptions, PSEUDONYM_PREFIX, Vault,
    VaultError,
};

fn read_all(vault: &Vault, id: &str, v: u32) -> RecordBatch {
    let batches = vault.read_batches(id, v).unwrap();
    let schema = batches.schema();
    let all: Vec<RecordBatch> = batches.collect::<Result<_, _>>().unwrap();
    concat_batches(&schema, &all).unwrap()
}

fn strings(batch: &RecordBatch, col: usize) -> Vec<Option<String>> {
    let a = batch
        .column(col)
        .as_any()
        .downcast_ref::<StringArray>()
        .unwrap();
    (0..a.len())
        .map(|i| (!a.is_null(i)).then(|| a.value(i).to_owned()))
        .collect()
}

fn gb18030(text: &str) -> Vec<u8> {
    encoding_rs::GB18030.encode(text).0.into_owned()
}

#[test]
fn gb18030_input_is_detected_or_declared_and_stored_as_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let bytes = gb18030(&csv());
    for (id, enc) in [("auto", Encoding::Auto), ("declared", Encoding::Gb18030)] {
        let options = LoadOptions {
            encoding: enc,
            ..LoadOptions::default()
        };
        let report = vault
            .ingest(id, bytes.as_slice(), &schema(), &options)
            .unwrap();
        assert_eq!(report.encoding, Encoding::Gb18030);
        assert_eq!(report.info.rows, 5);
        let names = strings(&read_all(&vault, id, 1), 1);
        assert_eq!(names[1].as_deref(), Some("李四"), "no mojibake");
    }
}

#[test]
fn wrong_encoding_is_a_clear_error_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let options = LoadOptions {
        encoding: Encoding::Utf8,
        ..LoadOptions::default()
    };
    let err = vault
        .ingest("d", gb18030(&csv()).as_slice(), &schema(), &options)
        .unwrap_err();
    match err {
        VaultError::Csv { line, reason, .. } => {
            assert_eq!(line, 3, "the first line with Chinese text");
            assert!(reason.contains("gb18030"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Bytes that are neither UTF-8 nor GB18030.
    let mut bad = b"id_number,name,age,birth_date,active\n1,".to_vec();
    bad.extend_from_slice(&[0x81, 0x20, 0x81, 0x20]);
    bad.extend_from_slice(b",1,2020-01-01,1\n");
    let err = vault
        .ingest("d", bad.as_slice(), &schema(), &LoadOptions::default())
        .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::Encoding {
                encoding: "gb18030",
                byte_offset: 39
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        vault.versions("d"),
        Err(VaultError::DatasetNotFound { .. })
    ));
}

fn with_bad_rows() -> String {
    "id_number,name,age,birth_date,active\n\
     11010519491231002X,甲,75,1949-12-31,true\n\
     33010219800101123X,乙,四十五,1980-01-01,false\n\
     ,丙,30,1995-12-31,1\n\
     330102199512314560,丁,30,2020-02-30,0\n\
     330102199512314560,戊,30\n\
     11010519491231002X,己,75,1949-12-31,TRUE\n"
        .to_owned()
}

#[test]
fn bad_rows_are_skipped_up_to_the_limit_and_reported_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let options = |n| LoadOptions {
        max_bad_rows: n,
        ..LoadOptions::default()
    };
    let err = vault
        .ingest("d", with_bad_rows().as_bytes(), &schema(), &options(3))
        .unwrap_err();
    let VaultError::TooManyBadRows { limit, samples } = err else {
        panic!("expected too many bad rows")
    };
    assert_eq!(limit, 3);
    assert_eq!(
        samples
            .iter()
            .map(|b| (b.line, b.column))
            .collect::<Vec<_>>(),
        vec![(3, 3), (4, 1), (5, 4), (6, 0)]
    );
    assert!(samples[1].reason.contains("必填"));
    assert!(vault.versions("d").is_err(), "all or nothing");

    let report = vault
        .ingest("d", with_bad_rows().as_bytes(), &schema(), &options(4))
        .unwrap();
    assert_eq!((report.info.rows, report.rejected_rows), (2, 4));
    assert_eq!(report.bad_rows.len(), 4);
    assert_eq!(report.info.version, 1);

    let err = vault
        .ingest("e", with_bad_rows().as_bytes(), &schema(), &options(0))
        .unwrap_err();
    assert!(
        matches!(
            err,
            VaultError::Csv {
                line: 3,
                column: 3,
                ..
            }
        ),
        "{err:?}"
    );
}

fn person_schema() -> DatasetSchema {
    DatasetSchema::new(vec![
        ColumnDef::new("id_number", ColumnType::String)
            .required()
            .pseudonymised(),
        ColumnDef::new("village", ColumnType::String),
        ColumnDef::new("amount", ColumnType::Int64),
    ])
    .unwrap()
}

#[test]
fn direct_identifiers_are_stored_as_keyed_pseudonyms_that_join_across_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let raw = "11010519491231002X";
    let water = format!("id_number,village,amount\n{raw},东村,12\n330102198001011234,西村,7\n");
    let power = format!("id_number,village,amount\n{},东村,99\n", raw.to_lowercase());
    let (p1, p2) = {
        let vault = Vault::open(dir.path()).unwrap();
        vault
            .ingest_csv("water", water.as_bytes(), &person_schema())
            .unwrap();
        vault
            .ingest_csv("power", power.as_bytes(), &person_schema())
            .unwrap();
        let w = strings(&read_all(&vault, "water", 1), 0);
        let p = strings(&read_all(&vault, "power", 1), 0);
        let expected = vault.pseudonym(raw).unwrap();
        assert_eq!(w[0].as_deref(), Some(expected.as_str()));
        assert_eq!(p[0], w[0], "same person, same pseudonym, case-insensitive");
        assert_ne!(w[0], w[1]);
        assert!(expected.starts_with(PSEUDONYM_PREFIX) && expected.len() == 34);
        (expected, vault.pseudonym("330102198001011234").unwrap())
    };
    assert!(!any_file_contains(dir.path(), raw.as_bytes()));
    assert!(!any_file_contains(dir.path(), b"330102198001011234"));
    // The secret survives a restart (the same pseudonyms) and is not on disk in clear.
    let vault = Vault::open(dir.path()).unwrap();
    assert_eq!(vault.pseudonym(raw).unwrap(), p1);
    assert_eq!(vault.pseudonym("330102198001011234").unwrap(), p2);
    // Another vault (another platform secret) gives other pseudonyms.
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        Vault::open(other.path()).unwrap().pseudonym(raw).unwrap(),
        p1
    );
}

#[test]
fn references_count_unmatched_values_without_rejecting_rows() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let known: HashSet<String> = [vault.pseudonym("11010519491231002X").unwrap()].into();
    let options = LoadOptions {
        references: HashMap::from([("id_number".to_owned(), known)]),
        ..LoadOptions::default()
    };
    let report = vault
        .ingest(
            "d",
            "id_number,village,amount\n11010519491231002X,东村,1\n330102198001011234,西村,2\n"
                .as_bytes(),
            &person_schema(),
            &options,
        )
        .unwrap();
    assert_eq!(report.info.rows, 2);
    assert_eq!(report.profile.columns[0].unmatched_count, 1);
    assert!(
        !format!("{options:?}").contains(PSEUDONYM_PREFIX),
        "no values in Debug"
    );
}

#[test]
fn a_multi_chunk_load_keeps_row_order_line_numbers_and_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let schema = DatasetSchema::new(vec![
        ColumnDef::new("seq", ColumnType::Int64).required(),
        ColumnDef::new("note", ColumnType::String),
    ])
    .unwrap();
    // ~6 MiB: several 1 MiB chunks; a quoted field with a newline every
    // 5 000 rows shifts line numbers; every 20 000th row is malformed.
    let mut text = String::from("seq,note\n");
    let mut line = 1u64;
    let mut bad_lines = Vec::new();
    let mut good = 0i64;
    for i in 0..200_000i64 {
        line += 1;
        if i % 20_000 == 19_999 {
            text.push_str("not-a-number,x\n");
            bad_lines.push(line);
        } else if i % 5_000 == 0 {
            text.push_str(&format!("{i},\"two\nlines, padded padded padded\"\n"));
            line += 1;
            good += 1;
        } else if i % 7 == 0 {
            text.push_str(&format!("{i},\n"));
            good += 1;
        } else {
            text.push_str(&format!("{i},a note that pads the row somewhat\n"));
            good += 1;
        }
    }
    let options = LoadOptions {
        max_bad_rows: 100,
        ..LoadOptions::default()
    };
    let report = vault
        .ingest("d", text.as_bytes(), &schema, &options)
        .unwrap();
    assert_eq!(report.info.rows, u64::try_from(good).unwrap());
    assert_eq!(report.rejected_rows, 10);
    assert_eq!(
        report.bad_rows.iter().map(|b| b.line).collect::<Vec<_>>(),
        bad_lines
    );
    let nulls = (0..200_000i64)
        .filter(|i| i % 7 == 0 && i % 5_000 != 0 && i % 20_000 != 19_999)
        .count() as u64;
    assert_eq!(report.profile.columns[1].null_count, nulls);
    let batches = vault.read_batches("d", 1).unwrap();
    let mut expected = (0..200_000i64).filter(|i| i % 20_000 != 19_999);
    for batch in batches {
        let batch = batch.unwrap();
        let seq = batch
            .column(0)
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .unwrap();
        for v in seq.iter() {
            assert_eq!(v, expected.next(), "rows stay in input order");
        }
    }
    assert!(expected.next().is_none());
    // With the limit 0 the earliest malformed line is the error.
    let err = vault
        .ingest("e", text.as_bytes(), &schema, &LoadOptions::default())
        .unwrap_err();
    assert!(
        matches!(err, VaultError::Csv { line, column: 1, .. } if line == bad_lines[0]),
        "{err:?}"
    );
}

#[test]
fn repeated_values_count_their_findings_on_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let known: HashSet<String> = [vault.pseudonym("11010519491231002X").unwrap()].into();
    let options = LoadOptions {
        validators: gongshu_vault::Validators::new()
            .with("id_number", gongshu_vault::gb11643_valid),
        references: HashMap::from([("id_number".to_owned(), known)]),
        ..LoadOptions::default()
    };
    // An invalid, unknown ID three times in a row, a NULL between repeats,
    // then the valid, known one twice.
    let csv = "id_number,village,amount\n\
               110105194912310021,东村,1\n\
               110105194912310021,东村,1\n\
               110105194912310021,,1\n\
               11010519491231002X,东村,\n\
               11010519491231002X,东村,2\n";
    let report = vault
        .ingest("d", csv.as_bytes(), &person_schema(), &options)
        .unwrap();
    let id = &report.profile.columns[0];
    assert_eq!(id.invalid_count, 3);
    assert_eq!(id.invalid_lines, vec![2, 3, 4]);
    assert_eq!(id.unmatched_count, 3);
    assert_eq!(id.distinct_count, 2);
    assert_eq!(report.profile.columns[1].null_count, 1);
    assert_eq!(report.profile.columns[1].distinct_count, 1);
    assert_eq!(report.profile.columns[2].null_count, 1);
    let ids = strings(&read_all(&vault, "d", 1), 0);
    let p1 = vault.pseudonym("110105194912310021").unwrap();
    let p2 = vault.pseudonym("11010519491231002X").unwrap();
    assert_eq!(
        ids,
        vec![
            Some(p1.clone()),
            Some(p1.clone()),
            Some(p1),
            Some(p2.clone()),
            Some(p2)
        ]
    );
}
