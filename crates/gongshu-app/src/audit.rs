//! Audited changes: the one way a use case commits.
//!
//! `Change<Unaudited>` holds an open database transaction. The only way to
//! reach `Change<Audited>` — the only state with `commit` — is `audit`,
//! which appends the record durably to the ledger first. A failed append
//! rolls the transaction back and refuses the action (fail closed). A failed
//! commit after a durable append is answered by a compensating
//! `audit.unconfirmed` record, and so is a crash between the two steps
//! (found at startup by `reconcile`). See docs/architecture.md.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gongshu_ledger::{Ledger, NewRecord, RetentionClass};
use gongshu_store::{AuditIndexRow, Store, StoreTx};
use serde::Serialize;

use crate::error::AppError;
use crate::memo::Generation;

/// What an audit record says (the payload kept apart from the tree).
#[derive(Debug, Clone, Serialize)]
pub struct AuditEvent {
    /// Stable action code, never renamed or reused.
    pub action: &'static str,
    /// Retention class.
    #[serde(skip)]
    pub class: RetentionClass,
    /// Acting user.
    pub actor_user: Option<String>,
    /// Acting organisation.
    pub actor_org: Option<String>,
    /// Actor's roles at the time.
    pub actor_roles: Vec<String>,
    /// Kind of thing acted on.
    pub target_type: Option<&'static str>,
    /// Id of the thing acted on.
    pub target_id: Option<String>,
    /// Policies that decided (allowed or denied) the action.
    pub decision: Vec<String>,
    /// Outcome: `ok`, `denied`, `failed`.
    pub outcome: &'static str,
    /// Dataset concerned.
    pub dataset: Option<String>,
    /// Whether the record accompanies a database transaction.
    pub transactional: bool,
    /// Details, without secrets and with personal data minimised.
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A governance event with no actor yet.
    pub fn new(action: &'static str) -> Self {
        Self {
            action,
            class: RetentionClass::Governance,
            actor_user: None,
            actor_org: None,
            actor_roles: Vec::new(),
            target_type: None,
            target_id: None,
            decision: Vec::new(),
            outcome: "ok",
            dataset: None,
            transactional: true,
            details: serde_json::Value::Null,
        }
    }

    /// Sets the actor.
    pub fn actor(mut self, user: &str, org: &str, roles: Vec<String>) -> Self {
        self.actor_user = Some(user.to_owned());
        self.actor_org = Some(org.to_owned());
        self.actor_roles = roles;
        self
    }

    /// Sets the target.
    pub fn target(mut self, kind: &'static str, id: &str) -> Self {
        self.target_type = Some(kind);
        self.target_id = Some(id.to_owned());
        self
    }

    /// Sets the deciding policies.
    pub fn decided_by(mut self, ids: Vec<String>) -> Self {
        self.decision = ids;
        self
    }

    /// Sets the details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// Sets the retention class.
    pub fn class(mut self, class: RetentionClass) -> Self {
        self.class = class;
        self
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: &'static str) -> Self {
        self.outcome = outcome;
        self
    }
}

/// Where an audited action landed in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AuditRef {
    /// Ledger index of the record.
    pub index: u64,
}

/// Appends one record durably; the ledger's writer thread answers through
/// a channel, so no runtime thread waits for the disk.
pub(crate) async fn append(
    ledger: &Arc<Ledger>,
    event: &AuditEvent,
) -> Result<(u64, DateTime<Utc>), AppError> {
    let payload = serde_json::to_vec(event).map_err(|e| AppError::Internal(e.to_string()))?;
    let record = NewRecord {
        class: event.class,
        action: event.action.to_owned(),
        payload,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    ledger.append_then(record, move |r| {
        let _ = tx.send(r);
    });
    let appended = rx
        .await
        .map_err(|_| gongshu_ledger::LedgerError::Closed)
        .and_then(|r| r)
        .map_err(|e| {
            tracing::error!(error = %e, "audit append failed; refusing the action");
            AppError::AuditUnavailable
        })?;
    let at = DateTime::from_timestamp_millis(appended.occurred_at_ms).unwrap_or_default();
    Ok((appended.index, at))
}

pub(crate) fn index_row(index: u64, at: DateTime<Utc>, event: &AuditEvent) -> AuditIndexRow {
    AuditIndexRow {
        ledger_index: i64::try_from(index).unwrap_or(i64::MAX),
        occurred_at: at,
        action_code: event.action.to_owned(),
        actor_user: event.actor_user.clone(),
        actor_org: event.actor_org.clone(),
        target_type: event.target_type.map(str::to_owned),
        target_id: event.target_id.clone(),
        dataset: event.dataset.clone(),
    }
}

/// Marker: the change has no audit record yet.
#[derive(Debug)]
pub struct Unaudited;

/// Marker: the change's audit record is durable.
#[derive(Debug)]
pub struct Audited {
    index: u64,
    at: DateTime<Utc>,
    event: AuditEvent,
}

/// A state change in progress.
#[derive(Debug)]
pub struct Change<S> {
    tx: StoreTx,
    store: Store,
    ledger: Arc<Ledger>,
    generation: Generation,
    state: S,
}

impl Change<Unaudited> {
    pub(crate) async fn begin(
        store: &Store,
        ledger: &Arc<Ledger>,
        generation: &Generation,
    ) -> Result<Self, AppError> {
        Ok(Self {
            tx: store.begin().await?,
            store: store.clone(),
            ledger: Arc::clone(ledger),
            generation: generation.clone(),
            state: Unaudited,
        })
    }

    /// The transaction, for loads and compare-and-set writes.
    pub fn tx(&mut self) -> &mut StoreTx {
        &mut self.tx
    }

    /// Appends the audit record; on failure rolls back and refuses.
    pub async fn audit(self, event: AuditEvent) -> Result<Change<Audited>, AppError> {
        match append(&self.ledger, &event).await {
            Ok((index, at)) => Ok(Change {
                tx: self.tx,
                store: self.store,
                ledger: self.ledger,
                generation: self.generation,
                state: Audited { index, at, event },
            }),
            Err(e) => {
                let _ = self.tx.rollback().await;
                Err(e)
            }
        }
    }

    /// Gives up: nothing is written.
    pub async fn abandon(self) {
        let _ = self.tx.rollback().await;
    }
}

impl Change<Audited> {
    /// Indexes the record and commits. If the commit fails after the record
    /// is durable, a compensating record says so.
    pub async fn commit(mut self) -> Result<AuditRef, AppError> {
        let Audited { index, at, event } = self.state;
        let row = index_row(index, at, &event);
        let result = match self.tx.insert_audit_index(&row).await {
            Ok(()) => self.tx.commit().await.map_err(AppError::from),
            Err(e) => {
                let _ = self.tx.rollback().await;
                Err(AppError::from(e))
            }
        };
        match result {
            Ok(()) => {
                // Facts memoised for product calls are stale from now on.
                self.generation.bump();
                Ok(AuditRef { index })
            }
            Err(e) => {
                let comp = unconfirmed_event(index, "commit_failed");
                // Indexed like any record; if the database is down the
                // start-up reconciliation indexes it later.
                if let Err(ce) = record(&self.store, &self.ledger, comp).await {
                    tracing::error!(error = %ce, index, "could not record the failed commit");
                }
                Err(e)
            }
        }
    }
}

pub(crate) fn unconfirmed_event(index: u64, reason: &str) -> AuditEvent {
    AuditEvent::new("audit.unconfirmed")
        .target("audit_record", &index.to_string())
        .outcome("failed")
        .details(serde_json::json!({ "unconfirmed_index": index, "reason": reason }))
}

/// Records an event that goes with no database change (a refused login, a
/// denied request, a data read), then indexes it.
pub(crate) async fn record(
    store: &Store,
    ledger: &Arc<Ledger>,
    mut event: AuditEvent,
) -> Result<AuditRef, AppError> {
    event.transactional = false;
    let (index, at) = append(ledger, &event).await?;
    let mut tx = store.begin().await?;
    tx.insert_audit_index(&index_row(index, at, &event)).await?;
    tx.commit().await?;
    Ok(AuditRef { index })
}

/// Ledger entries below `size` that have no index row. Appends and commits
/// are not in index order (an earlier append may commit after a later one,
/// or never), so gaps below the highest index are possible after a crash.
async fn missing_indices(store: &Store, size: u64) -> Result<Vec<u64>, AppError> {
    let mut tx = store.begin_read().await?;
    let last = tx.last_audit_index().await?;
    let count = tx.count_audit_index().await?;
    let contiguous = last.map_or(count == 0, |l| l + 1 == count);
    let present = if contiguous {
        Vec::new()
    } else {
        tx.audit_indices_from(0).await?
    };
    tx.commit().await?;
    let start = if contiguous {
        last.map_or(0, |l| u64::try_from(l).unwrap_or(0) + 1)
    } else {
        0
    };
    let present: std::collections::HashSet<u64> = present
        .into_iter()
        .filter_map(|i| u64::try_from(i).ok())
        .collect();
    Ok((start..size).filter(|i| !present.contains(i)).collect())
}

/// At startup: every ledger entry after the last indexed one is either a
/// standalone record (indexed now) or a change whose commit never happened
/// (indexed and answered by an `audit.unconfirmed` record).
pub async fn reconcile(store: &Store, ledger: &Arc<Ledger>) -> Result<u64, AppError> {
    let size = ledger.size();
    let missing = missing_indices(store, size).await?;
    let mut fixed = 0;
    for index in missing {
        let l = Arc::clone(ledger);
        let rec = tokio::task::spawn_blocking(move || l.read(index))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let payload: serde_json::Value = rec
            .payload
            .as_deref()
            .and_then(|p| serde_json::from_slice(p).ok())
            .unwrap_or(serde_json::Value::Null);
        let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        let row = AuditIndexRow {
            ledger_index: i64::try_from(index).unwrap_or(i64::MAX),
            occurred_at: DateTime::from_timestamp_millis(rec.leaf.occurred_at_ms)
                .unwrap_or_default(),
            action_code: rec.leaf.action.clone(),
            actor_user: text("actor_user"),
            actor_org: text("actor_org"),
            target_type: text("target_type"),
            target_id: text("target_id"),
            dataset: text("dataset"),
        };
        let mut tx = store.begin().await?;
        tx.insert_audit_index(&row).await?;
        tx.commit().await?;
        let transactional = payload
            .get("transactional")
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        if transactional && rec.leaf.action != "audit.unconfirmed" {
            record(
                store,
                ledger,
                unconfirmed_event(index, "crash_before_commit"),
            )
            .await?;
            fixed += 1;
        }
    }
    Ok(fixed)
}
