//! Calls per product and day, for the console's chart: counted by the
//! store (not from the latest-calls list, which is capped), with the same
//! visibility as the call list (a participant sees its own calls).

use chrono::{NaiveDate, TimeDelta};
use gongshu_domain::OrgKind;
use serde::Serialize;

use crate::inbox::shanghai_today;
use crate::{Actor, App, AppError};

/// Calls of one product per day.
#[derive(Debug, Clone, Serialize)]
pub struct ProductCalls {
    /// Product id.
    pub product_id: String,
    /// Calls per day, aligned with [`CallStats::days`].
    pub per_day: Vec<i64>,
    /// Sum over the window.
    pub total: i64,
}

/// Calls per product and day over the last days (Asia/Shanghai).
#[derive(Debug, Clone, Serialize)]
pub struct CallStats {
    /// The days of the window, oldest first, ending today.
    pub days: Vec<NaiveDate>,
    /// Products with at least one call, most called first.
    pub products: Vec<ProductCalls>,
}

/// Calls per product and day over the last `days` days (1..=366).
///
/// # Errors
/// Store errors.
pub async fn call_statistics(app: &App, actor: &Actor, days: u32) -> Result<CallStats, AppError> {
    let days = days.clamp(1, 366);
    let all = matches!(
        actor.org_kind,
        OrgKind::Operator | OrgKind::ImplementingAgency | OrgKind::DataBureau
    );
    let today = shanghai_today(app.clock().now());
    let first = today - TimeDelta::days(i64::from(days) - 1);
    let mut tx = app.store().begin_read().await?;
    let rows = tx
        .count_product_calls_by_day((!all).then_some(actor.org_id.as_str()), first)
        .await?;
    tx.commit().await?;
    let window: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= today).collect();
    let mut products: Vec<ProductCalls> = Vec::new();
    for (product_id, day, n) in rows {
        let Some(i) = window.iter().position(|d| *d == day) else {
            continue;
        };
        let p = match products.iter_mut().position(|p| p.product_id == product_id) {
            Some(at) => &mut products[at],
            None => {
                products.push(ProductCalls {
                    product_id,
                    per_day: vec![0; window.len()],
                    total: 0,
                });
                let last = products.len() - 1;
                &mut products[last]
            }
        };
        p.per_day[i] += n;
        p.total += n;
    }
    products.sort_by(|a, b| b.total.cmp(&a.total).then(a.product_id.cmp(&b.product_id)));
    Ok(CallStats {
        days: window,
        products,
    })
}
