//! The separate account's journal (专账, S-5.3, S-6.2-6): costs booked by
//! the operator, reversals instead of edits, month closing, and the trial
//! balance and income statement drawn from it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::accounting::{Account, Entry, Line, Month, TrialBalance};
use gongshu_domain::pricing::CostCategory;
use gongshu_domain::{Money, Role};
use gongshu_policy::Action;
use gongshu_store::{JournalEntryRow, JournalLineRow, StoreTx};
use serde::{Deserialize, Serialize};

use super::{field, internal, invalid, require_kind, require_reader, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

pub(crate) use super::books::income_of_year;
pub use super::books::{
    IncomeStatementView, ShareStatementRow, income_statement, revenue_shares, trial_balance,
};

/// What produced an entry and who posts it.
pub(crate) struct Posting<'a> {
    pub entry: Entry,
    pub source_kind: &'static str,
    pub source_id: &'a str,
    pub reverses: Option<&'a str>,
}

/// Appends `posting` inside the caller's transaction; refuses a closed
/// month. Returns the entry id.
pub(crate) async fn post(
    tx: &mut StoreTx,
    posting: &Posting<'_>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let month = Month::of(posting.entry.date).to_string();
    if tx.is_month_closed(&month).await? {
        return Err(closed(&month));
    }
    let id = new_id();
    let row = JournalEntryRow {
        id: id.clone(),
        position: 0,
        entry_date: posting.entry.date,
        month,
        memo: posting.entry.memo.clone(),
        source_kind: posting.source_kind.to_owned(),
        source_id: posting.source_id.to_owned(),
        reverses: posting.reverses.map(str::to_owned),
        total_fen: posting.entry.total().fen(),
        posted_by: actor.user_id.clone(),
        posted_at: now,
    };
    let lines: Vec<JournalLineRow> = posting
        .entry
        .lines
        .iter()
        .enumerate()
        .map(|(n, l)| JournalLineRow {
            entry_id: id.clone(),
            line_no: i64::try_from(n).unwrap_or(i64::MAX),
            account: l.account.code(),
            debit_fen: l.debit.fen(),
            credit_fen: l.credit.fen(),
        })
        .collect();
    tx.post_journal_entry(&row, &lines).await?;
    Ok(id)
}

fn closed(month: &str) -> AppError {
    AppError::Refused {
        code: "accounting.period_closed",
        message: format!(
            "会计期间 {month} 已结账，不能再记账；更正请在当前期间记红字冲销（S-5.3）"
        ),
    }
}

/// Input of [`record_cost`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewCost {
    /// Booking date (Asia/Shanghai).
    pub date: NaiveDate,
    /// Cost category.
    pub category: CostCategory,
    /// Amount in fen.
    pub amount_fen: i64,
    /// What it was (摘要).
    pub memo: String,
}

/// Input of [`reverse_entry`].
#[derive(Debug, Clone, Deserialize)]
pub struct ReverseInput {
    /// Why (the reversal's memo).
    pub reason: String,
}

/// A journal line as shown.
#[derive(Debug, Clone, Serialize)]
pub struct LineView {
    /// Account code.
    pub account: String,
    /// Account name.
    pub account_name: String,
    /// Debit.
    pub debit: Money,
    /// Credit.
    pub credit: Money,
}

/// A journal entry as shown.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// Id.
    pub id: String,
    /// Posting order.
    pub position: i64,
    /// Booking date.
    pub date: NaiveDate,
    /// Period.
    pub month: String,
    /// Memo.
    pub memo: String,
    /// Source kind (`statement`, `credit_note`, `cost`, `reversal`).
    pub source_kind: String,
    /// Source id.
    pub source_id: String,
    /// The entry it reverses.
    pub reverses: Option<String>,
    /// The entry reversing it.
    pub reversed_by: Option<String>,
    /// Total.
    pub total: Money,
    /// Lines.
    pub lines: Vec<LineView>,
}

fn line_view(l: &JournalLineRow) -> LineView {
    LineView {
        account_name: Account::parse(&l.account)
            .map(Account::label_zh)
            .unwrap_or_else(|_| l.account.clone()),
        account: l.account.clone(),
        debit: Money::from_fen(l.debit_fen),
        credit: Money::from_fen(l.credit_fen),
    }
}

pub(crate) fn to_domain(l: &JournalLineRow) -> Result<Line, AppError> {
    Ok(Line {
        account: Account::parse(&l.account).map_err(internal)?,
        debit: Money::from_fen(l.debit_fen),
        credit: Money::from_fen(l.credit_fen),
    })
}

/// Books a cost of the authorized operation (Dr cost / Cr payable).
///
/// # Errors
/// 422 for a bad amount, memo or date in a future month; 409 in a closed
/// month; 403 for anyone but the operator's case officers and approvers.
pub async fn record_cost(app: &App, actor: &Actor, input: &NewCost) -> Result<EntryView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "cost", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(
        actor,
        gongshu_domain::OrgKind::Operator,
        "finance.not_operator",
    )?;
    if input.amount_fen <= 0 {
        return Err(field(
            "amount_fen",
            "pricing.negative_amount",
            "成本金额须为正数（分）",
        ));
    }
    if Month::of(input.date) > Month::of(today(app)) {
        return Err(field(
            "date",
            "accounting.future_period",
            "不能在未来的会计期间记账",
        ));
    }
    let amount = Money::from_fen(input.amount_fen);
    let entry = Entry::new(
        input.date,
        &input.memo,
        vec![
            Line::debit(Account::Cost(input.category), amount),
            Line::credit(Account::Payable, amount),
        ],
    )
    .map_err(|e| invalid("memo", &e))?;
    let ev = AuditEvent::new("finance.cost_recorded")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("journal_entry", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "category": input.category.code(), "amount_fen": input.amount_fen,
            "date": input.date, "memo": entry.memo,
        }));
    commit_posting(
        app,
        actor,
        Posting {
            entry,
            source_kind: "cost",
            source_id: &id,
            reverses: None,
        },
        ev,
    )
    .await
}

pub(crate) async fn commit_posting(
    app: &App,
    actor: &Actor,
    posting: Posting<'_>,
    ev: AuditEvent,
) -> Result<EntryView, AppError> {
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let entry_id = match post(change.tx(), &posting, actor, now).await {
        Ok(id) => id,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let mut ev = ev;
    ev.details["entry"] = entry_id.clone().into();
    change.audit(ev).await?.commit().await?;
    get_entry(app, actor, &entry_id).await
}

/// Reverses an entry by a new entry with the sides swapped, booked today.
///
/// # Errors
/// 404; 409 when already reversed, when it is itself a reversal, or today's
/// month is closed; 422 without a reason.
pub async fn reverse_entry(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ReverseInput,
) -> Result<EntryView, AppError> {
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "journal_entry", id, &actor.org_id)?,
        )
        .await?;
    require_kind(
        actor,
        gongshu_domain::OrgKind::Operator,
        "finance.not_operator",
    )?;
    let (row, lines) = {
        let mut tx = app.store().begin_read().await?;
        let row = tx.get_journal_entry(id).await?;
        let lines = tx.list_journal_lines("0000-00", "9999-99").await?;
        let reversed = tx.find_reversal_of(id).await?;
        tx.commit().await?;
        let row = row.ok_or(AppError::NotFound {
            what: "journal entry",
        })?;
        if reversed.is_some() {
            return Err(AppError::Refused {
                code: "accounting.already_reversed",
                message: "该分录已冲销".into(),
            });
        }
        (
            row,
            lines
                .into_iter()
                .filter(|l| l.entry_id == id)
                .collect::<Vec<_>>(),
        )
    };
    if row.reverses.is_some() {
        return Err(AppError::Refused {
            code: "accounting.reversal_of_reversal",
            message: "冲销分录不能再冲销；如需更正请另记一笔分录".into(),
        });
    }
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(field(
            "reason",
            "accounting.memo_required",
            "请填写冲销原因",
        ));
    }
    let original = Entry {
        date: row.entry_date,
        memo: row.memo.clone(),
        lines: lines.iter().map(to_domain).collect::<Result<_, _>>()?,
    };
    let entry = original
        .reversal(today(app), &format!("冲销 #{}：{reason}", row.position))
        .map_err(|e| invalid("reason", &e))?;
    let ev = AuditEvent::new("finance.entry_reversed")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("journal_entry", id)
        .decided_by(decided)
        .details(serde_json::json!({ "reason": reason, "total_fen": row.total_fen }));
    commit_posting(
        app,
        actor,
        Posting {
            entry,
            source_kind: "reversal",
            source_id: id,
            reverses: Some(id),
        },
        ev,
    )
    .await
}

/// Closes a month that has ended: no entry may be booked in it afterwards.
///
/// # Errors
/// 403 unless an approver of the operator; 409 when the month has not ended
/// or is closed already; 422 for a malformed month.
pub async fn close_month(app: &App, actor: &Actor, month: &str) -> Result<ClosedView, AppError> {
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "period", month, &actor.org_id)?,
        )
        .await?;
    require_kind(
        actor,
        gongshu_domain::OrgKind::Operator,
        "finance.not_operator",
    )?;
    if !actor.roles.contains(&Role::Approver) {
        return Err(AppError::Denied {
            code: "accounting.close_needs_approver",
            message: "结账须由运营机构审批人办理".into(),
        });
    }
    let m = Month::parse(month).map_err(|e| invalid("month", &e))?;
    if m.last_day() >= today(app) {
        return Err(AppError::Refused {
            code: "accounting.month_open",
            message: format!("{m} 尚未结束，不能结账"),
        });
    }
    let key = m.to_string();
    let tb = {
        let mut tx = app.store().begin_read().await?;
        let lines = tx.list_journal_lines(&key, &key).await?;
        tx.commit().await?;
        let lines: Vec<Line> = lines.iter().map(to_domain).collect::<Result<_, _>>()?;
        TrialBalance::of(&lines).map_err(internal)?
    };
    if !tb.is_balanced() {
        return Err(AppError::Internal(format!(
            "trial balance of {key} does not net to zero"
        )));
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    match change.tx().close_month(&key, &actor.user_id, now).await {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(closed(&key));
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    let ev = AuditEvent::new("finance.month_closed")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("period", &key)
        .decided_by(decided)
        .details(serde_json::json!({ "total_debit_fen": tb.total_debit.fen() }));
    change.audit(ev).await?.commit().await?;
    Ok(ClosedView {
        month: key,
        closed_at: now,
        trial_balance: tb,
    })
}

/// A closed month.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedView {
    /// Month.
    pub month: String,
    /// When closed.
    pub closed_at: DateTime<Utc>,
    /// Its trial balance at closing.
    pub trial_balance: TrialBalance,
}

/// One entry.
///
/// # Errors
/// 404; 403 for non-readers.
pub async fn get_entry(app: &App, actor: &Actor, id: &str) -> Result<EntryView, AppError> {
    require_reader(actor)?;
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_journal_entry(id).await?;
    let Some(row) = row else {
        tx.commit().await?;
        return Err(AppError::NotFound {
            what: "journal entry",
        });
    };
    let lines = tx.list_journal_lines(&row.month, &row.month).await?;
    let reversed_by = tx.find_reversal_of(id).await?;
    tx.commit().await?;
    Ok(entry_view(row, &lines, reversed_by))
}

fn entry_view(
    row: JournalEntryRow,
    lines: &[JournalLineRow],
    reversed_by: Option<String>,
) -> EntryView {
    EntryView {
        lines: lines
            .iter()
            .filter(|l| l.entry_id == row.id)
            .map(line_view)
            .collect(),
        id: row.id,
        position: row.position,
        date: row.entry_date,
        month: row.month,
        memo: row.memo,
        source_kind: row.source_kind,
        source_id: row.source_id,
        reverses: row.reverses,
        reversed_by,
        total: Money::from_fen(row.total_fen),
    }
}

/// The journal of months `from..=to`, in posting order.
///
/// # Errors
/// 422 for malformed months; 403 for non-readers.
pub async fn list_entries(
    app: &App,
    actor: &Actor,
    from: &str,
    to: &str,
) -> Result<Vec<EntryView>, AppError> {
    require_reader(actor)?;
    let (from, to) = range(from, to)?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_journal_entries(&from, &to).await?;
    let lines = tx.list_journal_lines(&from, &to).await?;
    tx.commit().await?;
    let reversed: BTreeMap<String, String> = rows
        .iter()
        .filter_map(|r| r.reverses.clone().map(|o| (o, r.id.clone())))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let by = reversed.get(&r.id).cloned();
            entry_view(r, &lines, by)
        })
        .collect())
}

pub(crate) fn range(from: &str, to: &str) -> Result<(String, String), AppError> {
    let f = Month::parse(from).map_err(|e| invalid("from", &e))?;
    let t = Month::parse(to).map_err(|e| invalid("to", &e))?;
    if f > t {
        return Err(field(
            "to",
            "accounting.bad_range",
            "截止期间不能早于起始期间",
        ));
    }
    Ok((f.to_string(), t.to_string()))
}

/// Domain lines of months `from..=to`.
pub(crate) async fn lines_between(
    tx: &mut StoreTx,
    from: &str,
    to: &str,
) -> Result<Vec<Line>, AppError> {
    tx.list_journal_lines(from, to)
        .await?
        .iter()
        .map(to_domain)
        .collect()
}
