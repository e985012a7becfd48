//! gongshu-ledger: the tamper-evident audit log (审计日志).
//!
//! An RFC 9162 Merkle tree over SHA-256, stored as C2SP tlog-tiles static
//! files, with C2SP tlog-checkpoint signed notes (Ed25519), inclusion and
//! consistency proofs, durable group-committed appends, retention of record
//! payloads, per-record receipts (C2SP tlog-proof) and an offline verifier.
//! It depends on nothing else of gongshu.
#![warn(missing_docs)]

pub mod checkpoint;
pub mod civil;
mod fsutil;
pub mod hash;
mod journal;
mod ledger;
pub mod note;
mod payloads;
pub mod proof;
pub mod receipt;
pub mod record;
pub mod tiles;
pub mod tree;
pub mod verify;

use std::path::{Path, PathBuf};

pub use checkpoint::{Checkpoint, CheckpointError, open_checkpoint};
pub use hash::{Hash, empty_root, leaf_hash, node_hash};
pub use ledger::{Appended, Clock, Ledger, LedgerOptions, NewRecord, StoredRecord};
pub use note::{NoteError, NoteSigner, NoteVerifier, OpenedNote, open_note};
pub use proof::{ProofError, verify_consistency, verify_inclusion};
pub use receipt::{Receipt, ReceiptError};
pub use record::{LeafRecord, RecordError, RetentionClass};
pub use tiles::TileError;
pub use tree::MerkleTree;
pub use verify::{VerifyError, VerifyReport};

/// Everything that can go wrong in the ledger.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// A file operation failed. Appends are refused from then on.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// File or directory concerned.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// An earlier write failed; the ledger refuses appends until reopened.
    #[error("the audit log failed earlier and refuses writes until it is reopened")]
    Poisoned,
    /// The ledger is shutting down.
    #[error("the audit log is closed")]
    Closed,
    /// Stored data is damaged.
    #[error("audit log storage is corrupt: {0}")]
    Corrupt(String),
    /// The log is shorter than a checkpoint already signed: old files restored.
    #[error(
        "log has {have} entries but a checkpoint of size {signed} was already signed (old files restored?)"
    )]
    RolledBack {
        /// Size already signed.
        signed: u64,
        /// Size found.
        have: u64,
    },
    /// The log's prefix differs from a checkpoint already signed.
    #[error("log at size {size} does not match the checkpoint already signed (fork)")]
    Forked {
        /// Size of the signed checkpoint.
        size: u64,
    },
    /// A retention period below its legal floor was configured.
    #[error("retention of {days} days for {class} is below the floor of {floor} days")]
    RetentionBelowFloor {
        /// Class code.
        class: &'static str,
        /// Days configured.
        days: u32,
        /// Minimum days.
        floor: u32,
    },
    /// No such entry.
    #[error("no audit entry with index {0}")]
    NotFound(u64),
    /// A payload no longer matches its leaf's commitment.
    #[error("payload of entry {index} does not match its commitment")]
    PayloadTampered {
        /// Entry index.
        index: u64,
    },
    /// A payload file is damaged.
    #[error("payload file {path} is corrupt")]
    CorruptPayloadFile {
        /// The file.
        path: PathBuf,
    },
    /// The OS random generator failed.
    #[error("random generator failed: {0}")]
    Random(String),
    /// A payload or record exceeds a size limit.
    #[error("record too large: {0} bytes")]
    TooLarge(usize),
    /// Invalid record.
    #[error(transparent)]
    Record(#[from] RecordError),
    /// Invalid note or key.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// Proof failure.
    #[error(transparent)]
    Proof(#[from] ProofError),
    /// Tile failure.
    #[error(transparent)]
    Tile(#[from] TileError),
}

impl LedgerError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
