//! Crypto-shredding: destroyed datasets and every copy of them are unreadable.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code"
)]

mod common;

use common::{MARKER, any_file_contains, copy_tree, csv, schema};
use gongshu_vault::{Vault, VaultError};

#[test]
fn destroy_makes_all_versions_and_a_backup_copy_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    let v1 = vault.ingest_csv("d", csv().as_bytes(), &schema()).unwrap();
    let v2 = vault.ingest_csv("d", csv().as_bytes(), &schema()).unwrap();
    vault
        .ingest_csv("other", csv().as_bytes(), &schema())
        .unwrap();
    // A backup of the data files, taken before destruction.
    copy_tree(&dir.path().join("data/d"), backup.path());

    let cert = vault.destroy("d").unwrap();
    assert_eq!(cert.dataset_id, "d");
    let hashes: Vec<_> = cert
        .versions
        .iter()
        .map(|v| (v.version, v.sha256.clone()))
        .collect();
    assert_eq!(hashes, vec![(1, v1.sha256.clone()), (2, v2.sha256)]);
    assert_eq!(cert.versions[0].key_id, v1.key_id);
    assert!(cert.verify_digest());
    let mut forged = cert.clone();
    forged.versions.pop();
    assert!(!forged.verify_digest());

    for v in [1, 2] {
        assert!(matches!(
            vault.read_batches("d", v),
            Err(VaultError::Destroyed { .. })
        ));
    }
    assert!(matches!(
        vault.ingest_csv("d", csv().as_bytes(), &schema()),
        Err(VaultError::Destroyed { .. })
    ));
    assert!(!dir.path().join("keys/d.keys.json").exists());
    assert!(!any_file_contains(dir.path(), MARKER.as_bytes()));
    // Other datasets are untouched.
    assert_eq!(vault.read_batches("other", 1).unwrap().count(), 1);
    // Idempotent: the same certificate again.
    assert_eq!(vault.destroy("d").unwrap(), cert);

    // Restore the backup into place (tombstone removed too): no key exists.
    std::fs::remove_file(dir.path().join("data/d/DESTROYED.json")).unwrap();
    copy_tree(backup.path(), &dir.path().join("data/d"));
    let reopened = Vault::open(dir.path()).unwrap();
    for v in [1, 2] {
        assert!(matches!(
            reopened.read_batches("d", v),
            Err(VaultError::KeyMissing { .. })
        ));
    }
    assert!(matches!(
        reopened.quality_profile("d", 1),
        Err(VaultError::KeyMissing { .. })
    ));
    assert!(!any_file_contains(backup.path(), MARKER.as_bytes()));
}

#[test]
fn destroying_an_unknown_dataset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let vault = Vault::open(dir.path()).unwrap();
    assert!(matches!(
        vault.destroy("nope"),
        Err(VaultError::DatasetNotFound { .. })
    ));
    assert!(matches!(
        vault.destroy("../x"),
        Err(VaultError::InvalidDatasetId(_))
    ));
}
