//! Offline verification of a log laid out as C2SP tlog-tiles files: the
//! checkpoint signature, every entry bundle against its level-0 tile, every
//! higher tile against the hashes below it, the root against the checkpoint,
//! and optionally consistency with an earlier checkpoint. It reads only the
//! spec's files, so logs of other implementations verify too.

use std::path::{Path, PathBuf};

use crate::checkpoint::{Checkpoint, CheckpointError, open_checkpoint};
use crate::hash::{Hash, leaf_hash};
use crate::note::NoteVerifier;
use crate::proof::{ProofError, verify_consistency};
use crate::tiles::{self, TILE_HEIGHT, TILE_WIDTH, TileError};
use crate::tree::MerkleTree;

/// What failed, naming the file and position.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The checkpoint failed (signature, layout or origin).
    #[error("checkpoint {path}: {source}")]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: CheckpointError,
    },
    /// A tile or bundle is malformed.
    #[error("{path}: {source}")]
    Tile {
        /// The file.
        path: PathBuf,
        /// Cause.
        source: TileError,
    },
    /// An entry does not hash to its level-0 tile hash.
    #[error("entry {index} in {path} does not match its hash in level-0 tile {tile}")]
    BundleMismatch {
        /// The bundle.
        path: PathBuf,
        /// The level-0 tile it disagrees with.
        tile: PathBuf,
        /// Entry index in the log.
        index: u64,
    },
    /// A tile hash differs from the one computed from the level below.
    #[error("hash {position} of {path} does not match the tiles below it")]
    TileMismatch {
        /// The tile.
        path: PathBuf,
        /// Position within the tile.
        position: u64,
    },
    /// The computed root differs from the checkpoint's.
    #[error("root computed from the tiles does not match the checkpoint root at size {size}")]
    RootMismatch {
        /// Tree size.
        size: u64,
    },
    /// A payload does not match its leaf's commitment, or its file is damaged.
    #[error("payload file {path} fails its commitment check (entry {index:?})")]
    Payload {
        /// The payload file.
        path: PathBuf,
        /// The entry, if the file could be parsed that far.
        index: Option<u64>,
    },
    /// The earlier checkpoint is not a prefix of this log.
    #[error("log is not consistent with the earlier checkpoint of size {old_size}: {source}")]
    Inconsistent {
        /// Size of the earlier checkpoint.
        old_size: u64,
        /// Cause.
        source: ProofError,
    },
}

/// What verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The checkpoint verified.
    pub checkpoint: Checkpoint,
    /// Entries checked against their tiles.
    pub entries: u64,
    /// Tiles checked.
    pub tiles: u64,
}

fn read(path: &Path) -> Result<Vec<u8>, VerifyError> {
    std::fs::read(path).map_err(|source| VerifyError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn open_cp(
    path: &Path,
    verifier: &NoteVerifier,
    origin: Option<&str>,
) -> Result<Checkpoint, VerifyError> {
    let bytes = read(path)?;
    let text = String::from_utf8(bytes).map_err(|_| VerifyError::Checkpoint {
        path: path.to_path_buf(),
        source: CheckpointError::Malformed("not UTF-8"),
    })?;
    open_checkpoint(&text, verifier, origin).map_err(|source| VerifyError::Checkpoint {
        path: path.to_path_buf(),
        source,
    })
}

/// Verifies the log in `dir` against `verifier`.
///
/// `origin` overrides the expected origin (default: the key name); `since`
/// names an earlier checkpoint file that must be a prefix of this log;
/// `progress(done, total)` is called as tiles are checked.
pub fn verify_log_dir(
    dir: &Path,
    verifier: &NoteVerifier,
    origin: Option<&str>,
    since: Option<&Path>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<VerifyReport, VerifyError> {
    let cp = open_cp(&dir.join("checkpoint"), verifier, origin)?;
    let all = tiles::tiles_for_size(cp.size);
    let total = all.len() as u64;
    let mut tree = MerkleTree::new();
    let mut done = 0u64;
    for t in all.iter().filter(|t| t.level == 0) {
        let tpath = dir.join(tiles::tile_path(0, t.index, t.width));
        let hashes =
            tiles::parse_tile(&read(&tpath)?, t.width).map_err(|source| VerifyError::Tile {
                path: tpath.clone(),
                source,
            })?;
        let bpath = dir.join(tiles::bundle_path(t.index, t.width));
        let bundle = read(&bpath)?;
        let entries = tiles::parse_bundle(&bundle).map_err(|source| VerifyError::Tile {
            path: bpath.clone(),
            source,
        })?;
        if entries.len() as u64 != t.width {
            return Err(VerifyError::Tile {
                path: bpath,
                source: TileError::BundleCount {
                    found: entries.len(),
                    expected: usize::try_from(t.width).unwrap_or(usize::MAX),
                },
            });
        }
        for (i, (e, h)) in entries.iter().zip(&hashes).enumerate() {
            let index = t.index * TILE_WIDTH + i as u64;
            if leaf_hash(e) != *h {
                return Err(VerifyError::BundleMismatch {
                    path: bpath,
                    tile: tpath,
                    index,
                });
            }
            tree.push_leaf_hash(*h);
        }
        done += 1;
        progress(done, total);
    }
    for t in all.iter().filter(|t| t.level > 0) {
        let tpath = dir.join(tiles::tile_path(t.level, t.index, t.width));
        let hashes =
            tiles::parse_tile(&read(&tpath)?, t.width).map_err(|source| VerifyError::Tile {
                path: tpath.clone(),
                source,
            })?;
        for (i, h) in hashes.iter().enumerate() {
            let want: Option<Hash> =
                tree.node(TILE_HEIGHT * t.level, t.index * TILE_WIDTH + i as u64);
            if want != Some(*h) {
                return Err(VerifyError::TileMismatch {
                    path: tpath,
                    position: i as u64,
                });
            }
        }
        done += 1;
        progress(done, total);
    }
    let root = tree
        .root_at(cp.size)
        .map_err(|_| VerifyError::RootMismatch { size: cp.size })?;
    if root != cp.root {
        return Err(VerifyError::RootMismatch { size: cp.size });
    }
    if let Some(old_path) = since {
        let old = open_cp(old_path, verifier, origin)?;
        let proof = tree
            .consistency_proof(old.size, cp.size)
            .map_err(|source| VerifyError::Inconsistent {
                old_size: old.size,
                source,
            })?;
        // Consistency from the empty tree is trivially true.
        if old.size > 0 {
            verify_consistency(old.size, cp.size, &old.root, &cp.root, &proof).map_err(
                |source| VerifyError::Inconsistent {
                    old_size: old.size,
                    source,
                },
            )?;
        } else if old.root != crate::hash::empty_root() {
            return Err(VerifyError::Inconsistent {
                old_size: 0,
                source: ProofError::RootMismatch,
            });
        }
    }
    Ok(VerifyReport {
        checkpoint: cp,
        entries: tree.size(),
        tiles: total,
    })
}

/// Checks every stored payload of the ledger in `ledger_dir` against the
/// commitment in its leaf, for entries covered by a verified log of `size`.
/// Returns the number of payloads checked. Expired payloads are simply
/// absent; a payload that does not match its leaf is an error.
pub fn verify_payloads(ledger_dir: &Path, size: u64) -> Result<u64, VerifyError> {
    let log = ledger_dir.join("log");
    let root = ledger_dir.join("payloads");
    let mut checked = 0;
    let mut bundle_cache: Option<(u64, Vec<u8>)> = None;
    for class in crate::record::RetentionClass::ALL {
        let days = crate::payloads::days(&root, class).map_err(|e| VerifyError::Read {
            path: root.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
        for day in days {
            let dir = crate::payloads::day_dir(&root, class, day);
            let rd = std::fs::read_dir(&dir).map_err(|source| VerifyError::Read {
                path: dir.clone(),
                source,
            })?;
            for ent in rd {
                let path = ent
                    .map_err(|source| VerifyError::Read {
                        path: dir.clone(),
                        source,
                    })?
                    .path();
                if path.extension().is_none_or(|e| e != "dat") {
                    continue;
                }
                let records = crate::payloads::parse_file(&read(&path)?).ok_or_else(|| {
                    VerifyError::Payload {
                        path: path.clone(),
                        index: None,
                    }
                })?;
                for (index, salt, payload) in records {
                    if index >= size {
                        continue;
                    }
                    let tile = index / TILE_WIDTH;
                    let width = if (tile + 1) * TILE_WIDTH <= size {
                        TILE_WIDTH
                    } else {
                        size % TILE_WIDTH
                    };
                    if bundle_cache.as_ref().is_none_or(|(t, _)| *t != tile) {
                        bundle_cache =
                            Some((tile, read(&log.join(tiles::bundle_path(tile, width)))?));
                    }
                    let bundle = bundle_cache
                        .as_ref()
                        .map(|(_, b)| b.as_slice())
                        .unwrap_or_default();
                    let entries =
                        tiles::parse_bundle(bundle).map_err(|source| VerifyError::Tile {
                            path: log.join(tiles::bundle_path(tile, width)),
                            source,
                        })?;
                    let leaf = entries
                        .get((index % TILE_WIDTH) as usize)
                        .and_then(|e| crate::record::LeafRecord::decode(e).ok())
                        .ok_or_else(|| VerifyError::Payload {
                            path: path.clone(),
                            index: Some(index),
                        })?;
                    if crate::record::commit_payload(&salt, &payload) != leaf.commitment {
                        return Err(VerifyError::Payload {
                            path,
                            index: Some(index),
                        });
                    }
                    checked += 1;
                }
            }
        }
    }
    Ok(checked)
}
