//! The agreements' obligations in the inbox: filing with the city data
//! bureau (S-3.3.3b) and the renewal application (S-2.2b).

use chrono::NaiveDate;
use gongshu_domain::agreement::{AgreementStatus, AgreementTerm, filing_due_on};
use gongshu_domain::deadline::Obligation;

use super::calendar;
use crate::App;
use crate::error::AppError;

/// Open obligations of the agreements on `today`, for the inbox:
/// - filing with the city data bureau of each signed, unfiled agreement
///   (S-3.3.3b; the implementing agency acts);
/// - the renewal application of each agreement in force whose renewal
///   window is open and that has no renewal yet (S-2.2b; the operator acts).
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let mut tx = app.store().begin_read().await?;
    let rows = tx.list_agreements().await?;
    tx.commit().await?;
    let cal = calendar()?;
    let mut out = Vec::new();
    for row in &rows {
        let Ok(status) = row.status.parse::<AgreementStatus>() else {
            continue;
        };
        if status == AgreementStatus::Signed
            && let Some(signed_on) = row.signed_on
        {
            // A due date left open by an unpublished calendar is computed
            // once the calendar is there; never guessed.
            match row
                .filing_due_on
                .map_or_else(|| filing_due_on(&cal, signed_on), Ok)
            {
                Ok(due_on) => out.push(Obligation {
                    kind: "agreement.filing".into(),
                    title_zh: "授权运营协议报市数据局备案".into(),
                    rule: "S-3.3.3b".into(),
                    subject_type: "agreement".into(),
                    subject_id: row.id.clone(),
                    responsible_org: row.agency_org_id.clone(),
                    started_on: signed_on,
                    due_on,
                }),
                Err(e) => {
                    tracing::warn!(agreement.id = %row.id, error = %e, "filing due date unknown")
                }
            }
        }
        if status.is_active() {
            let Ok(term) = AgreementTerm::new(row.term_start, row.term_end) else {
                continue;
            };
            let renewed = rows.iter().any(|r| {
                r.renewal_of.as_deref() == Some(row.id.as_str())
                    && !matches!(r.status.as_str(), "expired" | "terminated")
            });
            if let Ok(opens_on) = term.renewal_opens_on()
                && today >= opens_on
                && today <= term.end()
                && !renewed
            {
                out.push(Obligation {
                    kind: "agreement.renewal".into(),
                    title_zh: "授权期满前 3 个月内申请续约".into(),
                    rule: "S-2.2b".into(),
                    subject_type: "agreement".into(),
                    subject_id: row.id.clone(),
                    responsible_org: row.operator_org_id.clone(),
                    started_on: opens_on,
                    due_on: term.end(),
                });
            }
        }
    }
    Ok(out)
}
