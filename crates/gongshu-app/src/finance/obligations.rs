//! What the yearly reports owe (S-7.2-1, S-7.2-2): for each calendar year
//! that has ended with a signed authorization agreement in force, the
//! operator owes its annual operation report and its disclosure, the
//! implementing agency its disclosure and its report to the county
//! government and the city, each by 31 March of the following year, until
//! generated.

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate};
use gongshu_domain::deadline::Obligation;

use super::reports::ReportKind;
use crate::{App, AppError};

/// Open report obligations as of `today`.
///
/// # Errors
/// Store errors.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let agreements = tx.list_agreements().await?;
    let reports = tx.list_finance_reports().await?;
    tx.commit().await?;
    let done: BTreeSet<(String, i64, String)> = reports
        .into_iter()
        .map(|r| (r.kind, r.year, r.generated_org))
        .collect();
    let mut owed = BTreeSet::new();
    let last_ended = today.year() - 1;
    for a in agreements.iter().filter(|a| a.signed_on.is_some()) {
        for year in a.term_start.year()..=a.term_end.year().min(last_ended) {
            for kind in [
                ReportKind::AnnualOperationReport,
                ReportKind::OperatorDisclosure,
                ReportKind::AgencyDisclosure,
                ReportKind::AgencyReport,
            ] {
                let org = if matches!(
                    kind,
                    ReportKind::AnnualOperationReport | ReportKind::OperatorDisclosure
                ) {
                    &a.operator_org_id
                } else {
                    &a.agency_org_id
                };
                let key = (kind.code().to_owned(), i64::from(year), org.clone());
                if !done.contains(&key) {
                    owed.insert((kind, year, org.clone()));
                }
            }
        }
    }
    let mut out = Vec::new();
    for (kind, year, org) in owed {
        let (Some(started_on), Some(due_on)) = (
            NaiveDate::from_ymd_opt(year + 1, 1, 1),
            NaiveDate::from_ymd_opt(year + 1, 3, 31),
        ) else {
            continue;
        };
        out.push(Obligation {
            kind: format!("report.{}", kind.code()),
            title_zh: format!("编制 {year} 年度{}", kind.label_zh()),
            rule: if kind.is_public() {
                "S-7.2-1"
            } else {
                "S-7.2-2"
            }
            .into(),
            subject_type: "report".into(),
            subject_id: format!("{}/{year}", kind.code()),
            responsible_org: org,
            started_on,
            due_on,
        });
    }
    Ok(out)
}
