//! The connection pool, backend selection, migrations and transactions.
//!
//! This module owns how a database is opened (pragmas, pool sizes), which
//! migrations run, and how a transaction starts and ends. It holds no SQL of
//! its own beyond that: queries live in one module per aggregate, as methods
//! on [`StoreTx`].

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::StoreError;

/// How long a SQLite writer waits for another one before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a caller waits for a free pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The database behind a [`Store`]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// SQLite, embedded, one file (the default for one county)
    Sqlite,
    /// PostgreSQL or a compatible server
    Postgres,
}

/// A handle to the database: a connection pool of either backend
///
/// Cheap to clone; clones share the pool. Create one at startup and pass it
/// down; it is never global.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
}

#[derive(Debug, Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Store {
    /// Opens the database named by `url` and brings its schema up to date
    ///
    /// `sqlite://path/to/file.db?mode=rwc` opens (and with `mode=rwc`
    /// creates) a SQLite file in WAL mode with foreign keys enforced and a
    /// busy timeout. `postgres://user@host:port/db` (or `postgresql://`)
    /// opens a PostgreSQL pool. Either way the embedded migrations of that
    /// backend are applied before this returns.
    ///
    /// An in-memory SQLite URL gives every pooled connection its own empty
    /// database; use a file, even a temporary one.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        let pool = match scheme {
            "sqlite" => Pool::Sqlite(connect_sqlite(url).await?),
            "postgres" | "postgresql" => Pool::Postgres(connect_postgres(url).await?),
            other => {
                return Err(StoreError::UnsupportedUrl {
                    scheme: other.to_owned(),
                });
            }
        };
        let store = Self { pool };
        store.migrate().await?;
        Ok(store)
    }

    /// Which backend this store talks to
    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the embedded migrations that have not run yet
    ///
    /// [`Store::connect`] already does this; it is public for the CLI.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Pool::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Starts a transaction, the unit of one use case
    ///
    /// On SQLite the transaction takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a second writer waits for the first to finish
    /// instead of failing later on a stale snapshot, so a lost race shows up
    /// as [`StoreError::Conflict`] from the compare-and-set, as it does on
    /// PostgreSQL (READ COMMITTED; the row lock makes the loser re-check the
    /// version after the winner commits).
    pub async fn begin(&self) -> Result<StoreTx, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite(pool) => TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(StoreTx { inner })
    }

    /// Starts a transaction for lookups only (API-key and session checks,
    /// listings, the inspection API)
    ///
    /// On SQLite this is a deferred `BEGIN`: it reads a snapshot without
    /// taking the write lock, so it neither waits for nor blocks a writer
    /// (WAL). On PostgreSQL it is `BEGIN READ ONLY`, and a write inside it
    /// fails. Do not write in it on SQLite either: a write there can fail
    /// with [`StoreError::Conflict`] when another writer committed since
    /// the snapshot was taken.
    pub async fn begin_read(&self) -> Result<StoreTx, StoreError> {
        let inner = match &self.pool {
            Pool::Sqlite(pool) => TxInner::Sqlite(pool.begin_with("BEGIN DEFERRED").await?),
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin_with("BEGIN READ ONLY").await?),
        };
        Ok(StoreTx { inner })
    }

    /// Checks that the database answers (for readiness probes)
    pub async fn ping(&self) -> Result<(), StoreError> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
            Pool::Postgres(pool) => {
                sqlx::query("SELECT 1").execute(pool).await?;
            }
        }
        Ok(())
    }

    /// Closes the pool, waiting for checked-out connections to come back
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

async fn connect_sqlite(url: &str) -> Result<SqlitePool, StoreError> {
    let options = SqliteConnectOptions::from_str(url)?
        .journal_mode(SqliteJournalMode::Wal)
        // FULL, not NORMAL: a commit that was acknowledged must survive a
        // power cut, because the audit log may already refer to it.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(SQLITE_BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?;
    Ok(pool)
}

async fn connect_postgres(url: &str) -> Result<PgPool, StoreError> {
    let options = PgConnectOptions::from_str(url)?;
    let pool = PgPoolOptions::new()
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await?;
    Ok(pool)
}

/// One open database transaction
///
/// Every query of the store is a method on this type (see the aggregate
/// modules). Dropping it without [`StoreTx::commit`] rolls back. On
/// PostgreSQL a failed statement (for example a [`StoreError::Duplicate`])
/// aborts the whole transaction: roll back and start again.
#[derive(Debug)]
pub struct StoreTx {
    pub(crate) inner: TxInner,
}

#[derive(Debug)]
pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl StoreTx {
    /// Which backend this transaction runs on
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Makes the transaction's writes durable and visible
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.commit().await?,
            TxInner::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Discards the transaction's writes
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(tx) => tx.rollback().await?,
            TxInner::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Runs `$body` with `$conn` bound to the transaction's connection, once per
/// backend. The body is written once and type-checked twice, against
/// `SqliteConnection` and `PgConnection`; the SQL must therefore be valid on
/// both (we use `$n` placeholders, which SQLite also understands).
macro_rules! on_conn {
    ($tx:expr, |$conn:ident| $body:expr) => {
        match &mut $tx.inner {
            $crate::store::TxInner::Sqlite(tx) => {
                let $conn: &mut ::sqlx::SqliteConnection = &mut **tx;
                $body
            }
            $crate::store::TxInner::Postgres(tx) => {
                let $conn: &mut ::sqlx::PgConnection = &mut **tx;
                $body
            }
        }
    };
}
pub(crate) use on_conn;
