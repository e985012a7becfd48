//! Statements drawn from journal lines: the trial balance (试算平衡表) and
//! the income statement (利润表) with its cost breakdown and revenue
//! shares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Account, AccountKind, AccountingError, Line};
use crate::Money;
use crate::pricing::CostCategory;

/// One account's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalanceRow {
    /// The account.
    pub account: Account,
    /// Its Chinese name.
    pub name_zh: String,
    /// Sum of its debits.
    pub debit: Money,
    /// Sum of its credits.
    pub credit: Money,
}

/// Debits and credits per account; the totals must be equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrialBalance {
    /// Accounts with any movement, in chart order.
    pub rows: Vec<TrialBalanceRow>,
    /// Total debit.
    pub total_debit: Money,
    /// Total credit.
    pub total_credit: Money,
}

impl TrialBalance {
    /// Sums `lines`.
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Result<Self, AccountingError> {
        let mut sums: BTreeMap<Account, (Money, Money)> = BTreeMap::new();
        for l in lines {
            let slot = sums.entry(l.account).or_default();
            slot.0 = slot.0.checked_add(l.debit)?;
            slot.1 = slot.1.checked_add(l.credit)?;
        }
        let rows: Vec<TrialBalanceRow> = sums
            .into_iter()
            .map(|(account, (debit, credit))| TrialBalanceRow {
                account,
                name_zh: account.label_zh(),
                debit,
                credit,
            })
            .collect();
        Ok(Self {
            total_debit: Money::checked_sum(rows.iter().map(|r| r.debit))?,
            total_credit: Money::checked_sum(rows.iter().map(|r| r.credit))?,
            rows,
        })
    }

    /// Whether debits equal credits.
    pub fn is_balanced(&self) -> bool {
        self.total_debit == self.total_credit
    }
}

/// Revenue, costs by category, shares and the operator's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeStatement {
    /// Fee revenue, net of credit notes.
    pub revenue: Money,
    /// Revenue shares paid to the government and the secondary market.
    pub revenue_shares: Money,
    /// Cost per category (every category, zero included).
    pub costs: Vec<(CostCategory, Money)>,
    /// Sum of `costs`.
    pub total_cost: Money,
    /// `revenue − revenue_shares − total_cost`.
    pub operating_result: Money,
}

impl IncomeStatement {
    /// Draws the statement from `lines` (of one period or a year).
    pub fn of<'a>(lines: impl IntoIterator<Item = &'a Line>) -> Result<Self, AccountingError> {
        let tb = TrialBalance::of(lines)?;
        let net = |account: Account| -> Result<Money, AccountingError> {
            let Some(row) = tb.rows.iter().find(|r| r.account == account) else {
                return Ok(Money::ZERO);
            };
            Ok(match account.kind() {
                AccountKind::Revenue | AccountKind::Liability => {
                    row.credit.checked_sub(row.debit)?
                }
                AccountKind::Expense | AccountKind::Asset => row.debit.checked_sub(row.credit)?,
            })
        };
        let revenue = net(Account::FeeRevenue)?;
        let revenue_shares = net(Account::RevenueShareExpense)?;
        let costs = CostCategory::ALL
            .into_iter()
            .map(|c| net(Account::Cost(c)).map(|m| (c, m)))
            .collect::<Result<Vec<_>, _>>()?;
        let total_cost = Money::checked_sum(costs.iter().map(|(_, m)| *m))?;
        Ok(Self {
            operating_result: revenue
                .checked_sub(revenue_shares)?
                .checked_sub(total_cost)?,
            revenue,
            revenue_shares,
            costs,
            total_cost,
        })
    }
}
