//! `gongshu audit …` from the outside, on a third-party log (Tessera's test
//! log, laid out as files) and on our own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::verify_log_dir;
use gongshu_ledger::{Ledger, LedgerOptions, NewRecord, RetentionClass};
use serde_json::Value;

fn gongshu() -> Command {
    Command::new(env!("CARGO_BIN_EXE_gongshu"))
}

fn tessera() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/tlog-tiles-tessera-testdata.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// Lays the Tessera log out as tlog-tiles files; returns the files of size 15.
fn lay_out_tessera(dir: &Path) -> (PathBuf, Vec<PathBuf>) {
    let v = tessera();
    let write = |rel: &str, bytes: &[u8]| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, bytes).unwrap();
        p
    };
    for (w, t) in v["level0_partial_tiles_hex"]["tiles"].as_object().unwrap() {
        write(
            &format!("tile/0/000.p/{w}"),
            &hex::decode(t.as_str().unwrap()).unwrap(),
        );
    }
    for (w, b) in v["entry_bundles_hex"]["bundles"].as_object().unwrap() {
        write(
            &format!("tile/entries/000.p/{w}"),
            &hex::decode(b.as_str().unwrap()).unwrap(),
        );
    }
    let cp = write(
        "checkpoint",
        v["checkpoints"]["15"].as_str().unwrap().as_bytes(),
    );
    write(
        "checkpoint.7",
        v["checkpoints"]["7"].as_str().unwrap().as_bytes(),
    );
    let vkey = dir.join("tessera.vkey");
    std::fs::write(&vkey, v["log_vkey"].as_str().unwrap()).unwrap();
    let files = vec![
        cp,
        dir.join("tile/0/000.p/15"),
        dir.join("tile/entries/000.p/15"),
    ];
    (vkey, files)
}

#[test]
fn verifies_the_tessera_log_and_rejects_every_single_byte_change() {
    let dir = tempfile::tempdir().unwrap();
    let (vkey, files) = lay_out_tessera(dir.path());
    let out = gongshu()
        .args(["audit", "verify", "--quiet", "--log"])
        .arg(dir.path())
        .arg("--vkey")
        .arg(&vkey)
        .arg("--since")
        .arg(dir.path().join("checkpoint.7"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("规模 15"), "{stdout}");
    assert!(
        stdout.contains("rKbDipCvhuX1GZ7g5BBe8sA6BbJ7ja/1nk427v383cs="),
        "{stdout}"
    );

    // Every byte of every file of the size-15 log, flipped one at a time
    // (through the library, for speed) ...
    let vk = NoteVerifier::parse(&std::fs::read_to_string(&vkey).unwrap()).unwrap();
    for f in &files {
        let original = std::fs::read(f).unwrap();
        for i in 0..original.len() {
            let mut bad = original.clone();
            bad[i] ^= 0x01;
            std::fs::write(f, &bad).unwrap();
            assert!(
                verify_log_dir(dir.path(), &vk, None, None, &mut |_, _| {}).is_err(),
                "flipping byte {i} of {} went unnoticed",
                f.display()
            );
        }
        std::fs::write(f, &original).unwrap();
    }
    // ... and a sample through the binary, which must name what failed.
    for (f, what) in files.iter().zip(["checkpoint", "000.p/15", "000.p/15"]) {
        let original = std::fs::read(f).unwrap();
        let mut bad = original.clone();
        let n = bad.len() / 2;
        bad[n] ^= 0x40;
        std::fs::write(f, &bad).unwrap();
        let out = gongshu()
            .args(["audit", "verify", "--quiet", "--log"])
            .arg(dir.path())
            .arg("--vkey")
            .arg(&vkey)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(stderr.contains("审计日志校验失败"), "{stderr}");
        assert!(stderr.contains(what), "{stderr} should name {what}");
        std::fs::write(f, &original).unwrap();
    }
}

#[test]
fn verifies_our_own_log_its_payloads_and_receipts() {
    let data = tempfile::tempdir().unwrap();
    let ledger_dir = data.path().join("audit");
    let receipt_file = data.path().join("receipt.txt");
    {
        let ledger = Ledger::open(&ledger_dir, LedgerOptions::new("gongshu.test/cli")).unwrap();
        for i in 0..600 {
            ledger
                .append(NewRecord {
                    class: RetentionClass::DataAccess,
                    action: "sandbox.query".into(),
                    payload: format!("{{\"i\":{i}}}").into_bytes(),
                })
                .unwrap();
        }
        ledger.sync().unwrap();
        std::fs::write(&receipt_file, ledger.receipt(321).unwrap().to_text()).unwrap();
    }
    let out = gongshu()
        .args(["audit", "vkey", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let vkey_text = String::from_utf8(out.stdout).unwrap();
    assert!(vkey_text.starts_with("gongshu.test/cli+"));
    let vkey_file = data.path().join("pub.vkey");
    std::fs::write(&vkey_file, &vkey_text).unwrap();

    let out = gongshu()
        .args(["audit", "verify", "--quiet", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("规模 600"), "{stdout}");
    assert!(stdout.contains("600 条载荷"), "{stdout}");

    let out = gongshu()
        .args(["audit", "verify-receipt"])
        .arg(&receipt_file)
        .arg("--vkey")
        .arg(&vkey_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("第 321 条"));

    // A forged receipt (entry changed) fails.
    let text = std::fs::read_to_string(&receipt_file).unwrap();
    let forged = text.replacen("index 321", "index 320", 1);
    std::fs::write(&receipt_file, forged).unwrap();
    let out = gongshu()
        .args(["audit", "verify-receipt"])
        .arg(&receipt_file)
        .arg("--vkey")
        .arg(&vkey_file)
        .output()
        .unwrap();
    assert!(!out.status.success());

    // Tampering with a full tile, a bundle or a level-1 tile is named.
    let log = ledger_dir.join("log");
    for rel in ["tile/0/000", "tile/entries/001", "tile/1/000.p/2"] {
        let f = log.join(rel);
        let original = std::fs::read(&f).unwrap();
        let mut bad = original.clone();
        bad[7] ^= 0x80;
        std::fs::write(&f, &bad).unwrap();
        let out = gongshu()
            .args(["audit", "verify", "--quiet", "--data-dir"])
            .arg(data.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{rel} tampering went unnoticed");
        assert!(stderr.contains(rel), "{stderr} should name {rel}");
        std::fs::write(&f, &original).unwrap();
    }
    // Tampering with a payload is caught by the commitment check.
    let day = std::fs::read_dir(ledger_dir.join("payloads/data_access"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let f = std::fs::read_dir(&day)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut bytes = std::fs::read(&f).unwrap();
    let len = u32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
    bytes[8 + len - 1] ^= 0x01;
    let crc = crc32fast_hash(&bytes[8..8 + len]);
    bytes[4..8].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&f, &bytes).unwrap();
    let out = gongshu()
        .args(["audit", "verify", "--quiet", "--data-dir"])
        .arg(data.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("载荷")
            || String::from_utf8_lossy(&out.stderr).contains("payload")
    );
}

/// CRC-32 (IEEE), bitwise; only used to forge a well-framed payload.
fn crc32fast_hash(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}
