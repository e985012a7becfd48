//! Expiry of agreements whose term has ended (到期, S-2.2a): one agreement
//! by an implementing-agency user, or every lapsed one by the daily job.

use chrono::NaiveDate;
use gongshu_policy::Action;
use gongshu_store::StoreTx;

use super::{
    AgreementView, commit_with, event, get_view, load, refused, reload, to_domain, today, workflow,
    write_back,
};
use crate::{Actor, App, AppError, AuditEvent};

/// Marks one signed or filed agreement expired after its last day
/// (`agreement.manage`); refused before (409 `agreement.term_not_ended`).
/// A pending revision lapses with it.
pub async fn expire(app: &App, actor: &Actor, id: &str) -> Result<AgreementView, AppError> {
    let seen = load(app, id).await?;
    let decided = app
        .authorize(actor, Action::AgreementManage, &workflow(&seen)?)
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let details = expire_in(tx, &seen, today, now).await?;
        Ok(event("agreement.expired", actor, id, decided).details(details))
    })
    .await?;
    get_view(app, id).await
}

async fn expire_in(
    tx: &mut StoreTx,
    seen: &gongshu_store::AgreementRow,
    today: NaiveDate,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, AppError> {
    let mut row = reload(tx, seen).await?;
    let pending = tx.get_pending_revision(&row.id).await?;
    let mut a = to_domain(&row, pending.as_ref())?;
    a.expire(today).map_err(|e| refused(&e))?;
    write_back(&mut row, &a)?;
    let lapsed = tx.delete_pending_revision(&row.id).await?;
    row.updated_at = now;
    tx.update_agreement(&row, seen.version).await?;
    Ok(serde_json::json!({
        "from_status": seen.status,
        "term_end": row.term_end,
        "expired_on": today,
        "pending_revision_lapsed": lapsed,
    }))
}

/// Expires every signed or filed agreement whose term ended before
/// `today`, each in its own audited change by the system (actor-less
/// record `agreement.expired`); for the server's daily job. Returns the
/// ids expired; one that changed concurrently is left for the next run.
pub async fn expire_lapsed(app: &App, today: NaiveDate) -> Result<Vec<String>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let active = tx.list_active_agreements().await?;
    tx.commit().await?;
    let now = app.clock().now();
    let mut done = Vec::new();
    for seen in active.into_iter().filter(|r| r.term_end < today) {
        let result = commit_with(app, async |tx: &mut StoreTx| {
            let details = expire_in(tx, &seen, today, now).await?;
            Ok(AuditEvent::new("agreement.expired")
                .target("agreement", &seen.id)
                .details(details))
        })
        .await;
        match result {
            Ok(()) => done.push(seen.id),
            Err(AppError::Conflict) => {
                tracing::info!(agreement.id = %seen.id, "changed concurrently; expiry left for the next run");
            }
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}
