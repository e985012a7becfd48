//! Command-line definitions (clap). Help texts are in Chinese for operators.

use std::path::PathBuf;

/// gongshu（公数）：县级公共数据资源授权运营平台
#[derive(Debug, clap::Parser)]
#[command(name = "gongshu", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// 审计日志：离线校验、验证公钥、回执校验
    #[command(subcommand)]
    Audit(AuditCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// 校验审计日志（C2SP tlog-tiles 目录，或本平台数据目录）
    Verify(VerifyArgs),
    /// 打印本平台审计日志的验证公钥（signed-note vkey 格式）
    Vkey {
        /// 平台数据目录
        #[arg(long, env = "GONGSHU_DATA_DIR")]
        data_dir: PathBuf,
    },
    /// 校验单条审计回执（C2SP tlog-proof）
    VerifyReceipt {
        /// 回执文件
        file: PathBuf,
        /// 验证公钥文件
        #[arg(long)]
        vkey: PathBuf,
        /// 预期的日志来源（默认取公钥名称）
        #[arg(long)]
        origin: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// C2SP tlog-tiles 日志目录（含 checkpoint 与 tile/）
    #[arg(long, conflicts_with = "data_dir", requires = "vkey")]
    pub log: Option<PathBuf>,
    /// 验证公钥文件（signed-note vkey）
    #[arg(long)]
    pub vkey: Option<PathBuf>,
    /// 本平台数据目录（使用平台自己的公钥，并校验载荷承诺）
    #[arg(long, env = "GONGSHU_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// 预期的日志来源（默认取公钥名称）
    #[arg(long)]
    pub origin: Option<String>,
    /// 此前保存的检查点文件：证明当前日志与之一致（未被改写）
    #[arg(long)]
    pub since: Option<PathBuf>,
    /// 不显示进度条
    #[arg(long)]
    pub quiet: bool,
}
