//! Demo step 4, second source unit: the county market regulation bureau
//! (县市场监管局) registers and loads `enterprise_registry`, the public
//! registration facts of the same enterprises the power bills are about.
//! The credit code is kept as a direct identifier so that, inside the
//! trusted space, it joins the bills on the same keyed pseudonym.

use gongshu_app::datasets::{self, LoadInput};
use gongshu_app::{Actor, App};
use gongshu_domain::catalog::{ColumnInput, ResourceInput};

use crate::demo_cmd::{credit_code, e};
use crate::demo_data::{ENTERPRISES, TOWNSHIPS};

const INDUSTRIES: [&str; 5] = [
    "农副食品加工业",
    "批发和零售业",
    "住宿和餐饮业",
    "建筑业",
    "旅游业",
];

fn public(name: &str, desc: &str, ty: &str) -> ColumnInput {
    ColumnInput {
        name: name.into(),
        description: desc.into(),
        grade: Some("general_1".into()),
        personal_info: Some("none".into()),
        sandbox_class: Some("public".into()),
        data_type: Some(ty.into()),
        ..ColumnInput::default()
    }
}

fn resource() -> ResourceInput {
    let mut code = public("credit_code", "统一社会信用代码", "string");
    code.sandbox_class = Some("direct_id".into());
    code.required = true;
    code.validity = Some("credit_code".into());
    let mut town = public("township", "住所所在乡镇", "string");
    town.validity = Some(format!("enum:{}", TOWNSHIPS.join("|")));
    let mut status = public("status", "登记状态", "string");
    status.validity = Some("enum:存续|注销|吊销".into());
    let mut capital = public("registered_capital_fen", "注册资本（分）", "int64");
    capital.validity = Some("range:0..100000000000".into());
    ResourceInput {
        name: "企业登记信息".into(),
        summary: "涞源县内企业的名称、行业、住所乡镇、注册资本、成立日期与登记状态".into(),
        category: "市场监管/企业登记".into(),
        format: "csv".into(),
        update_frequency: "daily".into(),
        sharing_attribute: "unconditional".into(),
        sharing_method: "sandbox".into(),
        use_conditions: "与其他数据融合时仅限可信数据空间内使用".into(),
        time_coverage_start: Some("2000-01-01".into()),
        time_coverage_end: None,
        industry: "市场监督管理".into(),
        region: "河北省保定市涞源县".into(),
        storage_volume_mb: Some(2),
        contains_sensitive_info: false,
        applicable_scenarios: vec!["小微企业信用评估".into(), "营商环境分析".into()],
        prohibited_scenarios: vec!["个人画像".into()],
        columns: vec![
            code,
            public("name", "企业名称", "string"),
            public("industry", "所属行业", "string"),
            town,
            capital,
            public("established_on", "成立日期", "date"),
            status,
        ],
        table_name: Some("enterprise_registry".into()),
    }
}

/// Deterministic registry rows for the enterprises of the power bills.
fn registry_csv() -> String {
    let mut out = String::from(
        "credit_code,name,industry,township,registered_capital_fen,established_on,status\n",
    );
    for i in 0..ENTERPRISES {
        let code = credit_code(&format!("9113063{:010}", 3_000_000 + i));
        let town = TOWNSHIPS[i % TOWNSHIPS.len()];
        let industry = INDUSTRIES[i % INDUSTRIES.len()];
        let capital = ((i * 7_919) % 500 + 10) * 1_000_000;
        let year = 2000 + i % 25;
        let month = 1 + i % 12;
        let status = if i % 53 == 0 { "注销" } else { "存续" };
        out.push_str(&format!(
            "{code},涞源县{town}第{n}号商贸有限公司,{industry},{town},{capital},{year}-{month:02}-15,{status}\n",
            n = i + 1
        ));
    }
    out
}

/// Registers and loads the registry; returns its resource id.
pub(crate) async fn run(app: &App, officer: &Actor) -> Result<String, String> {
    let view = gongshu_app::catalog::create_resource(app, officer, &resource())
        .await
        .map_err(e)?;
    let loaded = datasets::load(
        app,
        officer,
        &view.id,
        std::io::Cursor::new(registry_csv()),
        &LoadInput::default(),
    )
    .await
    .map_err(e)?;
    println!(
        "  · 县市场监管局登记“企业登记信息”并加载第 {} 版：{} 行，准确性 {}‰",
        loaded.version, loaded.rows_loaded, loaded.quality.validity_permille
    );
    Ok(view.id)
}
