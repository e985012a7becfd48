//! Inputs and views of the operator selection (运营机构遴选).

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::selection::{
    self as dom, Assessment, ItemInput, ItemRecord, PUBLICITY_WORKING_DAYS, SelectionStatus,
};
use gongshu_store::{CandidateRow, ObjectionRow, SelectionRow};
use serde::{Deserialize, Serialize};

/// Input of `open_selection`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewSelection {
    /// Title (e.g. 县公共数据授权运营机构遴选).
    pub title: String,
    /// `open_tender`, `invited_tender`, `negotiation` or `selection`.
    pub method: String,
}

/// Input of `register_candidate`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CandidateInput {
    /// The operator organisation.
    pub org_id: String,
    /// Its unified social credit code.
    pub credit_code: String,
}

/// Input of `record_assessment`: some or all of the 14 items.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AssessmentInput {
    /// Items to record (replacing earlier results of the same items).
    pub items: Vec<ItemInput>,
}

/// Input of `decide`.
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionInput {
    /// The chosen candidate.
    pub candidate_id: String,
    /// Decision date; publicity starts the next day.
    pub decided_on: NaiveDate,
}

/// Input of `record_objection`.
#[derive(Debug, Clone, Deserialize)]
pub struct ObjectionInput {
    /// Date received.
    pub received_on: NaiveDate,
    /// Who objects.
    pub objector: String,
    /// The objection.
    pub content: String,
}

/// Input of `resolve_objection`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResolutionInput {
    /// `upheld` or `dismissed`.
    pub outcome: String,
    /// How it was resolved.
    pub resolution: String,
}

/// Input of `finalise`.
#[derive(Debug, Clone, Deserialize)]
pub struct FinaliseInput {
    /// Date of the report to the county government.
    pub reported_on: NaiveDate,
    /// Its document number.
    pub report_doc_no: String,
}

/// A candidate as shown.
#[derive(Debug, Clone, Serialize)]
pub struct CandidateView {
    /// Id.
    pub id: String,
    /// Operator organisation.
    pub org_id: String,
    /// Credit code.
    pub credit_code: String,
    /// Items recorded so far.
    pub items: Vec<ItemRecord>,
    /// Items not (yet) met.
    pub missing: Vec<String>,
    /// Whether all 14 items are met.
    pub qualified: bool,
}

/// An objection as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectionView {
    /// Id.
    pub id: String,
    /// Candidate announced.
    pub candidate_id: String,
    /// Received on.
    pub received_on: NaiveDate,
    /// Objector.
    pub objector: String,
    /// Content.
    pub content: String,
    /// `pending`, `upheld` or `dismissed`.
    pub status: String,
    /// Resolution.
    pub resolution: Option<String>,
    /// Resolved by.
    pub resolved_by: Option<String>,
}

/// A selection as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SelectionView {
    /// Id.
    pub id: String,
    /// Implementing agency.
    pub agency_org_id: String,
    /// Title.
    pub title: String,
    /// Method code.
    pub method: String,
    /// Method in Chinese.
    pub method_label: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Opener.
    pub opened_by: String,
    /// Chosen candidate.
    pub chosen_candidate_id: Option<String>,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Decided by.
    pub decided_by: Option<String>,
    /// Working days of publicity.
    pub publicity_working_days: u32,
    /// Last day of publicity.
    pub publicity_ends_on: Option<NaiveDate>,
    /// Report date.
    pub reported_on: Option<NaiveDate>,
    /// Report document number.
    pub report_doc_no: Option<String>,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
    /// Candidates.
    pub candidates: Vec<CandidateView>,
    /// Objections.
    pub objections: Vec<ObjectionView>,
}

pub(super) fn candidate_view(c: CandidateRow) -> CandidateView {
    let records: Vec<ItemRecord> = serde_json::from_str(&c.assessment).unwrap_or_default();
    let a = Assessment::from_records(&records);
    let missing: Vec<String> = a.missing().iter().map(|i| i.as_str().to_owned()).collect();
    CandidateView {
        qualified: missing.is_empty(),
        id: c.id,
        org_id: c.org_id,
        credit_code: c.credit_code,
        items: a.to_records(),
        missing,
    }
}

pub(super) fn view(
    r: SelectionRow,
    cands: Vec<CandidateRow>,
    objs: Vec<ObjectionRow>,
) -> SelectionView {
    let label = |s: &str| {
        s.parse::<SelectionStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default()
    };
    SelectionView {
        method_label: dom::parse_method(&r.method)
            .map(|m| m.label_zh().to_owned())
            .unwrap_or_default(),
        status_label: label(&r.status),
        id: r.id,
        agency_org_id: r.agency_org_id,
        title: r.title,
        method: r.method,
        status: r.status,
        opened_by: r.opened_by,
        chosen_candidate_id: r.chosen_candidate_id,
        decided_on: r.decided_on,
        decided_by: r.decided_by,
        publicity_working_days: PUBLICITY_WORKING_DAYS,
        publicity_ends_on: r.publicity_ends_on,
        reported_on: r.reported_on,
        report_doc_no: r.report_doc_no,
        created_at: r.created_at,
        version: r.version,
        candidates: cands.into_iter().map(candidate_view).collect(),
        objections: objs
            .into_iter()
            .map(|o| ObjectionView {
                id: o.id,
                candidate_id: o.candidate_id,
                received_on: o.received_on,
                objector: o.objector,
                content: o.content,
                status: o.status,
                resolution: o.resolution,
                resolved_by: o.resolved_by,
            })
            .collect(),
    }
}
