//! gongshu-vault: the trusted space's storage (可信数据空间存储): datasets as
//! encrypted, versioned files with a key hierarchy and crypto-shredding.
//!
//! Layout of a vault directory:
//!
//! ```text
//! master.key                 key-encryption key, 0600 (never logged, never in data backups)
//! master.check               detects a wrong master key at open
//! pseudonym.key              the pseudonymisation secret, wrapped by the master key
//! credentials.key            the key sealing users' TOTP seeds, wrapped by the master key
//! keys/<dataset>.keys.json   wrapped per-version DEKs (the crypto-shredding target)
//! data/<dataset>/v<N>.parquet      Parquet with modular encryption under the version's DEK
//! data/<dataset>/v<N>.profile.enc  quality profile, AES-256-GCM under the same DEK
//! data/<dataset>/v<N>.meta.json    version metadata; its presence commits the version
//! data/<dataset>/DESTROYED.json    the destruction certificate, after crypto-shredding
//! ```
//!
//! [`Vault::read_batches`] is the **only** read path to a dataset's rows: it
//! is the choke point the sandbox goes through, so every column-class and
//! egress rule can be enforced above it.
#![warn(missing_docs)]

mod chunks;
mod convert;
mod credentials;
mod dataset;
mod distinct;
mod encoding;
mod engine;
mod error;
mod fsutil;
mod ingest;
mod keys;
mod pipeline;
mod pseudonym;
mod quality;
mod rows;
mod schema;
mod shred;

pub use convert::parquet_to_csv;
pub use credentials::is_sealed_credential;
pub use dataset::{Batches, LoadReport, VersionInfo};
pub use encoding::{Encoding, EncodingNameError};
pub use engine::EngineFile;
pub use error::VaultError;
pub use ingest::{BadRow, LoadOptions, MAX_REPORTED_BAD_ROWS};
pub use keys::{FileMasterKey, KeyEncryptionKey};
pub use pseudonym::PSEUDONYM_PREFIX;
pub use quality::{
    ColumnProfile, Extreme, QualityProfile, Ratio, Validator, Validators, gb11643_valid,
};
pub use schema::{ColumnDef, ColumnType, DatasetSchema};
pub use shred::{DestroyedVersion, DestructionCertificate};

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// A vault: one directory holding keys and encrypted datasets.
#[derive(Debug)]
pub struct Vault {
    dir: PathBuf,
    kek: Box<dyn KeyEncryptionKey>,
    pseudonyms: pseudonym::PseudonymKey,
    credentials: credentials::CredentialKey,
    locks: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

fn dir_non_empty(dir: &Path) -> Result<bool, VaultError> {
    match fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_some()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(VaultError::io(dir, e)),
    }
}

/// Removes the temporary files of loads a crash interrupted. They hold
/// only ciphertext under a data key that was never wrapped (so nothing can
/// decrypt them), but they would waste space forever.
fn remove_interrupted_loads(data: &Path) -> Result<(), VaultError> {
    let datasets = match fs::read_dir(data) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(VaultError::io(data, e)),
    };
    for ds in datasets {
        let ds = ds.map_err(|e| VaultError::io(data, e))?.path();
        let Ok(files) = fs::read_dir(&ds) else {
            continue;
        };
        for f in files.flatten() {
            let name = f.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let p = f.path();
                fs::remove_file(&p).map_err(|e| VaultError::io(&p, e))?;
            }
        }
    }
    Ok(())
}

/// Checks a dataset id: 1..=128 of ASCII letters, digits, `-`, `_`, `.`, not starting with `.`.
fn check_id(id: &str) -> Result<(), VaultError> {
    let ok = !id.is_empty()
        && id.len() <= 128
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(VaultError::InvalidDatasetId(id.to_owned()))
    }
}

impl Vault {
    /// Opens (or creates) the vault in `dir` with the default key file
    /// `dir/master.key`. A new master key is created only for an empty
    /// vault; a missing or wrong key over existing data is refused.
    ///
    /// # Errors
    /// [`VaultError::MasterKeyMissing`], [`VaultError::MasterKeyInvalid`], I/O.
    pub fn open(dir: impl AsRef<Path>) -> Result<Self, VaultError> {
        let dir = dir.as_ref().to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| VaultError::io(&dir, e))?;
        let has_content = dir_non_empty(&dir.join("keys"))? || dir_non_empty(&dir.join("data"))?;
        let kek = FileMasterKey::load_or_create(&dir, has_content)?;
        Self::open_with_kek(dir, Box::new(kek))
    }

    /// Opens the vault in `dir` with another key-encryption key (a KMS or HSM).
    ///
    /// # Errors
    /// I/O when the directories cannot be created.
    pub fn open_with_kek(
        dir: impl AsRef<Path>,
        kek: Box<dyn KeyEncryptionKey>,
    ) -> Result<Self, VaultError> {
        let dir = dir.as_ref().to_path_buf();
        for sub in ["keys", "data"] {
            let p = dir.join(sub);
            fs::create_dir_all(&p).map_err(|e| VaultError::io(&p, e))?;
        }
        let pseudonyms = pseudonym::PseudonymKey::load_or_create(&dir, kek.as_ref())?;
        let credentials = credentials::CredentialKey::load_or_create(&dir, kek.as_ref())?;
        remove_interrupted_loads(&dir.join("data"))?;
        Ok(Self {
            dir,
            kek,
            pseudonyms,
            credentials,
            locks: Mutex::new(HashMap::new()),
        })
    }

    /// A login secret (a TOTP seed) of `owner` sealed for storage: only
    /// this vault's key opens it, and only for the same owner.
    ///
    /// # Errors
    /// [`VaultError::Random`] or [`VaultError::Encrypt`].
    pub fn seal_credential(&self, owner: &str, secret: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.credentials.seal(owner, secret)
    }

    /// The login secret of `owner` from its sealed form; `None` when it was
    /// sealed for another owner or key, or altered.
    #[must_use]
    pub fn open_credential(
        &self,
        owner: &str,
        stored: &[u8],
    ) -> Option<zeroize::Zeroizing<Vec<u8>>> {
        self.credentials.open(owner, stored)
    }

    /// The keyed pseudonym a direct identifier is stored as (the same in
    /// every dataset), for lookups and joins inside the trusted space.
    ///
    /// # Errors
    /// [`VaultError::Encrypt`] if the MAC cannot be computed.
    pub fn pseudonym(&self, value: &str) -> Result<String, VaultError> {
        self.pseudonyms.pseudonym(value)
    }

    /// A file for state the trusted space keeps beside the data (the
    /// sandbox's release history); never data values.
    pub fn state_path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn keys_dir(&self) -> PathBuf {
        self.dir.join("keys")
    }

    fn dataset_dir(&self, id: &str) -> PathBuf {
        self.dir.join("data").join(id)
    }

    /// The per-dataset lock serialising ingestion and destruction of one dataset.
    fn lock(&self, id: &str) -> Arc<Mutex<()>> {
        let mut map = self.locks.lock().unwrap_or_else(PoisonError::into_inner);
        map.entry(id.to_owned()).or_default().clone()
    }
}
