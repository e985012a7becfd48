//! Test support: a whole application (store of either backend, audit
//! ledger, fake clock, bootstrapped administrator) behind the real router,
//! driven in-process with `tower::ServiceExt::oneshot`.
//!
//! SQLite runs always, in a temporary directory. PostgreSQL runs when
//! `GONGSHU_TEST_POSTGRES_URL` names a server: each test gets a new,
//! uniquely named database, dropped afterwards whether the test passed or
//! not. With `CI=true` and no URL the PostgreSQL variants fail.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{TimeDelta, TimeZone as _, Utc};
use gongshu_app::bootstrap::InitialCredentials;
use gongshu_app::crypto::{TOTP_STEP_SECS, totp_at_step, totp_step};
use gongshu_app::{App, AppConfig, FakeClock};
use gongshu_ledger::{Ledger, LedgerOptions, NoteVerifier};
use gongshu_server::{AppState, ServerConfig};
use gongshu_store::Store;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection as _, PgConnection};
use tower::ServiceExt as _;

/// The variable naming the PostgreSQL server to test against.
const POSTGRES_URL_VAR: &str = "GONGSHU_TEST_POSTGRES_URL";

/// Audit log origin of every test application.
pub const ORIGIN: &str = "test.gongshu.local/audit";

/// Which database backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    /// A SQLite file in the test's temporary directory.
    Sqlite,
    /// A fresh database on the server named by `GONGSHU_TEST_POSTGRES_URL`.
    Postgres,
}

/// Runs `scenario` against a fresh application on `db`, then cleans up
/// (closing the store, dropping the PostgreSQL database) before re-raising
/// any failure.
pub async fn run<F, Fut>(db: Db, scenario: F)
where
    F: FnOnce(TestApp) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = tempfile::tempdir().expect("temporary directory");
    match db {
        Db::Sqlite => {
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("gongshu.db").display()
            );
            let t = TestApp::start(&url, dir).await;
            let outcome = tokio::spawn(scenario(t.clone())).await;
            t.store().close().await;
            drop(t);
            rethrow(outcome);
        }
        Db::Postgres => {
            let Some(server_url) = std::env::var(POSTGRES_URL_VAR)
                .ok()
                .filter(|u| !u.is_empty())
            else {
                assert_ne!(
                    std::env::var("CI").as_deref(),
                    Ok("true"),
                    "{POSTGRES_URL_VAR} must be set when CI=true: the PostgreSQL variants may not be skipped in CI"
                );
                eprintln!("skipped: set {POSTGRES_URL_VAR} to run the PostgreSQL variants");
                return;
            };
            let name = format!("gongshu_server_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = PgConnection::connect(&server_url)
                .await
                .expect("connect to the PostgreSQL test server");
            // Identifiers cannot be bound; `name` is made from a UUID only.
            sqlx::raw_sql(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
                .execute(&mut admin)
                .await
                .expect("create the test database");
            let url = database_url(&server_url, &name);
            // Started inside a task so that a failing start still drops the database.
            let outcome = tokio::spawn(async move {
                let t = TestApp::start(&url, dir).await;
                let inner = tokio::spawn(scenario(t.clone())).await;
                t.store().close().await;
                drop(t);
                rethrow(inner);
            })
            .await;
            sqlx::raw_sql(AssertSqlSafe(format!(
                r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
            )))
            .execute(&mut admin)
            .await
            .expect("drop the test database");
            admin.close().await.expect("close the admin connection");
            rethrow(outcome);
        }
    }
}

/// Runs `scenario` on SQLite with the audit log on its own small tmpfs
/// (8 MiB), so that a scenario can fill the disk under the log with
/// [`fill_audit_disk`]. Needs root (mount); fails loudly otherwise.
pub async fn run_with_small_audit_disk<F, Fut>(scenario: F)
where
    F: FnOnce(TestApp) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            // Lazy: files of the log may still be open while unwinding.
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let audit = dir.path().join("audit");
    std::fs::create_dir_all(&audit).expect("audit directory");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=8m", "tmpfs"])
        .arg(&audit)
        .status()
        .is_ok_and(|s| s.success());
    assert!(mounted, "mounting a tmpfs failed: this test needs root");
    let _unmount = Unmount(audit);
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("gongshu.db").display()
    );
    let t = TestApp::start(&url, dir).await;
    let outcome = tokio::spawn(scenario(t.clone())).await;
    t.store().close().await;
    drop(t);
    rethrow(outcome);
}

/// Fills the disk under the audit log of a [`run_with_small_audit_disk`]
/// scenario, then appends until the ledger refuses, so the next audited
/// action finds the log unwritable.
pub fn fill_audit_disk(t: &TestApp) {
    use std::io::Write as _;
    let mut filler = std::fs::File::create(t.audit_dir().join("filler")).expect("filler");
    let block = vec![0u8; 64 * 1024];
    while filler.write_all(&block).is_ok() {}
    let _ = filler.write_all(&[0u8; 512]);
    for i in 0..10_000 {
        let appended = t.ledger().append(gongshu_ledger::NewRecord {
            class: gongshu_ledger::RetentionClass::Governance,
            action: "test.fill".into(),
            payload: vec![b'x'; 2_000 + i],
        });
        if appended.is_err() {
            return;
        }
    }
    panic!("the audit log never filled up");
}

/// `server_url` pointing at database `name` (any query string is kept).
fn database_url(server_url: &str, name: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(b, q)| (b, Some(q)));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[after_scheme..]
        .find('/')
        .map_or(base.len(), |i| after_scheme + i);
    let mut url = format!("{}/{name}", &base[..host_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn rethrow(outcome: Result<(), tokio::task::JoinError>) {
    if let Err(err) = outcome {
        if err.is_panic() {
            std::panic::resume_unwind(err.into_panic());
        }
        panic!("test scenario did not finish: {err}");
    }
}

/// Defines `<name>::sqlite` and `<name>::postgres` tests running the
/// scenario function `name` (an `async fn(TestApp)` in the same module).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::support::run($crate::support::Db::Sqlite, super::$name).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::support::run($crate::support::Db::Postgres, super::$name).await;
                }
            }
        )+
    };
}

/// One-time credentials of a user, as the API hands them out.
#[derive(Debug, Clone)]
pub struct Creds {
    /// User id.
    pub user_id: String,
    /// Organisation id.
    pub org_id: String,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
    /// Raw TOTP secret.
    pub totp_secret: Vec<u8>,
}

impl Creds {
    fn from_initial(c: &InitialCredentials) -> Self {
        Self {
            user_id: c.user_id.clone(),
            org_id: c.org_id.clone(),
            username: c.username.clone(),
            password: c.password.clone(),
            totp_secret: c.totp_secret_bytes(),
        }
    }

    /// From the JSON body of `POST /api/v1/users`.
    pub fn from_json(v: &Value) -> Self {
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("{k} in {v}"))
                .to_owned()
        };
        Self::from_initial(&InitialCredentials {
            user_id: s("user_id"),
            org_id: s("org_id"),
            username: s("username"),
            password: s("password"),
            totp_secret: s("totp_secret"),
            otpauth_uri: s("otpauth_uri"),
        })
    }
}

/// A logged-in session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Session token (cookie value, or bearer token).
    pub token: String,
    /// CSRF token.
    pub csrf: String,
    /// User id.
    pub user_id: String,
    /// Organisation id.
    pub org_id: String,
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// Not at all.
    None,
    /// Session cookie plus the session's CSRF token.
    Cookie(&'a Session),
    /// Session cookie without any CSRF token.
    CookieNoCsrf(&'a Session),
    /// Session cookie with the given CSRF token.
    CookieCsrf(&'a Session, &'a str),
    /// `Authorization: Bearer <session token>`, no CSRF token.
    Bearer(&'a Session),
    /// `X-Api-Key`.
    ApiKey(&'a str),
    /// `Authorization: Bearer <api key>`.
    BearerKey(&'a str),
    /// A `Cookie` header as given (the console's login form).
    RawCookie(&'a str),
}

/// A collected response.
#[derive(Debug)]
pub struct Resp {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Bytes,
}

impl Resp {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "{} body is not JSON ({e}): {}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.to_vec()).expect("UTF-8 body")
    }

    /// Asserts the status, with the body in the failure message.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(&self.body)
        );
        self
    }

    /// Asserts an error answer: status, `{"code","message","fields"}` with
    /// the stable English code and a Chinese message. Returns the body.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> Value {
        self.expect(status);
        let v = self.json();
        assert_eq!(v["code"], code, "error code; body: {v}");
        assert!(is_chinese(v["message"].as_str().unwrap_or_default()), "{v}");
        assert!(v["fields"].is_array(), "{v}");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(
            keys.len(),
            3,
            "error body has exactly code, message, fields: {v}"
        );
        v
    }
}

/// Whether a text holds Chinese characters.
pub fn is_chinese(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// One audit record read back from the ledger.
#[derive(Debug, Clone)]
pub struct Rec {
    /// Ledger index.
    pub index: u64,
    /// Action code (from the leaf).
    pub action: String,
    /// Payload (the audit event).
    pub payload: Value,
}

impl Rec {
    /// `details.reason` of the record.
    pub fn reason(&self) -> &str {
        self.payload["details"]["reason"]
            .as_str()
            .unwrap_or_default()
    }
}

/// A running application with its router.
#[derive(Debug, Clone)]
pub struct TestApp {
    /// The use cases.
    pub app: App,
    /// The real router.
    pub router: Router,
    /// The clock of the application and of the ledger.
    pub clock: FakeClock,
    /// The bootstrapped implementing-agency administrator.
    pub admin: Creds,
    /// Data directory (kept alive as long as the application).
    pub data_dir: Arc<tempfile::TempDir>,
    /// Last TOTP step used per username, so no code is offered twice.
    steps: Arc<Mutex<HashMap<String, i64>>>,
    /// The client address requests come from (connection info), if set.
    peer: Arc<Mutex<Option<std::net::SocketAddr>>>,
}

impl TestApp {
    /// Opens store, ledger and application on `url`, and bootstraps.
    pub async fn start(url: &str, dir: tempfile::TempDir) -> Self {
        let store = Store::connect(url).await.expect("open the store");
        let clock = FakeClock::at(Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 5).unwrap());
        let ledger_clock = clock.clone();
        let audit_dir = dir.path().join("audit");
        let ledger = tokio::task::spawn_blocking(move || {
            let mut opts = LedgerOptions::new(ORIGIN);
            opts.clock = Arc::new(move || ledger_clock.millis());
            Ledger::open(&audit_dir, opts)
        })
        .await
        .expect("join")
        .expect("open the ledger");
        let app = App::start(
            store,
            Arc::new(ledger),
            Arc::new(clock.clone()),
            AppConfig::default(),
        )
        .await
        .expect("start the application")
        .with_vault(Arc::new(
            gongshu_vault::Vault::open(dir.path().join("vault")).expect("open the vault"),
        ))
        .expect("open the sandbox history");
        let config = ServerConfig {
            data_dir: dir.path().to_path_buf(),
            database_url: Some(url.to_owned()),
            audit_origin: ORIGIN.to_owned(),
            secure_cookies: false,
            ..ServerConfig::default()
        };
        let router = gongshu_server::router(AppState::new(app.clone(), config));
        let initial = gongshu_app::bootstrap::bootstrap(
            &app,
            "测试县公共数据授权运营实施机构",
            "admin",
            "管理员",
        )
        .await
        .expect("bootstrap");
        Self {
            app,
            router,
            clock,
            admin: Creds::from_initial(&initial),
            data_dir: Arc::new(dir),
            steps: Arc::default(),
            peer: Arc::default(),
        }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        self.app.store()
    }

    /// The ledger.
    pub fn ledger(&self) -> &Arc<Ledger> {
        self.app.ledger()
    }

    /// Directory of the ledger.
    pub fn audit_dir(&self) -> PathBuf {
        self.data_dir.path().join("audit")
    }

    /// Makes later requests come from `ip` (as the server's connection
    /// info would tell).
    pub fn set_peer(&self, ip: &str) {
        *self.peer.lock().expect("lock") =
            Some(std::net::SocketAddr::new(ip.parse().expect("ip"), 40_000));
    }

    /// Moves the fake clock (application and ledger) forward.
    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    /// The current TOTP step of the fake clock.
    pub fn step(&self) -> i64 {
        totp_step(self.clock.millis().div_euclid(1000))
    }

    /// The TOTP code of `c` for the current step (no bookkeeping).
    pub fn code_now(&self, c: &Creds) -> String {
        totp_at_step(&c.totp_secret, self.step())
    }

    /// A TOTP code `c` has not used yet: advances the clock to the next
    /// step when the current one was used, and remembers it.
    pub fn fresh_code(&self, c: &Creds) -> String {
        let mut steps = self.steps.lock().expect("lock");
        if let Some(&last) = steps.get(&c.username) {
            let now = self.step();
            if now <= last {
                self.advance(TimeDelta::seconds((last - now + 1) * TOTP_STEP_SECS));
            }
        }
        let step = self.step();
        steps.insert(c.username.clone(), step);
        totp_at_step(&c.totp_secret, step)
    }

    /// `POST /api/v1/session` with the given fields (no assertion).
    pub async fn login_attempt(&self, username: &str, password: &str, totp: &str) -> Resp {
        self.post(
            "/api/v1/session",
            Auth::None,
            &json!({ "username": username, "password": password, "totp": totp }),
        )
        .await
    }

    /// Logs in with a fresh TOTP code and checks the answer.
    pub async fn login(&self, c: &Creds) -> Session {
        let code = self.fresh_code(c);
        let r = self.login_attempt(&c.username, &c.password, &code).await;
        r.expect(201);
        let cookie = r
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("session cookie")
            .to_owned();
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
        let v = r.json();
        let token = v["token"].as_str().expect("token").to_owned();
        assert!(cookie.starts_with(&format!("gongshu_session={token};")));
        Session {
            token,
            csrf: v["csrf_token"].as_str().expect("csrf").to_owned(),
            user_id: v["user"]["user_id"].as_str().expect("user id").to_owned(),
            org_id: v["user"]["org_id"].as_str().expect("org id").to_owned(),
        }
    }

    /// Sends a request through the router.
    pub async fn send(
        &self,
        method: Method,
        uri: &str,
        auth: Auth<'_>,
        body: Option<(&str, Vec<u8>)>,
    ) -> Resp {
        let mut req = Request::builder().method(method).uri(uri);
        let cookie = |s: &Session| format!("gongshu_session={}", s.token);
        req = match auth {
            Auth::None => req,
            Auth::Cookie(s) => req
                .header(header::COOKIE, cookie(s))
                .header("x-csrf-token", &s.csrf),
            Auth::CookieNoCsrf(s) => req.header(header::COOKIE, cookie(s)),
            Auth::RawCookie(c) => req.header(header::COOKIE, c),
            Auth::CookieCsrf(s, csrf) => req
                .header(header::COOKIE, cookie(s))
                .header("x-csrf-token", csrf),
            Auth::Bearer(s) => req.header(header::AUTHORIZATION, format!("Bearer {}", s.token)),
            Auth::ApiKey(k) => req.header("x-api-key", k),
            Auth::BearerKey(k) => req.header(header::AUTHORIZATION, format!("Bearer {k}")),
        };
        let req = match body {
            Some((content_type, bytes)) => req
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(bytes)),
            None => req.body(Body::empty()),
        }
        .expect("request");
        let mut req = req;
        if let Some(peer) = *self.peer.lock().expect("lock") {
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(peer));
        }
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("infallible router");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("response body")
            .to_bytes();
        Resp {
            status,
            headers,
            body,
        }
    }

    /// `GET`.
    pub async fn get(&self, uri: &str, auth: Auth<'_>) -> Resp {
        self.send(Method::GET, uri, auth, None).await
    }

    /// `POST` with a JSON body.
    pub async fn post(&self, uri: &str, auth: Auth<'_>, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).expect("JSON");
        self.send(Method::POST, uri, auth, Some(("application/json", bytes)))
            .await
    }

    /// `PUT` with a JSON body.
    pub async fn put(&self, uri: &str, auth: Auth<'_>, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).expect("JSON");
        self.send(Method::PUT, uri, auth, Some(("application/json", bytes)))
            .await
    }

    /// `POST` with a raw body claimed to be JSON.
    pub async fn post_raw(&self, uri: &str, auth: Auth<'_>, body: &str) -> Resp {
        self.send(
            Method::POST,
            uri,
            auth,
            Some(("application/json", body.as_bytes().to_vec())),
        )
        .await
    }

    /// `DELETE`.
    pub async fn delete(&self, uri: &str, auth: Auth<'_>) -> Resp {
        self.send(Method::DELETE, uri, auth, None).await
    }

    /// Creates an organisation through the API; returns its id.
    pub async fn create_org(&self, s: &Session, name: &str, kind: &str) -> String {
        let r = self
            .post(
                "/api/v1/organisations",
                Auth::Cookie(s),
                &json!({ "name": name, "kind": kind }),
            )
            .await;
        r.expect(201);
        r.json()["id"].as_str().expect("org id").to_owned()
    }

    /// Creates a user through the API; returns the one-time credentials.
    pub async fn create_user(
        &self,
        s: &Session,
        org_id: &str,
        username: &str,
        roles: &[&str],
    ) -> Creds {
        let r = self
            .post(
                "/api/v1/users",
                Auth::Cookie(s),
                &json!({ "org_id": org_id, "username": username, "display_name": "测试用户", "roles": roles }),
            )
            .await;
        r.expect(201);
        Creds::from_json(&r.json())
    }

    /// Every audit record, read back from the ledger.
    pub async fn audit_records(&self) -> Vec<Rec> {
        let l = Arc::clone(self.ledger());
        tokio::task::spawn_blocking(move || {
            (0..l.size())
                .map(|i| {
                    let r = l.read(i).expect("read audit record");
                    Rec {
                        index: i,
                        action: r.leaf.action,
                        payload: serde_json::from_slice(&r.payload.expect("payload retained"))
                            .expect("payload JSON"),
                    }
                })
                .collect()
        })
        .await
        .expect("join")
    }

    /// The audit records with action `action`.
    pub async fn audit_of(&self, action: &str) -> Vec<Rec> {
        self.audit_records()
            .await
            .into_iter()
            .filter(|r| r.action == action)
            .collect()
    }

    /// Audit records appended since size `from`.
    pub async fn audit_since(&self, from: u64) -> Vec<Rec> {
        self.audit_records()
            .await
            .into_iter()
            .filter(|r| r.index >= from)
            .collect()
    }

    /// Publishes the ledger and verifies the whole log directory as an
    /// outside verifier would (checkpoint signature, tiles, bundles, root),
    /// plus the payloads; checks that every record is indexed in the
    /// database (when it is reachable) and that no change was left
    /// unconfirmed.
    pub async fn assert_audit_log_verifies(&self) {
        let l = Arc::clone(self.ledger());
        let audit_dir = self.audit_dir();
        let size = tokio::task::spawn_blocking(move || {
            l.sync().expect("sync the ledger");
            let verifier = NoteVerifier::parse(&l.vkey()).expect("vkey");
            let report = gongshu_ledger::verify::verify_log_dir(
                l.log_dir(),
                &verifier,
                Some(ORIGIN),
                None,
                &mut |_, _| {},
            )
            .expect("the audit log verifies");
            assert_eq!(report.entries, l.size());
            assert_eq!(report.checkpoint.size, l.size());
            let payloads = gongshu_ledger::verify::verify_payloads(&audit_dir, report.entries)
                .expect("payloads verify");
            assert_eq!(payloads, report.entries, "every payload is retained");
            report.entries
        })
        .await
        .expect("join");
        assert!(size > 0, "the log has records");
        if self.store().ping().await.is_ok() {
            let mut tx = self.store().begin_read().await.expect("read");
            let last = tx.last_audit_index().await.expect("last index");
            tx.commit().await.expect("commit");
            assert_eq!(
                last,
                Some(i64::try_from(size).expect("size") - 1),
                "every record is indexed"
            );
        }
        assert!(
            self.audit_of("audit.unconfirmed").await.is_empty(),
            "no change was left unconfirmed"
        );
    }
}

#[test]
fn database_url_replaces_only_the_database() {
    assert_eq!(
        database_url("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        database_url("postgresql://u:p@h:5432?sslmode=disable", "t2"),
        "postgresql://u:p@h:5432/t2?sslmode=disable"
    );
}

impl TestApp {
    /// Creates an organisation of `kind` in `sector` through the API (sector
    /// regulators need one); returns its id.
    pub async fn create_org_in_sector(
        &self,
        s: &Session,
        name: &str,
        kind: &str,
        sector: &str,
    ) -> String {
        let r = self
            .post(
                "/api/v1/organisations",
                Auth::Cookie(s),
                &json!({ "name": name, "kind": kind, "sector": sector }),
            )
            .await;
        r.expect(201);
        r.json()["id"].as_str().expect("org id").to_owned()
    }

    /// Creates a user with `roles` in `org_id` and logs them in.
    pub async fn user_session(
        &self,
        admin: &Session,
        org_id: &str,
        username: &str,
        roles: &[&str],
    ) -> Session {
        let c = self.create_user(admin, org_id, username, roles).await;
        self.login(&c).await
    }
}
