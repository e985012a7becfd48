//! Billing (计费): the product API's metered usage of a month rated into
//! one statement per participant, revenue shares booked with it, and
//! corrections as credit notes, never edits (S-5.1, S-5.2, S-6.6).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gongshu_domain::accounting::{Account, Entry, Line, Month};
use gongshu_domain::pricing::Allocation;
use gongshu_domain::{Money, OrgKind};
use gongshu_policy::Action;
use gongshu_store::{CreditNoteRow, StatementRow, StoreTx, UsageRow};
use serde::{Deserialize, Serialize};

use super::journal::{Posting, post};
use super::state::PriceBook;
use super::{field, internal, invalid, require_kind, today, workflow};
use crate::{Actor, App, AppError, AuditEvent, new_id};

/// One product on a statement.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatementLine {
    /// Product.
    pub product_id: String,
    /// Name.
    pub product_name: String,
    /// Scenario of the calls.
    #[serde(default)]
    pub scenario: String,
    /// Use category code.
    pub category: String,
    /// Chinese label of the category.
    pub category_zh: String,
    /// Calls made.
    pub calls: i64,
    /// Billing units.
    pub units: i64,
    /// Unit in Chinese.
    pub unit_zh: String,
    /// The tiers applied.
    pub tiers: gongshu_domain::pricing::PriceSchedule,
    /// Amount charged (zero for public governance and welfare).
    pub amount: Money,
    /// Its revenue shares.
    pub shares: Allocation,
}

/// A statement as shown.
#[derive(Debug, Clone, Serialize)]
pub struct StatementView {
    /// Id.
    pub id: String,
    /// Participant.
    pub participant_org: String,
    /// Month.
    pub month: String,
    /// Lines.
    pub lines: Vec<StatementLine>,
    /// Total charged.
    pub total: Money,
    /// Credited by credit notes.
    pub credited: Money,
    /// `total − credited`.
    pub net: Money,
    /// Paid by the participant so far.
    pub received: Money,
    /// `net − received`.
    pub outstanding: Money,
    /// Credit notes.
    pub credit_notes: Vec<CreditNoteView>,
    /// Journal entry.
    pub journal_entry: Option<String>,
    /// When issued.
    pub issued_at: DateTime<Utc>,
}

/// A credit note as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CreditNoteView {
    /// Id.
    pub id: String,
    /// Statement corrected.
    pub statement_id: String,
    /// Amount credited.
    pub amount: Money,
    /// Why.
    pub reason: String,
    /// Month booked.
    pub month: String,
    /// Journal entry.
    pub journal_entry: String,
    /// When.
    pub issued_at: DateTime<Utc>,
}

impl From<&CreditNoteRow> for CreditNoteView {
    fn from(c: &CreditNoteRow) -> Self {
        Self {
            id: c.id.clone(),
            statement_id: c.statement_id.clone(),
            amount: Money::from_fen(c.amount_fen),
            reason: c.reason.clone(),
            month: c.month.clone(),
            journal_entry: c.journal_entry.clone(),
            issued_at: c.issued_at,
        }
    }
}

/// Receipts booked per statement.
async fn receipts(tx: &mut StoreTx) -> Result<BTreeMap<String, Money>, AppError> {
    let mut out: BTreeMap<String, Money> = BTreeMap::new();
    for e in tx.list_journal_entries("0000-01", "9999-12").await? {
        if e.source_kind == "receipt" {
            let slot = out.entry(e.source_id).or_default();
            *slot = slot
                .checked_add(Money::from_fen(e.total_fen))
                .map_err(internal)?;
        }
    }
    Ok(out)
}

fn statement_view(
    row: &StatementRow,
    credits: &[CreditNoteRow],
    received: Money,
) -> Result<StatementView, AppError> {
    let notes: Vec<CreditNoteView> = credits
        .iter()
        .filter(|c| c.statement_id == row.id)
        .map(CreditNoteView::from)
        .collect();
    let credited = Money::checked_sum(notes.iter().map(|n| n.amount)).map_err(internal)?;
    let total = Money::from_fen(row.total_fen);
    let net = total.checked_sub(credited).map_err(internal)?;
    Ok(StatementView {
        id: row.id.clone(),
        participant_org: row.participant_org.clone(),
        month: row.month.clone(),
        lines: serde_json::from_str(&row.lines).map_err(internal)?,
        total,
        credited,
        net,
        received,
        outstanding: net.checked_sub(received).map_err(internal)?,
        credit_notes: notes,
        journal_entry: row.journal_entry.clone(),
        issued_at: row.issued_at,
    })
}

/// Rates one participant's usage of a month: per product, the tiers apply
/// to all its units of the month, band by band; the charge is then split
/// over the scenarios of the calls by units (largest remainder), and each
/// scenario's part is shared by the rule for that product and scenario.
fn rate(
    book: &PriceBook,
    month: Month,
    usage: &[&UsageRow],
    regulator_costs_left: &mut Money,
) -> Result<Vec<StatementLine>, AppError> {
    let mut by_product: BTreeMap<&str, Vec<&UsageRow>> = BTreeMap::new();
    for u in usage {
        by_product.entry(u.product_id.as_str()).or_default().push(u);
    }
    let mut lines = Vec::with_capacity(usage.len());
    for (product_id, rows) in by_product {
        let Some((_, def)) = book.products.get(product_id) else {
            return Err(AppError::NotFound { what: "product" });
        };
        let tiers = book.schedule_for(product_id, month)?;
        let weights: Vec<u64> = rows
            .iter()
            .map(|u| u64::try_from(u.units).map_err(internal))
            .collect::<Result<_, _>>()?;
        let charge = tiers.charge(weights.iter().sum()).map_err(internal)?;
        let parts = if charge == Money::ZERO {
            vec![Money::ZERO; rows.len()]
        } else {
            charge.allocate(&weights).map_err(internal)?
        };
        for (u, amount) in rows.into_iter().zip(parts) {
            let shares = if amount == Money::ZERO {
                Allocation {
                    government: Money::ZERO,
                    regulator_costs: Money::ZERO,
                    treasury: Money::ZERO,
                    operator: Money::ZERO,
                    market: Money::ZERO,
                }
            } else {
                let Some(rule) = book.share_rule(product_id, &u.scenario, month.last_day())? else {
                    return Err(AppError::Refused {
                        code: "billing.no_share_rule",
                        message: format!(
                            "产品“{}”在场景“{}”下没有适用的收益分配规则，请实施机构先制定（S-5.2）",
                            def.name, u.scenario
                        ),
                    });
                };
                let a = rule
                    .allocate(amount, *regulator_costs_left)
                    .map_err(internal)?;
                *regulator_costs_left = regulator_costs_left
                    .checked_sub(a.regulator_costs)
                    .map_err(internal)?;
                a
            };
            lines.push(StatementLine {
                product_id: u.product_id.clone(),
                product_name: def.name.clone(),
                scenario: u.scenario.clone(),
                category: serde_json::to_value(def.category)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                category_zh: def.category.label_zh().to_owned(),
                calls: u.calls,
                units: u.units,
                unit_zh: def.billing_unit.unit_zh().to_owned(),
                tiers: tiers.clone(),
                amount,
                shares,
            });
        }
    }
    Ok(lines)
}

/// The journal entry of a statement: the receivable and the revenue, and
/// the shares of the government (regulators' costs apart) and the
/// secondary market as the operator's expense and payables.
fn statement_entry(
    month: Month,
    participant: &str,
    lines: &[StatementLine],
) -> Result<Option<Entry>, AppError> {
    let sum =
        |f: fn(&StatementLine) -> Money| Money::checked_sum(lines.iter().map(f)).map_err(internal);
    let total = sum(|l| l.amount)?;
    if total == Money::ZERO {
        return Ok(None);
    }
    let treasury = sum(|l| l.shares.treasury)?;
    let regulators = sum(|l| l.shares.regulator_costs)?;
    let market = sum(|l| l.shares.market)?;
    let shared = treasury
        .checked_add(regulators)
        .and_then(|s| s.checked_add(market))
        .map_err(internal)?;
    Entry::new(
        month.last_day(),
        &format!("{month} 公共数据运营服务费（{participant}）"),
        vec![
            Line::debit(Account::Receivable, total),
            Line::credit(Account::FeeRevenue, total),
            Line::debit(Account::RevenueShareExpense, shared),
            Line::credit(Account::GovernmentSharePayable, treasury),
            Line::credit(Account::RegulatorCostPayable, regulators),
            Line::credit(Account::MarketSharePayable, market),
        ],
    )
    .map(Some)
    .map_err(internal)
}

/// Regulators' costs of `month` not yet paid from the government's share.
async fn regulator_costs_left(tx: &mut StoreTx, month: Month) -> Result<Money, AppError> {
    let key = month.to_string();
    let recorded = Money::checked_sum(
        tx.list_regulator_costs()
            .await?
            .iter()
            .filter(|c| c.month == key)
            .map(|c| Money::from_fen(c.amount_fen)),
    )
    .map_err(internal)?;
    let mut covered = Money::ZERO;
    for l in super::journal::lines_between(tx, &key, &key).await? {
        if l.account == Account::RegulatorCostPayable {
            covered = covered
                .checked_add(l.credit)
                .and_then(|c| c.checked_sub(l.debit))
                .map_err(internal)?;
        }
    }
    Ok(recorded
        .checked_sub(covered)
        .map_err(internal)?
        .max(Money::ZERO))
}

/// Issues the statements of a month that has ended: one per participant
/// with usage and no statement yet. Running it again issues only the
/// missing ones.
///
/// # Errors
/// 409 while the month runs, when it is closed, or a charged product has no
/// share rule; 422 for a malformed month; 403 for anyone but the operator.
pub async fn issue_statements(
    app: &App,
    actor: &Actor,
    month: &str,
) -> Result<Vec<StatementView>, AppError> {
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "statements", month, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::Operator, "finance.not_operator")?;
    let m = Month::parse(month).map_err(|e| invalid("month", &e))?;
    if m.last_day() >= today(app) {
        return Err(AppError::Refused {
            code: "billing.month_open",
            message: format!("{m} 尚未结束，月度账单须在月末之后出具"),
        });
    }
    let (book, usage, existing) = {
        let mut tx = app.store().begin_read().await?;
        let book = PriceBook::load(&mut tx).await?;
        let usage = tx.usage_between(m.first_day(), m.last_day()).await?;
        let existing = tx.list_statements(None).await?;
        tx.commit().await?;
        (book, usage, existing)
    };
    let mut by_participant: BTreeMap<&str, Vec<&UsageRow>> = BTreeMap::new();
    for u in &usage {
        by_participant
            .entry(u.participant_org.as_str())
            .or_default()
            .push(u);
    }
    let key = m.to_string();
    let mut issued = Vec::new();
    for (participant, rows) in by_participant {
        if existing
            .iter()
            .any(|s| s.participant_org == participant && s.month == key)
        {
            continue;
        }
        let id = new_id();
        let now = app.clock().now();
        let mut change = app.begin().await?;
        let result = async {
            let mut left = regulator_costs_left(change.tx(), m).await?;
            let lines = rate(&book, m, &rows, &mut left)?;
            let total = Money::checked_sum(lines.iter().map(|l| l.amount)).map_err(internal)?;
            let entry_id = match statement_entry(m, participant, &lines)? {
                Some(entry) => Some(
                    post(
                        change.tx(),
                        &Posting {
                            entry,
                            source_kind: "statement",
                            source_id: &id,
                            reverses: None,
                        },
                        actor,
                        now,
                    )
                    .await?,
                ),
                None => None,
            };
            let row = StatementRow {
                id: id.clone(),
                participant_org: participant.to_owned(),
                month: key.clone(),
                lines: serde_json::to_string(&lines).map_err(internal)?,
                total_fen: total.fen(),
                journal_entry: entry_id,
                issued_by: actor.user_id.clone(),
                issued_at: now,
            };
            if !change.tx().insert_statement(&row).await? {
                return Err(AppError::Conflict);
            }
            Ok::<_, AppError>(row)
        }
        .await;
        let row = match result {
            Ok(r) => r,
            Err(e) => {
                change.abandon().await;
                return Err(e);
            }
        };
        let ev = AuditEvent::new("billing.statement_issued")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .target("statement", &id)
            .decided_by(decided.clone())
            .details(serde_json::json!({
                "participant_org": participant, "month": key, "total_fen": row.total_fen,
                "journal_entry": row.journal_entry,
            }));
        change.audit(ev).await?.commit().await?;
        issued.push(statement_view(&row, &[], Money::ZERO)?);
    }
    Ok(issued)
}

/// Input of [`issue_credit_note`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewCreditNote {
    /// Amount to credit, in fen.
    pub amount_fen: i64,
    /// Why.
    pub reason: String,
}

/// Corrects a statement by a credit note booked in the current month: the
/// revenue and each share are reduced in the statement's proportions.
///
/// # Errors
/// 422 for a non-positive amount, more than is left to credit, or no
/// reason; 409 when the current month is closed; 404; 403 for anyone but
/// the operator.
pub async fn issue_credit_note(
    app: &App,
    actor: &Actor,
    statement_id: &str,
    input: &NewCreditNote,
) -> Result<StatementView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::FinanceManage,
            &workflow(actor, "credit_note", &id, &actor.org_id)?,
        )
        .await?;
    require_kind(actor, OrgKind::Operator, "finance.not_operator")?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(field(
            "reason",
            "billing.reason_required",
            "请填写更正原因（不超过 200 字）",
        ));
    }
    if input.amount_fen <= 0 {
        return Err(field(
            "amount_fen",
            "pricing.negative_amount",
            "红字金额须为正数（分）",
        ));
    }
    let (statement, credits) = {
        let mut tx = app.store().begin_read().await?;
        let s = tx.get_statement(statement_id).await?;
        let c = tx.list_credit_notes().await?;
        tx.commit().await?;
        (s.ok_or(AppError::NotFound { what: "statement" })?, c)
    };
    let paid = {
        let mut tx = app.store().begin_read().await?;
        let r = receipts(&mut tx).await?;
        tx.commit().await?;
        r.get(statement_id).copied().unwrap_or_default()
    };
    let view = statement_view(&statement, &credits, paid)?;
    let amount = Money::from_fen(input.amount_fen);
    if amount > view.outstanding {
        return Err(field(
            "amount_fen",
            "billing.credit_exceeds",
            &format!("红字金额不能超过账单未收余额 {} 元", view.outstanding),
        ));
    }
    // The credit splits like the statement: operator, treasury,
    // regulators, market in the statement's proportions (exactly).
    let sum = |f: fn(&StatementLine) -> Money| {
        Money::checked_sum(view.lines.iter().map(f)).map_err(internal)
    };
    let weights: Vec<u64> = [
        sum(|l| l.shares.operator)?,
        sum(|l| l.shares.treasury)?,
        sum(|l| l.shares.regulator_costs)?,
        sum(|l| l.shares.market)?,
    ]
    .iter()
    .map(|m| u64::try_from(m.fen()).unwrap_or(0))
    .collect();
    let parts = amount.allocate(&weights).map_err(internal)?;
    let [_, treasury, regulators, market]: [Money; 4] =
        parts.try_into().map_err(|_| internal("allocation"))?;
    let shared = treasury
        .checked_add(regulators)
        .and_then(|s| s.checked_add(market))
        .map_err(internal)?;
    let day = today(app);
    let entry = Entry::new(
        day,
        &format!("红字冲减 {} 账单：{reason}", view.month),
        vec![
            Line::debit(Account::FeeRevenue, amount),
            Line::credit(Account::Receivable, amount),
            Line::debit(Account::GovernmentSharePayable, treasury),
            Line::debit(Account::RegulatorCostPayable, regulators),
            Line::debit(Account::MarketSharePayable, market),
            Line::credit(Account::RevenueShareExpense, shared),
        ],
    )
    .map_err(|e| invalid("reason", &e))?;
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let entry_id = post(
            change.tx(),
            &Posting {
                entry,
                source_kind: "credit_note",
                source_id: &id,
                reverses: None,
            },
            actor,
            now,
        )
        .await?;
        let row = CreditNoteRow {
            id: id.clone(),
            statement_id: statement_id.to_owned(),
            amount_fen: amount.fen(),
            reason: reason.to_owned(),
            month: Month::of(day).to_string(),
            journal_entry: entry_id,
            issued_by: actor.user_id.clone(),
            issued_at: now,
        };
        change.tx().insert_credit_note(&row).await?;
        Ok::<_, AppError>(row)
    }
    .await;
    let row = match result {
        Ok(r) => r,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let ev = AuditEvent::new("billing.credit_note_issued")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("statement", statement_id)
        .decided_by(decided)
        .details(serde_json::json!({
            "credit_note": id, "amount_fen": row.amount_fen, "reason": row.reason,
            "journal_entry": row.journal_entry,
        }));
    change.audit(ev).await?.commit().await?;
    let mut credits = credits;
    credits.push(row);
    statement_view(&statement, &credits, paid)
}

/// One statement with its credit notes (no access check: for use cases
/// that checked already).
pub(crate) async fn statement(app: &App, id: &str) -> Result<StatementView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_statement(id).await?;
    let credits = tx.list_credit_notes().await?;
    let paid = receipts(&mut tx).await?;
    tx.commit().await?;
    statement_view(
        &row.ok_or(AppError::NotFound { what: "statement" })?,
        &credits,
        paid.get(id).copied().unwrap_or_default(),
    )
}

/// Statements: a participant sees its own, finance readers see all.
///
/// # Errors
/// 403 for anyone else.
pub async fn list_statements(app: &App, actor: &Actor) -> Result<Vec<StatementView>, AppError> {
    let only = if actor.org_kind == OrgKind::Participant {
        Some(actor.org_id.as_str())
    } else {
        super::require_reader(actor)?;
        None
    };
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_statements(only).await?;
    let credits = tx.list_credit_notes().await?;
    let paid = receipts(&mut tx).await?;
    tx.commit().await?;
    rows.iter()
        .map(|r| statement_view(r, &credits, paid.get(&r.id).copied().unwrap_or_default()))
        .collect()
}
