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
        "最高准许收入",
        "月度账单",
        "结账：试算平衡",
        "年度公共数据资源授权运营年度报告",
        "实施机构年度信息披露",
        "校验通过",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    // The accounts file holds every printed account and a ready product
    // call for the bank's key, readable by its owner only.
    let path = data.join("demo-accounts.json");
    let accounts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let users = accounts["users"].as_array().unwrap();
    assert!(users.len() >= 10, "{accounts}");
    assert!(
        users
            .iter()
            .all(|u| u["password"].as_str().is_some_and(|p| p.len() >= 12)
                && u["totp_secret"].as_str().is_some_and(|s| !s.is_empty()))
    );
    let call = &accounts["api_keys"][1]["sample_call"];
    assert_eq!(call["scenario"], "小微企业信用评价");
    assert!(
        accounts["api_keys"][1]["key"]
            .as_str()
            .unwrap()
            .starts_with("gsk_")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "only the owner reads the accounts file");
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
