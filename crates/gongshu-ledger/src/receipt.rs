//! Per-record receipts in the C2SP tlog-proof format: the entry's index, an
//! inclusion proof and the signed checkpoint it is proven against. We carry
//! the entry itself on the `extra` line so a receipt verifies on its own.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::checkpoint::{CheckpointError, open_checkpoint};
use crate::hash::{Hash, leaf_hash};
use crate::note::NoteVerifier;
use crate::proof::{ProofError, verify_inclusion};

const HEADER: &str = "c2sp.org/tlog-proof@v1";

/// A proof that one entry is in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Entry index.
    pub index: u64,
    /// The entry (leaf bytes).
    pub entry: Vec<u8>,
    /// Inclusion proof hashes.
    pub proof: Vec<Hash>,
    /// The signed checkpoint.
    pub checkpoint: String,
}

/// Why a receipt was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// Layout error.
    #[error("malformed receipt: {0}")]
    Malformed(&'static str),
    /// Checkpoint failed.
    #[error("receipt checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// Inclusion failed.
    #[error("receipt inclusion proof: {0}")]
    Proof(#[from] ProofError),
}

/// What a verified receipt proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReceipt {
    /// Entry index.
    pub index: u64,
    /// Tree size of the checkpoint.
    pub size: u64,
    /// Root of the checkpoint.
    pub root: Hash,
}

impl Receipt {
    /// Text form.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{HEADER}\nextra {}\nindex {}\n",
            B64.encode(&self.entry),
            self.index
        );
        for h in &self.proof {
            s.push_str(&B64.encode(h));
            s.push('\n');
        }
        s.push('\n');
        s.push_str(&self.checkpoint);
        s
    }

    /// Parses the text form.
    pub fn parse(text: &str) -> Result<Self, ReceiptError> {
        let (head, checkpoint) = text.split_once("\n\n").ok_or(ReceiptError::Malformed(
            "no blank line before the checkpoint",
        ))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(HEADER) {
            return Err(ReceiptError::Malformed(
                "first line is not c2sp.org/tlog-proof@v1",
            ));
        }
        let mut line = lines
            .next()
            .ok_or(ReceiptError::Malformed("missing index"))?;
        let mut entry = None;
        if let Some(x) = line.strip_prefix("extra ") {
            entry = Some(
                B64.decode(x)
                    .map_err(|_| ReceiptError::Malformed("extra is not base64"))?,
            );
            line = lines
                .next()
                .ok_or(ReceiptError::Malformed("missing index"))?;
        }
        let idx = line
            .strip_prefix("index ")
            .ok_or(ReceiptError::Malformed("missing index line"))?;
        if idx.is_empty()
            || !idx.bytes().all(|b| b.is_ascii_digit())
            || (idx.len() > 1 && idx.starts_with('0'))
        {
            return Err(ReceiptError::Malformed("index is not a decimal number"));
        }
        let index = idx
            .parse()
            .map_err(|_| ReceiptError::Malformed("index out of range"))?;
        let mut proof = Vec::new();
        for l in lines {
            let raw = B64
                .decode(l)
                .map_err(|_| ReceiptError::Malformed("proof hash is not base64"))?;
            proof.push(crate::proof::hash_from_slice(&raw)?);
        }
        Ok(Self {
            index,
            entry: entry.ok_or(ReceiptError::Malformed("receipt carries no entry"))?,
            proof,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the checkpoint signature and the entry's inclusion.
    pub fn verify(
        &self,
        verifier: &NoteVerifier,
        origin: Option<&str>,
    ) -> Result<VerifiedReceipt, ReceiptError> {
        let cp = open_checkpoint(&self.checkpoint, verifier, origin)?;
        verify_inclusion(
            self.index,
            cp.size,
            &leaf_hash(&self.entry),
            &self.proof,
            &cp.root,
        )?;
        Ok(VerifiedReceipt {
            index: self.index,
            size: cp.size,
            root: cp.root,
        })
    }
}
