//! `gongshu audit …`: offline verification for regulators, auditors and the
//! public. Output and errors are in Chinese; details name the failing file.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use gongshu_ledger::Receipt;
use gongshu_ledger::note::NoteVerifier;
use gongshu_ledger::verify::{verify_log_dir, verify_payloads};

use crate::cli::{AuditCommand, VerifyArgs};

/// Errors of the audit commands, shown to the user in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum AuditCmdError {
    #[error("无法读取 {path}：{source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("验证公钥无效：{0}")]
    BadVkey(gongshu_ledger::NoteError),
    #[error("审计日志校验失败：{0}")]
    Verify(#[from] gongshu_ledger::VerifyError),
    #[error("审计回执校验失败：{0}")]
    Receipt(#[from] gongshu_ledger::ReceiptError),
    #[error("请指定 --log 与 --vkey，或 --data-dir")]
    MissingTarget,
}

/// Directory of the audit ledger inside a platform data directory.
pub fn ledger_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("audit")
}

fn read_text(path: &Path) -> Result<String, AuditCmdError> {
    std::fs::read_to_string(path).map_err(|source| AuditCmdError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn load_vkey(path: &Path) -> Result<NoteVerifier, AuditCmdError> {
    NoteVerifier::parse(read_text(path)?.trim()).map_err(AuditCmdError::BadVkey)
}

pub fn run(cmd: AuditCommand) -> Result<(), AuditCmdError> {
    match cmd {
        AuditCommand::Verify(args) => verify(args),
        AuditCommand::Vkey { data_dir } => {
            let vk = load_vkey(&ledger_dir(&data_dir).join("vkey"))?;
            println!("{}", vk.to_vkey());
            Ok(())
        }
        AuditCommand::VerifyReceipt { file, vkey, origin } => {
            let vk = load_vkey(&vkey)?;
            let receipt = Receipt::parse(&read_text(&file)?)?;
            let ok = receipt.verify(&vk, origin.as_deref())?;
            println!(
                "审计回执校验通过：第 {} 条记录包含在规模为 {} 的日志中，根哈希 {}",
                ok.index,
                ok.size,
                B64.encode(ok.root)
            );
            Ok(())
        }
    }
}

fn verify(args: VerifyArgs) -> Result<(), AuditCmdError> {
    let (log_dir, vkey_path, own) = match (&args.log, &args.data_dir) {
        (Some(log), _) => (
            log.clone(),
            args.vkey.clone().ok_or(AuditCmdError::MissingTarget)?,
            None,
        ),
        (None, Some(data)) => {
            let ld = ledger_dir(data);
            if args.vkey.is_none() {
                // The key beside the log proves integrity against accidents,
                // not against whoever can rewrite the directory.
                eprintln!(
                    "注意：未指定 --vkey，使用数据目录中的公钥。监管方应使用事先独立保存的公钥（gongshu audit vkey 的输出）进行校验。"
                );
            }
            let vk = args.vkey.clone().unwrap_or_else(|| ld.join("vkey"));
            (ld.join("log"), vk, Some(ld))
        }
        (None, None) => return Err(AuditCmdError::MissingTarget),
    };
    let vk = load_vkey(&vkey_path)?;
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("校验中 {bar:40} {pos}/{len} 个瓦片 {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    };
    let report = verify_log_dir(
        &log_dir,
        &vk,
        args.origin.as_deref(),
        args.since.as_deref(),
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    )?;
    bar.finish_and_clear();
    let cp = &report.checkpoint;
    println!(
        "审计日志校验通过：来源 {}，规模 {}，根哈希 {}（检查了 {} 个瓦片）",
        cp.origin,
        cp.size,
        B64.encode(cp.root),
        report.tiles
    );
    if args.since.is_some() {
        println!("与先前检查点一致：日志未被改写");
    }
    if let Some(ld) = own {
        let n = verify_payloads(&ld, cp.size)?;
        println!("载荷承诺校验通过：{n} 条载荷与记录一致");
    }
    Ok(())
}
