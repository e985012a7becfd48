//! The README's first command, minus the console: `gongshu demo --no-serve`
//! runs the whole lifecycle through the use cases and leaves a log that an
//! outside verifier accepts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::process::Command;

#[test]
fn the_demo_runs_the_lifecycle_and_its_log_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["demo", "--no-serve", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "已向市数据主管部门备案",
        "生成 1 项数据授权",
        "已准入并签署不转授权承诺",
        "越权拒绝 4 条",
        "校验通过",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    // A second run into the same directory is refused rather than mixed in.
    let again = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["demo", "--no-serve", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!again.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["audit", "verify", "--quiet", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
