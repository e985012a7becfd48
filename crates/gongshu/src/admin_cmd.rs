//! `gongshu admin …`.

use crate::cli::BootstrapArgs;
use crate::runtime;

pub async fn bootstrap(args: BootstrapArgs) -> Result<(), String> {
    let cfg = runtime::config(&args.location)?;
    let app = runtime::open(&cfg).await?;
    let creds =
        gongshu_app::bootstrap::bootstrap(&app, &args.org_name, &args.username, &args.display_name)
            .await
            .map_err(|e| match &e {
                gongshu_app::AppError::Duplicate { .. } => {
                    "平台已初始化，不能重复执行 bootstrap".to_owned()
                }
                gongshu_app::AppError::Validation(f) => f
                    .iter()
                    .map(|x| format!("{}：{}", x.field, x.message))
                    .collect::<Vec<_>>()
                    .join("；"),
                other => other.message_zh(),
            })?;
    println!(
        "已创建实施机构“{}”及其管理员。以下信息只显示这一次，请妥善保管：",
        args.org_name
    );
    println!("  用户名：{}", creds.username);
    println!("  一次性口令：{}", creds.password);
    println!("  动态口令密钥（录入验证器应用）：{}", creds.totp_secret);
    println!("  录入链接：{}", creds.otpauth_uri);
    Ok(())
}
