//! gongshu-app: the use cases. Each one loads, authorizes (Cedar, via
//! gongshu-policy), applies the domain rules, persists with compare-and-set,
//! appends its audit record and only then commits (see `audit::Change`).
//! No use case reads the clock or the OS directly except through ports.

pub mod actor;
pub mod agreements;
pub mod api_keys;
pub mod appeals;
pub mod audit;
pub mod audit_inspect;
pub mod bootstrap;
pub mod catalog;
pub mod clock;
pub mod crypto;
pub mod datasets;
pub mod egress;
pub mod enrolment;
pub mod error;
pub mod evaluations;
pub mod finance;
pub mod inbox;
pub mod local_time;
mod memo;
pub mod orgs;
pub mod portal;
pub mod products;
pub mod reviews;
pub mod sandbox;
pub mod selection;
pub mod session;
pub mod use_applications;
pub mod users;

use std::sync::Arc;

use chrono::TimeDelta;
use gongshu_ledger::Ledger;
use gongshu_policy::{Action, PolicyEngine, Resource};
use gongshu_store::Store;

pub use actor::{Actor, AuthMethod};
pub use audit::{AuditEvent, AuditRef};
pub use clock::{Clock, FakeClock, ShiftedClock, SystemClock};
pub use error::{AppError, FieldError};

/// Tunables of authentication.
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// A session ends after this long without a request.
    pub session_idle: TimeDelta,
    /// A session ends this long after login, whatever happens.
    pub session_absolute: TimeDelta,
    /// Failed logins before the account is locked.
    pub lockout_threshold: i64,
    /// How long a lock lasts.
    pub lockout_duration: TimeDelta,
    /// Issuer shown in authenticator apps.
    pub totp_issuer: String,
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            session_idle: TimeDelta::minutes(30),
            session_absolute: TimeDelta::hours(12),
            lockout_threshold: 5,
            lockout_duration: TimeDelta::minutes(15),
            totp_issuer: "gongshu".into(),
        }
    }
}

/// The application: ports and policies shared by all use cases.
#[derive(Debug, Clone)]
pub struct App {
    store: Store,
    ledger: Arc<Ledger>,
    policy: Arc<PolicyEngine>,
    clock: Arc<dyn Clock>,
    config: AppConfig,
    vault: Option<Arc<gongshu_vault::Vault>>,
    sandbox: Option<Arc<gongshu_sandbox::Sandbox>>,
    access_ends: sandbox::AccessEnds,
    query_slots: sandbox::QuerySlots,
    load_locks: datasets::LoadLocks,
    call_windows: products::CallWindows,
    generation: memo::Generation,
    hot: Arc<products::HotFacts>,
    meter: products::Meter,
}

impl App {
    /// Wires the application and reconciles the audit index with the log
    /// (records left unconfirmed by a crash are answered now).
    pub async fn start(
        store: Store,
        ledger: Arc<Ledger>,
        clock: Arc<dyn Clock>,
        config: AppConfig,
    ) -> Result<Self, AppError> {
        let policy = PolicyEngine::new().map_err(|e| AppError::Internal(e.to_string()))?;
        let meter = products::Meter::start(store.clone());
        let app = Self {
            store,
            ledger,
            policy: Arc::new(policy),
            clock,
            config,
            vault: None,
            sandbox: None,
            access_ends: sandbox::AccessEnds::default(),
            query_slots: sandbox::QuerySlots::default(),
            load_locks: datasets::LoadLocks::default(),
            call_windows: products::CallWindows::default(),
            generation: memo::Generation::default(),
            hot: Arc::new(products::HotFacts::default()),
            meter,
        };
        let fixed = audit::reconcile(&app.store, &app.ledger).await?;
        if fixed > 0 {
            tracing::warn!(
                fixed,
                "answered audit records whose changes never committed"
            );
        }
        let interrupted = sandbox::interrupt_running(&app).await?;
        if interrupted > 0 {
            tracing::warn!(interrupted, "sandbox jobs cut off by a restart");
        }
        Ok(app)
    }

    pub(crate) fn call_windows(&self) -> &products::CallWindows {
        &self.call_windows
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.current()
    }

    /// What the product call path keeps between calls (the benchmark turns
    /// kept answers off to measure the computed path).
    pub fn hot(&self) -> &products::HotFacts {
        &self.hot
    }

    pub(crate) fn meter(&self) -> &products::Meter {
        &self.meter
    }

    pub(crate) fn load_locks(&self) -> &datasets::LoadLocks {
        &self.load_locks
    }

    /// Attaches the trusted space's vault (crypto-shredding on termination).
    ///
    /// # Errors
    /// [`AppError::Internal`] when the sandbox's release history cannot be
    /// opened.
    pub fn with_vault(mut self, vault: Arc<gongshu_vault::Vault>) -> Result<Self, AppError> {
        let history = gongshu_sandbox::History::open(vault.state_path("sandbox-history.log"))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.sandbox = Some(Arc::new(
            gongshu_sandbox::Sandbox::new(vault.clone()).with_history(Arc::new(history)),
        ));
        self.vault = Some(vault);
        Ok(self)
    }

    /// A TOTP seed as it is stored: sealed by the vault for its user when a
    /// vault is attached (a copy of the database alone then mints no
    /// codes), as is otherwise.
    pub(crate) fn seal_totp(&self, user_id: &str, seed: &[u8]) -> Result<Vec<u8>, AppError> {
        match &self.vault {
            Some(v) => v
                .seal_credential(user_id, seed)
                .map_err(|e| AppError::Internal(format!("动态口令密钥无法加密保存：{e}"))),
            None => Ok(seed.to_vec()),
        }
    }

    /// The TOTP seed of a user from its stored form (sealed, or plain from
    /// before sealing existed). Fails closed when a sealed seed cannot be
    /// opened: no vault, another master key, another user's seed.
    pub(crate) fn totp_seed(
        &self,
        user: &gongshu_store::UserRow,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, AppError> {
        if !gongshu_vault::is_sealed_credential(&user.totp_secret) {
            return Ok(zeroize::Zeroizing::new(user.totp_secret.clone()));
        }
        self.vault
            .as_ref()
            .and_then(|v| v.open_credential(&user.id, &user.totp_secret))
            .ok_or_else(|| {
                AppError::Internal(
                    "动态口令密钥无法解密（未配置数据保管库，或主密钥、用户不符）".into(),
                )
            })
    }

    /// Seals every TOTP seed still stored plain (from before sealing
    /// existed, or created without a vault), in one audited change;
    /// returns how many were sealed. Nothing to do without a vault.
    ///
    /// # Errors
    /// Store and audit errors (nothing is changed then).
    pub async fn seal_totp_seeds(&self) -> Result<usize, AppError> {
        if self.vault.is_none() {
            return Ok(0);
        }
        let mut change = self.begin().await?;
        let sealed = async {
            let users = change.tx().list_users().await?;
            let mut ids = Vec::new();
            for u in users {
                if gongshu_vault::is_sealed_credential(&u.totp_secret) {
                    continue;
                }
                let stored = self.seal_totp(&u.id, &u.totp_secret)?;
                change
                    .tx()
                    .set_user_totp_secret(&u.id, u.version, &stored)
                    .await?;
                ids.push(u.id);
            }
            Ok::<_, AppError>(ids)
        }
        .await;
        let ids = match sealed {
            Ok(ids) if !ids.is_empty() => ids,
            Ok(_) => {
                change.abandon().await;
                return Ok(0);
            }
            Err(e) => {
                change.abandon().await;
                return Err(e);
            }
        };
        // A start-up step of the platform: no acting user.
        let event = AuditEvent::new("user.totp_sealed")
            .details(serde_json::json!({ "users": ids, "count": ids.len() }));
        change.audit(event).await?.commit().await?;
        Ok(ids.len())
    }

    /// The sandbox, when a vault is attached.
    pub fn sandbox(&self) -> Option<&Arc<gongshu_sandbox::Sandbox>> {
        self.sandbox.as_ref()
    }

    /// Signals that end queries in flight.
    pub fn access_ends(&self) -> &sandbox::AccessEnds {
        &self.access_ends
    }

    /// Per-organisation limits on queries running at once.
    pub fn query_slots(&self) -> &sandbox::QuerySlots {
        &self.query_slots
    }

    /// The vault, when one is attached.
    pub fn vault(&self) -> Option<&Arc<gongshu_vault::Vault>> {
        self.vault.as_ref()
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The audit ledger.
    pub fn ledger(&self) -> &Arc<Ledger> {
        &self.ledger
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The configuration.
    pub fn config(&self) -> &AppConfig {
        &self.config
    }

    /// Decides with the policies; a denial is itself audited, then refused.
    pub async fn authorize(
        &self,
        actor: &Actor,
        action: Action,
        resource: &Resource,
    ) -> Result<Vec<String>, AppError> {
        let decision = self.policy.authorize(&actor.principal(), action, resource);
        if decision.allowed {
            return Ok(decision.policy_ids);
        }
        let event = AuditEvent::new("authz.denied")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .decided_by(decision.policy_ids.clone())
            .outcome("denied")
            .details(serde_json::json!({ "action": action.as_str(), "errors": decision.errors }));
        audit::record(&self.store, &self.ledger, event).await?;
        Err(AppError::Forbidden {
            action: action.as_str().to_owned(),
            policy_ids: decision.policy_ids,
        })
    }

    /// Begins an audited change.
    pub async fn begin(&self) -> Result<audit::Change<audit::Unaudited>, AppError> {
        audit::Change::begin(&self.store, &self.ledger, &self.generation).await
    }

    /// Records an event that changes no state.
    pub async fn record(&self, event: AuditEvent) -> Result<AuditRef, AppError> {
        audit::record(&self.store, &self.ledger, event).await
    }
}

/// A new id (UUID v7, time-ordered) in text form.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
