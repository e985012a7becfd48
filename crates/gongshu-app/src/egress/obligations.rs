//! The review obligations of the supervising bodies (inbox).

use gongshu_domain::OrgKind;
use gongshu_domain::egress::ReleaseStatus;

use crate::App;
use crate::error::AppError;

/// Review time limit: SANDBOX-RULES.md's usability target (OpenSAFELY's
/// SLA); REQUIREMENTS.md sets none.
pub const REVIEW_WORKING_DAYS: u32 = 5;

/// The reviewers' time limit of a revision submitted at `revised_at`:
/// [`REVIEW_WORKING_DAYS`] working days (Asia/Shanghai, official
/// calendar); `None` past the calendar's range.
pub fn review_due_on(revised_at: chrono::DateTime<chrono::Utc>) -> Option<chrono::NaiveDate> {
    let cal = crate::agreements::calendar().ok()?;
    let started_on = crate::inbox::shanghai_today(revised_at);
    gongshu_domain::deadline::due_in_working_days(&cal, started_on, REVIEW_WORKING_DAYS).ok()
}

/// Open reviews: one obligation per supervising organisation (the agency
/// and the data bureau) for every submitted request, due in
/// [`REVIEW_WORKING_DAYS`] working days.
///
/// # Errors
/// Store errors and calendar errors.
pub async fn open_obligations(
    app: &App,
    _today: chrono::NaiveDate,
) -> Result<Vec<gongshu_domain::deadline::Obligation>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let supervisors: Vec<String> = tx
        .list_organisations()
        .await?
        .into_iter()
        .filter(|o| {
            o.kind == OrgKind::ImplementingAgency.as_str() || o.kind == OrgKind::DataBureau.as_str()
        })
        .map(|o| o.id)
        .collect();
    let requests = tx.list_release_requests(None).await?;
    tx.commit().await?;
    let cal = crate::agreements::calendar()?;
    let mut out = Vec::new();
    for r in requests
        .into_iter()
        .filter(|r| r.status == ReleaseStatus::Submitted.as_str())
    {
        let started_on = crate::inbox::shanghai_today(r.revised_at);
        let due_on =
            gongshu_domain::deadline::due_in_working_days(&cal, started_on, REVIEW_WORKING_DAYS)
                .unwrap_or(started_on);
        for org in &supervisors {
            out.push(gongshu_domain::deadline::Obligation {
                kind: "release.review".into(),
                title_zh: format!("出域审核：{}", r.title),
                rule: "SANDBOX-R5".into(),
                subject_type: "release_request".into(),
                subject_id: r.id.clone(),
                responsible_org: org.clone(),
                started_on,
                due_on,
            });
        }
    }
    Ok(out)
}
