//! Product subscriptions as the call path reads them, and metered,
//! fingerprinted product calls (`product_calls`).

use chrono::{DateTime, NaiveDate, Utc};

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `product_calls`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ProductCallRow {
    /// Call id
    pub id: String,
    /// Product id
    pub product_id: String,
    /// Product version served
    pub product_version: i64,
    /// Subscription used
    pub subscription_id: String,
    /// Calling participant
    pub participant_org: String,
    /// API key used
    pub api_key_id: String,
    /// Scenario
    pub scenario: String,
    /// Consent relied on
    pub consent_id: Option<String>,
    /// When
    pub called_at: DateTime<Utc>,
    /// Day in Asia/Shanghai
    pub call_day: NaiveDate,
    /// Billing units
    pub units: i64,
    /// Price per unit in fen at the time of the call
    pub price_fen: i64,
    /// SHA-256 of the delivered output
    pub result_sha256: String,
    /// The participant's fingerprint in the output
    pub fingerprint: String,
    /// Client network, when known
    pub client_net: Option<String>,
}

const CALL: &str = "id, product_id, product_version, subscription_id, participant_org, api_key_id, \
                    scenario, consent_id, called_at, call_day, units, price_fen, result_sha256, \
                    fingerprint, client_net";

impl StoreTx {
    /// One product subscription
    pub async fn get_product_subscription(
        &mut self,
        id: &str,
    ) -> Result<Option<crate::ProductSubscriptionRow>, StoreError> {
        let row = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT id, subscriber_org, product_id, scenario, purpose, valid_from,                  valid_until, source_application, created_at, revoked_at                  FROM product_subscriptions WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(conn)
            .await?
        });
        Ok(row)
    }

    /// A participant's product subscriptions, newest first
    pub async fn list_product_subscriptions_of_org(
        &mut self,
        org: &str,
    ) -> Result<Vec<crate::ProductSubscriptionRow>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT id, subscriber_org, product_id, scenario, purpose, valid_from,                  valid_until, source_application, created_at, revoked_at                  FROM product_subscriptions WHERE subscriber_org = $1 ORDER BY created_at DESC, id",
            )
            .bind(org)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Inserts a delivered call
    pub async fn insert_product_call(&mut self, row: &ProductCallRow) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO product_calls ({CALL}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
        );
        on_conn!(self, |conn| {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(&row.id)
                .bind(&row.product_id)
                .bind(row.product_version)
                .bind(&row.subscription_id)
                .bind(&row.participant_org)
                .bind(&row.api_key_id)
                .bind(&row.scenario)
                .bind(&row.consent_id)
                .bind(micros(row.called_at))
                .bind(row.call_day)
                .bind(row.units)
                .bind(row.price_fen)
                .bind(&row.result_sha256)
                .bind(&row.fingerprint)
                .bind(&row.client_net)
                .execute(conn)
                .await?;
        });
        Ok(())
    }

    /// Inserts metered calls, many rows per statement (the metering group
    /// commit: one round trip to the database per chunk, not per call)
    pub async fn insert_product_calls(
        &mut self,
        rows: &[ProductCallRow],
    ) -> Result<(), StoreError> {
        // 15 parameters per row, well under SQLite's 32 766 per statement.
        for chunk in rows.chunks(500) {
            on_conn!(self, |conn| {
                let mut q = sqlx::QueryBuilder::new(format!("INSERT INTO product_calls ({CALL}) "));
                q.push_values(chunk, |mut b, row| {
                    b.push_bind(row.id.clone())
                        .push_bind(row.product_id.clone())
                        .push_bind(row.product_version)
                        .push_bind(row.subscription_id.clone())
                        .push_bind(row.participant_org.clone())
                        .push_bind(row.api_key_id.clone())
                        .push_bind(row.scenario.clone())
                        .push_bind(row.consent_id.clone())
                        .push_bind(micros(row.called_at))
                        .push_bind(row.call_day)
                        .push_bind(row.units)
                        .push_bind(row.price_fen)
                        .push_bind(row.result_sha256.clone())
                        .push_bind(row.fingerprint.clone())
                        .push_bind(row.client_net.clone());
                });
                q.build().execute(conn).await?;
            });
        }
        Ok(())
    }

    /// Calls of a subscription on a day
    pub async fn count_product_calls(
        &mut self,
        subscription_id: &str,
        day: NaiveDate,
    ) -> Result<i64, StoreError> {
        let (n,): (i64,) = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT COUNT(*) FROM product_calls WHERE subscription_id = $1 AND call_day = $2",
            )
            .bind(subscription_id)
            .bind(day)
            .fetch_one(conn)
            .await?
        });
        Ok(n)
    }

    /// The call that carried `fingerprint`
    pub async fn get_product_call_by_fingerprint(
        &mut self,
        fingerprint: &str,
    ) -> Result<Option<ProductCallRow>, StoreError> {
        let sql = format!("SELECT {CALL} FROM product_calls WHERE fingerprint = $1");
        let row = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(fingerprint)
                .fetch_optional(conn)
                .await?
        });
        Ok(row)
    }

    /// Calls since `since`, oldest first
    pub async fn list_product_calls_since(
        &mut self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ProductCallRow>, StoreError> {
        let sql = format!(
            "SELECT {CALL} FROM product_calls WHERE called_at >= $1 ORDER BY called_at, id"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(micros(since))
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }

    /// Calls per product and day from `from_day` on, of one participant or
    /// (None) of everyone: (product id, day, calls)
    pub async fn count_product_calls_by_day(
        &mut self,
        participant_org: Option<&str>,
        from_day: NaiveDate,
    ) -> Result<Vec<(String, NaiveDate, i64)>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT product_id, call_day, COUNT(*) FROM product_calls \
                 WHERE (CAST($1 AS TEXT) IS NULL OR participant_org = $1) AND call_day >= $2 \
                 GROUP BY product_id, call_day ORDER BY call_day, product_id",
            )
            .bind(participant_org)
            .bind(from_day)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Calls, newest first, of one participant or (None) of everyone
    pub async fn list_product_calls(
        &mut self,
        participant_org: Option<&str>,
        limit: i64,
    ) -> Result<Vec<ProductCallRow>, StoreError> {
        let sql = format!(
            "SELECT {CALL} FROM product_calls WHERE (CAST($1 AS TEXT) IS NULL OR participant_org = $1) \
             ORDER BY called_at DESC, id LIMIT $2"
        );
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(participant_org)
                .bind(limit)
                .fetch_all(conn)
                .await?
        });
        Ok(rows)
    }
}
