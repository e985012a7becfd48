//! In-memory Merkle tree over all leaf hashes, kept level by level so that
//! any perfect subtree hash is one lookup and proofs cost O(log n) hashes.
//!
//! Memory is two hashes per leaf (64 bytes): 10^7 entries take about 640 MB.
//! Paging the lowest levels from the level-0 tiles is the planned refinement.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash};
use crate::proof::ProofError;

/// The whole tree: `levels[l][i]` is the hash of the perfect subtree of
/// 2^l leaves that starts at leaf `i << l`.
#[derive(Debug, Clone, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self {
            levels: vec![Vec::new()],
        }
    }

    /// Builds a tree from leaf hashes (already `leaf_hash`ed).
    pub fn from_leaf_hashes(hashes: impl IntoIterator<Item = Hash>) -> Self {
        let mut tree = Self::new();
        for h in hashes {
            tree.push_leaf_hash(h);
        }
        tree
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends the hash of one more leaf.
    pub fn push_leaf_hash(&mut self, hash: Hash) {
        let mut level = 0;
        let mut carry = hash;
        loop {
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            let Some(row) = self.levels.get_mut(level) else {
                return;
            };
            row.push(carry);
            let n = row.len();
            if n % 2 != 0 {
                return;
            }
            match (row.get(n - 2), row.get(n - 1)) {
                (Some(l), Some(r)) => carry = node_hash(l, r),
                _ => return,
            }
            level += 1;
        }
    }

    /// Appends one leaf's data.
    pub fn push_leaf(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Hash of the perfect subtree at `level` and `index`, if complete.
    pub fn node(&self, level: u32, index: u64) -> Option<Hash> {
        let row = self.levels.get(level as usize)?;
        row.get(usize::try_from(index).ok()?).copied()
    }

    /// The leaf hash at `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        self.node(0, index)
    }

    /// Merkle tree hash of the first `size` leaves (RFC 9162 §2.1.1).
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeBeyondTree {
                size,
                tree_size: self.size(),
            });
        }
        if size == 0 {
            return Ok(empty_root());
        }
        self.range_hash(0, size)
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.root_at(self.size()).unwrap_or_else(|_| empty_root())
    }

    /// MTH(D\[lo:hi\]) for `lo < hi <= size` where `lo` is aligned the way
    /// RFC 9162's recursive split produces it.
    pub(crate) fn range_hash(&self, lo: u64, hi: u64) -> Result<Hash, ProofError> {
        let len = hi - lo;
        if len == 0 || hi > self.size() {
            return Err(ProofError::SizeBeyondTree {
                size: hi,
                tree_size: self.size(),
            });
        }
        if len.is_power_of_two() && lo.is_multiple_of(len) {
            let level = len.trailing_zeros();
            return self
                .node(level, lo >> level)
                .ok_or(ProofError::SizeBeyondTree {
                    size: hi,
                    tree_size: self.size(),
                });
        }
        let k = largest_power_of_two_below(len);
        let left = self.range_hash(lo, lo + k)?;
        let right = self.range_hash(lo + k, hi)?;
        Ok(node_hash(&left, &right))
    }
}

/// The largest power of two strictly smaller than `n` (n ≥ 2).
pub(crate) fn largest_power_of_two_below(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1u64 << (63 - (n - 1).leading_zeros())
}
