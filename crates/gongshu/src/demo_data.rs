//! The power company's API key for loading its bills from the command line
//! (`gongshu dataset load`), as a source system's export job would.

use gongshu_app::api_keys::{NewApiKey, issue_api_key};
use gongshu_app::datasets;
use gongshu_app::{Actor, App};

use crate::demo_cmd::e;

/// A 30-day key of the power company for loading `dataset`.
pub async fn load_key(
    app: &App,
    power_admin: &Actor,
    power_org: &str,
    dataset: &str,
) -> Result<String, String> {
    let key = issue_api_key(
        app,
        power_admin,
        &NewApiKey {
            org_id: power_org.to_owned(),
            scope: datasets::load_scope(dataset),
            valid_days: 30,
        },
    )
    .await
    .map_err(e)?;
    Ok(key.key)
}
