//! Use cases of 运营机构遴选与应用场景.

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;

use crate::{App, AppError};

/// Open obligations of this workflow for the inbox.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = (app, today);
    Ok(Vec::new())
}
