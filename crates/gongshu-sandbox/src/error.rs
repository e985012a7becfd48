//! Errors of the sandbox. Messages are Chinese and never carry a data
//! value: engine errors over protected data are replaced by a generic
//! "suppressed" outcome (SANDBOX-RULES.md R4.8).

use crate::check::Violation;

/// Why a query gave no result.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The SQL could not be parsed or planned (unknown table or column
    /// included: ungranted columns do not exist for the caller).
    #[error("SQL 无法解析或规划：{0}")]
    Sql(String),
    /// The plan breaks one or more rules; nothing was executed.
    #[error("查询被拒绝：{}", .0.iter().map(|v| format!("[{}] {}", v.rule, v.message)).collect::<Vec<_>>().join("；"))]
    Refused(Vec<Violation>),
    /// A limit stopped the query.
    #[error("查询超出限制（{limit}），已停止")]
    Limit {
        /// `timeout`, `rows` or `memory`.
        limit: &'static str,
    },
    /// The caller's access ended while the query ran (revocation, expiry,
    /// termination).
    #[error("数据使用授权已终止，查询已中止")]
    AccessEnded,
    /// A runtime error over protected data: its cause is not disclosed.
    #[error("查询结果已抑制（运行时错误，原因不予披露）")]
    Suppressed,
    /// A dataset's DP budget for the period cannot cover the query.
    #[error("数据集 {dataset} 本季度的差分隐私预算不足，查询未执行")]
    BudgetExhausted {
        /// The dataset (table) short of budget.
        dataset: String,
    },
    /// The vault could not open a table.
    #[error("可信数据空间存储错误：{0}")]
    Vault(#[from] gongshu_vault::VaultError),
    /// A defect of ours.
    #[error("沙箱内部错误：{0}")]
    Internal(String),
}

impl SandboxError {
    /// Stable code for the API and the audit log.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::Sql(_) => "sandbox.sql_invalid",
            Self::Refused(_) => "sandbox.refused",
            Self::Limit { .. } => "sandbox.limit",
            Self::AccessEnded => "sandbox.access_ended",
            Self::Suppressed => "sandbox.suppressed",
            Self::BudgetExhausted { .. } => "sandbox.budget_exhausted",
            Self::Vault(_) => "sandbox.vault",
            Self::Internal(_) => "sandbox.internal",
        }
    }
}
