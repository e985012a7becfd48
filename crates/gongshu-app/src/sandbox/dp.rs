//! DP mode's budgets and answer cache in the platform store (R4.7): one
//! global budget per dataset and quarter (Asia/Shanghai) shared by all
//! requesters; every spend is its own audit record, committed with it.

use async_trait::async_trait;
use chrono::{DateTime, Datelike as _, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_policy::Action;
use gongshu_sandbox::{DEFAULT_BUDGET_RHO_MICRO, DpLedger, QueryResult, SandboxError, micro_text};
use gongshu_store::StoreTx;
use serde::Serialize;

use crate::error::AppError;
use crate::inbox::shanghai_today;
use crate::{Actor, App, AuditEvent};

/// The budget period of `now`: the quarter in Shanghai, e.g. `2026Q4`.
pub fn period(now: DateTime<Utc>) -> String {
    let d = shanghai_today(now);
    format!("{}Q{}", d.year(), (d.month() - 1) / 3 + 1)
}

fn internal(e: &AppError) -> SandboxError {
    SandboxError::Internal(e.to_string())
}

fn store_err(e: gongshu_store::StoreError) -> SandboxError {
    internal(&AppError::from(e))
}

/// The ledger of one caller's query.
pub(crate) struct StoreLedger<'a> {
    pub app: &'a App,
    pub actor: &'a Actor,
}

#[async_trait]
impl DpLedger for StoreLedger<'_> {
    async fn cached(&self, key: &str) -> Result<Option<QueryResult>, SandboxError> {
        let mut tx = self.app.store().begin_read().await.map_err(store_err)?;
        let text = tx.get_dp_answer(key).await.map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        text.map(|t| serde_json::from_str(&t).map_err(|e| SandboxError::Internal(e.to_string())))
            .transpose()
    }

    async fn reserve(&self, datasets: &[String], rho_micro: u64) -> Result<(), SandboxError> {
        let period = period(self.app.clock().now());
        // A training view spends its source dataset's budget: it holds a
        // sample of the same persons.
        let sources = view_sources(self.app, &self.actor.org_id)
            .await
            .map_err(|e| internal(&e))?;
        let datasets: std::collections::BTreeSet<&String> = datasets
            .iter()
            .map(|d| sources.get(d).unwrap_or(d))
            .collect();
        let micro = i64::try_from(rho_micro).map_err(|e| SandboxError::Internal(e.to_string()))?;
        let mut change = self.app.begin().await.map_err(|e| internal(&e))?;
        for d in &datasets {
            let spent = match total_of(change.tx(), d).await {
                Ok(total) => change.tx().spend_dp_budget(d, &period, micro, total).await,
                Err(e) => Err(e),
            };
            match spent {
                Ok(true) => {}
                Ok(false) => {
                    change.abandon().await;
                    return Err(SandboxError::BudgetExhausted {
                        dataset: (*d).clone(),
                    });
                }
                Err(e) => {
                    change.abandon().await;
                    return Err(store_err(e));
                }
            }
        }
        let ev = AuditEvent::new("sandbox.dp_budget_spent")
            .class(RetentionClass::DataAccess)
            .actor(
                &self.actor.user_id,
                &self.actor.org_id,
                self.actor.role_codes(),
            )
            .decided_by(vec!["R4.7".into()])
            .details(serde_json::json!({
                "datasets": datasets,
                "period": period,
                "rho": micro_text(rho_micro),
            }));
        change
            .audit(ev)
            .await
            .map_err(|e| internal(&e))?
            .commit()
            .await
            .map_err(|e| internal(&e))?;
        Ok(())
    }

    async fn remember(&self, key: &str, result: &QueryResult) -> Result<QueryResult, SandboxError> {
        let text =
            serde_json::to_string(result).map_err(|e| SandboxError::Internal(e.to_string()))?;
        let mut tx = self.app.store().begin().await.map_err(store_err)?;
        tx.insert_dp_answer(key, &text, self.app.clock().now())
            .await
            .map_err(store_err)?;
        let kept = tx.get_dp_answer(key).await.map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        match kept {
            Some(t) if t != text => {
                serde_json::from_str(&t).map_err(|e| SandboxError::Internal(e.to_string()))
            }
            _ => Ok(result.clone()),
        }
    }
}

/// The dataset's budget per period: the data authority's setting, else
/// the default.
async fn total_of(tx: &mut StoreTx, dataset: &str) -> Result<i64, gongshu_store::StoreError> {
    Ok(tx
        .dp_budget_total(dataset)
        .await?
        .unwrap_or_else(|| i64::try_from(DEFAULT_BUDGET_RHO_MICRO).unwrap_or(i64::MAX)))
}

/// Training view id → source dataset, for the organisation's views.
async fn view_sources(
    app: &App,
    org_id: &str,
) -> Result<std::collections::BTreeMap<String, String>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let views = tx.list_training_views(org_id).await?;
    tx.commit().await?;
    Ok(views
        .into_iter()
        .map(|v| (v.id, v.source_dataset))
        .collect())
}

/// One dataset's DP budget as its grantees see it.
#[derive(Debug, Clone, Serialize)]
pub struct BudgetView {
    /// SQL table name.
    pub table: String,
    /// Catalog resource (dataset).
    pub resource_id: String,
    /// Budget period, e.g. `2026Q4`.
    pub period: String,
    /// ρ of the period (zCDP), as decimal text.
    pub total_rho: String,
    /// ρ spent by all requesters together.
    pub spent_rho: String,
    /// ρ left.
    pub remaining_rho: String,
    /// ρ one query may spend at most.
    pub max_query_rho: String,
    /// Share left, in percent (for the gauge).
    pub remaining_percent: u64,
}

/// The DP budgets of the caller's tables.
///
/// # Errors
/// Store errors.
pub async fn budgets(app: &App, actor: &Actor) -> Result<Vec<BudgetView>, AppError> {
    let tables = super::my_tables(app, actor).await?;
    let sources = view_sources(app, &actor.org_id).await?;
    let period = period(app.clock().now());
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let dataset = sources.get(&t.resource_id).unwrap_or(&t.resource_id);
        let total = u64::try_from(total_of(&mut tx, dataset).await?).unwrap_or(0);
        let spent = u64::try_from(tx.dp_budget_spent(dataset, &period).await?).unwrap_or(0);
        let left = total.saturating_sub(spent);
        out.push(BudgetView {
            table: t.table,
            resource_id: t.resource_id,
            period: period.clone(),
            total_rho: micro_text(total),
            spent_rho: micro_text(spent),
            remaining_rho: micro_text(left),
            max_query_rho: micro_text(gongshu_sandbox::MAX_QUERY_RHO_MICRO),
            remaining_percent: left * 100 / total.max(1),
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Largest budget per dataset and quarter the data authority may set (ρ).
const MAX_TOTAL_MICRO: u64 = 10_000_000;

/// Sets a dataset's budget per quarter (the data bureau, with a reason);
/// takes effect for the current quarter at once.
///
/// # Errors
/// 422 for a total out of (0, 10] or without a reason, 404 for a dataset
/// not in the catalog, 403 for anyone but the data bureau (audited).
pub async fn set_budget(
    app: &App,
    actor: &Actor,
    dataset_id: &str,
    total_micro: u64,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    let mut bad = Vec::new();
    if total_micro == 0 || total_micro > MAX_TOTAL_MICRO {
        bad.push(crate::error::FieldError::new(
            "total_rho",
            "sandbox.R4.7",
            format!("预算须大于 0 且不超过 {}", micro_text(MAX_TOTAL_MICRO)),
        ));
    }
    if reason.is_empty() || reason.chars().count() > 500 {
        bad.push(crate::error::FieldError::new(
            "reason",
            "sandbox.R4.7",
            "请填写调整理由（1 至 500 字）",
        ));
    }
    if !bad.is_empty() {
        return Err(AppError::Validation(bad));
    }
    crate::catalog::load(app, dataset_id).await?;
    let decided = app
        .authorize(
            actor,
            Action::SupervisionManage,
            &crate::evaluations::workflow_of(
                "dp_budget",
                dataset_id,
                &actor.org_id,
                &actor.user_id,
            )?,
        )
        .await?;
    let total = i64::try_from(total_micro).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = app.clock().now();
    crate::agreements::commit_with(app, async |tx: &mut StoreTx| {
        let before = total_of(tx, dataset_id).await?;
        tx.set_dp_budget_total(dataset_id, total, reason, &actor.user_id, now)
            .await?;
        Ok(AuditEvent::new("sandbox.dp_budget_set")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .decided_by(decided)
            .details(serde_json::json!({
                "dataset": dataset_id,
                "before": micro_text(u64::try_from(before).unwrap_or(0)),
                "total": micro_text(total_micro),
                "reason": reason,
            })))
    })
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn the_period_is_the_shanghai_quarter() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(period(at("2026-03-31T15:59:59Z")), "2026Q1");
        // 16:00 UTC on 31 March is already 1 April in Shanghai.
        assert_eq!(period(at("2026-03-31T16:00:00Z")), "2026Q2");
        assert_eq!(period(at("2026-12-31T00:00:00Z")), "2026Q4");
    }
}
