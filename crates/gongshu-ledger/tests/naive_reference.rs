//! Proofs compared with a naive, literal transcription of RFC 9162's
//! recursive definitions for random tree sizes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code: a failed unwrap is a failed test"
)]

use gongshu_ledger::hash::{Hash, empty_root, leaf_hash, node_hash};
use gongshu_ledger::{MerkleTree, verify_consistency, verify_inclusion};
use proptest::prelude::*;

fn k_of(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

fn mth(d: &[Vec<u8>]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => leaf_hash(&d[0]),
        n => {
            let k = k_of(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

fn path(m: usize, d: &[Vec<u8>]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return vec![];
    }
    let k = k_of(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

fn subproof(m: usize, d: &[Vec<u8>], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { vec![] } else { vec![mth(d)] };
    }
    let k = k_of(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

fn leaves(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("leaf-{i}").into_bytes()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn proofs_match_the_rfc_definitions(n in 1usize..3000, a in any::<usize>(), b in any::<usize>()) {
        let d = leaves(n);
        let tree = MerkleTree::from_leaf_hashes(d.iter().map(|l| leaf_hash(l)));
        prop_assert_eq!(tree.root(), mth(&d));
        let size = (a % n) + 1;
        let m = b % size;
        let p = tree.inclusion_proof(m as u64, size as u64).unwrap();
        prop_assert_eq!(&p, &path(m, &d[..size]));
        let root = tree.root_at(size as u64).unwrap();
        prop_assert_eq!(root, mth(&d[..size]));
        prop_assert!(verify_inclusion(m as u64, size as u64, &leaf_hash(&d[m]), &p, &root).is_ok());
        // A proof for a different leaf never verifies.
        if size > 1 {
            let other = (m + 1) % size;
            prop_assert!(verify_inclusion(other as u64, size as u64, &leaf_hash(&d[m]), &p, &root).is_err());
        }
        let old = (b % size) + 1;
        let c = tree.consistency_proof(old as u64, size as u64).unwrap();
        let want = if old == size { vec![] } else { subproof(old, &d[..size], true) };
        prop_assert_eq!(&c, &want);
        let c = want;
        let old_root = mth(&d[..old]);
        prop_assert!(verify_consistency(old as u64, size as u64, &old_root, &root, &c).is_ok());
        if old < size {
            let mut bad = c;
            bad[0][0] ^= 1;
            prop_assert!(verify_consistency(old as u64, size as u64, &old_root, &root, &bad).is_err());
        }
    }
}
