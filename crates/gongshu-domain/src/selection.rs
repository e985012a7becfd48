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

mod items;
#[cfg(test)]
mod tests;

use chrono::{Days, NaiveDate};

use crate::DomainError;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::org::{CodeError, OrgKind};

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

/// Why a selection command or input is refused. Each message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SelectionError {
    /// The command does not apply in this status.
    #[error("cannot {command} a selection that is {from}")]
    InvalidTransition {
        /// Current status.
        from: SelectionStatus,
        /// Refused command.
        command: SelectionCommand,
    },
    /// Finalising before any decision.
    #[error("no operator is chosen yet")]
    NotDecided,
    /// The method is not one of S-3.3.1.
    #[error("selection method `{found}` is unknown")]
    MethodInvalid {
        /// The rejected text.
        found: String,
    },
    /// A required text is empty, too long or has control characters.
    #[error("`{field}` is empty or too long")]
    TextInvalid {
        /// JSON field.
        field: &'static str,
    },
    /// A candidate must be an operator organisation.
    #[error("a `{kind}` organisation cannot be a candidate")]
    CandidateNotOperator {
        /// Its kind.
        kind: OrgKind,
    },
    /// The credit code does not parse (GB 32100-2015).
    #[error("the credit code is invalid")]
    CreditCodeInvalid,
    /// The credit code differs from the one registered for the organisation.
    #[error("the credit code differs from the organisation's")]
    CreditCodeMismatch,
    /// A qualification item code is unknown.
    #[error("qualification item `{found}` is unknown")]
    ItemUnknown {
        /// The rejected text.
        found: String,
    },
    /// An item is marked met without an evidence attachment.
    #[error("item `{}` is met but has no evidence", item.as_str())]
    EvidenceMissing {
        /// The item.
        item: QualificationItem,
    },
    /// The chosen candidate does not meet every item.
    #[error("the candidate does not meet {} items", missing.len())]
    NotQualified {
        /// Items not recorded as met.
        missing: Vec<QualificationItem>,
    },
    /// The chosen candidate is not registered in this selection.
    #[error("candidate `{found}` is not registered in this selection")]
    CandidateUnknown {
        /// The rejected id.
        found: String,
    },
    /// A recorded date lies in the future.
    #[error("`{field}` {date} is after today {today}")]
    DateInFuture {
        /// JSON field.
        field: &'static str,
        /// The date.
        date: NaiveDate,
        /// Today.
        today: NaiveDate,
    },
    /// A recorded date is before the step it follows.
    #[error("`{field}` {date} is before {earliest}")]
    DateTooEarly {
        /// JSON field.
        field: &'static str,
        /// The date.
        date: NaiveDate,
        /// Earliest allowed.
        earliest: NaiveDate,
    },
    /// Finalising while the publicity period runs.
    #[error("publicity runs until {ends_on}")]
    PublicityNotOver {
        /// Last day of publicity.
        ends_on: NaiveDate,
    },
    /// Finalising with unresolved objections.
    #[error("{count} objections are unresolved")]
    ObjectionsPending {
        /// How many.
        count: usize,
    },
    /// An objection received after publicity ended.
    #[error("objection received on {received_on}, after publicity ended on {ends_on}")]
    ObjectionOutsidePublicity {
        /// Date received.
        received_on: NaiveDate,
        /// Last day of publicity.
        ends_on: NaiveDate,
    },
    /// The objection is resolved already.
    #[error("the objection is resolved already")]
    ObjectionResolved,
    /// The outcome of an objection is not `upheld` or `dismissed`.
    #[error("objection outcome `{found}` is unknown")]
    OutcomeInvalid {
        /// The rejected text.
        found: String,
    },
    /// A date needed a holiday schedule that is not published.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl SelectionError {
    /// The rule (S-…) behind the refusal.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::CandidateNotOperator { .. }
            | Self::CreditCodeInvalid
            | Self::CreditCodeMismatch => "S-3.2.1",
            Self::ItemUnknown { .. } => "S-3.2.2",
            Self::EvidenceMissing { item } => item.rule(),
            Self::NotQualified { missing } => {
                if missing.iter().any(|i| i.group() == RuleGroup::Basic) {
                    "S-3.2.1"
                } else {
                    "S-3.2.2"
                }
            }
            _ => "S-3.3.1",
        }
    }

    /// Whether this is an input error (422) rather than a refusal in the
    /// current state (409).
    pub const fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::MethodInvalid { .. }
                | Self::TextInvalid { .. }
                | Self::CandidateNotOperator { .. }
                | Self::CreditCodeInvalid
                | Self::CreditCodeMismatch
                | Self::ItemUnknown { .. }
                | Self::EvidenceMissing { .. }
                | Self::CandidateUnknown { .. }
                | Self::DateInFuture { .. }
                | Self::DateTooEarly { .. }
                | Self::OutcomeInvalid { .. }
        )
    }

    /// The JSON field an input error is about.
    pub fn field(&self) -> String {
        match self {
            Self::MethodInvalid { .. } => "method".into(),
            Self::TextInvalid { field } | Self::DateInFuture { field, .. } => (*field).into(),
            Self::DateTooEarly { field, .. } => (*field).into(),
            Self::CandidateNotOperator { .. } => "org_id".into(),
            Self::CreditCodeInvalid | Self::CreditCodeMismatch => "credit_code".into(),
            Self::ItemUnknown { .. } => "items".into(),
            Self::EvidenceMissing { item } => format!("items.{}.evidence_ref", item.as_str()),
            Self::CandidateUnknown { .. } => "candidate_id".into(),
            Self::OutcomeInvalid { .. } => "outcome".into(),
            _ => String::new(),
        }
    }
}

impl DomainError for SelectionError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "selection.invalid_transition",
            Self::NotDecided => "selection.not_decided",
            Self::MethodInvalid { .. } => "selection.method_invalid",
            Self::TextInvalid { .. } => "selection.text_invalid",
            Self::CandidateNotOperator { .. } => "selection.candidate_not_operator",
            Self::CreditCodeInvalid => "selection.credit_code_invalid",
            Self::CreditCodeMismatch => "selection.credit_code_mismatch",
            Self::ItemUnknown { .. } => "selection.item_unknown",
            Self::EvidenceMissing { .. } => "selection.evidence_missing",
            Self::NotQualified { .. } => "selection.candidate_not_qualified",
            Self::CandidateUnknown { .. } => "selection.candidate_unknown",
            Self::DateInFuture { .. } => "selection.date_in_future",
            Self::DateTooEarly { .. } => "selection.date_too_early",
            Self::PublicityNotOver { .. } => "selection.publicity_not_over",
            Self::ObjectionsPending { .. } => "selection.objections_pending",
            Self::ObjectionOutsidePublicity { .. } => "selection.objection_outside_publicity",
            Self::ObjectionResolved => "selection.objection_resolved",
            Self::OutcomeInvalid { .. } => "selection.outcome_invalid",
            Self::Calendar(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "遴选当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::NotDecided => "尚未确定运营机构，不能报县政府".to_owned(),
            Self::MethodInvalid { found } => {
                format!("遴选方式“{found}”无效，应为公开招标、邀请招标、竞争性谈判或遴选之一")
            }
            Self::TextInvalid { field } => format!("“{field}”不能为空且不超过规定长度"),
            Self::CandidateNotOperator { kind } => {
                format!(
                    "候选机构须为运营机构（企业法人），{}不能参加遴选",
                    kind.label_zh()
                )
            }
            Self::CreditCodeInvalid => "候选机构的统一社会信用代码无效".to_owned(),
            Self::CreditCodeMismatch => "统一社会信用代码与该机构登记的代码不一致".to_owned(),
            Self::ItemUnknown { found } => format!("资格条件“{found}”不存在"),
            Self::EvidenceMissing { item } => {
                format!("资格条件“{}”记为满足时须附证明材料", item.label_zh())
            }
            Self::NotQualified { missing } => format!(
                "候选机构须满足全部 4 项基本资格条件和 10 项技术与安全条件，尚未满足：{}",
                missing
                    .iter()
                    .map(|i| i.label_zh())
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            Self::CandidateUnknown { found } => format!("候选机构 {found} 未在本次遴选中登记"),
            Self::DateInFuture { field, date, today } => {
                format!("“{field}”日期 {date} 晚于今日 {today}，只能记录已发生的事项")
            }
            Self::DateTooEarly {
                field,
                date,
                earliest,
            } => format!("“{field}”日期 {date} 早于 {earliest}"),
            Self::PublicityNotOver { ends_on } => format!(
                "遴选结果公示期至 {ends_on}（{PUBLICITY_WORKING_DAYS} 个工作日），公示期内不能报县政府"
            ),
            Self::ObjectionsPending { count } => {
                format!("尚有 {count} 件公示异议未处理，处理完毕前不能报县政府")
            }
            Self::ObjectionOutsidePublicity {
                received_on,
                ends_on,
            } => format!("异议收到日期 {received_on} 晚于公示期截止日 {ends_on}"),
            Self::ObjectionResolved => "该异议已处理，不能重复处理".to_owned(),
            Self::OutcomeInvalid { found } => {
                format!("异议处理结果“{found}”无效，应为成立或不成立")
            }
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（{}）", self.rule())
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
