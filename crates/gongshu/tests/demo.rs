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
        .args(["demo", "--no-serve", "--scale", "small", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Two banks pass the four-party market-entry review.
    assert_eq!(
        stdout.matches("已准入并签署不转授权承诺").count(),
        2,
        "{stdout}"
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
        // The planted defects are found: water's mistyped ID numbers cross
        // the validity threshold, heating's missing areas the completeness
        // threshold, and the gas company's missed update turns its data late.
        "质量告警（准确性）：数据项“holder_id_number”",
        "质量告警（完整性）：数据项“heated_area_m2”",
        "及时性告警：居民管道燃气缴费记录",
        // The closing summary says what the platform holds and where to look.
        "可信数据空间中 6 个数据集",
        "公开检查点 http://",
    ] {
        assert!(stdout.contains(step), "missing {step:?} in\n{stdout}");
    }
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("质量报告发现"))
        .collect();
    assert!(checks.len() >= 6, "{stdout}");
    assert!(
        checks.iter().all(|l| l.ends_with("（一致）")),
        "every planted defect is found exactly: {checks:#?}"
    );
    // The exports stand apart from the platform's storage, with a manifest
    // of what was planted; no household's name or ID number is stored by
    // the platform itself.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("sources/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["scale"], "small");
    let files = manifest["files"].as_array().unwrap();
    assert_eq!(files.len(), 6, "{manifest}");
    let planted: u64 = files
        .iter()
        .flat_map(|f| f["defects"].as_object().unwrap().values())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(planted > 0);
    let power = std::fs::read_to_string(
        data.join(format!("sources/{}", files[1]["file"].as_str().unwrap())),
    )
    .unwrap();
    let id_number = power.lines().nth(1).unwrap().split(',').nth(1).unwrap();
    assert_eq!(id_number.len(), 18);
    assert!(!contains_outside_sources(&data, id_number.as_bytes()));
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
    // A second run on the same directory is safe: it keeps the platform as
    // it is (no second bootstrap, no data mixed in).
    let db = std::fs::metadata(data.join("gongshu.db")).unwrap().len();
    let again = Command::new(env!("CARGO_BIN_EXE_gongshu"))
        .args(["demo", "--no-serve", "--scale", "small", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert!(String::from_utf8_lossy(&again.stdout).contains("演示平台已在"));
    assert_eq!(
        std::fs::metadata(data.join("gongshu.db")).unwrap().len(),
        db
    );
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

/// Whether any file of `dir` outside `dir/sources` holds `needle`.
fn contains_outside_sources(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let p = e.unwrap().path();
        if p.file_name().is_some_and(|n| n == "sources") {
            false
        } else if p.is_dir() {
            contains_outside_sources(&p, needle)
        } else {
            let b = std::fs::read(&p).unwrap_or_default();
            b.windows(needle.len()).any(|w| w == needle)
        }
    })
}
