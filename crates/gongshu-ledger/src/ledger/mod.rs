//! The ledger: durable, group-committed appends over the journal, the
//! in-memory tree, publication of tiles and signed checkpoints, payload
//! materialization, recovery and retention.
//!
//! Durability order (see docs/architecture.md): an append is acknowledged
//! once its journal record is synced. Tiles, entry bundles and the signed
//! checkpoint are derived data, published shortly after and re-derived from
//! the journal after a crash. Checkpoints are only signed over synced
//! entries, and `signer.state` remembers the largest signed tree so that a
//! restore of old files can never make the log fork.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::LedgerError;

mod recovery;
mod writer;

use crate::civil::day_of;
use crate::fsutil::{read_optional, sync_dir, write_atomic};
use crate::hash::{Hash, leaf_hash};
use crate::journal::{Journal, JournalEntry};
use crate::note::NoteSigner;
use crate::payloads;
use crate::receipt::Receipt;
use crate::record::{LeafRecord, RetentionClass, commit_payload};
use crate::tiles::MAX_ENTRY_LEN;
use crate::tree::MerkleTree;
use recovery::{check_signer_state, load_or_create_signer, recover};

/// Source of the current time in Unix milliseconds (injectable for tests).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Largest payload accepted (16 MiB).
const MAX_PAYLOAD: usize = 16 << 20;

/// How the ledger is configured.
#[derive(Clone)]
pub struct LedgerOptions {
    /// Log origin: first line of every checkpoint and the signing key's name.
    pub origin: String,
    /// Retention per class in days; never below the class floor.
    pub retention_days: BTreeMap<RetentionClass, u32>,
    /// Journal segment size that triggers materialization.
    pub segment_bytes: u64,
    /// Longest delay between an append and publication of its tiles.
    pub publish_interval: Duration,
    /// Clock.
    pub clock: Clock,
}

impl std::fmt::Debug for LedgerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerOptions")
            .field("origin", &self.origin)
            .field("retention_days", &self.retention_days)
            .field("segment_bytes", &self.segment_bytes)
            .field("publish_interval", &self.publish_interval)
            .finish_non_exhaustive()
    }
}

impl LedgerOptions {
    /// Defaults: retention at the legal floors, 64 MiB segments, 200 ms
    /// publication, the system clock.
    pub fn new(origin: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            retention_days: RetentionClass::ALL
                .into_iter()
                .map(|c| (c, c.floor_days()))
                .collect(),
            segment_bytes: 64 << 20,
            publish_interval: Duration::from_millis(200),
            clock: Arc::new(system_now_ms),
        }
    }

    fn validate(&self) -> Result<(), LedgerError> {
        for c in RetentionClass::ALL {
            let days = self.retention_days.get(&c).copied().unwrap_or(0);
            if days < c.floor_days() {
                return Err(LedgerError::RetentionBelowFloor {
                    class: c.code(),
                    days,
                    floor: c.floor_days(),
                });
            }
        }
        Ok(())
    }
}

fn system_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A record to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecord {
    /// Retention class.
    pub class: RetentionClass,
    /// Stable action code.
    pub action: String,
    /// Details (who, what, why), stored apart from the tree.
    pub payload: Vec<u8>,
}

/// Acknowledgement of a durable append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Index of the entry.
    pub index: u64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// Time stamped by the ledger.
    pub occurred_at_ms: i64,
}

/// A record read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    /// Entry index.
    pub index: u64,
    /// Decoded leaf.
    pub leaf: LeafRecord,
    /// Raw leaf bytes.
    pub leaf_bytes: Vec<u8>,
    /// Payload, or `None` after its retention ended.
    pub payload: Option<Vec<u8>>,
}

/// Told once whether a record became durable. A callback rather than a
/// channel, so async callers are answered without parking a thread.
type Reply = Box<dyn FnOnce(Result<Appended, LedgerError>) + Send>;

struct Pending {
    entry: JournalEntry,
    occurred_at_ms: i64,
    reply: Reply,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Pending>,
    shutdown: bool,
}

/// Tree and the entries not yet materialized, shared with readers.
struct TreeState {
    tree: MerkleTree,
    /// Leaf bytes of the current, incomplete level-0 tile.
    tail_bundle: Vec<Vec<u8>>,
    /// Full bundles completed since the last publication.
    completed_bundles: Vec<(u64, Vec<u8>)>,
    /// Entries since the last materialization (index ≥ `recent_first`).
    recent: Vec<JournalEntry>,
    recent_first: u64,
}

/// Publication bookkeeping, owned by the publisher thread (and by
/// materialization). Kept apart from the journal so that writing tiles
/// never holds up a commit.
struct PublishState {
    published_size: u64,
    dirty: HashSet<PathBuf>,
}

struct Signed {
    size: u64,
    note: String,
}

struct Inner {
    log_dir: PathBuf,
    journal_dir: PathBuf,
    payload_dir: PathBuf,
    state_path: PathBuf,
    marker_path: PathBuf,
    signer: NoteSigner,
    opts: LedgerOptions,
    queue: Mutex<Queue>,
    queue_cv: Condvar,
    tree: RwLock<TreeState>,
    journal: Mutex<Journal>,
    publish: Mutex<PublishState>,
    publish_cv: Condvar,
    signed: Mutex<Option<Signed>>,
    poisoned: AtomicBool,
}

/// The audit ledger. Cheap to share behind an `Arc`; `append` blocks until
/// the record is durable.
pub struct Ledger {
    inner: Arc<Inner>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("log_dir", &self.inner.log_dir)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking holder cannot leave these structures half-updated in a way
    // that matters more than refusing service, so recover the guard.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ledger {
    /// Opens (creating if needed) the ledger in `dir`, recovering from any
    /// crash. Refuses to open a log that is behind or forked from a
    /// checkpoint it already signed.
    pub fn open(dir: &Path, opts: LedgerOptions) -> Result<Self, LedgerError> {
        opts.validate()?;
        std::fs::create_dir_all(dir).map_err(|e| LedgerError::io(dir, e))?;
        let signer = load_or_create_signer(&dir.join("signer.key"), &opts.origin)?;
        // The public key beside it, for `gongshu audit vkey` and verifiers.
        let vkey = format!("{}\n", signer.verifier().to_vkey());
        if read_optional(&dir.join("vkey"))?.as_deref() != Some(vkey.as_bytes()) {
            write_atomic(&dir.join("vkey"), vkey.as_bytes(), true)?;
        }
        let log_dir = dir.join("log");
        let journal_dir = dir.join("journal");
        let payload_dir = dir.join("payloads");
        let state_path = dir.join("signer.state");
        let marker_path = dir.join("materialized");

        let (tree_state, journal) = recover(&log_dir, &journal_dir, &marker_path)?;
        check_signer_state(&state_path, &tree_state.tree)?;
        let inner = Arc::new(Inner {
            log_dir,
            journal_dir,
            payload_dir,
            state_path,
            marker_path,
            signer,
            opts,
            queue: Mutex::new(Queue::default()),
            queue_cv: Condvar::new(),
            tree: RwLock::new(tree_state),
            journal: Mutex::new(journal),
            publish: Mutex::new(PublishState {
                published_size: 0,
                dirty: HashSet::new(),
            }),
            publish_cv: Condvar::new(),
            signed: Mutex::new(None),
            poisoned: AtomicBool::new(false),
        });
        {
            let mut w = lock(&inner.publish);
            // Re-derive everything public above the materialized prefix.
            w.published_size = inner.read_tree().recent_first;
            inner.publish(&mut w, true)?;
        }
        let writer = Arc::clone(&inner);
        let publisher = Arc::clone(&inner);
        let threads = vec![
            std::thread::Builder::new()
                .name("gongshu-ledger-writer".into())
                .spawn(move || writer.run())
                .map_err(|e| LedgerError::io(dir, e))?,
            std::thread::Builder::new()
                .name("gongshu-ledger-publisher".into())
                .spawn(move || publisher.run_publisher())
                .map_err(|e| LedgerError::io(dir, e))?,
        ];
        Ok(Self { inner, threads })
    }

    /// Appends a record and returns once it is durable. An error means the
    /// record is not in the log and the caller must refuse its action.
    pub fn append(&self, record: NewRecord) -> Result<Appended, LedgerError> {
        let (tx, rx) = sync_channel(1);
        self.append_then(record, move |r| {
            let _ = tx.send(r);
        });
        rx.recv().map_err(|_| LedgerError::Closed)?
    }

    /// Appends a record and calls `then` once it is durable (or refused),
    /// on the writer thread: `then` must only hand the answer on (to a
    /// channel). An error means the record is not in the log.
    pub fn append_then(
        &self,
        record: NewRecord,
        then: impl FnOnce(Result<Appended, LedgerError>) + Send + 'static,
    ) {
        if self.inner.poisoned.load(Ordering::SeqCst) {
            return then(Err(LedgerError::Poisoned));
        }
        if record.payload.len() > MAX_PAYLOAD {
            return then(Err(LedgerError::TooLarge(record.payload.len())));
        }
        let occurred_at_ms = (self.inner.opts.clock)();
        let mut salt = [0u8; 32];
        if let Err(e) = getrandom::fill(&mut salt) {
            return then(Err(LedgerError::Random(e.to_string())));
        }
        let leaf = LeafRecord {
            occurred_at_ms,
            class: record.class,
            action: record.action,
            commitment: commit_payload(&salt, &record.payload),
        }
        .encode();
        let leaf = match leaf {
            Ok(l) if l.len() > MAX_ENTRY_LEN => {
                return then(Err(LedgerError::TooLarge(l.len())));
            }
            Ok(l) => l,
            Err(e) => return then(Err(e.into())),
        };
        {
            let mut q = lock(&self.inner.queue);
            if q.shutdown {
                drop(q);
                return then(Err(LedgerError::Closed));
            }
            q.pending.push(Pending {
                entry: JournalEntry {
                    index: 0,
                    leaf,
                    class: record.class,
                    day: day_of(occurred_at_ms),
                    salt,
                    payload: record.payload,
                },
                occurred_at_ms,
                reply: Box::new(then),
            });
        }
        self.inner.queue_cv.notify_one();
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.inner.read_tree().tree.size()
    }

    /// Leaf hash of entry `index`, from memory (no disk access).
    pub fn leaf_hash(&self, index: u64) -> Option<Hash> {
        self.inner.read_tree().tree.leaf(index)
    }

    /// Root hash of the whole tree.
    pub fn root(&self) -> Hash {
        self.inner.read_tree().tree.root()
    }

    /// Directory of the public tlog-tiles files.
    pub fn log_dir(&self) -> &Path {
        &self.inner.log_dir
    }

    /// The verifier key in signed-note vkey form.
    pub fn vkey(&self) -> String {
        self.inner.signer.verifier().to_vkey()
    }

    /// The log origin.
    pub fn origin(&self) -> &str {
        &self.inner.opts.origin
    }

    /// A freshly signed checkpoint of the current tree.
    pub fn checkpoint(&self) -> Result<String, LedgerError> {
        let size = self.size();
        self.inner.sign_checkpoint(size).map(|(_, n)| n)
    }

    /// A receipt (C2SP tlog-proof) for entry `index` against a checkpoint of
    /// the current tree.
    pub fn receipt(&self, index: u64) -> Result<Receipt, LedgerError> {
        let size = self.size();
        if index >= size {
            return Err(LedgerError::NotFound(index));
        }
        // Sign first: a concurrent signer may hand back a larger checkpoint,
        // and the proof must be for the size actually signed.
        let (signed, note) = self.inner.sign_checkpoint(size)?;
        let proof = self.inner.read_tree().tree.inclusion_proof(index, signed)?;
        let leaf = self.read(index)?.leaf_bytes;
        Ok(Receipt {
            index,
            entry: leaf,
            proof,
            checkpoint: note,
        })
    }

    /// Consistency proof between two sizes of the current tree.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LedgerError> {
        Ok(self.inner.read_tree().tree.consistency_proof(old, new)?)
    }

    /// Reads entry `index` with its payload (checked against the commitment).
    pub fn read(&self, index: u64) -> Result<StoredRecord, LedgerError> {
        let (recent, leaf_hash_expected) = {
            let t = self.inner.read_tree();
            if index >= t.tree.size() {
                return Err(LedgerError::NotFound(index));
            }
            let recent = index
                .checked_sub(t.recent_first)
                .and_then(|i| usize::try_from(i).ok())
                .and_then(|i| t.recent.get(i))
                .cloned();
            (recent, t.tree.leaf(index))
        };
        let (leaf_bytes, stored) = match recent {
            Some(e) => (
                e.leaf,
                Some(payloads::StoredPayload {
                    salt: e.salt,
                    payload: e.payload,
                }),
            ),
            None => {
                let leaf_bytes = self.inner.read_leaf_from_bundle(index)?;
                let leaf = LeafRecord::decode(&leaf_bytes)?;
                let stored = payloads::find(
                    &self.inner.payload_dir,
                    leaf.class,
                    day_of(leaf.occurred_at_ms),
                    index,
                )?;
                (leaf_bytes, stored)
            }
        };
        if Some(leaf_hash(&leaf_bytes)) != leaf_hash_expected {
            return Err(LedgerError::Corrupt(format!(
                "entry {index} does not match its leaf hash"
            )));
        }
        let leaf = LeafRecord::decode(&leaf_bytes)?;
        let payload = match stored {
            Some(p) => {
                if commit_payload(&p.salt, &p.payload) != leaf.commitment {
                    return Err(LedgerError::PayloadTampered { index });
                }
                Some(p.payload)
            }
            None => None,
        };
        Ok(StoredRecord {
            index,
            leaf,
            leaf_bytes,
            payload,
        })
    }

    /// Publishes tiles and the checkpoint now, and syncs all derived files
    /// (materialization), starting a new journal segment.
    pub fn sync(&self) -> Result<(), LedgerError> {
        self.inner
            .materialize()
            .inspect_err(|_| self.inner.poison())
    }

    /// Deletes payloads whose retention has ended at the ledger's clock and
    /// logs each deletion first. Returns the number of day groups deleted.
    /// Tree data is never deleted.
    pub fn expire(&self) -> Result<usize, LedgerError> {
        self.sync()?;
        let now = (self.inner.opts.clock)();
        let today = now.div_euclid(crate::civil::MS_PER_DAY);
        let mut deleted = 0;
        for class in RetentionClass::ALL {
            let keep = i64::from(
                self.inner
                    .opts
                    .retention_days
                    .get(&class)
                    .copied()
                    .unwrap_or(u32::MAX),
            );
            for day in payloads::days(&self.inner.payload_dir, class)? {
                // A day's payloads expire when the whole day is older than
                // the retention period.
                if crate::civil::days_of(day) + keep >= today {
                    continue;
                }
                let payload = format!(
                    "{{\"class\":\"{}\",\"day\":\"{day:08}\",\"retention_days\":{keep}}}",
                    class.code()
                );
                self.append(NewRecord {
                    class: RetentionClass::Governance,
                    action: "audit.retention.expired".into(),
                    payload: payload.into_bytes(),
                })?;
                let dir = payloads::day_dir(&self.inner.payload_dir, class, day);
                std::fs::remove_dir_all(&dir).map_err(|e| LedgerError::io(&dir, e))?;
                if let Some(parent) = dir.parent() {
                    sync_dir(parent)?;
                }
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}

impl Drop for Ledger {
    fn drop(&mut self) {
        lock(&self.inner.queue).shutdown = true;
        self.inner.queue_cv.notify_all();
        self.inner.publish_cv.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
