//! Ledger benchmarks, each reported as a ratio against a baseline measured
//! in the same run (so that the numbers travel between machines):
//!
//! * durable appends/s with 1, 16 and 256 appender threads, against a plain
//!   file written with the same group commit (one leader thread, one write
//!   and one `fdatasync` per batch, then waking the appenders);
//! * inclusion and consistency proof generation at 10^6 and 10^7 entries,
//!   against the cost of one SHA-256 node hash;
//! * full offline verification of a log directory, against raw leaf hashing
//!   of the same entries.
//!
//! `cargo bench -p gongshu-ledger --bench ledger`; set
//! `GONGSHU_BENCH_QUICK=1` for a run of well under a minute, and
//! `GONGSHU_BENCH_ONLY=appends,proofs,verify` to pick groups.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "a benchmark binary: failing loudly is the right behaviour"
)]

use std::fs::File;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::time::{Duration, Instant};

use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::verify_log_dir;
use gongshu_ledger::{
    Hash, Ledger, LedgerOptions, MerkleTree, NewRecord, RetentionClass, leaf_hash, node_hash,
};

const PAYLOAD_LEN: usize = 200;
const ORIGIN: &str = "bench.gongshu.example/audit";

/// Sizes of one run.
struct Plan {
    quick: bool,
    /// (threads, total appends) per append configuration.
    appends: Vec<(usize, usize)>,
    /// Rounds of (ledger, baseline) per append configuration; median taken.
    append_rounds: usize,
    proof_sizes: Vec<u64>,
    proofs_per_kind: usize,
    verify_entries: usize,
    verify_rounds: usize,
}

impl Plan {
    fn from_env() -> Self {
        let mut plan = Self::sized();
        // GONGSHU_BENCH_APPENDS=threads:total,... overrides the append configurations.
        if let Ok(spec) = std::env::var("GONGSHU_BENCH_APPENDS") {
            plan.appends = spec
                .split(',')
                .filter_map(|c| {
                    let (t, n) = c.trim().split_once(':')?;
                    Some((t.parse().ok()?, n.parse().ok()?))
                })
                .filter(|&(t, n)| t > 0 && n >= t)
                .collect();
        }
        plan
    }

    fn sized() -> Self {
        let quick = std::env::var("GONGSHU_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
        if quick {
            Self {
                quick,
                appends: vec![(1, 300), (16, 1_600), (256, 4_096)],
                append_rounds: 1,
                proof_sizes: vec![100_000, 1_000_000],
                proofs_per_kind: 5_000,
                verify_entries: 30_000,
                verify_rounds: 2,
            }
        } else {
            Self {
                quick,
                appends: vec![(1, 5_000), (16, 20_000), (256, 51_200)],
                append_rounds: 5,
                proof_sizes: vec![1_000_000, 10_000_000],
                proofs_per_kind: 100_000,
                verify_entries: 200_000,
                verify_rounds: 3,
            }
        }
    }
}

/// One line of the result table.
struct Row {
    name: String,
    value: String,
    baseline: String,
    ratio: f64,
    target: String,
    met: Option<bool>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// xorshift64*: deterministic, dependency-free randomness for indices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn payload(i: usize) -> Vec<u8> {
    let mut p =
        format!("{{\"n\":{i},\"who\":\"user-{i}\",\"what\":\"bench\",\"pad\":\"").into_bytes();
    while p.len() < PAYLOAD_LEN - 2 {
        p.push(b'x');
    }
    p.extend_from_slice(b"\"}");
    p
}

fn record(i: usize) -> NewRecord {
    NewRecord {
        class: RetentionClass::DataAccess,
        action: "bench.append".into(),
        payload: payload(i),
    }
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(std::fs::Metadata::is_file)
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// Runs `threads` threads doing `per_thread` calls of `op` each, released
/// together; returns the wall time from release to the last completion.
fn run_threads<F>(threads: usize, per_thread: usize, op: F) -> Duration
where
    F: Fn(usize) + Sync,
{
    let barrier = Barrier::new(threads + 1);
    std::thread::scope(|s| {
        for t in 0..threads {
            let barrier = &barrier;
            let op = &op;
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn_scoped(s, move || {
                    barrier.wait();
                    for i in 0..per_thread {
                        op(t * per_thread + i);
                    }
                })
                .expect("spawn appender");
        }
        barrier.wait();
        let start = Instant::now();
        // Leaving the scope joins every appender.
        start
    })
    .elapsed()
}

/// Ledger appends; returns (appends per second, journal bytes per record).
/// `publish` overrides the publication interval (else
/// `GONGSHU_BENCH_PUBLISH_MS`, else the default of `LedgerOptions`).
fn ledger_appends(threads: usize, total: usize, publish: Option<Duration>) -> (f64, f64) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = LedgerOptions::new(ORIGIN);
    if let Some(ms) = std::env::var("GONGSHU_BENCH_PUBLISH_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        opts.publish_interval = Duration::from_millis(ms);
    }
    if let Some(p) = publish {
        opts.publish_interval = p;
    }
    let ledger = Ledger::open(dir.path(), opts).expect("open ledger");
    let per_thread = total / threads;
    let elapsed = run_threads(threads, per_thread, |i| {
        ledger.append(record(i)).expect("append");
    });
    let n = per_thread * threads;
    let journal = dir_bytes(&dir.path().join("journal"));
    drop(ledger);
    (n as f64 / elapsed.as_secs_f64(), journal as f64 / n as f64)
}

type PlainReply = SyncSender<std::io::Result<u64>>;

#[derive(Default)]
struct PlainQueue {
    pending: Vec<(Vec<u8>, PlainReply)>,
    shutdown: bool,
}

/// The baseline: a plain append-only file with the same group commit as the
/// ledger (appenders queue and wait on a reply; one leader thread takes the
/// whole queue, writes it with one call, `fdatasync`s, and replies).
struct PlainLog {
    queue: Mutex<PlainQueue>,
    cv: Condvar,
}

impl PlainLog {
    fn append(&self, bytes: Vec<u8>) -> std::io::Result<u64> {
        let (tx, rx) = sync_channel(1);
        self.queue.lock().expect("queue").pending.push((bytes, tx));
        self.cv.notify_one();
        rx.recv().map_err(std::io::Error::other)?
    }

    fn run_leader(&self, mut file: File) {
        let mut next = 0u64;
        let mut buf = Vec::new();
        loop {
            let batch = {
                let mut q = self.queue.lock().expect("queue");
                while q.pending.is_empty() && !q.shutdown {
                    q = self.cv.wait(q).expect("queue");
                }
                if q.pending.is_empty() {
                    return;
                }
                std::mem::take(&mut q.pending)
            };
            buf.clear();
            for (b, _) in &batch {
                buf.extend_from_slice(b);
            }
            let res = file.write_all(&buf).and_then(|()| file.sync_data());
            for (_, reply) in batch {
                let r = match &res {
                    Ok(()) => Ok(next),
                    Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
                };
                next += 1;
                let _ = reply.send(r);
            }
        }
    }
}

/// Baseline appends of `record_len` bytes each; returns appends per second.
fn plain_appends(threads: usize, total: usize, record_len: usize) -> f64 {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = File::create(dir.path().join("plain.log")).expect("create");
    let log = Arc::new(PlainLog {
        queue: Mutex::new(PlainQueue::default()),
        cv: Condvar::new(),
    });
    let leader = {
        let log = Arc::clone(&log);
        std::thread::spawn(move || log.run_leader(file))
    };
    let per_thread = total / threads;
    let elapsed = run_threads(threads, per_thread, |i| {
        let mut bytes = payload(i);
        bytes.resize(record_len, b'.');
        log.append(bytes).expect("plain append");
    });
    log.queue.lock().expect("queue").shutdown = true;
    log.cv.notify_one();
    leader.join().expect("leader");
    (per_thread * threads) as f64 / elapsed.as_secs_f64()
}

fn bench_appends(plan: &Plan, rows: &mut Vec<Row>) {
    // Warm up the disk and measure the ledger's journal bytes per record.
    let (_, journal_per_record) = ledger_appends(4, 200, None);
    let record_len = journal_per_record.round() as usize;
    eprintln!(
        "journal bytes per record: {journal_per_record:.1} (payload {PAYLOAD_LEN}); baseline writes {record_len} bytes per append"
    );
    // The last configuration again with publication of tiles and
    // checkpoints deferred past the end of the run: a diagnostic that shows
    // what publication on the commit path costs.
    let diagnostic = plan
        .appends
        .last()
        .map(|&(t, n)| (t, n, Some(Duration::from_secs(3600))));
    let configs = plan
        .appends
        .iter()
        .map(|&(t, n)| (t, n, None))
        .chain(diagnostic);
    for (threads, total, publish) in configs {
        let mut ours = Vec::new();
        let mut base = Vec::new();
        for round in 0..plan.append_rounds {
            // Alternate the order so that drift in the disk hits both sides.
            if round % 2 == 0 {
                ours.push(ledger_appends(threads, total, publish).0);
                base.push(plain_appends(threads, total, record_len));
            } else {
                base.push(plain_appends(threads, total, record_len));
                ours.push(ledger_appends(threads, total, publish).0);
            }
        }
        let (o, b) = (median(ours.clone()), median(base.clone()));
        let note = if publish.is_some() {
            " [publication deferred, diagnostic]"
        } else {
            ""
        };
        eprintln!("appends x{threads}{note}: ledger {ours:.0?} /s, plain {base:.0?} /s");
        let ratio = o / b;
        rows.push(Row {
            name: format!("durable appends, {threads} thread(s), {total} appends{note}"),
            value: format!("{o:.0} appends/s"),
            baseline: format!("{b:.0} appends/s (plain file, {record_len} B/append)"),
            ratio,
            target: if publish.is_some() {
                "-".into()
            } else {
                "ratio ≥ 0.80".into()
            },
            met: publish.is_none().then_some(ratio >= 0.8),
        });
    }
}

/// Mean cost of one interior node hash, in µs.
fn node_hash_cost() -> f64 {
    let n = 2_000_000u32;
    let other: Hash = [7u8; 32];
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let mut h: Hash = [1u8; 32];
        let start = Instant::now();
        for _ in 0..n {
            h = node_hash(black_box(&h), &other);
        }
        black_box(h);
        best = best.min(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    best
}

fn synthetic_tree(size: u64) -> MerkleTree {
    let mut tree = MerkleTree::new();
    for i in 0..size {
        let mut h: Hash = [0u8; 32];
        h[..8].copy_from_slice(&i.to_le_bytes());
        h[8..16].copy_from_slice(&i.wrapping_mul(0x9e37_79b9_7f4a_7c15).to_le_bytes());
        tree.push_leaf_hash(h);
    }
    tree
}

fn bench_proofs(plan: &Plan, rows: &mut Vec<Row>) {
    let hash_us = node_hash_cost();
    eprintln!("node hash: {:.1} ns", hash_us * 1e3);
    for &size in &plan.proof_sizes {
        let start = Instant::now();
        let tree = synthetic_tree(size);
        eprintln!(
            "tree of {size} built in {:.2} s",
            start.elapsed().as_secs_f64()
        );
        let mut rng = Rng(0x5eed_0000 ^ size);
        let n = plan.proofs_per_kind;

        let indices: Vec<u64> = (0..n).map(|_| rng.below(size)).collect();
        let start = Instant::now();
        let mut total_hashes = 0usize;
        for &i in &indices {
            let p = tree.inclusion_proof(black_box(i), size).expect("inclusion");
            total_hashes += p.len();
            black_box(p);
        }
        let incl_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;

        let olds: Vec<u64> = (0..n).map(|_| 1 + rng.below(size - 1)).collect();
        let start = Instant::now();
        for &old in &olds {
            let p = tree
                .consistency_proof(black_box(old), size)
                .expect("consistency");
            total_hashes += p.len();
            black_box(p);
        }
        let cons_us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
        black_box(total_hashes);
        drop(tree);

        for (kind, us) in [("inclusion", incl_us), ("consistency", cons_us)] {
            rows.push(Row {
                name: format!("{kind} proof at {size} entries (mean of {n} random)"),
                value: format!("{us:.2} µs/proof"),
                baseline: format!("{:.1} ns/node hash", hash_us * 1e3),
                ratio: us / hash_us,
                target: "< 100 µs/proof".into(),
                met: Some(us < 100.0),
            });
        }
    }
}

fn bench_verify(plan: &Plan, rows: &mut Vec<Row>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = plan.verify_entries;
    let threads = 256;
    let start = Instant::now();
    let vkey = {
        let ledger = Ledger::open(dir.path(), LedgerOptions::new(ORIGIN)).expect("open ledger");
        let per_thread = n.div_ceil(threads);
        run_threads(threads, per_thread, |i| {
            if i < n {
                ledger.append(record(i)).expect("append");
            }
        });
        ledger.sync().expect("sync");
        assert_eq!(ledger.size(), n as u64);
        ledger.vkey()
    };
    eprintln!(
        "verify: built a log of {n} entries in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let log_dir = dir.path().join("log");
    let verifier = NoteVerifier::parse(&vkey).expect("vkey");

    let mut ours = Vec::new();
    for _ in 0..plan.verify_rounds {
        let start = Instant::now();
        let report =
            verify_log_dir(&log_dir, &verifier, None, None, &mut |_, _| {}).expect("verify");
        let secs = start.elapsed().as_secs_f64();
        assert_eq!(report.entries, n as u64);
        ours.push(n as f64 / secs);
    }

    // Baseline: the same entries, already in memory, leaf-hashed.
    let mut entries: Vec<Vec<u8>> = Vec::with_capacity(n);
    for t in gongshu_ledger::tiles::tiles_for_size(n as u64)
        .into_iter()
        .filter(|t| t.level == 0)
    {
        let path = log_dir.join(gongshu_ledger::tiles::bundle_path(t.index, t.width));
        let bytes = std::fs::read(&path).expect("bundle");
        let parsed = gongshu_ledger::tiles::parse_bundle(&bytes).expect("parse bundle");
        entries.extend(parsed.into_iter().map(<[u8]>::to_vec));
    }
    assert_eq!(entries.len(), n);
    let mean_entry = entries.iter().map(Vec::len).sum::<usize>() as f64 / n as f64;
    let mut base = Vec::new();
    for _ in 0..plan.verify_rounds {
        let start = Instant::now();
        let mut acc = 0u8;
        for e in &entries {
            acc ^= leaf_hash(black_box(e))[0];
        }
        black_box(acc);
        base.push(n as f64 / start.elapsed().as_secs_f64());
    }
    let (o, b) = (median(ours.clone()), median(base.clone()));
    eprintln!("verify: {ours:.0?} entries/s; raw leaf hashing {base:.0?} entries/s");
    rows.push(Row {
        name: format!("verify_log_dir, {n} entries, 1 thread"),
        value: format!("{o:.0} entries/s"),
        baseline: format!("{b:.0} leaf hashes/s ({mean_entry:.0} B entries)"),
        ratio: o / b,
        target: "≥ 500000 entries/s".into(),
        met: Some(o >= 500_000.0),
    });
}

fn main() {
    // `cargo bench` passes `--bench`; there is nothing to filter.
    let plan = Plan::from_env();
    let started = Instant::now();
    eprintln!(
        "gongshu-ledger benchmarks ({} run, {} CPUs, temp dir {})",
        if plan.quick { "quick" } else { "full" },
        std::thread::available_parallelism().map_or(0, usize::from),
        std::env::temp_dir().display()
    );
    // GONGSHU_BENCH_ONLY=appends,proofs,verify selects groups (default: all).
    let only = std::env::var("GONGSHU_BENCH_ONLY").unwrap_or_default();
    let wanted = |g: &str| only.is_empty() || only.split(',').any(|o| o.trim() == g);
    let mut rows = Vec::new();
    if wanted("appends") {
        bench_appends(&plan, &mut rows);
    }
    if wanted("proofs") {
        bench_proofs(&plan, &mut rows);
    }
    if wanted("verify") {
        bench_verify(&plan, &mut rows);
    }

    println!();
    println!("| benchmark | result | baseline | ratio | target | met |");
    println!("|---|---|---|---:|---|---|");
    for r in &rows {
        let met = match r.met {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "-",
        };
        println!(
            "| {} | {} | {} | {:.2} | {} | {} |",
            r.name, r.value, r.baseline, r.ratio, r.target, met
        );
    }
    println!();
    println!(
        "ratio = ledger / baseline for appends and verification, proof cost / node-hash cost for proofs; total {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let _ = std::io::stdout().flush();
}
