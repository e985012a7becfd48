//! Inspections (监督检查, S-3.3.2d): the data bureau opens a random or
//! targeted inspection of the operator or a participant. A random one
//! draws a seeded sample of the inspected organisation's audit records and
//! verifies each against the log (a receipt checked with the ledger's
//! public key, and the published level-0 tile and entry bundle compared
//! with the receipt's entry). Findings carry a rule id and a rectification
//! deadline; the inspected organisation records its rectification; the
//! bureau closes (only with every finding rectified) or reopens, and may
//! flag prohibited behaviour (S-3.3.4-1..4) on the inspected organisation.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gongshu_domain::inspection::{
    INSPECTION_RULE, InspectionError, InspectionKind, InspectionStatus, MAX_SAMPLE,
};
use gongshu_domain::review::ReviewText;
use gongshu_domain::{DomainError as _, OrgId, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::{AuditFilter, InspectionRow, InspectionSampleRow};
use serde::Deserialize;

use super::inspection_view::view;
pub use super::inspection_view::{FindingView, FlagView, InspectionView, SampleView};
use super::sample::{random_seed, verify_record};
use super::{code, refused, supervises, text};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Which audit records a random inspection samples: those of the inspected
/// organisation, optionally narrowed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SampleSpec {
    /// Records to draw (1..=200, default 20).
    #[serde(default)]
    pub n: Option<u32>,
    /// Seed; drawn at random when absent. Recorded either way.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Only records of this action code.
    #[serde(default)]
    pub action: Option<String>,
    /// From (inclusive).
    #[serde(default)]
    pub from: Option<DateTime<Utc>>,
    /// Until (exclusive).
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// Input of `open_inspection`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewInspection {
    /// `random` or `targeted`.
    pub kind: String,
    /// The operator or a participant.
    pub inspected_org: String,
    /// Scope or cause.
    pub scope: String,
    /// The audit sample (random inspections; optional for targeted ones).
    #[serde(default)]
    pub sample: Option<SampleSpec>,
}

pub(super) fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

pub(super) fn resource(row: &InspectionRow, bureau_org: &str) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("inspection/{}", row.id),
        applicant_org: OrgId::parse(bureau_org).map_err(internal)?,
        submitted_by: UserId::parse(&row.opened_by).map_err(internal)?,
        parties: vec![OrgId::parse(&row.inspected_org).map_err(internal)?],
    })
}

/// Opens an inspection (开展监督检查); for a random one, draws and
/// verifies the audit sample.
pub async fn open_inspection(
    app: &App,
    actor: &Actor,
    input: &NewInspection,
) -> Result<InspectionView, AppError> {
    let mut errors = Vec::new();
    let kind = code::<InspectionKind>(&mut errors, "kind", &input.kind);
    let scope = text(&mut errors, "scope", &input.scope, ReviewText::LONG);
    let inspected = OrgId::parse(input.inspected_org.trim())
        .map_err(|e| errors.push(FieldError::new("inspected_org", e.code(), e.message_zh())))
        .ok();
    let spec = match (kind, &input.sample) {
        (_, Some(s)) => Some(s.clone()),
        (Some(InspectionKind::Random), None) => Some(SampleSpec::default()),
        _ => None,
    };
    let n = spec.as_ref().map(|s| s.n.unwrap_or(20));
    if n.is_some_and(|n| !(1..=MAX_SAMPLE).contains(&n)) {
        errors.push(FieldError::new(
            "sample.n",
            "inspection.sample_out_of_range",
            format!("抽查条数须为 1 至 {MAX_SAMPLE}（{INSPECTION_RULE}）"),
        ));
    }
    let (Some(kind), Some(scope), Some(inspected), true) =
        (kind, scope, inspected, errors.is_empty())
    else {
        return Err(AppError::Validation(errors));
    };
    let inspected = inspected.to_string();
    let org = {
        let mut tx = app.store().begin_read().await?;
        let o = tx.get_organisation(&inspected).await?;
        tx.commit().await?;
        o.ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "inspected_org",
                "inspection.org_not_found",
                format!("未找到被检查单位（{INSPECTION_RULE}）"),
            )])
        })?
    };
    let mut row = InspectionRow {
        id: new_id(),
        kind: kind.as_str().to_owned(),
        inspected_org: inspected.clone(),
        scope,
        sample_seed: None,
        sample_size: n.map(i64::from),
        status: InspectionStatus::Open.as_str().to_owned(),
        opened_by: actor.user_id.clone(),
        opened_at: app.clock().now(),
        conclusion: None,
        closed_by: None,
        closed_at: None,
        version: 1,
    };
    let mut decided = app
        .authorize(
            actor,
            Action::SupervisionManage,
            &resource(&row, &actor.org_id)?,
        )
        .await?;
    if !matches!(org.kind.as_str(), "operator" | "participant") {
        return Err(refused(&InspectionError::NotInspectable));
    }
    let mut samples = Vec::new();
    if let (Some(spec), Some(n)) = (&spec, n) {
        decided.extend(
            app.authorize(actor, Action::AuditSample, &Resource::AuditLog)
                .await?,
        );
        let seed = match spec.seed {
            Some(s) => s,
            None => random_seed()?,
        };
        row.sample_seed = Some(seed.to_string());
        let filter = AuditFilter {
            from: spec.from,
            until: spec.until,
            actor_user: None,
            actor_org: Some(inspected.clone()),
            action_code: spec.action.clone(),
            dataset: None,
        };
        let drawn = {
            let mut tx = app.store().begin_read().await?;
            let rows = tx.sample_audit_index(&filter, n, seed).await?;
            tx.commit().await?;
            rows
        };
        let ledger = Arc::clone(app.ledger());
        let checked = tokio::task::spawn_blocking(move || {
            drawn
                .into_iter()
                .map(|r| {
                    let (ok, detail) = match u64::try_from(r.ledger_index) {
                        Ok(i) => verify_record(&ledger, i),
                        Err(_) => (false, "negative index".to_owned()),
                    };
                    (r, ok, detail)
                })
                .collect::<Vec<_>>()
        })
        .await
        .map_err(internal)?;
        samples = checked
            .into_iter()
            .map(|(r, ok, detail)| InspectionSampleRow {
                inspection_id: row.id.clone(),
                ledger_index: r.ledger_index,
                action_code: r.action_code,
                result: if ok { "verified" } else { "failed" }.to_owned(),
                detail,
            })
            .collect();
    }
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        tx.insert_inspection(&row).await?;
        for s in &samples {
            tx.insert_inspection_sample(s).await?;
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let failed: Vec<i64> = samples
        .iter()
        .filter(|s| s.result == "failed")
        .map(|s| s.ledger_index)
        .collect();
    let event = AuditEvent::new("inspection.opened")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("inspection", &row.id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": INSPECTION_RULE,
            "kind": kind.as_str(),
            "inspected_org": inspected,
            "sample": spec.as_ref().map(|s| serde_json::json!({
                "seed": row.sample_seed,
                "n": n,
                "action": s.action,
                "from": s.from,
                "until": s.until,
            })),
            "sampled": samples.iter().map(|s| s.ledger_index).collect::<Vec<_>>(),
            "failed": failed,
        }));
    change.audit(event).await?.commit().await?;
    get_inspection(app, actor, &row.id).await
}

fn visible(actor: &Actor, r: &InspectionRow) -> bool {
    supervises(actor) || r.inspected_org == actor.org_id
}

/// One inspection, for the supervisors and the inspected organisation.
pub async fn get_inspection(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<InspectionView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let row = tx.get_inspection(id).await?;
    let out = match row {
        Some(r) if visible(actor, &r) => view(&mut tx, r).await,
        _ => Err(AppError::NotFound { what: "inspection" }),
    };
    tx.commit().await?;
    out
}

/// The inspections the actor may see, oldest first.
pub async fn list_inspections(app: &App, actor: &Actor) -> Result<Vec<InspectionView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for r in tx.list_inspections().await? {
        if visible(actor, &r) {
            out.push(view(&mut tx, r).await?);
        }
    }
    tx.commit().await?;
    Ok(out)
}
