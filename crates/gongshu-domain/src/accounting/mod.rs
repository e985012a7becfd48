//! Separate accounts of the authorized operation (专账, S-5.3, S-6.2-6): a
//! double-entry journal whose entries are immutable (a mistake is undone by
//! a reversal entry, never an edit or a delete), monthly periods that close,
//! and the statements drawn from it (trial balance, income statement, cost
//! breakdown, revenue shares).

mod account;
mod entry;
mod month;
mod statements;

pub use account::{Account, AccountKind};
pub use entry::{Entry, Line};
pub use month::Month;
pub use statements::{IncomeStatement, TrialBalance, TrialBalanceRow};

use crate::{DomainError, MoneyError};

/// Why a journal entry or period is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountingError {
    /// Debits and credits differ.
    #[error("entry does not balance: debit {debit} fen, credit {credit} fen")]
    Unbalanced {
        /// Total debit.
        debit: i64,
        /// Total credit.
        credit: i64,
    },
    /// A line is negative, zero, or has both a debit and a credit.
    #[error("line {line} must have exactly one positive side")]
    BadLine {
        /// Index of the line.
        line: usize,
    },
    /// Fewer than two lines.
    #[error("an entry needs at least two lines")]
    TooFewLines,
    /// The memo is empty or longer than 200 characters.
    #[error("memo required (at most 200 characters)")]
    Memo,
    /// The text is not a month `YYYY-MM`.
    #[error("not a month YYYY-MM: {found:?}")]
    BadMonth {
        /// The rejected text.
        found: String,
    },
    /// An unknown account code.
    #[error("unknown account {found:?}")]
    UnknownAccount {
        /// The rejected code.
        found: String,
    },
    /// Money arithmetic overflowed.
    #[error(transparent)]
    Money(#[from] MoneyError),
}

impl DomainError for AccountingError {
    fn code(&self) -> &'static str {
        match self {
            Self::Unbalanced { .. } => "accounting.unbalanced",
            Self::BadLine { .. } => "accounting.bad_line",
            Self::TooFewLines => "accounting.too_few_lines",
            Self::Memo => "accounting.memo_required",
            Self::BadMonth { .. } => "accounting.bad_month",
            Self::UnknownAccount { .. } => "accounting.unknown_account",
            Self::Money(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Unbalanced { debit, credit } => format!(
                "借贷不平衡：借方 {} 元，贷方 {} 元",
                crate::Money::from_fen(*debit),
                crate::Money::from_fen(*credit)
            ),
            Self::BadLine { line } => {
                format!("第 {} 行须且只能在借方或贷方填写一个正数金额", line + 1)
            }
            Self::TooFewLines => "一笔分录至少需要两行".to_owned(),
            Self::Memo => "请填写摘要（不超过 200 字）".to_owned(),
            Self::BadMonth { found } => format!("会计期间格式错误：{found}（应为 YYYY-MM）"),
            Self::UnknownAccount { found } => format!("未知会计科目：{found}"),
            Self::Money(e) => e.message_zh(),
        }
    }
}

#[cfg(test)]
mod tests;
