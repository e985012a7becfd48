//! The memory of what was released (R4.6): for every released cell, the
//! sorted set of person keys behind it, kept inside the trusted space (an
//! append-only file in the vault's directory) and never returned. A new
//! cell whose persons differ from any released cell — of any requester,
//! across data refreshes — by at least one and fewer than the threshold is
//! withheld. Only cells within the threshold in size can be that close, so
//! cells are indexed by size.
//!
//! Record format: `u32 count, u32 crc32(payload), payload = count × u64`,
//! little-endian. A torn last record (a crash mid-append) is cut off at
//! open; a record is synced before the result it belongs to is returned.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use gongshu_domain::disclosure::too_close;
use sha2::{Digest as _, Sha256};

use crate::SandboxError;

type Cells = BTreeMap<u64, Vec<Arc<[u64]>>>;

/// The released cells.
#[derive(Debug)]
pub struct History {
    path: PathBuf,
    inner: Mutex<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    cells: Cells,
    /// Digests of the remembered sets: a cell released again is neither
    /// checked nor stored twice (it was checked when first released).
    digests: HashSet<[u8; 32]>,
    file: File,
}

fn digest(set: &[u64]) -> [u8; 32] {
    let mut h = Sha256::new();
    for v in set {
        h.update(v.to_le_bytes());
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(h.finalize().as_slice());
    out
}

fn io(path: &Path, e: &std::io::Error) -> SandboxError {
    SandboxError::Internal(format!("差分检查记录 {} 读写失败：{e}", path.display()))
}

fn decode(bytes: &[u8]) -> (Cells, usize) {
    let mut cells = Cells::new();
    let mut at = 0;
    loop {
        let header = bytes.get(at..at + 8);
        let Some(h) = header else { break };
        let count = u32::from_le_bytes([h[0], h[1], h[2], h[3]]) as usize;
        let crc = u32::from_le_bytes([h[4], h[5], h[6], h[7]]);
        let Some(payload) = bytes.get(at + 8..at + 8 + count * 8) else {
            break;
        };
        if crc32fast::hash(payload) != crc {
            break;
        }
        let set: Arc<[u64]> = payload
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]))
            .collect();
        cells.entry(set.len() as u64).or_default().push(set);
        at += 8 + count * 8;
    }
    (cells, at)
}

impl History {
    /// Opens (or creates) the history at `path`, cutting off a torn tail.
    ///
    /// # Errors
    /// I/O errors.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self, SandboxError> {
        let path = path.into();
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| io(&path, &e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| io(&path, &e))?;
        let (cells, valid) = decode(&bytes);
        let digests = cells.values().flatten().map(|s| digest(s)).collect();
        if valid < bytes.len() {
            file.set_len(valid as u64).map_err(|e| io(&path, &e))?;
        }
        Ok(Self {
            path,
            inner: Mutex::new(Inner {
                cells,
                digests,
                file,
            }),
        })
    }

    /// Holds the history for one release decision: checks and records of
    /// concurrent queries are serialised, so two cells too close to each
    /// other cannot both pass.
    pub(crate) fn lock(&self) -> Locked<'_> {
        Locked {
            path: &self.path,
            inner: self.inner.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }

    /// Cells remembered.
    pub fn len(&self) -> usize {
        self.lock().inner.cells.values().map(Vec::len).sum()
    }

    /// Whether nothing was released yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The history, locked.
pub(crate) struct Locked<'h> {
    path: &'h Path,
    inner: MutexGuard<'h, Inner>,
}

impl Locked<'_> {
    /// Whether `set` is too close to a released cell.
    pub(crate) fn too_close(&self, set: &[u64], threshold: u64) -> bool {
        if self.inner.digests.contains(&digest(set)) {
            return false;
        }
        let n = set.len() as u64;
        let lo = n.saturating_sub(threshold.saturating_sub(1));
        let hi = n.saturating_add(threshold.saturating_sub(1));
        self.inner
            .cells
            .range(lo..=hi)
            .flat_map(|(_, v)| v.iter())
            .any(|old| too_close(set, old, threshold))
    }

    /// Durably records released cells (before their result is returned).
    pub(crate) fn record(&mut self, sets: Vec<Vec<u64>>) -> Result<(), SandboxError> {
        let mut sets = sets;
        let mut seen = HashSet::new();
        sets.retain(|s| {
            let d = digest(s);
            !self.inner.digests.contains(&d) && seen.insert(d)
        });
        if sets.is_empty() {
            return Ok(());
        }
        let mut buf = Vec::new();
        for set in &sets {
            let payload: Vec<u8> = set.iter().flat_map(|v| v.to_le_bytes()).collect();
            let count = u32::try_from(set.len())
                .map_err(|_| SandboxError::Internal("单元人数超出记录范围".into()))?;
            buf.extend_from_slice(&count.to_le_bytes());
            buf.extend_from_slice(&crc32fast::hash(&payload).to_le_bytes());
            buf.extend_from_slice(&payload);
        }
        let path = self.path;
        self.inner.file.write_all(&buf).map_err(|e| io(path, &e))?;
        self.inner.file.sync_data().map_err(|e| io(path, &e))?;
        for set in sets {
            self.inner.digests.insert(digest(&set));
            let set: Arc<[u64]> = set.into();
            self.inner
                .cells
                .entry(set.len() as u64)
                .or_default()
                .push(set);
        }
        Ok(())
    }
}
