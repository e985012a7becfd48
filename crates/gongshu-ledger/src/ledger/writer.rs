//! The ledger's background work on `Inner`: the sequencer thread that
//! group-commits appends to the journal and syncs them, the publisher
//! thread that derives tiles, entry bundles and signed checkpoints, and
//! payload materialization.

use std::collections::HashSet;
use std::sync::atomic::Ordering;

use super::recovery::encode_state;
use super::{Appended, Inner, Pending, PublishState, Signed, TreeState, lock};
use crate::LedgerError;
use crate::checkpoint::Checkpoint;
use crate::fsutil::{read_optional, sync_dir, sync_file, write_atomic};
use crate::hash::leaf_hash;
use crate::journal::{Journal, list_segments};
use crate::payloads;
use crate::tiles::{self, TILE_HEIGHT, TILE_WIDTH};

impl Inner {
    pub(super) fn read_tree(&self) -> std::sync::RwLockReadGuard<'_, TreeState> {
        self.tree.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn write_tree(&self) -> std::sync::RwLockWriteGuard<'_, TreeState> {
        self.tree.write().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn poison(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
    }

    /// The writer thread: group commit. It only journals, syncs and
    /// acknowledges; publication happens on the publisher thread.
    pub(super) fn run(&self) {
        loop {
            let batch = {
                let mut q = lock(&self.queue);
                while q.pending.is_empty() && !q.shutdown {
                    q = self.queue_cv.wait(q).unwrap_or_else(|p| p.into_inner());
                }
                if q.pending.is_empty() && q.shutdown {
                    return;
                }
                std::mem::take(&mut q.pending)
            };
            let rotate = {
                let mut j = lock(&self.journal);
                self.commit_batch(&mut j, batch);
                j.len >= self.opts.segment_bytes
            };
            if rotate && !self.poisoned.load(Ordering::SeqCst) && self.materialize().is_err() {
                self.poison();
            }
        }
    }

    /// The publisher thread: writes tiles, bundles and the signed checkpoint
    /// at most every `publish_interval`, and once more at shutdown.
    pub(super) fn run_publisher(&self) {
        loop {
            let shutdown = {
                let q = lock(&self.queue);
                if q.shutdown {
                    true
                } else {
                    let (q, _) = self
                        .publish_cv
                        .wait_timeout(q, self.opts.publish_interval)
                        .unwrap_or_else(|p| p.into_inner());
                    q.shutdown
                }
            };
            if !self.poisoned.load(Ordering::SeqCst) {
                let mut p = lock(&self.publish);
                if self.publish(&mut p, false).is_err() {
                    self.poison();
                }
            }
            if shutdown {
                return;
            }
        }
    }

    pub(super) fn commit_batch(&self, journal: &mut Journal, mut batch: Vec<Pending>) {
        if self.poisoned.load(Ordering::SeqCst) {
            for p in batch {
                (p.reply)(Err(LedgerError::Poisoned));
            }
            return;
        }
        let base = self.read_tree().tree.size();
        let mut bytes = Vec::new();
        for (i, p) in batch.iter_mut().enumerate() {
            p.entry.index = base + i as u64;
            p.entry.encode_into(&mut bytes);
        }
        if let Err(e) = journal.append_durable(&bytes) {
            // Fail closed: nothing of this batch is acknowledged, and no
            // later append is accepted until the log is reopened.
            self.poison();
            let msg = e.to_string();
            for p in batch {
                (p.reply)(Err(LedgerError::Io {
                    path: self.journal_dir.clone(),
                    source: std::io::Error::other(msg.clone()),
                }));
            }
            return;
        }
        let mut replies = Vec::with_capacity(batch.len());
        {
            let mut t = self.write_tree();
            for p in batch {
                let index = p.entry.index;
                let hash = leaf_hash(&p.entry.leaf);
                t.push(p.entry);
                replies.push((
                    p.reply,
                    Appended {
                        index,
                        leaf_hash: hash,
                        occurred_at_ms: p.occurred_at_ms,
                    },
                ));
            }
        }
        for (reply, ack) in replies {
            reply(Ok(ack));
        }
    }

    /// Signs (or reuses) a checkpoint of `size`, recording it in
    /// `signer.state` before it can be handed out.
    pub(super) fn sign_checkpoint(&self, size: u64) -> Result<(u64, String), LedgerError> {
        let mut s = lock(&self.signed);
        if let Some(prev) = s.as_ref()
            && prev.size >= size
        {
            return Ok((prev.size, prev.note.clone()));
        }
        let root = self.read_tree().tree.root_at(size)?;
        let cp = Checkpoint {
            origin: self.opts.origin.clone(),
            size,
            root,
            extensions: Vec::new(),
        };
        let note = self.signer.sign(&cp.to_text())?;
        // Durable before the note can be handed out: the guard against a
        // restore of old files must never lag what was published.
        write_atomic(&self.state_path, encode_state(size, &root).as_bytes(), true)?;
        *s = Some(Signed {
            size,
            note: note.clone(),
        });
        Ok((size, note))
    }

    /// Writes tiles, bundles and the checkpoint for the current tree.
    pub(super) fn publish(&self, w: &mut PublishState, force: bool) -> Result<(), LedgerError> {
        let (size, tiles_out, bundles_out) = {
            let mut t = self.write_tree();
            let size = t.tree.size();
            if size == w.published_size && !force {
                return Ok(());
            }
            let mut tiles_out = Vec::new();
            for tile in tiles::tiles_for_size(size) {
                let shift = TILE_HEIGHT * tile.level;
                let first_dirty = (w.published_size >> shift) / TILE_WIDTH;
                if tile.index < first_dirty {
                    continue;
                }
                let level = shift;
                let mut bytes = Vec::with_capacity(32 * usize::try_from(tile.width).unwrap_or(256));
                for i in 0..tile.width {
                    let h = t
                        .tree
                        .node(level, tile.index * TILE_WIDTH + i)
                        .ok_or_else(|| LedgerError::Corrupt("tree node missing".into()))?;
                    bytes.extend_from_slice(&h);
                }
                tiles_out.push((tiles::tile_path(tile.level, tile.index, tile.width), bytes));
            }
            let mut bundles_out: Vec<(String, Vec<u8>)> = std::mem::take(&mut t.completed_bundles)
                .into_iter()
                .map(|(idx, b)| (tiles::bundle_path(idx, TILE_WIDTH), b))
                .collect();
            if !t.tail_bundle.is_empty() {
                let width = t.tail_bundle.len() as u64;
                let bytes = tiles::encode_bundle(t.tail_bundle.iter().map(Vec::as_slice))?;
                bundles_out.push((tiles::bundle_path(size / TILE_WIDTH, width), bytes));
            }
            (size, tiles_out, bundles_out)
        };
        for (rel, bytes) in tiles_out.iter().chain(bundles_out.iter()) {
            let path = self.log_dir.join(rel);
            write_atomic(&path, bytes, false)?;
            w.dirty.insert(path);
        }
        let (_, note) = self.sign_checkpoint(size)?;
        let cp_path = self.log_dir.join("checkpoint");
        write_atomic(&cp_path, note.as_bytes(), false)?;
        w.dirty.insert(cp_path);
        w.published_size = size;
        Ok(())
    }

    /// Publishes, syncs every derived file and the payloads of the journal,
    /// records the materialized size, and starts a new journal segment.
    pub(super) fn materialize(&self) -> Result<(), LedgerError> {
        // After a failed sync the page cache cannot be trusted: never derive
        // durable state from it.
        if self.poisoned.load(Ordering::SeqCst) {
            return Err(LedgerError::Poisoned);
        }
        // Lock order everywhere: publish, then journal, then tree.
        let mut p = lock(&self.publish);
        let mut journal = lock(&self.journal);
        let w = &mut *p;
        self.publish(w, false)?;
        let (size, root, recent) = {
            let t = self.read_tree();
            (t.tree.size(), t.tree.root(), t.recent.clone())
        };
        payloads::write_segment(&self.payload_dir, journal.first, &recent)?;
        let mut dirs = HashSet::new();
        for p in w.dirty.drain() {
            sync_file(&p)?;
            if let Some(d) = p.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        // Directories created since the last materialization must be
        // durable too, up to the roots, before the journal is deleted.
        let roots = [self.log_dir.as_path(), self.payload_dir.as_path()];
        let mut all_dirs = HashSet::new();
        for d in dirs {
            let mut cur = Some(d.as_path());
            while let Some(dir) = cur {
                all_dirs.insert(dir.to_path_buf());
                if roots.contains(&dir) {
                    break;
                }
                cur = dir.parent();
            }
        }
        for root in roots {
            if root.exists() {
                all_dirs.insert(root.to_path_buf());
            }
        }
        for d in all_dirs {
            sync_dir(&d)?;
        }
        sync_file(&self.state_path)?;
        write_atomic(
            &self.marker_path,
            encode_state(size, &root).as_bytes(),
            true,
        )?;
        let old_first = journal.first;
        if size != old_first {
            *journal = Journal::open(&self.journal_dir, size, 0)?;
            for (first, path) in list_segments(&self.journal_dir)? {
                if first < size {
                    std::fs::remove_file(&path).map_err(|e| LedgerError::io(&path, e))?;
                }
            }
            sync_dir(&self.journal_dir)?;
        }
        let mut t = self.write_tree();
        let drop_n = usize::try_from(size - t.recent_first).unwrap_or(usize::MAX);
        let n = drop_n.min(t.recent.len());
        t.recent.drain(..n);
        t.recent_first = size;
        Ok(())
    }

    pub(super) fn read_leaf_from_bundle(&self, index: u64) -> Result<Vec<u8>, LedgerError> {
        let size = self.read_tree().tree.size();
        let tile = index / TILE_WIDTH;
        let width = if (tile + 1) * TILE_WIDTH <= size {
            TILE_WIDTH
        } else {
            size % TILE_WIDTH
        };
        // The newest partial bundle may not be published yet; the widest
        // published one containing the entry will do.
        let candidates = std::iter::once(width).chain((index % TILE_WIDTH + 1..width).rev());
        for wdt in candidates {
            let path = self.log_dir.join(tiles::bundle_path(tile, wdt));
            if let Some(bytes) = read_optional(&path)? {
                let entries = tiles::parse_bundle(&bytes)?;
                if let Some(e) = entries.get((index % TILE_WIDTH) as usize) {
                    return Ok(e.to_vec());
                }
            }
        }
        Err(LedgerError::NotFound(index))
    }
}
