//! Data products and services (数据产品和服务, S-3.3.4-3, S-6.6): what the
//! operator offers from public data, as versioned definitions: the kind,
//! the approved SQL template and its typed parameters, the scenarios it
//! serves, its category (public governance and public welfare are free,
//! industry and sector development are charged) and its billing unit and
//! price in fen. Pure: the sandbox checks the template, the app stores and
//! reviews it.

pub mod alerts;
mod lifecycle;
mod params;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::money::Money;

pub use lifecycle::{ProductCommand, ProductStatus};
pub use params::{Bound, ParamSpec, ParamType, SubjectIdKind, bind, check_declarations};

/// What kind of product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    /// A yes/no or banded answer about one consenting subject (核验).
    Verification,
    /// Approved aggregate statistics or a report (统计分析).
    Statistics,
    /// A score or model run per call (评分模型).
    Score,
    /// An aggregate extract (汇总数据).
    Extract,
}

impl ProductKind {
    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Verification => "核验",
            Self::Statistics => "统计分析",
            Self::Score => "评分模型",
            Self::Extract => "汇总数据",
        }
    }

    /// Whether calls are about one subject (and need its consent).
    pub const fn needs_subject(self) -> bool {
        matches!(self, Self::Verification | Self::Score)
    }
}

/// Use category (S-6.6): the first two are free.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Public governance (公共治理).
    PublicGovernance,
    /// Public welfare (公益事业).
    PublicWelfare,
    /// Industry development (产业发展).
    IndustryDevelopment,
    /// Sector development (行业发展).
    SectorDevelopment,
}

impl Category {
    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::PublicGovernance => "公共治理",
            Self::PublicWelfare => "公益事业",
            Self::IndustryDevelopment => "产业发展",
            Self::SectorDevelopment => "行业发展",
        }
    }

    /// Whether use is free of charge (S-6.6).
    pub const fn is_free(self) -> bool {
        matches!(self, Self::PublicGovernance | Self::PublicWelfare)
    }
}

/// How use is counted for billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingUnit {
    /// Per call (按次).
    PerCall,
    /// Per row or record delivered (按量).
    PerVolume,
    /// Per month of access (按时段).
    PerPeriod,
    /// Per unit of output, e.g. per report (按件).
    PerUnit,
}

impl BillingUnit {
    /// The unit in Chinese, as in `元/次`.
    pub const fn unit_zh(self) -> &'static str {
        match self {
            Self::PerCall => "次",
            Self::PerVolume => "条",
            Self::PerPeriod => "月",
            Self::PerUnit => "件",
        }
    }
}

/// A product version's definition, as the operator drafts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDefinition {
    /// Name (产品名称), 2–60 characters.
    pub name: String,
    /// Kind.
    pub kind: ProductKind,
    /// What it answers, for the product list.
    pub summary: String,
    /// The SQL template, with `:name` placeholders.
    pub template: String,
    /// Its parameters.
    pub params: Vec<ParamSpec>,
    /// Catalog resources it reads.
    pub datasets: Vec<String>,
    /// Approved scenarios it serves (at least one).
    pub scenarios: Vec<String>,
    /// Use category.
    pub category: Category,
    /// Billing unit.
    pub billing_unit: BillingUnit,
    /// Price per unit.
    pub price: Money,
    /// For products about one subject: the column, in every dataset the
    /// product reads, that holds the subject's identifier.
    #[serde(default)]
    pub subject_column: Option<String>,
    /// Calls per subscription and day (Asia/Shanghai) at most.
    #[serde(default = "default_daily_quota")]
    pub daily_quota: u32,
    /// Calls per subscription and minute at most.
    #[serde(default = "default_rate_per_minute")]
    pub rate_per_minute: u32,
}

const fn default_daily_quota() -> u32 {
    10_000
}

const fn default_rate_per_minute() -> u32 {
    600
}

/// Longest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 16 * 1024;

impl ProductDefinition {
    /// Checks the definition; the error names the field.
    ///
    /// # Errors
    /// [`ProductError::Field`], [`ProductError::Param`],
    /// [`ProductError::Template`].
    pub fn validate(&self) -> Result<(), ProductError> {
        let field = |field: &'static str, reason: &str| {
            Err(ProductError::Field {
                field,
                reason: reason.to_owned(),
            })
        };
        let name = self.name.trim().chars().count();
        if !(2..=60).contains(&name) {
            return field("name", "产品名称须为 2 至 60 个字");
        }
        if self.summary.trim().is_empty() || self.summary.chars().count() > 500 {
            return field("summary", "请填写产品说明（不超过 500 字）");
        }
        if self.template.trim().is_empty() || self.template.len() > MAX_TEMPLATE_BYTES {
            return field("template", "请填写 SQL 模板（不超过 16 KiB）");
        }
        if self.datasets.is_empty() {
            return field("datasets", "至少使用一个目录中的数据资源");
        }
        if self.scenarios.is_empty() || self.scenarios.iter().any(|s| s.trim().is_empty()) {
            return field("scenarios", "至少服务一个已批准的应用场景");
        }
        let is_subject = |p: &&ParamSpec| matches!(p.ty, ParamType::Subject { .. });
        let has_subject = self.params.iter().any(|p| is_subject(&p));
        if self.kind.needs_subject() != has_subject {
            return field(
                "params",
                "核验和评分类产品须有且只有这类产品有一个“主体”参数（统一社会信用代码或身份证号码）",
            );
        }
        if self.params.iter().filter(is_subject).count() > 1 {
            return field("params", "一个产品最多一个“主体”参数");
        }
        let column_ok = self.subject_column.as_deref().is_some_and(|c| {
            !c.is_empty()
                && c.len() <= 64
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
        if self.kind.needs_subject() != column_ok {
            return field(
                "subject_column",
                "核验和评分类产品须指明各数据资源中存放主体标识的列（小写字母、数字或下划线），其他类产品不填",
            );
        }
        if !(1..=1_000_000).contains(&self.daily_quota) {
            return field("daily_quota", "每日调用上限须为 1 至 1000000 次");
        }
        if !(1..=60_000).contains(&self.rate_per_minute) {
            return field("rate_per_minute", "每分钟调用上限须为 1 至 60000 次");
        }
        if self.price.is_negative() {
            return field("price", "价格不能为负");
        }
        if self.category.is_free() && self.price != Money::ZERO {
            return field("price", "公共治理、公益事业类使用免费（S-6.6），价格须为 0");
        }
        if !self.category.is_free() && self.price == Money::ZERO {
            return field(
                "price",
                "产业发展、行业发展类产品须定价（不高于核定的收费上限）",
            );
        }
        check_declarations(&self.template, &self.params)
    }
}

/// Why a product definition, a parameter or a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// A field of the definition is invalid.
    #[error("{field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Why, in Chinese.
        reason: String,
    },
    /// A parameter is invalid (declaration or value).
    #[error("param {name}: {reason}")]
    Param {
        /// The parameter.
        name: String,
        /// Why, in Chinese.
        reason: String,
    },
    /// The template cannot be parsed.
    #[error("template: {reason}")]
    Template {
        /// Why, in Chinese.
        reason: String,
    },
    /// The command is not allowed in this status.
    #[error("{command:?} not allowed in {from:?}")]
    Transition {
        /// Current status.
        from: ProductStatus,
        /// Refused command.
        command: ProductCommand,
    },
}

impl ProductError {
    /// The field a form shows the error next to.
    pub fn field(&self) -> String {
        match self {
            Self::Field { field, .. } => (*field).to_owned(),
            Self::Param { name, .. } => format!("params.{name}"),
            Self::Template { .. } => "template".into(),
            Self::Transition { .. } => "status".into(),
        }
    }
}

impl DomainError for ProductError {
    fn code(&self) -> &'static str {
        match self {
            Self::Field { .. } => "product.field_invalid",
            Self::Param { .. } => "product.param_invalid",
            Self::Template { .. } => "product.template_invalid",
            Self::Transition { .. } => "product.transition",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Field { reason, .. } | Self::Param { reason, .. } | Self::Template { reason } => {
                reason.clone()
            }
            Self::Transition { from, .. } => {
                format!("产品当前状态为“{}”，不能进行该操作", from.label_zh())
            }
        }
    }
}
