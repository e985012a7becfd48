//! One party's decision on a joint review, and what an approval sets off
//! (grants for a data demand; follow-up records for every outcome).

use gongshu_domain::review::{ReviewError, ReviewKind, ReviewStatus, ReviewText, Verdict};
use gongshu_domain::{OrgId, UserId};
use gongshu_policy::Action;
use gongshu_store::ReviewDecisionRow;

use super::{DecisionInput, data_demand, deny, follow_up, load, review_error};
use crate::error::AppError;
use crate::{Actor, App, AuditEvent};

/// Records one party's decision on a review of `kind` (审核).
///
/// Returns the reloaded item's review and, for an approved data demand,
/// the grants created. Concurrent decisions for the same party: exactly
/// one wins, the other gets `Duplicate` (409).
pub(crate) async fn decide(
    app: &App,
    actor: &Actor,
    kind: ReviewKind,
    id: &str,
    input: &DecisionInput,
) -> Result<(), AppError> {
    let rule = kind.rule();
    let verdict = Verdict::parse(&input.verdict, input.reason.as_deref(), rule)
        .map_err(|e| review_error(&e))?;
    let loaded = {
        let mut tx = app.store().begin_read().await?;
        let l = load(&mut tx, kind, id).await;
        tx.commit().await?;
        l?
    };
    let decided = app
        .authorize(actor, Action::WorkflowApprove, &loaded.resource()?)
        .await?;
    let org = OrgId::parse(&actor.org_id).map_err(|e| AppError::Internal(e.to_string()))?;
    let by = UserId::parse(&actor.user_id).map_err(|e| AppError::Internal(e.to_string()))?;
    let now = app.clock().now();
    // Domain checks before writing, so that a refusal by rule is audited
    // like a policy denial (the write transaction below re-checks).
    if let Err(e) = loaded.review.clone().decide(org, by, verdict.clone(), now) {
        return Err(match e {
            ReviewError::NotAParty { .. } | ReviewError::ApplicantDecides { .. } => {
                deny(app, actor, Action::WorkflowApprove, (kind.as_str(), id), &e).await
            }
            other => review_error(&other),
        });
    }

    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut fresh = load(tx, kind, id).await?;
        let status = fresh
            .review
            .decide(org, by, verdict.clone(), now)
            .map_err(|e| review_error(&e))?;
        tx.insert_review_decision(&ReviewDecisionRow {
            review_id: id.to_owned(),
            party_org: actor.org_id.clone(),
            decided_by: actor.user_id.clone(),
            verdict: verdict.as_str().to_owned(),
            reason: verdict.reason().map(|r| r.as_str().to_owned()),
            decided_at: now,
        })
        .await?;
        let mut row = fresh.row.clone();
        row.status = status.as_str().to_owned();
        if status.is_final() {
            row.closed_at = Some(now);
        }
        tx.update_joint_review(&row, fresh.row.version).await?;
        let grants = if kind == ReviewKind::DataDemand && status == ReviewStatus::Approved {
            data_demand::create_grants(tx, app, id, &fresh.row.applicant_org).await?
        } else {
            Vec::new()
        };
        fresh.row = row;
        Ok::<_, AppError>((status, grants, fresh.review.pending_parties().len()))
    }
    .await;
    let (status, grants, pending) = match result {
        Ok(v) => v,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let event = AuditEvent::new("review.decided")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(kind.as_str(), id)
        .decided_by(decided.clone())
        .details(serde_json::json!({
            "rule": rule,
            "party": actor.org_id,
            "verdict": verdict.as_str(),
            "reason": verdict.reason().map(ReviewText::as_str),
            "status": status.as_str(),
            "pending_parties": pending,
            "grants": grants.iter().map(|g| &g.id).collect::<Vec<_>>(),
        }));
    change.audit(event).await?.commit().await?;

    if status.is_final() {
        let action = match (kind, status) {
            (ReviewKind::DataDemand, ReviewStatus::Approved) => "data_demand.approved",
            (ReviewKind::DataDemand, _) => "data_demand.rejected",
            (ReviewKind::MarketEntry, ReviewStatus::Approved) => "market_entry.approved",
            (ReviewKind::MarketEntry, _) => "market_entry.rejected",
        };
        follow_up(
            app,
            AuditEvent::new(action)
                .actor(&actor.user_id, &actor.org_id, actor.role_codes())
                .target(kind.as_str(), id)
                .decided_by(decided.clone())
                .details(serde_json::json!({ "rule": rule, "status": status.as_str() })),
        )
        .await;
    }
    for g in &grants {
        let mut event = AuditEvent::new("grant.created")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .target("data_grant", &g.id)
            .decided_by(decided.clone())
            .details(serde_json::json!({
                "rule": rule,
                "grantee_org": g.grantee_org,
                "dataset_id": g.dataset_id,
                "columns": g.columns,
                "valid_from": g.valid_from,
                "valid_until": g.valid_until,
                "source_demand": g.source_demand,
            }));
        event.dataset = Some(g.dataset_id.clone());
        follow_up(app, event).await;
    }
    Ok(())
}
