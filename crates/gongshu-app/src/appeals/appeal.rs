//! Appeals (申诉, S-2.5b): a participant appeals a decision that affected
//! it; an approver of the implementing agency upholds or overturns it.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::appeal::{
    APPEAL_RULE, AppealCommand, AppealError, AppealLimits, AppealStatus, AppealSubjectKind,
    check_appeal_in_time,
};
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::review::{ReviewKind, ReviewStatus, ReviewText};
use gongshu_domain::{OrgId, OrgKind, Role, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::AppealRow;
use serde::{Deserialize, Serialize};

use super::{calendar, code, deny, refused, supervises, text, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `file_appeal`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAppeal {
    /// `market_entry`, `data_use` or `egress`.
    pub subject_kind: String,
    /// Id of the item decided.
    pub subject_id: String,
    /// Date of the decision; taken from the record for market entries,
    /// required for the others.
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
    /// Grounds (申诉理由).
    pub grounds: String,
}

/// Input of `decide_appeal`.
#[derive(Debug, Clone, Deserialize)]
pub struct DecideAppeal {
    /// `upheld` (original decision stands) or `overturned`.
    pub outcome: String,
    /// Reasons (required).
    #[serde(default)]
    pub reasons: Option<String>,
}

/// An appeal as shown.
#[derive(Debug, Clone, Serialize)]
pub struct AppealView {
    /// Id.
    pub id: String,
    /// Appellant organisation.
    pub appellant_org: String,
    /// Filing user.
    pub filed_by: String,
    /// When filed.
    pub filed_at: DateTime<Utc>,
    /// Subject kind code.
    pub subject_kind: String,
    /// Subject kind in Chinese.
    pub subject_kind_label: String,
    /// Subject id.
    pub subject_id: String,
    /// Whether the subject was checked to be an adverse decision on the
    /// appellant (false while the workflow of that kind is not available;
    /// then recorded as given).
    pub subject_checked: bool,
    /// Decision date.
    pub decided_on: NaiveDate,
    /// Last day to appeal.
    pub filing_deadline: NaiveDate,
    /// Grounds.
    pub grounds: String,
    /// Handling deadline of the agency.
    pub due_on: Option<NaiveDate>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Reasons of the decision.
    pub reasons: Option<String>,
    /// Deciding user.
    pub decided_by: Option<String>,
    /// When decided.
    pub decided_at: Option<DateTime<Utc>>,
    /// Version.
    pub version: i64,
}

fn view(r: AppealRow) -> AppealView {
    let kind = r.subject_kind.parse::<AppealSubjectKind>().ok();
    let status = r.status.parse::<AppealStatus>().ok();
    AppealView {
        subject_kind_label: kind.map(|k| k.label_zh().to_owned()).unwrap_or_default(),
        status_label: status.map(|s| s.label_zh().to_owned()).unwrap_or_default(),
        id: r.id,
        appellant_org: r.appellant_org,
        filed_by: r.filed_by,
        filed_at: r.filed_at,
        subject_kind: r.subject_kind,
        subject_id: r.subject_id,
        subject_checked: r.subject_checked == 1,
        decided_on: r.decided_on,
        filing_deadline: r.filing_deadline,
        grounds: r.grounds,
        due_on: r.due_on,
        status: r.status,
        reasons: r.reasons,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        version: r.version,
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

async fn agency_ids(app: &App) -> Result<Vec<OrgId>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let orgs = tx.list_organisations().await?;
    tx.commit().await?;
    Ok(orgs
        .iter()
        .filter(|o| o.kind == OrgKind::ImplementingAgency.as_str())
        .filter_map(|o| OrgId::parse(&o.id).ok())
        .collect())
}

fn resource(
    id: &str,
    appellant: &str,
    filed_by: &str,
    agencies: Vec<OrgId>,
) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("appeal/{id}"),
        applicant_org: OrgId::parse(appellant).map_err(internal)?,
        submitted_by: UserId::parse(filed_by).map_err(internal)?,
        parties: agencies,
    })
}

/// Files an appeal (提出申诉). Only a participant, only against an adverse
/// decision on itself, only within the time limit after the decision.
pub async fn file_appeal(
    app: &App,
    actor: &Actor,
    input: &NewAppeal,
) -> Result<AppealView, AppError> {
    file_appeal_with(app, actor, input, &AppealLimits::default()).await
}

/// [`file_appeal`] with the given limits.
pub async fn file_appeal_with(
    app: &App,
    actor: &Actor,
    input: &NewAppeal,
    limits: &AppealLimits,
) -> Result<AppealView, AppError> {
    let mut errors = Vec::new();
    let kind = code::<AppealSubjectKind>(&mut errors, "subject_kind", &input.subject_kind);
    let subject_id = text(
        &mut errors,
        "subject_id",
        &input.subject_id,
        ReviewText::SHORT,
    );
    let grounds = text(&mut errors, "grounds", &input.grounds, ReviewText::LONG);
    if kind == Some(AppealSubjectKind::DataUse) && input.decided_on.is_none() {
        errors.push(FieldError::new(
            "decided_on",
            "appeal.decided_on_required",
            format!("须填写原决定的作出日期（{APPEAL_RULE}）"),
        ));
    }
    let (Some(kind), Some(subject_id), Some(grounds), true) =
        (kind, subject_id, grounds, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let id = new_id();
    let agencies = agency_ids(app).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(&id, &actor.org_id, &actor.user_id, agencies)?,
        )
        .await?;
    if actor.org_kind != OrgKind::Participant {
        return Err(refused(&AppealError::NotParticipant));
    }
    // The decision appealed against: a market entry is read from the joint
    // reviews, an egress decision from the release requests; data-use
    // decisions are recorded as given until that workflow can be looked up.
    let (decided_on, checked) = match kind {
        AppealSubjectKind::MarketEntry => {
            let mut tx = app.store().begin_read().await?;
            let review = tx.get_joint_review(&subject_id).await?;
            tx.commit().await?;
            let Some(review) = review.filter(|r| r.kind == ReviewKind::MarketEntry.as_str()) else {
                return Err(AppError::Validation(vec![FieldError::new(
                    "subject_id",
                    "appeal.subject_not_found",
                    format!("未找到该平台准入申请（{APPEAL_RULE}）"),
                )]));
            };
            if review.applicant_org != actor.org_id {
                return Err(refused(&AppealError::NotAffected));
            }
            match (review.status.as_str(), review.closed_at) {
                (s, Some(at)) if s == ReviewStatus::Rejected.as_str() => {
                    (crate::inbox::shanghai_today(at), true)
                }
                _ => return Err(refused(&AppealError::NotAdverse)),
            }
        }
        AppealSubjectKind::Egress => {
            let mut tx = app.store().begin_read().await?;
            let release = tx.get_release_request(&subject_id).await?;
            tx.commit().await?;
            let Some(release) = release else {
                return Err(AppError::Validation(vec![FieldError::new(
                    "subject_id",
                    "appeal.subject_not_found",
                    format!("未找到该出域申请（{APPEAL_RULE}）"),
                )]));
            };
            if release.requester_org != actor.org_id {
                return Err(refused(&AppealError::NotAffected));
            }
            match release.closed_at {
                Some(at) if release.status == "rejected" => {
                    (crate::inbox::shanghai_today(at), true)
                }
                _ => return Err(refused(&AppealError::NotAdverse)),
            }
        }
        AppealSubjectKind::DataUse => (
            input.decided_on.ok_or(AppError::Validation(Vec::new()))?,
            false,
        ),
    };
    let cal = calendar()?;
    let filed_on = today(app);
    let deadline =
        check_appeal_in_time(&cal, decided_on, filed_on, limits).map_err(|e| refused(&e))?;
    let due_on = due_in_working_days(&cal, filed_on, limits.handling_working_days).ok();
    let row = AppealRow {
        id: id.clone(),
        appellant_org: actor.org_id.clone(),
        filed_by: actor.user_id.clone(),
        filed_at: app.clock().now(),
        subject_kind: kind.as_str().to_owned(),
        subject_id,
        subject_checked: i64::from(checked),
        decided_on,
        filing_deadline: deadline,
        grounds,
        due_on,
        status: AppealStatus::Submitted.as_str().to_owned(),
        reasons: None,
        decided_by: None,
        decided_at: None,
        version: 1,
    };
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_appeal(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    let event = AuditEvent::new("appeal.filed")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("appeal", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": APPEAL_RULE,
            "subject_kind": kind.as_str(),
            "subject_id": row.subject_id,
            "subject_checked": checked,
            "decided_on": decided_on,
            "filing_deadline": deadline,
            "due_on": due_on,
        }));
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

async fn load(app: &App, id: &str) -> Result<AppealRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_appeal(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound { what: "appeal" })
}

/// Applies `command` to appeal `id` in a write transaction with
/// compare-and-set, and appends `action`'s record.
async fn transition(
    app: &App,
    actor: &Actor,
    id: &str,
    command: AppealCommand,
    reasons: Option<String>,
    decided: Vec<String>,
    action: &'static str,
) -> Result<AppealView, AppError> {
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut row = tx
            .get_appeal(id)
            .await?
            .ok_or(AppError::NotFound { what: "appeal" })?;
        let from = row.status.parse::<AppealStatus>().map_err(internal)?;
        let to = from
            .apply(command)
            .map_err(|t| refused(&AppealError::Transition(t)))?;
        let expected = row.version;
        row.status = to.as_str().to_owned();
        if command != AppealCommand::Withdraw {
            row.reasons = reasons.clone();
            row.decided_by = Some(actor.user_id.clone());
            row.decided_at = Some(now);
        }
        tx.update_appeal(&row, expected).await?;
        row.version = expected + 1;
        Ok::<_, AppError>(row)
    }
    .await;
    let row = match result {
        Ok(r) => r,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let event = AuditEvent::new(action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("appeal", id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": APPEAL_RULE,
            "status": row.status,
            "reasons": reasons,
            "appellant_org": row.appellant_org,
        }));
    change.audit(event).await?.commit().await?;
    Ok(view(row))
}

/// An approver of the implementing agency decides an appeal (处理申诉):
/// the original decision is upheld or overturned, with reasons.
pub async fn decide_appeal(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecideAppeal,
) -> Result<AppealView, AppError> {
    let mut errors = Vec::new();
    let command = match input.outcome.trim() {
        "upheld" => Some(AppealCommand::Uphold),
        "overturned" => Some(AppealCommand::Overturn),
        _ => {
            errors.push(FieldError::new(
                "outcome",
                "appeal.unknown_outcome",
                format!(
                    "处理结论须为维持原决定（upheld）或撤销原决定（overturned）（{APPEAL_RULE}）"
                ),
            ));
            None
        }
    };
    let reasons = text(
        &mut errors,
        "reasons",
        input.reasons.as_deref().unwrap_or_default(),
        ReviewText::LONG,
    );
    let (Some(command), Some(reasons), true) = (command, reasons, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let row = load(app, id).await?;
    let agencies = agency_ids(app).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowApprove,
            &resource(id, &row.appellant_org, &row.filed_by, agencies)?,
        )
        .await?;
    // The policies let approvers of the data bureau approve workflows too;
    // an appeal goes to the implementing agency (S-2.5b).
    let rule_error = if actor.org_id == row.appellant_org {
        Some(AppealError::AppellantDecides)
    } else if actor.org_kind != OrgKind::ImplementingAgency
        || !actor.roles.contains(&Role::Approver)
    {
        Some(AppealError::NotAgencyApprover)
    } else {
        None
    };
    if let Some(e) = rule_error {
        return Err(deny(app, actor, Action::WorkflowApprove, ("appeal", id), &e).await);
    }
    transition(
        app,
        actor,
        id,
        command,
        Some(reasons),
        decided,
        "appeal.decided",
    )
    .await
}

/// The appellant withdraws its appeal before the decision (撤回申诉).
pub async fn withdraw_appeal(app: &App, actor: &Actor, id: &str) -> Result<AppealView, AppError> {
    let row = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &resource(id, &row.appellant_org, &row.filed_by, Vec::new())?,
        )
        .await?;
    if actor.org_id != row.appellant_org {
        return Err(refused(&AppealError::NotAppellant));
    }
    transition(
        app,
        actor,
        id,
        AppealCommand::Withdraw,
        None,
        decided,
        "appeal.withdrawn",
    )
    .await
}

fn visible(actor: &Actor, row: &AppealRow) -> bool {
    supervises(actor) || row.appellant_org == actor.org_id
}

/// One appeal, for the appellant and the supervisors.
pub async fn get_appeal(app: &App, actor: &Actor, id: &str) -> Result<AppealView, AppError> {
    let row = load(app, id).await?;
    if !visible(actor, &row) {
        return Err(AppError::NotFound { what: "appeal" });
    }
    Ok(view(row))
}

/// The appeals the actor may see, oldest first.
pub async fn list_appeals(app: &App, actor: &Actor) -> Result<Vec<AppealView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_appeals().await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .filter(|r| visible(actor, r))
        .map(view)
        .collect())
}
