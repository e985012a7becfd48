//! Revoking one data grant (撤销数据使用授权): the implementing agency ends
//! a single grant before its last day, with a reason, e.g. after an
//! inspection finding, without terminating the whole authorization. The
//! grantee's queries in flight end at once (SANDBOX-RULES R1.2).

use gongshu_policy::Action;

use super::data_demand::GrantView;
use crate::error::{AppError, FieldError};
use crate::evaluations::workflow_of;
use crate::{Actor, App, AuditEvent};

/// Longest reason accepted, in characters.
const MAX_REASON_CHARS: usize = 500;

/// Revokes grant `id` for `reason`.
///
/// # Errors
/// 422 without a reason, 404 for an unknown grant, 403 for anyone but the
/// implementing agency (audited), 409 `grant.already_revoked`.
pub async fn revoke_grant(
    app: &App,
    actor: &Actor,
    id: &str,
    reason: &str,
) -> Result<GrantView, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS {
        return Err(AppError::Validation(vec![FieldError::new(
            "reason",
            "grant.reason_invalid",
            format!("请填写撤销理由（1 至 {MAX_REASON_CHARS} 字）"),
        )]));
    }
    let grant = {
        let mut tx = app.store().begin_read().await?;
        let g = tx.get_data_grant(id).await?;
        tx.commit().await?;
        g.ok_or(AppError::NotFound { what: "grant" })?
    };
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow_of(
                "grant_revocation",
                &grant.id,
                &grant.grantee_org,
                &actor.user_id,
            )?,
        )
        .await?;
    let now = app.clock().now();
    let mut change = app.begin().await?;
    match change.tx().revoke_data_grant(&grant.id, now).await {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(AppError::Refused {
                code: "grant.already_revoked",
                message: "该数据使用授权已撤销（或随授权终止而失效）".into(),
            });
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    let ev = AuditEvent::new("grant.revoked")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .decided_by(decided)
        .details(serde_json::json!({
            "grant": grant.id,
            "grantee_org": grant.grantee_org,
            "dataset": grant.dataset_id,
            "reason": reason,
        }));
    change.audit(ev).await?.commit().await?;
    // After the commit: a query starting now already finds no grant.
    app.access_ends().end([grant.grantee_org.clone()]);
    let mut view = GrantView::from(grant);
    view.revoked_at = Some(now);
    Ok(view)
}
