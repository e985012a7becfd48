//! 审计记录检查 page (S-3.3.2d): the data bureau filters the audit log by
//! action, acting organisation and Beijing dates, reads who acted on what
//! by name, and verifies each record's receipt in the browser against the
//! pinned verifier key. Listing is itself an audited data access.

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use gongshu_app::audit_inspect::{self, InspectQuery};
use gongshu_app::local_time::{shanghai_midnight, shanghai_wall};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::{error_page, render};
use crate::state::AppState;

/// Records shown per page (newest first).
const SHOWN: u32 = 200;
/// Pages reachable by paging (2 000 000 records); older ones by filter.
const MAX_PAGE: u32 = 10_000;

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditPageQuery {
    action: Option<String>,
    org: Option<String>,
    from: Option<String>,
    until: Option<String>,
    /// 0 for the newest records, 1 for the page before, …
    page: Option<String>,
}

fn given(v: Option<&String>) -> Option<&str> {
    v.map(|s| s.trim()).filter(|s| !s.is_empty())
}

/// The filter as the log is queried, or the Chinese messages of what was
/// entered wrongly.
fn query(q: &AuditPageQuery) -> Result<InspectQuery, Vec<String>> {
    let mut errors = Vec::new();
    let mut day = |raw: Option<&String>, label: &str| {
        let raw = given(raw)?;
        let parsed = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
        if parsed.is_none() {
            errors.push(format!("“{label}”应为日期，格式为 年-月-日，如 2026-03-02"));
        }
        parsed
    };
    let from = day(q.from.as_ref(), "起始日期");
    let until = day(q.until.as_ref(), "截止日期");
    if let (Some(f), Some(u)) = (from, until)
        && u < f
    {
        errors.push("截止日期不能早于起始日期".to_owned());
    }
    let page = match given(q.page.as_ref()) {
        None => 0,
        Some(raw) => match raw.parse::<u32>() {
            Ok(p) if p <= MAX_PAGE => p,
            _ => {
                errors.push(format!("页码应为 0 至 {MAX_PAGE} 的整数"));
                0
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(InspectQuery {
        action: given(q.action.as_ref()).map(str::to_owned),
        org: given(q.org.as_ref()).map(str::to_owned),
        from: from.and_then(shanghai_midnight),
        // The until day is included: the filter ends at the next midnight.
        until: until.and_then(|d| d.succ_opt()).and_then(shanghai_midnight),
        limit: Some(SHOWN),
        offset: Some(page * SHOWN),
        newest_first: true,
        ..InspectQuery::default()
    })
}

/// The data bureau's audit inspection page.
pub(crate) async fn audit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<AuditPageQuery>,
) -> Response {
    let Some(token) = cookie(&headers, SESSION_COOKIE) else {
        return Redirect::to("/login").into_response();
    };
    let Ok(ctx) = gongshu_app::session::authenticate(&state.app, &token).await else {
        return Redirect::to("/login").into_response();
    };
    let actor = &ctx.actor;
    let (records, errors, page) = match query(&q) {
        Ok(filter) => match audit_inspect::list(&state.app, actor, &filter).await {
            Ok(r) => (r, Vec::new(), filter.offset.unwrap_or(0) / SHOWN),
            Err(e) => return error_page("无法查看审计记录", &e),
        },
        // Nothing is listed for a filter entered wrongly (the permission is
        // still checked by listing nothing below).
        Err(errors) => (Vec::new(), errors, 0),
    };
    let names = match audit_inspect::names(&state.app, actor, &records).await {
        Ok(n) => n,
        Err(e) => return error_page("无法查看审计记录", &e),
    };
    let orgs = match gongshu_app::orgs::list_organisations(&state.app, actor).await {
        Ok(o) => o,
        Err(e) => return error_page("无法查看审计记录", &e),
    };
    let orgs: Vec<minijinja::Value> = orgs
        .into_iter()
        .map(|o| {
            let selected = given(q.org.as_ref()) == Some(o.id.as_str());
            context! { id => o.id, name => o.name, selected => selected }
        })
        .collect();
    let rows: Vec<minijinja::Value> = records
        .iter()
        .map(|r| {
            let at = shanghai_wall(r.occurred_at);
            context! {
                index => r.index,
                occurred_at => at.format("%Y-%m-%d %H:%M:%S").to_string(),
                action => r.action,
                actor => names.actor(r),
                target => names.target(r),
            }
        })
        .collect();
    render(
        "audit.html",
        context! {
            records => rows,
            vkey => state.app.ledger().vkey(),
            action => q.action,
            from => q.from,
            until => q.until,
            orgs => orgs,
            errors => errors,
            shown => SHOWN,
            page => page,
            older => records.len() == SHOWN as usize,
            org => q.org,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(from: &str, until: &str) -> AuditPageQuery {
        AuditPageQuery {
            from: Some(from.into()),
            until: Some(until.into()),
            ..AuditPageQuery::default()
        }
    }

    #[test]
    fn beijing_dates_bound_the_utc_filter_and_include_the_last_day() {
        let f = query(&q("2026-03-02", "2026-03-02")).unwrap();
        assert_eq!(f.from.unwrap().to_rfc3339(), "2026-03-01T16:00:00+00:00");
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-03-02T16:00:00+00:00");
        let f = query(&q(" ", "")).unwrap();
        assert!(f.from.is_none() && f.until.is_none());
    }

    #[test]
    fn a_page_is_an_offset_of_whole_pages_and_bounded() {
        let mut q = q("", "");
        q.page = Some("2".into());
        assert_eq!(query(&q).unwrap().offset, Some(2 * SHOWN));
        for bad in ["-1", "二", "10001"] {
            q.page = Some(bad.into());
            let e = query(&q).unwrap_err();
            assert!(e[0].contains("页码"), "{bad}: {e:?}");
        }
    }

    #[test]
    fn malformed_or_reversed_dates_are_named() {
        let e = query(&q("3月2日", "2026-03-02")).unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].contains("起始日期"), "{e:?}");
        let e = query(&q("2026-03-03", "2026-03-02")).unwrap_err();
        assert!(e[0].contains("不能早于"), "{e:?}");
    }
}
