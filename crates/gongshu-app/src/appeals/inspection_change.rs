//! Changes to an open inspection (S-3.3.2d): findings with a rule and a
//! rectification deadline, their rectification by the inspected
//! organisation and return by the bureau, closing (only with every finding
//! rectified), reopening, and flags of prohibited behaviour (S-3.3.4).
//! Each change is authorized, applied with compare-and-set on the
//! inspection's version and audited.

use chrono::NaiveDate;
use gongshu_domain::deadline::due_in_working_days;
use gongshu_domain::inspection::{
    FindingCommand, FindingSeverity, FindingStatus, INSPECTION_RULE, InspectionCommand,
    InspectionError, InspectionStatus, ProhibitedBehaviour, RECTIFICATION_WORKING_DAYS,
    check_close, parse_rule_id,
};
use gongshu_domain::review::ReviewText;
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{FindingRow, InspectionRow, OrgFlagRow, StoreTx};
use serde::Deserialize;

use super::inspection::{get_inspection, internal, resource};
use super::inspection_view::InspectionView;
use super::{calendar, code, refused, text, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of `add_finding`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewFinding {
    /// `minor`, `major` or `serious`.
    pub severity: String,
    /// Rule id of the seed, e.g. `S-3.3.4-2`.
    pub rule: String,
    /// What was found.
    pub description: String,
    /// Working days to rectify (1..=60).
    pub rectification_working_days: u32,
}

/// Input of `rectify_finding`.
#[derive(Debug, Clone, Deserialize)]
pub struct Rectification {
    /// Measures taken (整改措施).
    pub measures: String,
}

/// Input of `reopen_finding`: the bureau rejects a rectification.
#[derive(Debug, Clone, Deserialize)]
pub struct ReopenFinding {
    /// Why.
    pub reason: String,
    /// New working days to rectify (1..=60).
    pub rectification_working_days: u32,
}

/// Input of `close_inspection`.
#[derive(Debug, Clone, Deserialize)]
pub struct CloseInspection {
    /// Conclusion (检查结论).
    pub conclusion: String,
}

/// Input of `reopen_inspection`.
#[derive(Debug, Clone, Deserialize)]
pub struct ReopenInspection {
    /// Why.
    pub reason: String,
}

/// Input of `flag_behaviour`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewFlag {
    /// A `ProhibitedBehaviour` code or its rule id (`S-3.3.4-1`..`-4`).
    pub behaviour: String,
    /// The finding that shows it.
    pub finding_id: String,
    /// Note.
    pub note: String,
}

/// One change to an inspection, applied in the write transaction.
enum Op {
    AddFinding(FindingRow),
    Rectify {
        finding_id: String,
        measures: String,
    },
    ReopenFinding {
        finding_id: String,
        reason: String,
        days: u32,
    },
    Close {
        conclusion: String,
    },
    Reopen {
        reason: String,
    },
    Flag(OrgFlagRow),
}

fn days_field(errors: &mut Vec<FieldError>, days: u32) {
    if !RECTIFICATION_WORKING_DAYS.contains(&days) {
        errors.push(FieldError::new(
            "rectification_working_days",
            "inspection.rectification_days_out_of_range",
            format!(
                "整改期限须为 {} 至 {} 个工作日（{INSPECTION_RULE}）",
                RECTIFICATION_WORKING_DAYS.start(),
                RECTIFICATION_WORKING_DAYS.end()
            ),
        ));
    }
}

fn due(app: &App, days: u32) -> Result<NaiveDate, AppError> {
    due_in_working_days(&calendar()?, today(app), days).map_err(|_| {
        AppError::Validation(vec![FieldError::new(
            "rectification_working_days",
            "inspection.calendar_unpublished",
            format!("相应年度的法定节假日安排尚未发布，无法计算整改期限（{INSPECTION_RULE}）"),
        )])
    })
}

async fn finding(tx: &mut StoreTx, inspection_id: &str, id: &str) -> Result<FindingRow, AppError> {
    tx.list_findings(inspection_id)
        .await?
        .into_iter()
        .find(|f| f.id == id)
        .ok_or(AppError::NotFound { what: "finding" })
}

/// Applies `op` to inspection `row` (already reloaded in `tx`); returns
/// the audit details.
async fn apply(
    app: &App,
    actor: &Actor,
    tx: &mut StoreTx,
    row: &mut InspectionRow,
    op: Op,
) -> Result<serde_json::Value, AppError> {
    let now = app.clock().now();
    let status = row.status.parse::<InspectionStatus>().map_err(internal)?;
    let transition = |e| refused(&InspectionError::Transition(e));
    let details = match op {
        Op::AddFinding(f) => {
            if status != InspectionStatus::Open {
                return Err(refused(&InspectionError::InspectionClosed));
            }
            tx.insert_finding(&f).await?;
            serde_json::json!({ "finding_id": f.id, "severity": f.severity,
                "finding_rule": f.rule_id, "due_on": f.due_on, "responsible_org": row.inspected_org })
        }
        Op::Rectify {
            finding_id,
            measures,
        } => {
            let mut f = finding(tx, &row.id, &finding_id).await?;
            let from = f.status.parse::<FindingStatus>().map_err(internal)?;
            f.status = from
                .apply(FindingCommand::Rectify)
                .map_err(transition)?
                .as_str()
                .to_owned();
            f.rectification = Some(measures);
            f.rectified_by = Some(actor.user_id.clone());
            f.rectified_at = Some(now);
            tx.update_finding(&f, f.version).await?;
            serde_json::json!({ "finding_id": f.id })
        }
        Op::ReopenFinding {
            finding_id,
            reason,
            days,
        } => {
            if status != InspectionStatus::Open {
                return Err(refused(&InspectionError::InspectionClosed));
            }
            let mut f = finding(tx, &row.id, &finding_id).await?;
            let from = f.status.parse::<FindingStatus>().map_err(internal)?;
            f.status = from
                .apply(FindingCommand::Reopen)
                .map_err(transition)?
                .as_str()
                .to_owned();
            f.due_on = due(app, days)?;
            tx.update_finding(&f, f.version).await?;
            serde_json::json!({ "finding_id": f.id, "reason": reason, "due_on": f.due_on })
        }
        Op::Close { conclusion } => {
            let open = tx
                .list_findings(&row.id)
                .await?
                .iter()
                .filter(|f| f.status == FindingStatus::Open.as_str())
                .count();
            check_close(open).map_err(|e| refused(&e))?;
            row.status = status
                .apply(InspectionCommand::Close)
                .map_err(transition)?
                .as_str()
                .to_owned();
            row.conclusion = Some(conclusion.clone());
            row.closed_by = Some(actor.user_id.clone());
            row.closed_at = Some(now);
            serde_json::json!({ "conclusion": conclusion })
        }
        Op::Reopen { reason } => {
            row.status = status
                .apply(InspectionCommand::Reopen)
                .map_err(transition)?
                .as_str()
                .to_owned();
            serde_json::json!({ "reason": reason })
        }
        Op::Flag(flag) => {
            finding(tx, &row.id, &flag.finding_id).await?;
            tx.insert_org_flag(&flag).await?;
            let behaviour = flag
                .behaviour
                .parse::<ProhibitedBehaviour>()
                .map_err(internal)?;
            serde_json::json!({ "flag_id": flag.id, "org_id": flag.org_id,
                "behaviour": flag.behaviour, "behaviour_rule": behaviour.rule(),
                "finding_id": flag.finding_id })
        }
    };
    tx.update_inspection(row, row.version).await?;
    row.version += 1;
    Ok(details)
}

/// Authorizes `action` on inspection `id`, applies `op` with
/// compare-and-set on the inspection's version (so a finding recorded
/// concurrently with the closing makes one of them lose) and audits.
async fn change_inspection(
    app: &App,
    actor: &Actor,
    id: &str,
    action: Action,
    audit_action: &'static str,
    op: impl FnOnce(&InspectionRow) -> Result<Op, AppError>,
) -> Result<InspectionView, AppError> {
    let row = {
        let mut tx = app.store().begin_read().await?;
        let r = tx.get_inspection(id).await?;
        tx.commit().await?;
        r.ok_or(AppError::NotFound { what: "inspection" })?
    };
    let bureau = match action {
        Action::WorkflowSubmit => {
            // The inspected organisation acts for itself; the bureau is the
            // counterpart.
            let mut tx = app.store().begin_read().await?;
            let orgs = tx.list_organisations().await?;
            tx.commit().await?;
            orgs.into_iter()
                .find(|o| o.kind == OrgKind::DataBureau.as_str())
                .map(|o| o.id)
                .unwrap_or_default()
        }
        _ => actor.org_id.clone(),
    };
    let res = match action {
        Action::WorkflowSubmit => Resource::Workflow {
            id: format!("inspection/{id}"),
            applicant_org: OrgId::parse(&row.inspected_org).map_err(internal)?,
            submitted_by: UserId::parse(&row.opened_by).map_err(internal)?,
            parties: OrgId::parse(&bureau).into_iter().collect(),
        },
        _ => resource(&row, &bureau)?,
    };
    let decided = app.authorize(actor, action, &res).await?;
    if action == Action::WorkflowSubmit && actor.org_id != row.inspected_org {
        return Err(refused(&InspectionError::NotInspectedOrg));
    }
    let op = op(&row)?;
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut fresh = tx
            .get_inspection(id)
            .await?
            .ok_or(AppError::NotFound { what: "inspection" })?;
        if fresh.version != row.version {
            return Err(AppError::Conflict);
        }
        apply(app, actor, tx, &mut fresh, op).await
    }
    .await;
    let mut details = match result {
        Ok(d) => d,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    details["rule"] = INSPECTION_RULE.into();
    let event = AuditEvent::new(audit_action)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("inspection", id)
        .decided_by(decided)
        .details(details);
    change.audit(event).await?.commit().await?;
    get_inspection(app, actor, id).await
}

/// The bureau records a finding (登记检查发现的问题) with a rectification
/// deadline for the inspected organisation.
pub async fn add_finding(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &NewFinding,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let severity = code::<FindingSeverity>(&mut errors, "severity", &input.severity);
    let description = text(
        &mut errors,
        "description",
        &input.description,
        ReviewText::LONG,
    );
    let rule = parse_rule_id(&input.rule)
        .map_err(|e| errors.push(FieldError::new("rule", e.code(), e.message_zh())))
        .ok();
    days_field(&mut errors, input.rectification_working_days);
    let (Some(severity), Some(description), Some(rule), true) =
        (severity, description, rule, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let due_on = due(app, input.rectification_working_days)?;
    let now = app.clock().now();
    change_inspection(
        app,
        actor,
        id,
        Action::SupervisionManage,
        "inspection.finding_recorded",
        |row| {
            Ok(Op::AddFinding(FindingRow {
                id: new_id(),
                inspection_id: row.id.clone(),
                severity: severity.as_str().to_owned(),
                rule_id: rule.to_owned(),
                description,
                found_by: actor.user_id.clone(),
                found_at: now,
                due_on,
                status: FindingStatus::Open.as_str().to_owned(),
                rectification: None,
                rectified_by: None,
                rectified_at: None,
                version: 1,
            }))
        },
    )
    .await
}

/// The inspected organisation records its rectification (登记整改情况).
pub async fn rectify_finding(
    app: &App,
    actor: &Actor,
    id: &str,
    finding_id: &str,
    input: &Rectification,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let measures = text(&mut errors, "measures", &input.measures, ReviewText::LONG);
    let (Some(measures), true) = (measures, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let finding_id = finding_id.to_owned();
    change_inspection(
        app,
        actor,
        id,
        Action::WorkflowSubmit,
        "inspection.finding_rectified",
        |_| {
            Ok(Op::Rectify {
                finding_id,
                measures,
            })
        },
    )
    .await
}

/// The bureau rejects a rectification (退回整改) with a new deadline.
pub async fn reopen_finding(
    app: &App,
    actor: &Actor,
    id: &str,
    finding_id: &str,
    input: &ReopenFinding,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let reason = text(&mut errors, "reason", &input.reason, ReviewText::LONG);
    days_field(&mut errors, input.rectification_working_days);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let finding_id = finding_id.to_owned();
    let days = input.rectification_working_days;
    change_inspection(
        app,
        actor,
        id,
        Action::SupervisionManage,
        "inspection.finding_reopened",
        |_| {
            Ok(Op::ReopenFinding {
                finding_id,
                reason,
                days,
            })
        },
    )
    .await
}

/// The bureau closes the inspection (结束检查); refused while a finding
/// is not rectified.
pub async fn close_inspection(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &CloseInspection,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let conclusion = text(
        &mut errors,
        "conclusion",
        &input.conclusion,
        ReviewText::LONG,
    );
    let (Some(conclusion), true) = (conclusion, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    change_inspection(
        app,
        actor,
        id,
        Action::SupervisionManage,
        "inspection.closed",
        |_| Ok(Op::Close { conclusion }),
    )
    .await
}

/// The bureau reopens a closed inspection (重新开启检查).
pub async fn reopen_inspection(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ReopenInspection,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let reason = text(&mut errors, "reason", &input.reason, ReviewText::LONG);
    let (Some(reason), true) = (reason, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    change_inspection(
        app,
        actor,
        id,
        Action::SupervisionManage,
        "inspection.reopened",
        |_| Ok(Op::Reopen { reason }),
    )
    .await
}

/// The bureau flags prohibited behaviour (S-3.3.4-1..4) on the inspected
/// organisation, citing a finding of this inspection.
pub async fn flag_behaviour(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &NewFlag,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let raw = input.behaviour.trim();
    let behaviour = ProhibitedBehaviour::ALL
        .iter()
        .copied()
        .find(|b| b.as_str() == raw || b.rule() == raw);
    if behaviour.is_none() {
        errors.push(FieldError::new(
            "behaviour",
            "behaviour.unknown",
            "须为 S-3.3.4-1 至 S-3.3.4-4 所列禁止行为之一（S-3.3.4）",
        ));
    }
    let note = text(&mut errors, "note", &input.note, ReviewText::LONG);
    let (Some(behaviour), Some(note), true) = (behaviour, note, errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let now = app.clock().now();
    let finding_id = input.finding_id.trim().to_owned();
    change_inspection(
        app,
        actor,
        id,
        Action::SupervisionManage,
        "org.behaviour_flagged",
        |row| {
            Ok(Op::Flag(OrgFlagRow {
                id: new_id(),
                org_id: row.inspected_org.clone(),
                behaviour: behaviour.as_str().to_owned(),
                finding_id,
                note,
                flagged_by: actor.user_id.clone(),
                flagged_at: now,
            }))
        },
    )
    .await
}
