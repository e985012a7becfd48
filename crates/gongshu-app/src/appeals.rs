//! Use cases of 申诉、争议、监督检查与安全事件.

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;

use crate::{App, AppError};

/// Open obligations of this workflow for the inbox.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = (app, today);
    Ok(Vec::new())
}
