//! Loading, viewing and error mapping shared by the data-use application
//! and import use cases.

use chrono::NaiveDate;
use gongshu_domain::review::{Decision, PartyRole, ReviewParty, ReviewText, Verdict};
use gongshu_domain::use_application::{UseApplicationError, UseReview, UseStatus};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{
    StoreTx, UseApplicationDecisionRow, UseApplicationPartyRow, UseApplicationRow,
};

use crate::error::{AppError, FieldError};
use crate::reviews::{DecisionView, PartyView, ReviewView};
use crate::{Actor, App, AuditEvent};

/// One loaded application: rows and the domain aggregate.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    pub(super) row: UseApplicationRow,
    pub(super) parties: Vec<UseApplicationPartyRow>,
    pub(super) decisions: Vec<UseApplicationDecisionRow>,
    pub(super) review: UseReview,
}

fn bad(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("stored {what}: {e}"))
}

pub(super) fn org_id(raw: &str) -> Result<OrgId, AppError> {
    OrgId::parse(raw).map_err(|e| bad("org id", e))
}

pub(super) fn user_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse(raw).map_err(|e| bad("user id", e))
}

pub(super) fn actor_ids(actor: &Actor) -> Result<(OrgId, UserId), AppError> {
    Ok((org_id(&actor.org_id)?, user_id(&actor.user_id)?))
}

pub(super) fn position(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

pub(super) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

pub(super) fn parse_date(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| {
            errors.push(FieldError::new(
                field,
                "date.invalid",
                "日期格式应为 YYYY-MM-DD",
            ))
        })
        .ok()
}

fn split_roles(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Loads an application with its parties and decisions.
pub(super) async fn load(tx: &mut StoreTx, id: &str) -> Result<Loaded, AppError> {
    let row = tx
        .get_use_application(id)
        .await?
        .ok_or(AppError::NotFound {
            what: "use_application",
        })?;
    let parties = tx.list_use_application_parties(id).await?;
    let decisions = tx.list_use_application_decisions(id).await?;
    let mut party_list = Vec::new();
    for p in &parties {
        let roles = split_roles(&p.roles)
            .iter()
            .map(|r| r.parse::<PartyRole>().map_err(|e| bad("party role", e)))
            .collect::<Result<Vec<_>, _>>()?;
        party_list.push(ReviewParty {
            org: org_id(&p.party_org)?,
            roles,
        });
    }
    let mut decision_list = Vec::new();
    for d in &decisions {
        let reason = d
            .reason
            .as_deref()
            .map(|r| ReviewText::parse(r, ReviewText::LONG))
            .transpose()
            .map_err(|e| bad("reason", e))?;
        let verdict = match (d.verdict.as_str(), reason) {
            ("approve", reason) => Verdict::Approve(reason),
            ("reject", Some(reason)) => Verdict::Reject(reason),
            (other, _) => return Err(bad("verdict", other)),
        };
        decision_list.push(Decision {
            party: org_id(&d.party_org)?,
            by: user_id(&d.decided_by)?,
            verdict,
            at: d.decided_at,
        });
    }
    let status = row
        .status
        .parse::<UseStatus>()
        .map_err(|e| bad("status", e))?;
    let review = UseReview::restore(
        org_id(&row.applicant_org)?,
        user_id(&row.submitted_by)?,
        &party_list,
        decision_list,
        status,
    )
    .map_err(|e| bad("use application", e))?;
    Ok(Loaded {
        row,
        parties,
        decisions,
        review,
    })
}

impl Loaded {
    /// The review as shown, in the joint reviews' shape.
    pub(super) fn view(&self) -> ReviewView {
        let parties = self
            .parties
            .iter()
            .map(|p| {
                let roles = split_roles(&p.roles);
                let role_labels = roles
                    .iter()
                    .filter_map(|r| r.parse::<PartyRole>().ok())
                    .map(|r| r.label_zh().to_owned())
                    .collect();
                let decision = self
                    .decisions
                    .iter()
                    .find(|d| d.party_org == p.party_org)
                    .map(|d| DecisionView {
                        verdict: d.verdict.clone(),
                        reason: d.reason.clone(),
                        decided_by: d.decided_by.clone(),
                        decided_at: d.decided_at,
                    });
                PartyView {
                    org_id: p.party_org.clone(),
                    roles,
                    role_labels,
                    decision,
                }
            })
            .collect();
        ReviewView {
            status: self.row.status.clone(),
            status_label: self.review.status().label_zh().to_owned(),
            applicant_org: self.row.applicant_org.clone(),
            submitted_by: self.row.submitted_by.clone(),
            submitted_at: self.row.submitted_at,
            co_signer_org: None,
            co_signed_by: None,
            co_signed_at: None,
            closed_at: self.row.closed_at,
            parties,
            rejection_reasons: self
                .review
                .rejection_reasons()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            version: self.row.version,
        }
    }

    /// The applicant, the parties and the supervising agency and bureau.
    pub(super) fn visible_to(&self, actor: &Actor) -> bool {
        matches!(
            actor.org_kind,
            OrgKind::ImplementingAgency | OrgKind::DataBureau
        ) || self.row.applicant_org == actor.org_id
            || self.parties.iter().any(|p| p.party_org == actor.org_id)
    }

    /// The policy resource.
    pub(super) fn resource(&self) -> Resource {
        Resource::Workflow {
            id: format!("use_application/{}", self.row.id),
            applicant_org: self.review.applicant_org(),
            submitted_by: self.review.submitted_by(),
            parties: self.review.parties().iter().map(|p| p.org).collect(),
        }
    }
}

/// Maps a domain refusal to the error clients act on.
pub(super) fn use_error(e: &UseApplicationError) -> AppError {
    match e {
        UseApplicationError::AlreadyDecided { .. } => AppError::Duplicate {
            what: "use_application_decisions.party".into(),
        },
        UseApplicationError::NotAParty { .. } | UseApplicationError::ApplicantDecides => {
            AppError::Forbidden {
                action: Action::WorkflowApprove.as_str().to_owned(),
                policy_ids: vec![e.code().to_owned()],
            }
        }
        UseApplicationError::ApplicantAsParty { .. } | UseApplicationError::NoParties => {
            AppError::Validation(vec![FieldError::new("parties", e.code(), e.message_zh())])
        }
        _ => AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        },
    }
}

/// Refuses an action the policies allowed but a rule forbids (the second
/// line of separation of duties); audited like a policy denial.
pub(super) async fn deny(
    app: &App,
    actor: &Actor,
    action: Action,
    target: (&'static str, &str),
    code: &'static str,
    message: &str,
) -> AppError {
    let event = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(target.0, target.1)
        .outcome("denied")
        .details(serde_json::json!({
            "action": action.as_str(),
            "rule": code,
            "message": message,
        }));
    if let Err(err) = app.record(event).await {
        return err;
    }
    AppError::Forbidden {
        action: action.as_str().to_owned(),
        policy_ids: vec![code.to_owned()],
    }
}

/// Appends follow-up records after a committed change, as the actor and
/// with the policies that allowed it; a failure is logged, not returned.
pub(super) struct Follow<'a> {
    pub(super) app: &'a App,
    pub(super) actor: &'a Actor,
    pub(super) decided: &'a [String],
}

impl Follow<'_> {
    pub(super) async fn send(&self, event: AuditEvent, dataset: Option<String>) {
        let mut event = event
            .actor(
                &self.actor.user_id,
                &self.actor.org_id,
                self.actor.role_codes(),
            )
            .decided_by(self.decided.to_vec());
        event.dataset = dataset;
        crate::reviews::follow_up(self.app, event).await;
    }
}
