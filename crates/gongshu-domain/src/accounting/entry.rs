//! A journal entry (会计分录): balanced lines, each on one side only.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{Account, AccountingError};
use crate::Money;

/// One line: a debit or a credit to one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    /// The account.
    pub account: Account,
    /// Debit amount (zero on a credit line).
    pub debit: Money,
    /// Credit amount (zero on a debit line).
    pub credit: Money,
}

impl Line {
    /// A debit line.
    pub const fn debit(account: Account, amount: Money) -> Self {
        Self {
            account,
            debit: amount,
            credit: Money::ZERO,
        }
    }

    /// A credit line.
    pub const fn credit(account: Account, amount: Money) -> Self {
        Self {
            account,
            debit: Money::ZERO,
            credit: amount,
        }
    }
}

/// A validated, balanced journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Booking date (Asia/Shanghai); its month is the period.
    pub date: NaiveDate,
    /// What happened (摘要).
    pub memo: String,
    /// At least two lines; debits equal credits.
    pub lines: Vec<Line>,
}

impl Entry {
    /// Builds an entry, dropping zero lines (a zero share need not be
    /// booked), then checks it balances.
    pub fn new(date: NaiveDate, memo: &str, lines: Vec<Line>) -> Result<Self, AccountingError> {
        let lines: Vec<Line> = lines
            .into_iter()
            .filter(|l| l.debit != Money::ZERO || l.credit != Money::ZERO)
            .collect();
        let entry = Self {
            date,
            memo: memo.trim().to_owned(),
            lines,
        };
        entry.validate()?;
        Ok(entry)
    }

    /// Checks the memo, the lines and the balance.
    pub fn validate(&self) -> Result<(), AccountingError> {
        if self.memo.is_empty() || self.memo.chars().count() > 200 {
            return Err(AccountingError::Memo);
        }
        if self.lines.len() < 2 {
            return Err(AccountingError::TooFewLines);
        }
        for (line, l) in self.lines.iter().enumerate() {
            let one_side = (l.debit.fen() > 0 && l.credit == Money::ZERO)
                || (l.credit.fen() > 0 && l.debit == Money::ZERO);
            if !one_side {
                return Err(AccountingError::BadLine { line });
            }
        }
        let debit = Money::checked_sum(self.lines.iter().map(|l| l.debit))?;
        let credit = Money::checked_sum(self.lines.iter().map(|l| l.credit))?;
        if debit != credit {
            return Err(AccountingError::Unbalanced {
                debit: debit.fen(),
                credit: credit.fen(),
            });
        }
        Ok(())
    }

    /// The entry that undoes this one (红字冲销 by swapping sides), booked
    /// on `date`.
    pub fn reversal(&self, date: NaiveDate, memo: &str) -> Result<Self, AccountingError> {
        Self::new(
            date,
            memo,
            self.lines
                .iter()
                .map(|l| Line {
                    account: l.account,
                    debit: l.credit,
                    credit: l.debit,
                })
                .collect(),
        )
    }

    /// Total debit (= total credit).
    pub fn total(&self) -> Money {
        Money::checked_sum(self.lines.iter().map(|l| l.debit)).unwrap_or(Money::ZERO)
    }
}
