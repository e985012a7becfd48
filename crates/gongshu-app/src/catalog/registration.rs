//! Registration (登记) use cases and the inbox obligations of the
//! registration authority (REQUIREMENTS §4.6, §3.1 N3-N9).

use chrono::NaiveDate;
use gongshu_domain::DomainError as _;
use gongshu_domain::catalog::{Registration, RegistrationCommand, RegistrationError};
use gongshu_domain::deadline::Obligation;
use gongshu_policy::Action;
use gongshu_store::CatalogResourceRow;
use serde::Deserialize;

use super::{
    ResourceView, event, invalid, load, registration_of, reload, stored_entry, view, workflow,
};
use crate::error::{AppError, FieldError};
use crate::{Actor, App};

/// Longest rejection reason, in characters.
const MAX_REASON_CHARS: usize = 2_000;

/// Input of a registration step.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepInput {
    /// Version the client read (compare-and-set).
    pub version: i64,
    /// Reasons (required for `reject`).
    #[serde(default)]
    pub reason: Option<String>,
}

fn refused(e: &RegistrationError) -> AppError {
    AppError::Refused {
        code: e.code(),
        message: e.message_zh(),
    }
}

fn write_back(row: &mut CatalogResourceRow, r: &Registration) {
    row.reg_status = r.current().as_str().to_owned();
    row.submitted_on = r.submitted_on;
    row.accepted_on = r.accepted_on;
    row.reviewed_on = r.reviewed_on;
    row.notice_start = r.notice_start;
    row.notice_end = r.notice_end;
    row.registered_on = r.registered_on;
    row.valid_until = r.valid_until;
}

fn certificate_no(id: &str, on: NaiveDate) -> String {
    let tail: String = id
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect::<String>()
        .to_uppercase();
    format!("GSDJ-{}-{tail}", on.format("%Y%m%d"))
}

/// Runs one registration command: the provider submits and renews
/// (`workflow.submit`), the data bureau does the rest (`supervision.manage`).
pub async fn registration_step(
    app: &App,
    actor: &Actor,
    id: &str,
    command: RegistrationCommand,
    input: &StepInput,
) -> Result<ResourceView, AppError> {
    use RegistrationCommand as C;
    let reason = input.reason.as_deref().map(str::trim).unwrap_or_default();
    if command == C::Reject && (reason.is_empty() || reason.chars().count() > MAX_REASON_CHARS) {
        return Err(AppError::Validation(vec![FieldError::new(
            "reason",
            "registration.reason_required",
            format!("不予登记须写明理由（不超过 {MAX_REASON_CHARS} 字，REQUIREMENTS §4.6）"),
        )]));
    }
    let seen = load(app, id).await?;
    let action = match command {
        C::Submit | C::Renew => Action::WorkflowSubmit,
        _ => Action::SupervisionManage,
    };
    let decided = app.authorize(actor, action, &workflow(&seen)?).await?;
    if seen.version != input.version {
        return Err(AppError::Conflict);
    }
    if command == C::Submit {
        let issues = stored_entry(&seen)?.registration_issues();
        if !issues.is_empty() {
            return Err(invalid(issues));
        }
    }
    let today = crate::agreements::today(app);
    let cal = crate::agreements::calendar()?;
    let now = app.clock().now();
    let mut change = app.begin().await?;
    let result: Result<CatalogResourceRow, AppError> = async {
        let mut row = reload(change.tx(), &seen).await?;
        let mut reg = registration_of(&row);
        let renewal =
            reg.current() == gongshu_domain::catalog::RegistrationStatus::RenewalRequested;
        match command {
            C::Submit => reg.submit(today),
            C::Accept => reg.accept(today),
            C::Review => reg.review(today),
            C::Notice => reg.notice(today, &cal),
            C::Register => reg.register(today, &cal),
            C::Reject => reg.reject(),
            C::Renew => reg.renew(today),
        }
        .map_err(|e| refused(&e))?;
        write_back(&mut row, &reg);
        match command {
            C::Submit => {
                row.submitted_by = Some(actor.user_id.clone());
                row.reject_reason = None;
            }
            C::Register => row.certificate_no = Some(certificate_no(&row.id, today)),
            C::Reject => row.reject_reason = Some(reason.to_owned()),
            C::Accept if renewal => row.renewals += 1,
            _ => {}
        }
        row.updated_at = now;
        change
            .tx()
            .update_catalog_resource(&row, seen.version)
            .await?;
        Ok(row)
    }
    .await;
    let row = match result {
        Ok(r) => r,
        Err(e) => {
            change.abandon().await;
            return Err(e);
        }
    };
    let code = match command {
        C::Submit => "catalog.registration_submitted",
        C::Accept if renewal_accepted(&seen) => "catalog.registration_renewed",
        C::Accept => "catalog.registration_accepted",
        C::Review => "catalog.registration_reviewed",
        C::Notice => "catalog.registration_noticed",
        C::Register => "catalog.registration_registered",
        C::Reject => "catalog.registration_rejected",
        C::Renew => "catalog.registration_renewal_requested",
    };
    let ev = event(code, actor, id, decided).details(serde_json::json!({
        "status": row.reg_status,
        "on": today,
        "notice_end": row.notice_end,
        "valid_until": row.valid_until,
        "certificate_no": row.certificate_no,
        "reason": row.reject_reason.as_ref().filter(|_| command == C::Reject),
    }));
    change.audit(ev).await?.commit().await?;
    load(app, id).await.map(view)
}

fn renewal_accepted(seen: &CatalogResourceRow) -> bool {
    seen.reg_status == "renewal_requested"
}

/// Open obligations of the registration authority (every data bureau
/// organisation) for the inbox. A due date in a year whose holiday schedule
/// is not published is not guessed: the obligation is listed with the
/// first day of that year as a placeholder and a title that says so; the
/// inbox shows it as "期限待定".
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = today;
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_catalog_resources().await?;
    let bureaus: Vec<String> = tx
        .list_organisations()
        .await?
        .into_iter()
        .filter(|o| o.kind == "data_bureau")
        .map(|o| o.id)
        .collect();
    tx.commit().await?;
    let cal = crate::agreements::calendar()?;
    let mut out = Vec::new();
    for row in &rows {
        let Some(step) = registration_of(row).pending_step() else {
            continue;
        };
        let (due_on, title_zh) = match step.due_on(&cal) {
            Ok(d) => (d, step.title_zh.to_owned()),
            Err(gongshu_domain::CalendarError::UnpublishedYear { year }) => {
                let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else {
                    continue;
                };
                (
                    first,
                    format!("{}（{year} 年节假日安排未发布，期限待定）", step.title_zh),
                )
            }
            Err(e) => {
                tracing::warn!(resource.id = %row.id, error = %e, "registration due date unknown");
                continue;
            }
        };
        for org in &bureaus {
            out.push(Obligation {
                kind: step.kind.into(),
                title_zh: format!("{title_zh}：{}", row.name),
                rule: format!("REQUIREMENTS §3.1 {}", step.rule),
                subject_type: "catalog_resource".into(),
                subject_id: row.id.clone(),
                responsible_org: org.clone(),
                started_on: step.started_on,
                due_on,
            });
        }
    }
    Ok(out)
}
