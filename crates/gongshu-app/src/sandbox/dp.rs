//! DP mode's budgets and answer cache in the platform store (R4.7): one
//! global budget per dataset and quarter (Asia/Shanghai) shared by all
//! requesters; every spend is its own audit record, committed with it.

use async_trait::async_trait;
use chrono::{DateTime, Datelike as _, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_sandbox::{DEFAULT_BUDGET_RHO_MICRO, DpLedger, QueryResult, SandboxError, micro_text};
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
        let total = i64::try_from(DEFAULT_BUDGET_RHO_MICRO).unwrap_or(i64::MAX);
        let mut change = self.app.begin().await.map_err(|e| internal(&e))?;
        for d in &datasets {
            match change.tx().spend_dp_budget(d, &period, micro, total).await {
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
    let total = DEFAULT_BUDGET_RHO_MICRO;
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::with_capacity(tables.len());
    for t in tables {
        let dataset = sources.get(&t.resource_id).unwrap_or(&t.resource_id);
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
