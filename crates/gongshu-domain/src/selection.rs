//! Operator selection (运营机构遴选): method, candidates, the 14 qualification
//! items, decision, publicity, objections and the report to the county
//! government.
//!
//! The implementing agency selects the one operator by open tender, invited
//! tender, negotiation or selection (遴选), announces the result publicly and
//! reports it to the county government (S-3.3.1). Only a candidate that meets
//! all 4 basic qualifications (S-3.2.1) and all 10 technical and security
//! requirements (S-3.2.2), each backed by evidence, can be chosen.
//!
//! The publicity period (公示期) is [`PUBLICITY_WORKING_DAYS`] working days
//! after the decision: REQUIREMENTS.md §3.2 gives "≥ 5 日" (`[粤]` Art. 21)
//! and "3 工作日" (`[青岛]`) as local practice; 5 working days satisfies both
//! and is our configurable default. Objections received during publicity
//! block the finalisation until each is resolved; an upheld objection
//! reopens the selection.
//!
//! Lifecycle ([`SelectionStatus`]):
//!
//! ```text
//! Open ──decide──► Publicity ──finalise──► Finalised
//!   ▲  (register, assess)  │ (object, dismiss)
//!   └──── uphold ──────────┘
//! ```
//!
//! Who may fire a command is the policy's question, not this module's.

mod error;
mod items;
#[cfg(test)]
mod tests;

use chrono::{Days, NaiveDate};

use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::org::{CodeError, OrgKind};

pub use error::SelectionError;
pub use items::{Assessment, ItemInput, ItemRecord, ItemResult, QualificationItem, RuleGroup};

/// Working days of the publicity period after the decision (REQUIREMENTS.md
/// §3.2: "≥ 5 日" `[粤]`, "3 工作日" `[青岛]`; local default, configurable).
pub const PUBLICITY_WORKING_DAYS: u32 = 5;
/// Longest title, name or reference, in characters.
pub const MAX_SHORT_CHARS: usize = 200;
/// Longest free text (objection, resolution), in characters.
pub const MAX_LONG_CHARS: usize = 4_000;

/// Defines a closed enum with stable codes and Chinese labels.
macro_rules! coded {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident => ($code:literal, $label:literal), )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// Stable snake_case code, as stored in SQL and JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }

            /// Chinese label.
            pub const fn label_zh(self) -> &'static str {
                match self {
                    $( Self::$variant => $label, )+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::org::CodeError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|s| s.as_str() == raw)
                    .ok_or_else(|| $crate::org::CodeError {
                        kind: $kind,
                        found: raw.to_owned(),
                    })
            }
        }
    };
}
pub(crate) use coded;

coded! {
    /// Selection method (遴选方式, S-3.3.1).
    SelectionMethod, "selection_method" {
        /// Open tender (公开招标).
        OpenTender => ("open_tender", "公开招标"),
        /// Invited tender (邀请招标).
        InvitedTender => ("invited_tender", "邀请招标"),
        /// Negotiation (竞争性谈判).
        Negotiation => ("negotiation", "竞争性谈判"),
        /// Selection (遴选).
        Selection => ("selection", "遴选"),
    }
}

coded! {
    /// Lifecycle status of a selection (遴选状态).
    SelectionStatus, "selection_status" {
        /// Candidates are registered and assessed (遴选中).
        Open => ("open", "遴选中"),
        /// A candidate is chosen and publicly announced (公示中).
        Publicity => ("publicity", "公示中"),
        /// Reported to the county government (已报县政府).
        Finalised => ("finalised", "已报县政府"),
    }
}

coded! {
    /// A command on a selection (遴选操作).
    SelectionCommand, "selection_command" {
        /// Register a candidate (登记候选机构).
        RegisterCandidate => ("register_candidate", "登记候选机构"),
        /// Record qualification items of a candidate (记录资格审查).
        RecordAssessment => ("record_assessment", "记录资格审查"),
        /// Choose the operator (确定运营机构).
        Decide => ("decide", "确定运营机构"),
        /// Record an objection during publicity (记录异议).
        RecordObjection => ("record_objection", "记录异议"),
        /// Uphold an objection: the selection reopens (异议成立).
        UpholdObjection => ("uphold_objection", "认定异议成立"),
        /// Dismiss an objection (异议不成立).
        DismissObjection => ("dismiss_objection", "认定异议不成立"),
        /// Record the report to the county government (报县政府).
        Finalise => ("finalise", "报县政府"),
    }
}

coded! {
    /// Outcome of an objection (异议处理结果).
    ObjectionStatus, "objection_status" {
        /// Not resolved yet (待处理).
        Pending => ("pending", "待处理"),
        /// Upheld (成立).
        Upheld => ("upheld", "成立"),
        /// Dismissed (不成立).
        Dismissed => ("dismissed", "不成立"),
    }
}

impl SelectionStatus {
    /// The status after `command`, or why it is refused in this status.
    pub fn apply(self, command: SelectionCommand) -> Result<Self, SelectionError> {
        use SelectionCommand as C;
        use SelectionStatus as S;
        Ok(match (self, command) {
            (S::Open, C::RegisterCandidate | C::RecordAssessment) => S::Open,
            (S::Open, C::Decide) => S::Publicity,
            (S::Publicity, C::RecordObjection | C::DismissObjection) => S::Publicity,
            (S::Publicity, C::UpholdObjection) => S::Open,
            (S::Publicity, C::Finalise) => S::Finalised,
            (S::Open, C::Finalise) => return Err(SelectionError::NotDecided),
            (from, command) => return Err(SelectionError::InvalidTransition { from, command }),
        })
    }
}

/// Parses a selection method.
pub fn parse_method(raw: &str) -> Result<SelectionMethod, SelectionError> {
    raw.trim()
        .parse()
        .map_err(|_: CodeError| SelectionError::MethodInvalid {
            found: raw.to_owned(),
        })
}

/// Parses an objection outcome (`upheld` or `dismissed`).
pub fn parse_outcome(raw: &str) -> Result<ObjectionStatus, SelectionError> {
    match raw.trim().parse() {
        Ok(s @ (ObjectionStatus::Upheld | ObjectionStatus::Dismissed)) => Ok(s),
        _ => Err(SelectionError::OutcomeInvalid {
            found: raw.to_owned(),
        }),
    }
}

/// A required text of at most `max` characters, trimmed, no control
/// characters other than line breaks and tabs.
pub fn text(raw: &str, field: &'static str, max: usize) -> Result<String, SelectionError> {
    let t = raw.trim();
    let bad = t.is_empty()
        || t.chars().count() > max
        || t.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r');
    if bad {
        return Err(SelectionError::TextInvalid { field });
    }
    Ok(t.to_owned())
}

/// Checks that a candidate organisation may take part (S-3.2.1): an
/// operator, with a valid credit code equal to the registered one if any.
pub fn check_candidate(
    kind: OrgKind,
    registered_code: Option<&str>,
    credit_code: &str,
) -> Result<String, SelectionError> {
    if kind != OrgKind::Operator {
        return Err(SelectionError::CandidateNotOperator { kind });
    }
    let code =
        crate::CreditCode::parse(credit_code).map_err(|_| SelectionError::CreditCodeInvalid)?;
    if registered_code.is_some_and(|r| r != code.as_str()) {
        return Err(SelectionError::CreditCodeMismatch);
    }
    Ok(code.as_str().to_owned())
}

fn not_future(
    field: &'static str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), SelectionError> {
    if date > today {
        return Err(SelectionError::DateInFuture { field, date, today });
    }
    Ok(())
}

/// The state of a selection, and the rules on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Status.
    pub status: SelectionStatus,
    /// The chosen candidate (id), from the decision on.
    pub chosen: Option<String>,
    /// Decision date; publicity starts the next day.
    pub decided_on: Option<NaiveDate>,
    /// Last day of publicity.
    pub publicity_ends_on: Option<NaiveDate>,
    /// Date of the report to the county government.
    pub reported_on: Option<NaiveDate>,
}

impl Selection {
    /// A new open selection.
    pub const fn open() -> Self {
        Self {
            status: SelectionStatus::Open,
            chosen: None,
            decided_on: None,
            publicity_ends_on: None,
            reported_on: None,
        }
    }

    /// Checks that a candidate may be registered or assessed now.
    pub fn check_open(&self, command: SelectionCommand) -> Result<(), SelectionError> {
        self.status.apply(command).map(|_| ())
    }

    /// Chooses `candidate` (whose assessment is `assessment`) on
    /// `decided_on`; starts the publicity period.
    pub fn decide(
        &mut self,
        candidate: &str,
        assessment: &Assessment,
        decided_on: NaiveDate,
        today: NaiveDate,
        calendar: &WorkingDayCalendar,
    ) -> Result<(), SelectionError> {
        let next = self.status.apply(SelectionCommand::Decide)?;
        not_future("decided_on", decided_on, today)?;
        let missing = assessment.missing();
        if !missing.is_empty() {
            return Err(SelectionError::NotQualified { missing });
        }
        let ends_on = due_in_working_days(calendar, decided_on, PUBLICITY_WORKING_DAYS)?;
        self.status = next;
        self.chosen = Some(candidate.to_owned());
        self.decided_on = Some(decided_on);
        self.publicity_ends_on = Some(ends_on);
        Ok(())
    }

    /// Checks an objection received on `received_on`: only during publicity.
    pub fn check_objection(
        &self,
        received_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), SelectionError> {
        self.status.apply(SelectionCommand::RecordObjection)?;
        not_future("received_on", received_on, today)?;
        if let Some(decided_on) = self.decided_on
            && received_on < decided_on
        {
            return Err(SelectionError::DateTooEarly {
                field: "received_on",
                date: received_on,
                earliest: decided_on,
            });
        }
        if let Some(ends_on) = self.publicity_ends_on
            && received_on > ends_on
        {
            return Err(SelectionError::ObjectionOutsidePublicity {
                received_on,
                ends_on,
            });
        }
        Ok(())
    }

    /// Resolves an objection whose status is `current` with `outcome`. An
    /// upheld objection reopens the selection: the choice is withdrawn.
    pub fn resolve_objection(
        &mut self,
        current: ObjectionStatus,
        outcome: ObjectionStatus,
    ) -> Result<(), SelectionError> {
        let command = if outcome == ObjectionStatus::Upheld {
            SelectionCommand::UpholdObjection
        } else {
            SelectionCommand::DismissObjection
        };
        let next = self.status.apply(command)?;
        if current != ObjectionStatus::Pending {
            return Err(SelectionError::ObjectionResolved);
        }
        self.status = next;
        if outcome == ObjectionStatus::Upheld {
            self.chosen = None;
            self.decided_on = None;
            self.publicity_ends_on = None;
        }
        Ok(())
    }

    /// Records the report to the county government on `reported_on`: only
    /// after publicity ended and with every objection resolved.
    pub fn finalise(
        &mut self,
        reported_on: NaiveDate,
        today: NaiveDate,
        pending_objections: usize,
    ) -> Result<(), SelectionError> {
        let next = self.status.apply(SelectionCommand::Finalise)?;
        let ends_on = self.publicity_ends_on.ok_or(SelectionError::NotDecided)?;
        if today <= ends_on {
            return Err(SelectionError::PublicityNotOver { ends_on });
        }
        if pending_objections > 0 {
            return Err(SelectionError::ObjectionsPending {
                count: pending_objections,
            });
        }
        not_future("reported_on", reported_on, today)?;
        let earliest = ends_on
            .checked_add_days(Days::new(1))
            .ok_or(SelectionError::Calendar(CalendarError::OutOfRange))?;
        if reported_on < earliest {
            return Err(SelectionError::DateTooEarly {
                field: "reported_on",
                date: reported_on,
                earliest,
            });
        }
        self.status = next;
        self.reported_on = Some(reported_on);
        Ok(())
    }
}
