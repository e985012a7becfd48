//! Inspection of the audit log by the data bureau (S-3.3.2d): filtered
//! listing, single records with payload, receipts and random samples. Each
//! inspection is itself an audited data access.

use chrono::{DateTime, Utc};
use gongshu_ledger::RetentionClass;
use gongshu_policy::{Action, Resource};
use gongshu_store::{AuditFilter, AuditIndexRow};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

/// Filter of the inspection API.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct InspectQuery {
    /// From (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Acting user id.
    pub actor: Option<String>,
    /// Acting organisation id.
    pub org: Option<String>,
    /// Dataset id.
    pub dataset: Option<String>,
    /// Action code.
    pub action: Option<String>,
    /// Page size (1..=500, default 50).
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

/// One index row.
#[derive(Debug, Clone, Serialize)]
pub struct RecordSummary {
    /// Ledger index.
    pub index: i64,
    /// When.
    pub occurred_at: DateTime<Utc>,
    /// Action code.
    pub action: String,
    /// Actor.
    pub actor_user: Option<String>,
    /// Actor org.
    pub actor_org: Option<String>,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Dataset.
    pub dataset: Option<String>,
}

impl From<AuditIndexRow> for RecordSummary {
    fn from(r: AuditIndexRow) -> Self {
        Self {
            index: r.ledger_index,
            occurred_at: r.occurred_at,
            action: r.action_code,
            actor_user: r.actor_user,
            actor_org: r.actor_org,
            target_type: r.target_type,
            target_id: r.target_id,
            dataset: r.dataset,
        }
    }
}

/// A full record with its payload (if still retained).
#[derive(Debug, Clone, Serialize)]
pub struct RecordDetail {
    /// Ledger index.
    pub index: u64,
    /// Leaf as stored in the tree (canonical text).
    pub leaf: String,
    /// Payload JSON, or null after retention ended.
    pub payload: Option<serde_json::Value>,
}

fn filter(q: &InspectQuery) -> Result<(AuditFilter, u32, u32), AppError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(AppError::Validation(vec![FieldError::new(
            "limit",
            "limit.out_of_range",
            "每页条数须为 1 至 500",
        )]));
    }
    Ok((
        AuditFilter {
            from: q.from,
            until: q.until,
            actor_user: q.actor.clone(),
            actor_org: q.org.clone(),
            action_code: q.action.clone(),
            dataset: q.dataset.clone(),
        },
        limit,
        q.offset.unwrap_or(0),
    ))
}

async fn note(
    app: &App,
    actor: &Actor,
    what: &str,
    decided: Vec<String>,
    details: serde_json::Value,
) -> Result<(), AppError> {
    let e = AuditEvent::new("audit.inspected")
        .class(RetentionClass::DataAccess)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("audit_log", what)
        .decided_by(decided)
        .details(details);
    app.record(e).await.map(|_| ())
}

/// Lists records matching a filter.
pub async fn list(
    app: &App,
    actor: &Actor,
    q: &InspectQuery,
) -> Result<Vec<RecordSummary>, AppError> {
    let decided = app
        .authorize(actor, Action::AuditInspect, &Resource::AuditLog)
        .await?;
    let (f, limit, offset) = filter(q)?;
    note(
        app,
        actor,
        "list",
        decided,
        serde_json::json!({ "action": q.action, "actor": q.actor, "org": q.org }),
    )
    .await?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.find_audit_index(&f, limit, offset).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Draws a random sample for a spot check.
pub async fn sample(
    app: &App,
    actor: &Actor,
    q: &InspectQuery,
    n: u32,
    seed: u64,
) -> Result<Vec<RecordSummary>, AppError> {
    let decided = app
        .authorize(actor, Action::AuditSample, &Resource::AuditLog)
        .await?;
    let (f, _, _) = filter(q)?;
    if !(1..=200).contains(&n) {
        return Err(AppError::Validation(vec![FieldError::new(
            "n",
            "n.out_of_range",
            "抽查条数须为 1 至 200",
        )]));
    }
    note(
        app,
        actor,
        "sample",
        decided,
        serde_json::json!({ "n": n, "seed": seed }),
    )
    .await?;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.sample_audit_index(&f, n, seed).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// One record with its payload.
pub async fn get(app: &App, actor: &Actor, index: u64) -> Result<RecordDetail, AppError> {
    let decided = app
        .authorize(actor, Action::AuditInspect, &Resource::AuditLog)
        .await?;
    note(
        app,
        actor,
        &index.to_string(),
        decided,
        serde_json::Value::Null,
    )
    .await?;
    let l = std::sync::Arc::clone(app.ledger());
    let rec = tokio::task::spawn_blocking(move || l.read(index))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| match e {
            gongshu_ledger::LedgerError::NotFound(_) => AppError::NotFound {
                what: "audit_record",
            },
            other => AppError::Internal(other.to_string()),
        })?;
    Ok(RecordDetail {
        index,
        leaf: String::from_utf8_lossy(&rec.leaf_bytes).into_owned(),
        payload: rec.payload.and_then(|p| serde_json::from_slice(&p).ok()),
    })
}

/// A receipt (C2SP tlog-proof text) for one record.
pub async fn receipt(app: &App, actor: &Actor, index: u64) -> Result<String, AppError> {
    let decided = app
        .authorize(actor, Action::AuditInspect, &Resource::AuditLog)
        .await?;
    note(
        app,
        actor,
        &format!("receipt/{index}"),
        decided,
        serde_json::Value::Null,
    )
    .await?;
    let l = std::sync::Arc::clone(app.ledger());
    tokio::task::spawn_blocking(move || l.receipt(index))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map(|r| r.to_text())
        .map_err(|e| match e {
            gongshu_ledger::LedgerError::NotFound(_) => AppError::NotFound {
                what: "audit_record",
            },
            other => AppError::Internal(other.to_string()),
        })
}
