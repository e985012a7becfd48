//! The product call path (S-3.3.2c, S-3.3.4-3): API key → subscription,
//! scenario, admission, product on offer, agreement in force → parameters
//! → subject consent → rate and quota → the approved template in the
//! sandbox on the operator's granted tables (scoped to the subject for
//! products about one subject, under the output controls otherwise) →
//! the participant's fingerprint → the durable audit record, then metering
//! in the next group commit (`meter`) → the answer. Every refusal is audited; nothing is
//! delivered unless the audit record is written (fail closed).

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::OrgKind;
use gongshu_domain::product::{Bound, ProductDefinition, bind};
use gongshu_ledger::RetentionClass;
use gongshu_sandbox::{OutColumn, OutRow};
use gongshu_store::{ProductCallRow, ProductRow, ProductSubscriptionRow, SubjectConsentRow};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::consent::{is_live, pseudonym};
use super::hot::CallFacts;
use super::meter::meter_call;
use super::template::{execute, refused};
use super::{definition, internal, offered, product_error};
use crate::error::AppError;
use crate::inbox::shanghai_today;
use crate::{Actor, App, AuditEvent, AuthMethod, new_id};

/// A call as the participant sends it.
#[derive(Debug, Clone, Deserialize)]
pub struct CallInput {
    /// The subscription's approved scenario.
    pub scenario: String,
    /// Parameter values.
    #[serde(default)]
    pub params: BTreeMap<String, Value>,
}

/// A delivered answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CallOutput {
    /// Call id.
    pub call_id: String,
    /// Product.
    pub product_id: String,
    /// Version served.
    pub product_version: i64,
    /// Scenario.
    pub scenario: String,
    /// Columns.
    pub columns: Vec<OutColumn>,
    /// Rows.
    pub rows: Vec<OutRow>,
    /// The receiving participant's fingerprint (traceable by the platform).
    pub fingerprint: String,
    /// When delivered.
    pub delivered_at: DateTime<Utc>,
}

/// Prefix of fingerprints, so a leaked output is recognisable.
pub(crate) const FINGERPRINT_PREFIX: &str = "gsfp1-";

/// Hex SHA-256 of what was delivered (columns and rows).
pub(crate) fn content_sha256(columns: &[OutColumn], rows: &[OutRow]) -> String {
    let body = serde_json::json!({ "columns": columns, "rows": rows });
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// The fingerprint of a delivery: a MAC, under the platform's
/// pseudonymisation secret with its own domain label, of the call, the
/// receiving participant and the content. Nobody outside the platform can
/// forge one, so a leaked output names its receiver.
pub(crate) fn fingerprint(
    app: &App,
    call_id: &str,
    org: &str,
    sha: &str,
) -> Result<String, AppError> {
    let mac = pseudonym(
        app,
        &format!("gongshu-fingerprint/v1|{call_id}|{org}|{sha}"),
    )?;
    let hex = mac.trim_start_matches("p_");
    Ok(format!(
        "{FINGERPRINT_PREFIX}{}",
        hex.get(..24).unwrap_or(hex)
    ))
}

/// The client's network: IPv4 /24 or IPv6 /48 (enough to tell
/// organisations apart, not to name a device).
pub(crate) fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            format!("{a}.{b}.{c}.0/24")
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

fn denied(code: &'static str, message: impl Into<String>) -> AppError {
    AppError::Denied {
        code,
        message: message.into(),
    }
}

/// What the checks found, for the call.
struct Cleared {
    facts: Arc<CallFacts>,
    subscription: ProductSubscriptionRow,
    bound: Bound,
    consent: Option<String>,
    today: NaiveDate,
}

impl Cleared {
    fn product(&self) -> Result<&(ProductRow, ProductDefinition), AppError> {
        self.facts
            .product
            .as_ref()
            .ok_or_else(|| refused("product.not_offered", "产品未上架或已下架"))
    }
}

/// The subscription, admission, product and agreement facts of a call,
/// read in one transaction and kept until the next change.
async fn call_facts(
    app: &App,
    sub_id: &str,
    product_id: &str,
    org: &str,
) -> Result<Arc<CallFacts>, AppError> {
    let key = (sub_id.to_owned(), product_id.to_owned(), org.to_owned());
    let generation = app.generation();
    if let Some(f) = app.hot().calls.get(&key, generation) {
        return Ok(f);
    }
    let mut tx = app.store().begin_read().await?;
    let subscription = tx.get_product_subscription(sub_id).await?;
    let admitted = tx.admitted_market_entry(org).await?.is_some();
    let product = offered(&mut tx, product_id).await?;
    let agreements = tx.list_agreements().await?;
    tx.commit().await?;
    let product = match product {
        Some(p) => {
            let def = definition(&p)?;
            Some((p, def))
        }
        None => None,
    };
    let in_force = product.as_ref().is_some_and(|(p, _)| {
        agreements.iter().any(|a| {
            a.operator_org_id == p.owner_org
                && a.status
                    .parse::<gongshu_domain::agreement::AgreementStatus>()
                    .is_ok_and(|s| s.is_active())
        })
    });
    let facts = CallFacts {
        subscription,
        admitted,
        product,
        in_force,
    };
    Ok(app.hot().calls.put(key, generation, facts))
}

/// The participant's consents from one subject, kept until the next change.
async fn consents(
    app: &App,
    org: &str,
    subject: &str,
) -> Result<Arc<Vec<SubjectConsentRow>>, AppError> {
    let key = (org.to_owned(), subject.to_owned());
    let generation = app.generation();
    if let Some(c) = app.hot().consents.get(&key, generation) {
        return Ok(c);
    }
    let mut tx = app.store().begin_read().await?;
    let found = tx.find_subject_consents(org, subject).await?;
    tx.commit().await?;
    Ok(app.hot().consents.put(key, generation, found))
}

async fn clear(
    app: &App,
    actor: &Actor,
    product_id: &str,
    input: &CallInput,
) -> Result<Cleared, AppError> {
    let AuthMethod::ApiKey { scope, .. } = &actor.via else {
        return Err(denied(
            "product.api_key_required",
            "产品接口须使用接口密钥（Authorization: Bearer）调用",
        ));
    };
    let now = app.clock().now();
    let today = shanghai_today(now);
    let sub_id = scope.strip_prefix("subscription:").unwrap_or_default();
    let facts = call_facts(app, sub_id, product_id, &actor.org_id).await?;
    let subscription = facts
        .subscription
        .as_ref()
        .filter(|s| s.subscriber_org == actor.org_id && s.product_id == product_id)
        .ok_or_else(|| {
            denied(
                "product.key_not_for_product",
                "该接口密钥不是为本产品的订阅签发的",
            )
        })?
        .clone();
    if input.scenario != subscription.scenario {
        return Err(denied(
            "product.wrong_scenario",
            format!(
                "调用场景与订阅批准的场景（{}）不一致",
                subscription.scenario
            ),
        ));
    }
    if subscription.revoked_at.is_some()
        || today < subscription.valid_from
        || today > subscription.valid_until
    {
        return Err(denied(
            "product.subscription_not_live",
            "产品订阅不在有效期内或已撤销",
        ));
    }
    if !facts.admitted || actor.org_kind != OrgKind::Participant {
        return Err(denied(
            "product.not_admitted",
            "调用方不是准入的二级市场主体（S-3.3.2a）",
        ));
    }
    let (product, def) = facts
        .product
        .as_ref()
        .ok_or_else(|| refused("product.not_offered", "产品未上架或已下架"))?;
    if product.status != "listed" {
        return Err(refused("product.suspended", "产品已暂停提供"));
    }
    if !def.scenarios.contains(&input.scenario) {
        return Err(denied("product.wrong_scenario", "产品不服务于该应用场景"));
    }
    if !facts.in_force {
        return Err(refused(
            "product.agreement_not_in_force",
            "运营机构没有生效的授权运营协议，产品不能提供（S-3.3.5）",
        ));
    }
    let bound = bind(&def.template, &def.params, &input.params, &|c| {
        pseudonym(app, c).ok()
    })
    .map_err(|e| product_error(&e))?;
    let consent = match &bound.subject {
        None => None,
        Some(p) => {
            let found = consents(app, &actor.org_id, p).await?;
            let live = found.iter().find(|c| is_live(c, &input.scenario, today));
            Some(
                live.ok_or_else(|| {
                    denied(
                        "product.no_consent",
                        "数据主体没有就该场景向调用方授权，或授权已过期、已撤回",
                    )
                })?
                .id
                .clone(),
            )
        }
    };
    Ok(Cleared {
        facts,
        subscription,
        bound,
        consent,
        today,
    })
}

/// Daily quota, then the minute's rate. A call counted here and not
/// delivered is given back.
async fn limit(app: &App, c: &Cleared, def: &ProductDefinition) -> Result<(), AppError> {
    let now = app.clock().now();
    let sub = &c.subscription.id;
    let quota = i64::from(def.daily_quota);
    let taken = match app.hot().take_quota(sub, c.today, quota) {
        Some(t) => t,
        None => {
            let mut tx = app.store().begin_read().await?;
            let used = tx.count_product_calls(sub, c.today).await?;
            tx.commit().await?;
            app.hot().seed_quota(sub, c.today, used);
            app.hot().take_quota(sub, c.today, quota).unwrap_or(false)
        }
    };
    if !taken {
        let midnight = c
            .today
            .succ_opt()
            .and_then(crate::local_time::shanghai_midnight);
        let secs = midnight.map_or(3600, |m| (m - now).num_seconds().max(1));
        return Err(AppError::RateLimited {
            code: "product.quota_exhausted",
            message: format!("今日调用次数已达上限（{} 次）", def.daily_quota),
            retry_after_secs: u64::try_from(secs).unwrap_or(3600),
        });
    }
    app.call_windows()
        .take(sub, now.timestamp(), def.rate_per_minute)
        .map_err(|secs| {
            app.hot().give_back_quota(sub, c.today);
            AppError::RateLimited {
                code: "product.rate_limited",
                message: format!("调用过于频繁（每分钟至多 {} 次）", def.rate_per_minute),
                retry_after_secs: secs,
            }
        })
}

fn call_event(actor: &Actor, product_id: &str, input: &CallInput) -> AuditEvent {
    AuditEvent::new("product.called")
        .class(RetentionClass::DataAccess)
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("product", product_id)
        .details(serde_json::json!({
            "scenario": input.scenario,
            "params": input.params.keys().collect::<Vec<_>>(),
        }))
}

/// Serves one call of a product to the API key's participant.
///
/// # Errors
/// 403 for a key, subscription, scenario, admission or consent that does
/// not allow the call; 409 when the product is not offered or the
/// agreement not in force; 422 naming a parameter; 429 over rate or quota;
/// 503 when the audit log cannot be written (nothing is delivered).
pub async fn call_product(
    app: &App,
    actor: &Actor,
    product_id: &str,
    input: &CallInput,
    client: Option<IpAddr>,
) -> Result<CallOutput, AppError> {
    let key_id = match &actor.via {
        AuthMethod::ApiKey { key_id, .. } => key_id.clone(),
        _ => String::new(),
    };
    let mut ev = call_event(actor, product_id, input);
    let mut counted = None;
    let outcome = async {
        let c = clear(app, actor, product_id, input).await?;
        let (product, def) = c.product()?;
        limit(app, &c, def).await?;
        counted = Some((c.subscription.id.clone(), c.today));
        let result = execute(app, product, def, &c.bound, c.today).await?;
        Ok::<_, AppError>((c, result))
    }
    .await;
    let give_back = |counted: &Option<(String, NaiveDate)>| {
        if let Some((sub, day)) = counted {
            app.hot().give_back_quota(sub, *day);
        }
    };
    let (c, result) = match outcome {
        Ok(v) => v,
        Err(e) => {
            give_back(&counted);
            ev = ev.outcome("refused");
            ev.details["code"] = e.code().into();
            app.record(ev).await?;
            return Err(e);
        }
    };
    let (product, def) = c.product()?;
    let now = app.clock().now();
    let call_id = new_id();
    let sha = content_sha256(&result.columns, &result.rows);
    let fp = fingerprint(app, &call_id, &actor.org_id, &sha)?;
    let units = match def.billing_unit {
        gongshu_domain::product::BillingUnit::PerVolume => result.rows.len(),
        _ => 1,
    };
    let row = ProductCallRow {
        id: call_id.clone(),
        product_id: product_id.to_owned(),
        product_version: product.version,
        subscription_id: c.subscription.id.clone(),
        participant_org: actor.org_id.clone(),
        api_key_id: key_id,
        scenario: input.scenario.clone(),
        consent_id: c.consent.clone(),
        called_at: now,
        call_day: c.today,
        units: i64::try_from(units).map_err(internal)?,
        price_fen: def.price.fen(),
        result_sha256: sha.clone(),
        fingerprint: fp.clone(),
        client_net: client.map(network),
    };
    ev.details["call_id"] = call_id.clone().into();
    ev.details["version"] = product.version.into();
    ev.details["subscription"] = c.subscription.id.clone().into();
    ev.details["consent"] = c.consent.clone().into();
    ev.details["result_sha256"] = sha.into();
    ev.details["fingerprint"] = fp.clone().into();
    ev.details["rules"] = result.report.rules.clone().into();
    if let Err(e) = meter_call(app, ev, row).await {
        give_back(&counted);
        return Err(e);
    }
    Ok(CallOutput {
        call_id,
        product_id: product_id.to_owned(),
        product_version: product.version,
        scenario: input.scenario.clone(),
        columns: result.columns.clone(),
        rows: result.rows.clone(),
        fingerprint: fp,
        delivered_at: now,
    })
}
