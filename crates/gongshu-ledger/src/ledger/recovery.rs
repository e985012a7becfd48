//! Opening a ledger: the signing key, the signer's high-water mark, and
//! recovery of the tree from the materialized tiles and the journal.

use std::path::Path;

use super::{TreeState, read_optional};
use crate::LedgerError;
use crate::fsutil::sync_dir;
use crate::hash::{Hash, leaf_hash};
use crate::journal::{Journal, JournalEntry, list_segments, read_segment};
use crate::note::NoteSigner;
use crate::tiles::{self, TILE_WIDTH};
use crate::tree::MerkleTree;

pub(super) fn load_or_create_signer(path: &Path, origin: &str) -> Result<NoteSigner, LedgerError> {
    if let Some(bytes) = read_optional(path)? {
        let text = String::from_utf8(bytes)
            .map_err(|_| LedgerError::Corrupt("signer key file is not UTF-8".into()))?;
        let signer = NoteSigner::parse(text.trim())?;
        // A key file left group- or world-readable (copied, restored) is
        // tightened at once.
        restrict_permissions(path)?;
        if signer.name() != origin {
            return Err(LedgerError::Corrupt(format!(
                "signer key is for origin {:?}, configured origin is {origin:?}",
                signer.name()
            )));
        }
        return Ok(signer);
    }
    let signer = NoteSigner::generate(origin)?;
    crate::fsutil::write_secret(path, format!("{}\n", signer.to_skey()).as_bytes())?;
    Ok(signer)
}

#[cfg(unix)]
pub(super) fn restrict_permissions(path: &Path) -> Result<(), LedgerError> {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| LedgerError::io(path, e))
}

#[cfg(not(unix))]
pub(super) fn restrict_permissions(_path: &Path) -> Result<(), LedgerError> {
    Ok(())
}

pub(super) fn encode_state(size: u64, root: &Hash) -> String {
    let mut hex = String::new();
    for b in root {
        hex.push_str(&format!("{b:02x}"));
    }
    format!("{size} {hex}\n")
}

pub(super) fn decode_state(bytes: &[u8]) -> Result<(u64, Hash), LedgerError> {
    let bad = || LedgerError::Corrupt("state file is malformed".into());
    let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
    let (size, hex) = text.trim().split_once(' ').ok_or_else(bad)?;
    let size = size.parse().map_err(|_| bad())?;
    if hex.len() != 64 {
        return Err(bad());
    }
    let mut root = [0u8; 32];
    for (i, slot) in root.iter_mut().enumerate() {
        let pair = hex.get(2 * i..2 * i + 2).ok_or_else(bad)?;
        *slot = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok((size, root))
}

pub(super) fn check_signer_state(path: &Path, tree: &MerkleTree) -> Result<(), LedgerError> {
    let Some(bytes) = read_optional(path)? else {
        return Ok(());
    };
    let (signed, root) = decode_state(&bytes)?;
    if signed > tree.size() {
        return Err(LedgerError::RolledBack {
            signed,
            have: tree.size(),
        });
    }
    if tree.root_at(signed)? != root {
        return Err(LedgerError::Forked { size: signed });
    }
    Ok(())
}

/// Rebuilds the tree from the materialized tiles and the journal.
pub(super) fn recover(
    log_dir: &Path,
    journal_dir: &Path,
    marker_path: &Path,
) -> Result<(TreeState, Journal), LedgerError> {
    let (m, m_root) = match read_optional(marker_path)? {
        Some(b) => decode_state(&b)?,
        None => (0, crate::hash::empty_root()),
    };
    let mut tree = MerkleTree::new();
    let mut tail_bundle = Vec::new();
    for t in tiles::tiles_for_size(m)
        .into_iter()
        .filter(|t| t.level == 0)
    {
        let path = log_dir.join(tiles::tile_path(0, t.index, t.width));
        let bytes = std::fs::read(&path).map_err(|e| LedgerError::io(&path, e))?;
        for h in tiles::parse_tile(&bytes, t.width)? {
            tree.push_leaf_hash(h);
        }
        if t.width < TILE_WIDTH {
            let bpath = log_dir.join(tiles::bundle_path(t.index, t.width));
            let bytes = std::fs::read(&bpath).map_err(|e| LedgerError::io(&bpath, e))?;
            let entries = tiles::parse_bundle(&bytes)?;
            for (i, e) in entries.iter().enumerate() {
                if tree.leaf(t.index * TILE_WIDTH + i as u64) != Some(leaf_hash(e)) {
                    return Err(LedgerError::Corrupt(format!(
                        "entry bundle {} does not match its tile",
                        bpath.display()
                    )));
                }
            }
            tail_bundle = entries.into_iter().map(<[u8]>::to_vec).collect();
        }
    }
    if tree.root_at(m)? != m_root {
        return Err(LedgerError::Corrupt(
            "materialized tiles do not match the recorded root".into(),
        ));
    }
    let mut state = TreeState {
        tree,
        tail_bundle,
        completed_bundles: Vec::new(),
        recent: Vec::new(),
        recent_first: m,
    };
    let segments = list_segments(journal_dir)?;
    let last = segments.len().checked_sub(1);
    let mut current: Option<(u64, u64)> = None;
    for (i, (first, path)) in segments.iter().enumerate() {
        let (entries, valid_len, clean) = read_segment(path)?;
        let is_last = Some(i) == last;
        if !clean && !is_last {
            return Err(LedgerError::Corrupt(format!(
                "journal segment {} is damaged before its end",
                path.display()
            )));
        }
        for e in entries {
            let size = state.tree.size();
            if e.index < size {
                if state.tree.leaf(e.index) != Some(leaf_hash(&e.leaf)) {
                    return Err(LedgerError::Forked { size: e.index + 1 });
                }
                continue;
            }
            if e.index > size {
                return Err(LedgerError::Corrupt(format!(
                    "journal skips from {size} to {}",
                    e.index
                )));
            }
            state.push(e);
        }
        if is_last {
            current = Some((*first, valid_len));
        }
    }
    // Segments wholly below the materialized size are leftovers of an
    // interrupted rotation.
    let journal = match current {
        Some((first, len)) if first >= m || state.tree.size() > m => {
            Journal::open(journal_dir, first, len)?
        }
        _ => Journal::open(journal_dir, state.tree.size(), 0)?,
    };
    for (first, path) in segments {
        if first < journal.first {
            std::fs::remove_file(&path).map_err(|e| LedgerError::io(&path, e))?;
        }
    }
    sync_dir(journal.dir())?;
    Ok((state, journal))
}

impl TreeState {
    pub(super) fn push(&mut self, e: JournalEntry) {
        let index = self.tree.size();
        self.tree.push_leaf_hash(leaf_hash(&e.leaf));
        self.tail_bundle.push(e.leaf.clone());
        if self.tail_bundle.len() as u64 == TILE_WIDTH {
            let full = std::mem::take(&mut self.tail_bundle);
            let bytes = tiles::encode_bundle(full.iter().map(Vec::as_slice)).unwrap_or_default();
            self.completed_bundles.push((index / TILE_WIDTH, bytes));
        }
        self.recent.push(e);
    }
}
