//! Audit ledger.
