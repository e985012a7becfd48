//! Kill -9 a process that is appending, at pseudo-random moments, many
//! times; after each restart every acknowledged entry must be there, the
//! published log must verify, and it must be consistent with every
//! checkpoint published before. GONGSHU_CRASH_ITERATIONS sets the count
//! (CI runs a few; run with 100 locally).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::verify_log_dir;
use gongshu_ledger::{Ledger, LedgerOptions, NewRecord, RetentionClass, leaf_hash};

fn options() -> LedgerOptions {
    let mut o = LedgerOptions::new("gongshu.test/crash");
    o.segment_bytes = 16 * 1024;
    o.publish_interval = Duration::from_millis(2);
    o
}

/// Child side: append from four threads forever, printing each ack.
#[test]
#[ignore = "run only as the child of `kill_nine_at_random_points`"]
fn crash_child_process() {
    let Ok(dir) = std::env::var("GONGSHU_CRASH_DIR") else {
        return;
    };
    let ledger = Arc::new(Ledger::open(Path::new(&dir), options()).unwrap());
    let out = Arc::new(std::sync::Mutex::new(std::io::stdout()));
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let l = Arc::clone(&ledger);
            let out = Arc::clone(&out);
            std::thread::spawn(move || {
                for i in 0.. {
                    let payload = format!("thread {t} item {i} {}", "p".repeat((i * 37 + t) % 900));
                    let a = l
                        .append(NewRecord {
                            class: RetentionClass::DataAccess,
                            action: "crash.test".into(),
                            payload: payload.into_bytes(),
                        })
                        .unwrap();
                    let mut o = out.lock().unwrap();
                    writeln!(o, "ACK {} {}", a.index, hex::encode(a.leaf_hash)).unwrap();
                    o.flush().unwrap();
                    if i % 50 == 0 {
                        let cp = l.checkpoint().unwrap();
                        writeln!(o, "CP {}", hex::encode(cp.as_bytes())).unwrap();
                        o.flush().unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

#[test]
fn kill_nine_at_random_points() {
    let iterations: u32 = std::env::var("GONGSHU_CRASH_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut acked: Vec<(u64, [u8; 32])> = Vec::new();
    let mut checkpoints: Vec<String> = Vec::new();
    for round in 0..iterations {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(20 + seed % 180);
        let acked_before = acked.len();
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_child_process",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("GONGSHU_CRASH_DIR", dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<_>>()
        });
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        for line in reader.join().unwrap() {
            if let Some(rest) = line.strip_prefix("ACK ") {
                let (i, h) = rest.split_once(' ').unwrap();
                let h: [u8; 32] = hex::decode(h).unwrap().try_into().unwrap();
                acked.push((i.parse().unwrap(), h));
            } else if let Some(cp) = line.strip_prefix("CP ") {
                checkpoints.push(String::from_utf8(hex::decode(cp).unwrap()).unwrap());
            }
        }
        // Restart: recover, check every acknowledgement, verify the files.
        let ledger = Ledger::open(dir.path(), options())
            .unwrap_or_else(|e| panic!("round {round}: reopen failed: {e}"));
        // Every acknowledgement ever given is still there, unchanged (the
        // leaf hash identifies the entry); this round's are also read back
        // in full, payload and commitment included.
        for (n, (i, h)) in acked.iter().enumerate() {
            assert_eq!(
                ledger.leaf_hash(*i),
                Some(*h),
                "round {round}: acknowledged entry {i} lost or changed"
            );
            if n >= acked_before {
                let r = ledger
                    .read(*i)
                    .unwrap_or_else(|e| panic!("round {round}: entry {i} unreadable: {e}"));
                assert_eq!(
                    leaf_hash(&r.leaf_bytes),
                    *h,
                    "round {round}: entry {i} changed"
                );
            }
        }
        ledger.sync().unwrap();
        let vk = NoteVerifier::parse(&ledger.vkey()).unwrap();
        let cp_file = dir.path().join("previous-checkpoint");
        for cp in checkpoints.iter().rev().take(3) {
            std::fs::write(&cp_file, cp).unwrap();
            verify_log_dir(ledger.log_dir(), &vk, None, Some(&cp_file), &mut |_, _| {})
                .unwrap_or_else(|e| panic!("round {round}: verification failed: {e}"));
        }
        verify_log_dir(ledger.log_dir(), &vk, None, None, &mut |_, _| {}).unwrap();
    }
    assert!(!acked.is_empty(), "the child never acknowledged anything");
}
