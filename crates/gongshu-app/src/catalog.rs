//! Use cases of the resource catalog and registration (数据资源目录与登记).

use chrono::NaiveDate;
use gongshu_domain::deadline::Obligation;

use crate::{App, AppError};

/// Open obligations of this workflow for the inbox.
pub async fn open_obligations(app: &App, today: NaiveDate) -> Result<Vec<Obligation>, AppError> {
    let _ = (app, today);
    Ok(Vec::new())
}
