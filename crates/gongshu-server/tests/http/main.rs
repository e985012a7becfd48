//! End-to-end tests of the HTTP API: the real router, driven in-process
//! (no network) against SQLite and, when `GONGSHU_TEST_POSTGRES_URL` is set,
//! PostgreSQL. Every test that changes state ends by verifying the audit log
//! as an outside verifier would.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation,
    reason = "test code"
)]

mod support;

mod agreements;
mod api_keys;
mod appeals;
mod catalog;
mod concurrency;
mod console_audit;
mod console_flows;
mod csrf;
mod datasets;
mod enrol;
mod evaluations;
mod finance;
mod grant_revocation;
mod input;
mod login;
mod portal;
mod products;
mod public;
mod reviews;
mod roles;
mod sandbox;
mod sandbox_dp;
mod selection;
mod training_views;
mod unavailable;
mod use_applications;
