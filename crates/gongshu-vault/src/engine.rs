//! Access for the query engine (the sandbox): where a version's encrypted
//! Parquet file lives and the properties that decrypt it. The DEK stays
//! inside `FileDecryptionProperties`; no accessor hands out its bytes.
//!
//! Unlike [`Vault::read_batches`] this does not hash the whole file first:
//! every Parquet module is AES-GCM authenticated with an AAD bound to the
//! dataset and version, so a modified or swapped file fails to decrypt, and
//! a second full read per query would cost the engine its speed.

use std::path::PathBuf;
use std::sync::Arc;

use parquet::encryption::decrypt::FileDecryptionProperties;

use crate::dataset::parquet_path;
use crate::ingest::file_aad;
use crate::schema::DatasetSchema;
use crate::{Vault, VaultError, keys};

/// One version, ready for the engine to read.
#[derive(Debug, Clone)]
pub struct EngineFile {
    /// Absolute path of the encrypted Parquet file.
    pub path: PathBuf,
    /// Rows in the version.
    pub rows: u64,
    /// The schema it was loaded with.
    pub schema: DatasetSchema,
    /// Decrypts the file (holds the unwrapped DEK).
    pub decryption: Arc<FileDecryptionProperties>,
}

impl Vault {
    /// Opens `version` of `dataset_id` for the sandbox's engine. Only the
    /// sandbox crate calls this: it is the choke point that decides what
    /// may be read and what may leave.
    ///
    /// # Errors
    /// [`VaultError::Destroyed`], [`VaultError::VersionNotFound`],
    /// [`VaultError::KeyMissing`], [`VaultError::KeyUnwrap`], I/O errors.
    pub fn open_for_engine(
        &self,
        dataset_id: &str,
        version: u32,
    ) -> Result<EngineFile, VaultError> {
        let info = self.version_info(dataset_id, version)?;
        let dek = keys::unwrap_dek(self.kek.as_ref(), &self.keys_dir(), dataset_id, version)?;
        let decryption = FileDecryptionProperties::builder(dek.bytes().to_vec())
            .with_aad_prefix(file_aad(dataset_id, version))
            .build()?;
        let path = parquet_path(&self.dataset_dir(dataset_id), version);
        let path = std::path::absolute(&path).map_err(|e| VaultError::io(&path, e))?;
        Ok(EngineFile {
            path,
            rows: info.rows,
            schema: info.schema,
            decryption,
        })
    }
}
