//! Views of inspections: samples, findings and flags as shown.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::inspection::{InspectionStatus, ProhibitedBehaviour};
use gongshu_store::{InspectionRow, StoreTx};
use serde::Serialize;

use crate::error::AppError;

/// A sampled record as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SampleView {
    /// Ledger index.
    pub index: i64,
    /// Action code.
    pub action: String,
    /// `verified` or `failed`.
    pub result: String,
    /// What was checked, or why it failed.
    pub detail: String,
}

/// A finding as shown.
#[derive(Debug, Clone, Serialize)]
pub struct FindingView {
    /// Id.
    pub id: String,
    /// Severity code.
    pub severity: String,
    /// Rule id.
    pub rule: String,
    /// Description.
    pub description: String,
    /// Rectification deadline.
    pub due_on: NaiveDate,
    /// `open` or `rectified`.
    pub status: String,
    /// Rectification recorded.
    pub rectification: Option<String>,
    /// By.
    pub rectified_by: Option<String>,
    /// When.
    pub rectified_at: Option<DateTime<Utc>>,
}

/// A flag of prohibited behaviour as shown.
#[derive(Debug, Clone, Serialize)]
pub struct FlagView {
    /// Id.
    pub id: String,
    /// Organisation flagged.
    pub org_id: String,
    /// Behaviour code.
    pub behaviour: String,
    /// Its rule id.
    pub rule: String,
    /// The finding.
    pub finding_id: String,
    /// Note.
    pub note: String,
    /// When.
    pub flagged_at: DateTime<Utc>,
}

/// An inspection as shown.
#[derive(Debug, Clone, Serialize)]
pub struct InspectionView {
    /// Id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Inspected organisation.
    pub inspected_org: String,
    /// Scope.
    pub scope: String,
    /// Seed of the sample (decimal).
    pub sample_seed: Option<String>,
    /// Size asked of the sample.
    pub sample_size: Option<i64>,
    /// Status code.
    pub status: String,
    /// Status in Chinese.
    pub status_label: String,
    /// Opening user.
    pub opened_by: String,
    /// When opened.
    pub opened_at: DateTime<Utc>,
    /// Conclusion.
    pub conclusion: Option<String>,
    /// When closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Sampled records with their verification.
    pub samples: Vec<SampleView>,
    /// Sampled records that failed verification.
    pub samples_failed: usize,
    /// Findings.
    pub findings: Vec<FindingView>,
    /// Flags of prohibited behaviour.
    pub flags: Vec<FlagView>,
    /// Version.
    pub version: i64,
}

pub(crate) async fn view(tx: &mut StoreTx, r: InspectionRow) -> Result<InspectionView, AppError> {
    let samples: Vec<SampleView> = tx
        .list_inspection_samples(&r.id)
        .await?
        .into_iter()
        .map(|s| SampleView {
            index: s.ledger_index,
            action: s.action_code,
            result: s.result,
            detail: s.detail,
        })
        .collect();
    let findings = tx
        .list_findings(&r.id)
        .await?
        .into_iter()
        .map(|f| FindingView {
            id: f.id,
            severity: f.severity,
            rule: f.rule_id,
            description: f.description,
            due_on: f.due_on,
            status: f.status,
            rectification: f.rectification,
            rectified_by: f.rectified_by,
            rectified_at: f.rectified_at,
        })
        .collect();
    let flags = tx
        .list_org_flags_of_inspection(&r.id)
        .await?
        .into_iter()
        .map(|f| FlagView {
            rule: f
                .behaviour
                .parse::<ProhibitedBehaviour>()
                .map(|b| b.rule().to_owned())
                .unwrap_or_default(),
            id: f.id,
            org_id: f.org_id,
            behaviour: f.behaviour,
            finding_id: f.finding_id,
            note: f.note,
            flagged_at: f.flagged_at,
        })
        .collect();
    Ok(InspectionView {
        status_label: r
            .status
            .parse::<InspectionStatus>()
            .map(|s| s.label_zh().to_owned())
            .unwrap_or_default(),
        samples_failed: samples.iter().filter(|s| s.result == "failed").count(),
        samples,
        findings,
        flags,
        id: r.id,
        kind: r.kind,
        inspected_org: r.inspected_org,
        scope: r.scope,
        sample_seed: r.sample_seed,
        sample_size: r.sample_size,
        status: r.status,
        opened_by: r.opened_by,
        opened_at: r.opened_at,
        conclusion: r.conclusion,
        closed_at: r.closed_at,
        version: r.version,
    })
}
