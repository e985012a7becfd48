//! Runs one conformance case against a fresh database of either backend.
//!
//! SQLite: a new file in a temporary directory per case. PostgreSQL: a new,
//! uniquely named database on the server at `GONGSHU_TEST_POSTGRES_URL`,
//! dropped when the case ends, whether it passed or not. With `CI=true` a
//! missing URL fails the PostgreSQL cases instead of skipping them, so CI
//! cannot go green without having run them.

use std::future::Future;

use gongshu_store::{Backend, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The variable naming the PostgreSQL server to test against.
const POSTGRES_URL_VAR: &str = "GONGSHU_TEST_POSTGRES_URL";

/// Runs `case` against a new SQLite file.
pub async fn on_sqlite<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gongshu.db").display()
    );
    let store = Store::connect(&url).await.expect("open SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);

    let outcome = tokio::spawn(case(store.clone())).await;

    store.close().await;
    drop(dir);
    rethrow(outcome);
}

/// Runs `case` against a new PostgreSQL database, or skips it when no
/// server is configured (and fails when `CI=true`).
pub async fn on_postgres<F, Fut>(case: F)
where
    F: FnOnce(Store) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let Some(admin_url) = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|url| !url.is_empty())
    else {
        if std::env::var("CI").is_ok_and(|ci| ci == "true") {
            panic!(
                "{POSTGRES_URL_VAR} must be set when CI=true: the PostgreSQL conformance tests may not be skipped in CI"
            );
        }
        eprintln!("skipped: set {POSTGRES_URL_VAR} to run the PostgreSQL conformance tests");
        return;
    };

    let name = format!("gongshu_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&admin_url)
        .await
        .expect("connect to the PostgreSQL test server");
    // Identifiers cannot be bound; `name` is made above from a UUID only.
    sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
        .execute(&mut admin)
        .await
        .expect("create the test database");

    let outcome = match Store::connect(&with_database(&admin_url, &name)).await {
        Ok(store) => {
            assert_eq!(store.backend(), Backend::Postgres);
            let outcome = tokio::spawn(case(store.clone())).await;
            store.close().await;
            outcome.map_err(Failure::Case)
        }
        Err(err) => Err(Failure::Connect(err)),
    };

    sqlx::raw_sql(AssertSqlSafe(format!(
        r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
    )))
    .execute(&mut admin)
    .await
    .expect("drop the test database");
    admin.close().await.expect("close the admin connection");
    match outcome {
        Ok(()) => {}
        Err(Failure::Case(err)) => rethrow(Err(err)),
        Err(Failure::Connect(err)) => panic!("open PostgreSQL store: {err:?}"),
    }
}

/// Why a PostgreSQL case did not pass, kept until its database is dropped.
enum Failure {
    Connect(gongshu_store::StoreError),
    Case(tokio::task::JoinError),
}

/// `url` with its database name replaced by `database`; keeps the query.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// Re-raises a case's panic in the test thread, after cleanup has run.
fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(err) = outcome {
        if err.is_panic() {
            std::panic::resume_unwind(err.into_panic());
        }
        panic!("conformance case did not finish: {err}");
    }
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h:1?sslmode=disable", "t2"),
        "postgres://u:p@h:1/t2?sslmode=disable"
    );
    assert_eq!(
        with_database("postgresql://h/db?a=b", "t3"),
        "postgresql://h/t3?a=b"
    );
}
