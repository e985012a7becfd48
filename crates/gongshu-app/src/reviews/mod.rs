//! Use cases of the joint reviews (联合审核): data demands (数据需求申请,
//! S-4b) and secondary-market entries (二级市场准入, S-3.3.2a/b).
//!
//! Every command follows the project's order: parse → load (read
//! transaction) → `app.authorize` (Cedar: `workflow.submit` for the
//! applicant side, `workflow.approve` for a party's decision) → domain
//! checks on the loaded [`JointReview`] → write transaction: reload, apply
//! the domain command, write with compare-and-set on the review's version →
//! one audit record → commit.
//!
//! Audit action codes (stable): `data_demand.submitted`,
//! `data_demand.cosigned`, `market_entry.submitted`, `review.decided` (every
//! decision, with the outcome and the grants it created),
//! `market_entry.undertaking_signed`. A change carries exactly one record
//! (`audit::Change`), so the consequences of a committed decision or
//! signature are announced by follow-up records after the commit:
//! `data_demand.approved` / `data_demand.rejected`,
//! `market_entry.approved` / `market_entry.rejected`, `grant.created` (one
//! per grant, with its dataset, so an inspector can search by dataset) and
//! `market_entry.admitted`. Those follow-ups repeat what the transactional
//! record already holds; if one fails to append, the request still
//! succeeds and the failure is logged.

mod data_demand;
mod decision;
mod grant_revocation;
mod market_entry;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::deadline::{Obligation, due_in_working_days};
use gongshu_domain::review::{
    Decision, JointReview, PartyRole, ReviewError, ReviewKind, ReviewParty, ReviewStatus,
    ReviewText, Verdict,
};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, Sector, UserId, WorkingDayCalendar};
use gongshu_policy::{Action, Resource};
use gongshu_store::{JointReviewRow, OrganisationRow, ReviewDecisionRow, ReviewPartyRow, StoreTx};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

pub use data_demand::{
    DataDemandView, DatasetRequest, DatasetRequestView, GrantView, NewDataDemand,
    co_sign_data_demand, create_data_demand, decide_data_demand, get_data_demand,
    list_data_demands, list_grants,
};
pub(crate) use decision::decide;
pub use grant_revocation::revoke_grant;
pub use market_entry::{
    MarketEntryView, NewMarketEntry, SignUndertaking, UndertakingView, create_market_entry,
    decide_market_entry, get_market_entry, list_market_entries, sign_undertaking,
};

/// Working days a party has to decide a data demand: 10, the local
/// practice for reviewing a data-use (用数) application (REQUIREMENTS.md
/// §3.2, `[粤]` Art. 24). Not binding on Hebei; a default only.
pub const DATA_DEMAND_REVIEW_WORKING_DAYS: u32 = 10;

/// Working days a party has to decide a market entry: REQUIREMENTS.md §3.2
/// gives no number for entry reviews, so this is a local-practice default
/// of our own (15 working days), to be confirmed by the implementing agency.
pub const MARKET_ENTRY_REVIEW_WORKING_DAYS: u32 = 15;

/// Time limits of the joint reviews (configurable; defaults above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReviewLimits {
    /// Working days per party for a data demand, counted from co-signature.
    pub data_demand_working_days: u32,
    /// Working days per party for a market entry, counted from submission.
    pub market_entry_working_days: u32,
}

impl Default for ReviewLimits {
    fn default() -> Self {
        Self {
            data_demand_working_days: DATA_DEMAND_REVIEW_WORKING_DAYS,
            market_entry_working_days: MARKET_ENTRY_REVIEW_WORKING_DAYS,
        }
    }
}

/// Input of a decision (审核意见).
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionInput {
    /// `approve` or `reject`.
    pub verdict: String,
    /// Reason; required for `reject`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A party's decision as shown.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionView {
    /// `approve` or `reject`.
    pub verdict: String,
    /// Reason or opinion.
    pub reason: Option<String>,
    /// Deciding user.
    pub decided_by: String,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// A required party as shown.
#[derive(Debug, Clone, Serialize)]
pub struct PartyView {
    /// Organisation.
    pub org_id: String,
    /// Why it decides (`PartyRole` codes).
    pub roles: Vec<String>,
    /// The same in Chinese.
    pub role_labels: Vec<String>,
    /// Its decision, once made.
    pub decision: Option<DecisionView>,
}

/// The joint review of an item as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewView {
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Applicant organisation.
    pub applicant_org: String,
    /// Submitting user.
    pub submitted_by: String,
    /// When submitted.
    pub submitted_at: DateTime<Utc>,
    /// Required co-signer organisation.
    pub co_signer_org: Option<String>,
    /// Co-signing user.
    pub co_signed_by: Option<String>,
    /// When co-signed.
    pub co_signed_at: Option<DateTime<Utc>>,
    /// When it reached a final status.
    pub closed_at: Option<DateTime<Utc>>,
    /// Required parties with their decisions.
    pub parties: Vec<PartyView>,
    /// Reasons of rejections.
    pub rejection_reasons: Vec<String>,
    /// Version (for display; commands compare-and-set internally).
    pub version: i64,
}

/// One loaded review: rows and the domain aggregate.
#[derive(Debug, Clone)]
pub(crate) struct Loaded {
    pub(crate) row: JointReviewRow,
    pub(crate) parties: Vec<ReviewPartyRow>,
    pub(crate) decisions: Vec<ReviewDecisionRow>,
    pub(crate) review: JointReview,
}

impl Loaded {
    pub(crate) fn view(&self) -> ReviewView {
        let parties = self
            .parties
            .iter()
            .map(|p| {
                let roles: Vec<String> = split_roles(&p.roles);
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
            co_signer_org: self.row.co_signer_org.clone(),
            co_signed_by: self.row.co_signed_by.clone(),
            co_signed_at: self.row.co_signed_at,
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

    /// Whether `actor` may read the item: the applicant side, the parties,
    /// and the supervising implementing agency and data bureau.
    pub(crate) fn visible_to(&self, actor: &Actor) -> bool {
        matches!(
            actor.org_kind,
            OrgKind::ImplementingAgency | OrgKind::DataBureau
        ) || self.row.applicant_org == actor.org_id
            || self.row.co_signer_org.as_deref() == Some(actor.org_id.as_str())
            || self.parties.iter().any(|p| p.party_org == actor.org_id)
    }

    /// The policy resource of this item.
    pub(crate) fn resource(&self) -> Result<Resource, AppError> {
        Ok(Resource::Workflow {
            id: format!("{}/{}", self.row.kind, self.row.id),
            applicant_org: self.review.applicant_org(),
            submitted_by: self.review.submitted_by(),
            parties: self.review.parties().iter().map(|p| p.org).collect(),
        })
    }
}

fn split_roles(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn internal(what: &str) -> impl Fn(String) -> AppError + '_ {
    move |e| AppError::Internal(format!("{what}: {e}"))
}

pub(crate) fn org_id(raw: &str) -> Result<OrgId, AppError> {
    OrgId::parse(raw).map_err(|e| internal("stored org id")(e.to_string()))
}

pub(crate) fn user_id(raw: &str) -> Result<UserId, AppError> {
    UserId::parse(raw).map_err(|e| internal("stored user id")(e.to_string()))
}

/// Loads a review of `kind` with its parties and decisions.
pub(crate) async fn load(tx: &mut StoreTx, kind: ReviewKind, id: &str) -> Result<Loaded, AppError> {
    let row = tx
        .get_joint_review(id)
        .await?
        .filter(|r| r.kind == kind.as_str())
        .ok_or(AppError::NotFound {
            what: kind.as_str(),
        })?;
    let parties = tx.list_review_parties(id).await?;
    let decisions = tx.list_review_decisions(id).await?;
    let review = restore(kind, &row, &parties, &decisions)?;
    Ok(Loaded {
        row,
        parties,
        decisions,
        review,
    })
}

fn restore(
    kind: ReviewKind,
    row: &JointReviewRow,
    parties: &[ReviewPartyRow],
    decisions: &[ReviewDecisionRow],
) -> Result<JointReview, AppError> {
    let bad = internal("stored review");
    let mut party_list = Vec::new();
    for p in parties {
        let roles = split_roles(&p.roles)
            .iter()
            .map(|r| r.parse::<PartyRole>().map_err(|e| bad(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        party_list.push(ReviewParty {
            org: org_id(&p.party_org)?,
            roles,
        });
    }
    let mut decision_list = Vec::new();
    for d in decisions {
        let reason = d
            .reason
            .as_deref()
            .map(|r| ReviewText::parse(r, ReviewText::LONG))
            .transpose()
            .map_err(|e| bad(e.to_string()))?;
        let verdict = match (d.verdict.as_str(), reason) {
            ("approve", reason) => Verdict::Approve(reason),
            ("reject", Some(reason)) => Verdict::Reject(reason),
            (other, _) => return Err(bad(format!("verdict {other}"))),
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
        .parse::<ReviewStatus>()
        .map_err(|e| bad(e.to_string()))?;
    JointReview::restore(
        kind,
        org_id(&row.applicant_org)?,
        user_id(&row.submitted_by)?,
        row.co_signer_org.as_deref().map(org_id).transpose()?,
        row.co_signed_by.as_deref().map(user_id).transpose()?,
        party_list,
        decision_list,
        status,
    )
    .map_err(|e| bad(e.to_string()))
}

/// Maps a domain refusal to the application error clients act on.
pub(crate) fn review_error(e: &ReviewError) -> AppError {
    let field =
        |name: &str| AppError::Validation(vec![FieldError::new(name, e.code(), e.message_zh())]);
    match e {
        ReviewError::AlreadyDecided { .. } => AppError::Duplicate {
            what: "review_decisions.party".into(),
        },
        ReviewError::Transition { .. } | ReviewError::NotCoSigned { .. } => AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        },
        ReviewError::ReasonRequired { .. } | ReviewError::BadReason { .. } => field("reason"),
        ReviewError::UnknownVerdict { .. } => field("verdict"),
        ReviewError::NotAParty { .. } | ReviewError::ApplicantDecides { .. } => {
            AppError::Forbidden {
                action: Action::WorkflowApprove.as_str().to_owned(),
                policy_ids: vec![e.code().to_owned()],
            }
        }
        _ => field("parties"),
    }
}

/// Refuses an action the policies allowed but a domain rule forbids (the
/// second line of separation of duties); the refusal is audited like a
/// policy denial.
pub(crate) async fn deny(
    app: &App,
    actor: &Actor,
    action: Action,
    target: (&'static str, &str),
    e: &ReviewError,
) -> AppError {
    let event = AuditEvent::new("authz.denied")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(target.0, target.1)
        .outcome("denied")
        .details(serde_json::json!({
            "action": action.as_str(),
            "rule": e.code(),
            "message": e.message_zh(),
        }));
    if let Err(err) = app.record(event).await {
        return err;
    }
    AppError::Forbidden {
        action: action.as_str().to_owned(),
        policy_ids: vec![e.code().to_owned()],
    }
}

/// Appends a follow-up record after a committed change (see the module
/// docs); a failure is logged, not returned.
pub(crate) async fn follow_up(app: &App, event: AuditEvent) {
    let action = event.action;
    if let Err(e) = app.record(event).await {
        tracing::error!(error = %e, action, "could not append a follow-up audit record");
    }
}

/// The one organisation of `kind` (and `sector`), e.g. the county's
/// implementing agency or the sector regulator of transport.
pub(crate) fn unique_org<'a>(
    orgs: &'a [OrganisationRow],
    kind: OrgKind,
    sector: Option<Sector>,
    rule: &str,
) -> Result<&'a OrganisationRow, AppError> {
    let found: Vec<&OrganisationRow> = orgs
        .iter()
        .filter(|o| o.kind == kind.as_str())
        .filter(|o| sector.is_none_or(|s| o.sector.as_deref() == Some(s.as_str())))
        .collect();
    let what = match sector {
        Some(s) => format!("{}行业的{}", s.label_zh(), kind.label_zh()),
        None => kind.label_zh().to_owned(),
    };
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(AppError::Validation(vec![FieldError::new(
            "parties",
            "review.party_missing",
            format!("平台尚未登记{what}，无法组织联合审核（{rule}）"),
        )])),
        _ => Err(AppError::Validation(vec![FieldError::new(
            "parties",
            "review.party_ambiguous",
            format!("平台登记了多个{what}，无法确定审核方（{rule}）"),
        )])),
    }
}

/// A required text field, with a field error naming `field`.
pub(crate) fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: &str,
    max: usize,
) -> Option<ReviewText> {
    ReviewText::parse(raw, max)
        .map_err(|e| errors.push(FieldError::new(field, e.code(), e.message_zh())))
        .ok()
}

/// Open "review due" obligations of every pending party of every open joint
/// review, with the default limits. For the inbox.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    open_obligations_with(app, today, &ReviewLimits::default()).await
}

/// Open "review due" obligations with the given limits. The clock starts
/// when the item became reviewable: the co-signature for data demands, the
/// submission for market entries (counted in Asia/Shanghai days). An
/// obligation whose due date falls in a year whose official calendar is not
/// published yet is left out and logged, never guessed. `today` is taken
/// for the inbox's interface only: every open review is listed, dating the
/// obligations (due soon, overdue) is the inbox's job.
pub async fn open_obligations_with(
    app: &App,
    today: NaiveDate,
    limits: &ReviewLimits,
) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let calendar = WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_open_joint_reviews().await?;
    let mut out = Vec::new();
    for row in rows {
        let Ok(kind) = row.kind.parse::<ReviewKind>() else {
            continue;
        };
        let loaded = load(&mut tx, kind, &row.id).await?;
        let (started_at, days) = match kind {
            ReviewKind::DataDemand => match row.co_signed_at {
                Some(at) => (at, limits.data_demand_working_days),
                None => continue,
            },
            ReviewKind::MarketEntry => (row.submitted_at, limits.market_entry_working_days),
        };
        let started_on = crate::inbox::shanghai_today(started_at);
        let due_on = match due_in_working_days(&calendar, started_on, days) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, review.id = %row.id, "review deadline not computable");
                continue;
            }
        };
        for party in loaded.review.pending_parties() {
            out.push(Obligation {
                kind: format!("{}.review", kind.as_str()),
                title_zh: format!("{}待审核", kind.label_zh()),
                rule: kind.rule().to_owned(),
                subject_type: kind.as_str().to_owned(),
                subject_id: row.id.clone(),
                responsible_org: party.org.to_string(),
                started_on,
                due_on,
            });
        }
    }
    tx.commit().await?;
    Ok(out)
}
