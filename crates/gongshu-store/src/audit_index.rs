//! The audit index (审计索引): one row per audit-log entry with the fields
//! the inspection API filters on. Owns the `audit_index` table.
//!
//! The log itself, with its Merkle tree and signed checkpoints, lives in
//! gongshu-ledger; this table only points into it by `ledger_index`, so a
//! row here proves nothing by itself. It is append-only: this module offers
//! no update and no delete.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;

use crate::store::on_conn;
use crate::{StoreError, StoreTx, micros};

/// A row of `audit_index`
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditIndexRow {
    /// The entry's index in the audit log (primary key)
    pub ledger_index: i64,
    /// When the audited action happened
    pub occurred_at: DateTime<Utc>,
    /// The action's stable code, e.g. `product.approve`
    pub action_code: String,
    /// The acting user, if a user acted
    pub actor_user: Option<String>,
    /// The acting organisation
    pub actor_org: Option<String>,
    /// The kind of thing acted on
    pub target_type: Option<String>,
    /// The id of the thing acted on
    pub target_id: Option<String>,
    /// The dataset concerned, if any
    pub dataset: Option<String>,
}

/// Conditions on audit-index rows; `None` fields do not filter
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries at or after this instant
    pub from: Option<DateTime<Utc>>,
    /// Only entries strictly before this instant
    pub until: Option<DateTime<Utc>>,
    /// Only entries by this user
    pub actor_user: Option<String>,
    /// Only entries by this organisation
    pub actor_org: Option<String>,
    /// Only entries with this action code
    pub action_code: Option<String>,
    /// Only entries about this dataset
    pub dataset: Option<String>,
}

/// A bound value of a filter, in placeholder order.
enum Arg<'a> {
    Time(DateTime<Utc>),
    Text(&'a str),
    Int(i64),
}

/// Builds ` WHERE …` for `filter` with `$1…$n` placeholders, pushing the
/// values to bind onto `args` in the same order.
fn where_clause<'a>(filter: &'a AuditFilter, args: &mut Vec<Arg<'a>>) -> String {
    let mut conditions: Vec<String> = Vec::new();
    let mut push = |condition: &str, arg: Arg<'a>| {
        args.push(arg);
        conditions.push(format!("{condition} ${}", args.len()));
    };
    if let Some(from) = filter.from {
        push("occurred_at >=", Arg::Time(micros(from)));
    }
    if let Some(until) = filter.until {
        push("occurred_at <", Arg::Time(micros(until)));
    }
    if let Some(user) = &filter.actor_user {
        push("actor_user =", Arg::Text(user));
    }
    if let Some(org) = &filter.actor_org {
        push("actor_org =", Arg::Text(org));
    }
    if let Some(code) = &filter.action_code {
        push("action_code =", Arg::Text(code));
    }
    if let Some(dataset) = &filter.dataset {
        push("dataset =", Arg::Text(dataset));
    }
    if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    }
}

/// The modulus of the sampling permutation: the prime 2^31 - 1.
const SAMPLE_MODULUS: u64 = 2_147_483_647;

/// One step of SplitMix64, to spread a seed into well-mixed parameters.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The parameters of the sampling rank `((x^5 mod M) * c + d) mod M`
/// where `x = ((i mod M) * a + b) mod M`: multipliers `a`, `c` in 1..M-1
/// and offsets `b`, `d` in 0..M-1. Each step is a bijection on 0..M-1
/// (x ↦ x^5 is one because 5 does not divide M - 1), so distinct ledger
/// indices below M get distinct ranks, and the power step breaks up the
/// evenly spaced pattern an affine map alone would leave.
fn sample_parameters(seed: u64) -> [i64; 4] {
    let mut state = seed;
    let mut draw = |low: u64| {
        let value = low + splitmix64(&mut state) % (SAMPLE_MODULUS - low);
        // Below 2^31 by construction, so the conversion cannot fail.
        i64::try_from(value).unwrap_or(1)
    };
    [draw(1), draw(0), draw(1), draw(0)]
}

const COLUMNS: &str = "ledger_index, occurred_at, action_code, actor_user, actor_org, \
                       target_type, target_id, dataset";

impl StoreTx {
    /// Adds the index row of one audit-log entry; [`StoreError::Duplicate`]
    /// if that ledger index is already indexed
    pub async fn insert_audit_index(&mut self, row: &AuditIndexRow) -> Result<(), StoreError> {
        on_conn!(self, |conn| {
            sqlx::query(
                r#"
                INSERT INTO audit_index (
                    ledger_index, occurred_at, action_code, actor_user, actor_org,
                    target_type, target_id, dataset
                )
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                "#,
            )
            .bind(row.ledger_index)
            .bind(micros(row.occurred_at))
            .bind(&row.action_code)
            .bind(&row.actor_user)
            .bind(&row.actor_org)
            .bind(&row.target_type)
            .bind(&row.target_id)
            .bind(&row.dataset)
            .execute(conn)
            .await?;
        });
        Ok(())
    }

    /// Indexes many records, many rows per statement (the metering group
    /// commit)
    pub async fn insert_audit_indexes(&mut self, rows: &[AuditIndexRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(1000) {
            on_conn!(self, |conn| {
                let mut q = sqlx::QueryBuilder::new(
                    "INSERT INTO audit_index (ledger_index, occurred_at, action_code, \
                     actor_user, actor_org, target_type, target_id, dataset) ",
                );
                q.push_values(chunk, |mut b, row| {
                    b.push_bind(row.ledger_index)
                        .push_bind(micros(row.occurred_at))
                        .push_bind(row.action_code.clone())
                        .push_bind(row.actor_user.clone())
                        .push_bind(row.actor_org.clone())
                        .push_bind(row.target_type.clone())
                        .push_bind(row.target_id.clone())
                        .push_bind(row.dataset.clone());
                });
                q.build().execute(conn).await?;
            });
        }
        Ok(())
    }

    /// The highest ledger index indexed so far, to catch up after a crash
    pub async fn last_audit_index(&mut self) -> Result<Option<i64>, StoreError> {
        let last = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT MAX(ledger_index) FROM audit_index")
                .fetch_one(conn)
                .await?
        });
        Ok(last)
    }

    /// How many entries are indexed (equal to `last + 1` when there is no gap)
    pub async fn count_audit_index(&mut self) -> Result<i64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_index")
                .fetch_one(conn)
                .await?
        });
        Ok(n)
    }

    /// Records of one action (for the public usage statistics)
    pub async fn count_audit_action(&mut self, action: &str) -> Result<i64, StoreError> {
        let n = on_conn!(self, |conn| {
            sqlx::query_scalar("SELECT COUNT(*) FROM audit_index WHERE action_code = $1")
                .bind(action)
                .fetch_one(conn)
                .await?
        });
        Ok(n)
    }

    /// Records per action between `from` (inclusive) and `until`
    /// (exclusive), most frequent first (for the annual report)
    pub async fn count_audit_actions_between(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_as(
                "SELECT action_code, COUNT(*) AS n FROM audit_index \
                 WHERE occurred_at >= $1 AND occurred_at < $2 \
                 GROUP BY action_code ORDER BY n DESC, action_code",
            )
            .bind(micros(from))
            .bind(micros(until))
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// Every indexed ledger index at or after `from`, ascending (to find the
    /// gaps a crash left; only read when the count shows there are some)
    pub async fn audit_indices_from(&mut self, from: i64) -> Result<Vec<i64>, StoreError> {
        let rows = on_conn!(self, |conn| {
            sqlx::query_scalar(
                "SELECT ledger_index FROM audit_index WHERE ledger_index >= $1 ORDER BY ledger_index",
            )
            .bind(from)
            .fetch_all(conn)
            .await?
        });
        Ok(rows)
    }

    /// The rows matching `filter`, in ledger order, one page of them
    pub async fn find_audit_index(
        &mut self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AuditIndexRow>, StoreError> {
        let mut args = Vec::new();
        let mut sql = format!("SELECT {COLUMNS} FROM audit_index");
        sql.push_str(&where_clause(filter, &mut args));
        args.push(Arg::Int(i64::from(limit)));
        sql.push_str(&format!(" ORDER BY ledger_index LIMIT ${}", args.len()));
        args.push(Arg::Int(i64::from(offset)));
        sql.push_str(&format!(" OFFSET ${}", args.len()));
        self.fetch_audit_rows(sql, args).await
    }

    /// The rows matching `filter`, newest first, one page of them (an
    /// inspector reads the latest records first)
    pub async fn find_audit_index_newest(
        &mut self,
        filter: &AuditFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<AuditIndexRow>, StoreError> {
        let mut args = Vec::new();
        let mut sql = format!("SELECT {COLUMNS} FROM audit_index");
        sql.push_str(&where_clause(filter, &mut args));
        args.push(Arg::Int(i64::from(limit)));
        sql.push_str(&format!(
            " ORDER BY ledger_index DESC LIMIT ${}",
            args.len()
        ));
        args.push(Arg::Int(i64::from(offset)));
        sql.push_str(&format!(" OFFSET ${}", args.len()));
        self.fetch_audit_rows(sql, args).await
    }

    /// A pseudo-random sample of up to `n` rows matching `filter` (抽查),
    /// returned in ledger order
    ///
    /// The same seed over the same rows gives the same sample, on either
    /// backend, so an inspection can be replayed by whoever knows the seed.
    /// Rows are ranked by a seeded permutation of their ledger indices (see
    /// `sample_parameters`) computed by the database, so only the sample
    /// travels. It is not cryptographic: keep the seed secret until the
    /// sample is drawn if the inspected party must not foresee it.
    pub async fn sample_audit_index(
        &mut self,
        filter: &AuditFilter,
        n: u32,
        seed: u64,
    ) -> Result<Vec<AuditIndexRow>, StoreError> {
        let [a, b, c, d] = sample_parameters(seed);
        let mut args = Vec::new();
        let conditions = where_clause(filter, &mut args);
        args.push(Arg::Int(a));
        let a_at = args.len();
        args.push(Arg::Int(b));
        let b_at = args.len();
        let filtered = format!(
            "SELECT {COLUMNS}, ((ledger_index % {M}) * ${a_at} + ${b_at}) % {M} AS k1 \
             FROM audit_index{conditions}",
            M = SAMPLE_MODULUS,
        );
        args.push(Arg::Int(c));
        let c_at = args.len();
        args.push(Arg::Int(d));
        let d_at = args.len();
        args.push(Arg::Int(i64::from(n)));
        let n_at = args.len();
        // INVARIANT: every factor is below M < 2^31, so each product stays
        // below 2^62 and never overflows a 64-bit integer on either backend.
        let sql = format!(
            "SELECT * FROM ( \
                 SELECT *, (k1 * k1) % {M} AS k2 FROM ({filtered}) AS s1 \
             ) AS s2 \
             ORDER BY (((((k2 * k2) % {M}) * k1) % {M}) * ${c_at} + ${d_at}) % {M}, ledger_index \
             LIMIT ${n_at}",
            M = SAMPLE_MODULUS,
        );
        let mut rows = self.fetch_audit_rows(sql, args).await?;
        rows.sort_by_key(|row| row.ledger_index);
        Ok(rows)
    }

    /// Runs a query built from fixed fragments with its bound values.
    async fn fetch_audit_rows(
        &mut self,
        sql: String,
        args: Vec<Arg<'_>>,
    ) -> Result<Vec<AuditIndexRow>, StoreError> {
        // Dynamic SQL, because a filter of six optional conditions written
        // as `($1 IS NULL OR col = $1)` hides from the planner which index
        // fits. The text is assembled only from the fixed fragments above;
        // every value is bound, never spliced in.
        let rows = on_conn!(self, |conn| {
            let mut query = sqlx::query_as(AssertSqlSafe(sql));
            for arg in &args {
                query = match arg {
                    Arg::Time(at) => query.bind(*at),
                    Arg::Text(text) => query.bind(*text),
                    Arg::Int(int) => query.bind(*int),
                };
            }
            query.fetch_all(conn).await?
        });
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn where_clause_numbers_placeholders_in_bind_order() {
        let filter = AuditFilter {
            actor_org: Some("org-1".to_owned()),
            dataset: Some("ds-1".to_owned()),
            ..AuditFilter::default()
        };
        let mut args = Vec::new();
        let clause = where_clause(&filter, &mut args);
        assert_eq!(clause, " WHERE actor_org = $1 AND dataset = $2");
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn empty_filter_has_no_where_clause() {
        let filter = AuditFilter::default();
        let mut args = Vec::new();
        assert_eq!(where_clause(&filter, &mut args), "");
        assert!(args.is_empty());
    }

    #[test]
    fn sample_parameters_stay_inside_the_modulus() {
        for seed in [0, 1, 42, u64::MAX] {
            let [a, b, c, d] = sample_parameters(seed);
            for multiplier in [a, c] {
                assert!((1..2_147_483_647).contains(&multiplier), "{multiplier}");
            }
            for offset in [b, d] {
                assert!((0..2_147_483_647).contains(&offset), "{offset}");
            }
        }
        assert_eq!(sample_parameters(7), sample_parameters(7));
        assert_ne!(sample_parameters(7), sample_parameters(8));
    }
}
