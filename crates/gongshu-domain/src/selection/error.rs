//! Why a selection command or input is refused; each message names its rule.

use chrono::NaiveDate;

use super::{
    PUBLICITY_WORKING_DAYS, QualificationItem, RuleGroup, SelectionCommand, SelectionStatus,
};
use crate::DomainError;
use crate::calendar::CalendarError;
use crate::org::OrgKind;

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
