//! Use cases of the operator selection (运营机构遴选, S-3.3.1, S-3.2.1,
//! S-3.2.2). See the parent module for authorization and audit codes.

use gongshu_domain::selection::{
    self as dom, Assessment, ItemRecord, MAX_LONG_CHARS, MAX_SHORT_CHARS, ObjectionStatus,
    Selection, SelectionCommand, SelectionError, SelectionStatus,
};
use gongshu_domain::{DomainError as _, OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{CandidateRow, ObjectionRow, SelectionRow, StoreTx};

use super::operator_views::view;
pub use super::operator_views::{
    AssessmentInput, CandidateInput, CandidateView, DecisionInput, FinaliseInput, NewSelection,
    ObjectionInput, ObjectionView, ResolutionInput, SelectionView,
};
use super::{calendar, commit_with, deny, event, refused, today};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, new_id};

fn err(e: &SelectionError) -> AppError {
    refused(e, e.is_input_error(), &e.field())
}

fn to_domain(row: &SelectionRow) -> Result<Selection, AppError> {
    Ok(Selection {
        status: row
            .status
            .parse()
            .map_err(|e: gongshu_domain::CodeError| AppError::Internal(e.to_string()))?,
        chosen: row.chosen_candidate_id.clone(),
        decided_on: row.decided_on,
        publicity_ends_on: row.publicity_ends_on,
        reported_on: row.reported_on,
    })
}

fn write_back(row: &mut SelectionRow, s: &Selection) {
    row.status = s.status.as_str().to_owned();
    row.chosen_candidate_id.clone_from(&s.chosen);
    row.decided_on = s.decided_on;
    row.publicity_ends_on = s.publicity_ends_on;
    row.reported_on = s.reported_on;
}

fn ids(org: &str, user: &str) -> Result<(OrgId, UserId), AppError> {
    let bad = |_| AppError::Internal("stored id is not a UUID".into());
    Ok((
        OrgId::parse(org).map_err(bad)?,
        UserId::parse(user).map_err(bad)?,
    ))
}

fn workflow(row: &SelectionRow, applicant_org: &str) -> Result<Resource, AppError> {
    let (applicant_org, submitted_by) = ids(applicant_org, &row.opened_by)?;
    Ok(Resource::Workflow {
        id: format!("selection/{}", row.id),
        applicant_org,
        submitted_by,
        parties: vec![],
    })
}

async fn load(app: &App, id: &str) -> Result<SelectionRow, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_selection(id).await?;
    tx.commit().await?;
    row.ok_or(AppError::NotFound { what: "selection" })
}

async fn reload(tx: &mut StoreTx, seen: &SelectionRow) -> Result<SelectionRow, AppError> {
    let row = tx
        .get_selection(&seen.id)
        .await?
        .ok_or(AppError::NotFound { what: "selection" })?;
    if row.version != seen.version {
        return Err(AppError::Conflict);
    }
    Ok(row)
}

/// One selection with its candidates and objections.
pub async fn get_selection(app: &App, _actor: &Actor, id: &str) -> Result<SelectionView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_selection(id).await?;
    let cands = tx.list_candidates(id).await?;
    let objs = tx.list_objections(id).await?;
    tx.commit().await?;
    Ok(view(
        row.ok_or(AppError::NotFound { what: "selection" })?,
        cands,
        objs,
    ))
}

/// Every selection, oldest first (without candidates and objections).
pub async fn list_selections(app: &App, _actor: &Actor) -> Result<Vec<SelectionView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_selections().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| view(r, vec![], vec![])).collect())
}

/// Opens a selection with its method (S-3.3.1).
pub async fn open_selection(
    app: &App,
    actor: &Actor,
    input: &NewSelection,
) -> Result<SelectionView, AppError> {
    let mut fields = Vec::new();
    let title = dom::text(&input.title, "title", MAX_SHORT_CHARS)
        .map_err(|e| fields.push(FieldError::new("title", e.code(), e.message_zh())))
        .ok();
    let method = dom::parse_method(&input.method)
        .map_err(|e| fields.push(FieldError::new("method", e.code(), e.message_zh())))
        .ok();
    let (Some(title), Some(method)) = (title, method) else {
        return Err(AppError::Validation(fields));
    };
    let id = new_id();
    let now = app.clock().now();
    let row = SelectionRow {
        id: id.clone(),
        agency_org_id: actor.org_id.clone(),
        title,
        method: method.as_str().to_owned(),
        status: SelectionStatus::Open.as_str().to_owned(),
        opened_by: actor.user_id.clone(),
        chosen_candidate_id: None,
        decided_on: None,
        decided_by: None,
        publicity_ends_on: None,
        reported_on: None,
        report_doc_no: None,
        created_at: now,
        updated_at: now,
        version: 1,
    };
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&row, &actor.org_id)?,
        )
        .await?;
    commit_with(app, async |tx: &mut StoreTx| {
        tx.insert_selection(&row).await?;
        Ok(
            event("selection.opened", actor, ("selection", &id), decided)
                .details(serde_json::json!({ "title": row.title, "method": row.method })),
        )
    })
    .await?;
    get_selection(app, actor, &id).await
}

/// Registers an operator organisation as a candidate (S-3.2.1).
pub async fn register_candidate(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &CandidateInput,
) -> Result<SelectionView, AppError> {
    let unknown = || {
        AppError::Validation(vec![FieldError::new(
            "org_id",
            "organisation.unknown",
            "机构不存在",
        )])
    };
    if OrgId::parse(&input.org_id).is_err() {
        return Err(unknown());
    }
    let mut tx = app.store().begin_read().await?;
    let org = tx.get_organisation(&input.org_id).await?;
    tx.commit().await?;
    let org = org.ok_or_else(unknown)?;
    let kind: OrgKind = org
        .kind
        .parse()
        .map_err(|_| AppError::Internal("bad org kind".into()))?;
    let code = dom::check_candidate(kind, org.credit_code.as_deref(), &input.credit_code)
        .map_err(|e| err(&e))?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&seen, &seen.agency_org_id)?,
        )
        .await?;
    let now = app.clock().now();
    let cand = CandidateRow {
        id: new_id(),
        selection_id: seen.id.clone(),
        org_id: input.org_id.clone(),
        credit_code: code,
        assessment: "[]".into(),
        registered_by: actor.user_id.clone(),
        registered_at: now,
        assessed_by: None,
        assessed_at: None,
    };
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        to_domain(&row)?
            .check_open(SelectionCommand::RegisterCandidate)
            .map_err(|e| err(&e))?;
        row.updated_at = now;
        tx.update_selection(&row, seen.version).await?;
        tx.insert_candidate(&cand).await?;
        Ok(event(
            "selection.candidate_registered",
            actor,
            ("selection", id),
            decided,
        )
        .details(serde_json::json!({
            "candidate_id": cand.id,
            "org_id": cand.org_id,
            "credit_code": cand.credit_code,
        })))
    })
    .await?;
    get_selection(app, actor, id).await
}

/// Records qualification items of a candidate (S-3.2.1, S-3.2.2); an item
/// marked met needs its evidence attachment reference.
pub async fn record_assessment(
    app: &App,
    actor: &Actor,
    id: &str,
    candidate_id: &str,
    input: &AssessmentInput,
) -> Result<SelectionView, AppError> {
    let items = Assessment::parse_items(&input.items).map_err(|errors| {
        AppError::Validation(
            errors
                .iter()
                .map(|e| FieldError::new(&e.field(), e.code(), e.message_zh()))
                .collect(),
        )
    })?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&seen, &seen.agency_org_id)?,
        )
        .await?;
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        to_domain(&row)?
            .check_open(SelectionCommand::RecordAssessment)
            .map_err(|e| err(&e))?;
        let mut cand = tx
            .list_candidates(id)
            .await?
            .into_iter()
            .find(|c| c.id == candidate_id)
            .ok_or(AppError::NotFound { what: "candidate" })?;
        let records: Vec<ItemRecord> = serde_json::from_str(&cand.assessment)
            .map_err(|e| AppError::Internal(format!("stored assessment: {e}")))?;
        let mut a = Assessment::from_records(&records);
        let recorded: Vec<serde_json::Value> = items
            .iter()
            .map(|(i, r)| serde_json::json!({ "item": i.as_str(), "met": r.met, "evidence_ref": r.evidence_ref }))
            .collect();
        a.record(items.clone());
        cand.assessment = serde_json::to_string(&a.to_records())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        cand.assessed_by = Some(actor.user_id.clone());
        cand.assessed_at = Some(now);
        row.updated_at = now;
        tx.update_selection(&row, seen.version).await?;
        tx.update_candidate_assessment(&cand).await?;
        Ok(
            event("selection.assessment_recorded", actor, ("selection", id), decided).details(
                serde_json::json!({
                    "candidate_id": candidate_id,
                    "items": recorded,
                    "qualified": a.all_met(),
                }),
            ),
        )
    })
    .await?;
    get_selection(app, actor, id).await
}

/// Chooses the operator (S-3.3.1): an implementing-agency approver who did
/// not open the selection; only a candidate meeting all 14 items. Starts
/// the publicity period.
pub async fn decide(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<SelectionView, AppError> {
    let seen = load(app, id).await?;
    let cand = {
        let mut tx = app.store().begin_read().await?;
        let c = tx.list_candidates(id).await?;
        tx.commit().await?;
        c.into_iter()
            .find(|c| c.id == input.candidate_id)
            .ok_or_else(|| {
                err(&SelectionError::CandidateUnknown {
                    found: input.candidate_id.clone(),
                })
            })?
    };
    let action = Action::WorkflowApprove;
    let decided = app
        .authorize(actor, action, &workflow(&seen, &cand.org_id)?)
        .await?;
    if actor.org_kind != OrgKind::ImplementingAgency {
        return Err(deny(
            app,
            actor,
            action,
            ("selection", id),
            "selection.decided_by_implementing_agency",
            "运营机构遴选结果由实施机构审批人确定（S-3.3.1）".to_owned(),
        )
        .await);
    }
    let today = today(app);
    let now = app.clock().now();
    let cal = calendar()?;
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let mut s = to_domain(&row)?;
        let records: Vec<ItemRecord> = serde_json::from_str(&cand.assessment)
            .map_err(|e| AppError::Internal(format!("stored assessment: {e}")))?;
        s.decide(
            &cand.id,
            &Assessment::from_records(&records),
            input.decided_on,
            today,
            &cal,
        )
        .map_err(|e| err(&e))?;
        write_back(&mut row, &s);
        row.decided_by = Some(actor.user_id.clone());
        row.updated_at = now;
        tx.update_selection(&row, seen.version).await?;
        Ok(
            event("selection.decided", actor, ("selection", id), decided).details(
                serde_json::json!({
                    "candidate_id": cand.id,
                    "org_id": cand.org_id,
                    "decided_on": input.decided_on,
                    "publicity_ends_on": row.publicity_ends_on,
                }),
            ),
        )
    })
    .await?;
    get_selection(app, actor, id).await
}

/// Records an objection received during publicity (S-3.3.1).
pub async fn record_objection(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &ObjectionInput,
) -> Result<SelectionView, AppError> {
    let objector = dom::text(&input.objector, "objector", MAX_SHORT_CHARS).map_err(|e| err(&e))?;
    let content = dom::text(&input.content, "content", MAX_LONG_CHARS).map_err(|e| err(&e))?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&seen, &seen.agency_org_id)?,
        )
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let s = to_domain(&row)?;
        s.check_objection(input.received_on, today)
            .map_err(|e| err(&e))?;
        let candidate_id = row
            .chosen_candidate_id
            .clone()
            .ok_or_else(|| AppError::Internal("publicity without a candidate".into()))?;
        let obj = ObjectionRow {
            id: new_id(),
            selection_id: row.id.clone(),
            candidate_id,
            received_on: input.received_on,
            objector: objector.clone(),
            content: content.clone(),
            status: ObjectionStatus::Pending.as_str().to_owned(),
            resolution: None,
            resolved_by: None,
            resolved_at: None,
            recorded_by: actor.user_id.clone(),
            recorded_at: now,
        };
        row.updated_at = now;
        tx.update_selection(&row, seen.version).await?;
        tx.insert_objection(&obj).await?;
        Ok(event(
            "selection.objection_recorded",
            actor,
            ("selection", id),
            decided,
        )
        .details(serde_json::json!({
            "objection_id": obj.id,
            "candidate_id": obj.candidate_id,
            "received_on": obj.received_on,
        })))
    })
    .await?;
    get_selection(app, actor, id).await
}

/// Resolves an objection: dismissed, or upheld (the selection reopens).
pub async fn resolve_objection(
    app: &App,
    actor: &Actor,
    id: &str,
    objection_id: &str,
    input: &ResolutionInput,
) -> Result<SelectionView, AppError> {
    let outcome = dom::parse_outcome(&input.outcome).map_err(|e| err(&e));
    let resolution =
        dom::text(&input.resolution, "resolution", MAX_LONG_CHARS).map_err(|e| err(&e));
    let (outcome, resolution) = match (outcome, resolution) {
        (Ok(o), Ok(r)) => (o, r),
        (Err(AppError::Validation(mut a)), Err(AppError::Validation(b))) => {
            a.extend(b);
            return Err(AppError::Validation(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&seen, &seen.agency_org_id)?,
        )
        .await?;
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let mut s = to_domain(&row)?;
        let mut obj = tx
            .list_objections(id)
            .await?
            .into_iter()
            .find(|o| o.id == objection_id)
            .ok_or(AppError::NotFound { what: "objection" })?;
        let current: ObjectionStatus = obj
            .status
            .parse()
            .map_err(|e: gongshu_domain::CodeError| AppError::Internal(e.to_string()))?;
        s.resolve_objection(current, outcome).map_err(|e| err(&e))?;
        write_back(&mut row, &s);
        if outcome == ObjectionStatus::Upheld {
            row.decided_by = None;
        }
        row.updated_at = now;
        obj.status = outcome.as_str().to_owned();
        obj.resolution = Some(resolution.clone());
        obj.resolved_by = Some(actor.user_id.clone());
        obj.resolved_at = Some(now);
        tx.update_selection(&row, seen.version).await?;
        tx.resolve_objection(&obj).await?;
        Ok(event(
            "selection.objection_resolved",
            actor,
            ("selection", id),
            decided,
        )
        .details(serde_json::json!({
            "objection_id": obj.id,
            "outcome": obj.status,
            "status": row.status,
        })))
    })
    .await?;
    get_selection(app, actor, id).await
}

/// Records the report to the county government (S-3.3.1): only after the
/// publicity period and with every objection resolved.
pub async fn finalise(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &FinaliseInput,
) -> Result<SelectionView, AppError> {
    let doc_no =
        dom::text(&input.report_doc_no, "report_doc_no", MAX_SHORT_CHARS).map_err(|e| err(&e))?;
    let seen = load(app, id).await?;
    let decided = app
        .authorize(
            actor,
            Action::GovernanceManage,
            &workflow(&seen, &seen.agency_org_id)?,
        )
        .await?;
    let today = today(app);
    let now = app.clock().now();
    commit_with(app, async |tx: &mut StoreTx| {
        let mut row = reload(tx, &seen).await?;
        let mut s = to_domain(&row)?;
        let pending = tx
            .list_objections(id)
            .await?
            .iter()
            .filter(|o| o.status == ObjectionStatus::Pending.as_str())
            .count();
        s.finalise(input.reported_on, today, pending)
            .map_err(|e| err(&e))?;
        write_back(&mut row, &s);
        row.report_doc_no = Some(doc_no.clone());
        row.updated_at = now;
        tx.update_selection(&row, seen.version).await?;
        Ok(
            event("selection.finalised", actor, ("selection", id), decided).details(
                serde_json::json!({
                    "candidate_id": row.chosen_candidate_id,
                    "reported_on": input.reported_on,
                    "report_doc_no": doc_no,
                }),
            ),
        )
    })
    .await?;
    get_selection(app, actor, id).await
}
