//! Vault behaviour: round trip, encryption at rest, keys, errors, quality.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod common;

use std::sync::Arc;

use arrow::array::{Array, BooleanArray, Date32Array, Int64Array, StringArray};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use common::{MARKER, any_file_contains, csv, schema};
use gongshu_vault::{Extreme, Ratio, Validators, Vault, VaultError, gb11643_valid};

fn read_all(vault: &Vault, id: &str, v: u32) -> RecordBatch {
    let batches = vault.read_batches(id, v).unwrap();
    let schema = batches.schema();
    let all: Vec<RecordBatch> = batches.collect::<Result<_, _>>().unwrap();
    concat_batches(&schema, &all).unwrap()
}

#[test]
fn round_trip_csv_to_encrypted_parquet_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let info = vault
        .ingest_csv("residents", csv().as_bytes(), &schema())
        .unwrap();
    assert_eq!((info.version, info.rows), (1, 5));
    assert_eq!(info.sha256.len(), 64);
    let b = read_all(&vault, "residents", 1);
    assert_eq!(b.schema(), schema().to_arrow());
    let ids = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(ids.value(1), "33010219800101123X");
    let names = b.column(1).as_any().downcast_ref::<StringArray>().unwrap();
    assert_eq!(names.value(0), MARKER);
    assert!(names.is_null(3));
    let ages = b.column(2).as_any().downcast_ref::<Int64Array>().unwrap();
    assert_eq!(
        ages.iter().collect::<Vec<_>>(),
        vec![Some(75), Some(45), None, Some(30), Some(75)]
    );
    let dates = b.column(3).as_any().downcast_ref::<Date32Array>().unwrap();
    assert_eq!(dates.value(1), 3652); // 1980-01-01
    assert!(dates.is_null(3));
    let active = b.column(4).as_any().downcast_ref::<BooleanArray>().unwrap();
    assert_eq!(
        active.iter().collect::<Vec<_>>(),
        vec![Some(true), Some(false), Some(true), Some(false), Some(true)]
    );
    // A second load is version 2; version 1 is unchanged.
    let v2 = vault
        .ingest_csv("residents", csv().as_bytes(), &schema())
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_ne!(v2.sha256, info.sha256, "fresh key and nonces per version");
    assert_eq!(vault.versions("residents").unwrap().len(), 2);
    assert_eq!(read_all(&vault, "residents", 1), b);
}

#[test]
fn files_on_disk_hold_no_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    vault
        .ingest_csv("residents", csv().as_bytes(), &schema())
        .unwrap();
    assert!(!any_file_contains(dir.path(), MARKER.as_bytes()));
    assert!(!any_file_contains(dir.path(), b"11010519491231002X"));
    assert!(!any_file_contains(dir.path(), "李四".as_bytes()));
}

#[test]
fn wrong_master_key_is_refused_and_missing_key_never_recreated() {
    let dir = tempfile::tempdir().unwrap();
    drop(
        Vault::open(dir.path())
            .unwrap()
            .ingest_csv("d", csv().as_bytes(), &schema()),
    );
    let key = dir.path().join("master.key");
    std::fs::write(&key, [7u8; 32]).unwrap();
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::MasterKeyInvalid { .. })
    ));
    std::fs::remove_file(&key).unwrap();
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::MasterKeyMissing { .. })
    ));
    assert!(!key.exists(), "no new key created over existing data");
}

#[test]
fn tampered_ciphertext_or_key_store_fails() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let info = vault.ingest_csv("d", csv().as_bytes(), &schema()).unwrap();
    let file = dir.path().join("data/d/v1.parquet");
    let meta = dir.path().join("data/d/v1.meta.json");
    let original = std::fs::read(&file).unwrap();
    let original_meta = std::fs::read_to_string(&meta).unwrap();
    let plain = read_all(&vault, "d", 1);
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    std::fs::write(&file, &bytes).unwrap();
    assert!(matches!(
        vault.read_batches("d", 1),
        Err(VaultError::CiphertextMismatch { .. })
    ));

    // Even with the recorded hash forged, AES-GCM never yields altered data:
    // flipping any byte either fails to decrypt or touches a part the
    // reader does not use (e.g. the page index).
    let mut failures = 0;
    for pos in (0..original.len()).step_by(5) {
        let mut bytes = original.clone();
        bytes[pos] ^= 0x40;
        std::fs::write(&file, &bytes).unwrap();
        let forged_hash = {
            use sha2::Digest as _;
            hex::encode(sha2::Sha256::digest(&bytes).as_slice())
        };
        std::fs::write(&meta, original_meta.replace(&info.sha256, &forged_hash)).unwrap();
        let res = vault.read_batches("d", 1).and_then(|b| {
            let schema = b.schema();
            let all = b.collect::<Result<Vec<_>, _>>()?;
            Ok(concat_batches(&schema, &all)?)
        });
        match res {
            Ok(batch) => assert_eq!(batch, plain, "byte {pos} altered data undetected"),
            Err(_) => failures += 1,
        }
    }
    assert!(failures > original.len() / 10, "{failures}");
    std::fs::write(&meta, &original_meta).unwrap();

    // A tampered wrapped key does not unwrap.
    std::fs::write(&file, &original).unwrap();
    let ks = dir.path().join("keys/d.keys.json");
    let text = std::fs::read_to_string(&ks).unwrap();
    let at = text.find("\"wrapped\": \"").unwrap() + 12;
    let mut t = text.into_bytes();
    t[at] = if t[at] == b'0' { b'1' } else { b'0' };
    std::fs::write(&ks, t).unwrap();
    assert!(matches!(
        vault.read_batches("d", 1),
        Err(VaultError::KeyUnwrap { .. })
    ));
}

#[test]
fn parquet_file_does_not_open_without_or_with_a_wrong_key() {
    use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
    use parquet::encryption::decrypt::FileDecryptionProperties;
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    vault.ingest_csv("d", csv().as_bytes(), &schema()).unwrap();
    let path = dir.path().join("data/d/v1.parquet");
    let f = std::fs::File::open(&path).unwrap();
    assert!(ParquetRecordBatchReaderBuilder::try_new(f).is_err());
    let props = FileDecryptionProperties::builder(vec![9u8; 32])
        .build()
        .unwrap();
    let f = std::fs::File::open(&path).unwrap();
    let opts = ArrowReaderOptions::new().with_file_decryption_properties(props);
    assert!(ParquetRecordBatchReaderBuilder::try_new_with_options(f, opts).is_err());
}

#[test]
fn csv_errors_name_line_and_column_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let bad = csv().replace("李四,45,", "李四,forty-five,");
    let err = vault
        .ingest_csv("d", bad.as_bytes(), &schema())
        .unwrap_err();
    match &err {
        VaultError::Csv {
            line,
            column,
            column_name,
            ..
        } => assert_eq!((*line, *column, column_name.as_str()), (3, 3, "age")),
        other => panic!("unexpected {other:?}"),
    }
    assert!(err.to_string().contains("line 3, column 3 (age)"));
    let short = csv().replace("王五,,1995-12-31,1", "王五");
    match vault
        .ingest_csv("d", short.as_bytes(), &schema())
        .unwrap_err()
    {
        VaultError::Csv { line, .. } => assert_eq!(line, 4),
        other => panic!("unexpected {other:?}"),
    }
    let null_id = csv().replace("33010219800101123X,", ",");
    match vault
        .ingest_csv("d", null_id.as_bytes(), &schema())
        .unwrap_err()
    {
        VaultError::Csv { line, column, .. } => assert_eq!((line, column), (3, 1)),
        other => panic!("unexpected {other:?}"),
    }
    let bad_header = csv().replacen("age", "years", 1);
    match vault
        .ingest_csv("d", bad_header.as_bytes(), &schema())
        .unwrap_err()
    {
        VaultError::Csv { line, column, .. } => assert_eq!((line, column), (1, 3)),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        vault.versions("d"),
        Err(VaultError::DatasetNotFound { .. })
    ));
    let leftovers = common::all_files(&dir.path().join("data/d"));
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_ingests_of_two_datasets() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::open(dir.path()).unwrap());
    let handles: Vec<_> = ["water", "power"]
        .into_iter()
        .flat_map(|id| [id, id])
        .map(|id| {
            let v = Arc::clone(&vault);
            std::thread::spawn(move || v.ingest_csv(id, csv().as_bytes(), &schema()).unwrap())
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for id in ["water", "power"] {
        let versions: Vec<u32> = vault
            .versions(id)
            .unwrap()
            .iter()
            .map(|i| i.version)
            .collect();
        assert_eq!(versions, vec![1, 2]);
        for v in versions {
            assert_eq!(read_all(&vault, id, v).num_rows(), 5);
        }
    }
}

#[test]
fn quality_profile_counts_are_exact() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let validators = Validators::new().with("id_number", gb11643_valid);
    vault
        .ingest_csv_with("d", csv().as_bytes(), &schema(), validators)
        .unwrap();
    let p = vault.quality_profile("d", 1).unwrap();
    assert_eq!(p.rows, 5);
    let c = |n: &str| p.columns.iter().find(|c| c.name == n).unwrap();
    assert_eq!(c("id_number").null_count, 0);
    assert_eq!(c("id_number").distinct_count, 4);
    assert_eq!(c("id_number").invalid_count, 1);
    assert_eq!(c("id_number").invalid_lines, vec![4]);
    assert_eq!((c("name").null_count, c("name").distinct_count), (1, 4));
    assert_eq!((c("age").null_count, c("age").distinct_count), (1, 3));
    assert_eq!(c("age").min, Some(Extreme::Int(30)));
    assert_eq!(c("age").max, Some(Extreme::Int(75)));
    assert_eq!(
        c("birth_date").min,
        Some(Extreme::Date("1949-12-31".parse().unwrap()))
    );
    assert_eq!(
        c("birth_date").max,
        Some(Extreme::Date("1995-12-31".parse().unwrap()))
    );
    assert_eq!(c("active").distinct_count, 2);
    assert_eq!(c("active").min, None);
    assert_eq!(
        p.completeness,
        Ratio {
            numerator: 22,
            denominator: 25
        }
    );
    assert_eq!(
        p.validity,
        Ratio {
            numerator: 4,
            denominator: 5
        }
    );
}

#[cfg(unix)]
#[test]
fn master_key_file_is_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    Vault::open(dir.path()).unwrap();
    let key = dir.path().join("master.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(&key).unwrap().len(), 32);
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    assert!(matches!(
        Vault::open(dir.path()),
        Err(VaultError::MasterKeyInvalid { .. })
    ));
}
