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
    /// Newest records first (default: ledger order, oldest first).
    #[serde(default)]
    pub newest_first: bool,
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
    let rows = if q.newest_first {
        tx.find_audit_index_newest(&f, limit, offset).await?
    } else {
        tx.find_audit_index(&f, limit, offset).await?
    };
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

/// Names of the users and organisations that listed records mention, so
/// an inspector reads who acted on what instead of ids.
#[derive(Debug, Clone, Default)]
pub struct RecordNames {
    /// User id → "显示名（登录名）".
    pub users: std::collections::HashMap<String, String>,
    /// Organisation id → name.
    pub orgs: std::collections::HashMap<String, String>,
}

impl RecordNames {
    /// Who acted, in words: the user's name and organisation, or the ids
    /// when they are not known (a user since removed keeps its id).
    pub fn actor(&self, r: &RecordSummary) -> Option<String> {
        let user = r
            .actor_user
            .as_ref()
            .map(|u| self.users.get(u).cloned().unwrap_or_else(|| u.clone()));
        let org = r
            .actor_org
            .as_ref()
            .map(|o| self.orgs.get(o).cloned().unwrap_or_else(|| o.clone()));
        match (user, org) {
            (Some(u), Some(o)) => Some(format!("{u} · {o}")),
            (u, o) => u.or(o),
        }
    }

    /// What was acted on, in words: the kind in Chinese, then the user's or
    /// organisation's name where the target is one, else its id.
    pub fn target(&self, r: &RecordSummary) -> Option<String> {
        let kind = r.target_type.as_deref()?;
        let label = target_label(kind);
        let Some(id) = r.target_id.as_deref().filter(|i| !i.is_empty()) else {
            return Some(label.to_owned());
        };
        let name = match kind {
            "user" => self.users.get(id),
            "organisation" => self.orgs.get(id),
            _ => None,
        };
        Some(match name {
            Some(n) => format!("{label} {n}"),
            None => format!("{label} {id}"),
        })
    }
}

/// The Chinese name of an audited target kind; an unknown kind is shown
/// as its code.
pub fn target_label(kind: &str) -> &str {
    match kind {
        "agreement" => "授权运营协议",
        "api_key" => "接口密钥",
        "appeal" => "申诉",
        "audit_log" => "审计日志",
        "audit_record" => "审计记录",
        "catalog_resource" => "数据资源",
        "data_grant" => "数据授权",
        "dataset" => "数据集",
        "derived_asset" => "衍生数据资产",
        "dispute" => "争议",
        "evaluation" => "运营评估",
        "incident" => "安全事件",
        "inspection" => "监督检查",
        "journal_entry" => "专账分录",
        "organisation" => "单位",
        "payout" => "收益分配",
        "pending_import" => "待审数据导入",
        "period" | "pricing_period" => "定价期间",
        "product" => "数据产品",
        "product_subscription" => "产品订阅",
        "regulator_cost" => "监管成本",
        "release_request" => "出域申请",
        "report" => "报告",
        "sandbox_job" => "沙箱查询任务",
        "share_rule" => "收益分成规则",
        "statement" => "账单",
        "subject_consent" => "数据主体授权",
        "termination" => "终止授权",
        "user" | "username" => "用户",
        other => other,
    }
}

/// Resolves the names in `records` for an inspector (`audit.inspect`).
///
/// # Errors
/// 403 without the permission; store errors.
pub async fn names(
    app: &App,
    actor: &Actor,
    records: &[RecordSummary],
) -> Result<RecordNames, AppError> {
    app.authorize(actor, Action::AuditInspect, &Resource::AuditLog)
        .await?;
    let mut users = std::collections::BTreeSet::new();
    let mut orgs = std::collections::BTreeSet::new();
    for r in records {
        users.extend(r.actor_user.clone());
        orgs.extend(r.actor_org.clone());
        match (r.target_type.as_deref(), &r.target_id) {
            (Some("user"), Some(id)) => {
                users.insert(id.clone());
            }
            (Some("organisation"), Some(id)) => {
                orgs.insert(id.clone());
            }
            _ => {}
        }
    }
    let mut out = RecordNames::default();
    let mut tx = app.store().begin_read().await?;
    for id in users {
        if let Some(u) = tx.get_user(&id).await? {
            out.users
                .insert(id, format!("{}（{}）", u.display_name, u.username));
        }
    }
    for o in tx.list_organisations().await? {
        if orgs.contains(&o.id) {
            out.orgs.insert(o.id, o.name);
        }
    }
    tx.commit().await?;
    Ok(out)
}
