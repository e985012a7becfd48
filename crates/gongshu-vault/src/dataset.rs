//! Versions: ingestion, metadata, the read path and quality profiles.

use std::fs::{self, File};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::PoisonError;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use parquet::arrow::arrow_reader::{
    ArrowReaderOptions, ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};
use parquet::encryption::decrypt::FileDecryptionProperties;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::ingest::{BATCH_ROWS, BadRow, LoadOptions, file_aad};
use crate::keys::{self, Dek, KeyStore, WrappedKey, dek_aad};
use crate::quality::{QualityProfile, Validators};
use crate::schema::DatasetSchema;
use crate::shred::TOMBSTONE;
use crate::{Vault, VaultError, check_id, fsutil};

/// Metadata of one immutable version (stored in plaintext: no data values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Dataset id.
    pub dataset_id: String,
    /// Version number, from 1.
    pub version: u32,
    /// Rows in the version.
    pub rows: u64,
    /// Size of the encrypted Parquet file in bytes.
    pub bytes: u64,
    /// Hex SHA-256 of the encrypted Parquet file (the ciphertext).
    pub sha256: String,
    /// Public id of the version's wrapped data key.
    pub key_id: String,
    /// When the version was committed.
    pub created_at: DateTime<Utc>,
    /// The schema the data was loaded with.
    pub schema: DatasetSchema,
}

pub(crate) fn parquet_path(dir: &Path, v: u32) -> PathBuf {
    dir.join(format!("v{v}.parquet"))
}
pub(crate) fn meta_path(dir: &Path, v: u32) -> PathBuf {
    dir.join(format!("v{v}.meta.json"))
}
pub(crate) fn profile_path(dir: &Path, v: u32) -> PathBuf {
    dir.join(format!("v{v}.profile.enc"))
}

fn profile_aad(dataset: &str, version: u32) -> Vec<u8> {
    format!("gongshu-vault/profile/v1\0{dataset}\0{version}").into_bytes()
}

/// The committed versions in a dataset directory (those with a metadata file), ascending.
pub(crate) fn committed_versions(dir: &Path) -> Result<Vec<VersionInfo>, VaultError> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(VaultError::io(dir, e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| VaultError::io(dir, e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('v') && name.ends_with(".meta.json") {
            let path = entry.path();
            let bytes = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
            let info: VersionInfo =
                serde_json::from_slice(&bytes).map_err(|e| VaultError::meta(&path, e))?;
            out.push(info);
        }
    }
    out.sort_by_key(|i| i.version);
    Ok(out)
}

/// The outcome of a load.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// The committed version.
    pub info: VersionInfo,
    /// Its quality profile (holds minima and maxima: data values, keep inside).
    pub profile: QualityProfile,
    /// Malformed rows skipped.
    pub rejected_rows: u64,
    /// The first malformed rows skipped.
    pub bad_rows: Vec<BadRow>,
    /// The encoding the input was read with.
    pub encoding: crate::Encoding,
}

/// Arrow record batches of one version, decrypted on the fly.
#[derive(Debug)]
pub struct Batches {
    inner: ParquetRecordBatchReader,
}

impl Batches {
    /// The Arrow schema of the batches.
    pub fn schema(&self) -> SchemaRef {
        arrow::record_batch::RecordBatchReader::schema(&self.inner)
    }
}

impl Iterator for Batches {
    type Item = Result<RecordBatch, VaultError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(|r| r.map_err(VaultError::from))
    }
}

impl Vault {
    fn check_not_destroyed(&self, id: &str) -> Result<(), VaultError> {
        if self.dataset_dir(id).join(TOMBSTONE).exists() {
            return Err(VaultError::Destroyed {
                dataset: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Loads `reader` (UTF-8 CSV with a header row equal to the schema's
    /// column names) as the next version of `dataset_id`. See
    /// [`Vault::ingest`].
    ///
    /// # Errors
    /// As [`Vault::ingest`].
    pub fn ingest_csv<R: Read>(
        &self,
        dataset_id: &str,
        reader: R,
        schema: &DatasetSchema,
    ) -> Result<VersionInfo, VaultError> {
        self.ingest(dataset_id, reader, schema, &LoadOptions::default())
            .map(|r| r.info)
    }

    /// Loads CSV as the next version, profiling quality with `validators`.
    ///
    /// # Errors
    /// As [`Vault::ingest`].
    pub fn ingest_csv_with<R: Read>(
        &self,
        dataset_id: &str,
        reader: R,
        schema: &DatasetSchema,
        validators: Validators,
    ) -> Result<VersionInfo, VaultError> {
        let options = LoadOptions {
            validators,
            ..LoadOptions::default()
        };
        self.ingest(dataset_id, reader, schema, &options)
            .map(|r| r.info)
    }

    /// Loads CSV (UTF-8 or GB18030) as the next version of `dataset_id`.
    /// A version is all or nothing: the file is written under a temporary
    /// name (ciphertext only), synced, renamed, and committed by writing its
    /// metadata last; on any failure no version becomes visible.
    /// Malformed rows fail the load, or are skipped and reported up to
    /// `options.max_bad_rows`; pseudonymised columns are stored as keyed
    /// pseudonyms.
    ///
    /// # Errors
    /// [`VaultError::Csv`] naming line and column, [`VaultError::Encoding`],
    /// [`VaultError::TooManyBadRows`], [`VaultError::Destroyed`],
    /// [`VaultError::InvalidDatasetId`], I/O and Parquet errors.
    pub fn ingest<R: Read>(
        &self,
        dataset_id: &str,
        reader: R,
        schema: &DatasetSchema,
        options: &LoadOptions,
    ) -> Result<LoadReport, VaultError> {
        check_id(dataset_id)?;
        let lock = self.lock(dataset_id);
        let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        self.check_not_destroyed(dataset_id)?;
        let dir = self.dataset_dir(dataset_id);
        fs::create_dir_all(&dir).map_err(|e| VaultError::io(&dir, e))?;
        let version = committed_versions(&dir)?
            .last()
            .map_or(1, |i| i.version + 1);

        let dek = Dek::generate()?;
        let final_path = parquet_path(&dir, version);
        let tmp = fsutil::tmp_sibling(&final_path)?;
        let written = crate::pipeline::write_version(
            &tmp,
            reader,
            schema,
            options,
            (&dek, &self.pseudonyms),
            file_aad(dataset_id, version),
        )?;
        let commit = || -> Result<LoadReport, VaultError> {
            // The wrapped key is durable before the ciphertext becomes visible.
            let wrapped = self.kek.wrap(dek.bytes(), &dek_aad(dataset_id, version))?;
            let wk = WrappedKey::new(version, &wrapped);
            let key_id = wk.key_id.clone();
            let keys_dir = self.keys_dir();
            let mut ks = KeyStore::load(&keys_dir, dataset_id)?.unwrap_or_else(|| KeyStore {
                dataset: dataset_id.to_owned(),
                keys: Vec::new(),
            });
            ks.keys.retain(|k| k.version != version);
            ks.keys.push(wk);
            ks.save(&keys_dir)?;
            fs::rename(&tmp, &final_path).map_err(|e| VaultError::io(&final_path, e))?;
            let profile_json = serde_json::to_vec(&written.profile)
                .map_err(|e| VaultError::meta(&final_path, e))?;
            let sealed = keys::seal(
                dek.bytes(),
                &profile_json,
                &profile_aad(dataset_id, version),
            )?;
            fsutil::write_atomic(&profile_path(&dir, version), &sealed)?;
            let info = VersionInfo {
                dataset_id: dataset_id.to_owned(),
                version,
                rows: written.rows,
                bytes: written.bytes,
                sha256: written.sha256.clone(),
                key_id,
                created_at: Utc::now(),
                schema: schema.clone(),
            };
            let meta =
                serde_json::to_vec_pretty(&info).map_err(|e| VaultError::meta(&final_path, e))?;
            fsutil::write_atomic(&meta_path(&dir, version), &meta)?;
            Ok(LoadReport {
                info,
                profile: written.profile.clone(),
                rejected_rows: written.rejected,
                bad_rows: written.bad_rows.clone(),
                encoding: written.encoding,
            })
        };
        let result = commit();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }

    /// The committed versions of a dataset, ascending.
    ///
    /// # Errors
    /// [`VaultError::Destroyed`], [`VaultError::DatasetNotFound`], I/O.
    pub fn versions(&self, dataset_id: &str) -> Result<Vec<VersionInfo>, VaultError> {
        check_id(dataset_id)?;
        self.check_not_destroyed(dataset_id)?;
        let v = committed_versions(&self.dataset_dir(dataset_id))?;
        if v.is_empty() {
            return Err(VaultError::DatasetNotFound {
                dataset: dataset_id.to_owned(),
            });
        }
        Ok(v)
    }

    pub(crate) fn version_info(
        &self,
        dataset_id: &str,
        version: u32,
    ) -> Result<VersionInfo, VaultError> {
        self.versions(dataset_id)?
            .into_iter()
            .find(|i| i.version == version)
            .ok_or_else(|| VaultError::VersionNotFound {
                dataset: dataset_id.to_owned(),
                version,
            })
    }

    /// **The only read path** to a dataset's rows (the sandbox's choke
    /// point): unwraps the version's DEK, checks the ciphertext against its
    /// recorded SHA-256, and streams decrypted Arrow batches. Nothing else
    /// in the vault returns data values.
    ///
    /// # Errors
    /// [`VaultError::Destroyed`], [`VaultError::VersionNotFound`],
    /// [`VaultError::KeyMissing`], [`VaultError::KeyUnwrap`],
    /// [`VaultError::CiphertextMismatch`], Parquet decryption errors.
    pub fn read_batches(&self, dataset_id: &str, version: u32) -> Result<Batches, VaultError> {
        let info = self.version_info(dataset_id, version)?;
        let dek = keys::unwrap_dek(self.kek.as_ref(), &self.keys_dir(), dataset_id, version)?;
        let path = parquet_path(&self.dataset_dir(dataset_id), version);
        let mut file = File::open(&path).map_err(|e| VaultError::io(&path, e))?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = file.read(&mut buf).map_err(|e| VaultError::io(&path, e))?;
            match buf.get(..n) {
                Some(chunk) if n > 0 => hasher.update(chunk),
                _ => break,
            }
        }
        if hex::encode(hasher.finalize().as_slice()) != info.sha256 {
            return Err(VaultError::CiphertextMismatch {
                dataset: dataset_id.to_owned(),
                version,
            });
        }
        let file = File::open(&path).map_err(|e| VaultError::io(&path, e))?;
        let dec = FileDecryptionProperties::builder(dek.bytes().to_vec())
            .with_aad_prefix(file_aad(dataset_id, version))
            .build()?;
        let options = ArrowReaderOptions::new().with_file_decryption_properties(dec);
        let inner = ParquetRecordBatchReaderBuilder::try_new_with_options(file, options)?
            .with_batch_size(BATCH_ROWS)
            .build()?;
        Ok(Batches { inner })
    }

    /// The quality profile of a version (stored encrypted under the
    /// version's DEK, since minima and maxima are data values).
    ///
    /// # Errors
    /// As [`Vault::read_batches`].
    pub fn quality_profile(
        &self,
        dataset_id: &str,
        version: u32,
    ) -> Result<QualityProfile, VaultError> {
        self.version_info(dataset_id, version)?;
        let dek = keys::unwrap_dek(self.kek.as_ref(), &self.keys_dir(), dataset_id, version)?;
        let path = profile_path(&self.dataset_dir(dataset_id), version);
        let sealed = fs::read(&path).map_err(|e| VaultError::io(&path, e))?;
        let json = keys::open_sealed(dek.bytes(), &sealed, &profile_aad(dataset_id, version))
            .ok_or_else(|| VaultError::meta(&path, "profile does not authenticate"))?;
        serde_json::from_slice(&json).map_err(|e| VaultError::meta(&path, e))
    }
}
