//! gongshu-policy: who may do what (权限决策), as Cedar policies behind a
//! small façade.
//!
//! The schema (`gongshu.cedarschema`) and the policies (`policies.cedar`) are
//! embedded; [`PolicyEngine::new`] validates every policy against the schema
//! and refuses to start if one does not validate. Callers describe a request
//! with this crate's own types ([`Principal`], [`Action`], [`Resource`]) and
//! get a [`Decision`] carrying the ids of the policies that decided it. No
//! Cedar type appears in the public API.
//!
//! Default deny, and fail closed: a request that does not fit the schema, or
//! any error while evaluating a policy, gives a denial.
//!
//! This crate is pure: no IO, no async, no database or web crates (checked by
//! `tests/architecture.rs`).
#![warn(missing_docs)]

mod engine;
mod request;

pub use engine::{Decision, PolicyEngine, PolicyError};
pub use request::{Action, Principal, Resource};
