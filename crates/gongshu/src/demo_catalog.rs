//! The catalog entries (S-6.1) of the synthetic county's datasets, one per
//! source system, with every column classified (grade, personal
//! information, sandbox class), typed and given its validity rule.

use gongshu_domain::catalog::{ColumnInput, ResourceInput};

use crate::county::places::township_names;

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

fn required(mut c: ColumnInput) -> ColumnInput {
    c.required = true;
    c
}

fn rule(mut c: ColumnInput, validity: &str) -> ColumnInput {
    c.validity = Some(validity.into());
    c
}

fn account(desc: &str) -> ColumnInput {
    required(column(
        "account_no",
        desc,
        "general_2",
        "personal",
        "direct_id",
        "string",
    ))
}

fn id_number(desc: &str) -> ColumnInput {
    rule(
        column(
            "holder_id_number",
            desc,
            "general_3",
            "sensitive_personal",
            "direct_id",
            "string",
        ),
        "resident_id",
    )
}

fn township(desc: &str) -> ColumnInput {
    rule(
        column("township", desc, "general_1", "none", "quasi_id", "string"),
        &format!("enum:{}", township_names().join("|")),
    )
}

fn village(desc: &str) -> ColumnInput {
    column("village", desc, "general_1", "none", "quasi_id", "string")
}

fn month() -> ColumnInput {
    required(column(
        "bill_month",
        "账期（月初日期）",
        "general_1",
        "none",
        "quasi_id",
        "date",
    ))
}

fn amount(desc: &str) -> ColumnInput {
    rule(
        column(
            "amount_fen",
            desc,
            "general_3",
            "personal",
            "sensitive",
            "int64",
        ),
        "range:0..100000000",
    )
}

fn on_time() -> ColumnInput {
    column(
        "paid_on_time",
        "是否按时缴费",
        "general_2",
        "personal",
        "sensitive",
        "boolean",
    )
}

struct Entry<'a> {
    table: &'a str,
    name: &'a str,
    summary: &'a str,
    category: &'a str,
    industry: &'a str,
    frequency: &'a str,
    scenarios: &'a [&'a str],
    columns: Vec<ColumnInput>,
}

fn resource(e: Entry<'_>) -> ResourceInput {
    ResourceInput {
        name: e.name.into(),
        summary: e.summary.into(),
        category: e.category.into(),
        format: "csv".into(),
        update_frequency: e.frequency.into(),
        sharing_attribute: "conditional".into(),
        sharing_method: "sandbox".into(),
        use_conditions: "仅限可信数据空间内汇总统计或经授权的核验，结果经出域审核".into(),
        time_coverage_start: Some("2022-01-01".into()),
        time_coverage_end: None,
        industry: e.industry.into(),
        region: "河北省保定市涞源县".into(),
        storage_volume_mb: Some(256),
        contains_sensitive_info: true,
        applicable_scenarios: e.scenarios.iter().map(|s| (*s).to_owned()).collect(),
        prohibited_scenarios: vec!["个人画像".into(), "催收".into()],
        columns: e.columns,
        table_name: Some(e.table.into()),
    }
}

/// 县供电公司 `power_bill`: households' and enterprises' monthly bills.
pub fn power_bill() -> ResourceInput {
    let mut credit = rule(
        column(
            "credit_code",
            "统一社会信用代码",
            "general_2",
            "none",
            "direct_id",
            "string",
        ),
        "credit_code",
    );
    credit.only_for = Some("仅企业户".into());
    let mut industry = column(
        "industry",
        "所属行业",
        "general_1",
        "none",
        "public",
        "string",
    );
    industry.only_for = Some("仅企业户".into());
    resource(Entry {
        table: "power_bill",
        name: "用电缴费记录",
        summary: "涞源县内居民户与企业户按月的用电量、电费、是否按时缴费与欠费",
        category: "公用事业/供电",
        industry: "电力、热力生产和供应业",
        frequency: "monthly",
        scenarios: &["小微企业信用评估", "能源消费统计"],
        columns: vec![
            account("用电户号"),
            id_number("户主（企业为法定代表人）公民身份号码"),
            column(
                "holder_name",
                "户名",
                "general_2",
                "personal",
                "direct_id",
                "string",
            ),
            rule(
                column(
                    "phone",
                    "联系电话",
                    "general_2",
                    "personal",
                    "direct_id",
                    "string",
                ),
                "mobile",
            ),
            township("用电地址所在乡镇"),
            village("用电地址所在村（社区）"),
            rule(
                column(
                    "customer_type",
                    "用户类别",
                    "general_1",
                    "none",
                    "public",
                    "string",
                ),
                "enum:居民|工商业|农业",
            ),
            credit,
            industry,
            month(),
            rule(
                column(
                    "kwh",
                    "当月用电量（千瓦时）",
                    "general_2",
                    "personal",
                    "sensitive",
                    "int64",
                ),
                "range:0..10000000",
            ),
            amount("当月电费（分）"),
            on_time(),
            rule(
                column(
                    "arrears_fen",
                    "欠费金额（分）",
                    "general_3",
                    "personal",
                    "sensitive",
                    "int64",
                ),
                "range:0..100000000",
            ),
        ],
    })
}

/// 县自来水公司 `water_bill`.
pub fn water_bill() -> ResourceInput {
    resource(Entry {
        table: "water_bill",
        name: "居民用水缴费记录",
        summary: "涞源县城乡居民按月的用水量、水费与是否按时缴费",
        category: "公用事业/供水",
        industry: "水的生产和供应业",
        frequency: "monthly",
        scenarios: &["公共服务均等化分析"],
        columns: vec![
            account("用水户号"),
            id_number("户主公民身份号码"),
            column(
                "holder_name",
                "户名",
                "general_2",
                "personal",
                "direct_id",
                "string",
            ),
            township("用水地址所在乡镇"),
            village("用水地址所在村（社区）"),
            month(),
            rule(
                column(
                    "tons",
                    "当月用水量（吨）",
                    "general_2",
                    "personal",
                    "sensitive",
                    "int64",
                ),
                "range:0..100000",
            ),
            amount("当月水费（分）"),
            on_time(),
        ],
    })
}

/// 县燃气公司 `gas_bill`.
pub fn gas_bill() -> ResourceInput {
    resource(Entry {
        table: "gas_bill",
        name: "居民管道燃气缴费记录",
        summary: "涞源县管道燃气居民户按月的用气量、燃气费与是否按时缴费",
        category: "公用事业/燃气",
        industry: "燃气生产和供应业",
        frequency: "monthly",
        scenarios: &["能源消费统计"],
        columns: vec![
            account("燃气户号"),
            id_number("户主公民身份号码"),
            township("用气地址所在乡镇"),
            village("用气地址所在村（社区）"),
            month(),
            rule(
                column(
                    "cubic_m",
                    "当月用气量（立方米）",
                    "general_2",
                    "personal",
                    "sensitive",
                    "int64",
                ),
                "range:0..100000",
            ),
            amount("当月燃气费（分）"),
            on_time(),
        ],
    })
}

/// 县热力公司 `heating_bill` (heating season only).
pub fn heating_bill() -> ResourceInput {
    resource(Entry {
        table: "heating_bill",
        name: "集中供热缴费记录",
        summary: "县城集中供热用户供暖季（11 月 15 日至次年 3 月 15 日）按月的供热面积、热费与是否按时缴费",
        category: "公用事业/供热",
        industry: "热力生产和供应业",
        frequency: "monthly",
        scenarios: &["能源消费统计"],
        columns: vec![
            account("供热户号"),
            id_number("户主公民身份号码"),
            village("供热地址所在社区"),
            month(),
            rule(
                column(
                    "heated_area_m2",
                    "供热面积（平方米）",
                    "general_2",
                    "personal",
                    "sensitive",
                    "int64",
                ),
                "range:1..2000",
            ),
            amount("当月热费（分）"),
            on_time(),
        ],
    })
}

/// 县公交公司 `bus_trip`: one row per boarding.
pub fn bus_trip() -> ResourceInput {
    resource(Entry {
        table: "bus_trip",
        name: "公交刷卡乘车记录",
        summary: "涞源县公交卡每次乘车的日期、线路、上车乡镇与票价（记名卡含持卡人身份号码）",
        category: "交通运输/城乡公交",
        industry: "道路运输业",
        frequency: "monthly",
        scenarios: &["城乡公交线网优化"],
        columns: vec![
            account("公交卡号").clone_as("card_no"),
            id_number("持卡人公民身份号码（不记名卡为空）"),
            required(column(
                "trip_date",
                "乘车日期",
                "general_1",
                "none",
                "quasi_id",
                "date",
            )),
            column("route", "线路", "general_1", "none", "public", "string"),
            township("上车站点所在乡镇").clone_as("boarding_township"),
            rule(
                column(
                    "fare_fen",
                    "票价（分）",
                    "general_1",
                    "none",
                    "public",
                    "int64",
                ),
                "range:0..10000",
            ),
        ],
    })
}

trait Renamed {
    fn clone_as(self, name: &str) -> Self;
}

impl Renamed for ColumnInput {
    fn clone_as(mut self, name: &str) -> Self {
        self.name = name.into();
        self
    }
}

/// 县市场监管局 `enterprise_registry`: public registration facts.
pub fn enterprise_registry() -> ResourceInput {
    let public =
        |name: &str, desc: &str, ty: &str| column(name, desc, "general_1", "none", "public", ty);
    let mut code = required(rule(
        public("credit_code", "统一社会信用代码", "string"),
        "credit_code",
    ));
    // Public for enterprises, yet a direct identifier: it joins the bills
    // on the same keyed pseudonym inside the trusted space.
    code.sandbox_class = Some("direct_id".into());
    let mut entry = resource(Entry {
        table: "enterprise_registry",
        name: "企业登记信息",
        summary: "涞源县内企业的名称、行业、住所乡镇、注册资本、成立日期与登记状态",
        category: "市场监管/企业登记",
        industry: "市场监督管理",
        frequency: "daily",
        scenarios: &["小微企业信用评估", "营商环境分析"],
        columns: vec![
            code,
            public("name", "企业名称", "string"),
            public("industry", "所属行业", "string"),
            rule(
                public("township", "住所所在乡镇", "string"),
                &format!("enum:{}", township_names().join("|")),
            ),
            rule(
                public("registered_capital_fen", "注册资本（分）", "int64"),
                "range:0..100000000000",
            ),
            public("established_on", "成立日期", "date"),
            rule(
                public("status", "登记状态", "string"),
                "enum:存续|注销|吊销",
            ),
        ],
    });
    entry.sharing_attribute = "unconditional".into();
    entry.contains_sensitive_info = false;
    entry.use_conditions = "与其他数据融合时仅限可信数据空间内使用".into();
    entry.prohibited_scenarios = vec!["个人画像".into()];
    entry
}
