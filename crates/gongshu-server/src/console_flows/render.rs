//! One template for every workflow page: the page's items with their facts
//! and deadline, and the forms the caller's organisation is offered.

use axum::http::HeaderMap;
use axum::response::Response;
use gongshu_app::Actor;
use gongshu_domain::WorkingDayCalendar;
use gongshu_domain::deadline::{DeadlineStatus, status};
use minijinja::{Value, context};

use super::form::Entries;
use super::spec::{Area, Command, Due, Item, Kind};
use super::{AREAS, Lookup, items};
use crate::auth::cookie;
use crate::console::{error_page, render};
use crate::state::AppState;

/// A refused form: what comes back with it.
#[derive(Debug, Default)]
pub(crate) struct Refusal {
    pub command: &'static str,
    pub target: String,
    pub entries: Entries,
    /// (field name, message).
    pub errors: Vec<(String, String)>,
    /// A refusal by rule or a conflict, above the form.
    pub message: Option<String>,
}

/// The form field a use case's field error belongs to: the same name, or
/// a field nested under it or it under a field.
pub(crate) fn field_of(cmd: &Command, field: &str) -> Option<&'static str> {
    if field.is_empty() {
        return None;
    }
    cmd.fields
        .iter()
        .find(|f| f.name == field)
        .or_else(|| {
            cmd.fields.iter().find(|f| {
                f.name.ends_with(&format!(".{field}"))
                    || f.name.starts_with(&format!("{field}."))
                    || field.starts_with(&format!("{}.", f.name))
            })
        })
        .map(|f| f.name)
}

const fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Text => "text",
        Kind::Long => "long",
        Kind::Date => "date",
        Kind::DateTime => "datetime",
        Kind::Number => "number",
        Kind::Check => "check",
        Kind::Choice(_) | Kind::Org(_) | Kind::Agreement => "select",
        Kind::Resources => "multi",
        Kind::List => "list",
    }
}

/// One form, with the refused entries when they are this form's.
fn form_ctx(
    cmd: &Command,
    target: &str,
    anchor: &str,
    l: &Lookup,
    refusal: Option<&Refusal>,
    prefill: &[(&'static str, Vec<String>)],
) -> Value {
    let mine = refusal.filter(|r| r.command == cmd.key && r.target == target);
    let id = format!("{anchor}-{}", cmd.key);
    let fields: Vec<Value> = cmd
        .fields
        .iter()
        .map(|f| {
            let entered = match mine {
                Some(r) => r.entries.get(f.name),
                None => prefill.iter().find(|(n, _)| *n == f.name).map(|(_, v)| v),
            };
            let value = match entered {
                Some(v) => v.first().cloned().unwrap_or_default(),
                // Event dates (signed on, filed on …) are usually today;
                // periods and terms are not guessed.
                None if f.kind == Kind::Date && f.required && f.name.ends_with("_on") => {
                    l.today.map(|d| d.to_string()).unwrap_or_default()
                }
                None => String::new(),
            };
            let values: Vec<String> = entered.cloned().unwrap_or_default();
            let options: Vec<Value> = l
                .choices(f.kind)
                .into_iter()
                .map(|(v, label)| {
                    let selected = values.contains(&v);
                    context! { value => v, label => label, selected => selected }
                })
                .collect();
            let error = mine.and_then(|r| {
                r.errors
                    .iter()
                    .find(|(n, _)| n == f.name)
                    .map(|(_, m)| m.clone())
            });
            context! {
                name => f.name,
                id => format!("{id}-{}", f.name.replace('.', "-")),
                label => f.label,
                kind => kind_name(f.kind),
                required => f.required,
                hint => f.hint,
                value => value,
                checked => f.kind == Kind::Check && entered.is_some(),
                options => options,
                error => error,
            }
        })
        .collect();
    context! {
        id => id,
        key => cmd.key,
        label => cmd.label,
        help => cmd.help,
        target => target,
        fields => fields,
        open => mine.is_some(),
        message => mine.and_then(|r| r.message.clone()),
    }
}

fn due_ctx(due: &Due, calendar: Option<&WorkingDayCalendar>, l: &Lookup) -> Value {
    let st = match (due.met, calendar, l.today) {
        (false, Some(c), Some(today)) => status(c, due.on, today).ok(),
        _ => None,
    };
    let text = if due.met {
        "已按期办理".to_owned()
    } else {
        st.map_or_else(
            || "期限所在年度的工作日历未发布".into(),
            DeadlineStatus::label_zh,
        )
    };
    context! {
        label => due.label,
        on => due.on.to_string(),
        text => text,
        overdue => matches!(st, Some(DeadlineStatus::Overdue { .. })),
        soon => matches!(st, Some(DeadlineStatus::DueSoon { .. })),
    }
}

struct Ctx<'a> {
    area: &'a Area,
    actor: &'a Actor,
    l: &'a Lookup,
    calendar: Option<&'a WorkingDayCalendar>,
    refusal: Option<&'a Refusal>,
    /// Whether the refused form was shown again (else its message and
    /// entries go above the list).
    placed: std::cell::Cell<bool>,
}

impl Ctx<'_> {
    fn mark(&self, cmd: &Command, target: &str) {
        if self
            .refusal
            .is_some_and(|r| r.command == cmd.key && r.target == target)
        {
            self.placed.set(true);
        }
    }

    fn offered(&self, key: &str) -> Option<&'static Command> {
        self.area
            .command(key)
            .filter(|c| c.by.is_empty() || c.by.contains(&self.actor.org_kind))
            .filter(|c| c.roles.is_empty() || c.roles.iter().any(|r| self.actor.roles.contains(r)))
    }

    fn item(&self, item: &Item, anchor: &str) -> Value {
        let forms: Vec<Value> = item
            .actions
            .iter()
            .filter_map(|a| {
                let cmd = self.offered(a.command)?;
                let target = a.target.as_deref().unwrap_or(&item.target);
                self.mark(cmd, target);
                Some(form_ctx(
                    cmd,
                    target,
                    anchor,
                    self.l,
                    self.refusal,
                    &a.prefill,
                ))
            })
            .collect();
        let parts: Vec<Value> = item
            .parts
            .iter()
            .enumerate()
            .map(|(i, p)| self.item(p, &format!("{anchor}-{i}")))
            .collect();
        let facts: Vec<Value> = item
            .facts
            .iter()
            .map(|(label, value)| context! { label => label, value => value })
            .collect();
        context! {
            anchor => anchor,
            title => item.title,
            status => item.status,
            facts => facts,
            due => item.due.as_ref().map(|d| due_ctx(d, self.calendar, self.l)),
            forms => forms,
            parts => parts,
        }
    }
}

/// A refused form no longer offered (someone else moved the item on):
/// the message and what was typed, by label.
fn unplaced(area: &Area, l: &Lookup, r: &Refusal) -> Value {
    let entries: Vec<Value> = area
        .command(r.command)
        .map(|c| c.fields)
        .unwrap_or_default()
        .iter()
        .filter_map(|f| {
            let v = r
                .entries
                .get(f.name)?
                .iter()
                .map(|v| shown(l, f.kind, v))
                .collect::<Vec<_>>()
                .join("、");
            (!v.trim().is_empty()).then(|| context! { label => f.label, value => v })
        })
        .collect();
    let message = r.message.clone().unwrap_or_else(|| {
        r.errors
            .iter()
            .map(|(_, m)| m.as_str())
            .collect::<Vec<_>>()
            .join("；")
    });
    context! { message => message, entries => entries }
}

/// An entered value in words (a name for an id, a label for a code).
fn shown(l: &Lookup, kind: Kind, v: &str) -> String {
    match kind {
        Kind::Org(_) => l.org(v),
        Kind::Resources => l.resource(v),
        Kind::Agreement => l.agreement(v),
        Kind::Choice(c) => c
            .iter()
            .find(|(code, _)| *code == v)
            .map_or_else(|| v.to_owned(), |(_, label)| (*label).to_owned()),
        _ => v.to_owned(),
    }
}

/// Renders a workflow page.
pub(crate) async fn page(
    state: &AppState,
    headers: &HeaderMap,
    actor: &Actor,
    area: &Area,
    notice: Option<String>,
    refusal: Option<&Refusal>,
) -> Response {
    let app = &state.app;
    let loaded = async {
        let l = Lookup::load(app, actor).await?;
        let items = items(area, app, actor, &l).await?;
        Ok::<_, gongshu_app::AppError>((l, items))
    }
    .await;
    let (l, list) = match loaded {
        Ok(x) => x,
        Err(e) => return error_page(&format!("无法查看{}", area.title), &e),
    };
    let calendar = WorkingDayCalendar::official().ok();
    let ctx = Ctx {
        area,
        actor,
        l: &l,
        calendar: calendar.as_ref(),
        refusal,
        placed: std::cell::Cell::new(false),
    };
    let create = area.create.and_then(|k| ctx.offered(k)).map(|c| {
        ctx.mark(c, "");
        form_ctx(c, "", "new", &l, refusal, &[])
    });
    let items: Vec<Value> = list
        .iter()
        .enumerate()
        .map(|(i, it)| ctx.item(it, &format!("item-{i}")))
        .collect();
    let nav: Vec<Value> = AREAS
        .iter()
        .map(|a| context! { key => a.key, title => a.title, current => a.key == area.key })
        .collect();
    let csrf = cookie(headers, "gongshu_csrf").unwrap_or_default();
    let unplaced = refusal
        .filter(|_| !ctx.placed.get())
        .map(|r| unplaced(area, &l, r));
    let mut resp = render(
        "flow.html",
        context! {
            nav => nav,
            key => area.key,
            title => area.title,
            intro => area.intro,
            notice => notice,
            unplaced => unplaced,
            csrf => csrf,
            create => create,
            items => items,
        },
    );
    // Reviewers' pages hold what they review: not for the browser's cache.
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    resp
}
