//! A product version's review: the implementing agency approves, the
//! sector regulator of the product's sector and the data bureau review
//! compliance (S-3.3.4-3, S-6.1). Every party decides once per submission
//! round; one rejection returns the version to draft with its reason, the
//! last approval approves it.

use gongshu_domain::product::{ProductCommand, ProductError, ProductStatus};
use gongshu_domain::{OrgId, OrgKind, Sector};
use gongshu_policy::Action;
use gongshu_store::{ProductDecisionRow, ProductPartyRow, ProductRow};
use serde::Deserialize;

use super::{KIND, ProductView, get_product, latest, product_error, resource, status};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

/// Rule of the review.
const RULE: &str = "S-3.3.4-3";

/// One party's decision.
#[derive(Debug, Clone, Deserialize)]
pub struct ProductDecision {
    /// `approve` or `reject`.
    pub verdict: String,
    /// Required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// The required parties of `row`'s review.
pub(super) async fn parties(app: &App, row: &ProductRow) -> Result<Vec<ProductPartyRow>, AppError> {
    let orgs = {
        let mut tx = app.store().begin_read().await?;
        let o = tx.list_organisations().await?;
        tx.commit().await?;
        o
    };
    let sector = row.sector.parse::<Sector>().ok();
    let agency = crate::reviews::unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let regulator = crate::reviews::unique_org(&orgs, OrgKind::SectorRegulator, sector, RULE)?;
    let bureau = crate::reviews::unique_org(&orgs, OrgKind::DataBureau, None, RULE)?;
    Ok([
        (agency, "approval"),
        (regulator, "compliance"),
        (bureau, "compliance"),
    ]
    .into_iter()
    .zip(0..)
    .map(|((org, role), position)| ProductPartyRow {
        product_id: row.id.clone(),
        version: row.version,
        party_org: org.id.clone(),
        role: role.to_owned(),
        position,
    })
    .collect())
}

fn org_ids(parties: &[ProductPartyRow]) -> Result<Vec<OrgId>, AppError> {
    parties
        .iter()
        .map(|p| OrgId::parse(&p.party_org).map_err(super::internal))
        .collect()
}

/// Records the caller's organisation's decision on the version in review.
///
/// # Errors
/// 422 for a bad verdict or a rejection without reason; 403 for anyone
/// not a party; 409 when nothing is in review or the party decided already.
pub async fn decide_product(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ProductDecision,
) -> Result<ProductView, AppError> {
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let approve = match (input.verdict.as_str(), reason) {
        ("approve", _) => true,
        ("reject", Some(r)) if r.chars().count() <= 1000 => false,
        ("reject", _) => {
            return Err(AppError::Validation(vec![FieldError::new(
                "reason",
                "product.reason_required",
                format!("驳回须写明理由（不超过 1000 字，{RULE}）"),
            )]));
        }
        _ => {
            return Err(AppError::Validation(vec![FieldError::new(
                "verdict",
                "product.verdict_invalid",
                "审核意见须为 approve（同意）或 reject（驳回）",
            )]));
        }
    };
    let (current, parties, decisions) = {
        let mut tx = app.store().begin_read().await?;
        let c = latest(&mut tx, id).await;
        let (p, d) = match &c {
            Ok(c) => (
                tx.list_product_parties(id, c.version).await?,
                tx.list_product_decisions(id, c.version).await?,
            ),
            Err(_) => (Vec::new(), Vec::new()),
        };
        tx.commit().await?;
        (c?, p, d)
    };
    let decided = app
        .authorize(
            actor,
            Action::WorkflowApprove,
            &resource(&current, org_ids(&parties)?)?,
        )
        .await?;
    if !parties.iter().any(|p| p.party_org == actor.org_id) {
        let e = AuditEvent::new("authz.denied")
            .actor(&actor.user_id, &actor.org_id, actor.role_codes())
            .target(KIND, id)
            .outcome("denied")
            .details(serde_json::json!({ "action": "workflow.approve", "rule": RULE }));
        app.record(e).await?;
        return Err(AppError::Denied {
            code: "product.not_a_party",
            message: format!("本机构不是该产品的审核方（{RULE}）"),
        });
    }
    let from = status(&current)?;
    if from != ProductStatus::InReview {
        return Err(product_error(&ProductError::Transition {
            from,
            command: ProductCommand::Approve,
        }));
    }
    let round = current.review_round;
    let this_round: Vec<&ProductDecisionRow> =
        decisions.iter().filter(|d| d.round == round).collect();
    if this_round.iter().any(|d| d.party_org == actor.org_id) {
        return Err(AppError::Duplicate {
            what: "product_decision".into(),
        });
    }
    let approvals = this_round.iter().filter(|d| d.verdict == "approve").count() + 1;
    let next = if !approve {
        Some(ProductCommand::Reject)
    } else if approvals == parties.len() {
        Some(ProductCommand::Approve)
    } else {
        None
    };
    let now = app.clock().now();
    let mut row = current.clone();
    if let Some(c) = next {
        row.status = from
            .apply(c)
            .map_err(|e| product_error(&e))?
            .as_str()
            .to_owned();
    }
    row.updated_at = now;
    let decision = ProductDecisionRow {
        product_id: id.to_owned(),
        version: current.version,
        round,
        party_org: actor.org_id.clone(),
        decided_by: actor.user_id.clone(),
        verdict: input.verdict.clone(),
        reason: reason.map(str::to_owned),
        decided_at: now,
    };
    let ev = AuditEvent::new("product.decided")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, id)
        .decided_by(decided)
        .details(serde_json::json!({
            "version": current.version, "round": round, "verdict": input.verdict,
            "reason": reason, "status": row.status,
        }));
    // The update bumps the revision even without a status change, so two
    // parties deciding at once serialise (one retries on conflict).
    super::save(app, &row, Some(current.revision), ev, async |tx| {
        tx.insert_product_decision(&decision).await?;
        Ok(())
    })
    .await?;
    get_product(app, actor, id).await
}
