//! Authorization agreement (授权运营协议): its 13 clauses, term and lifecycle.
//!
//! The county authorizes ONE operator for all its data (整体授权, S-2.1) by
//! an agreement that holds the 13 clauses of S-3.3.3c, runs at most 3 years
//! (S-2.2a), collects the opinions of the sector regulators and supervisors
//! and passes the 三重一大 collective decision before signing (S-3.3.3a,
//! S-2.4), and is filed with the city data bureau within 10 working days of
//! signing (S-3.3.3b). Renewal is applied for within the 3 months before the
//! end of the term (S-2.2b); a change to a signed agreement's clauses is a
//! new revision that goes through the same approval again (S-2.4).
//!
//! Lifecycle ([`AgreementStatus`]):
//!
//! ```text
//! Draft ──opinion──► OpinionsCollected ──decide──► Decided ──sign──► Signed ──file──► Filed
//!   ▲                     │  (more opinions)          │                 │                 │
//!   └───── change (a new revision when not a draft) ──┴─────────────────┴─────────────────┘
//! Signed | Filed ──expire──► Expired;  Signed | Filed ──terminate──► Terminated
//! ```
//!
//! Who may fire a command is the policy's question, not this module's.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::ids::DatasetId;
use crate::org::{CodeError, OrgKind};

/// Longest term of an authorization, in months (S-2.2a: 3 years).
pub const MAX_TERM_MONTHS: u32 = 36;
/// Working days after signing within which the agreement is filed (S-3.3.3b).
pub const FILING_WORKING_DAYS: u32 = 10;
/// Months before the end of the term from which renewal may be applied for (S-2.2b).
pub const RENEWAL_WINDOW_MONTHS: u32 = 3;
/// Longest text of one clause, in characters.
pub const MAX_CLAUSE_CHARS: usize = 20_000;
/// Longest short reference (meeting reference, receipt number), in characters.
pub const MAX_REFERENCE_CHARS: usize = 100;

/// Lifecycle status of an authorization agreement (协议状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgreementStatus {
    /// Being drafted (起草中).
    Draft,
    /// Opinions of sector regulators and supervisors recorded (已征求意见).
    OpinionsCollected,
    /// Passed the 三重一大 collective decision (已集体决策).
    Decided,
    /// Signed (已签订): in force, awaiting filing.
    Signed,
    /// Filed with the city data bureau (已备案): in force.
    Filed,
    /// The term ended (已到期).
    Expired,
    /// Terminated early (已终止, S-3.3.5).
    Terminated,
}

impl AgreementStatus {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [Self] = &[
        Self::Draft,
        Self::OpinionsCollected,
        Self::Decided,
        Self::Signed,
        Self::Filed,
        Self::Expired,
        Self::Terminated,
    ];

    /// Stable code, as stored in SQL and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::OpinionsCollected => "opinions_collected",
            Self::Decided => "decided",
            Self::Signed => "signed",
            Self::Filed => "filed",
            Self::Expired => "expired",
            Self::Terminated => "terminated",
        }
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "起草中",
            Self::OpinionsCollected => "已征求意见",
            Self::Decided => "已集体决策",
            Self::Signed => "已签订",
            Self::Filed => "已备案",
            Self::Expired => "已到期",
            Self::Terminated => "已终止",
        }
    }

    /// Whether the agreement is in force (signed or filed): the one active
    /// whole authorization of S-2.1.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Signed | Self::Filed)
    }

    /// The status after `command`, or why the command is refused in this
    /// status. Data-dependent checks (dates, windows, the single active
    /// agreement) are made by [`Agreement`]'s methods on top of this.
    pub fn apply(self, command: AgreementCommand) -> Result<Self, AgreementError> {
        use AgreementCommand as C;
        use AgreementStatus as S;
        Ok(match (self, command) {
            (S::Draft | S::OpinionsCollected, C::RecordOpinion) => S::OpinionsCollected,
            (S::OpinionsCollected, C::Decide) => S::Decided,
            (S::Draft, C::Decide) => return Err(AgreementError::OpinionsMissing),
            (S::Decided, C::Sign) => S::Signed,
            (S::Draft | S::OpinionsCollected, C::Sign) => return Err(AgreementError::NotDecided),
            (S::Signed, C::File) => S::Filed,
            (S::Signed | S::Filed, C::RequestRenewal) => self,
            (S::Draft | S::OpinionsCollected | S::Decided | S::Signed | S::Filed, C::Change) => {
                S::Draft
            }
            (S::Signed | S::Filed, C::Expire) => S::Expired,
            (S::Signed | S::Filed, C::Terminate) => S::Terminated,
            (from, command) => return Err(AgreementError::InvalidTransition { from, command }),
        })
    }
}

impl fmt::Display for AgreementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgreementStatus {
    type Err = CodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| CodeError {
                kind: "agreement_status",
                found: raw.to_owned(),
            })
    }
}

/// A command on an agreement (协议操作).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgreementCommand {
    /// Record the opinion of a sector regulator or supervisor (征求意见, S-3.3.3a).
    RecordOpinion,
    /// Record the 三重一大 collective decision (集体决策, S-2.4, S-3.3.3a).
    Decide,
    /// Record the signing (签订).
    Sign,
    /// Record the filing with the city data bureau (备案, S-3.3.3b).
    File,
    /// Apply for renewal (申请续约, S-2.2b); the agreement itself is unchanged.
    RequestRenewal,
    /// Change the clauses (变更条款); after the draft stage a new revision (S-2.4).
    Change,
    /// The term ended (到期).
    Expire,
    /// Terminate early (终止, S-3.3.5).
    Terminate,
}

impl AgreementCommand {
    /// Every command.
    pub const ALL: &'static [Self] = &[
        Self::RecordOpinion,
        Self::Decide,
        Self::Sign,
        Self::File,
        Self::RequestRenewal,
        Self::Change,
        Self::Expire,
        Self::Terminate,
    ];

    /// Stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RecordOpinion => "record_opinion",
            Self::Decide => "decide",
            Self::Sign => "sign",
            Self::File => "file",
            Self::RequestRenewal => "request_renewal",
            Self::Change => "change",
            Self::Expire => "expire",
            Self::Terminate => "terminate",
        }
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::RecordOpinion => "记录征求意见",
            Self::Decide => "记录集体决策",
            Self::Sign => "记录签订",
            Self::File => "记录备案",
            Self::RequestRenewal => "申请续约",
            Self::Change => "变更条款",
            Self::Expire => "到期",
            Self::Terminate => "终止",
        }
    }
}

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
            Self::TermNotEnded { term_end } => {
                format!("协议运营期限至 {term_end}，尚未到期")
            }
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（{}）", self.rule())
    }
}

/// Chinese name of clause `n` (1–13) of S-3.3.3c.
pub fn clause_label(n: u8) -> &'static str {
    match n {
        1 => "公共数据资源范围及数据资源目录",
        2 => "运营期限",
        3 => "产品和服务清单及技术标准、安全审核和业务规范性审核要求",
        4 => "技术支撑平台",
        5 => "资产权属",
        6 => "信息披露要求",
        7 => "经营成本和收入核算及收益分配",
        8 => "数据安全、个人信息保护、风险监测和应急处置",
        9 => "运营成效评价、续约或退出",
        10 => "违约责任",
        11 => "争议解决",
        12 => "协议变更、终止条件",
        _ => "其他",
    }
}

/// Term (运营期限) of an agreement: first and last day, both inclusive,
/// at most 3 years (S-2.2a).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AgreementTerm {
    start: NaiveDate,
    end: NaiveDate,
}

impl AgreementTerm {
    /// A term from `start` to `end`, inclusive.
    ///
    /// The latest end is the day before the third anniversary of `start`
    /// ("3 years" counts `start` as the first day): 2026-01-01 runs at most
    /// to 2028-12-31. When the anniversary does not exist (a start on
    /// 29 February) it falls on 1 March, so the latest end is 28 February.
    pub fn new(start: NaiveDate, end: NaiveDate) -> Result<Self, AgreementError> {
        if end < start {
            return Err(AgreementError::TermInverted { start, end });
        }
        let latest = latest_end(start)?;
        if end > latest {
            return Err(AgreementError::TermTooLong { end, latest });
        }
        Ok(Self { start, end })
    }

    /// First day.
    pub const fn start(&self) -> NaiveDate {
        self.start
    }

    /// Last day.
    pub const fn end(&self) -> NaiveDate {
        self.end
    }

    /// Whether the two terms share a day.
    pub fn overlaps(&self, other: &Self) -> bool {
        self.start <= other.end && other.start <= self.end
    }

    /// First day on which renewal may be applied for (S-2.2b): the window
    /// is the last 3 calendar months of the term, both ends inclusive, so a
    /// term ending 2026-12-31 opens its window on 2026-10-01.
    pub fn renewal_opens_on(&self) -> Result<NaiveDate, AgreementError> {
        self.end
            .checked_add_days(Days::new(1))
            .and_then(|after| after.checked_sub_months(Months::new(RENEWAL_WINDOW_MONTHS)))
            .ok_or(AgreementError::Calendar(CalendarError::OutOfRange))
    }
}

fn latest_end(start: NaiveDate) -> Result<NaiveDate, AgreementError> {
    let out_of_range = AgreementError::Calendar(CalendarError::OutOfRange);
    let anniversary = start
        .checked_add_months(Months::new(MAX_TERM_MONTHS))
        .ok_or(out_of_range.clone())?;
    // chrono clamps 29 February to the 28th; the anniversary is then 1 March.
    if chrono::Datelike::day(&anniversary) != chrono::Datelike::day(&start) {
        return Ok(anniversary);
    }
    anniversary
        .checked_sub_days(Days::new(1))
        .ok_or(out_of_range)
}

/// Data scope (clause 1): the resource catalog and the datasets it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataScope {
    /// Catalog description (数据资源目录).
    pub catalog: String,
    /// Datasets authorized (at least one).
    pub dataset_ids: Vec<DatasetId>,
}

/// Input form of the 13 clauses, as sent by clients and stored as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClausesInput {
    /// Clause 1.
    pub data_scope: DataScopeInput,
    /// Clause 2.
    pub term: TermInput,
    /// Clause 3.
    pub products_and_services: String,
    /// Clause 4.
    pub technical_platform: String,
    /// Clause 5.
    pub asset_ownership: String,
    /// Clause 6.
    pub disclosure: String,
    /// Clause 7.
    pub cost_revenue_and_distribution: String,
    /// Clause 8.
    pub security_and_emergency: String,
    /// Clause 9.
    pub evaluation_renewal_exit: String,
    /// Clause 10.
    pub breach_liability: String,
    /// Clause 11.
    pub dispute_resolution: String,
    /// Clause 12.
    pub change_and_termination: String,
    /// Clause 13.
    pub other: String,
}

/// Input form of clause 1.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DataScopeInput {
    /// Catalog description.
    pub catalog: String,
    /// Dataset ids (UUID text).
    pub dataset_ids: Vec<String>,
}

/// Input form of clause 2.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TermInput {
    /// First day (inclusive).
    pub start: Option<NaiveDate>,
    /// Last day (inclusive).
    pub end: Option<NaiveDate>,
}

/// The 13 clauses of an authorization agreement (协议条款, S-3.3.3c), all
/// required. Built only by [`AgreementClauses::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgreementClauses {
    data_scope: DataScope,
    term: AgreementTerm,
    texts: [String; 11],
}

/// JSON field names of clauses 3–13, in order.
const TEXT_FIELDS: [&str; 11] = [
    "products_and_services",
    "technical_platform",
    "asset_ownership",
    "disclosure",
    "cost_revenue_and_distribution",
    "security_and_emergency",
    "evaluation_renewal_exit",
    "breach_liability",
    "dispute_resolution",
    "change_and_termination",
    "other",
];

/// Clauses whose change is a "major change" of S-2.4 (scenarios: the
/// product list; data scale: the data scope; cost/revenue accounting and
/// revenue distribution), by JSON field.
const MAJOR_CHANGE_FIELDS: [&str; 3] = [
    "data_scope",
    "products_and_services",
    "cost_revenue_and_distribution",
];

impl AgreementClauses {
    /// Checks every clause; returns all the errors found, each naming its clause.
    pub fn parse(input: &ClausesInput) -> Result<Self, Vec<AgreementError>> {
        let mut errors = Vec::new();
        let catalog = required_text(&input.data_scope.catalog, 1, "data_scope.catalog")
            .map_err(|e| errors.push(e))
            .ok();
        let mut dataset_ids = Vec::new();
        for raw in &input.data_scope.dataset_ids {
            match DatasetId::parse(raw) {
                Ok(id) if !dataset_ids.contains(&id) => dataset_ids.push(id),
                Ok(_) => {}
                Err(_) => errors.push(AgreementError::DatasetIdInvalid { found: raw.clone() }),
            }
        }
        if input.data_scope.dataset_ids.is_empty() {
            errors.push(AgreementError::DatasetsMissing);
        }
        let term = match (input.term.start, input.term.end) {
            (Some(start), Some(end)) => AgreementTerm::new(start, end)
                .map_err(|e| errors.push(e))
                .ok(),
            (start, _) => {
                errors.push(AgreementError::ClauseMissing {
                    clause: 2,
                    field: if start.is_none() {
                        "term.start"
                    } else {
                        "term.end"
                    },
                });
                None
            }
        };
        let raw_texts = input.texts();
        let mut texts: [String; 11] = Default::default();
        for (i, (slot, raw)) in texts.iter_mut().zip(raw_texts).enumerate() {
            let clause = u8::try_from(i + 3).unwrap_or(13);
            match required_text(raw, clause, TEXT_FIELDS[i]) {
                Ok(t) => *slot = t,
                Err(e) => errors.push(e),
            }
        }
        match (catalog, term) {
            (Some(catalog), Some(term)) if errors.is_empty() => Ok(Self {
                data_scope: DataScope {
                    catalog,
                    dataset_ids,
                },
                term,
                texts,
            }),
            _ => Err(errors),
        }
    }

    /// Clause 1.
    pub fn data_scope(&self) -> &DataScope {
        &self.data_scope
    }

    /// Clause 2.
    pub fn term(&self) -> AgreementTerm {
        self.term
    }

    /// Clause `n` (3–13) as text.
    pub fn text(&self, n: u8) -> Option<&str> {
        usize::from(n)
            .checked_sub(3)
            .and_then(|i| self.texts.get(i))
            .map(String::as_str)
    }

    /// The input form (for storage and display).
    pub fn to_input(&self) -> ClausesInput {
        let t = |i: usize| self.texts.get(i).cloned().unwrap_or_default();
        ClausesInput {
            data_scope: DataScopeInput {
                catalog: self.data_scope.catalog.clone(),
                dataset_ids: self
                    .data_scope
                    .dataset_ids
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            },
            term: TermInput {
                start: Some(self.term.start),
                end: Some(self.term.end),
            },
            products_and_services: t(0),
            technical_platform: t(1),
            asset_ownership: t(2),
            disclosure: t(3),
            cost_revenue_and_distribution: t(4),
            security_and_emergency: t(5),
            evaluation_renewal_exit: t(6),
            breach_liability: t(7),
            dispute_resolution: t(8),
            change_and_termination: t(9),
            other: t(10),
        }
    }

    /// JSON fields of the clauses that differ between `self` and `new`.
    pub fn changed_fields(&self, new: &Self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.data_scope != new.data_scope {
            out.push("data_scope");
        }
        if self.term != new.term {
            out.push("term");
        }
        for (i, field) in TEXT_FIELDS.iter().enumerate() {
            if self.texts.get(i) != new.texts.get(i) {
                out.push(*field);
            }
        }
        out
    }
}

impl ClausesInput {
    fn texts(&self) -> [&String; 11] {
        [
            &self.products_and_services,
            &self.technical_platform,
            &self.asset_ownership,
            &self.disclosure,
            &self.cost_revenue_and_distribution,
            &self.security_and_emergency,
            &self.evaluation_renewal_exit,
            &self.breach_liability,
            &self.dispute_resolution,
            &self.change_and_termination,
            &self.other,
        ]
    }
}

fn required_text(raw: &str, clause: u8, field: &'static str) -> Result<String, AgreementError> {
    let t = raw.trim();
    if t.is_empty() {
        return Err(AgreementError::ClauseMissing { clause, field });
    }
    if t.chars().count() > MAX_CLAUSE_CHARS {
        return Err(AgreementError::ClauseTooLong { clause, field });
    }
    Ok(t.to_owned())
}

/// A required short text (meeting reference, receipt number, opinion).
pub fn short_text(raw: &str, field: &'static str, max: usize) -> Result<String, AgreementError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(AgreementError::TextInvalid { field });
    }
    Ok(t.to_owned())
}

/// Whether an organisation of `kind` is one whose opinion S-3.3.3a asks for:
/// sector regulators and the supervisors (data bureau, finance, pricing,
/// security regulators).
pub const fn gives_opinion(kind: OrgKind) -> bool {
    matches!(
        kind,
        OrgKind::SectorRegulator
            | OrgKind::DataBureau
            | OrgKind::FinanceBureau
            | OrgKind::PricingAuthority
            | OrgKind::SecurityRegulator
    )
}

/// How a clause change is classified (S-2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClauseChange {
    /// Clauses changed (JSON fields).
    pub changed: Vec<&'static str>,
    /// Whether a major change of S-2.4 is among them.
    pub major: bool,
    /// Whether a new revision was started (the agreement was past drafting).
    pub new_revision: bool,
}

/// An agreement in force, as seen when another is signed (S-2.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveAgreement {
    /// Its id.
    pub id: String,
    /// Its term.
    pub term: AgreementTerm,
}

/// The state of one agreement's current revision, and the rules on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agreement {
    /// Status.
    pub status: AgreementStatus,
    /// Revision (1 for the original; +1 per change after drafting).
    pub revision: u32,
    /// Clauses.
    pub clauses: AgreementClauses,
    /// Date of the collective decision.
    pub decided_on: Option<NaiveDate>,
    /// Signing date.
    pub signed_on: Option<NaiveDate>,
    /// Filing due date (None when the calendar of the year is not published).
    pub filing_due_on: Option<NaiveDate>,
    /// Filing date.
    pub filed_on: Option<NaiveDate>,
    /// The agreement this one renews.
    pub renewal_of: Option<String>,
}

fn not_future(
    field: &'static str,
    date: NaiveDate,
    today: NaiveDate,
) -> Result<(), AgreementError> {
    if date > today {
        return Err(AgreementError::DateInFuture { field, date, today });
    }
    Ok(())
}

fn not_before(
    field: &'static str,
    date: NaiveDate,
    earliest: Option<NaiveDate>,
) -> Result<(), AgreementError> {
    match earliest {
        Some(earliest) if date < earliest => Err(AgreementError::DateTooEarly {
            field,
            date,
            earliest,
        }),
        _ => Ok(()),
    }
}

impl Agreement {
    /// A new draft (revision 1).
    pub fn draft(clauses: AgreementClauses, renewal_of: Option<String>) -> Self {
        Self {
            status: AgreementStatus::Draft,
            revision: 1,
            clauses,
            decided_on: None,
            signed_on: None,
            filing_due_on: None,
            filed_on: None,
            renewal_of,
        }
    }

    /// Records an opinion received on `received_on` from an organisation of `kind`.
    pub fn record_opinion(
        &mut self,
        kind: OrgKind,
        received_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgreementError> {
        let next = self.status.apply(AgreementCommand::RecordOpinion)?;
        if !gives_opinion(kind) {
            return Err(AgreementError::OpinionSourceInvalid { kind });
        }
        not_future("received_on", received_on, today)?;
        self.status = next;
        Ok(())
    }

    /// Records the collective decision taken on `decided_on`.
    pub fn decide(
        &mut self,
        decided_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgreementError> {
        let next = self.status.apply(AgreementCommand::Decide)?;
        not_future("decided_on", decided_on, today)?;
        self.status = next;
        self.decided_on = Some(decided_on);
        Ok(())
    }

    /// Records the signing on `signed_on`; `active` are the other agreements
    /// in force. Computes the filing due date (S-3.3.3b).
    ///
    /// Refused while another agreement is in force (S-2.1), unless this one
    /// renews it and its term starts after the other's ends.
    pub fn sign(
        &mut self,
        signed_on: NaiveDate,
        today: NaiveDate,
        active: &[ActiveAgreement],
        calendar: &WorkingDayCalendar,
    ) -> Result<(), AgreementError> {
        let next = self.status.apply(AgreementCommand::Sign)?;
        not_future("signed_on", signed_on, today)?;
        not_before("signed_on", signed_on, self.decided_on)?;
        let term = self.clauses.term();
        if signed_on > term.end() {
            return Err(AgreementError::SignedAfterTerm {
                signed_on,
                term_end: term.end(),
            });
        }
        let renews = self.renewal_of.as_deref();
        if let Some(other) = active
            .iter()
            .find(|a| Some(a.id.as_str()) != renews || a.term.overlaps(&term))
        {
            return Err(AgreementError::AnotherActive {
                active_id: other.id.clone(),
            });
        }
        self.filing_due_on = match filing_due_on(calendar, signed_on) {
            Ok(d) => Some(d),
            Err(CalendarError::UnpublishedYear { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        self.status = next;
        self.signed_on = Some(signed_on);
        Ok(())
    }

    /// Records the filing on `filed_on`; returns whether it was late.
    pub fn file(&mut self, filed_on: NaiveDate, today: NaiveDate) -> Result<bool, AgreementError> {
        let next = self.status.apply(AgreementCommand::File)?;
        not_future("filed_on", filed_on, today)?;
        not_before("filed_on", filed_on, self.signed_on)?;
        self.status = next;
        self.filed_on = Some(filed_on);
        Ok(self.filed_late())
    }

    /// Whether the filing came (or, unfiled, is) after the due date.
    pub fn filed_late(&self) -> bool {
        match (self.filed_on, self.filing_due_on) {
            (Some(filed), Some(due)) => filed > due,
            _ => false,
        }
    }

    /// Checks a renewal application made on `today` (S-2.2b); the agreement
    /// itself does not change. `existing_renewal` is a renewal already under
    /// way, if any.
    pub fn check_renewal(
        &self,
        today: NaiveDate,
        existing_renewal: Option<&str>,
    ) -> Result<(), AgreementError> {
        self.status.apply(AgreementCommand::RequestRenewal)?;
        let term = self.clauses.term();
        let opens_on = term.renewal_opens_on()?;
        if today < opens_on {
            return Err(AgreementError::RenewalTooEarly { opens_on });
        }
        if today > term.end() {
            return Err(AgreementError::RenewalTooLate {
                term_end: term.end(),
            });
        }
        if let Some(renewal_id) = existing_renewal {
            return Err(AgreementError::RenewalExists {
                renewal_id: renewal_id.to_owned(),
            });
        }
        Ok(())
    }

    /// Replaces the clauses. A draft stays a draft; past drafting the
    /// agreement goes back to draft as a new revision, and its opinions,
    /// decision, signing and filing are those of the old revision (S-2.4).
    pub fn change(&mut self, clauses: AgreementClauses) -> Result<ClauseChange, AgreementError> {
        let next = self.status.apply(AgreementCommand::Change)?;
        let changed = self.clauses.changed_fields(&clauses);
        let major = changed.iter().any(|f| MAJOR_CHANGE_FIELDS.contains(f));
        let new_revision = self.status != AgreementStatus::Draft;
        if new_revision {
            self.revision = self.revision.saturating_add(1);
            self.decided_on = None;
            self.signed_on = None;
            self.filing_due_on = None;
            self.filed_on = None;
        }
        self.status = next;
        self.clauses = clauses;
        Ok(ClauseChange {
            changed,
            major,
            new_revision,
        })
    }

    /// Marks the agreement expired on `today`, after its last day.
    pub fn expire(&mut self, today: NaiveDate) -> Result<(), AgreementError> {
        let next = self.status.apply(AgreementCommand::Expire)?;
        let term_end = self.clauses.term().end();
        if today <= term_end {
            return Err(AgreementError::TermNotEnded { term_end });
        }
        self.status = next;
        Ok(())
    }

    /// Terminates the agreement early (S-3.3.5).
    pub fn terminate(&mut self) -> Result<(), AgreementError> {
        self.status = self.status.apply(AgreementCommand::Terminate)?;
        Ok(())
    }
}

/// Filing due date of an agreement signed on `signed_on` (S-3.3.3b).
pub fn filing_due_on(
    calendar: &WorkingDayCalendar,
    signed_on: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    due_in_working_days(calendar, signed_on, FILING_WORKING_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn input(start: NaiveDate, end: NaiveDate) -> ClausesInput {
        let t = |s: &str| format!("{s}条款正文");
        ClausesInput {
            data_scope: DataScopeInput {
                catalog: "县级公共数据资源目录（2026 版）".into(),
                dataset_ids: vec!["018f3c1e-0000-7000-8000-000000000001".into()],
            },
            term: TermInput {
                start: Some(start),
                end: Some(end),
            },
            products_and_services: t("产品"),
            technical_platform: t("平台"),
            asset_ownership: t("资产"),
            disclosure: t("披露"),
            cost_revenue_and_distribution: t("收益"),
            security_and_emergency: t("安全"),
            evaluation_renewal_exit: t("评价"),
            breach_liability: t("违约"),
            dispute_resolution: t("争议"),
            change_and_termination: t("变更"),
            other: t("其他"),
        }
    }

    fn clauses(start: NaiveDate, end: NaiveDate) -> AgreementClauses {
        AgreementClauses::parse(&input(start, end)).unwrap()
    }

    /// The whole transition table, state × command. Any change to the
    /// workflow shows up here as a reviewable diff.
    const EXPECTED_TABLE: &str = "\
status             | record_opinion     | decide             | sign               | file               | request_renewal    | change             | expire             | terminate
draft              | opinions_collected | !opinions_missing  | !not_decided       | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
opinions_collected | opinions_collected | decided            | !not_decided       | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
decided            | !invalid_transition | !invalid_transition | signed             | !invalid_transition | !invalid_transition | draft              | !invalid_transition | !invalid_transition
signed             | !invalid_transition | !invalid_transition | !invalid_transition | filed              | signed             | draft              | expired            | terminated
filed              | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | filed              | draft              | expired            | terminated
expired            | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition
terminated         | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition | !invalid_transition
";

    #[test]
    fn transition_table_snapshot() {
        let mut out = format!("{:<18}", "status");
        for c in AgreementCommand::ALL {
            out.push_str(&format!(" | {:<18}", c.as_str()));
        }
        out = out.trim_end().to_owned();
        out.push('\n');
        for s in AgreementStatus::ALL {
            let mut line = format!("{:<18}", s.as_str());
            for c in AgreementCommand::ALL {
                let cell = match s.apply(*c) {
                    Ok(next) => next.as_str().to_owned(),
                    Err(e) => format!("!{}", e.code().trim_start_matches("agreement.")),
                };
                line.push_str(&format!(" | {cell:<18}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
    }

    #[test]
    fn statuses_round_trip_and_have_labels() {
        for s in AgreementStatus::ALL {
            assert_eq!(s.as_str().parse::<AgreementStatus>().unwrap(), *s);
            assert!(!s.label_zh().is_empty());
        }
        assert!("active".parse::<AgreementStatus>().is_err());
    }

    #[test]
    fn term_of_three_years_is_accepted_and_a_day_more_refused() {
        // S-2.2a
        let ok = AgreementTerm::new(d(2026, 1, 1), d(2028, 12, 31)).unwrap();
        assert_eq!(ok.end(), d(2028, 12, 31));
        let err = AgreementTerm::new(d(2026, 1, 1), d(2029, 1, 1)).unwrap_err();
        assert_eq!(err.code(), "agreement.term_too_long");
        assert!(
            err.message_zh().contains("（S-2.2a）"),
            "{}",
            err.message_zh()
        );
        assert!(AgreementTerm::new(d(2026, 3, 15), d(2029, 3, 14)).is_ok());
        assert!(AgreementTerm::new(d(2026, 3, 15), d(2029, 3, 15)).is_err());
        // Leap days: from 2024-02-29 the anniversary is 2027-03-01.
        assert!(AgreementTerm::new(d(2024, 2, 29), d(2027, 2, 28)).is_ok());
        assert!(AgreementTerm::new(d(2024, 2, 29), d(2027, 3, 1)).is_err());
        // A term ending on a leap day.
        assert!(AgreementTerm::new(d(2025, 3, 1), d(2028, 2, 29)).is_ok());
        assert_eq!(
            AgreementTerm::new(d(2026, 5, 1), d(2026, 4, 30))
                .unwrap_err()
                .code(),
            "agreement.term_inverted"
        );
    }

    #[test]
    fn every_missing_clause_is_named() {
        let errors = AgreementClauses::parse(&ClausesInput::default()).unwrap_err();
        let codes: Vec<&str> = errors.iter().map(DomainError::code).collect();
        assert!(codes.contains(&"agreement.datasets_missing"));
        let mut clauses: Vec<u8> = errors
            .iter()
            .filter_map(|e| match e {
                AgreementError::ClauseMissing { clause, .. } => Some(*clause),
                _ => None,
            })
            .collect();
        clauses.dedup();
        assert_eq!(clauses, (1..=13).collect::<Vec<u8>>());
        for e in &errors {
            assert!(e.is_input_error());
            assert!(
                e.message_zh().contains("（S-3.3.3c）"),
                "{}",
                e.message_zh()
            );
        }
        let e = &errors[errors.len() - 1];
        assert_eq!(e.field(), "other");
        assert!(
            e.message_zh().contains("第 13 项条款“其他”"),
            "{}",
            e.message_zh()
        );
    }

    #[test]
    fn clauses_round_trip_through_the_input_form() {
        let c = clauses(d(2026, 1, 1), d(2028, 12, 31));
        assert_eq!(AgreementClauses::parse(&c.to_input()).unwrap(), c);
        assert_eq!(c.text(3), Some("产品条款正文"));
        assert_eq!(c.text(13), Some("其他条款正文"));
        assert_eq!(c.text(14), None);
        let mut bad = c.to_input();
        bad.data_scope.dataset_ids.push("not-an-id".into());
        let errors = AgreementClauses::parse(&bad).unwrap_err();
        assert_eq!(errors[0].code(), "agreement.dataset_id_invalid");
    }

    fn decided(start: NaiveDate, end: NaiveDate) -> Agreement {
        let mut a = Agreement::draft(clauses(start, end), None);
        a.record_opinion(OrgKind::SectorRegulator, d(2026, 1, 5), d(2026, 1, 5))
            .unwrap();
        a.decide(d(2026, 1, 20), d(2026, 1, 20)).unwrap();
        a
    }

    #[test]
    fn happy_path_and_filing_deadline_across_the_spring_festival() {
        let cal = WorkingDayCalendar::official().unwrap();
        let mut a = decided(d(2026, 2, 1), d(2029, 1, 31));
        // Signed Friday 2026-02-13: 02-14 (make-up Saturday) counts, the
        // holiday 02-15..02-23 does not, 02-28 (make-up Saturday) counts.
        a.sign(d(2026, 2, 13), d(2026, 2, 13), &[], &cal).unwrap();
        assert_eq!(a.filing_due_on, Some(d(2026, 3, 5)));
        assert!(!a.file(d(2026, 3, 5), d(2026, 3, 5)).unwrap());
        assert_eq!(a.status, AgreementStatus::Filed);
        let mut late = decided(d(2026, 2, 1), d(2029, 1, 31));
        late.sign(d(2026, 2, 13), d(2026, 2, 13), &[], &cal)
            .unwrap();
        assert!(
            late.file(d(2026, 3, 6), d(2026, 3, 6)).unwrap(),
            "late but recorded"
        );
        assert_eq!(late.status, AgreementStatus::Filed);
    }

    #[test]
    fn opinions_come_from_regulators_and_supervisors_only() {
        let mut a = Agreement::draft(clauses(d(2026, 1, 1), d(2026, 12, 31)), None);
        let e = a
            .record_opinion(OrgKind::Operator, d(2026, 1, 5), d(2026, 1, 5))
            .unwrap_err();
        assert_eq!(e.code(), "agreement.opinion_source_invalid");
        assert_eq!(a.status, AgreementStatus::Draft);
        assert_eq!(
            a.decide(d(2026, 1, 5), d(2026, 1, 5)).unwrap_err().code(),
            "agreement.opinions_missing"
        );
        let e = a
            .record_opinion(OrgKind::DataBureau, d(2026, 1, 6), d(2026, 1, 5))
            .unwrap_err();
        assert_eq!(e.code(), "agreement.date_in_future");
    }

    #[test]
    fn only_one_active_agreement_unless_a_later_renewal() {
        let cal = WorkingDayCalendar::official().unwrap();
        let active = ActiveAgreement {
            id: "old".into(),
            term: AgreementTerm::new(d(2026, 1, 1), d(2026, 6, 30)).unwrap(),
        };
        let mut second = decided(d(2026, 3, 1), d(2027, 2, 28));
        let e = second
            .sign(
                d(2026, 2, 2),
                d(2026, 2, 2),
                std::slice::from_ref(&active),
                &cal,
            )
            .unwrap_err();
        assert_eq!(e.code(), "agreement.another_active");
        assert!(e.message_zh().contains("（S-2.1）"));
        assert_eq!(second.status, AgreementStatus::Decided);
        // A renewal whose term overlaps is refused too; one that follows is not.
        let mut overlapping = decided(d(2026, 6, 30), d(2027, 6, 29));
        overlapping.renewal_of = Some("old".into());
        assert!(
            overlapping
                .sign(
                    d(2026, 2, 2),
                    d(2026, 2, 2),
                    std::slice::from_ref(&active),
                    &cal
                )
                .is_err()
        );
        let mut renewal = decided(d(2026, 7, 1), d(2029, 6, 30));
        renewal.renewal_of = Some("old".into());
        renewal
            .sign(
                d(2026, 2, 2),
                d(2026, 2, 2),
                std::slice::from_ref(&active),
                &cal,
            )
            .unwrap();
    }

    #[test]
    fn renewal_window_is_the_last_three_months() {
        let cal = WorkingDayCalendar::official().unwrap();
        let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
        a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
        let e = a.check_renewal(d(2026, 8, 31), None).unwrap_err();
        assert_eq!(e.code(), "agreement.renewal_too_early");
        assert!(e.message_zh().contains("（S-2.2b）"));
        assert!(a.check_renewal(d(2026, 9, 30), None).is_err());
        a.check_renewal(d(2026, 10, 1), None).unwrap();
        a.check_renewal(d(2026, 12, 31), None).unwrap();
        assert_eq!(
            a.check_renewal(d(2027, 1, 1), None).unwrap_err().code(),
            "agreement.renewal_too_late"
        );
        assert_eq!(
            a.check_renewal(d(2026, 11, 1), Some("r"))
                .unwrap_err()
                .code(),
            "agreement.renewal_exists"
        );
    }

    #[test]
    fn a_change_after_signing_is_a_new_revision() {
        let cal = WorkingDayCalendar::official().unwrap();
        let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
        a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
        let mut new = a.clauses.to_input();
        new.cost_revenue_and_distribution = "新的收益分配方案".into();
        let change = a.change(AgreementClauses::parse(&new).unwrap()).unwrap();
        assert_eq!(change.changed, vec!["cost_revenue_and_distribution"]);
        assert!(change.major && change.new_revision);
        assert_eq!(a.status, AgreementStatus::Draft);
        assert_eq!(a.revision, 2);
        assert_eq!(a.signed_on, None);
        // A draft edited stays the same revision.
        let mut minor = a.clauses.to_input();
        minor.other = "补充约定".into();
        let change = a.change(AgreementClauses::parse(&minor).unwrap()).unwrap();
        assert!(!change.major && !change.new_revision);
        assert_eq!(a.revision, 2);
    }

    #[test]
    fn expiry_waits_for_the_end_of_the_term() {
        let cal = WorkingDayCalendar::official().unwrap();
        let mut a = decided(d(2026, 1, 1), d(2026, 12, 31));
        a.sign(d(2026, 1, 21), d(2026, 1, 21), &[], &cal).unwrap();
        assert_eq!(
            a.expire(d(2026, 12, 31)).unwrap_err().code(),
            "agreement.term_not_ended"
        );
        a.expire(d(2027, 1, 1)).unwrap();
        assert_eq!(a.status, AgreementStatus::Expired);
        assert!(a.terminate().is_err());
    }
}
