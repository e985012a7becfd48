//! The seam between state and audit (docs/architecture.md): a change whose
//! record cannot be appended is refused and leaves nothing behind; a record
//! whose change never committed (crash between the two steps) is answered
//! by `audit.unconfirmed` at the next start.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::sync::Arc;

use chrono::{TimeDelta, TimeZone, Utc};
use gongshu_app::orgs::NewOrganisation;
use gongshu_app::{App, AppConfig, AppError, FakeClock};
use gongshu_ledger::{Ledger, LedgerOptions, NewRecord, RetentionClass};
use gongshu_store::Store;

fn ledger_options(clock: &FakeClock) -> LedgerOptions {
    let c = clock.clone();
    let mut o = LedgerOptions::new("gongshu.test/app");
    o.clock = Arc::new(move || c.millis());
    o
}

async fn start(dir: &Path, ledger_dir: &Path, clock: &FakeClock) -> App {
    let store = Store::connect(&format!(
        "sqlite://{}?mode=rwc",
        dir.join("db.sqlite").display()
    ))
    .await
    .unwrap();
    let ledger = Ledger::open(ledger_dir, ledger_options(clock)).unwrap();
    App::start(
        store,
        Arc::new(ledger),
        Arc::new(clock.clone()),
        AppConfig::default(),
    )
    .await
    .unwrap()
}

async fn admin(app: &App, clock: &FakeClock) -> gongshu_app::Actor {
    let c = gongshu_app::bootstrap::bootstrap(app, "涞源县数据和政务服务局", "admin", "管理员")
        .await
        .unwrap();
    let code = gongshu_app::crypto::totp_at_step(
        &c.totp_secret_bytes(),
        gongshu_app::crypto::totp_step(clock.now_secs()),
    );
    gongshu_app::session::login(app, "admin", &c.password, &code)
        .await
        .unwrap()
        .actor
}

trait Secs {
    fn now_secs(&self) -> i64;
}

impl Secs for FakeClock {
    fn now_secs(&self) -> i64 {
        self.millis() / 1000
    }
}

fn org(name: &str) -> NewOrganisation {
    NewOrganisation {
        name: name.into(),
        kind: "operator".into(),
        sector: None,
        credit_code: None,
    }
}

#[tokio::test]
async fn records_of_changes_that_never_committed_are_answered_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("audit");
    let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap());
    let (orphan, standalone) = {
        let app = start(dir.path(), &ledger_dir, &clock).await;
        let _admin = admin(&app, &clock).await;
        // Simulate a crash between append and commit: a transactional record
        // reaches the log, its transaction never commits.
        let orphan = app
            .ledger()
            .append(NewRecord {
                class: RetentionClass::Governance,
                action: "org.created".into(),
                payload: br#"{"transactional":true,"actor_user":"u","target_id":"lost"}"#.to_vec(),
            })
            .unwrap()
            .index;
        let standalone = app
            .ledger()
            .append(NewRecord {
                class: RetentionClass::Network,
                action: "session.login_failed".into(),
                payload: br#"{"transactional":false}"#.to_vec(),
            })
            .unwrap()
            .index;
        (orphan, standalone)
    };
    clock.advance(TimeDelta::seconds(60));
    let app = start(dir.path(), &ledger_dir, &clock).await;
    let size = app.ledger().size();
    // Exactly one compensating record, naming the orphan.
    let mut compensations = Vec::new();
    for i in 0..size {
        let r = app.ledger().read(i).unwrap();
        if r.leaf.action == "audit.unconfirmed" {
            let p: serde_json::Value = serde_json::from_slice(&r.payload.unwrap()).unwrap();
            compensations.push(p["details"]["unconfirmed_index"].as_u64().unwrap());
        }
    }
    assert_eq!(compensations, vec![orphan]);
    // Both records are now indexed for inspection.
    let mut tx = app.store().begin_read().await.unwrap();
    let last = tx.last_audit_index().await.unwrap().unwrap();
    tx.commit().await.unwrap();
    assert_eq!(u64::try_from(last).unwrap(), size - 1);
    assert!(standalone < size);
    // A second start finds nothing more to answer.
    drop(app);
    let app = start(dir.path(), &ledger_dir, &clock).await;
    assert_eq!(app.ledger().size(), size);
}

#[tokio::test]
async fn an_unwritable_audit_log_refuses_the_change_and_leaves_nothing() {
    let mnt = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=192k", "tmpfs"])
        .arg(mnt.path())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mounting a tmpfs failed: this test needs root");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let dir = tempfile::tempdir().unwrap();
    let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap());
    let app = start(dir.path(), &mnt.path().join("audit"), &clock).await;
    let admin = admin(&app, &clock).await;
    gongshu_app::orgs::create_organisation(&app, &admin, &org("涞源县甲公司"))
        .await
        .unwrap();
    let before = gongshu_app::orgs::list_organisations(&app, &admin)
        .await
        .unwrap()
        .len();
    // Fill the disk under the log.
    let filler = std::fs::File::create(mnt.path().join("filler")).unwrap();
    let _ = std::io::Write::write_all(&mut &filler, &vec![0u8; 1 << 20]);
    let mut refused = false;
    for i in 0..2000 {
        let r = app.ledger().append(NewRecord {
            class: RetentionClass::Governance,
            action: "test.fill".into(),
            payload: vec![b'x'; 2000 + i],
        });
        if r.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the log never filled up");
    let err = gongshu_app::orgs::create_organisation(&app, &admin, &org("涞源县乙公司"))
        .await
        .unwrap_err();
    assert!(matches!(err, AppError::AuditUnavailable), "{err:?}");
    assert_eq!(err.code(), "audit_log_unavailable");
    assert_eq!(
        gongshu_app::orgs::list_organisations(&app, &admin)
            .await
            .unwrap()
            .len(),
        before,
        "the refused change must leave nothing behind"
    );
}

#[tokio::test]
async fn a_gap_below_the_highest_indexed_entry_is_answered_too() {
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("audit");
    let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap());
    let lost = {
        let app = start(dir.path(), &ledger_dir, &clock).await;
        let _admin = admin(&app, &clock).await;
        let payload = br#"{"transactional":true}"#.to_vec();
        let append = |action: &str| {
            app.ledger()
                .append(NewRecord {
                    class: RetentionClass::Governance,
                    action: action.into(),
                    payload: payload.clone(),
                })
                .unwrap()
        };
        // Change A appends first but never commits; change B appends later
        // and commits (its index row lands).
        let a = append("org.created");
        let b = append("user.created");
        let mut tx = app.store().begin().await.unwrap();
        tx.insert_audit_index(&gongshu_store::AuditIndexRow {
            ledger_index: i64::try_from(b.index).unwrap(),
            occurred_at: Utc::now(),
            action_code: "user.created".into(),
            actor_user: None,
            actor_org: None,
            target_type: None,
            target_id: None,
            dataset: None,
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        a.index
    };
    let app = start(dir.path(), &ledger_dir, &clock).await;
    let mut answered = Vec::new();
    for i in 0..app.ledger().size() {
        let r = app.ledger().read(i).unwrap();
        if r.leaf.action == "audit.unconfirmed" {
            let p: serde_json::Value = serde_json::from_slice(&r.payload.unwrap()).unwrap();
            answered.push(p["details"]["unconfirmed_index"].as_u64().unwrap());
        }
    }
    assert_eq!(answered, vec![lost]);
    let mut tx = app.store().begin_read().await.unwrap();
    assert_eq!(
        u64::try_from(tx.count_audit_index().await.unwrap()).unwrap(),
        app.ledger().size(),
        "every entry is indexed after reconciliation"
    );
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn sandbox_jobs_cut_off_by_a_restart_are_marked_interrupted() {
    let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 27, 4, 0, 0).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let ledger_dir = dir.path().join("audit");
    let app = start(dir.path(), &ledger_dir, &clock).await;
    let actor = admin(&app, &clock).await;
    // A job accepted and still running when the process dies.
    let mut tx = app.store().begin().await.unwrap();
    tx.insert_sandbox_job(&gongshu_store::SandboxJobRow {
        id: "job-1".into(),
        org_id: actor.org_id.clone(),
        user_id: actor.user_id.clone(),
        sql_text: "SELECT 1".into(),
        status: "running".into(),
        result: None,
        error_code: None,
        error: None,
        created_at: app.clock().now(),
        finished_at: None,
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    drop(app);
    let app = start(dir.path(), &ledger_dir, &clock).await;
    let job = gongshu_app::sandbox::get_job(&app, &actor, "job-1")
        .await
        .unwrap();
    assert_eq!(job.status, "interrupted");
    assert!(job.finished_at.is_some());
    // Only once: the next start finds nothing running.
    drop(app);
    let app = start(dir.path(), &ledger_dir, &clock).await;
    assert_eq!(
        gongshu_app::sandbox::interrupt_running(&app).await.unwrap(),
        0
    );
}
