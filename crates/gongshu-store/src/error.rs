//! The store's one error type and the translation of sqlx errors into it.
//!
//! This module owns the decision of which database failures the caller can
//! act on (a duplicate, a lost compare-and-set, an unreachable database) and
//! which are plain faults. It must not let backend-specific codes leak out:
//! both backends produce the same variant, with the same `what`, for the same
//! kind of failure, and the conformance suite checks that.

use sqlx::error::{DatabaseError, ErrorKind};
use sqlx::postgres::PgDatabaseError;
use sqlx::sqlite::SqliteError;

/// A failure of a store operation
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row to change does not exist
    #[error("{entity} `{id}` not found")]
    NotFound {
        /// The kind of row, e.g. `user`
        entity: &'static str,
        /// The id that was looked for
        id: String,
    },
    /// A compare-and-set lost: the row's version was no longer the one the
    /// caller read, or a concurrent transaction got in first
    #[error("the record was changed concurrently")]
    Conflict,
    /// A unique or primary key constraint refused the row
    #[error("duplicate `{what}`")]
    Duplicate {
        /// The violated key as `table.column[, table.column]`, the same on both backends
        what: String,
    },
    /// A check, foreign key or not-null constraint refused the row
    #[error("the database refused the value: {what}")]
    Invalid {
        /// The database's description of the violated constraint
        what: String,
    },
    /// The database cannot be reached or is too busy to answer now; a retry may work
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    /// The connection URL names no supported backend
    #[error("unsupported database URL scheme `{scheme}` (expected `sqlite:` or `postgres:`)")]
    UnsupportedUrl {
        /// The part of the URL before the first `:`; never the credentials
        scheme: String,
    },
    /// Applying the embedded migrations failed
    #[error("database migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
    /// Any other database failure; a bug or a fault, not something to retry
    #[error("database error")]
    Other(#[source] sqlx::Error),
}

/// PostgreSQL's default names of our unique constraints, mapped to the form
/// SQLite reports (`table.column`), so that `Duplicate::what` is portable.
///
/// INVARIANT: every UNIQUE and PRIMARY KEY in `migrations/postgres` appears
/// here; the conformance suite's duplicate tests compare `what` across both
/// backends.
const PG_UNIQUE_CONSTRAINTS: &[(&str, &str)] = &[
    ("organisations_pkey", "organisations.id"),
    ("organisations_credit_code_key", "organisations.credit_code"),
    ("users_pkey", "users.id"),
    ("users_username_key", "users.username"),
    (
        "role_grants_user_id_role_key",
        "role_grants.user_id, role_grants.role",
    ),
    ("sessions_pkey", "sessions.id_hash"),
    ("api_keys_pkey", "api_keys.id"),
    ("api_keys_key_hash_key", "api_keys.key_hash"),
    ("audit_index_pkey", "audit_index.ledger_index"),
    ("agreements_pkey", "agreements.id"),
    ("agreement_opinions_pkey", "agreement_opinions.id"),
    (
        "agreement_revisions_pkey",
        "agreement_revisions.agreement_id, agreement_revisions.revision",
    ),
    ("joint_reviews_pkey", "joint_reviews.id"),
    (
        "review_parties_pkey",
        "review_parties.review_id, review_parties.party_org",
    ),
    (
        "review_decisions_pkey",
        "review_decisions.review_id, review_decisions.party_org",
    ),
    ("data_demands_pkey", "data_demands.id"),
    (
        "data_demand_items_pkey",
        "data_demand_items.demand_id, data_demand_items.dataset_id",
    ),
    ("data_grants_pkey", "data_grants.id"),
    (
        "dataset_versions_pkey",
        "dataset_versions.resource_id, dataset_versions.version",
    ),
    (
        "destruction_certificates_pkey",
        "destruction_certificates.termination_id, destruction_certificates.dataset_id",
    ),
    (
        "data_grants_source_demand_dataset_id_key",
        "data_grants.source_demand, data_grants.dataset_id",
    ),
    ("market_entries_pkey", "market_entries.id"),
    ("selections_pkey", "selections.id"),
    ("selection_candidates_pkey", "selection_candidates.id"),
    (
        "selection_candidates_selection_id_org_id_key",
        "selection_candidates.selection_id, selection_candidates.org_id",
    ),
    ("selection_objections_pkey", "selection_objections.id"),
    ("scenarios_pkey", "scenarios.id"),
    ("scenario_plans_pkey", "scenario_plans.id"),
    (
        "scenario_plans_scenario_id_round_key",
        "scenario_plans.scenario_id, scenario_plans.round",
    ),
    ("appeals_pkey", "appeals.id"),
    ("disputes_pkey", "disputes.id"),
    ("inspections_pkey", "inspections.id"),
    (
        "inspection_samples_pkey",
        "inspection_samples.inspection_id, inspection_samples.ledger_index",
    ),
    ("inspection_findings_pkey", "inspection_findings.id"),
    ("incidents_pkey", "incidents.id"),
    ("org_flags_pkey", "org_flags.id"),
    (
        "org_flags_finding_id_behaviour_key",
        "org_flags.finding_id, org_flags.behaviour",
    ),
    (
        "agreement_pending_revisions_pkey",
        "agreement_pending_revisions.agreement_id",
    ),
    ("evaluations_pkey", "evaluations.id"),
    ("terminations_pkey", "terminations.id"),
    ("terminations_one_open_idx", "terminations.agreement_id"),
    (
        "termination_destructions_pkey",
        "termination_destructions.termination_id, termination_destructions.dataset_id",
    ),
    ("use_applications_pkey", "use_applications.id"),
    (
        "use_application_parties_pkey",
        "use_application_parties.application_id, use_application_parties.party_org",
    ),
    (
        "use_application_decisions_pkey",
        "use_application_decisions.application_id, use_application_decisions.party_org",
    ),
    (
        "use_application_products_pkey",
        "use_application_products.application_id, use_application_products.product_id",
    ),
    (
        "use_application_datasets_pkey",
        "use_application_datasets.application_id, use_application_datasets.dataset_id",
    ),
    ("product_subscriptions_pkey", "product_subscriptions.id"),
    (
        "product_subscriptions_source_application_product_id_key",
        "product_subscriptions.source_application, product_subscriptions.product_id",
    ),
    ("data_imports_pkey", "data_imports.id"),
    ("pending_imports_pkey", "pending_imports.id"),
    ("pending_imports_import_id_key", "pending_imports.import_id"),
    ("catalog_resources_pkey", "catalog_resources.id"),
    (
        "catalog_resources_certificate_no_key",
        "catalog_resources.certificate_no",
    ),
];

/// SQLite extended result code for a write on a stale WAL snapshot: another
/// connection committed after this transaction started reading.
const SQLITE_BUSY_SNAPSHOT: &str = "517";

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        let class = match &err {
            sqlx::Error::Database(db) => classify(db.as_ref()),
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Class::Unavailable,
            _ => Class::Other,
        };
        match class {
            Class::Duplicate(what) => Self::Duplicate { what },
            Class::Invalid(what) => Self::Invalid { what },
            Class::Conflict => Self::Conflict,
            Class::Unavailable => Self::Unavailable(err),
            Class::Other => Self::Other(err),
        }
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(err: sqlx::migrate::MigrateError) -> Self {
        match err {
            // A connection lost while migrating is an outage, not a bad migration.
            sqlx::migrate::MigrateError::Execute(inner) => match Self::from(inner) {
                Self::Unavailable(inner) => Self::Unavailable(inner),
                Self::Other(inner) => Self::Migration(sqlx::migrate::MigrateError::Execute(inner)),
                other => other,
            },
            other => Self::Migration(other),
        }
    }
}

/// What a database-reported error means to the caller.
enum Class {
    Duplicate(String),
    Invalid(String),
    Conflict,
    Unavailable,
    Other,
}

/// Classifies an error the database reported, by kind and then by code:
/// SQLSTATE on PostgreSQL, the extended result code on SQLite.
fn classify(db: &dyn DatabaseError) -> Class {
    match db.kind() {
        ErrorKind::UniqueViolation => return Class::Duplicate(unique_what(db)),
        ErrorKind::ForeignKeyViolation
        | ErrorKind::NotNullViolation
        | ErrorKind::CheckViolation
        | ErrorKind::ExclusionViolation => return Class::Invalid(db.message().to_owned()),
        _ => {}
    }
    let code = db.code();
    let code = code.as_deref().unwrap_or_default();
    // PostgreSQL serialization_failure and deadlock_detected, and SQLite's
    // write on a stale snapshot, all mean "someone else won; reload".
    if matches!(code, "40001" | "40P01" | SQLITE_BUSY_SNAPSHOT) {
        return Class::Conflict;
    }
    // PostgreSQL class 08 (connection exception), class 53 (insufficient
    // resources) and 57P01..57P03 (shutting down, cannot connect now).
    let pg_outage = db.try_downcast_ref::<PgDatabaseError>().is_some()
        && (code.starts_with("08")
            || code.starts_with("53")
            || matches!(code, "57P01" | "57P02" | "57P03"));
    // SQLite SQLITE_BUSY (5) and SQLITE_LOCKED (6) with their extended codes,
    // reported once busy_timeout has run out.
    let sqlite_busy = db.try_downcast_ref::<SqliteError>().is_some()
        && code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6));
    if pg_outage || sqlite_busy {
        Class::Unavailable
    } else {
        Class::Other
    }
}

/// The violated key in SQLite's `table.column` form, on either backend.
fn unique_what(db: &dyn DatabaseError) -> String {
    if let Some(constraint) = db.constraint() {
        return PG_UNIQUE_CONSTRAINTS
            .iter()
            .find(|(name, _)| *name == constraint)
            .map_or_else(|| constraint.to_owned(), |(_, what)| (*what).to_owned());
    }
    // SQLite: "UNIQUE constraint failed: users.username"
    let message = db.message();
    message
        .split_once("failed: ")
        .map_or(message, |(_, what)| what)
        .to_owned()
}

/// The outcome of a compare-and-set UPDATE (`… WHERE id = ? AND version =
/// ?`): exactly one row changed, or the version moved on (or the row is
/// gone) and the caller lost the race.
pub(crate) fn cas(rows_changed: u64) -> Result<(), StoreError> {
    if rows_changed == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}
