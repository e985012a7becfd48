//! gongshu-sandbox: the privacy-enforcing SQL sandbox on DataFusion
//! (SANDBOX-RULES.md), and the only code path that reads dataset contents.
//!
//! A query is planned in a fresh session holding only the tables the
//! caller's live grants cover, restricted to the granted columns; the
//! analysed logical plan is checked (R2 column classes, R3 query shape)
//! before anything runs; the one aggregate over protected data is guarded
//! with a hidden count of distinct persons; results leave only through the
//! output controls (R4). Limits (memory, rows, time) bound every session,
//! and access that ends mid-query stops it.

mod cell;
mod check;
mod dp;
mod error;
mod guard;
mod history;
mod keys;
mod prepared;
mod release;
mod run;
mod spec;
mod subject;
mod subject_index;
mod tables;
mod training;

pub use check::Violation;
pub use dp::{
    DEFAULT_BUDGET_RHO_MICRO, DEFAULT_MAX_GROUPS, DEFAULT_MAX_ROWS, DpLedger, DpParams, DpReport,
    MAX_QUERY_RHO_MICRO, NoiseInfo, micro_text,
};
pub use error::SandboxError;
pub use history::History;
pub use release::{ColumnKind, DisclosureReport, OutColumn, OutRow, QueryResult};
pub use run::{Explained, Facts, MAX_SQL_BYTES, MAX_SUBJECT_ROWS, Sandbox, sql_sha256};
pub use spec::{ColumnSpec, Limits, SessionSpec, TableSpec};
pub use subject::SubjectScope;
pub use training::{Extract, PERSON_REF, TrainingOptions, training_extract};
