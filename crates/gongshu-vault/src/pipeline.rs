//! The threads of a load: CSV → encrypted Parquet with a quality profile.
//!
//! Encryption uses Parquet modular encryption (AES-256-GCM, encrypted
//! footer): the version's DEK is the footer key and, with no per-column
//! keys, encrypts every column's pages and metadata (statistics included).
//! Modular encryption keeps the file a normal Parquet file that DataFusion
//! can read with decryption properties (projection and row-group pruning
//! still work), which whole-file AES-GCM would not allow without
//! decrypting the whole file first. The AAD prefix binds the file to its
//! dataset and version, so a file swapped between versions fails to decrypt.
//! Pages are encrypted in memory before they are written, so no plaintext
//! reaches disk, temporary files included.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::encryption::encrypt::FileEncryptionProperties;
use parquet::file::properties::WriterProperties;
use sha2::{Digest as _, Sha256};

use crate::chunks::{Chunk, Chunker};
use crate::ingest::{
    BadRow, LoadOptions, MAX_REPORTED_BAD_ROWS, Written, check_header, read_error,
};
use crate::keys::Dek;
use crate::pseudonym::PseudonymKey;
use crate::quality::{Profiler, QualityProfile};
use crate::rows::RowParser;
use crate::schema::DatasetSchema;
use crate::{VaultError, fsutil};

/// A file writer that hashes every byte it writes (the ciphertext).
struct HashingFile {
    file: File,
    hasher: Sha256,
    bytes: u64,
}

impl Write for HashingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        let written = buf.get(..n).unwrap_or(buf);
        self.hasher.update(written);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Streams `reader` (CSV with a header row equal to the schema's names)
/// into an encrypted Parquet file at `tmp_path`, synced to disk. On error
/// the temporary file is removed.
pub(crate) fn write_version<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    options: &LoadOptions,
    keys: (&Dek, &PseudonymKey),
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let result = write_inner(tmp_path, reader, schema, options, keys, aad);
    if result.is_err() {
        let _ = std::fs::remove_file(tmp_path);
    }
    result
}

fn write_inner<R: Read>(
    tmp_path: &Path,
    reader: R,
    schema: &DatasetSchema,
    options: &LoadOptions,
    (dek, pseudonyms): (&Dek, &PseudonymKey),
    aad: Vec<u8>,
) -> Result<Written, VaultError> {
    let (reader, encoding) = crate::encoding::decode(reader, options.encoding)
        .map_err(|e| read_error(e, options.encoding))?;
    let mut chunker = Chunker::new(reader, 1);
    let header = chunker.header().map_err(|e| read_error(e, encoding))?;
    check_header(&header, schema, encoding)?;

    let enc = FileEncryptionProperties::builder(dek.bytes().to_vec())
        .with_aad_prefix(aad)
        .build()?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .with_file_encryption_properties(enc)
        .build();
    let file = fsutil::create_private(tmp_path)?;
    let sink = HashingFile {
        file,
        hasher: Sha256::new(),
        bytes: 0,
    };
    let writer = ArrowWriter::try_new(sink, schema.to_arrow(), Some(props))?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 8));
    // The first chunk whose parse failed (u64::MAX: none). Chunks before
    // it are still parsed, so the earliest malformed row is the one reported.
    let abort = AtomicU64::new(u64::MAX);
    let (work, queue) = sync_channel::<Chunk>(workers * 2);
    // Shared by the workers only: when the last one stops (finished, or
    // stopped early on a malformed chunk or a failed encoder), the queue
    // closes and a reader blocked on a full queue wakes with an error
    // instead of waiting for ever.
    let queue = Arc::new(Mutex::new(queue));
    // Stages: this thread reads and splits the input into chunks of whole
    // records; `workers` threads parse, check and profile them; one thread
    // encodes, compresses and encrypts the batches in input order. Bounded
    // channels keep memory bounded whatever the input size.
    std::thread::scope(|scope| {
        let (batches, received) = sync_channel::<(u64, Vec<RecordBatch>)>(workers * 2);
        let encoder = scope.spawn(move || encode_in_order(writer, &received));
        let mut handles = Vec::with_capacity(workers);
        for _ in 0..workers {
            let (batches, queue, abort) = (batches.clone(), Arc::clone(&queue), &abort);
            handles.push(scope.spawn(move || {
                parse_worker(
                    schema, options, encoding, pseudonyms, &queue, &batches, abort,
                )
            }));
        }
        drop(batches);
        drop(queue);
        let mut read_failure = None;
        while abort.load(Ordering::Relaxed) == u64::MAX {
            match chunker.next_chunk() {
                Ok(Some(chunk)) => {
                    if work.send(chunk).is_err() {
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    abort.store(0, Ordering::Relaxed);
                    read_failure = Some(read_error(e, encoding));
                    break;
                }
            }
        }
        drop(work);
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(thread_failed(tmp_path))))
            .collect();
        let sink = encoder
            .join()
            .unwrap_or_else(|_| Err(thread_failed(tmp_path)));
        if let Some(e) = read_failure {
            return Err(e);
        }
        let (profile, rejected, bad_rows) = merge_workers(results, options.max_bad_rows)?;
        let sink = sink?;
        sink.file
            .sync_all()
            .map_err(|e| VaultError::io(tmp_path, e))?;
        Ok(Written {
            rows: profile.rows,
            bytes: sink.bytes,
            sha256: hex::encode(sink.hasher.finalize().as_slice()),
            profile,
            rejected,
            bad_rows,
            encoding,
        })
    })
}

fn thread_failed(path: &Path) -> VaultError {
    VaultError::io(path, std::io::Error::other("an ingestion thread failed"))
}

/// Writes batches in chunk order, whatever order the workers finish in.
fn encode_in_order(
    mut writer: ArrowWriter<HashingFile>,
    received: &Receiver<(u64, Vec<RecordBatch>)>,
) -> Result<HashingFile, VaultError> {
    let mut waiting: BTreeMap<u64, Vec<RecordBatch>> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, batches) in received {
        waiting.insert(seq, batches);
        while let Some(ready) = waiting.remove(&next) {
            for batch in &ready {
                writer.write(batch)?;
            }
            next += 1;
        }
    }
    Ok(writer.into_inner()?)
}

type WorkerResult = Result<(Profiler, u64, Vec<BadRow>), VaultError>;

fn parse_worker(
    schema: &DatasetSchema,
    options: &LoadOptions,
    encoding: crate::Encoding,
    pseudonyms: &PseudonymKey,
    queue: &Mutex<Receiver<Chunk>>,
    batches: &SyncSender<(u64, Vec<RecordBatch>)>,
    abort: &AtomicU64,
) -> WorkerResult {
    let mut parser = RowParser::new(schema, options, encoding, pseudonyms);
    loop {
        let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(chunk) = next else { break };
        if chunk.seq > abort.load(Ordering::Relaxed) {
            continue; // after the failure: not needed
        }
        match parser.parse_chunk(&chunk) {
            Ok(out) => {
                if batches.send((chunk.seq, out)).is_err() {
                    break; // the encoder failed; its error is reported
                }
            }
            Err(e) => {
                abort.fetch_min(chunk.seq, Ordering::Relaxed);
                return Err(e);
            }
        }
        if options.max_bad_rows > 0 && parser.rejected > options.max_bad_rows {
            abort.fetch_min(chunk.seq, Ordering::Relaxed);
        }
    }
    Ok(parser.finish())
}

/// Joins the workers' results: the earliest row error wins; otherwise the
/// bad-row limit applies to the total, and the profiles merge.
fn merge_workers(results: Vec<WorkerResult>, limit: u64) -> Result<Parsed, VaultError> {
    let mut row_error: Option<VaultError> = None;
    let mut oks = Vec::new();
    for r in results {
        match r {
            Ok(ok) => oks.push(ok),
            Err(e @ VaultError::Csv { .. }) => {
                let line = |e: &VaultError| match e {
                    VaultError::Csv { line, .. } => *line,
                    _ => u64::MAX,
                };
                if row_error.as_ref().is_none_or(|old| line(&e) < line(old)) {
                    row_error = Some(e);
                }
            }
            Err(other) => return Err(other),
        }
    }
    if let Some(e) = row_error {
        return Err(e);
    }
    let mut rejected = 0u64;
    let mut bad_rows = Vec::new();
    let mut merged: Option<Profiler> = None;
    for (profiler, n, rows) in oks {
        rejected += n;
        bad_rows.extend(rows);
        match &mut merged {
            Some(m) => m.merge(profiler),
            None => merged = Some(profiler),
        }
    }
    bad_rows.sort_by_key(|b| b.line);
    bad_rows.truncate(MAX_REPORTED_BAD_ROWS);
    if limit > 0 && rejected > limit {
        return Err(VaultError::TooManyBadRows {
            limit,
            samples: bad_rows,
        });
    }
    let profile = merged
        .ok_or_else(|| VaultError::InvalidSchema("no parse worker ran".into()))?
        .finish();
    Ok((profile, rejected, bad_rows))
}

type Parsed = (QualityProfile, u64, Vec<BadRow>);
