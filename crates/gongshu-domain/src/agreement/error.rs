//! Why an agreement command or input is refused; every message names its rule.

use chrono::NaiveDate;

use super::{AgreementCommand, AgreementStatus, MAX_CLAUSE_CHARS, clause_label};
use crate::DomainError;
use crate::calendar::CalendarError;
use crate::org::OrgKind;

/// Why an agreement command or input is refused. Each message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgreementError {
    /// The command does not apply in this status.
    #[error("cannot {} an agreement that is {from}", command.as_str())]
    InvalidTransition {
        /// Current status.
        from: AgreementStatus,
        /// Refused command.
        command: AgreementCommand,
    },
    /// The collective decision needs at least one recorded opinion first.
    #[error("no opinion of a sector regulator or supervisor is recorded")]
    OpinionsMissing,
    /// Signing needs the collective decision first.
    #[error("the collective decision is not recorded")]
    NotDecided,
    /// A required clause is empty.
    #[error("clause {clause} `{field}` is missing")]
    ClauseMissing {
        /// Clause number (1–13).
        clause: u8,
        /// JSON field.
        field: &'static str,
    },
    /// A clause is longer than [`MAX_CLAUSE_CHARS`].
    #[error("clause {clause} `{field}` is too long")]
    ClauseTooLong {
        /// Clause number (1–13).
        clause: u8,
        /// JSON field.
        field: &'static str,
    },
    /// The data scope names no dataset.
    #[error("the data scope names no dataset")]
    DatasetsMissing,
    /// A dataset id of the data scope is not an id.
    #[error("dataset id `{found}` is invalid")]
    DatasetIdInvalid {
        /// The rejected text.
        found: String,
    },
    /// The term ends before it starts.
    #[error("the term ends on {end}, before it starts on {start}")]
    TermInverted {
        /// Start.
        start: NaiveDate,
        /// End.
        end: NaiveDate,
    },
    /// The term is longer than 3 years (S-2.2a).
    #[error("the term ends on {end}, after the latest end {latest}")]
    TermTooLong {
        /// Requested end.
        end: NaiveDate,
        /// Latest allowed end.
        latest: NaiveDate,
    },
    /// A required short text (reference, opinion) is empty or too long.
    #[error("`{field}` is empty or too long")]
    TextInvalid {
        /// JSON field.
        field: &'static str,
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
    /// Signing after the end of the term.
    #[error("signing on {signed_on} is after the term ends on {term_end}")]
    SignedAfterTerm {
        /// Signing date.
        signed_on: NaiveDate,
        /// End of the term.
        term_end: NaiveDate,
    },
    /// The opinion does not come from a sector regulator or supervisor.
    #[error("an opinion from a `{kind}` organisation is not a regulator's or supervisor's")]
    OpinionSourceInvalid {
        /// The organisation's kind.
        kind: OrgKind,
    },
    /// Another whole authorization is in force (S-2.1).
    #[error("agreement `{active_id}` is already in force")]
    AnotherActive {
        /// The agreement in force.
        active_id: String,
    },
    /// Renewal applied for before the window opens (S-2.2b).
    #[error("renewal opens on {opens_on}")]
    RenewalTooEarly {
        /// First day of the window.
        opens_on: NaiveDate,
    },
    /// Renewal applied for after the term ended (S-2.2b).
    #[error("the term ended on {term_end}")]
    RenewalTooLate {
        /// End of the term.
        term_end: NaiveDate,
    },
    /// A renewal of this agreement is already under way (S-2.2b).
    #[error("renewal `{renewal_id}` already exists")]
    RenewalExists {
        /// The existing renewal.
        renewal_id: String,
    },
    /// The agreement does not expire before the end of its term.
    #[error("the term runs until {term_end}")]
    TermNotEnded {
        /// End of the term.
        term_end: NaiveDate,
    },
    /// The term of a signed agreement cannot change; a new term is a
    /// renewal (S-2.2b).
    #[error("the term {start}..{end} of a signed agreement cannot change")]
    TermChangeAfterSigning {
        /// First day in force.
        start: NaiveDate,
        /// Last day in force.
        end: NaiveDate,
    },
    /// A 不合格 evaluation was not rectified by its deadline (S-7.2-3).
    #[error("evaluation `{evaluation_id}` failed and was not rectified by {due_on}")]
    EvaluationNotRectified {
        /// The evaluation.
        evaluation_id: String,
        /// Its rectification deadline.
        due_on: NaiveDate,
    },
    /// A date needed a holiday schedule that is not published.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl AgreementError {
    /// The rule (S-…) behind the refusal.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. }
            | Self::OpinionsMissing
            | Self::NotDecided
            | Self::TextInvalid { .. }
            | Self::DateInFuture { .. }
            | Self::DateTooEarly { .. }
            | Self::OpinionSourceInvalid { .. } => "S-3.3.3a",
            Self::ClauseMissing { .. }
            | Self::ClauseTooLong { .. }
            | Self::DatasetsMissing
            | Self::DatasetIdInvalid { .. } => "S-3.3.3c",
            Self::TermInverted { .. } | Self::TermTooLong { .. } | Self::SignedAfterTerm { .. } => {
                "S-2.2a"
            }
            Self::AnotherActive { .. } => "S-2.1",
            Self::RenewalTooEarly { .. }
            | Self::RenewalTooLate { .. }
            | Self::RenewalExists { .. } => "S-2.2b",
            Self::TermNotEnded { .. } => "S-2.2a",
            Self::TermChangeAfterSigning { .. } => "S-2.2b",
            Self::EvaluationNotRectified { .. } => "S-7.2-3",
            Self::Calendar(_) => "S-3.3.3b",
        }
    }

    /// Whether this is an input error (bad field) rather than a refusal in
    /// the current state: the API answers 422 for the former, 409 otherwise.
    pub const fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::ClauseMissing { .. }
                | Self::ClauseTooLong { .. }
                | Self::DatasetsMissing
                | Self::DatasetIdInvalid { .. }
                | Self::TermInverted { .. }
                | Self::TermTooLong { .. }
                | Self::TextInvalid { .. }
                | Self::DateInFuture { .. }
                | Self::DateTooEarly { .. }
                | Self::SignedAfterTerm { .. }
                | Self::OpinionSourceInvalid { .. }
        )
    }

    /// The input field concerned, for input errors.
    pub fn field(&self) -> &'static str {
        match self {
            Self::ClauseMissing { field, .. }
            | Self::ClauseTooLong { field, .. }
            | Self::TextInvalid { field }
            | Self::DateInFuture { field, .. }
            | Self::DateTooEarly { field, .. } => field,
            Self::DatasetsMissing | Self::DatasetIdInvalid { .. } => "data_scope.dataset_ids",
            Self::TermInverted { .. } | Self::TermTooLong { .. } => "term.end",
            Self::SignedAfterTerm { .. } => "signed_on",
            Self::OpinionSourceInvalid { .. } => "from_org_id",
            _ => "agreement",
        }
    }
}

impl DomainError for AgreementError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "agreement.invalid_transition",
            Self::OpinionsMissing => "agreement.opinions_missing",
            Self::NotDecided => "agreement.not_decided",
            Self::ClauseMissing { .. } => "agreement.clause_missing",
            Self::ClauseTooLong { .. } => "agreement.clause_too_long",
            Self::DatasetsMissing => "agreement.datasets_missing",
            Self::DatasetIdInvalid { .. } => "agreement.dataset_id_invalid",
            Self::TermInverted { .. } => "agreement.term_inverted",
            Self::TermTooLong { .. } => "agreement.term_too_long",
            Self::TextInvalid { .. } => "agreement.text_invalid",
            Self::DateInFuture { .. } => "agreement.date_in_future",
            Self::DateTooEarly { .. } => "agreement.date_too_early",
            Self::SignedAfterTerm { .. } => "agreement.signed_after_term",
            Self::OpinionSourceInvalid { .. } => "agreement.opinion_source_invalid",
            Self::AnotherActive { .. } => "agreement.another_active",
            Self::RenewalTooEarly { .. } => "agreement.renewal_too_early",
            Self::RenewalTooLate { .. } => "agreement.renewal_too_late",
            Self::RenewalExists { .. } => "agreement.renewal_exists",
            Self::TermNotEnded { .. } => "agreement.term_not_ended",
            Self::TermChangeAfterSigning { .. } => "agreement.term_change_after_signing",
            Self::EvaluationNotRectified { .. } => "agreement.evaluation_not_rectified",
            Self::Calendar(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "协议当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::OpinionsMissing => {
                "签订前须先征求相关行业主管部门和监管部门意见，尚未记录任何意见".to_owned()
            }
            Self::NotDecided => "协议尚未通过“三重一大”集体决策，不能签订".to_owned(),
            Self::ClauseMissing { clause, .. } => {
                format!("第 {clause} 项条款“{}”不能为空", clause_label(*clause))
            }
            Self::ClauseTooLong { clause, .. } => format!(
                "第 {clause} 项条款“{}”超过 {MAX_CLAUSE_CHARS} 字",
                clause_label(*clause)
            ),
            Self::DatasetsMissing => {
                "第 1 项条款“公共数据资源范围及数据资源目录”须列明至少一个数据集".to_owned()
            }
            Self::DatasetIdInvalid { found } => format!("数据集标识“{found}”格式无效"),
            Self::TermInverted { start, end } => {
                format!("运营期限终止日 {end} 早于起始日 {start}")
            }
            Self::TermTooLong { end, latest } => {
                format!("授权运营期限最长 3 年：终止日 {end} 晚于最晚终止日 {latest}")
            }
            Self::TextInvalid { field } => format!("“{field}”不能为空且不超过规定长度"),
            Self::DateInFuture { field, date, today } => {
                format!("“{field}”日期 {date} 晚于今日 {today}，只能记录已发生的事项")
            }
            Self::DateTooEarly {
                field,
                date,
                earliest,
            } => format!("“{field}”日期 {date} 早于前一环节日期 {earliest}"),
            Self::SignedAfterTerm {
                signed_on,
                term_end,
            } => format!("签订日期 {signed_on} 晚于运营期限终止日 {term_end}"),
            Self::OpinionSourceInvalid { kind } => format!(
                "意见须来自行业主管部门或监管部门，{}不属于征求意见对象",
                kind.label_zh()
            ),
            Self::AnotherActive { active_id } => format!(
                "整体授权只能由一家运营机构实施：协议 {active_id} 仍在有效期内，不能再签订另一份授权运营协议"
            ),
            Self::RenewalTooEarly { opens_on } => {
                format!("续约须在授权期满前 3 个月内申请，{opens_on} 起方可申请")
            }
            Self::RenewalTooLate { term_end } => {
                format!("授权已于 {term_end} 期满，不能再申请续约")
            }
            Self::RenewalExists { renewal_id } => {
                format!("该协议已有续约申请 {renewal_id}，不能重复申请")
            }
            Self::TermChangeAfterSigning { start, end } => format!(
                "协议签订后不得变更运营期限（{start} 至 {end}）；延长或另定期限须在期满前 3 个月内申请续约"
            ),
            Self::EvaluationNotRectified {
                evaluation_id,
                due_on,
            } => format!(
                "运营评估 {evaluation_id} 结果为不合格，且未在整改期限 {due_on} 前完成整改，不能申请续约"
            ),
            Self::TermNotEnded { term_end } => {
                format!("协议运营期限至 {term_end}，尚未到期")
            }
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（{}）", self.rule())
    }
}
