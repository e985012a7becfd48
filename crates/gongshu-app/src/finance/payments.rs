//! Money actually moving: a participant's payment of a statement (Dr bank,
//! Cr receivable) and the payout of a share to the government, the sector
//! regulators or the secondary market (Dr payable, Cr bank). Neither may
//! exceed what is open, so receivables and payables never turn negative.

use chrono::NaiveDate;
use gongshu_domain::accounting::{Account, Entry, Line, Month};
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use serde::Deserialize;

use super::journal::{EntryView, Posting, commit_posting};
use super::{field, internal, invalid, require_kind, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

/// Input of [`record_receipt`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewReceipt {
    /// Amount received, in fen.
    pub amount_fen: i64,
    /// Value date (Asia/Shanghai), not in a future month.
    pub date: NaiveDate,
    /// Bank reference (流水号).
    pub reference: String,
}

/// Who a payout goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Payee {
    /// The government's share (to the treasury).
    Government,
    /// The sector regulators' cost compensation.
    Regulators,
    /// The secondary market's share.
    Market,
}

impl Payee {
    const fn account(self) -> Account {
        match self {
            Self::Government => Account::GovernmentSharePayable,
            Self::Regulators => Account::RegulatorCostPayable,
            Self::Market => Account::MarketSharePayable,
        }
    }
}

/// Input of [`record_payout`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewPayout {
    /// To whom.
    pub payee: Payee,
    /// Amount paid, in fen.
    pub amount_fen: i64,
    /// Value date.
    pub date: NaiveDate,
    /// Bank reference (流水号).
    pub reference: String,
}

fn check_common(
    app: &App,
    amount_fen: i64,
    date: NaiveDate,
    reference: &str,
) -> Result<(), AppError> {
    if amount_fen <= 0 {
        return Err(field(
            "amount_fen",
            "pricing.negative_amount",
            "金额须为正数（分）",
        ));
    }
    if Month::of(date) > Month::of(today(app)) {
        return Err(field(
            "date",
            "accounting.future_period",
            "不能在未来的会计期间记账",
        ));
    }
    let r = reference.trim();
    if r.is_empty() || r.chars().count() > 100 {
        return Err(field(
            "reference",
            "accounting.reference_required",
            "请填写银行流水号（不超过 100 字）",
        ));
    }
    Ok(())
}

/// Net balance of `account` over the whole journal (debit-normal sign for
/// assets, credit-normal for liabilities).
async fn balance(app: &App, account: Account) -> Result<Money, AppError> {
    let mut tx = app.store().begin_read().await?;
    let lines = tx.list_journal_lines("0000-01", "9999-12").await?;
    tx.commit().await?;
    let code = account.code();
    let mut net: i128 = 0;
    for l in lines.iter().filter(|l| l.account == code) {
        net += match account.kind() {
            gongshu_domain::accounting::AccountKind::Asset
            | gongshu_domain::accounting::AccountKind::Expense => {
                i128::from(l.debit_fen) - i128::from(l.credit_fen)
            }
            _ => i128::from(l.credit_fen) - i128::from(l.debit_fen),
        };
    }
    i64::try_from(net).map(Money::from_fen).map_err(internal)
}

/// Books a participant's payment of a statement.
///
/// # Errors
/// 422 above the statement's open amount, for a bad amount, date or
/// reference; 409 in a closed month; 404; 403 for anyone but the operator.
pub async fn record_receipt(
    app: &App,
    actor: &Actor,
    statement_id: &str,
    input: &NewReceipt,
) -> Result<EntryView, AppError> {
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "receipt", statement_id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::Operator, "finance.not_operator")?;
    check_common(app, input.amount_fen, input.date, &input.reference)?;
    let statement = super::billing::statement(app, statement_id).await?;
    let open = statement.outstanding;
    let amount = Money::from_fen(input.amount_fen);
    if amount > open {
        return Err(field(
            "amount_fen",
            "billing.receipt_exceeds",
            &format!("收款金额不能超过账单未收金额 {open} 元"),
        ));
    }
    let entry = Entry::new(
        input.date,
        &format!(
            "收到 {} 账单款（{}）",
            statement.month,
            input.reference.trim()
        ),
        vec![
            Line::debit(Account::Bank, amount),
            Line::credit(Account::Receivable, amount),
        ],
    )
    .map_err(|e| invalid("reference", &e))?;
    let ev = AuditEvent::new("billing.receipt_recorded")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("statement", statement_id)
        .decided_by(decided)
        .details(serde_json::json!({
            "amount_fen": amount.fen(), "date": input.date, "reference": input.reference.trim(),
        }));
    commit_posting(
        app,
        actor,
        Posting {
            entry,
            source_kind: "receipt",
            source_id: statement_id,
            reverses: None,
        },
        ev,
    )
    .await
}

/// Books the payout of a share.
///
/// # Errors
/// 422 above what is payable to that payee or for a bad amount, date or
/// reference; 409 in a closed month; 403 for anyone but the operator.
pub async fn record_payout(
    app: &App,
    actor: &Actor,
    input: &NewPayout,
) -> Result<EntryView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "payout", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::Operator, "finance.not_operator")?;
    check_common(app, input.amount_fen, input.date, &input.reference)?;
    let account = input.payee.account();
    let payable = balance(app, account).await?;
    let amount = Money::from_fen(input.amount_fen);
    if amount > payable {
        return Err(field(
            "amount_fen",
            "accounting.payout_exceeds",
            &format!("支付金额不能超过{}余额 {payable} 元", account.label_zh()),
        ));
    }
    let entry = Entry::new(
        input.date,
        &format!("支付{}（{}）", account.label_zh(), input.reference.trim()),
        vec![
            Line::debit(account, amount),
            Line::credit(Account::Bank, amount),
        ],
    )
    .map_err(|e| invalid("reference", &e))?;
    let ev = AuditEvent::new("revenue_share.paid_out")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("payout", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "account": account.code(), "amount_fen": amount.fen(), "date": input.date,
            "reference": input.reference.trim(),
        }));
    commit_posting(
        app,
        actor,
        Posting {
            entry,
            source_kind: "payout",
            source_id: &id,
            reverses: None,
        },
        ev,
    )
    .await
}
