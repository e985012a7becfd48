//! Subject consent (数据主体授权): an enterprise or person lets one
//! participant use products about it, for one scenario and period. The
//! participant records the consent with the SHA-256 of its evidence (the
//! signed authorization); the subject is stored as its keyed pseudonym
//! only. The participant, or the implementing agency on the subject's
//! request, revokes it; calls stop at once.

use chrono::{DateTime, NaiveDate, Utc};
use gongshu_domain::product::SubjectIdKind;
use gongshu_domain::{OrgId, OrgKind, UserId};
use gongshu_policy::{Action, Resource};
use gongshu_store::SubjectConsentRow;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, FieldError};
use crate::{Actor, App, AuditEvent, new_id};

/// Input of [`record_consent`].
#[derive(Debug, Clone, Deserialize)]
pub struct NewConsent {
    /// `credit_code`, `resident_id` or `account`.
    pub subject_kind: SubjectIdKind,
    /// The subject's identifier (kept as a pseudonym only).
    pub subject_id: String,
    /// Scenario consented to.
    pub scenario: String,
    /// Purpose consented to.
    pub purpose: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day (at most 3 years after the first).
    pub valid_until: NaiveDate,
    /// Hex SHA-256 of the evidence document.
    pub evidence_sha256: String,
    /// What the evidence is (e.g. "企业盖章授权书").
    pub evidence_note: String,
}

/// Input of [`revoke_consent`].
#[derive(Debug, Clone, Deserialize)]
pub struct RevokeConsent {
    /// Why.
    pub reason: String,
}

/// A consent as shown (never the identifier itself).
#[derive(Debug, Clone, Serialize)]
pub struct ConsentView {
    /// Id.
    pub id: String,
    /// Participant.
    pub participant_org: String,
    /// Identifier kind.
    pub subject_kind: String,
    /// Masked identifier.
    pub subject_masked: String,
    /// Scenario.
    pub scenario: String,
    /// Purpose.
    pub purpose: String,
    /// First day.
    pub valid_from: NaiveDate,
    /// Last day.
    pub valid_until: NaiveDate,
    /// Evidence hash.
    pub evidence_sha256: String,
    /// Evidence description.
    pub evidence_note: String,
    /// Recorded.
    pub recorded_at: DateTime<Utc>,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Why revoked.
    pub revocation_reason: Option<String>,
}

impl From<SubjectConsentRow> for ConsentView {
    fn from(r: SubjectConsentRow) -> Self {
        Self {
            id: r.id,
            participant_org: r.participant_org,
            subject_kind: r.subject_kind,
            subject_masked: r.subject_masked,
            scenario: r.scenario,
            purpose: r.purpose,
            valid_from: r.valid_from,
            valid_until: r.valid_until,
            evidence_sha256: r.evidence_sha256,
            evidence_note: r.evidence_note,
            recorded_at: r.recorded_at,
            revoked_at: r.revoked_at,
            revocation_reason: r.revocation_reason,
        }
    }
}

/// Whether `c` lets its participant call about its subject for
/// `scenario` on `today`.
pub(crate) fn is_live(c: &SubjectConsentRow, scenario: &str, today: NaiveDate) -> bool {
    c.revoked_at.is_none()
        && c.scenario == scenario
        && c.valid_from <= today
        && today <= c.valid_until
}

fn mask(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars.iter().take(4).collect();
    let tail: String = chars.iter().skip(chars.len() - 4).collect();
    format!("{head}****{tail}")
}

/// The subject's pseudonym, as the data and the consents hold it.
pub(crate) fn pseudonym(app: &App, canonical: &str) -> Result<String, AppError> {
    let vault = app.vault().ok_or_else(|| AppError::Refused {
        code: "sandbox.no_vault",
        message: "本实例未配置可信数据空间存储（vault）".into(),
    })?;
    vault.pseudonym(canonical).map_err(super::internal)
}

fn field(name: &str, code: &str, msg: &str) -> FieldError {
    FieldError::new(name, code, msg)
}

fn workflow(actor: &Actor, id: &str, applicant: &str) -> Result<Resource, AppError> {
    Ok(Resource::Workflow {
        id: format!("subject_consent/{id}"),
        applicant_org: OrgId::parse(applicant).map_err(super::internal)?,
        submitted_by: UserId::parse(&actor.user_id).map_err(super::internal)?,
        parties: vec![],
    })
}

/// Records a consent obtained by the caller's participant organisation.
///
/// # Errors
/// 422 naming the field; 403 for anyone but a participant's case officer.
pub async fn record_consent(
    app: &App,
    actor: &Actor,
    input: &NewConsent,
) -> Result<ConsentView, AppError> {
    let id = new_id();
    let decided = app
        .authorize(
            actor,
            Action::WorkflowSubmit,
            &workflow(actor, &id, &actor.org_id)?,
        )
        .await?;
    if actor.org_kind != OrgKind::Participant {
        return Err(AppError::Denied {
            code: "consent.not_participant",
            message: "只有二级市场主体登记其取得的数据主体授权".into(),
        });
    }
    let mut errors = Vec::new();
    let canonical = input.subject_kind.canonical(&input.subject_id);
    if canonical.is_none() {
        errors.push(field(
            "subject_id",
            "consent.subject_invalid",
            &format!("不是有效的{}", input.subject_kind.label_zh()),
        ));
    }
    for (name, v, max) in [
        ("scenario", &input.scenario, 100),
        ("purpose", &input.purpose, 500),
        ("evidence_note", &input.evidence_note, 200),
    ] {
        if v.trim().is_empty() || v.chars().count() > max {
            errors.push(field(
                name,
                "consent.text_invalid",
                &format!("请填写（不超过 {max} 字）"),
            ));
        }
    }
    let hex_ok = input.evidence_sha256.len() == 64
        && input.evidence_sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !hex_ok {
        errors.push(field(
            "evidence_sha256",
            "consent.evidence_invalid",
            "请填写授权书文件的 SHA-256 摘要（64 位十六进制）",
        ));
    }
    let longest = input.valid_from.checked_add_months(chrono::Months::new(36));
    if input.valid_until < input.valid_from || longest.is_none_or(|l| input.valid_until > l) {
        errors.push(field(
            "valid_until",
            "consent.period_invalid",
            "授权期限须从起始日起不超过 3 年，且截止日不早于起始日",
        ));
    }
    let Some(canonical) = canonical.filter(|_| errors.is_empty()) else {
        return Err(AppError::Validation(errors));
    };
    let row = SubjectConsentRow {
        id: id.clone(),
        participant_org: actor.org_id.clone(),
        subject_kind: serde_json::to_value(input.subject_kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        subject_pseudonym: pseudonym(app, &canonical)?,
        subject_masked: mask(&canonical),
        scenario: input.scenario.trim().to_owned(),
        purpose: input.purpose.trim().to_owned(),
        valid_from: input.valid_from,
        valid_until: input.valid_until,
        evidence_sha256: input.evidence_sha256.to_ascii_lowercase(),
        evidence_note: input.evidence_note.trim().to_owned(),
        recorded_by: actor.user_id.clone(),
        recorded_at: app.clock().now(),
        revoked_at: None,
        revoked_by: None,
        revocation_reason: None,
    };
    let ev = AuditEvent::new("consent.recorded")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("subject_consent", &id)
        .decided_by(decided)
        .details(serde_json::json!({
            "subject": row.subject_masked, "scenario": row.scenario,
            "valid_from": row.valid_from, "valid_until": row.valid_until,
            "evidence_sha256": row.evidence_sha256,
        }));
    let mut change = app.begin().await?;
    if let Err(e) = change.tx().insert_subject_consent(&row).await {
        change.abandon().await;
        return Err(e.into());
    }
    change.audit(ev).await?.commit().await?;
    Ok(row.into())
}

/// Revokes a consent: by its participant, or by the implementing agency.
///
/// # Errors
/// 422 without a reason; 404 for another participant's consent; 409 when
/// already revoked.
pub async fn revoke_consent(
    app: &App,
    actor: &Actor,
    id: &str,
    input: &RevokeConsent,
) -> Result<ConsentView, AppError> {
    let row = {
        let mut tx = app.store().begin_read().await?;
        let r = tx.get_subject_consent(id).await?;
        tx.commit().await?;
        r.ok_or(AppError::NotFound { what: "consent" })?
    };
    let agency = actor.org_kind == OrgKind::ImplementingAgency;
    if !agency && row.participant_org != actor.org_id {
        return Err(AppError::NotFound { what: "consent" });
    }
    let action = if agency {
        Action::GovernanceManage
    } else {
        Action::WorkflowSubmit
    };
    let decided = app
        .authorize(actor, action, &workflow(actor, id, &row.participant_org)?)
        .await?;
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(AppError::Validation(vec![field(
            "reason",
            "consent.reason_required",
            "请填写撤回原因（不超过 500 字）",
        )]));
    }
    let now = app.clock().now();
    let mut change = app.begin().await?;
    match change
        .tx()
        .revoke_subject_consent(id, &actor.user_id, reason, now)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            change.abandon().await;
            return Err(AppError::Refused {
                code: "consent.already_revoked",
                message: "该授权已撤回".into(),
            });
        }
        Err(e) => {
            change.abandon().await;
            return Err(e.into());
        }
    }
    let ev = AuditEvent::new("consent.revoked")
        .actor(&actor.user_id, &actor.org_id, actor.role_codes())
        .target("subject_consent", id)
        .decided_by(decided)
        .details(serde_json::json!({ "reason": reason }));
    change.audit(ev).await?.commit().await?;
    let mut view = ConsentView::from(row);
    view.revoked_at = Some(now);
    view.revocation_reason = Some(reason.to_owned());
    Ok(view)
}

/// The caller's consents (a participant's own; the agency's: all of one
/// participant given by `participant_org`).
///
/// # Errors
/// Store errors.
pub async fn list_consents(
    app: &App,
    actor: &Actor,
    participant_org: Option<&str>,
) -> Result<Vec<ConsentView>, AppError> {
    let org = match participant_org {
        Some(o) if actor.org_kind == OrgKind::ImplementingAgency => o,
        _ => actor.org_id.as_str(),
    };
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_subject_consents(org).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(ConsentView::from).collect())
}
