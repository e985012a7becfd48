//! C2SP tlog-checkpoint bodies: origin, tree size, root hash, extension lines.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::hash::Hash;
use crate::note::{NoteError, NoteVerifier, open_note};

/// A checkpoint body as committed to by a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Log origin (first line), unique per log.
    pub origin: String,
    /// Number of entries.
    pub size: u64,
    /// Root hash of the tree of `size` entries.
    pub root: Hash,
    /// Optional extension lines, kept verbatim.
    pub extensions: Vec<String>,
}

/// Why a checkpoint body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Layout error in the body.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The signed note around it failed.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The origin is not the one expected.
    #[error("checkpoint origin {found:?} is not the expected {expected:?}")]
    WrongOrigin {
        /// Origin expected (the verifier key's name unless told otherwise).
        expected: String,
        /// Origin found.
        found: String,
    },
}

impl Checkpoint {
    /// The text a signature covers.
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            s.push_str(e);
            s.push('\n');
        }
        s
    }

    /// Parses a checkpoint body (the text of a signed note).
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("does not end in a newline"))?;
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|o| !o.is_empty())
            .ok_or(CheckpointError::Malformed("missing origin"))?;
        let size_s = lines
            .next()
            .ok_or(CheckpointError::Malformed("missing tree size"))?;
        if size_s.is_empty()
            || !size_s.bytes().all(|b| b.is_ascii_digit())
            || (size_s.len() > 1 && size_s.starts_with('0'))
        {
            return Err(CheckpointError::Malformed(
                "tree size is not a decimal number",
            ));
        }
        let size = size_s
            .parse::<u64>()
            .map_err(|_| CheckpointError::Malformed("tree size out of range"))?;
        let root_s = lines
            .next()
            .ok_or(CheckpointError::Malformed("missing root hash"))?;
        let root_raw = B64
            .decode(root_s)
            .map_err(|_| CheckpointError::Malformed("root hash is not base64"))?;
        let root: Hash = root_raw
            .as_slice()
            .try_into()
            .map_err(|_| CheckpointError::Malformed("root hash is not 32 bytes"))?;
        let mut extensions = Vec::new();
        for l in lines {
            if l.is_empty() {
                return Err(CheckpointError::Malformed("empty extension line"));
            }
            extensions.push(l.to_owned());
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Opens a signed checkpoint with `verifier`: signature, then the body, then
/// the origin (which must equal `origin`, or the key name when `None`).
pub fn open_checkpoint(
    note: &str,
    verifier: &NoteVerifier,
    origin: Option<&str>,
) -> Result<Checkpoint, CheckpointError> {
    let opened = open_note(note, std::slice::from_ref(verifier))?;
    let cp = Checkpoint::parse(&opened.text)?;
    let expected = origin.unwrap_or(verifier.name());
    if cp.origin != expected {
        return Err(CheckpointError::WrongOrigin {
            expected: expected.to_owned(),
            found: cp.origin,
        });
    }
    Ok(cp)
}
