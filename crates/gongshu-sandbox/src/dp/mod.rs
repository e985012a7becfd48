//! Differential-privacy mode (SANDBOX-RULES.md R4.7): person-level
//! zero-concentrated DP. Each person's contribution is bounded (at most
//! `max_groups` groups, `max_rows` rows per group, sums clamped to the
//! declared bounds), every measurement gets discrete Gaussian noise from
//! OpenDP, groups are released only when their noisy person count reaches
//! the threshold. The budget is global per dataset and quarter, shared by
//! all requesters, reserved before execution; identical queries get the
//! cached noisy answer back (no averaging of fresh noise).

mod noise;
mod release;
mod shape;

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::SandboxError;
use crate::release::QueryResult;
use crate::spec::TableSpec;

pub(crate) use release::release_dp;
pub(crate) use shape::shape;

/// One query's ρ at most, in millionths: ε = 0.5 per query, as ρ = ε²/2.
pub const MAX_QUERY_RHO_MICRO: u64 = 125_000;
/// Default global budget per dataset and quarter, in millionths of ρ.
pub const DEFAULT_BUDGET_RHO_MICRO: u64 = 1_000_000;
/// Groups one person may count in, at most (the caller may ask fewer).
pub const MAX_GROUPS_PER_PERSON: u32 = 64;
/// Rows per person and group, at most.
pub const MAX_ROWS_PER_PERSON: u32 = 1_000;
/// Groups per person when the caller does not say: one.
pub const DEFAULT_MAX_GROUPS: u32 = 1;
/// Rows per person and group when the caller does not say: a year of
/// monthly records.
pub const DEFAULT_MAX_ROWS: u32 = 12;

/// The caller's DP parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DpParams {
    /// Privacy loss of the query, ρ in millionths (zCDP).
    pub rho_micro: u64,
    /// Clamp bounds per summed column (by name), per person and group.
    #[serde(default)]
    pub bounds: BTreeMap<String, (i64, i64)>,
    /// Groups one person counts in at most; beyond, the person is kept in
    /// the groups chosen by a keyed hash.
    pub max_groups: u32,
    /// Rows of one person counted per group at most.
    pub max_rows: u32,
}

impl DpParams {
    /// Checks the parameters; errors name the field.
    ///
    /// # Errors
    /// [`SandboxError::Refused`] with rule `R4.7`.
    pub fn validate(&self) -> Result<(), SandboxError> {
        let bad = |column: &str, message: String| {
            Err(SandboxError::Refused(vec![crate::Violation {
                rule: "R4.7",
                column: Some(column.into()),
                message,
            }]))
        };
        if self.rho_micro == 0 || self.rho_micro > MAX_QUERY_RHO_MICRO {
            return bad(
                "dp.rho",
                format!("ρ 必须大于 0 且不超过 {}", micro_text(MAX_QUERY_RHO_MICRO)),
            );
        }
        if self.max_groups == 0 || self.max_groups > MAX_GROUPS_PER_PERSON {
            return bad(
                "dp.max_groups",
                format!("每人计入的分组数必须在 1 到 {MAX_GROUPS_PER_PERSON} 之间"),
            );
        }
        if self.max_rows == 0 || self.max_rows > MAX_ROWS_PER_PERSON {
            return bad(
                "dp.max_rows",
                format!("每人每组计入的行数必须在 1 到 {MAX_ROWS_PER_PERSON} 之间"),
            );
        }
        for (column, (lo, hi)) in &self.bounds {
            let field = format!("dp.bounds.{column}");
            if lo > hi {
                return bad(&field, "截断区间的下界大于上界".into());
            }
            if lo.unsigned_abs().max(hi.unsigned_abs()) > 1 << 40 {
                return bad(&field, "截断区间过大（绝对值不超过 2^40）".into());
            }
        }
        Ok(())
    }
}

/// A millionths amount as a decimal text (`125000` → `0.125`).
pub fn micro_text(micro: u64) -> String {
    let whole = micro / 1_000_000;
    let frac = micro % 1_000_000;
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:06}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}

/// The noise on one measurement, for users judging accuracy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoiseInfo {
    /// `persons`, `rows` or the summed column.
    pub measure: String,
    /// Standard deviation of the added noise (about; discrete Gaussian).
    pub sd: f64,
}

/// What DP mode did for one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DpReport {
    /// ρ charged to every dataset read, in millionths.
    pub rho_micro: u64,
    /// Datasets charged.
    pub datasets: Vec<String>,
    /// Groups per person at most.
    pub max_groups: u32,
    /// Rows per person and group at most.
    pub max_rows: u32,
    /// The noise per measurement.
    pub noise: Vec<NoiseInfo>,
    /// This answer was computed earlier and served from the cache (no
    /// budget spent now).
    pub cached: bool,
}

/// Where DP budgets and cached answers live (the platform store): budgets
/// are global per dataset and period, shared by all requesters.
#[async_trait]
pub trait DpLedger: Send + Sync {
    /// The answer released earlier for `key`, if any.
    async fn cached(&self, key: &str) -> Result<Option<QueryResult>, SandboxError>;
    /// Charges `rho_micro` to every dataset, all or none; refuses with
    /// [`SandboxError::BudgetExhausted`] when one has too little left.
    async fn reserve(&self, datasets: &[String], rho_micro: u64) -> Result<(), SandboxError>;
    /// Keeps the released answer for `key` and returns the answer kept:
    /// when a concurrent identical query stored one first, that one (so an
    /// identical query never sees two noisy answers).
    async fn remember(&self, key: &str, result: &QueryResult) -> Result<QueryResult, SandboxError>;
}

/// The cache key of a query: the analysed plan, the data versions read
/// and the parameters; the same for every requester.
pub(crate) fn cache_key(plan_sha256: &str, tables: &[&TableSpec], params: &DpParams) -> String {
    let mut h = Sha256::new();
    h.update(plan_sha256.as_bytes());
    for t in tables {
        h.update(b"\0");
        h.update(t.name.as_bytes());
        h.update(b"\0");
        h.update(t.dataset_id.as_bytes());
        for v in &t.versions {
            h.update(v.to_be_bytes());
        }
    }
    h.update(serde_json::to_vec(params).unwrap_or_default());
    hex::encode(h.finalize().as_slice())
}
