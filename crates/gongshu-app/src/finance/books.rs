//! Statements drawn from the journal (S-5.3): the trial balance, the
//! income statement with its cost breakdown per month, and the
//! revenue-share statement.

use std::collections::BTreeMap;

use gongshu_domain::Money;
use gongshu_domain::accounting::{Account, IncomeStatement, Line, TrialBalance};
use gongshu_store::StoreTx;
use serde::Serialize;

use super::journal::{lines_between, range, to_domain};
use super::{internal, require_reader};
use crate::{Actor, App, AppError};

/// The trial balance of months `from..=to`.
///
/// # Errors
/// 422 for malformed months; 403 for non-readers.
pub async fn trial_balance(
    app: &App,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<TrialBalance, AppError> {
    require_reader(actor)?;
    let (from, to) = range(from, to)?;
    let mut tx = app.store().begin_read().await?;
    let lines = lines_between(&mut tx, &from, &to).await?;
    tx.commit().await?;
    TrialBalance::of(&lines).map_err(internal)
}

/// The income statement of a year, with one column per month.
#[derive(Debug, Clone, Serialize)]
pub struct IncomeStatementView {
    /// Year.
    pub year: i64,
    /// The year as a whole.
    pub total: IncomeStatement,
    /// Each month that has entries.
    pub months: Vec<(String, IncomeStatement)>,
}

/// The income statement, cost breakdown and revenue shares of `year`.
///
/// # Errors
/// 403 for non-readers.
pub async fn income_statement(
    app: &App,
    actor: &Actor,
    year: i64,
) -> Result<IncomeStatementView, AppError> {
    require_reader(actor)?;
    let mut tx = app.store().begin_read().await?;
    let view = income_of_year(&mut tx, year).await?;
    tx.commit().await?;
    Ok(view)
}

pub(crate) async fn income_of_year(
    tx: &mut StoreTx,
    year: i64,
) -> Result<IncomeStatementView, AppError> {
    let (from, to) = (format!("{year:04}-01"), format!("{year:04}-12"));
    let rows = tx.list_journal_lines(&from, &to).await?;
    let entries = tx.list_journal_entries(&from, &to).await?;
    let month_of: BTreeMap<&str, &str> = entries
        .iter()
        .map(|e| (e.id.as_str(), e.month.as_str()))
        .collect();
    let mut by_month: BTreeMap<String, Vec<Line>> = BTreeMap::new();
    let mut all = Vec::with_capacity(rows.len());
    for r in &rows {
        let line = to_domain(r)?;
        let month = month_of
            .get(r.entry_id.as_str())
            .copied()
            .unwrap_or_default();
        by_month.entry(month.to_owned()).or_default().push(line);
        all.push(line);
    }
    Ok(IncomeStatementView {
        year,
        total: IncomeStatement::of(&all).map_err(internal)?,
        months: by_month
            .into_iter()
            .map(|(m, lines)| {
                IncomeStatement::of(&lines)
                    .map(|s| (m, s))
                    .map_err(internal)
            })
            .collect::<Result<_, _>>()?,
    })
}

/// One month's revenue and how it was shared (收益分配表).
#[derive(Debug, Clone, Serialize)]
pub struct ShareStatementRow {
    /// Month.
    pub month: String,
    /// Fee revenue net of credit notes.
    pub revenue: Money,
    /// Government share, regulators' costs apart.
    pub government: Money,
    /// Sector regulators' cost compensation (part of the government's share).
    pub regulator_costs: Money,
    /// Secondary-market share.
    pub market: Money,
    /// The operator's share: what remains.
    pub operator: Money,
}

/// The revenue-share statement of months `from..=to`, from the journal.
///
/// # Errors
/// 422 for malformed months; 403 for non-readers.
pub async fn revenue_shares(
    app: &App,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<Vec<ShareStatementRow>, AppError> {
    require_reader(actor)?;
    let (from, to) = range(from, to)?;
    let mut tx = app.store().begin_read().await?;
    let entries = tx.list_journal_entries(&from, &to).await?;
    let lines = tx.list_journal_lines(&from, &to).await?;
    tx.commit().await?;
    // Shares as allocated: payouts settle the payables but share nothing.
    let month_of: BTreeMap<&str, &str> = entries
        .iter()
        .filter(|e| e.source_kind != "payout")
        .map(|e| (e.id.as_str(), e.month.as_str()))
        .collect();
    // Per month: net credit of revenue and of the three share payables.
    let mut sums: BTreeMap<String, [i128; 4]> = BTreeMap::new();
    for l in &lines {
        let slot = match Account::parse(&l.account).map_err(internal)? {
            Account::FeeRevenue => 0,
            Account::GovernmentSharePayable => 1,
            Account::RegulatorCostPayable => 2,
            Account::MarketSharePayable => 3,
            _ => continue,
        };
        let Some(month) = month_of.get(l.entry_id.as_str()).copied() else {
            continue;
        };
        let row = sums.entry(month.to_owned()).or_default();
        if let Some(v) = row.get_mut(slot) {
            *v += i128::from(l.credit_fen) - i128::from(l.debit_fen);
        }
    }
    let money = |v: i128| i64::try_from(v).map(Money::from_fen).map_err(internal);
    sums.into_iter()
        .map(|(month, [rev, gov, reg, market])| {
            Ok(ShareStatementRow {
                month,
                revenue: money(rev)?,
                government: money(gov)?,
                regulator_costs: money(reg)?,
                market: money(market)?,
                operator: money(rev - gov - reg - market)?,
            })
        })
        .collect()
}
