//! The inbox (待办): every open obligation of the caller's organisation with
//! its working-day deadline and status (on track, due soon, overdue), as
//! seen today in Asia/Shanghai. Workflows contribute their obligations;
//! this module only gathers, dates and sorts them.

use chrono::NaiveDate;
use gongshu_domain::WorkingDayCalendar;
use gongshu_domain::deadline::{DeadlineStatus, Obligation, status};
use serde::Serialize;

use crate::{Actor, App, AppError};

pub use crate::local_time::shanghai_today;

/// One inbox line.
#[derive(Debug, Clone, Serialize)]
pub struct InboxItem {
    /// The obligation.
    #[serde(flatten)]
    pub obligation: Obligation,
    /// Its status today; `None` when the calendar of a needed year is not
    /// published yet (never guessed).
    pub status: Option<DeadlineStatus>,
    /// Status in Chinese.
    pub status_label: String,
}

/// Dates obligations for `today` and sorts them: overdue first, then by due date.
pub fn date_items(
    calendar: &WorkingDayCalendar,
    obligations: Vec<Obligation>,
    today: NaiveDate,
) -> Vec<InboxItem> {
    let mut items: Vec<InboxItem> = obligations
        .into_iter()
        .map(|o| {
            let st = status(calendar, o.due_on, today).ok();
            let status_label = st.map_or_else(
                || "节假日安排未发布，期限待定".to_owned(),
                DeadlineStatus::label_zh,
            );
            InboxItem {
                obligation: o,
                status: st,
                status_label,
            }
        })
        .collect();
    items.sort_by_key(|i| {
        let overdue = matches!(i.status, Some(DeadlineStatus::Overdue { .. }));
        (!overdue, i.obligation.due_on)
    });
    items
}

/// Every open obligation of every workflow.
pub async fn all_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let mut out = crate::agreements::open_obligations(app, today).await?;
    out.extend(crate::reviews::open_obligations(app, today).await?);
    out.extend(crate::selection::open_obligations(app, today).await?);
    out.extend(crate::use_applications::open_obligations(app, today).await?);
    out.extend(crate::appeals::open_obligations(app, today).await?);
    out.extend(crate::evaluations::open_obligations(app, today).await?);
    out.extend(crate::catalog::open_obligations(app, today).await?);
    out.extend(crate::datasets::quality_obligations(app, today).await?);
    out.extend(crate::egress::open_obligations(app, today).await?);
    out.extend(crate::finance::obligations::open_obligations(app, today).await?);
    Ok(out)
}

/// The caller's inbox: obligations whose responsible organisation is theirs.
pub async fn inbox(app: &App, actor: &Actor) -> Result<Vec<InboxItem>, AppError> {
    let today = shanghai_today(app.clock().now());
    let mine = all_obligations(app, today)
        .await?
        .into_iter()
        .filter(|o| o.responsible_org == actor.org_id)
        .collect();
    let calendar = WorkingDayCalendar::official().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(date_items(&calendar, mine, today))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Utc};

    use super::*;

    fn ob(due: NaiveDate) -> Obligation {
        Obligation {
            kind: "agreement.filing".into(),
            title_zh: "授权协议备案".into(),
            rule: "S-3.3.3b".into(),
            subject_type: "agreement".into(),
            subject_id: "a".into(),
            responsible_org: "o".into(),
            started_on: due,
            due_on: due,
        }
    }

    #[test]
    fn today_is_counted_in_shanghai() {
        // 2026-11-27 17:00 UTC is already 2026-11-28 in Beijing.
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap();
        assert_eq!(
            shanghai_today(now),
            NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
        );
    }

    #[test]
    fn overdue_first_then_by_due_date_and_unpublished_years_flagged() {
        let cal = WorkingDayCalendar::official().unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let items = date_items(
            &cal,
            vec![
                ob(d(12, 30)),
                ob(d(11, 2)),
                ob(d(12, 1)),
                ob(NaiveDate::from_ymd_opt(2027, 3, 1).unwrap()),
            ],
            d(11, 27),
        );
        let due: Vec<NaiveDate> = items.iter().map(|i| i.obligation.due_on).collect();
        assert_eq!(due[0], d(11, 2));
        assert!(matches!(
            items[0].status,
            Some(DeadlineStatus::Overdue { .. })
        ));
        assert_eq!(items[1].obligation.due_on, d(12, 1));
        assert!(matches!(
            items[1].status,
            Some(DeadlineStatus::DueSoon { .. })
        ));
        assert!(
            items
                .iter()
                .any(|i| i.status.is_none() && i.status_label.contains("未发布"))
        );
    }
}
