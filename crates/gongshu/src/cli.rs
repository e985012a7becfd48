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
    /// 启动平台服务（接口、控制台、公开审计文件）
    Serve(ServeArgs),
    /// 管理命令
    #[command(subcommand)]
    Admin(AdminCommand),
    /// 演示：建立示例县的机构与用户，走通全流程，然后启动控制台
    Demo(DemoArgs),
    /// 基准测试（结果记入 BENCHMARKS.md）
    #[command(subcommand)]
    Bench(BenchCommand),
    /// 数据集：数源单位向本单位目录资源加载数据（CSV、Parquet、PostgreSQL）
    #[command(subcommand)]
    Dataset(DatasetCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum DatasetCommand {
    /// 加载数据：流式上传到平台，生成新的加密版本并评估数据质量
    Load(DatasetLoadArgs),
}

#[derive(Debug, clap::Args)]
pub struct DatasetLoadArgs {
    /// 平台地址（明文 http 仅允许本机地址）
    #[arg(long, env = "GONGSHU_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// 本单位的接口密钥（只从环境变量读取，避免出现在进程列表中）
    #[arg(
        long = "api-key-from-env",
        env = "GONGSHU_API_KEY",
        hide_env_values = true,
        hide = true
    )]
    pub api_key: Option<String>,
    /// 目录资源编号
    #[arg(long)]
    pub resource: String,
    /// 数据文件（CSV 或 Parquet；`-` 为标准输入的 CSV）
    #[arg(
        long,
        conflicts_with = "postgres",
        required_unless_present = "postgres"
    )]
    pub file: Option<PathBuf>,
    /// 文件格式（默认按扩展名判断）
    #[arg(long, value_parser = ["csv", "parquet"])]
    pub format: Option<String>,
    /// 源 PostgreSQL 数据库连接串（配合 --table 或 --query）
    #[arg(long, env = "GONGSHU_SOURCE_POSTGRES", hide_env_values = true)]
    pub postgres: Option<String>,
    /// 源数据库中的表（可带模式名，如 public.readings）
    #[arg(long, requires = "postgres", conflicts_with = "query")]
    pub table: Option<String>,
    /// 源数据库中的查询
    #[arg(long, requires = "postgres")]
    pub query: Option<String>,
    /// 加载方式：replace（全量替换）或 append（增量追加）
    #[arg(long, default_value = "replace", value_parser = ["replace", "append"])]
    pub mode: String,
    /// CSV 编码：auto、utf-8 或 gb18030（含 gbk）
    #[arg(long, default_value = "auto")]
    pub encoding: String,
    /// 允许跳过的格式错误行数（默认 0：任一错误行即整体失败）
    #[arg(long, default_value_t = 0)]
    pub max_bad_rows: u64,
    /// 不显示进度条
    #[arg(long)]
    pub quiet: bool,
}

/// Where the platform keeps its state.
#[derive(Debug, Clone, clap::Args)]
pub struct Location {
    /// 平台数据目录（数据库、审计日志、密钥）
    #[arg(long, env = "GONGSHU_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// 数据库连接串（默认：数据目录中的 SQLite；生产可用 postgres://…）
    #[arg(long, env = "GONGSHU_DATABASE_URL")]
    pub database_url: Option<String>,
    /// 配置文件（默认：数据目录中的 gongshu.toml）
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub location: Location,
    /// 监听地址
    #[arg(long, env = "GONGSHU_LISTEN")]
    pub listen: Option<std::net::SocketAddr>,
}

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// 创建实施机构及其首个管理员（仅限空平台），打印一次性口令与动态口令密钥
    Bootstrap(BootstrapArgs),
}

#[derive(Debug, clap::Args)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub location: Location,
    /// 实施机构名称
    #[arg(long, default_value = "涞源县数据和政务服务局")]
    pub org_name: String,
    /// 管理员用户名
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// 管理员姓名
    #[arg(long, default_value = "平台管理员")]
    pub display_name: String,
}

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// 数据产品调用：带审计的核验调用与同一查询的无审计基线（环回 HTTP）
    Products(BenchProductsArgs),
}

#[derive(Debug, clap::Args)]
pub struct BenchProductsArgs {
    /// 演示县数据目录（默认：新建临时目录，结束后删除）
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// 每条路径的调用次数
    #[arg(long, default_value_t = 2000)]
    pub calls: usize,
    /// 并发连接数（每个连接依次发送调用；审计日志和计量按批提交，
    /// 并发越多每批越大）
    #[arg(long, default_value_t = 64)]
    pub connections: usize,
    /// 只测保留答复的路径（不测每次计算的路径，用于性能剖析）
    #[arg(long)]
    pub kept_only: bool,
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// 演示数据目录（默认：新建临时目录）
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// 只跑流程，不启动控制台
    #[arg(long)]
    pub no_serve: bool,
    /// 示例县规模：small（2 000 户、300 家企业、12 个月，数秒）或 county（10 万户、5 000 家企业、36 个月，数分钟）
    #[arg(long, value_enum, default_value = "county")]
    pub scale: crate::county::Scale,
    /// 随机种子：同一种子生成完全相同的示例数据
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// 控制台监听地址
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
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
