//! The ledger from the outside: append, read, receipts, publication,
//! recovery, rollback detection, retention, tamper detection, fail-closed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::verify_log_dir;
use gongshu_ledger::{Ledger, LedgerError, LedgerOptions, NewRecord, Receipt, RetentionClass};

const DAY_MS: i64 = 86_400_000;
const START_MS: i64 = 1_795_780_800_000; // 2026-11-27T12:00:00Z

fn opts(clock: &Arc<AtomicI64>) -> LedgerOptions {
    let c = Arc::clone(clock);
    let mut o = LedgerOptions::new("gongshu.test/audit");
    o.segment_bytes = 4096;
    o.publish_interval = Duration::from_millis(10);
    o.clock = Arc::new(move || c.load(Ordering::SeqCst));
    o
}

fn rec(class: RetentionClass, i: usize) -> NewRecord {
    NewRecord {
        class,
        action: "test.event".into(),
        payload: format!("{{\"n\":{i},\"who\":\"u-{i}\"}}").into_bytes(),
    }
}

fn verify_dir(ledger: &Ledger) -> u64 {
    let vk = NoteVerifier::parse(&ledger.vkey()).unwrap();
    verify_log_dir(ledger.log_dir(), &vk, None, None, &mut |_, _| {})
        .unwrap()
        .checkpoint
        .size
}

#[test]
fn append_read_receipt_and_verify() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    let mut acks = Vec::new();
    for i in 0..300 {
        acks.push(ledger.append(rec(RetentionClass::DataAccess, i)).unwrap());
    }
    assert_eq!(
        acks.iter().map(|a| a.index).collect::<Vec<_>>(),
        (0..300).collect::<Vec<_>>()
    );
    assert_eq!(ledger.size(), 300);
    for i in [0u64, 1, 255, 256, 299] {
        let r = ledger.read(i).unwrap();
        assert_eq!(
            r.payload.unwrap(),
            format!("{{\"n\":{i},\"who\":\"u-{i}\"}}").into_bytes()
        );
        assert_eq!(r.leaf.occurred_at_ms, START_MS);
        let receipt = ledger.receipt(i).unwrap();
        let parsed = Receipt::parse(&receipt.to_text()).unwrap();
        let vk = NoteVerifier::parse(&ledger.vkey()).unwrap();
        let ok = parsed.verify(&vk, None).unwrap();
        assert_eq!(ok.index, i);
        assert_eq!(ok.size, 300);
    }
    assert!(matches!(ledger.read(300), Err(LedgerError::NotFound(300))));
    ledger.sync().unwrap();
    assert_eq!(verify_dir(&ledger), 300);
}

#[test]
fn concurrent_appenders_get_distinct_indices() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Arc::new(Ledger::open(dir.path(), opts(&clock)).unwrap());
    let handles: Vec<_> = (0..16)
        .map(|t| {
            let l = Arc::clone(&ledger);
            std::thread::spawn(move || {
                (0..50)
                    .map(|i| {
                        l.append(rec(RetentionClass::Governance, t * 1000 + i))
                            .unwrap()
                            .index
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<u64> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    all.sort_unstable();
    assert_eq!(all, (0..800).collect::<Vec<_>>());
    ledger.sync().unwrap();
    assert_eq!(verify_dir(&ledger), 800);
}

/// Callers that do not block (the server's async tasks) hand in a
/// callback: each is answered exactly once, after its record is durable,
/// and the records read back as appended.
#[test]
fn callback_appenders_are_answered_once_each_after_the_record_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    for i in 0..200 {
        let tx = tx.clone();
        ledger.append_then(rec(RetentionClass::DataAccess, i), move |r| {
            tx.send((i, r.map(|a| a.index))).unwrap();
        });
    }
    drop(tx);
    let mut answers: Vec<(usize, u64)> = rx.iter().map(|(i, r)| (i, r.unwrap())).collect();
    assert_eq!(answers.len(), 200, "one answer per record");
    answers.sort_unstable();
    for (i, index) in answers {
        let payload = ledger.read(index).unwrap().payload.unwrap();
        assert_eq!(
            payload,
            format!("{{\"n\":{i},\"who\":\"u-{i}\"}}").into_bytes()
        );
    }
    // Too large: answered with the refusal, nothing appended.
    let big = NewRecord {
        class: RetentionClass::DataAccess,
        action: "test.event".into(),
        payload: vec![b'x'; 64 * 1024 * 1024],
    };
    let (tx, rx) = std::sync::mpsc::channel();
    ledger.append_then(big, move |r| tx.send(r.is_err()).unwrap());
    assert!(rx.recv().unwrap());
    assert_eq!(ledger.size(), 200);
}

#[test]
fn reopen_recovers_everything_and_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let (root, first_cp) = {
        let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
        for i in 0..100 {
            ledger.append(rec(RetentionClass::Network, i)).unwrap();
        }
        let cp = ledger.checkpoint().unwrap();
        for i in 100..170 {
            ledger.append(rec(RetentionClass::Network, i)).unwrap();
        }
        (ledger.root(), cp)
    };
    let old = dir.path().join("old-checkpoint");
    std::fs::write(&old, &first_cp).unwrap();
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    assert_eq!(ledger.size(), 170);
    assert_eq!(ledger.root(), root);
    assert_eq!(
        ledger.read(42).unwrap().payload.unwrap(),
        b"{\"n\":42,\"who\":\"u-42\"}"
    );
    ledger.append(rec(RetentionClass::Network, 170)).unwrap();
    ledger.sync().unwrap();
    let vk = NoteVerifier::parse(&ledger.vkey()).unwrap();
    let report = verify_log_dir(ledger.log_dir(), &vk, None, Some(&old), &mut |_, _| {}).unwrap();
    assert_eq!(report.checkpoint.size, 171);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn restoring_old_files_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    {
        let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
        for i in 0..50 {
            ledger.append(rec(RetentionClass::DataAccess, i)).unwrap();
        }
        ledger.sync().unwrap();
    }
    copy_dir(dir.path(), backup.path());
    {
        let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
        for i in 50..120 {
            ledger.append(rec(RetentionClass::DataAccess, i)).unwrap();
        }
        ledger.checkpoint().unwrap();
    }
    // Put back everything but the signer's state: the log went backwards.
    let state = std::fs::read(dir.path().join("signer.state")).unwrap();
    std::fs::remove_dir_all(dir.path()).unwrap();
    copy_dir(backup.path(), dir.path());
    std::fs::write(dir.path().join("signer.state"), state).unwrap();
    match Ledger::open(dir.path(), opts(&clock)) {
        Err(LedgerError::RolledBack { signed, have }) => {
            assert_eq!((signed, have), (120, 50));
        }
        other => panic!("expected RolledBack, got {other:?}"),
    }
}

#[test]
fn retention_floors_cannot_be_lowered() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let mut o = opts(&clock);
    o.retention_days.insert(RetentionClass::DataAccess, 365);
    assert!(matches!(
        Ledger::open(dir.path(), o),
        Err(LedgerError::RetentionBelowFloor {
            class: "data_access",
            ..
        })
    ));
    let mut o = opts(&clock);
    o.retention_days.insert(RetentionClass::Network, 100);
    assert!(Ledger::open(dir.path(), o).is_err());
}

#[test]
fn expiry_deletes_only_expired_payloads_and_logs_it() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    let net = ledger
        .append(rec(RetentionClass::Network, 1))
        .unwrap()
        .index;
    let data = ledger
        .append(rec(RetentionClass::DataAccess, 2))
        .unwrap()
        .index;
    // 100 days later nothing may go.
    clock.store(START_MS + 100 * DAY_MS, Ordering::SeqCst);
    assert_eq!(ledger.expire().unwrap(), 0);
    assert!(ledger.read(net).unwrap().payload.is_some());
    // 200 days later the network log has expired, the data access log not.
    clock.store(START_MS + 200 * DAY_MS, Ordering::SeqCst);
    assert_eq!(ledger.expire().unwrap(), 1);
    let gone = ledger.read(net).unwrap();
    assert!(gone.payload.is_none());
    assert_eq!(gone.leaf.class, RetentionClass::Network);
    assert!(ledger.read(data).unwrap().payload.is_some());
    // The deletion itself is an audited event.
    let last = ledger.read(ledger.size() - 1).unwrap();
    assert_eq!(last.leaf.action, "audit.retention.expired");
    assert!(
        String::from_utf8(last.payload.unwrap())
            .unwrap()
            .contains("\"class\":\"network\"")
    );
    // Five years and a bit later the data access payload goes too.
    clock.store(START_MS + 1830 * DAY_MS, Ordering::SeqCst);
    assert!(ledger.expire().unwrap() >= 1);
    assert!(ledger.read(data).unwrap().payload.is_none());
    ledger.sync().unwrap();
    assert_eq!(verify_dir(&ledger), ledger.size());
}

#[test]
fn tampered_payload_is_detected_on_read() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    ledger.append(rec(RetentionClass::DataAccess, 7)).unwrap();
    ledger.sync().unwrap();
    let day_dir = dir.path().join("payloads/data_access/20261127");
    let file = std::fs::read_dir(&day_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&file).unwrap();
    // Flip a payload byte and fix up the frame checksum, as a careful forger would.
    let n = bytes.len();
    bytes[n - 3] ^= 0x20;
    let body = bytes[8..].to_vec();
    bytes[4..8].copy_from_slice(&crc32fast::hash(&body).to_le_bytes());
    std::fs::write(&file, bytes).unwrap();
    assert!(matches!(
        ledger.read(0),
        Err(LedgerError::PayloadTampered { index: 0 })
    ));
}

#[test]
fn invalid_records_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Ledger::open(dir.path(), opts(&clock)).unwrap();
    let bad = NewRecord {
        class: RetentionClass::DataAccess,
        action: "Bad Action!".into(),
        payload: vec![],
    };
    assert!(ledger.append(bad).is_err());
    assert_eq!(ledger.size(), 0);
}

#[test]
fn a_full_disk_refuses_appends_and_loses_nothing_acknowledged() {
    // Needs root to mount a tiny tmpfs (CI and the dev machines run as root).
    let mnt = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mounting a tmpfs failed: this test needs root");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let dir = mnt.path().join("audit");
    // Reserve space now so that it can be freed after the disk is full.
    let filler = mnt.path().join("filler");
    std::fs::write(&filler, vec![0u8; 96 * 1024]).unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let mut o = opts(&clock);
    o.segment_bytes = 1 << 30;
    let mut acked = Vec::new();
    let mut refused = None;
    {
        let ledger = Ledger::open(&dir, o.clone()).unwrap();
        for i in 0..100_000 {
            let r = NewRecord {
                class: RetentionClass::DataAccess,
                action: "test.fill".into(),
                payload: vec![b'x'; 1000 + i % 7],
            };
            match ledger.append(r) {
                Ok(a) => acked.push(a),
                Err(e) => {
                    refused = Some(e);
                    break;
                }
            }
        }
        assert!(refused.is_some(), "the disk never filled");
        // Fail closed: further appends are refused too.
        assert!(ledger.append(rec(RetentionClass::DataAccess, 0)).is_err());
    }
    // Free space (outside the log) and reopen: every acknowledged entry is there.
    std::fs::remove_file(&filler).unwrap();
    let ledger = Ledger::open(&dir, o).unwrap();
    assert!(ledger.size() >= acked.len() as u64);
    for a in acked.iter().step_by(7) {
        let r = ledger.read(a.index).unwrap();
        assert_eq!(gongshu_ledger::leaf_hash(&r.leaf_bytes), a.leaf_hash);
    }
}

#[test]
fn receipts_verify_while_others_sign_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    let ledger = Arc::new(Ledger::open(dir.path(), opts(&clock)).unwrap());
    let vk = NoteVerifier::parse(&ledger.vkey()).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Appenders and a public checkpoint reader race the receipts.
    let mut busy = Vec::new();
    for t in 0..2 {
        let (l, s) = (Arc::clone(&ledger), Arc::clone(&stop));
        busy.push(std::thread::spawn(move || {
            let mut i = 0;
            while !s.load(Ordering::SeqCst) {
                l.append(rec(RetentionClass::DataAccess, t * 100_000 + i))
                    .unwrap();
                i += 1;
            }
        }));
    }
    let (l, s) = (Arc::clone(&ledger), Arc::clone(&stop));
    busy.push(std::thread::spawn(move || {
        while !s.load(Ordering::SeqCst) {
            l.checkpoint().unwrap();
        }
    }));
    let first = ledger
        .append(rec(RetentionClass::DataAccess, 0))
        .unwrap()
        .index;
    for _ in 0..300 {
        let r = ledger.receipt(first).unwrap();
        Receipt::parse(&r.to_text())
            .unwrap()
            .verify(&vk, None)
            .unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    for b in busy {
        b.join().unwrap();
    }
}

#[cfg(unix)]
#[test]
fn the_signing_key_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(AtomicI64::new(START_MS));
    drop(Ledger::open(dir.path(), opts(&clock)).unwrap());
    let key = dir.path().join("signer.key");
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // A copy left world-readable is tightened on open.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    drop(Ledger::open(dir.path(), opts(&clock)).unwrap());
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}
