//! What the agreement use cases take (inputs) and give back (views).

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::agreement::{AgreementStatus, ClausesInput};
use gongshu_store::AgreementRow;
use serde::{Deserialize, Serialize};

use super::PendingView;

/// Input of `create_draft`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewAgreement {
    /// The operator organisation to authorize.
    pub operator_org_id: String,
    /// The 13 clauses.
    #[serde(default)]
    pub clauses: ClausesInput,
}

/// Input of `record_opinion`.
#[derive(Debug, Clone, Deserialize)]
pub struct OpinionInput {
    /// The sector regulator or supervisor that gave the opinion.
    pub from_org_id: String,
    /// When it was received.
    pub received_on: NaiveDate,
    /// The opinion (text or summary).
    pub opinion: String,
}

/// Input of `decide`.
#[derive(Debug, Clone, Deserialize)]
pub struct DecisionInput {
    /// Date of the 三重一大 meeting.
    pub decided_on: NaiveDate,
    /// Meeting reference (会议纪要编号).
    pub meeting_ref: String,
}

/// Input of `sign`.
#[derive(Debug, Clone, Deserialize)]
pub struct SigningInput {
    /// Signing date.
    pub signed_on: NaiveDate,
}

/// Input of `file`.
#[derive(Debug, Clone, Deserialize)]
pub struct FilingInput {
    /// Filing date.
    pub filed_on: NaiveDate,
    /// Receipt number of the city data bureau.
    pub receipt_no: String,
}

/// Input of `request_renewal` (clauses of the new agreement; when absent the
/// current clauses are copied with a term of the same length starting the
/// day after the current one ends).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RenewalInput {
    /// Clauses of the renewal.
    #[serde(default)]
    pub clauses: Option<ClausesInput>,
}

/// Input of `change_clauses`.
#[derive(Debug, Clone, Deserialize)]
pub struct ChangeInput {
    /// The new clauses, all 13.
    pub clauses: ClausesInput,
}

/// An opinion as shown.
#[derive(Debug, Clone, Serialize)]
pub struct OpinionView {
    /// Id.
    pub id: String,
    /// Revision it is about.
    pub revision: i64,
    /// Giving organisation.
    pub from_org_id: String,
    /// Received on.
    pub received_on: NaiveDate,
    /// Text.
    pub opinion: String,
    /// Recorded by.
    pub recorded_by: String,
}

/// A superseded revision as shown.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionView {
    /// Revision.
    pub revision: i64,
    /// Status when superseded.
    pub status: String,
    /// Clauses.
    pub clauses: serde_json::Value,
    /// Decision date.
    pub decided_on: Option<NaiveDate>,
    /// Signing date.
    pub signed_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Superseded by.
    pub superseded_by: String,
    /// Superseded at.
    pub superseded_at: DateTime<Utc>,
}

/// An agreement as shown.
#[derive(Debug, Clone, Serialize)]
pub struct AgreementView {
    /// Id.
    pub id: String,
    /// Operator organisation.
    pub operator_org_id: String,
    /// Implementing agency.
    pub agency_org_id: String,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Revision of the clauses.
    pub revision: i64,
    /// The 13 clauses.
    pub clauses: serde_json::Value,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Last day of the term.
    pub term_end: NaiveDate,
    /// Collective decision date.
    pub decided_on: Option<NaiveDate>,
    /// Meeting reference.
    pub decision_ref: Option<String>,
    /// Who recorded the decision.
    pub decided_by: Option<String>,
    /// Signing date.
    pub signed_on: Option<NaiveDate>,
    /// Filing due date (S-3.3.3b).
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// Filing receipt number.
    pub filing_receipt: Option<String>,
    /// Filed after the due date.
    pub filed_late: bool,
    /// The agreement this one renews.
    pub renewal_of: Option<String>,
    /// Creator.
    pub created_by: String,
    /// Author of the current revision.
    pub drafted_by: String,
    /// Created at.
    pub created_at: DateTime<Utc>,
    /// Updated at.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-lock version.
    pub version: i64,
    /// Opinions (all revisions); only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opinions: Option<Vec<OpinionView>>,
    /// Superseded revisions; only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revisions: Option<Vec<RevisionView>>,
    /// The changed revision awaiting approval while this one is in force
    /// (S-2.4); only on single reads.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_revision: Option<PendingView>,
}

impl From<AgreementRow> for AgreementView {
    fn from(r: AgreementRow) -> Self {
        let status_label = r
            .status
            .parse::<AgreementStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default();
        let filed_late = matches!((r.filed_on, r.filing_due_on), (Some(f), Some(d)) if f > d);
        Self {
            clauses: serde_json::from_str(&r.clauses).unwrap_or(serde_json::Value::Null),
            id: r.id,
            operator_org_id: r.operator_org_id,
            agency_org_id: r.agency_org_id,
            status: r.status,
            status_label,
            revision: r.revision,
            term_start: r.term_start,
            term_end: r.term_end,
            decided_on: r.decided_on,
            decision_ref: r.decision_ref,
            decided_by: r.decided_by,
            signed_on: r.signed_on,
            filing_due_on: r.filing_due_on,
            filed_on: r.filed_on,
            filing_receipt: r.filing_receipt,
            filed_late,
            renewal_of: r.renewal_of,
            created_by: r.created_by,
            drafted_by: r.drafted_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            opinions: None,
            revisions: None,
            pending_revision: None,
        }
    }
}
