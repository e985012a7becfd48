//! DP budgets per dataset and period, and the cache of released DP answers.

use chrono::{DateTime, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

impl StoreTx {
    /// Spends `micro` of the dataset's budget for `period` when at most
    /// `total` would then be spent; returns whether it was spent.
    pub async fn spend_dp_budget(
        &mut self,
        dataset_id: &str,
        period: &str,
        micro: i64,
        total: i64,
    ) -> Result<bool, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO dp_budgets (dataset_id, period, spent_micro) VALUES ($1, $2, 0) \
                 ON CONFLICT (dataset_id, period) DO NOTHING",
            )
            .bind(dataset_id)
            .bind(period)
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE dp_budgets SET spent_micro = spent_micro + $1 \
                 WHERE dataset_id = $2 AND period = $3 AND spent_micro + $1 <= $4",
            )
            .bind(micro)
            .bind(dataset_id)
            .bind(period)
            .bind(total)
            .execute(&mut *conn)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Spent so far of the dataset's budget for `period`.
    pub async fn dp_budget_spent(
        &mut self,
        dataset_id: &str,
        period: &str,
    ) -> Result<i64, StoreError> {
        let spent: Option<i64> = on_conn!(self, |conn| {
            sqlx::query_scalar(
                "SELECT spent_micro FROM dp_budgets WHERE dataset_id = $1 AND period = $2",
            )
            .bind(dataset_id)
            .bind(period)
            .fetch_optional(conn)
            .await?
        });
        Ok(spent.unwrap_or(0))
    }

    /// A released DP answer (JSON), if one was kept for `key`.
    pub async fn get_dp_answer(&mut self, key: &str) -> Result<Option<String>, StoreError> {
        let r = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT result FROM dp_answers WHERE cache_key = $1")
                .bind(key)
                .fetch_optional(conn)
                .await?
        });
        Ok(r)
    }

    /// Keeps a released DP answer unless one is kept already.
    pub async fn insert_dp_answer(
        &mut self,
        key: &str,
        result: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO dp_answers (cache_key, result, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (cache_key) DO NOTHING",
            )
            .bind(key)
            .bind(result)
            .bind(micros(at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }
}

impl StoreTx {
    /// Sets the dataset's budget per period (millionths of ρ)
    pub async fn set_dp_budget_total(
        &mut self,
        dataset_id: &str,
        total_micro: i64,
        reason: &str,
        set_by: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                "INSERT INTO dp_budget_settings (dataset_id, total_micro, reason, set_by, set_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dataset_id) DO UPDATE SET \
                 total_micro = $2, reason = $3, set_by = $4, set_at = $5",
            )
            .bind(dataset_id)
            .bind(total_micro)
            .bind(reason)
            .bind(set_by)
            .bind(micros(at))
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// The dataset's budget per period when the data authority set one
    pub async fn dp_budget_total(&mut self, dataset_id: &str) -> Result<Option<i64>, StoreError> {
        let total = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT total_micro FROM dp_budget_settings WHERE dataset_id = $1")
                .bind(dataset_id)
                .fetch_optional(conn)
                .await?
        });
        Ok(total)
    }
}
