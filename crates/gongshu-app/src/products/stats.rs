//! Calls per product and month, for the console's chart: counted by the
//! store (not from the latest-calls list, which is capped), with the same
//! visibility as the call list (a participant sees its own calls).

use chrono::{Datelike as _, NaiveDate};
use gongshu_domain::OrgKind;
use serde::Serialize;

use crate::inbox::shanghai_today;
use crate::{Actor, App, AppError};

/// Calls of one product per month.
#[derive(Debug, Clone, Serialize)]
pub struct ProductCalls {
    /// Product id.
    pub product_id: String,
    /// Calls per month, aligned with [`CallStats::months`].
    pub per_month: Vec<i64>,
    /// Sum over the window.
    pub total: i64,
}

/// Calls per product and month over the last months (Asia/Shanghai).
#[derive(Debug, Clone, Serialize)]
pub struct CallStats {
    /// First days of the window's months, oldest first, ending with the
    /// current month.
    pub months: Vec<NaiveDate>,
    /// Products with at least one call, most called first.
    pub products: Vec<ProductCalls>,
}

/// The first day of the month `back` months before `day`'s month.
fn month_start(day: NaiveDate, back: u32) -> NaiveDate {
    let index = day.year() * 12 + day.month0() as i32 - back as i32;
    NaiveDate::from_ymd_opt(index.div_euclid(12), index.rem_euclid(12) as u32 + 1, 1).unwrap_or(day)
}

/// Calls per product and month over the last `months` months (1..=36),
/// the current month included.
///
/// # Errors
/// Store errors.
pub async fn call_statistics(app: &App, actor: &Actor, months: u32) -> Result<CallStats, AppError> {
    let months = months.clamp(1, 36);
    let all = matches!(
        actor.org_kind,
        OrgKind::Operator | OrgKind::ImplementingAgency | OrgKind::DataBureau
    );
    let today = shanghai_today(app.clock().now());
    let window: Vec<NaiveDate> = (0..months).rev().map(|b| month_start(today, b)).collect();
    let first = window.first().copied().unwrap_or(today);
    let mut tx = app.store().begin_read().await?;
    let rows = tx
        .count_product_calls_by_day((!all).then_some(actor.org_id.as_str()), first)
        .await?;
    tx.commit().await?;
    let mut products: Vec<ProductCalls> = Vec::new();
    for (product_id, day, n) in rows {
        let Some(i) = window.iter().rposition(|m| *m <= day) else {
            continue;
        };
        let at = match products.iter().position(|p| p.product_id == product_id) {
            Some(at) => at,
            None => {
                products.push(ProductCalls {
                    product_id,
                    per_month: vec![0; window.len()],
                    total: 0,
                });
                products.len() - 1
            }
        };
        if let Some(p) = products.get_mut(at) {
            if let Some(slot) = p.per_month.get_mut(i) {
                *slot += n;
            }
            p.total += n;
        }
    }
    products.sort_by(|a, b| b.total.cmp(&a.total).then(a.product_id.cmp(&b.product_id)));
    Ok(CallStats {
        months: window,
        products,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_the_year() {
        let d = NaiveDate::from_ymd_opt(2026, 2, 17).unwrap();
        assert_eq!(
            month_start(d, 0),
            NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()
        );
        assert_eq!(
            month_start(d, 2),
            NaiveDate::from_ymd_opt(2025, 12, 1).unwrap()
        );
        assert_eq!(
            month_start(d, 14),
            NaiveDate::from_ymd_opt(2024, 12, 1).unwrap()
        );
    }
}
