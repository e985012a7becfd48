//! A catalog entry (目录条目): typed fields of §6.1 and its columns.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{MAX_COLUMNS, MAX_LONG_CHARS, MAX_SHORT_CHARS};
use crate::classification::{
    ColumnClassification, Grade, PersonalInfo, SandboxClass, code_enum, resource_grade,
};
use crate::dataset::{ColumnType, ValidityRule};

code_enum! {
    /// 共享属性 (`[共享]` Art. 13).
    SharingAttribute, "sharing_attribute" {
        /// 无条件共享.
        Unconditional => ("unconditional", "无条件共享"),
        /// 有条件共享.
        Conditional => ("conditional", "有条件共享"),
        /// 不予共享.
        NotShared => ("not_shared", "不予共享"),
    }
}

code_enum! {
    /// 共享方式.
    SharingMethod, "sharing_method" {
        /// 接口调用.
        Api => ("api", "接口调用"),
        /// 库表交换.
        Table => ("table", "库表交换"),
        /// 文件下载.
        File => ("file", "文件交换"),
        /// 仅可信数据空间内使用 (sandbox only).
        Sandbox => ("sandbox", "可信数据空间内使用"),
    }
}

code_enum! {
    /// 更新频率.
    UpdateFrequency, "update_frequency" {
        /// 实时.
        Realtime => ("realtime", "实时"),
        /// 每日.
        Daily => ("daily", "每日"),
        /// 每周.
        Weekly => ("weekly", "每周"),
        /// 每月.
        Monthly => ("monthly", "每月"),
        /// 每季度.
        Quarterly => ("quarterly", "每季度"),
        /// 每年.
        Yearly => ("yearly", "每年"),
        /// 不定期.
        Irregular => ("irregular", "不定期"),
    }
}

code_enum! {
    /// 数据格式.
    DataFormat, "data_format" {
        /// 数据库表.
        Table => ("table", "数据库表"),
        /// CSV.
        Csv => ("csv", "CSV"),
        /// Parquet.
        Parquet => ("parquet", "Parquet"),
        /// JSON.
        Json => ("json", "JSON"),
        /// 其他文件.
        Other => ("other", "其他"),
    }
}

/// One problem of an input, for a 422 answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// Field path, e.g. `columns[2].sandbox_class`.
    pub field: String,
    /// Stable English code, e.g. `catalog.value_invalid`.
    pub code: &'static str,
    /// Chinese message naming the rule.
    pub message_zh: String,
}

impl FieldIssue {
    fn new(field: impl Into<String>, code: &'static str, message_zh: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message_zh: message_zh.into(),
        }
    }
}

/// A column as sent by a client: codes as text, checked by [`parse_columns`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInput {
    /// Column name.
    #[serde(default)]
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Grade code (`core`, `important`, `general_1`..`general_4`).
    #[serde(default)]
    pub grade: Option<String>,
    /// `none`, `personal` or `sensitive_personal`.
    #[serde(default)]
    pub personal_info: Option<String>,
    /// `direct_id`, `quasi_id`, `sensitive` or `public`.
    #[serde(default)]
    pub sandbox_class: Option<String>,
    /// `string`, `int64`, `date` or `boolean`.
    #[serde(default)]
    pub data_type: Option<String>,
    /// Whether an empty field makes the row malformed.
    #[serde(default)]
    pub required: bool,
    /// Validity rule (see [`crate::dataset::ValidityRule`]).
    #[serde(default)]
    pub validity: Option<String>,
    /// Consistency reference `<resource id>.<column>`.
    #[serde(default)]
    pub references: Option<String>,
    /// The rows the column applies to when not all do (e.g. 仅企业户).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_for: Option<String>,
}

/// A catalog entry as sent by a client (every §6.1 field).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceInput {
    /// 目录名称.
    #[serde(default)]
    pub name: String,
    /// 数据内容简介.
    #[serde(default)]
    pub summary: String,
    /// 数据分类 (e.g. 公用事业/供水).
    #[serde(default)]
    pub category: String,
    /// 数据格式.
    #[serde(default)]
    pub format: String,
    /// 更新频率.
    #[serde(default)]
    pub update_frequency: String,
    /// 共享属性.
    #[serde(default)]
    pub sharing_attribute: String,
    /// 共享方式.
    #[serde(default)]
    pub sharing_method: String,
    /// 使用条件 (required unless unconditional).
    #[serde(default)]
    pub use_conditions: String,
    /// 数据覆盖时间 (start).
    #[serde(default)]
    pub time_coverage_start: Option<String>,
    /// 数据覆盖时间 (end; absent = ongoing).
    #[serde(default)]
    pub time_coverage_end: Option<String>,
    /// 行业分类.
    #[serde(default)]
    pub industry: String,
    /// 覆盖地区.
    #[serde(default)]
    pub region: String,
    /// 数据存储量, in megabytes.
    #[serde(default)]
    pub storage_volume_mb: Option<u64>,
    /// 是否包含敏感信息.
    #[serde(default)]
    pub contains_sensitive_info: bool,
    /// 应用场景.
    #[serde(default)]
    pub applicable_scenarios: Vec<String>,
    /// 禁用场景.
    #[serde(default)]
    pub prohibited_scenarios: Vec<String>,
    /// 数据项 with their classification.
    #[serde(default)]
    pub columns: Vec<ColumnInput>,
    /// Name of the table in the sandbox's SQL (lower-case ASCII letters,
    /// digits and `_`, starting with a letter); absent: `r_` and the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table_name: Option<String>,
}

/// Longest sandbox table name.
pub const MAX_TABLE_NAME: usize = 48;

/// Whether `name` is a valid sandbox table name.
pub fn valid_table_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_TABLE_NAME
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with("r_")
}

/// A checked catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The input, normalised (trimmed); stored as JSON.
    pub input: ResourceInput,
    /// Parsed sharing attribute.
    pub sharing_attribute: SharingAttribute,
    /// Parsed columns.
    pub columns: Vec<ColumnClassification>,
    /// Highest column grade (就高从严).
    pub grade: Option<Grade>,
}

fn text(
    issues: &mut Vec<FieldIssue>,
    field: &str,
    value: &str,
    max: usize,
    required: bool,
) -> String {
    let v = value.trim().to_owned();
    if required && v.is_empty() {
        issues.push(FieldIssue::new(
            field,
            "catalog.field_missing",
            format!("“{field}”不能为空（REQUIREMENTS §6.1 登记字段）"),
        ));
    } else if v.chars().count() > max {
        issues.push(FieldIssue::new(
            field,
            "catalog.text_too_long",
            format!("“{field}”不能超过 {max} 字"),
        ));
    }
    v
}

fn code<T: std::str::FromStr>(
    issues: &mut Vec<FieldIssue>,
    field: &str,
    value: &str,
    allowed: &[&str],
) -> Option<T> {
    let v = value.trim();
    if v.is_empty() {
        issues.push(FieldIssue::new(
            field,
            "catalog.field_missing",
            format!("“{field}”不能为空（REQUIREMENTS §6.1 登记字段）"),
        ));
        return None;
    }
    let parsed = v.parse().ok();
    if parsed.is_none() {
        issues.push(FieldIssue::new(
            field,
            "catalog.value_invalid",
            format!("“{field}”取值“{v}”无效，可选：{}", allowed.join("、")),
        ));
    }
    parsed
}

fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|v| f(*v)).collect()
}

fn date(issues: &mut Vec<FieldIssue>, field: &str, value: Option<&str>) -> Option<NaiveDate> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    let parsed = NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
    if parsed.is_none() {
        issues.push(FieldIssue::new(
            field,
            "catalog.date_invalid",
            format!("“{field}”须为 YYYY-MM-DD 格式的日期"),
        ));
    }
    parsed
}

fn optional_code<T: std::str::FromStr>(
    issues: &mut Vec<FieldIssue>,
    field: &str,
    value: Option<&str>,
    allowed: &[&str],
) -> Option<T> {
    let v = value.map(str::trim).filter(|v| !v.is_empty())?;
    code(issues, field, v, allowed)
}

fn validity(issues: &mut Vec<FieldIssue>, field: &str, raw: Option<&str>) -> Option<ValidityRule> {
    let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
    match raw.parse() {
        Ok(r) => Some(r),
        Err(e) => {
            issues.push(FieldIssue::new(
                field,
                "catalog.validity_invalid",
                e.to_string(),
            ));
            None
        }
    }
}

/// Checks a `<resource id>.<column>` reference (its target is checked at load).
fn reference(issues: &mut Vec<FieldIssue>, field: &str, raw: Option<&str>) -> Option<String> {
    let raw = raw.map(str::trim).filter(|v| !v.is_empty())?;
    match raw.split_once('.') {
        Some((res, col)) if !res.is_empty() && !col.is_empty() => Some(raw.to_owned()),
        _ => {
            issues.push(FieldIssue::new(
                field,
                "catalog.reference_invalid",
                format!("关联“{raw}”须为“资源编号.数据项”格式"),
            ));
            None
        }
    }
}

/// Checks the columns; unclassified columns are allowed here (a draft),
/// but invalid codes, empty or duplicate names are not.
pub fn parse_columns(
    input: &[ColumnInput],
    issues: &mut Vec<FieldIssue>,
) -> Vec<ColumnClassification> {
    if input.len() > MAX_COLUMNS {
        issues.push(FieldIssue::new(
            "columns",
            "catalog.too_many_columns",
            format!("数据项不能超过 {MAX_COLUMNS} 个"),
        ));
    }
    let grades = codes(Grade::ALL, Grade::as_str);
    let pis = codes(PersonalInfo::ALL, PersonalInfo::as_str);
    let classes = codes(SandboxClass::ALL, SandboxClass::as_str);
    let types = codes(ColumnType::ALL, ColumnType::as_str);
    let mut out: Vec<ColumnClassification> = Vec::with_capacity(input.len());
    for (i, c) in input.iter().enumerate() {
        let p = format!("columns[{i}]");
        let name = text(issues, &format!("{p}.name"), &c.name, MAX_SHORT_CHARS, true);
        if !name.is_empty() && out.iter().any(|o| o.name == name) {
            issues.push(FieldIssue::new(
                format!("{p}.name"),
                "catalog.column_duplicate",
                format!("数据项“{name}”重复"),
            ));
        }
        out.push(ColumnClassification {
            description: text(
                issues,
                &format!("{p}.description"),
                &c.description,
                MAX_LONG_CHARS,
                false,
            ),
            grade: optional_code(issues, &format!("{p}.grade"), c.grade.as_deref(), &grades),
            personal_info: optional_code(
                issues,
                &format!("{p}.personal_info"),
                c.personal_info.as_deref(),
                &pis,
            ),
            sandbox_class: optional_code(
                issues,
                &format!("{p}.sandbox_class"),
                c.sandbox_class.as_deref(),
                &classes,
            ),
            data_type: optional_code(
                issues,
                &format!("{p}.data_type"),
                c.data_type.as_deref(),
                &types,
            ),
            required: c.required,
            validity: validity(issues, &format!("{p}.validity"), c.validity.as_deref()),
            references: reference(issues, &format!("{p}.references"), c.references.as_deref()),
            only_for: c
                .only_for
                .as_deref()
                .map(|v| text(issues, &format!("{p}.only_for"), v, MAX_SHORT_CHARS, false))
                .filter(|v| !v.is_empty()),
            name,
        });
    }
    out
}

fn list(issues: &mut Vec<FieldIssue>, field: &str, values: &[String]) -> Vec<String> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| text(issues, &format!("{field}[{i}]"), v, MAX_SHORT_CHARS, true))
        .collect()
}

impl CatalogEntry {
    /// Checks every field and the rules across fields; all problems at once.
    pub fn parse(input: &ResourceInput) -> Result<Self, Vec<FieldIssue>> {
        let mut is = Vec::new();
        let i = &mut is;
        let name = text(i, "name", &input.name, MAX_SHORT_CHARS, true);
        let table_name = input
            .table_name
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        if let Some(t) = &table_name
            && !valid_table_name(t)
        {
            i.push(FieldIssue::new(
                "table_name",
                "catalog.table_name_invalid",
                format!(
                    "沙箱表名只能由小写字母、数字和下划线组成，以字母开头（不以 r_ 开头），最长 {MAX_TABLE_NAME} 个字符"
                ),
            ));
        }
        let summary = text(i, "summary", &input.summary, MAX_LONG_CHARS, true);
        let category = text(i, "category", &input.category, MAX_SHORT_CHARS, true);
        let industry = text(i, "industry", &input.industry, MAX_SHORT_CHARS, true);
        let region = text(i, "region", &input.region, MAX_SHORT_CHARS, true);
        let use_conditions = text(
            i,
            "use_conditions",
            &input.use_conditions,
            MAX_LONG_CHARS,
            false,
        );
        let format: Option<DataFormat> = code(
            i,
            "format",
            &input.format,
            &codes(DataFormat::ALL, DataFormat::as_str),
        );
        let frequency: Option<UpdateFrequency> = code(
            i,
            "update_frequency",
            &input.update_frequency,
            &codes(UpdateFrequency::ALL, UpdateFrequency::as_str),
        );
        let sharing: Option<SharingAttribute> = code(
            i,
            "sharing_attribute",
            &input.sharing_attribute,
            &codes(SharingAttribute::ALL, SharingAttribute::as_str),
        );
        let method: Option<SharingMethod> = code(
            i,
            "sharing_method",
            &input.sharing_method,
            &codes(SharingMethod::ALL, SharingMethod::as_str),
        );
        let start = date(
            i,
            "time_coverage_start",
            input.time_coverage_start.as_deref(),
        );
        let end = date(i, "time_coverage_end", input.time_coverage_end.as_deref());
        if input.time_coverage_start.is_none() {
            i.push(FieldIssue::new(
                "time_coverage_start",
                "catalog.field_missing",
                "“time_coverage_start”（数据覆盖时间）不能为空（REQUIREMENTS §6.1 登记字段）",
            ));
        }
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            i.push(FieldIssue::new(
                "time_coverage_end",
                "catalog.coverage_inverted",
                format!("数据覆盖时间终止日 {e} 早于起始日 {s}"),
            ));
        }
        let applicable = list(i, "applicable_scenarios", &input.applicable_scenarios);
        let prohibited = list(i, "prohibited_scenarios", &input.prohibited_scenarios);
        let columns = parse_columns(&input.columns, i);
        let grade = resource_grade(&columns);
        if sharing.is_some_and(|s| s != SharingAttribute::Unconditional)
            && use_conditions.is_empty()
        {
            i.push(FieldIssue::new(
                "use_conditions",
                "catalog.use_conditions_missing",
                "有条件共享或不予共享的资源须写明使用条件或不予共享的依据（《政务数据共享条例》第 13-15 条）",
            ));
        }
        if sharing == Some(SharingAttribute::Unconditional) {
            let core: Vec<&str> = columns
                .iter()
                .filter(|c| c.grade == Some(Grade::Core))
                .map(|c| c.name.as_str())
                .collect();
            if !core.is_empty() {
                i.push(FieldIssue::new(
                    "sharing_attribute",
                    "catalog.core_data_unconditional",
                    format!(
                        "含核心数据的资源不得无条件共享：数据项 {} 为核心数据，须最严格管控（REQUIREMENTS §7.1 数据分类分级）",
                        core.join("、")
                    ),
                ));
            }
        }
        let sensitive: Vec<&str> = columns
            .iter()
            .filter(|c| c.personal_info == Some(PersonalInfo::SensitivePersonal))
            .map(|c| c.name.as_str())
            .collect();
        if !sensitive.is_empty() && !input.contains_sensitive_info {
            i.push(FieldIssue::new(
                "contains_sensitive_info",
                "catalog.sensitive_flag_inconsistent",
                format!(
                    "数据项 {} 为敏感个人信息，“是否包含敏感信息”须为是（REQUIREMENTS §7.2）",
                    sensitive.join("、")
                ),
            ));
        }
        let (Some(_), Some(_), Some(sharing_attribute), Some(_)) =
            (format, frequency, sharing, method)
        else {
            return Err(is);
        };
        if !is.is_empty() {
            return Err(is);
        }
        let normalised = ResourceInput {
            name,
            summary,
            category,
            format: input.format.trim().to_owned(),
            update_frequency: input.update_frequency.trim().to_owned(),
            sharing_attribute: input.sharing_attribute.trim().to_owned(),
            sharing_method: input.sharing_method.trim().to_owned(),
            use_conditions,
            time_coverage_start: start.map(|d| d.to_string()),
            time_coverage_end: end.map(|d| d.to_string()),
            industry,
            region,
            storage_volume_mb: input.storage_volume_mb,
            contains_sensitive_info: input.contains_sensitive_info,
            applicable_scenarios: applicable,
            prohibited_scenarios: prohibited,
            columns: columns.iter().map(column_input).collect(),
            table_name,
        };
        Ok(Self {
            input: normalised,
            sharing_attribute,
            columns,
            grade,
        })
    }

    /// Columns that lack a grade, a personal-information flag or a sandbox
    /// class, as field issues (`columns[i].…`); none → ready to submit.
    /// A resource without any column is refused as well.
    pub fn registration_issues(&self) -> Vec<FieldIssue> {
        if self.columns.is_empty() {
            return vec![FieldIssue::new(
                "columns",
                "catalog.columns_missing",
                "登记前须列明数据项并逐项完成分类分级（REQUIREMENTS §6.1、§7）",
            )];
        }
        let mut out = Vec::new();
        for (i, c) in self.columns.iter().enumerate() {
            let missing: Vec<(&str, &str)> = [
                (c.grade.is_none(), "grade", "分级"),
                (c.personal_info.is_none(), "personal_info", "个人信息标识"),
                (c.sandbox_class.is_none(), "sandbox_class", "沙箱类别"),
            ]
            .into_iter()
            .filter(|(m, _, _)| *m)
            .map(|(_, f, zh)| (f, zh))
            .collect();
            for (field, zh) in missing {
                out.push(FieldIssue::new(
                    format!("columns[{i}].{field}"),
                    "catalog.column_unclassified",
                    format!(
                        "数据项“{}”未设置{zh}，未完成分类分级的资源不能申请登记（REQUIREMENTS §7；SANDBOX-RULES R1.3 未分类即拒绝）",
                        c.name
                    ),
                ));
            }
        }
        out
    }
}

/// The input form of a parsed column.
pub fn column_input(c: &ColumnClassification) -> ColumnInput {
    ColumnInput {
        name: c.name.clone(),
        description: c.description.clone(),
        grade: c.grade.map(|g| g.as_str().to_owned()),
        personal_info: c.personal_info.map(|p| p.as_str().to_owned()),
        sandbox_class: c.sandbox_class.map(|s| s.as_str().to_owned()),
        data_type: c.data_type.map(|t| t.as_str().to_owned()),
        required: c.required,
        validity: c.validity.as_ref().map(ToString::to_string),
        references: c.references.clone(),
        only_for: c.only_for.clone(),
    }
}
