//! Demo step: the power company (a data source unit) catalogs its
//! enterprise electricity-bill data with classified, typed columns, loads
//! a synthetic year of bills into the vault (encrypted, credit codes
//! pseudonymised, quality scored), and gets an API key for loading from
//! the command line.

use gongshu_app::api_keys::{NewApiKey, issue_api_key};
use gongshu_app::datasets::{self, LoadInput};
use gongshu_app::{Actor, App};
use gongshu_domain::catalog::{ColumnInput, ResourceInput};

use crate::demo_cmd::{credit_code, e};

/// Synthetic enterprises billed each month.
pub(crate) const ENTERPRISES: usize = 1_500;
/// Months of bills loaded first; the last month is appended afterwards.
const MONTHS: u32 = 11;

fn column(name: &str, desc: &str, grade: &str, pi: &str, class: &str, ty: &str) -> ColumnInput {
    ColumnInput {
        name: name.into(),
        description: desc.into(),
        grade: Some(grade.into()),
        personal_info: Some(pi.into()),
        sandbox_class: Some(class.into()),
        data_type: Some(ty.into()),
        ..ColumnInput::default()
    }
}

fn resource() -> ResourceInput {
    let mut code = column(
        "credit_code",
        "统一社会信用代码",
        "general_2",
        "none",
        "direct_id",
        "string",
    );
    code.required = true;
    code.validity = Some("credit_code".into());
    let mut month = column(
        "bill_month",
        "账期（月初日期）",
        "general_1",
        "none",
        "quasi_id",
        "date",
    );
    month.required = true;
    let mut town = column(
        "township",
        "用电地址所在乡镇",
        "general_1",
        "none",
        "quasi_id",
        "string",
    );
    town.validity = Some(format!("enum:{}", TOWNSHIPS.join("|")));
    let mut amount = column(
        "amount_fen",
        "当月电费（分）",
        "general_3",
        "none",
        "sensitive",
        "int64",
    );
    amount.validity = Some("range:0..100000000".into());
    let on_time = column(
        "paid_on_time",
        "是否按时缴费",
        "general_2",
        "none",
        "sensitive",
        "boolean",
    );
    ResourceInput {
        name: "企业用电缴费记录".into(),
        summary: "涞源县内企业按月的电费金额与缴费是否按时".into(),
        category: "公用事业/供电".into(),
        format: "csv".into(),
        update_frequency: "monthly".into(),
        sharing_attribute: "conditional".into(),
        sharing_method: "sandbox".into(),
        use_conditions: "仅限可信数据空间内按企业汇总统计，结果经出域审核".into(),
        time_coverage_start: Some("2025-01-01".into()),
        time_coverage_end: None,
        industry: "电力、热力生产和供应业".into(),
        region: "河北省保定市涞源县".into(),
        storage_volume_mb: Some(64),
        contains_sensitive_info: true,
        applicable_scenarios: vec!["小微企业信用评估".into()],
        prohibited_scenarios: vec!["个人画像".into(), "催收".into()],
        columns: vec![code, month, town, amount, on_time],
        table_name: Some("power_bill".into()),
    }
}

pub(crate) const TOWNSHIPS: [&str; 6] = [
    "涞源镇",
    "银坊镇",
    "走马驿镇",
    "水堡镇",
    "王安镇",
    "杨家庄镇",
];

/// Deterministic synthetic bills: `months` starting at `first` (1-based) of 2025.
pub(crate) fn bills_csv(first: u32, months: u32) -> String {
    let mut out = String::from("credit_code,bill_month,township,amount_fen,paid_on_time\n");
    for m in first..first + months {
        for i in 0..ENTERPRISES {
            let code = credit_code(&format!("9113063{:010}", 3_000_000 + i));
            let town = TOWNSHIPS[i % TOWNSHIPS.len()];
            // A small share of bills lack an amount, and a few are late.
            let amount = if (i + m as usize).is_multiple_of(97) {
                String::new()
            } else {
                (((i * 7919 + m as usize * 104_729) % 500_000) + 2_000).to_string()
            };
            let on_time = !(i * 31 + m as usize).is_multiple_of(23);
            out.push_str(&format!(
                "{code},2025-{m:02}-01,{town},{amount},{on_time}\n"
            ));
        }
    }
    out
}

/// The demo step; returns the resource id and a power-company API key.
pub(crate) async fn run(
    app: &App,
    officer: &Actor,
    power_admin: &Actor,
    power_org: &str,
) -> Result<(String, String), String> {
    println!("4. 数源单位编制数据资源目录、分类分级并加载数据（可信数据空间，加密存储）");
    let view = gongshu_app::catalog::create_resource(app, officer, &resource())
        .await
        .map_err(e)?;
    let id = view.id;
    let first = datasets::load(
        app,
        officer,
        &id,
        std::io::Cursor::new(bills_csv(1, MONTHS)),
        &LoadInput::default(),
    )
    .await
    .map_err(e)?;
    println!(
        "  · 全量加载第 {} 版：{} 行，完整性 {}‰，准确性 {}‰，统一社会信用代码已假名化",
        first.version,
        first.rows_loaded,
        first.quality.completeness_permille,
        first.quality.validity_permille
    );
    let append = LoadInput {
        mode: "append".into(),
        ..LoadInput::default()
    };
    let second = datasets::load(
        app,
        officer,
        &id,
        std::io::Cursor::new(bills_csv(MONTHS + 1, 1)),
        &append,
    )
    .await
    .map_err(e)?;
    let all = datasets::dataset(app, officer, &id).await.map_err(e)?;
    println!(
        "  · 增量追加第 {} 版：{} 行；当前数据由第 {:?} 版组成，共 {} 行",
        second.version, second.rows_loaded, all.current_parts, all.current_rows
    );
    let key = load_key(app, power_admin, power_org, &id).await?;
    println!(
        "  · 命令行加载：GONGSHU_API_KEY=<供电公司密钥> gongshu dataset load --resource {id} --file 账单.csv --mode append"
    );
    Ok((id, key))
}

/// A 30-day key of the power company for loading `dataset`.
pub async fn load_key(
    app: &App,
    power_admin: &Actor,
    power_org: &str,
    dataset: &str,
) -> Result<String, String> {
    let key = issue_api_key(
        app,
        power_admin,
        &NewApiKey {
            org_id: power_org.to_owned(),
            scope: datasets::load_scope(dataset),
            valid_days: 30,
        },
    )
    .await
    .map_err(e)?;
    Ok(key.key)
}
