//! `gongshu demo`: a synthetic Laiyuan County platform, set up through the
//! use cases exactly as the real parties would, with the checks a newcomer
//! wants to see (refusals, audit inspection, offline verification), then
//! the console. Later issues extend the lifecycle (catalog, agreement,
//! sandbox, products, billing).

use std::sync::Arc;

use chrono::Datelike as _;

use gongshu_app::orgs::NewOrganisation;
use gongshu_app::users::NewUser;
use gongshu_app::{Actor, App, AppError};
use gongshu_server::ServerConfig;

use crate::cli::DemoArgs;
use crate::demo_governance as governance;

pub(crate) use crate::county::ids::credit_code;

pub(crate) struct Person {
    pub(crate) actor: Actor,
    username: String,
    display_name: String,
    roles: Vec<String>,
    password: String,
    totp_secret: String,
}

impl Person {
    fn account(&self, organisation: &str) -> serde_json::Value {
        serde_json::json!({
            "username": self.username,
            "display_name": self.display_name,
            "organisation": organisation,
            "roles": self.roles,
            "password": self.password,
            "totp_secret": self.totp_secret,
        })
    }
}

/// Writes `DIR/demo-accounts.json`, readable by its owner only: the demo's
/// accounts and keys are real credentials of this local platform.
fn write_accounts(dir: &std::path::Path, accounts: &serde_json::Value) -> Result<(), String> {
    use std::io::Write as _;
    let path = dir.join("demo-accounts.json");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let text = serde_json::to_string_pretty(accounts).map_err(|x| x.to_string())?;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|x| format!("无法写入 {}：{x}", path.display()))
}

pub(crate) fn e(err: AppError) -> String {
    match &err {
        AppError::Validation(f) => f
            .iter()
            .map(|x| format!("{}：{}", x.field, x.message))
            .collect::<Vec<_>>()
            .join("；"),
        other => format!("{}（{other}）", other.message_zh()),
    }
}

async fn login(
    app: &App,
    username: &str,
    password: &str,
    secret_b32: &str,
) -> Result<Actor, String> {
    let creds = gongshu_app::bootstrap::InitialCredentials {
        user_id: String::new(),
        org_id: String::new(),
        username: username.into(),
        password: password.into(),
        totp_secret: secret_b32.into(),
        otpauth_uri: String::new(),
    };
    let step = gongshu_app::crypto::totp_step(app.clock().now().timestamp());
    let code = gongshu_app::crypto::totp_at_step(&creds.totp_secret_bytes(), step);
    Ok(gongshu_app::session::login(app, username, password, &code)
        .await
        .map_err(e)?
        .actor)
}

pub(crate) async fn org(
    app: &App,
    admin: &Actor,
    name: &str,
    kind: &str,
    sector: Option<&str>,
    code: Option<&str>,
) -> Result<String, String> {
    let v = gongshu_app::orgs::create_organisation(
        app,
        admin,
        &NewOrganisation {
            name: name.into(),
            kind: kind.into(),
            sector: sector.map(Into::into),
            credit_code: code.map(credit_code),
        },
    )
    .await
    .map_err(e)?;
    println!("  · 机构：{}（{}）", v.name, v.kind_label);
    Ok(v.id)
}

pub(crate) async fn person(
    app: &App,
    admin: &Actor,
    org_id: &str,
    username: &str,
    name: &str,
    roles: &[&str],
) -> Result<Person, String> {
    let c = gongshu_app::users::create_user(
        app,
        admin,
        &NewUser {
            org_id: org_id.into(),
            username: username.into(),
            display_name: name.into(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        },
    )
    .await
    .map_err(e)?;
    // Each demo user logs in once with a real TOTP code.
    let actor = login(app, &c.username, &c.password, &c.totp_secret).await?;
    Ok(Person {
        actor,
        username: c.username,
        display_name: name.to_owned(),
        roles: roles.iter().map(|r| (*r).to_owned()).collect(),
        password: c.password,
        totp_secret: c.totp_secret,
    })
}

/// A second run on a finished demo directory serves it as it is; an
/// unfinished one (interrupted) is refused, so nothing is mixed in.
async fn again(
    cfg: &ServerConfig,
    data_dir: &std::path::Path,
    no_serve: bool,
) -> Result<(), String> {
    if !data_dir.join("demo-accounts.json").exists() {
        return Err(format!(
            "演示目录 {} 中有一次未完成的演示（没有 demo-accounts.json），请删除该目录或换一个空目录",
            data_dir.display()
        ));
    }
    println!(
        "演示平台已在 {} 建成：不重复生成，沿用原有数据、账号与审计日志（账号见 demo-accounts.json）",
        data_dir.display()
    );
    if no_serve {
        return Ok(());
    }
    let app = crate::runtime::open(cfg).await?;
    crate::serve_cmd::serve(app, cfg.clone()).await
}

pub async fn run(args: DemoArgs) -> Result<(), String> {
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
        std::env::temp_dir().join(format!("gongshu-demo-{stamp}-{}", std::process::id()))
    });
    let cfg = ServerConfig {
        data_dir: data_dir.clone(),
        listen: args.listen,
        database_url: None,
        audit_origin: "laiyuan.gongshu.demo/audit".into(),
        // The demo console runs on plain http://127.0.0.1.
        secure_cookies: false,
    };
    if data_dir.join("gongshu.db").exists() {
        return again(&cfg, &data_dir, args.no_serve).await;
    }
    println!(
        "公数演示：涞源县公共数据授权运营平台（数据目录 {}）",
        data_dir.display()
    );
    let county = crate::county::County::generate(args.seed, args.scale);
    // So that `gongshu serve --data-dir <dir>` restarts this demo platform later.
    std::fs::create_dir_all(&data_dir)
        .and_then(|()| {
            std::fs::write(
                data_dir.join("gongshu.toml"),
                format!(
                    "# 演示平台的配置（gongshu demo 生成）\naudit_origin = \"{}\"\nsecure_cookies = false\n",
                    cfg.audit_origin
                ),
            )
        })
        .map_err(|e| format!("无法写入演示配置：{e}"))?;
    // The demo replays the operation's first month (from 1 December of last
    // year) and the year end at full speed, then catches up with real time.
    let real_today = gongshu_app::inbox::shanghai_today(chrono::Utc::now());
    let start = chrono::NaiveDate::from_ymd_opt(real_today.year() - 1, 12, 1)
        .and_then(|d| d.and_hms_opt(1, 0, 0))
        .map(|t| t.and_utc())
        .ok_or("日期溢出")?;
    let clock = Arc::new(gongshu_app::ShiftedClock::starting_at(start));
    let app = crate::runtime::open_with_clock(&cfg, clock.clone()).await?;
    println!(
        "演示时钟：从 {} 起快进回放授权运营的第一个月与年度结算，之后回到当前时间",
        start.date_naive()
    );

    println!("1. 初始化：实施机构与管理员");
    let boot =
        gongshu_app::bootstrap::bootstrap(&app, "涞源县数据和政务服务局", "admin", "平台管理员")
            .await
            .map_err(e)?;
    let admin = login(&app, &boot.username, &boot.password, &boot.totp_secret).await?;

    println!("2. 各方机构");
    let bureau = org(
        &app,
        &admin,
        "涞源县数据管理部门",
        "data_bureau",
        None,
        None,
    )
    .await?;
    let operator = org(
        &app,
        &admin,
        "涞源县数字经济运营有限公司",
        "operator",
        None,
        Some("91130630MA0D7K301"),
    )
    .await?;
    let power = org(
        &app,
        &admin,
        "国网涞源县供电公司",
        "data_source_unit",
        Some("utilities"),
        Some("91130630MA0D7K302"),
    )
    .await?;
    let regulator = org(
        &app,
        &admin,
        "涞源县地方金融监督管理局",
        "sector_regulator",
        Some("finance"),
        None,
    )
    .await?;
    let bank = org(
        &app,
        &admin,
        "涞源县农村信用合作联社",
        "participant",
        None,
        Some("91130630MA0D7K303"),
    )
    .await?;
    let market = org(
        &app,
        &admin,
        "涞源县市场监督管理局",
        "data_source_unit",
        Some("market_regulation"),
        Some("11130630MB0D7K304"),
    )
    .await?;
    org(&app, &admin, "涞源县财政局", "finance_bureau", None, None).await?;
    let ndrc_org = org(
        &app,
        &admin,
        "涞源县发展和改革局",
        "pricing_authority",
        None,
        None,
    )
    .await?;
    org(
        &app,
        &admin,
        "涞源县委网信办",
        "security_regulator",
        None,
        None,
    )
    .await?;
    let ops = org(&app, &admin, "平台运维中心", "platform_admin", None, None).await?;

    println!("3. 各方用户（口令 + 动态口令登录）");
    let boot_org = admin.org_id.clone();
    let ia_approver = person(
        &app,
        &admin,
        &boot_org,
        "ia.approver",
        "陈审批",
        &["approver"],
    )
    .await?;
    let inspector = person(
        &app,
        &admin,
        &bureau,
        "bureau.reviewer",
        "李审核",
        &["reviewer"],
    )
    .await?;
    let op_admin = person(
        &app,
        &admin,
        &operator,
        "operator.admin",
        "王运营",
        &["admin"],
    )
    .await?;
    let op_reviewer = person(
        &app,
        &admin,
        &operator,
        "operator.reviewer",
        "钱运审",
        &["reviewer"],
    )
    .await?;
    let power_officer = person(
        &app,
        &admin,
        &power,
        "power.officer",
        "赵供电",
        &["case_officer"],
    )
    .await?;
    let power_reviewer = person(
        &app,
        &admin,
        &power,
        "power.reviewer",
        "郑供审",
        &["reviewer"],
    )
    .await?;
    let fin_regulator = person(
        &app,
        &admin,
        &regulator,
        "finance.regulator",
        "孙金融",
        &["case_officer", "reviewer"],
    )
    .await?;
    let power_admin = person(
        &app,
        &admin,
        &power,
        "power.admin",
        "冯供管",
        &["admin", "case_officer"],
    )
    .await?;
    let bank_admin = person(&app, &admin, &bank, "bank.admin", "周信贷", &["admin"]).await?;
    let market_officer = person(
        &app,
        &admin,
        &market,
        "market.officer",
        "袁市监",
        &["case_officer"],
    )
    .await?;
    let ndrc = person(
        &app,
        &admin,
        &ndrc_org,
        "ndrc.approver",
        "何价格",
        &["approver"],
    )
    .await?;
    let accountant = person(
        &app,
        &admin,
        &operator,
        "operator.accountant",
        "林会计",
        &["case_officer"],
    )
    .await?;
    let cfo = person(
        &app,
        &admin,
        &operator,
        "operator.cfo",
        "高财务",
        &["approver"],
    )
    .await?;
    let ops_admin = person(&app, &admin, &ops, "ops.admin", "吴运维", &["admin"]).await?;

    println!(
        "4. 数源单位编制数据资源目录、分类分级，加载本单位系统的导出文件（可信数据空间，加密存储，直接标识符假名化）"
    );
    let units = crate::demo_units::create(&app, &admin).await?;
    let sources = crate::demo_units::initial_exports(&county, &data_dir, start.date_naive())?;
    let loaded = crate::demo_units::load_initial(
        &app,
        &sources,
        &crate::demo_units::Loaders {
            power: &power_officer.actor,
            market: &market_officer.actor,
            units: &units,
        },
    )
    .await?;
    let bills_id = loaded.id_of("power_bill")?;
    let today = gongshu_app::inbox::shanghai_today(app.clock().now());
    // The agreement's data scope and the demand name the loaded bills.
    let power_bill = bills_id.clone();
    let enterprise_registry = loaded.id_of("enterprise_registry")?;

    println!("5. 运营机构遴选与应用场景");
    governance::select_operator(
        &app,
        &admin,
        &ia_approver.actor,
        &operator,
        &credit_code("91130630MA0D7K301"),
        today,
    )
    .await?;
    governance::scenario(
        &app,
        &fin_regulator.actor,
        &op_admin.actor,
        &inspector.actor,
        today,
    )
    .await?;

    println!("6. 授权运营协议：起草 → 征求意见 → 三重一大决策 → 签订 → 十个工作日内备案");
    let draft = governance::draft_agreement(
        &app,
        &admin,
        &operator,
        today,
        &[&power_bill, &enterprise_registry],
    )
    .await?;
    governance::complete_agreement(&app, &admin, &ia_approver.actor, &regulator, &draft, today)
        .await?;

    println!("7. 数据需求：运营机构与行业主管部门联合申请，实施机构、数据管理部门、数源单位审批");
    let grants = governance::data_demand(
        &app,
        &op_admin.actor,
        &fin_regulator.actor,
        &[&ia_approver.actor, &inspector.actor, &power_reviewer.actor],
        &power,
        &power_bill,
        today,
    )
    .await?;
    println!("  · 已批准，生成 {grants} 项数据授权");
    crate::demo_sandbox::run(&app, &op_admin.actor).await?;
    let pending = governance::pending_data_demand(
        &app,
        &op_admin.actor,
        &fin_regulator.actor,
        &power,
        &power_bill,
        today,
    )
    .await?;
    println!("  · 另一项数据需求待审（出现在各审核方的待办中）：{pending}");

    println!("8. 二级市场准入：四方联合审核，签署不转授权承诺后准入");
    let entry_reviewers = [
        &ia_approver.actor,
        &fin_regulator.actor,
        &op_reviewer.actor,
        &power_reviewer.actor,
    ];
    governance::market_entry(&app, &bank_admin.actor, &entry_reviewers, &power).await?;
    // A second bank goes through the same four-party review.
    let bank2 = org(
        &app,
        &admin,
        "中国邮政储蓄银行涞源县支行",
        "participant",
        None,
        Some("91130630MA0D7K305"),
    )
    .await?;
    let bank2_admin = person(&app, &admin, &bank2, "bank2.admin", "邮小储", &["admin"]).await?;
    governance::market_entry(&app, &bank2_admin.actor, &entry_reviewers, &power).await?;
    let inbox = gongshu_app::inbox::inbox(&app, &ia_approver.actor)
        .await
        .map_err(e)?;
    for item in &inbox {
        println!(
            "  · 实施机构待办：{}（{}，期限 {}，{}）",
            item.obligation.title_zh,
            item.obligation.rule,
            item.obligation.due_on,
            item.status_label
        );
    }

    println!(
        "9. 数据产品：起草 → 自动检查 → 三方审核 → 登记上架 → 订阅与密钥 → 企业授权 → 调用 → 溯源"
    );
    let (product_key, product_id) = crate::demo_products::run(
        &app,
        &crate::demo_products::Parties {
            operator: &op_admin.actor,
            operator_reviewer: &op_reviewer.actor,
            agency: &ia_approver.actor,
            regulator: &fin_regulator.actor,
            bureau: &inspector.actor,
            bank: &bank_admin.actor,
        },
        &power_bill,
    )
    .await?;

    println!(
        "10. 价格、账单、收益分配与专账：最高准许收入 → 上限收费标准 → 具体收费标准 → 一个月的调用 → 月度账单 → 结账 → 年度报告与信息披露"
    );
    crate::demo_finance::run(
        &app,
        &clock,
        &crate::demo_finance::Parties {
            ndrc: &ndrc.actor,
            agency: &ia_approver.actor,
            accountant: &accountant.actor,
            cfo: &cfo.actor,
            regulator_org: &regulator,
        },
        &product_id,
        &product_key,
    )
    .await?;
    clock.catch_up();
    crate::demo_units::monthly_update(&app, &county, &data_dir, start.date_naive(), &loaded)
        .await?;
    // Keys issued in the replayed past may have run out: fresh ones now.
    let product_key = crate::demo_products::fresh_key(&app, &bank_admin.actor, &product_id).await?;
    let power_key = crate::demo_data::load_key(&app, &power_admin.actor, &power, &bills_id).await?;

    println!("12. 越权尝试（均被拒绝并记入审计日志）");
    for (who, what, result) in [
        (
            "二级市场主体管理员",
            "新建机构",
            gongshu_app::orgs::create_organisation(
                &app,
                &bank_admin.actor,
                &NewOrganisation {
                    name: "冒名机构".into(),
                    kind: "operator".into(),
                    sector: None,
                    credit_code: None,
                },
            )
            .await
            .map(|_| ()),
        ),
        (
            "平台运维",
            "查看审计记录",
            gongshu_app::audit_inspect::list(&app, &ops_admin.actor, &Default::default())
                .await
                .map(|_| ()),
        ),
        (
            "运营机构管理员",
            "为供电公司签发密钥",
            gongshu_app::api_keys::issue_api_key(
                &app,
                &op_admin.actor,
                &gongshu_app::api_keys::NewApiKey {
                    org_id: power.clone(),
                    scope: "x".into(),
                    valid_days: 1,
                },
            )
            .await
            .map(|_| ()),
        ),
        (
            "数源单位经办人",
            "授予自己管理员角色",
            gongshu_app::users::change_role(
                &app,
                &power_officer.actor,
                &power_officer.actor.user_id,
                "admin",
                true,
            )
            .await,
        ),
    ] {
        match result {
            Err(AppError::Forbidden { .. }) => println!("  · {who}{what}：已拒绝"),
            other => return Err(format!("{who}{what}本应被拒绝，结果却是 {other:?}")),
        }
    }

    crate::demo_audit::inspect_and_verify(&app, &inspector.actor, &cfg.audit_dir()).await?;
    println!(
        "  · 命令行复核：gongshu audit verify --data-dir {}",
        data_dir.display()
    );

    println!("\n演示账号（口令与动态口令密钥仅供本机演示）：");
    for p in [
        &ia_approver,
        &inspector,
        &op_admin,
        &fin_regulator,
        &power_reviewer,
        &bank_admin,
    ] {
        println!(
            "  {:<18} 口令 {}  动态口令密钥 {}",
            p.username, p.password, p.totp_secret
        );
    }
    println!(
        "  {:<18} 口令 {}  动态口令密钥 {}",
        boot.username, boot.password, boot.totp_secret
    );
    println!("\n供电公司数据加载（数据集 {bills_id}）：");
    println!(
        "  GONGSHU_API_KEY={power_key} gongshu dataset load --server http://{} --resource {bills_id} --file 账单.csv --mode append",
        args.listen
    );
    let sample_enterprise = credit_code(&format!("9113063{:010}", 3_000_000));
    let mut users = vec![
        serde_json::json!({ "username": boot.username, "display_name": "平台管理员", "organisation": "涞源县数据和政务服务局",
              "roles": ["admin"], "password": boot.password, "totp_secret": boot.totp_secret }),
        ia_approver.account("涞源县数据和政务服务局"),
        inspector.account("涞源县数据管理部门"),
        op_admin.account("涞源县数字经济运营有限公司"),
        op_reviewer.account("涞源县数字经济运营有限公司"),
        power_officer.account("国网涞源县供电公司"),
        power_reviewer.account("国网涞源县供电公司"),
        power_admin.account("国网涞源县供电公司"),
        fin_regulator.account("涞源县地方金融监督管理局"),
        bank_admin.account("涞源县农村信用合作联社"),
        bank2_admin.account("中国邮政储蓄银行涞源县支行"),
        market_officer.account("涞源县市场监督管理局"),
        ndrc.account("涞源县发展和改革局"),
        accountant.account("涞源县数字经济运营有限公司"),
        cfo.account("涞源县数字经济运营有限公司"),
        ops_admin.account("平台运维中心"),
    ];
    users.extend(units.iter().map(|u| u.person.account(u.organisation)));
    let accounts = serde_json::json!({
        "console": format!("http://{}/", args.listen),
        "users": users,
        "api_keys": [
            { "organisation": "国网涞源县供电公司", "key": power_key, "scope": format!("dataset:{bills_id}/load"),
              "use": "gongshu dataset load --resource <id> --file <csv>" },
            { "organisation": "涞源县农村信用合作联社", "key": product_key, "scope": "product subscription",
              "sample_call": {
                  "method": "POST",
                  "url": format!("http://{}/api/v1/products/{product_id}/calls", args.listen),
                  "product_id": product_id,
                  "scenario": crate::demo_products::SCENARIO,
                  "params": { "enterprise": sample_enterprise, "months": 12 },
              } },
        ],
    });
    write_accounts(&data_dir, &accounts)?;
    println!(
        "\n演示账号、口令、动态口令密钥与接口密钥已写入 {}（仅本机可读）",
        data_dir.join("demo-accounts.json").display()
    );
    println!("\n信用社调用数据产品（订阅密钥，企业须已授权）：");
    println!(
        "  curl -s -H 'Authorization: Bearer {product_key}' -H 'Content-Type: application/json' \\\n    -d '{{\"scenario\": \"{}\", \"params\": {{\"enterprise\": \"{}\", \"months\": 12}}}}' \\\n    http://{}/api/v1/products/{product_id}/calls",
        crate::demo_products::SCENARIO,
        sample_enterprise,
        args.listen
    );
    crate::demo_summary::print(&app, &loaded, &data_dir, args.listen).await?;
    if args.no_serve {
        return Ok(());
    }
    crate::serve_cmd::serve(app, cfg).await
}
