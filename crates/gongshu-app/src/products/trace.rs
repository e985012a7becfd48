//! Tracing a leaked output (泄露溯源): the data bureau or the implementing
//! agency hands in an output found outside the platform; its fingerprint
//! names the call and so the participant who received it. The fingerprint
//! is recomputed from the stored call, so a made-up or altered fingerprint
//! names nobody; whether the content was altered is reported too.

use chrono::{DateTime, Utc};
use gongshu_domain::OrgKind;
use gongshu_policy::{Action, Resource};
use serde::Serialize;
use serde_json::Value;

use super::call::{FINGERPRINT_PREFIX, content_sha256, fingerprint};
use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent};

/// What the trace found.
#[derive(Debug, Clone, Serialize)]
pub struct TraceView {
    /// Whether a genuine fingerprint of a delivered call was found.
    pub traced: bool,
    /// The receiving participant.
    pub participant_org: Option<String>,
    /// Its name.
    pub participant_name: Option<String>,
    /// The call.
    pub call_id: Option<String>,
    /// When delivered.
    pub called_at: Option<DateTime<Utc>>,
    /// Product.
    pub product_id: Option<String>,
    /// Whether the columns and rows are exactly as delivered.
    pub content_unchanged: Option<bool>,
    /// Chinese summary.
    pub summary: String,
}

fn nothing(summary: &str) -> TraceView {
    TraceView {
        traced: false,
        participant_org: None,
        participant_name: None,
        call_id: None,
        called_at: None,
        product_id: None,
        content_unchanged: None,
        summary: summary.to_owned(),
    }
}

/// Traces `output` (a product answer as JSON) to its receiver.
///
/// # Errors
/// 403 for anyone but the data bureau and the implementing agency; 422
/// when the output carries no fingerprint.
pub async fn trace_output(app: &App, actor: &Actor, output: &Value) -> Result<TraceView, AppError> {
    let action = if actor.org_kind == OrgKind::ImplementingAgency {
        Action::GovernanceManage
    } else {
        Action::SupervisionManage
    };
    let applicant = gongshu_domain::OrgId::parse(&actor.org_id).map_err(super::internal)?;
    let decided = app
        .authorize(
            actor,
            action,
            &Resource::Workflow {
                id: "product_trace".into(),
                applicant_org: applicant,
                submitted_by: gongshu_domain::UserId::parse(&actor.user_id)
                    .map_err(super::internal)?,
                parties: vec![],
            },
        )
        .await?;
    let fp = output
        .get("fingerprint")
        .and_then(Value::as_str)
        .filter(|f| f.starts_with(FINGERPRINT_PREFIX) && f.len() <= 80)
        .ok_or_else(|| {
            AppError::Validation(vec![FieldError::new(
                "output.fingerprint",
                "trace.no_fingerprint",
                "输出中没有平台指纹（fingerprint 字段），无法溯源",
            )])
        })?;
    let (call, orgs) = {
        let mut tx = app.store().begin_read().await?;
        let c = tx.get_product_call_by_fingerprint(fp).await?;
        let o = tx.list_organisations().await?;
        tx.commit().await?;
        (c, o)
    };
    let view = match call {
        Some(c) if fingerprint(app, &c.id, &c.participant_org, &c.result_sha256)? == fp => {
            let content = (|| {
                let columns: Vec<gongshu_sandbox::OutColumn> =
                    serde_json::from_value(output.get("columns")?.clone()).ok()?;
                let rows: Vec<gongshu_sandbox::OutRow> =
                    serde_json::from_value(output.get("rows")?.clone()).ok()?;
                Some(content_sha256(&columns, &rows) == c.result_sha256)
            })();
            let name = orgs
                .iter()
                .find(|o| o.id == c.participant_org)
                .map(|o| o.name.clone());
            TraceView {
                traced: true,
                summary: format!(
                    "该输出于 {} 交付给 {}（调用 {}）{}",
                    c.called_at.format("%Y-%m-%d %H:%M:%S UTC"),
                    name.as_deref().unwrap_or(&c.participant_org),
                    c.id,
                    match content {
                        Some(true) => "，内容与交付时一致",
                        Some(false) => "，但内容已被改动",
                        None => "，内容不完整，无法比对",
                    }
                ),
                participant_org: Some(c.participant_org),
                participant_name: name,
                call_id: Some(c.id),
                called_at: Some(c.called_at),
                product_id: Some(c.product_id),
                content_unchanged: content,
            }
        }
        _ => nothing("指纹不属于平台交付的任何输出（可能被伪造或篡改）"),
    };
    let ev = AuditEvent::new("product.output_traced")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .decided_by(decided)
        .details(serde_json::json!({
            "fingerprint": fp, "traced": view.traced, "call_id": view.call_id,
            "participant_org": view.participant_org, "content_unchanged": view.content_unchanged,
        }));
    app.record(ev).await?;
    Ok(view)
}
