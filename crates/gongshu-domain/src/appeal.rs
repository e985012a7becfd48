//! Appeals (申诉, S-2.5b) and provider–operator disputes (争议协调, S-2.5a).
//!
//! An appeal: a secondary-market participant asks the implementing agency to
//! review a decision that affected it — on its platform entry, a data-use
//! application or an egress compliance review — within a time limit after
//! the decision; an approver of the agency decides (original decision
//! upheld or overturned, with reasons). Lifecycle ([`AppealStatus`]):
//! `submitted → upheld | overturned`, or `withdrawn` by the appellant
//! before the decision.
//!
//! A dispute: a data source unit (provider) or the operator raises a
//! dispute over authorization or use against the other; the implementing
//! agency coordinates, may commission a third-party assessment (S-2.5a) and
//! resolves it with an outcome. Lifecycle ([`DisputeStatus`]):
//! `open → assessing → assessed → resolved`, or `open → resolved`.
//!
//! Both transition tables are pinned by the snapshot tests below.

use std::fmt;

use chrono::NaiveDate;

use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::{DomainError, OrgKind};

/// Rule of appeals.
pub const APPEAL_RULE: &str = "S-2.5b";
/// Rule of disputes.
pub const DISPUTE_RULE: &str = "S-2.5a";

/// Working days after the decision within which a participant may appeal.
/// REQUIREMENTS.md §3 gives no time limit for appeals under S-2.5b, so this
/// is a configurable local default of 15 working days, to be confirmed by
/// the implementing agency.
pub const APPEAL_FILING_WORKING_DAYS: u32 = 15;

/// Working days the implementing agency has to decide an appeal. The seed
/// says only "promptly" (S-2.5b) and REQUIREMENTS.md §3 gives no number:
/// a configurable local default of 15 working days.
pub const APPEAL_HANDLING_WORKING_DAYS: u32 = 15;

/// Working days the implementing agency has to resolve a dispute (S-2.5a);
/// no number in REQUIREMENTS.md §3: a configurable local default.
pub const DISPUTE_HANDLING_WORKING_DAYS: u32 = 15;

/// Defines a code enum: stable snake_case codes, Chinese labels, `ALL`,
/// `Display`, `FromStr` and `Serialize`.
macro_rules! coded_enum {
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
                match raw {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err($crate::org::CodeError { kind: $kind, found: raw.to_owned() }),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use coded_enum;

coded_enum! {
    /// Kind of decision appealed against (申诉事项类型, S-2.5b (1)–(3)).
    AppealSubjectKind, "appeal_subject_kind" {
        /// Platform entry (平台准入): a rejected market entry.
        MarketEntry => ("market_entry", "平台准入决定"),
        /// Data-use application (数据使用申请).
        DataUse => ("data_use", "数据使用申请决定"),
        /// Egress compliance review (产品出域合规审查).
        Egress => ("egress", "出域合规审查决定"),
    }
}

coded_enum! {
    /// Status of an appeal (申诉状态).
    AppealStatus, "appeal_status" {
        /// Filed, awaiting the agency's decision (已提交).
        Submitted => ("submitted", "待处理"),
        /// The original decision stands (维持原决定).
        Upheld => ("upheld", "维持原决定"),
        /// The original decision is set aside (撤销原决定).
        Overturned => ("overturned", "撤销原决定"),
        /// Withdrawn by the appellant (已撤回).
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

coded_enum! {
    /// A command on an appeal.
    AppealCommand, "appeal_command" {
        /// The agency upholds the original decision (维持).
        Uphold => ("uphold", "维持原决定"),
        /// The agency overturns the original decision (撤销).
        Overturn => ("overturn", "撤销原决定"),
        /// The appellant withdraws (撤回).
        Withdraw => ("withdraw", "撤回"),
    }
}

/// A refused transition: `command` is not valid in status `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {command} in status {from}")]
pub struct InvalidTransition {
    /// Status code the item was in.
    pub from: &'static str,
    /// Chinese label of that status.
    pub from_zh: &'static str,
    /// Command code refused.
    pub command: &'static str,
}

impl AppealStatus {
    /// The one transition function of an appeal.
    pub fn apply(self, command: AppealCommand) -> Result<Self, InvalidTransition> {
        use AppealCommand as C;
        use AppealStatus as S;
        Ok(match (self, command) {
            (S::Submitted, C::Uphold) => S::Upheld,
            (S::Submitted, C::Overturn) => S::Overturned,
            (S::Submitted, C::Withdraw) => S::Withdrawn,
            (from, command) => {
                return Err(InvalidTransition {
                    from: from.as_str(),
                    from_zh: from.label_zh(),
                    command: command.as_str(),
                });
            }
        })
    }

    /// Whether the agency still has to decide.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Submitted)
    }
}

coded_enum! {
    /// Subject of a dispute (争议事项).
    DisputeSubject, "dispute_subject" {
        /// Over the authorization (授权).
        Authorization => ("authorization", "授权争议"),
        /// Over the use of data (使用).
        Use => ("use", "数据使用争议"),
    }
}

coded_enum! {
    /// Status of a dispute (争议状态).
    DisputeStatus, "dispute_status" {
        /// Raised, being coordinated (协调中).
        Open => ("open", "协调中"),
        /// A third-party assessment is under way (第三方评估中).
        Assessing => ("assessing", "第三方评估中"),
        /// The assessment report is in (评估已完成).
        Assessed => ("assessed", "评估已完成"),
        /// Resolved with an outcome (已解决).
        Resolved => ("resolved", "已解决"),
    }
}

coded_enum! {
    /// A command on a dispute.
    DisputeCommand, "dispute_command" {
        /// Commission a third-party assessment (委托第三方评估).
        CommissionAssessment => ("commission_assessment", "委托第三方评估"),
        /// Record the assessment report (登记评估报告).
        RecordAssessment => ("record_assessment", "登记评估报告"),
        /// Resolve with an outcome (协调结案).
        Resolve => ("resolve", "协调结案"),
    }
}

impl DisputeStatus {
    /// The one transition function of a dispute. A dispute with an
    /// assessment under way cannot be resolved before its report is in.
    pub fn apply(self, command: DisputeCommand) -> Result<Self, InvalidTransition> {
        use DisputeCommand as C;
        use DisputeStatus as S;
        Ok(match (self, command) {
            (S::Open, C::CommissionAssessment) => S::Assessing,
            (S::Assessing, C::RecordAssessment) => S::Assessed,
            (S::Open | S::Assessed, C::Resolve) => S::Resolved,
            (from, command) => {
                return Err(InvalidTransition {
                    from: from.as_str(),
                    from_zh: from.label_zh(),
                    command: command.as_str(),
                });
            }
        })
    }

    /// Whether the agency still has to act.
    pub const fn is_open(self) -> bool {
        !matches!(self, Self::Resolved)
    }
}

/// Time limits of appeals and disputes (configurable; defaults above).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppealLimits {
    /// Working days after the decision to appeal.
    pub filing_working_days: u32,
    /// Working days for the agency to decide an appeal.
    pub handling_working_days: u32,
    /// Working days for the agency to resolve a dispute.
    pub dispute_working_days: u32,
}

impl Default for AppealLimits {
    fn default() -> Self {
        Self {
            filing_working_days: APPEAL_FILING_WORKING_DAYS,
            handling_working_days: APPEAL_HANDLING_WORKING_DAYS,
            dispute_working_days: DISPUTE_HANDLING_WORKING_DAYS,
        }
    }
}

/// Why an appeal or dispute command was refused. Messages carry the rule id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AppealError {
    /// Only a secondary-market participant may appeal.
    #[error("only a secondary-market participant may appeal")]
    NotParticipant,
    /// The decision appealed against does not concern the appellant.
    #[error("the decision does not concern the appellant")]
    NotAffected,
    /// The decision appealed against went in the appellant's favour.
    #[error("the decision is not adverse to the appellant")]
    NotAdverse,
    /// The decision date is in the future.
    #[error("the decision date is in the future")]
    DecisionInFuture,
    /// Filed after the time limit.
    #[error("the time limit for appealing ended on {deadline}")]
    TooLate {
        /// Last day to appeal.
        deadline: NaiveDate,
    },
    /// The official calendar of the year concerned is not published yet.
    #[error("time limit not computable: {0}")]
    Calendar(CalendarError),
    /// Someone other than an approver of the implementing agency decides.
    #[error("only an approver of the implementing agency decides an appeal")]
    NotAgencyApprover,
    /// Someone of the appellant's organisation decides.
    #[error("the appellant cannot decide its own appeal")]
    AppellantDecides,
    /// Only the appellant withdraws.
    #[error("only the appellant withdraws an appeal")]
    NotAppellant,
    /// A dispute must be between a data source unit and the operator.
    #[error("a dispute is between a data source unit and the operator")]
    WrongDisputeParties,
    /// The command is not valid in the appeal's current status.
    #[error("{0}")]
    Transition(InvalidTransition),
    /// The command is not valid in the dispute's current status.
    #[error("{0}")]
    DisputeTransition(InvalidTransition),
}

impl DomainError for AppealError {
    fn code(&self) -> &'static str {
        match self {
            Self::NotParticipant => "appeal.not_participant",
            Self::NotAffected => "appeal.not_affected",
            Self::NotAdverse => "appeal.not_adverse",
            Self::DecisionInFuture => "appeal.decision_in_future",
            Self::TooLate { .. } => "appeal.too_late",
            Self::Calendar(_) => "appeal.calendar_unpublished",
            Self::NotAgencyApprover => "appeal.not_agency_approver",
            Self::AppellantDecides => "appeal.appellant_decides",
            Self::NotAppellant => "appeal.not_appellant",
            Self::WrongDisputeParties => "dispute.wrong_parties",
            Self::Transition(_) => "appeal.invalid_transition",
            Self::DisputeTransition(_) => "dispute.invalid_transition",
        }
    }

    fn message_zh(&self) -> String {
        let r = APPEAL_RULE;
        match self {
            Self::NotParticipant => format!("只有二级市场主体可以向实施机构提出申诉（{r}）"),
            Self::NotAffected => format!("只能对涉及本单位的决定提出申诉（{r}）"),
            Self::NotAdverse => format!("该决定并未对本单位作出不利处理，无需申诉（{r}）"),
            Self::DecisionInFuture => format!("原决定日期不能晚于今日（{r}）"),
            Self::TooLate { deadline } => format!(
                "申诉须在原决定作出后 {APPEAL_FILING_WORKING_DAYS} 个工作日内提出，期限已于 {deadline} 届满（{r}）"
            ),
            Self::Calendar(_) => {
                format!("相应年度的法定节假日安排尚未发布，无法计算申诉期限（{r}）")
            }
            Self::NotAgencyApprover => format!("申诉须由实施机构的审批人作出处理决定（{r}）"),
            Self::AppellantDecides => format!("申诉单位不能处理本单位的申诉（{r}）"),
            Self::NotAppellant => format!("只有申诉单位可以撤回申诉（{r}）"),
            Self::WrongDisputeParties => {
                format!("争议须发生在数源单位与运营机构之间，由一方提出（{DISPUTE_RULE}）")
            }
            Self::Transition(t) => format!("申诉当前状态为“{}”，不能执行该操作（{r}）", t.from_zh),
            Self::DisputeTransition(t) => format!(
                "争议当前状态为“{}”，不能执行该操作（{DISPUTE_RULE}）",
                t.from_zh
            ),
        }
    }
}

/// Last day to appeal a decision taken on `decided_on`; refuses a future
/// decision date or a filing after the limit (S-2.5b).
pub fn check_appeal_in_time(
    calendar: &WorkingDayCalendar,
    decided_on: NaiveDate,
    filed_on: NaiveDate,
    limits: &AppealLimits,
) -> Result<NaiveDate, AppealError> {
    if decided_on > filed_on {
        return Err(AppealError::DecisionInFuture);
    }
    let deadline = due_in_working_days(calendar, decided_on, limits.filing_working_days)
        .map_err(AppealError::Calendar)?;
    if filed_on > deadline {
        return Err(AppealError::TooLate { deadline });
    }
    Ok(deadline)
}

/// Checks that a dispute is raised by one side (a data source unit or the
/// operator) against the other (S-2.5a).
pub fn check_dispute_parties(raised_by: OrgKind, against: OrgKind) -> Result<(), AppealError> {
    match (raised_by, against) {
        (OrgKind::DataSourceUnit, OrgKind::Operator)
        | (OrgKind::Operator, OrgKind::DataSourceUnit) => Ok(()),
        _ => Err(AppealError::WrongDisputeParties),
    }
}

/// Renders a transition table, one `from command to` line per pair.
pub fn transition_table<S: Copy + fmt::Display, C: Copy + fmt::Display, E>(
    statuses: &[S],
    commands: &[C],
    apply: impl Fn(S, C) -> Result<S, E>,
) -> String {
    let mut out = String::new();
    for from in statuses {
        for command in commands {
            let to = apply(*from, *command).map_or_else(|_| "-".to_owned(), |s| s.to_string());
            out.push_str(&format!(
                "{:<12} {:<22} {to}\n",
                from.to_string(),
                command.to_string()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = "\
# appeal
submitted    uphold                 upheld
submitted    overturn               overturned
submitted    withdraw               withdrawn
upheld       uphold                 -
upheld       overturn               -
upheld       withdraw               -
overturned   uphold                 -
overturned   overturn               -
overturned   withdraw               -
withdrawn    uphold                 -
withdrawn    overturn               -
withdrawn    withdraw               -
# dispute
open         commission_assessment  assessing
open         record_assessment      -
open         resolve                resolved
assessing    commission_assessment  -
assessing    record_assessment      assessed
assessing    resolve                -
assessed     commission_assessment  -
assessed     record_assessment      -
assessed     resolve                resolved
resolved     commission_assessment  -
resolved     record_assessment      -
resolved     resolve                -
";

    #[test]
    fn transition_tables_match_the_snapshot() {
        let actual = format!(
            "# appeal\n{}# dispute\n{}",
            transition_table(AppealStatus::ALL, AppealCommand::ALL, AppealStatus::apply),
            transition_table(
                DisputeStatus::ALL,
                DisputeCommand::ALL,
                DisputeStatus::apply
            ),
        );
        assert_eq!(actual, SNAPSHOT, "transition tables changed:\n{actual}");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn appeal_time_limit_counts_working_days() {
        let cal = WorkingDayCalendar::official().unwrap();
        let limits = AppealLimits::default();
        // Decided Monday 2026-03-02; 15 working days end Monday 2026-03-23.
        let deadline = check_appeal_in_time(&cal, d(2026, 3, 2), d(2026, 3, 2), &limits).unwrap();
        assert_eq!(deadline, d(2026, 3, 23));
        assert!(check_appeal_in_time(&cal, d(2026, 3, 2), deadline, &limits).is_ok());
        let late = check_appeal_in_time(&cal, d(2026, 3, 2), d(2026, 3, 24), &limits);
        assert_eq!(late, Err(AppealError::TooLate { deadline }));
        assert!(late.unwrap_err().message_zh().contains("（S-2.5b）"));
        assert_eq!(
            check_appeal_in_time(&cal, d(2026, 3, 3), d(2026, 3, 2), &limits),
            Err(AppealError::DecisionInFuture)
        );
    }

    #[test]
    fn disputes_are_between_a_provider_and_the_operator() {
        assert!(check_dispute_parties(OrgKind::DataSourceUnit, OrgKind::Operator).is_ok());
        assert!(check_dispute_parties(OrgKind::Operator, OrgKind::DataSourceUnit).is_ok());
        let e = check_dispute_parties(OrgKind::Participant, OrgKind::Operator).unwrap_err();
        assert_eq!(e.code(), "dispute.wrong_parties");
        assert!(e.message_zh().contains("（S-2.5a）"));
    }

    #[test]
    fn every_refusal_names_its_rule() {
        let errors = [
            AppealError::NotParticipant,
            AppealError::NotAffected,
            AppealError::NotAdverse,
            AppealError::NotAgencyApprover,
            AppealError::AppellantDecides,
            AppealError::NotAppellant,
            AppealError::Transition(
                AppealStatus::Upheld
                    .apply(AppealCommand::Uphold)
                    .unwrap_err(),
            ),
        ];
        for e in errors {
            assert!(e.message_zh().contains("（S-2.5"), "{e:?}");
        }
    }
}
