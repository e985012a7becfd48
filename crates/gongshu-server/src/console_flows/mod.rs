//! Console pages of the governance workflows: resource registration,
//! agreements, scenarios, data imports, appeals and disputes, inspections,
//! security incidents, evaluations and terminations. Each page lists its
//! items with their facts and deadlines and offers the forms its state
//! allows; every form posts to one handler, which calls the same use case
//! as the HTTP API.
//! A form refused for its entries comes back with the errors next to the
//! fields and the entries kept; a command refused by a rule or overtaken by
//! someone else says so above the kept form, with the current state below.

mod agreements;
mod appeals;
mod applications;
mod evaluations;
mod flash;
mod form;
mod imports;
mod incidents;
mod inspections;
mod lookup;
mod registration;
mod releases;
mod render;
mod scenarios;
mod spec;
mod terminations;

use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use gongshu_app::{Actor, App, AppError};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::auth::{SESSION_COOKIE, cookie};
use crate::console::error_page;
use crate::state::AppState;
pub(crate) use lookup::Lookup;
use spec::{Area, Item};

/// The workflow pages, in the order of the navigation.
const AREAS: &[&Area] = &[
    &agreements::AREA,
    &scenarios::AREA,
    &applications::AREA,
    &registration::AREA,
    &imports::AREA,
    &releases::AREA,
    &appeals::AREA,
    &inspections::AREA,
    &incidents::AREA,
    &evaluations::AREA,
    &terminations::AREA,
];

fn area(key: &str) -> Option<&'static Area> {
    AREAS.iter().copied().find(|a| a.key == key)
}

/// The items of a page.
async fn items(area: &Area, app: &App, actor: &Actor, l: &Lookup) -> Result<Vec<Item>, AppError> {
    match area.key {
        "agreements" => agreements::items(app, actor, l).await,
        "scenarios" => scenarios::items(app, actor, l).await,
        "applications" => applications::items(app, actor, l).await,
        "registration" => registration::items(app, actor, l).await,
        "imports" => imports::items(app, actor, l).await,
        "releases" => releases::items(app, actor, l).await,
        "appeals" => appeals::items(app, actor, l).await,
        "inspections" => inspections::items(app, actor, l).await,
        "incidents" => incidents::items(app, actor, l).await,
        "evaluations" => evaluations::items(app, actor, l).await,
        "terminations" => terminations::items(app, actor, l).await,
        _ => Err(AppError::NotFound { what: "page" }),
    }
}

/// Runs a command; the answer is the item's new state in words.
async fn run(
    area: &Area,
    app: &App,
    actor: &Actor,
    command: &str,
    target: &str,
    input: Value,
) -> Result<String, AppError> {
    match area.key {
        "agreements" => agreements::run(app, actor, command, target, input).await,
        "scenarios" => scenarios::run(app, actor, command, target, input).await,
        "applications" => applications::run(app, actor, command, target, input).await,
        "registration" => registration::run(app, actor, command, target, input).await,
        "imports" => imports::run(app, actor, command, target, input).await,
        "releases" => releases::run(app, actor, command, target, input).await,
        "appeals" => appeals::run(app, actor, command, target, input).await,
        "inspections" => inspections::run(app, actor, command, target, input).await,
        "incidents" => incidents::run(app, actor, command, target, input).await,
        "evaluations" => evaluations::run(app, actor, command, target, input).await,
        "terminations" => terminations::run(app, actor, command, target, input).await,
        _ => Err(AppError::NotFound { what: "page" }),
    }
}

/// The use case's input from the form's JSON. The fields were checked
/// already, so a failure here names the form as a whole.
pub(crate) fn input<T: DeserializeOwned>(v: Value) -> Result<T, AppError> {
    serde_json::from_value(v).map_err(|e| {
        AppError::Validation(vec![gongshu_app::FieldError {
            field: String::new(),
            code: "form.incomplete".into(),
            message: format!("表单内容不完整或格式不对（{e}）"),
        }])
    })
}

/// A use case's message as the page shows it: the field's label instead of
/// its input name, and no internal id.
fn labelled(cmd: &spec::Command, field: &str, message: &str) -> String {
    let mut out = without_ids(message);
    if let Some(f) =
        render::field_of(cmd, field).and_then(|n| cmd.fields.iter().find(|f| f.name == n))
    {
        for name in [field, f.name] {
            out = out.replace(&format!("“{name}”"), &format!("“{}”", f.label));
        }
    }
    out
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                *c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// Whether `text` holds a UUID.
pub(crate) fn has_id(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| b.get(i..i + 36).is_some_and(is_uuid))
}

/// `text` without the UUIDs some domain messages name (pages show names,
/// never ids; the id is in the audit record).
pub(crate) fn without_ids(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes.get(i..i + 36).is_some_and(is_uuid) {
            i += 36;
            continue;
        }
        let Some(c) = text.get(i..).and_then(|rest| rest.chars().next()) else {
            break;
        };
        out.push(c);
        i += c.len_utf8();
    }
    out.replace("  ", " ")
        .replace(" ）", "）")
        .replace("（ ", "（")
}

/// The target of a command on an item; a create has none.
pub(crate) fn target(t: &str) -> Result<&str, AppError> {
    if t.is_empty() {
        Err(AppError::NotFound { what: "item" })
    } else {
        Ok(t)
    }
}

/// Console routes of the workflow pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/console/flows/{area}", get(page))
        .route(
            "/console/flows/{area}/{command}",
            axum::routing::post(submit),
        )
}

async fn session_actor(state: &AppState, headers: &HeaderMap) -> Option<Actor> {
    let token = cookie(headers, SESSION_COOKIE)?;
    gongshu_app::session::authenticate(&state.app, &token)
        .await
        .ok()
        .map(|c| c.actor)
}

/// `GET /console/flows/{area}`.
async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(key): Path<String>,
) -> Response {
    let Some(actor) = session_actor(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let Some(area) = area(&key) else {
        return error_page("没有这个页面", &AppError::NotFound { what: "page" });
    };
    let notice = flash::take(&headers);
    let shown = notice.is_some();
    let mut resp = render::page(&state, &headers, &actor, area, notice, None).await;
    if shown {
        flash::clear(&state, &mut resp);
    }
    resp
}

/// `POST /console/flows/{area}/{command}`: the fields, `target` (the item)
/// and `csrf`.
async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((key, command)): Path<(String, String)>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let actor = match crate::console::form_actor(&state, &headers, csrf).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let (Some(area), Some(cmd)) = (area(&key), area(&key).and_then(|a| a.command(&command))) else {
        return error_page("没有这个操作", &AppError::NotFound { what: "command" });
    };
    let target = pairs
        .iter()
        .find(|(k, _)| k == "target")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let parsed = form::parse(cmd, &pairs);
    let mut refusal = render::Refusal {
        command: cmd.key,
        target: target.clone(),
        entries: parsed.entries,
        errors: parsed.errors,
        message: None,
    };
    if refusal.errors.is_empty() {
        match run(area, &state.app, &actor, cmd.key, &target, parsed.input).await {
            Ok(state_now) => {
                let notice = format!("已{}，当前状态：{state_now}", cmd.label);
                return flash::redirect(&state, &format!("/console/flows/{}", area.key), &notice);
            }
            Err(AppError::Validation(fields)) => {
                for f in fields {
                    match render::field_of(cmd, &f.field) {
                        Some(name) => {
                            let message = labelled(cmd, &f.field, &f.message);
                            refusal.errors.push((name.to_owned(), message));
                        }
                        None => {
                            let message = format!(
                                "未能{}：{}",
                                cmd.label,
                                labelled(cmd, &f.field, &f.message)
                            );
                            refusal.message = Some(match refusal.message.take() {
                                Some(m) => format!("{m}；{message}"),
                                None => message,
                            });
                        }
                    }
                }
            }
            Err(
                e @ (AppError::Refused { .. }
                | AppError::Denied { .. }
                | AppError::Forbidden { .. }
                | AppError::Duplicate { .. }
                | AppError::NotFound { .. }
                | AppError::Conflict),
            ) => {
                refusal.message = Some(format!(
                    "未能{}：{}。填写的内容已保留，以下为当前状态",
                    cmd.label,
                    without_ids(&e.message_zh())
                ));
            }
            Err(e) => return error_page("操作失败", &e),
        }
    }
    render::page(&state, &headers, &actor, area, None, Some(&refusal)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_labels_and_no_ids() {
        assert_eq!(
            without_ids("协议 018f3c1e-0000-7000-8000-000000000001 未生效"),
            "协议 未生效"
        );
        assert_eq!(without_ids("无编号的消息"), "无编号的消息");
        assert!(has_id("x 018f3c1e-0000-7000-8000-000000000001"));
        assert!(!has_id("2026-03-02 纪要〔2026〕3号"));
        const CMD: spec::Command = spec::Command {
            key: "file",
            label: "备案",
            help: "",
            by: &[],
            roles: &[],
            fields: &[spec::req("filed_on", "备案日期", spec::Kind::Date)],
        };
        assert_eq!(
            labelled(&CMD, "filed_on", "“filed_on”日期晚于今日"),
            "“备案日期”日期晚于今日"
        );
    }
}
