//! Metering of delivered calls with a group commit. A call's audit record
//! is appended durably first (the ledger group-commits appends); its
//! metering row and audit index row then wait for the next store
//! transaction, which one writer task commits for every call waiting at
//! that moment. Each caller is answered only after that commit, so no call
//! is delivered unmetered, and one commit (one fsync) serves many calls.
//! If the commit fails, each waiting call records a compensating
//! `audit.unconfirmed` record and is refused, as `Change::commit` does.

use gongshu_store::{AuditIndexRow, ProductCallRow, Store};
use tokio::sync::{mpsc, oneshot};

use crate::audit::{self, AuditEvent};
use crate::error::AppError;
use crate::{App, AuditRef};

/// Calls committed together at most.
const BATCH: usize = 512;

struct Job {
    call: ProductCallRow,
    index: AuditIndexRow,
    done: oneshot::Sender<Result<(), String>>,
}

/// The metering writer's queue.
#[derive(Debug, Clone)]
pub struct Meter {
    queue: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job").field("call", &self.call.id).finish()
    }
}

impl Meter {
    /// Starts the writer task on the current runtime; it ends when the
    /// last clone of the application is dropped.
    pub(crate) fn start(store: Store) -> Self {
        let (queue, jobs) = mpsc::channel(4 * BATCH);
        tokio::spawn(write_batches(store, jobs));
        Self { queue }
    }

    async fn submit(&self, call: ProductCallRow, index: AuditIndexRow) -> Result<(), AppError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send(Job { call, index, done })
            .await
            .map_err(|_| AppError::Unavailable)?;
        match answer.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "metering commit failed");
                Err(AppError::Unavailable)
            }
            Err(_) => Err(AppError::Unavailable),
        }
    }
}

async fn write_batches(store: Store, mut jobs: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(BATCH);
    while jobs.recv_many(&mut batch, BATCH).await > 0 {
        let result = write(&store, &batch).await.map_err(|e| e.to_string());
        for job in batch.drain(..) {
            // A caller that went away (client disconnected) still had its
            // call metered and audited; nothing to tell it.
            let _ = job.done.send(result.clone());
        }
    }
}

async fn write(store: &Store, batch: &[Job]) -> Result<(), gongshu_store::StoreError> {
    let calls: Vec<ProductCallRow> = batch.iter().map(|j| j.call.clone()).collect();
    let index: Vec<AuditIndexRow> = batch.iter().map(|j| j.index.clone()).collect();
    let mut tx = store.begin().await?;
    let written = async {
        tx.insert_product_calls(&calls).await?;
        tx.insert_audit_indexes(&index).await
    }
    .await;
    match written {
        Ok(()) => tx.commit().await,
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    }
}

/// Appends the call's audit record durably, then meters and indexes it in
/// the next group commit. Nothing may be delivered unless this succeeds.
///
/// # Errors
/// [`AppError::AuditUnavailable`] when the record cannot be appended
/// (nothing written); [`AppError::Unavailable`] when the metering commit
/// fails (the record is then answered by `audit.unconfirmed`).
pub(crate) async fn meter_call(
    app: &App,
    event: AuditEvent,
    call: ProductCallRow,
) -> Result<AuditRef, AppError> {
    let (index, at) = audit::append(app.ledger(), &event).await?;
    let row = audit::index_row(index, at, &event);
    if let Err(e) = app.meter().submit(call, row).await {
        let comp = audit::unconfirmed_event(index, "commit_failed");
        if let Err(ce) = app.record(comp).await {
            tracing::error!(error = %ce, index, "could not record the failed metering commit");
        }
        return Err(e);
    }
    Ok(AuditRef { index })
}
