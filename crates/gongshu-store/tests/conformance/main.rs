//! The store conformance suite: the same cases against SQLite (always) and
//! PostgreSQL (when `GONGSHU_TEST_POSTGRES_URL` is set; required with
//! `CI=true`). See `harness.rs` for how each case gets its own database.
//!
//! ```text
//! cargo test -p gongshu-store
//! GONGSHU_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p gongshu-store
//! ```

// `cfg(test)` so that clippy's allow-unwrap/expect/panic-in-tests covers
// the helpers too, not only the `#[test]` functions.
#[cfg(test)]
mod cases;
#[cfg(test)]
mod harness;

use std::collections::BTreeSet;
use std::path::Path;

/// Declares each case once per backend, as `sqlite::<case>` and
/// `postgres::<case>`.
macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::on_sqlite(crate::cases::$case).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::harness::on_postgres(crate::cases::$case).await;
                }
            )*
        }
    };
}

conformance! {
    organisations_round_trip,
    users_round_trip,
    timestamps_keep_microseconds_and_drop_nanoseconds,
    role_grants_insert_list_and_delete,
    sessions_touch_and_revoke,
    api_keys_round_trip_and_revoke,
    unique_keys_are_reported_as_duplicate,
    check_and_foreign_key_violations_are_invalid,
    login_state_update_bumps_version_and_refuses_a_stale_one,
    concurrent_updates_of_one_version_let_exactly_one_win,
    a_writer_that_waited_for_the_winner_gets_conflict,
    rollback_leaves_nothing,
    dropping_a_transaction_rolls_it_back,
    a_read_transaction_sees_committed_rows_without_waiting_for_a_writer,
    migrations_can_run_again,
    audit_index_filters_and_pages,
    audit_sample_is_deterministic_and_respects_the_filter,
}

#[test]
fn both_backends_have_migrations_of_the_same_names() {
    let migration_names = |dir: &str| -> BTreeSet<String> {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        std::fs::read_dir(&path)
            .unwrap_or_else(|err| panic!("read {}: {err}", path.display()))
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    let [sqlite, postgres] = gongshu_store::MIGRATION_DIRS.map(migration_names);
    assert!(!sqlite.is_empty(), "no SQLite migrations found");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must hold the same file names"
    );
}

#[tokio::test]
async fn an_unknown_url_scheme_is_refused_without_echoing_credentials() {
    let err = gongshu_store::Store::connect("mysql://root:secret@localhost/db")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, gongshu_store::StoreError::UnsupportedUrl { scheme } if scheme == "mysql"),
        "{err:?}"
    );
    assert!(!err.to_string().contains("secret"));
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable() {
    // Port 1 on loopback: nothing listens there, so the connection is refused.
    let err = gongshu_store::Store::connect("postgres://postgres@127.0.0.1:1/postgres")
        .await
        .unwrap_err();
    assert!(
        matches!(err, gongshu_store::StoreError::Unavailable(_)),
        "{err:?}"
    );
}
