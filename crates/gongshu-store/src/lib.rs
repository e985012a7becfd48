//! Persistence of gongshu's foundation state: organisations, users and their
//! roles, console sessions, API keys and the audit log's search index.
//!
//! # One crate, two backends, runtime-checked queries
//!
//! SQLite (one file, WAL) is the embedded default for one county;
//! PostgreSQL serves larger deployments. Both live in this one crate behind
//! [`Store`], which picks the backend from the URL given to
//! [`Store::connect`].
//!
//! Queries use sqlx's runtime-checked `sqlx::query`/`query_as` functions,
//! not the compile-time `query!` macros. The macros would need a live
//! database of each backend (or two `.sqlx` offline caches kept in step) for
//! every build of the workspace; instead every query here is checked at run
//! time by one conformance suite (`tests/conformance`) that runs the same
//! test functions against SQLite always and against PostgreSQL whenever
//! `GONGSHU_TEST_POSTGRES_URL` is set. The SQL text is shared between the
//! backends wherever possible (`$n` placeholders work on both), so a query
//! is written once and exercised twice.
//!
//! # Use
//!
//! One use case is one transaction: [`Store::begin`] → load → check → write
//! with a compare-and-set on `version` → (the app appends the audit record)
//! → [`StoreTx::commit`]. A compare-and-set that finds the version changed
//! returns [`StoreError::Conflict`]. Pure lookups (API-key and session
//! checks, listings, inspection queries) use [`Store::begin_read`], which on
//! SQLite does not queue behind writers.
//!
//! # Tests
//!
//! ```text
//! cargo test -p gongshu-store                       # SQLite; PostgreSQL cases skip
//! GONGSHU_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!     cargo test -p gongshu-store                   # both backends
//! ```
//!
//! With `CI=true` the PostgreSQL cases fail rather than skip when the
//! variable is unset.
//!
//! Rows are plain structs of `String`, `i64`, `Vec<u8>` and
//! `DateTime<Utc>`; the app layer maps them to domain types. Statuses, kinds
//! and roles are stored as text and guarded by CHECK constraints; a value
//! outside the list comes back as [`StoreError::Invalid`].
//!
//! Timestamps are stored at microsecond precision (PostgreSQL's); finer
//! parts are truncated on the way in, on both backends alike.
//!
//! Not done here: the TOTP secret is stored as given, not encrypted at rest.

mod store;

mod agreements;
mod api_keys;
mod appeals;
mod audit_index;
mod billing;
mod catalog;
mod consents;
mod data_imports;
mod datasets;
mod dp_budgets;
mod error;
mod evaluations;
mod grants;
mod journal;
mod organisations;
mod pricing;
mod product_calls;
mod products;
mod releases;
mod reviews;
mod role_grants;
mod sandbox_jobs;
mod selection;
mod sessions;
mod supervision;
mod training_views;
mod use_applications;
mod users;

pub use agreements::*;
pub use api_keys::ApiKeyRow;
pub use audit_index::{AuditFilter, AuditIndexRow};
pub use error::StoreError;
pub use organisations::OrganisationRow;
pub use reviews::*;
pub use role_grants::RoleGrantRow;
pub use sessions::SessionRow;
pub use store::{Backend, Store, StoreTx};
pub use users::{LoginState, UserRow};

use chrono::{DateTime, SubsecRound, Utc};

/// The directory names of the two migration sets, relative to the crate root
pub const MIGRATION_DIRS: [&str; 2] = ["migrations/sqlite", "migrations/postgres"];

/// Truncates a timestamp to the microsecond, the precision both backends keep.
pub(crate) fn micros(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}
pub use appeals::*;
pub use billing::*;
pub use catalog::*;
pub use consents::*;
pub use data_imports::*;
pub use datasets::*;
pub use evaluations::*;
pub use grants::*;
pub use journal::*;
pub use pricing::*;
pub use product_calls::*;
pub use products::*;
pub use releases::*;
pub use sandbox_jobs::*;
pub use selection::*;
pub use supervision::*;
pub use training_views::*;
pub use use_applications::*;
