//! The vault's typed errors.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VaultError {
    /// A filesystem operation failed.
    #[error("vault I/O error on {path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The vault directory holds data or keys but no master key: refuse
    /// rather than create a new key over existing data.
    #[error(
        "master key {path} is missing but the vault already holds keys or data; restore the key file (a new key would make the data unreadable)"
    )]
    MasterKeyMissing {
        /// Where the master key was expected.
        path: PathBuf,
    },
    /// The master key file is malformed, does not match the vault, or has
    /// permissions wider than owner-only.
    #[error("master key {path} rejected: {reason}")]
    MasterKeyInvalid {
        /// The master key file.
        path: PathBuf,
        /// Why it was rejected (never contains key material).
        reason: &'static str,
    },
    /// A wrapped data key failed to unwrap (wrong master key or tampered key store).
    #[error(
        "data key for dataset {dataset} version {version} cannot be unwrapped (wrong master key or tampered key store)"
    )]
    KeyUnwrap {
        /// The dataset.
        dataset: String,
        /// The version.
        version: u32,
    },
    /// No data key exists for this version (destroyed or never created).
    #[error(
        "no data key for dataset {dataset} version {version}: the key was destroyed or never existed"
    )]
    KeyMissing {
        /// The dataset.
        dataset: String,
        /// The version.
        version: u32,
    },
    /// The dataset was crypto-shredded; its data can never be read again.
    #[error("dataset {dataset} was destroyed; its data keys no longer exist")]
    Destroyed {
        /// The dataset.
        dataset: String,
    },
    /// No such dataset.
    #[error("dataset {dataset} not found")]
    DatasetNotFound {
        /// The dataset.
        dataset: String,
    },
    /// No such version of a dataset.
    #[error("dataset {dataset} has no version {version}")]
    VersionNotFound {
        /// The dataset.
        dataset: String,
        /// The version.
        version: u32,
    },
    /// A dataset id is not acceptable (allowed: ASCII letters, digits, `-`, `_`, `.`; 1..=128; not starting with `.`).
    #[error("invalid dataset id {0:?}")]
    InvalidDatasetId(String),
    /// The caller's schema is unusable (empty, duplicate column names ...).
    #[error("invalid schema: {0}")]
    InvalidSchema(String),
    /// The CSV input is malformed at a given place.
    #[error("CSV line {line}, column {column} ({column_name}): {reason}")]
    Csv {
        /// 1-based line number in the input (the header is line 1).
        line: u64,
        /// 1-based column number.
        column: usize,
        /// Column name from the schema (empty when unknown).
        column_name: String,
        /// What is wrong.
        reason: String,
    },
    /// The input is not in the declared (or detected) text encoding.
    #[error("input is not valid {encoding} text at byte {byte_offset}")]
    Encoding {
        /// The encoding decoded with.
        encoding: &'static str,
        /// Offset of the first malformed byte.
        byte_offset: u64,
    },
    /// More malformed rows than the load allows; nothing was stored.
    #[error("more than {limit} malformed rows; the load was abandoned")]
    TooManyBadRows {
        /// The allowed number.
        limit: u64,
        /// The first malformed rows.
        samples: Vec<crate::BadRow>,
    },
    /// The ciphertext on disk does not match the hash recorded at ingestion.
    #[error(
        "ciphertext of dataset {dataset} version {version} does not match its recorded SHA-256 (tampered or corrupt)"
    )]
    CiphertextMismatch {
        /// The dataset.
        dataset: String,
        /// The version.
        version: u32,
    },
    /// Parquet encoding or decoding (including decryption) failed.
    #[error("parquet error: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    /// Arrow array construction failed.
    #[error("arrow error: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// A vault metadata file is malformed.
    #[error("malformed vault metadata {path}: {reason}")]
    Metadata {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("random number generator failed")]
    Random,
    /// An encryption operation failed (should not happen with valid keys).
    #[error("encryption failed")]
    Encrypt,
}

impl From<crate::BadRow> for VaultError {
    fn from(b: crate::BadRow) -> Self {
        Self::Csv {
            line: b.line,
            column: b.column,
            column_name: b.column_name,
            reason: b.reason,
        }
    }
}

impl VaultError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn meta(path: &Path, reason: impl std::fmt::Display) -> Self {
        Self::Metadata {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        }
    }
}
