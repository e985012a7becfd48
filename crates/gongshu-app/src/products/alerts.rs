//! Re-licensing signals over the last 7 days of calls, for the operator
//! and the supervisors (see `gongshu_domain::product::alerts`).

use std::collections::BTreeMap;

use chrono::{TimeDelta, Timelike};
use gongshu_domain::OrgKind;
use gongshu_domain::product::alerts::{Alert, CallFact, relicensing_alerts};
use serde::Serialize;

use super::definition;
use crate::error::AppError;
use crate::{Actor, App};

/// Days of calls the signals look at.
pub const WINDOW_DAYS: i64 = 7;

/// A signal with who it concerns.
#[derive(Debug, Clone, Serialize)]
pub struct AlertView {
    /// The signal.
    #[serde(flatten)]
    pub alert: Alert,
    /// The subscribing participant.
    pub participant_org: String,
    /// The product.
    pub product_id: String,
}

/// The signals of the last 7 days (`WINDOW_DAYS`).
///
/// # Errors
/// 403 for anyone but the operator, the implementing agency and the data
/// bureau.
pub async fn relicensing_signals(app: &App, actor: &Actor) -> Result<Vec<AlertView>, AppError> {
    if !matches!(
        actor.org_kind,
        OrgKind::Operator | OrgKind::ImplementingAgency | OrgKind::DataBureau
    ) {
        return Err(AppError::Denied {
            code: "product.alerts_not_allowed",
            message: "转授权风险提示仅供运营机构、实施机构和数据管理部门查看".into(),
        });
    }
    let now = app.clock().now();
    let mut tx = app.store().begin_read().await?;
    let calls = tx
        .list_product_calls_since(now - TimeDelta::days(WINDOW_DAYS))
        .await?;
    let mut quotas = BTreeMap::new();
    let mut who = BTreeMap::new();
    for c in &calls {
        if !quotas.contains_key(&c.subscription_id) {
            let versions = tx.list_product_versions(&c.product_id).await?;
            let quota = versions
                .iter()
                .find(|v| v.version == c.product_version)
                .and_then(|v| definition(v).ok())
                .map_or(u32::MAX, |d| d.daily_quota);
            quotas.insert(c.subscription_id.clone(), quota);
            who.insert(
                c.subscription_id.clone(),
                (c.participant_org.clone(), c.product_id.clone()),
            );
        }
    }
    tx.commit().await?;
    let facts: Vec<CallFact> = calls
        .iter()
        .map(|c| {
            let local = crate::local_time::shanghai_wall(c.called_at);
            CallFact {
                subscription: c.subscription_id.clone(),
                day: c.call_day,
                hour: local.hour(),
                network: c.client_net.clone(),
            }
        })
        .collect();
    let alerts = relicensing_alerts(&facts, &|s| quotas.get(s).copied().unwrap_or(u32::MAX));
    Ok(alerts
        .into_iter()
        .map(|alert| {
            let (participant_org, product_id) =
                who.get(&alert.subscription).cloned().unwrap_or_default();
            AlertView {
                alert,
                participant_org,
                product_id,
            }
        })
        .collect())
}
