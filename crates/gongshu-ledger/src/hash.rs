//! RFC 9162 §2.1.1 hashing: SHA-256 with domain separation between leaves
//! (prefix 0x00) and interior nodes (prefix 0x01). Nothing else hashes tree data.

use sha2::{Digest, Sha256};

/// Length of every hash in the log.
pub const HASH_LEN: usize = 32;

/// A SHA-256 hash of a leaf, a node or a tree.
pub type Hash = [u8; HASH_LEN];

/// Merkle tree hash of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Leaf hash: SHA-256(0x00 ‖ data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// Interior node hash: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Plain SHA-256, for key ids and record digests.
pub fn sha256(data: &[u8]) -> Hash {
    Sha256::digest(data).into()
}
