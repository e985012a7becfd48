//! What a governance page is made of: forms described as data (fields with
//! Chinese labels and kinds), and items (one per agreement, scenario …)
//! with their facts, their deadline and the forms offered on them.
//! Described once here, rendered by one template and posted to one handler:
//! every workflow page gets the same field errors, kept entries and
//! conflict reports.

use chrono::NaiveDate;
use gongshu_domain::{OrgKind, Role};

/// How a field is entered and sent to the use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// One line of text.
    Text,
    /// Several lines of text.
    Long,
    /// A date (`YYYY-MM-DD`).
    Date,
    /// A Beijing wall time to the minute (`YYYY-MM-DDTHH:MM`, as a
    /// `datetime-local` control sends it), sent as an RFC 3339 instant.
    DateTime,
    /// A whole number.
    Number,
    /// A yes/no checkbox (sent as a boolean).
    Check,
    /// One of fixed choices: (value, Chinese label).
    Choice(&'static [(&'static str, &'static str)]),
    /// An organisation, chosen by name; limited to these kinds when not empty.
    Org(&'static [OrgKind]),
    /// Registered data resources, chosen by name (a list of ids).
    Resources,
    /// An authorization agreement, chosen by its operator and term.
    Agreement,
    /// Several short entries, one per line or separated by 、 or commas.
    List,
}

/// One form field. `name` is the use case's input field; a dotted name
/// (`clauses.term.start`) nests.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: Kind,
    pub required: bool,
    /// A short hint shown under the field.
    pub hint: &'static str,
}

/// A required field.
pub(crate) const fn req(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: true,
        hint: "",
    }
}

/// An optional field.
pub(crate) const fn opt(name: &'static str, label: &'static str, kind: Kind) -> Field {
    Field {
        name,
        label,
        kind,
        required: false,
        hint: "",
    }
}

impl Field {
    /// The same field with a hint.
    pub(crate) const fn hint(mut self, hint: &'static str) -> Self {
        self.hint = hint;
        self
    }
}

/// A command as a form.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Command {
    /// Key in the post address.
    pub key: &'static str,
    /// Button and heading.
    pub label: &'static str,
    /// What the command does and which rule it follows.
    pub help: &'static str,
    /// Organisation kinds offered the form (the use case still decides).
    pub by: &'static [OrgKind],
    /// Roles offered the form (any of them; empty: every role).
    pub roles: &'static [Role],
    pub fields: &'static [Field],
}

/// A workflow page.
#[derive(Debug)]
pub(crate) struct Area {
    /// Path segment: `/console/flows/{key}`.
    pub key: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    /// The command that starts a new item, offered above the list.
    pub create: Option<&'static str>,
    pub commands: &'static [Command],
}

impl Area {
    pub(crate) fn command(&self, key: &str) -> Option<&'static Command> {
        self.commands.iter().find(|c| c.key == key)
    }
}

/// A deadline shown on an item.
#[derive(Debug, Clone)]
pub(crate) struct Due {
    pub label: &'static str,
    pub on: NaiveDate,
    /// Met already (filed, decided …): shown without a countdown.
    pub met: bool,
}

/// One item on a workflow page.
#[derive(Debug, Clone, Default)]
pub(crate) struct Item {
    /// What the forms post as `target` (never shown).
    pub target: String,
    pub title: String,
    pub status: String,
    /// (label, value) pairs; values already in words (names, not ids).
    pub facts: Vec<(&'static str, String)>,
    pub due: Option<Due>,
    /// Commands offered on this item (by key), in order.
    pub actions: Vec<Action>,
    /// Sub-items (findings of an inspection …) with their own forms.
    pub parts: Vec<Item>,
}

/// A command offered on an item; `target` overrides the item's (a finding
/// of an inspection posts `inspection/finding`).
#[derive(Debug, Clone)]
pub(crate) struct Action {
    pub command: &'static str,
    pub target: Option<String>,
    /// Values the form starts with (the current clauses of a change …).
    pub prefill: Vec<(&'static str, Vec<String>)>,
}

impl Item {
    /// Offers `command` on this item.
    pub(crate) fn offer(&mut self, command: &'static str) {
        self.actions.push(Action {
            command,
            target: None,
            prefill: Vec::new(),
        });
    }

    /// Offers `command` with the form filled in from `prefill`.
    pub(crate) fn offer_filled(
        &mut self,
        command: &'static str,
        prefill: Vec<(&'static str, Vec<String>)>,
    ) {
        self.actions.push(Action {
            command,
            target: None,
            prefill,
        });
    }

    /// Offers `command` on a part of this item, posted as `target`.
    pub(crate) fn offer_on(&mut self, command: &'static str, target: String) {
        self.actions.push(Action {
            command,
            target: Some(target),
            prefill: Vec::new(),
        });
    }

    /// Adds a fact when the value is present.
    pub(crate) fn fact(&mut self, label: &'static str, value: impl Into<Option<String>>) {
        if let Some(v) = value.into().filter(|v| !v.is_empty()) {
            self.facts.push((label, v));
        }
    }
}
