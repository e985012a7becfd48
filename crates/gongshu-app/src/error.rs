//! The application's one error type. Each variant has a stable English
//! `code()` for APIs and a Chinese message for people; the server and the
//! CLI map it once (to HTTP statuses and exit codes).

use gongshu_store::StoreError;

/// One invalid input field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Field name as in the request.
    pub field: String,
    /// Stable English code, e.g. `credit_code.check_character`.
    pub code: String,
    /// Chinese explanation for the user.
    pub message: String,
}

impl FieldError {
    /// A field error.
    pub fn new(field: &str, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        }
    }
}

/// Why a use case did not complete. Nothing was changed in any case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input failed validation.
    #[error("invalid input")]
    Validation(Vec<FieldError>),
    /// Not logged in, or the credentials were refused.
    #[error("authentication failed: {0}")]
    Unauthenticated(&'static str),
    /// The policies do not allow it.
    #[error("not allowed: {action}")]
    Forbidden {
        /// The action attempted.
        action: String,
        /// Policies that decided the denial (empty: default deny).
        policy_ids: Vec<String>,
    },
    /// The account is locked after repeated failures.
    #[error("account locked")]
    Locked,
    /// No such thing.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// Someone else changed it first.
    #[error("conflict")]
    Conflict,
    /// A workflow rule refuses the command in the item's current state
    /// (e.g. a second agreement in force, S-2.1). `code` is the rule's own
    /// stable code and `message` names the rule id.
    #[error("refused: {code}")]
    Refused {
        /// Stable English code of the rule's refusal, e.g. `agreement.another_active`.
        code: &'static str,
        /// Chinese message naming the rule, e.g. `…（S-2.1）`.
        message: String,
    },
    /// A rule of the use case, not a policy, denies the caller this
    /// (e.g. no live consent of the subject): `code` names the rule.
    #[error("denied: {code}")]
    Denied {
        /// Stable English code, e.g. `product.no_consent`.
        code: &'static str,
        /// Chinese message naming the rule.
        message: String,
    },
    /// Over a rate limit or quota: try again after `retry_after_secs`.
    #[error("rate limited: {code}")]
    RateLimited {
        /// `product.rate_limited` or `product.quota_exhausted`.
        code: &'static str,
        /// Chinese message.
        message: String,
        /// Seconds until a call may succeed again.
        retry_after_secs: u64,
    },
    /// It exists already.
    #[error("duplicate {what}")]
    Duplicate {
        /// The duplicated key.
        what: String,
    },
    /// The database is unreachable.
    #[error("database unavailable")]
    Unavailable,
    /// The audit log cannot be written: the action was refused (fail closed).
    #[error("audit log unavailable")]
    AuditUnavailable,
    /// A fault that is not the caller's.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// Stable English code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation_failed",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden { .. } => "forbidden",
            Self::Locked => "account_locked",
            Self::NotFound { .. } => "not_found",
            Self::Conflict => "conflict",
            Self::Refused { code, .. }
            | Self::RateLimited { code, .. }
            | Self::Denied { code, .. } => code,
            Self::Duplicate { .. } => "duplicate",
            Self::Unavailable => "database_unavailable",
            Self::AuditUnavailable => "audit_log_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }

    /// Chinese message for people.
    pub fn message_zh(&self) -> String {
        match self {
            Self::Validation(_) => "输入有误，请按提示修改".into(),
            Self::Unauthenticated(_) => {
                "身份验证失败：用户名、密码或动态口令不正确，或会话已过期".into()
            }
            // Every refusal names what refused it: the deciding policies, or
            // the default deny when no policy permits the action.
            Self::Forbidden { action, policy_ids } if policy_ids.is_empty() => {
                format!("无权执行此操作（{action}：没有允许该操作的授权策略，默认拒绝）")
            }
            Self::Forbidden { action, policy_ids } => {
                format!(
                    "无权执行此操作（{action}：依据策略 {}）",
                    policy_ids.join("、")
                )
            }
            Self::Locked => "连续登录失败次数过多，账户已临时锁定，请稍后再试".into(),
            Self::NotFound { .. } => "未找到相应记录".into(),
            Self::Conflict => "记录已被他人修改，请刷新后重试".into(),
            Self::Refused { message, .. }
            | Self::RateLimited { message, .. }
            | Self::Denied { message, .. } => message.clone(),
            Self::Duplicate { .. } => "记录已存在".into(),
            Self::Unavailable => "数据库暂不可用，请稍后再试（本次操作未生效）".into(),
            Self::AuditUnavailable => "审计日志无法写入，操作已被拒绝（本次操作未生效）".into(),
            Self::Internal(_) => "系统内部错误（本次操作未生效）".into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity, .. } => Self::NotFound { what: entity },
            StoreError::Conflict => Self::Conflict,
            StoreError::Duplicate { what } => Self::Duplicate { what },
            StoreError::Unavailable(_) => Self::Unavailable,
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<crate::crypto::CryptoError> for AppError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        Self::Internal(e.to_string())
    }
}
