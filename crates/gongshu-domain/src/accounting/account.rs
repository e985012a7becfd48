//! The chart of accounts of the separate account: a small fixed set, coded
//! after the Chinese enterprise accounting standards (企业会计准则) so an
//! accountant recognises them; costs get one account per cost-survey
//! category so the cost breakdown and the next cost survey read the same
//! figures.

use serde::{Deserialize, Serialize};

use super::AccountingError;
use crate::pricing::CostCategory;

/// What an account is, for the statements and the sign of its balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Debit-normal: what the operation holds or is owed.
    Asset,
    /// Credit-normal: what it owes.
    Liability,
    /// Credit-normal.
    Revenue,
    /// Debit-normal.
    Expense,
}

/// An account of the separate account (专账会计科目).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Account {
    /// 1002 银行存款.
    Bank,
    /// 1122 应收账款: fees billed to participants, not yet paid.
    Receivable,
    /// 2202 应付账款: costs incurred, not yet paid.
    Payable,
    /// 2241.01 应付政府分成.
    GovernmentSharePayable,
    /// 2241.02 应付行业主管部门成本补偿 (part of the government's share).
    RegulatorCostPayable,
    /// 2241.03 应付二级市场分成.
    MarketSharePayable,
    /// 6001 主营业务收入—公共数据运营服务费.
    FeeRevenue,
    /// 6402 收益分成支出: the shares of government and secondary market.
    RevenueShareExpense,
    /// 6401.xx 营业成本, per cost category.
    Cost(CostCategory),
}

impl Account {
    /// Every account, in chart order.
    pub fn all() -> Vec<Self> {
        let mut all = vec![
            Self::Bank,
            Self::Receivable,
            Self::Payable,
            Self::GovernmentSharePayable,
            Self::RegulatorCostPayable,
            Self::MarketSharePayable,
            Self::FeeRevenue,
            Self::RevenueShareExpense,
        ];
        all.extend(CostCategory::ALL.map(Self::Cost));
        all
    }

    /// The account code.
    pub fn code(self) -> String {
        match self {
            Self::Bank => "1002".into(),
            Self::Receivable => "1122".into(),
            Self::Payable => "2202".into(),
            Self::GovernmentSharePayable => "2241.01".into(),
            Self::RegulatorCostPayable => "2241.02".into(),
            Self::MarketSharePayable => "2241.03".into(),
            Self::FeeRevenue => "6001".into(),
            Self::RevenueShareExpense => "6402".into(),
            Self::Cost(c) => {
                let n = CostCategory::ALL.iter().position(|x| *x == c).unwrap_or(0) + 1;
                format!("6401.{n:02}")
            }
        }
    }

    /// Parses [`Self::code`].
    pub fn parse(code: &str) -> Result<Self, AccountingError> {
        Self::all()
            .into_iter()
            .find(|a| a.code() == code)
            .ok_or_else(|| AccountingError::UnknownAccount {
                found: code.to_owned(),
            })
    }

    /// Chinese name.
    pub fn label_zh(self) -> String {
        match self {
            Self::Bank => "银行存款".into(),
            Self::Receivable => "应收账款".into(),
            Self::Payable => "应付账款".into(),
            Self::GovernmentSharePayable => "其他应付款—政府分成".into(),
            Self::RegulatorCostPayable => "其他应付款—行业主管部门成本补偿".into(),
            Self::MarketSharePayable => "其他应付款—二级市场分成".into(),
            Self::FeeRevenue => "主营业务收入—公共数据运营服务费".into(),
            Self::RevenueShareExpense => "收益分成支出".into(),
            Self::Cost(c) => format!("营业成本—{}", c.label_zh()),
        }
    }

    /// Its kind.
    pub const fn kind(self) -> AccountKind {
        match self {
            Self::Bank | Self::Receivable => AccountKind::Asset,
            Self::Payable
            | Self::GovernmentSharePayable
            | Self::RegulatorCostPayable
            | Self::MarketSharePayable => AccountKind::Liability,
            Self::FeeRevenue => AccountKind::Revenue,
            Self::RevenueShareExpense | Self::Cost(_) => AccountKind::Expense,
        }
    }
}

impl TryFrom<String> for Account {
    type Error = AccountingError;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::parse(&code)
    }
}

impl From<Account> for String {
    fn from(account: Account) -> Self {
        account.code()
    }
}
