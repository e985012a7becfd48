//! Use cases of 数据使用申请与外部数据导入: data-use applications of admitted
//! secondary-market participants (S-2.5b, S-3.3.2a, S-2.1; this module) and
//! external data imports (S-6.2-3, S-3.3.4-3; `data_import`).
//!
//! Order of every command: parse → load (read transaction) →
//! `app.authorize` (Cedar: `workflow.submit` for the applicant,
//! `workflow.approve` for a party) → domain checks → write transaction:
//! reload, apply the domain command, compare-and-set on `version` → one
//! audit record → commit. Follow-up records announce the consequences after
//! the commit, as the joint reviews do.
//!
//! Audit action codes (stable): `use_application.submitted`,
//! `use_application.decided` (every decision, with the grants or
//! subscriptions it created); follow-ups `use_application.approved`,
//! `use_application.rejected` (with `appealable: true`), `grant.created`,
//! `subscription.created`. Imports: see `data_import`.

mod data_import;
mod input;
mod support;

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::deadline::{Obligation, due_in_working_days};
use gongshu_domain::review::{ColumnName, ReviewText, Verdict};
use gongshu_domain::use_application::{
    ADMISSION_RULE, RULE, SCOPE_RULE, UseApplicationError, UseKind, UseStatus, required_parties,
};
use gongshu_domain::{DomainError as _, OrgKind, WorkingDayCalendar};
use gongshu_policy::{Action, Resource};
use gongshu_store::{
    DataGrantRow, ProductSubscriptionRow, StoreTx, UseApplicationDatasetRow,
    UseApplicationDecisionRow, UseApplicationPartyRow, UseApplicationProductRow, UseApplicationRow,
};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::reviews::{DatasetRequest, DatasetRequestView, DecisionInput, GrantView, ReviewView};
use crate::{Actor, App, AuditEvent, new_id};

pub use data_import::{
    DataImportView, NewDataImport, PendingImportView, create_data_import, decide_data_import,
    get_data_import, list_approved_imports, list_data_imports,
};
use input::{Request, parse};
use support::{Follow, Loaded, actor_ids, deny, load, use_error};

/// Working days each party has to decide a data-use application: 10, the
/// local practice for reviewing a data-use (用数) application
/// (REQUIREMENTS.md §3.2, `[粤]` Art. 24); a default, not binding on Hebei.
pub const USE_APPLICATION_REVIEW_WORKING_DAYS: u32 = 10;

/// Working days the implementing agency has to decide an import: §3.2 gives
/// no number, so the same 10-working-day default (our own, configurable).
pub const DATA_IMPORT_REVIEW_WORKING_DAYS: u32 = 10;

const KIND: &str = "use_application";

/// Input of `create_use_application`.
#[derive(Debug, Clone, Deserialize)]
pub struct NewUseApplication {
    /// `product_subscription` or `sandbox_access`.
    pub kind: String,
    /// One of the participant's scenarios (应用场景), one line.
    pub scenario: String,
    /// Purpose of use (用途).
    pub purpose: String,
    /// First day of validity (`YYYY-MM-DD`).
    pub valid_from: String,
    /// Last day of validity (`YYYY-MM-DD`).
    pub valid_until: String,
    /// Product ids of the operator (for `product_subscription`).
    #[serde(default)]
    pub products: Vec<String>,
    /// Datasets and columns (for `sandbox_access`).
    #[serde(default)]
    pub datasets: Vec<DatasetRequest>,
}

/// A product subscription (产品订阅) as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SubscriptionView {
    /// Id.
    pub id: String,
    /// Subscriber.
    pub subscriber_org: String,
    /// Product id.
    pub product_id: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day.
    pub valid_until: NaiveDate,
    /// The approved application.
    pub source_application: String,
    /// When created.
    pub created_at: DateTime<Utc>,
}

/// A data-use application as shown.
#[derive(Debug, Clone, Serialize)]
pub struct UseApplicationView {
    /// Id.
    pub id: String,
    /// Kind code.
    pub kind: String,
    /// Kind in Chinese.
    pub kind_label: &'static str,
    /// Scenario.
    pub scenario: String,
    /// Purpose.
    pub purpose: String,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity.
    pub valid_until: NaiveDate,
    /// The admitting market entry.
    pub market_entry: String,
    /// Products asked for.
    pub products: Vec<String>,
    /// Datasets asked for.
    pub datasets: Vec<DatasetRequestView>,
    /// The review (parties, decisions, status, rejection reasons).
    pub review: ReviewView,
    /// Whether the outcome may be appealed to the implementing agency
    /// (S-2.5b; a rejection).
    pub appealable: bool,
    /// Grants created by the approval (sandbox access).
    pub grants: Vec<GrantView>,
    /// Subscriptions created by the approval (products).
    pub subscriptions: Vec<SubscriptionView>,
}

/// Submits a data-use application (提交数据使用申请). Only a participant
/// that is admitted (entry approved by all four parties and the
/// undertaking signed, S-3.3.2a/b) applies; anyone else is refused.
pub async fn create_use_application(
    app: &App,
    actor: &Actor,
    input: &NewUseApplication,
) -> Result<UseApplicationView, AppError> {
    let p = parse(input)?;
    let (applicant, by) = actor_ids(actor)?;
    let id = new_id();
    let (orgs, entry) = {
        let mut tx = app.store().begin_read().await?;
        let orgs = tx.list_organisations().await?;
        let entry = tx.admitted_market_entry(&actor.org_id).await?;
        tx.commit().await?;
        (orgs, entry)
    };
    // Checked before the parties are formed: the operator or another
    // party applying would otherwise look like a bad party set.
    if actor.org_kind != OrgKind::Participant {
        let e = UseApplicationError::ApplicantNotParticipant;
        return Err(deny(
            app,
            actor,
            Action::WorkflowSubmit,
            (KIND, &id),
            e.code(),
            &e.message_zh(),
        )
        .await);
    }
    let operator = crate::reviews::unique_org(&orgs, OrgKind::Operator, None, RULE)?;
    let agency = crate::reviews::unique_org(&orgs, OrgKind::ImplementingAgency, None, RULE)?;
    let mut providers = Vec::new();
    if let Request::Sandbox(items) = &p.request {
        let mut errors = Vec::new();
        for (i, (_, provider, _)) in items.iter().enumerate() {
            let text = provider.to_string();
            if orgs
                .iter()
                .any(|o| o.id == text && o.kind == OrgKind::DataSourceUnit.as_str())
            {
                providers.push(*provider);
            } else {
                errors.push(FieldError::new(
                    &format!("datasets[{i}].provider_org"),
                    "use_application.provider_not_data_source_unit",
                    format!("数据提供单位须为已登记的数源单位（{RULE}）"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
    }
    let parties = required_parties(
        p.kind,
        support::org_id(&operator.id)?,
        support::org_id(&agency.id)?,
        &providers,
    );
    let review = gongshu_domain::use_application::UseReview::submit(applicant, by, &parties)
        .map_err(|e| use_error(&e))?;
    let resource = Resource::Workflow {
        id: format!("{KIND}/{id}"),
        applicant_org: applicant,
        submitted_by: by,
        parties: review.parties().iter().map(|p| p.org).collect(),
    };
    let decided = app
        .authorize(actor, Action::WorkflowSubmit, &resource)
        .await?;
    let Some(entry) = entry else {
        let e = UseApplicationError::NotAdmitted;
        return Err(AppError::Refused {
            code: e.code(),
            message: e.message_zh(),
        });
    };
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        tx.insert_use_application(&UseApplicationRow {
            id: id.clone(),
            kind: p.kind.as_str().to_owned(),
            applicant_org: actor.org_id.clone(),
            submitted_by: actor.user_id.clone(),
            submitted_at: now,
            market_entry: entry.clone(),
            scenario: p.scenario.as_str().to_owned(),
            purpose: p.purpose.as_str().to_owned(),
            valid_from: p.valid_from,
            valid_until: p.valid_until,
            status: review.status().as_str().to_owned(),
            closed_at: None,
            appealable: 0,
            version: 1,
        })
        .await?;
        for (i, party) in review.parties().iter().enumerate() {
            tx.insert_use_application_party(&UseApplicationPartyRow {
                application_id: id.clone(),
                party_org: party.org.to_string(),
                roles: party
                    .roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                position: support::position(i),
            })
            .await?;
        }
        match &p.request {
            Request::Products(products) => {
                for (i, product) in products.iter().enumerate() {
                    tx.insert_use_application_product(&UseApplicationProductRow {
                        application_id: id.clone(),
                        product_id: product.as_str().to_owned(),
                        position: support::position(i),
                    })
                    .await?;
                }
            }
            Request::Sandbox(items) => {
                for (i, (dataset, provider, columns)) in items.iter().enumerate() {
                    let columns: Vec<&str> = columns.iter().map(ColumnName::as_str).collect();
                    tx.insert_use_application_dataset(&UseApplicationDatasetRow {
                        application_id: id.clone(),
                        dataset_id: dataset.to_string(),
                        provider_org: provider.to_string(),
                        columns: support::to_json(&columns)?,
                        position: support::position(i),
                    })
                    .await?;
                }
            }
        }
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(e) = result {
        change.abandon().await;
        return Err(e);
    }
    let requested = match &p.request {
        Request::Products(products) => serde_json::json!({
            "products": products.iter().map(ReviewText::as_str).collect::<Vec<_>>(),
        }),
        Request::Sandbox(items) => serde_json::json!({
            "datasets": items.iter().map(|(d, o, c)| serde_json::json!({
                "dataset_id": d.to_string(),
                "provider_org": o.to_string(),
                "columns": c.iter().map(ColumnName::as_str).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    };
    let event = AuditEvent::new("use_application.submitted")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "rule": ADMISSION_RULE,
            "kind": p.kind.as_str(),
            "market_entry": entry,
            "scenario": p.scenario.as_str(),
            "requested": requested,
            "parties": review.parties().iter().map(|p| p.org.to_string()).collect::<Vec<_>>(),
            "valid_from": p.valid_from,
            "valid_until": p.valid_until,
        }));
    change.audit(event).await?.commit().await?;
    get_use_application(app, actor, &id).await
}

/// A party decides a data-use application (审核). The last approval creates
/// the grants (sandbox access) or subscriptions (products) in the same
/// transaction; any rejection ends it, appealable (S-2.5b). Concurrent
/// decisions for one party: exactly one wins, the other gets 409.
pub async fn decide_use_application(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &DecisionInput,
) -> Result<UseApplicationView, AppError> {
    let verdict = Verdict::parse(&input.verdict, input.reason.as_deref(), RULE)
        .map_err(|e| crate::reviews::review_error(&e))?;
    let loaded = {
        let mut tx = app.store().begin_read().await?;
        let l = load(&mut tx, id).await;
        tx.commit().await?;
        l?
    };
    let decided = app
        .authorize(actor, Action::WorkflowApprove, &loaded.resource())
        .await?;
    let (org, by) = actor_ids(actor)?;
    let now = app.clock().now();
    if let Err(e) = loaded.review.clone().decide(org, by, verdict.clone(), now) {
        return Err(match e {
            UseApplicationError::NotAParty { .. } | UseApplicationError::ApplicantDecides => {
                deny(
                    app,
                    actor,
                    Action::WorkflowApprove,
                    (KIND, id),
                    e.code(),
                    &e.message_zh(),
                )
                .await
            }
            other => use_error(&other),
        });
    }
    let mut change = app.begin().await?;
    let result = async {
        let tx = change.tx();
        let mut fresh = load(tx, id).await?;
        let status = fresh
            .review
            .decide(org, by, verdict.clone(), now)
            .map_err(|e| use_error(&e))?;
        tx.insert_use_application_decision(&UseApplicationDecisionRow {
            application_id: id.to_owned(),
            party_org: actor.org_id.clone(),
            decided_by: actor.user_id.clone(),
            verdict: verdict.as_str().to_owned(),
            reason: verdict.reason().map(|r| r.as_str().to_owned()),
            decided_at: now,
        })
        .await?;
        let mut row = fresh.row.clone();
        row.status = status.as_str().to_owned();
        row.appealable = i64::from(status.is_appealable());
        if status.is_final() {
            row.closed_at = Some(now);
        }
        tx.update_use_application(&row, fresh.row.version).await?;
        let created = if status == UseStatus::Approved {
            create_rights(tx, &row, now).await?
        } else {
            (Vec::new(), Vec::new())
        };
        Ok::<_, AppError>((status, created, fresh.review.pending_parties().len()))
    }
    .await;
    let (status, (grants, subscriptions), pending) = match result {
        Ok(v) => v,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let event = AuditEvent::new("use_application.decided")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target(KIND, id)
        .decided_by(decided.clone())
        .details(serde_json::json!({
            "rule": RULE,
            "party": actor.org_id,
            "verdict": verdict.as_str(),
            "reason": verdict.reason().map(ReviewText::as_str),
            "status": status.as_str(),
            "appealable": status.is_appealable(),
            "pending_parties": pending,
            "grants": grants.iter().map(|g| &g.id).collect::<Vec<_>>(),
            "subscriptions": subscriptions.iter().map(|s| &s.id).collect::<Vec<_>>(),
        }));
    change.audit(event).await?.commit().await?;

    let follow = Follow {
        app,
        actor,
        decided: &decided,
    };
    if status.is_final() {
        let (action, details) = if status == UseStatus::Approved {
            (
                "use_application.approved",
                serde_json::json!({ "rule": RULE }),
            )
        } else {
            (
                "use_application.rejected",
                serde_json::json!({
                    "rule": RULE,
                    "reasons": loaded_reasons(&verdict),
                    "appealable": true,
                }),
            )
        };
        follow
            .send(
                AuditEvent::new(action).target(KIND, id).details(details),
                None,
            )
            .await;
    }
    for g in &grants {
        let event = AuditEvent::new("grant.created")
            .target("data_grant", &g.id)
            .details(serde_json::json!({
                "rule": SCOPE_RULE,
                "grantee_org": g.grantee_org,
                "dataset_id": g.dataset_id,
                "columns": g.columns,
                "valid_from": g.valid_from,
                "valid_until": g.valid_until,
                "source_use_application": id,
            }));
        follow.send(event, Some(g.dataset_id.clone())).await;
    }
    for s in &subscriptions {
        let event = AuditEvent::new("subscription.created")
            .target("product_subscription", &s.id)
            .details(serde_json::json!({
                "rule": SCOPE_RULE,
                "subscriber_org": s.subscriber_org,
                "product_id": s.product_id,
                "source_application": id,
            }));
        follow.send(event, None).await;
    }
    get_use_application(app, actor, id).await
}

fn loaded_reasons(verdict: &Verdict) -> Vec<&str> {
    verdict
        .reason()
        .map(ReviewText::as_str)
        .into_iter()
        .collect()
}

/// Creates the participant's grants (sandbox access) or subscriptions
/// (products) of an approved application.
async fn create_rights(
    tx: &mut StoreTx,
    row: &UseApplicationRow,
    now: DateTime<Utc>,
) -> Result<(Vec<DataGrantRow>, Vec<ProductSubscriptionRow>), AppError> {
    let mut grants = Vec::new();
    for item in tx.list_use_application_datasets(&row.id).await? {
        let g = DataGrantRow {
            id: new_id(),
            grantee_org: row.applicant_org.clone(),
            dataset_id: item.dataset_id,
            provider_org: item.provider_org,
            columns: item.columns,
            purpose: row.purpose.clone(),
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            source_demand: row.id.clone(),
            created_at: now,
            revoked_at: None,
        };
        tx.insert_use_application_grant(&g).await?;
        grants.push(g);
    }
    let mut subscriptions = Vec::new();
    for item in tx.list_use_application_products(&row.id).await? {
        let s = ProductSubscriptionRow {
            id: new_id(),
            subscriber_org: row.applicant_org.clone(),
            product_id: item.product_id,
            scenario: row.scenario.clone(),
            purpose: row.purpose.clone(),
            valid_from: row.valid_from,
            valid_until: row.valid_until,
            source_application: row.id.clone(),
            created_at: now,
            revoked_at: None,
        };
        tx.insert_product_subscription(&s).await?;
        subscriptions.push(s);
    }
    Ok((grants, subscriptions))
}

async fn view(tx: &mut StoreTx, loaded: &Loaded) -> Result<UseApplicationView, AppError> {
    let row = &loaded.row;
    let kind = row
        .kind
        .parse::<UseKind>()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let products = tx
        .list_use_application_products(&row.id)
        .await?
        .into_iter()
        .map(|p| p.product_id)
        .collect();
    let datasets = tx
        .list_use_application_datasets(&row.id)
        .await?
        .into_iter()
        .map(|d| DatasetRequestView {
            columns: serde_json::from_str(&d.columns).unwrap_or_default(),
            dataset_id: d.dataset_id,
            provider_org: d.provider_org,
        })
        .collect();
    let grants = tx
        .list_data_grants_of_demand(&row.id)
        .await?
        .into_iter()
        .map(GrantView::from)
        .collect();
    let subscriptions = tx
        .list_product_subscriptions_of_application(&row.id)
        .await?
        .into_iter()
        .map(|s| SubscriptionView {
            id: s.id,
            subscriber_org: s.subscriber_org,
            product_id: s.product_id,
            valid_from: s.valid_from,
            valid_until: s.valid_until,
            source_application: s.source_application,
            created_at: s.created_at,
        })
        .collect();
    Ok(UseApplicationView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        kind_label: kind.label_zh(),
        scenario: row.scenario.clone(),
        purpose: row.purpose.clone(),
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        market_entry: row.market_entry.clone(),
        products,
        datasets,
        review: loaded.view(),
        appealable: row.appealable == 1,
        grants,
        subscriptions,
    })
}

/// One data-use application, for the applicant, its parties and the
/// supervising implementing agency and data bureau.
pub async fn get_use_application(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<UseApplicationView, AppError> {
    let mut tx = app.store().begin_read().await?;
    let loaded = load(&mut tx, id).await?;
    if !loaded.visible_to(actor) {
        return Err(AppError::NotFound { what: KIND });
    }
    let v = view(&mut tx, &loaded).await?;
    tx.commit().await?;
    Ok(v)
}

/// The data-use applications the actor may see, oldest first.
pub async fn list_use_applications(
    app: &App,
    actor: &Actor,
) -> Result<Vec<UseApplicationView>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for row in tx.list_use_applications(false).await? {
        let loaded = load(&mut tx, &row.id).await?;
        if loaded.visible_to(actor) {
            out.push(view(&mut tx, &loaded).await?);
        }
    }
    tx.commit().await?;
    Ok(out)
}

/// Open obligations of this workflow for the inbox: a "review due" item
/// per pending party of every open data-use application (10 working days
/// from submission) and per open import for the implementing agency.
/// Obligations in a year whose official calendar is not published are
/// left out and logged, never guessed; dating them is the inbox's job.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let calendar = WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))?;
    let mut tx = app.store().begin_read().await?;
    let mut out = Vec::new();
    for row in tx.list_use_applications(true).await? {
        let loaded = load(&mut tx, &row.id).await?;
        let started_on = crate::inbox::shanghai_today(row.submitted_at);
        let due_on = match due_in_working_days(
            &calendar,
            started_on,
            USE_APPLICATION_REVIEW_WORKING_DAYS,
        ) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, use_application.id = %row.id, "deadline not computable");
                continue;
            }
        };
        for party in loaded.review.pending_parties() {
            out.push(Obligation {
                kind: "use_application.review".into(),
                title_zh: "数据使用申请待审核".into(),
                rule: RULE.into(),
                subject_type: KIND.into(),
                subject_id: row.id.clone(),
                responsible_org: party.org.to_string(),
                started_on,
                due_on,
            });
        }
    }
    out.extend(data_import::open_obligations(&mut tx, &calendar).await?);
    tx.commit().await?;
    Ok(out)
}
