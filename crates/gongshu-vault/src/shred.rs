//! Crypto-shredding: destroying a dataset's wrapped data keys so that every
//! copy of its ciphertext (backups included) is unreadable for good.

use std::fs;
use std::sync::PoisonError;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::dataset::committed_versions;
use crate::keys::KeyStore;
use crate::{Vault, VaultError, check_id, fsutil};

/// The tombstone file holding the certificate of a destroyed dataset.
pub(crate) const TOMBSTONE: &str = "DESTROYED.json";

/// One destroyed version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestroyedVersion {
    /// Version number.
    pub version: u32,
    /// Rows it held.
    pub rows: u64,
    /// Hex SHA-256 of its ciphertext (identifies every copy, backups included).
    pub sha256: String,
    /// Public id of the destroyed wrapped key.
    pub key_id: String,
}

/// What a destruction certificate attests (the digest covers exactly this).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CertificateContent {
    dataset_id: String,
    versions: Vec<DestroyedVersion>,
    destroyed_at: DateTime<Utc>,
    method: String,
}

/// A record of crypto-shredding, for the audit log (the app signs and
/// appends it, adding who ordered the destruction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestructionCertificate {
    /// Dataset id.
    pub dataset_id: String,
    /// Every version destroyed, with its ciphertext hash and key id.
    pub versions: Vec<DestroyedVersion>,
    /// When the keys were destroyed.
    pub destroyed_at: DateTime<Utc>,
    /// How: which keys were destroyed and how.
    pub method: String,
    /// Hex SHA-256 of the canonical JSON of the fields above.
    pub digest: String,
}

impl CertificateContent {
    fn digest(&self) -> Result<String, serde_json::Error> {
        let bytes = serde_json::to_vec(self)?;
        Ok(hex::encode(Sha256::digest(&bytes).as_slice()))
    }
}

impl DestructionCertificate {
    fn content(&self) -> CertificateContent {
        CertificateContent {
            dataset_id: self.dataset_id.clone(),
            versions: self.versions.clone(),
            destroyed_at: self.destroyed_at,
            method: self.method.clone(),
        }
    }

    /// Whether `digest` matches the certificate's content.
    pub fn verify_digest(&self) -> bool {
        self.content().digest().is_ok_and(|d| d == self.digest)
    }
}

const METHOD: &str = "crypto-shredding: the AES-256-GCM data keys of every version, wrapped under the vault master key, were overwritten and deleted with their key store file; ciphertext copies anywhere are unreadable";

impl Vault {
    /// Crypto-shreds `dataset_id`: records a tombstone with the certificate,
    /// overwrites and deletes the key store file holding its wrapped DEKs
    /// (fsync'd), then deletes its ciphertext files. Afterwards every read
    /// fails with [`VaultError::Destroyed`] (or [`VaultError::KeyMissing`]
    /// for a restored copy of the files); no key exists that decrypts any
    /// copy. Idempotent: calling again finishes an interrupted destruction
    /// and returns the same certificate.
    ///
    /// # Errors
    /// [`VaultError::DatasetNotFound`], I/O.
    pub fn destroy(&self, dataset_id: &str) -> Result<DestructionCertificate, VaultError> {
        check_id(dataset_id)?;
        let lock = self.lock(dataset_id);
        let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = self.dataset_dir(dataset_id);
        let tomb = dir.join(TOMBSTONE);
        let cert = match fsutil::read_optional(&tomb)? {
            Some(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| VaultError::meta(&tomb, e))?
            }
            None => {
                let infos = committed_versions(&dir)?;
                if infos.is_empty() && KeyStore::load(&self.keys_dir(), dataset_id)?.is_none() {
                    return Err(VaultError::DatasetNotFound {
                        dataset: dataset_id.to_owned(),
                    });
                }
                let content = CertificateContent {
                    dataset_id: dataset_id.to_owned(),
                    versions: infos
                        .iter()
                        .map(|i| DestroyedVersion {
                            version: i.version,
                            rows: i.rows,
                            sha256: i.sha256.clone(),
                            key_id: i.key_id.clone(),
                        })
                        .collect(),
                    destroyed_at: Utc::now(),
                    method: METHOD.to_owned(),
                };
                let digest = content.digest().map_err(|e| VaultError::meta(&tomb, e))?;
                let cert = DestructionCertificate {
                    dataset_id: content.dataset_id,
                    versions: content.versions,
                    destroyed_at: content.destroyed_at,
                    method: content.method,
                    digest,
                };
                let json =
                    serde_json::to_vec_pretty(&cert).map_err(|e| VaultError::meta(&tomb, e))?;
                fs::create_dir_all(&dir).map_err(|e| VaultError::io(&dir, e))?;
                fsutil::write_atomic(&tomb, &json)?;
                cert
            }
        };
        // The keys first: once they are gone, nothing below matters for secrecy.
        let ks_path = KeyStore::path(&self.keys_dir(), dataset_id);
        fsutil::shred_file(&fsutil::tmp_sibling(&ks_path)?)?;
        fsutil::shred_file(&ks_path)?;
        // Then the ciphertext and its side files (unreadable already; removed for hygiene).
        let entries = fs::read_dir(&dir).map_err(|e| VaultError::io(&dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| VaultError::io(&dir, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name != TOMBSTONE {
                let p = entry.path();
                if p.is_file() {
                    fs::remove_file(&p).map_err(|e| VaultError::io(&p, e))?;
                }
            }
        }
        fsutil::sync_dir(&dir)?;
        Ok(cert)
    }
}
