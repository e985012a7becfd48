//! Inclusion and consistency proofs, generated and verified exactly as
//! RFC 9162 §2.1.3 and §2.1.4 specify. The verifier follows the stricter
//! edge-case policy of transparency-dev/merkle (see the shared vectors'
//! README): a consistency proof from size 0 is meaningless and rejected;
//! equal sizes need an empty proof and equal roots.

use crate::hash::{HASH_LEN, Hash, node_hash};
use crate::tree::{MerkleTree, largest_power_of_two_below};

/// Why a proof could not be made or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The index is not inside the tree.
    #[error("leaf index {index} is not below tree size {size}")]
    IndexBeyondSize {
        /// Leaf index asked for.
        index: u64,
        /// Tree size given.
        size: u64,
    },
    /// A size is larger than the tree we hold.
    #[error("size {size} is beyond the tree's size {tree_size}")]
    SizeBeyondTree {
        /// Size asked for.
        size: u64,
        /// Size of the tree.
        tree_size: u64,
    },
    /// The first size of a consistency proof exceeds the second.
    #[error("old size {old} is larger than new size {new}")]
    SizesReversed {
        /// The earlier size.
        old: u64,
        /// The later size.
        new: u64,
    },
    /// Consistency from the empty tree proves nothing.
    #[error("a consistency proof from size 0 is meaningless")]
    FromEmptyTree,
    /// The proof has the wrong number of hashes.
    #[error("proof has {got} hashes, expected {want}")]
    WrongLength {
        /// Hashes supplied.
        got: usize,
        /// Hashes the sizes require.
        want: usize,
    },
    /// A proof element or a hash is not 32 bytes.
    #[error("a hash is {0} bytes, not 32")]
    BadHashLength(usize),
    /// The recomputed root differs from the expected one.
    #[error("recomputed root does not match the expected root")]
    RootMismatch,
}

/// Parses a list of byte strings into hashes, rejecting any of the wrong length.
pub fn hashes_from_slices<T: AsRef<[u8]>>(items: &[T]) -> Result<Vec<Hash>, ProofError> {
    items
        .iter()
        .map(|i| {
            let s = i.as_ref();
            <Hash>::try_from(s).map_err(|_| ProofError::BadHashLength(s.len()))
        })
        .collect()
}

/// Checks a slice is exactly one hash.
pub fn hash_from_slice(s: &[u8]) -> Result<Hash, ProofError> {
    if s.len() != HASH_LEN {
        return Err(ProofError::BadHashLength(s.len()));
    }
    <Hash>::try_from(s).map_err(|_| ProofError::BadHashLength(s.len()))
}

impl MerkleTree {
    /// Inclusion proof PATH(index, D\[0:size\]) of RFC 9162 §2.1.3.1.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeBeyondTree {
                size,
                tree_size: self.size(),
            });
        }
        if index >= size {
            return Err(ProofError::IndexBeyondSize { index, size });
        }
        let mut out = Vec::new();
        self.path(index, 0, size, &mut out)?;
        Ok(out)
    }

    fn path(&self, m: u64, lo: u64, hi: u64, out: &mut Vec<Hash>) -> Result<(), ProofError> {
        let n = hi - lo;
        if n <= 1 {
            return Ok(());
        }
        let k = largest_power_of_two_below(n);
        if m - lo < k {
            self.path(m, lo, lo + k, out)?;
            out.push(self.range_hash(lo + k, hi)?);
        } else {
            self.path(m, lo + k, hi, out)?;
            out.push(self.range_hash(lo, lo + k)?);
        }
        Ok(())
    }

    /// Consistency proof PROOF(old, D\[0:new\]) of RFC 9162 §2.1.4.1.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        if new > self.size() {
            return Err(ProofError::SizeBeyondTree {
                size: new,
                tree_size: self.size(),
            });
        }
        if old > new {
            return Err(ProofError::SizesReversed { old, new });
        }
        let mut out = Vec::new();
        if old == 0 || old == new {
            return Ok(out);
        }
        self.subproof(old, 0, new, true, &mut out)?;
        Ok(out)
    }

    fn subproof(
        &self,
        m: u64,
        lo: u64,
        hi: u64,
        complete: bool,
        out: &mut Vec<Hash>,
    ) -> Result<(), ProofError> {
        let n = hi - lo;
        if m == n {
            if !complete {
                out.push(self.range_hash(lo, hi)?);
            }
            return Ok(());
        }
        let k = largest_power_of_two_below(n);
        if m <= k {
            self.subproof(m, lo, lo + k, complete, out)?;
            out.push(self.range_hash(lo + k, hi)?);
        } else {
            self.subproof(m - k, lo + k, hi, false, out)?;
            out.push(self.range_hash(lo, lo + k)?);
        }
        Ok(())
    }
}

/// Number of hashes in an inclusion proof for `index` in a tree of `size`.
fn inclusion_len(index: u64, size: u64) -> usize {
    // Inner part: the levels where index and size-1 share a subtree.
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    // Border part: the right border nodes above the inner part.
    let border = (index >> inner).count_ones();
    (inner + border) as usize
}

/// Root implied by a leaf hash and its inclusion proof (RFC 9162 §2.1.3.2).
pub fn root_from_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= size {
        return Err(ProofError::IndexBeyondSize { index, size });
    }
    let want = inclusion_len(index, size);
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    Ok(r)
}

/// Verifies that `leaf` is at `index` in the tree of `size` with `root`.
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    if root_from_inclusion(index, size, leaf, proof)? == *root {
        Ok(())
    } else {
        Err(ProofError::RootMismatch)
    }
}

/// Verifies that the tree (`old`, `old_root`) is a prefix of (`new`, `new_root`)
/// (RFC 9162 §2.1.4.2).
pub fn verify_consistency(
    old: u64,
    new: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::SizesReversed { old, new });
    }
    if old == new {
        if !proof.is_empty() {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want: 0,
            });
        }
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if old == 0 {
        return Err(ProofError::FromEmptyTree);
    }
    // Expected length: inclusion-like path of old-1 in new, trimmed of the
    // levels where old is a complete subtree, plus the seed unless old is a
    // power of two.
    let shift = old.trailing_zeros();
    let inner = 64 - ((old - 1) ^ (new - 1)).leading_zeros();
    let border = ((old - 1) >> inner).count_ones();
    let mut want = (inner + border - shift) as usize;
    if !old.is_power_of_two() {
        want += 1;
    }
    if proof.len() != want {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return Err(ProofError::WrongLength { got: 0, want });
    };
    let mut fnode = old - 1;
    let mut snode = new - 1;
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let mut fr = *first;
    let mut sr = *first;
    for c in rest {
        if snode == 0 {
            return Err(ProofError::WrongLength {
                got: proof.len(),
                want,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(ProofError::WrongLength {
            got: proof.len(),
            want,
        });
    }
    if fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}
