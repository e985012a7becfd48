//! Application scenarios (应用场景): planned by the sector regulators, each
//! with a scenario plan of the operator that the regulator of the sector
//! reviews with written feedback, then filed with the county data bureau.
//!
//! Sector regulators plan the scenarios of their sector and their priority,
//! review the operator's scenario plans (data need, compliance measures) and
//! give written feedback (S-6.3). The operator files each scenario plan
//! with the county data bureau before offering products (S-2.1): only a
//! filed scenario is an approved scenario.
//!
//! Lifecycle ([`ScenarioStatus`]):
//!
//! ```text
//! Planned ──submit_plan──► PlanSubmitted ──approve──► Approved ──file──► Filed
//!    │                        │    ▲
//!    │                     return  └──submit_plan── Returned
//!    └──cancel──► Cancelled ◄──cancel── Returned
//! ```
//!
//! Who may fire a command is the policy's question, not this module's.

use crate::DomainError;
use crate::org::{CodeError, OrgKind};
use crate::selection::coded;

/// Longest scenario name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest free text (description, data need, measures, comments).
pub const MAX_TEXT_CHARS: usize = 4_000;

coded! {
    /// Priority of a planned scenario (优先级, S-6.3).
    Priority, "scenario_priority" {
        /// High (高).
        High => ("high", "高"),
        /// Medium (中).
        Medium => ("medium", "中"),
        /// Low (低).
        Low => ("low", "低"),
    }
}

coded! {
    /// Lifecycle status of a scenario (场景状态).
    ScenarioStatus, "scenario_status" {
        /// Planned by the sector regulator, no plan yet (已规划).
        Planned => ("planned", "已规划"),
        /// The operator's plan awaits review (方案待审核).
        PlanSubmitted => ("plan_submitted", "方案待审核"),
        /// The plan was returned with comments (方案已退回).
        Returned => ("returned", "方案已退回"),
        /// The plan was approved by the sector regulator (方案已通过).
        Approved => ("approved", "方案已通过"),
        /// Filed with the county data bureau: an approved scenario (已备案).
        Filed => ("filed", "已备案"),
        /// Withdrawn from the plan (已取消).
        Cancelled => ("cancelled", "已取消"),
    }
}

coded! {
    /// A command on a scenario (场景操作).
    ScenarioCommand, "scenario_command" {
        /// Submit (or resubmit) the operator's plan (提交场景方案).
        SubmitPlan => ("submit_plan", "提交场景方案"),
        /// Approve the plan with written feedback (审核通过).
        Approve => ("approve", "审核通过"),
        /// Return the plan with written comments (退回修改).
        Return => ("return", "退回修改"),
        /// Record the filing with the data bureau (记录备案).
        File => ("file", "记录备案"),
        /// Cancel the planned scenario (取消规划).
        Cancel => ("cancel", "取消规划"),
    }
}

coded! {
    /// Verdict of a plan review (审核结论).
    Verdict, "scenario_verdict" {
        /// Approve (通过).
        Approve => ("approve", "通过"),
        /// Return for changes (退回).
        Return => ("return", "退回"),
    }
}

impl ScenarioStatus {
    /// The status after `command`, or why it is refused in this status.
    pub fn apply(self, command: ScenarioCommand) -> Result<Self, ScenarioError> {
        use ScenarioCommand as C;
        use ScenarioStatus as S;
        Ok(match (self, command) {
            (S::Planned | S::Returned, C::SubmitPlan) => S::PlanSubmitted,
            (S::Cancelled, C::SubmitPlan) => return Err(ScenarioError::NotPlanned),
            (S::PlanSubmitted, C::Approve) => S::Approved,
            (S::PlanSubmitted, C::Return) => S::Returned,
            (S::Approved, C::File) => S::Filed,
            (S::Planned | S::PlanSubmitted | S::Returned, C::File) => {
                return Err(ScenarioError::NotApproved);
            }
            (S::Planned | S::Returned, C::Cancel) => S::Cancelled,
            (from, command) => return Err(ScenarioError::InvalidTransition { from, command }),
        })
    }

    /// Whether this is an approved scenario in the sense of S-2.1.
    pub const fn is_filed(self) -> bool {
        matches!(self, Self::Filed)
    }
}

/// Why a scenario command or input is refused. Each message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The command does not apply in this status.
    #[error("cannot {command} a scenario that is {from}")]
    InvalidTransition {
        /// Current status.
        from: ScenarioStatus,
        /// Refused command.
        command: ScenarioCommand,
    },
    /// A plan for a scenario that is not (or no longer) planned.
    #[error("the scenario is not planned")]
    NotPlanned,
    /// Filing before the sector regulator approved the plan.
    #[error("the scenario plan is not approved")]
    NotApproved,
    /// Only a sector regulator with a sector plans scenarios.
    #[error("a `{kind}` organisation cannot plan scenarios")]
    NotSectorRegulator {
        /// Its kind.
        kind: OrgKind,
    },
    /// Only the operator submits scenario plans.
    #[error("a `{kind}` organisation cannot submit scenario plans")]
    NotOperator {
        /// Its kind.
        kind: OrgKind,
    },
    /// The priority is not high, medium or low.
    #[error("priority `{found}` is unknown")]
    PriorityInvalid {
        /// The rejected text.
        found: String,
    },
    /// The verdict is not approve or return.
    #[error("verdict `{found}` is unknown")]
    VerdictInvalid {
        /// The rejected text.
        found: String,
    },
    /// Written feedback is required.
    #[error("written comments are required")]
    CommentsRequired,
    /// A required text is empty, too long or has control characters.
    #[error("`{field}` is empty or too long")]
    TextInvalid {
        /// JSON field.
        field: &'static str,
    },
}

impl ScenarioError {
    /// The rule (S-…) behind the refusal.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::NotApproved | Self::NotOperator { .. } => "S-2.1",
            _ => "S-6.3",
        }
    }

    /// Whether this is an input error (422) rather than a refusal (409).
    pub const fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::PriorityInvalid { .. }
                | Self::VerdictInvalid { .. }
                | Self::CommentsRequired
                | Self::TextInvalid { .. }
        )
    }

    /// The JSON field an input error is about.
    pub const fn field(&self) -> &'static str {
        match self {
            Self::PriorityInvalid { .. } => "priority",
            Self::VerdictInvalid { .. } => "verdict",
            Self::CommentsRequired => "comments",
            Self::TextInvalid { field } => field,
            _ => "",
        }
    }
}

impl DomainError for ScenarioError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "scenario.invalid_transition",
            Self::NotPlanned => "scenario.not_planned",
            Self::NotApproved => "scenario.not_approved",
            Self::NotSectorRegulator { .. } => "scenario.not_sector_regulator",
            Self::NotOperator { .. } => "scenario.not_operator",
            Self::PriorityInvalid { .. } => "scenario.priority_invalid",
            Self::VerdictInvalid { .. } => "scenario.verdict_invalid",
            Self::CommentsRequired => "scenario.comments_required",
            Self::TextInvalid { .. } => "scenario.text_invalid",
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "应用场景当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::NotPlanned => {
                "场景方案须针对行业主管部门已规划的应用场景，该场景未规划或已取消".to_owned()
            }
            Self::NotApproved => "场景方案须经行业主管部门审核通过后方可报县数据局备案".to_owned(),
            Self::NotSectorRegulator { kind } => format!(
                "应用场景由行业主管部门规划，{}不能规划场景",
                kind.label_zh()
            ),
            Self::NotOperator { kind } => format!(
                "场景方案由运营机构提交，{}不能提交场景方案",
                kind.label_zh()
            ),
            Self::PriorityInvalid { found } => {
                format!("优先级“{found}”无效，应为高、中、低之一")
            }
            Self::VerdictInvalid { found } => {
                format!("审核结论“{found}”无效，应为通过或退回")
            }
            Self::CommentsRequired => "行业主管部门审核场景方案须出具书面意见".to_owned(),
            Self::TextInvalid { field } => format!("“{field}”不能为空且不超过规定长度"),
        };
        format!("{text}（{}）", self.rule())
    }
}

/// Parses a priority.
pub fn parse_priority(raw: &str) -> Result<Priority, ScenarioError> {
    raw.trim()
        .parse()
        .map_err(|_: CodeError| ScenarioError::PriorityInvalid {
            found: raw.to_owned(),
        })
}

/// Parses a verdict.
pub fn parse_verdict(raw: &str) -> Result<Verdict, ScenarioError> {
    raw.trim()
        .parse()
        .map_err(|_: CodeError| ScenarioError::VerdictInvalid {
            found: raw.to_owned(),
        })
}

/// A required text of at most `max` characters.
pub fn text(raw: &str, field: &'static str, max: usize) -> Result<String, ScenarioError> {
    crate::selection::text(raw, field, max).map_err(|_| ScenarioError::TextInvalid { field })
}

/// Written feedback: required for every verdict (S-6.3).
pub fn comments(raw: Option<&str>) -> Result<String, ScenarioError> {
    match raw.map(str::trim) {
        None | Some("") => Err(ScenarioError::CommentsRequired),
        Some(t) => text(t, "comments", MAX_TEXT_CHARS),
    }
}

/// Checks that an organisation of `kind` may plan scenarios (S-6.3).
pub fn check_planner(kind: OrgKind, has_sector: bool) -> Result<(), ScenarioError> {
    if kind == OrgKind::SectorRegulator && has_sector {
        Ok(())
    } else {
        Err(ScenarioError::NotSectorRegulator { kind })
    }
}

/// Checks that an organisation of `kind` may submit plans (S-2.1).
pub fn check_plan_submitter(kind: OrgKind) -> Result<(), ScenarioError> {
    if kind == OrgKind::Operator {
        Ok(())
    } else {
        Err(ScenarioError::NotOperator { kind })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_TABLE: &str = "\
status         | submit_plan          | approve              | return               | file                 | cancel
planned        | plan_submitted       | !invalid_transition  | !invalid_transition  | !not_approved        | cancelled
plan_submitted | !invalid_transition  | approved             | returned             | !not_approved        | !invalid_transition
returned       | plan_submitted       | !invalid_transition  | !invalid_transition  | !not_approved        | cancelled
approved       | !invalid_transition  | !invalid_transition  | !invalid_transition  | filed                | !invalid_transition
filed          | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition
cancelled      | !not_planned         | !invalid_transition  | !invalid_transition  | !invalid_transition  | !invalid_transition
";

    #[test]
    fn transition_table_snapshot() {
        let mut out = format!("{:<14}", "status");
        for c in ScenarioCommand::ALL {
            out.push_str(&format!(" | {:<20}", c.as_str()));
        }
        out = out.trim_end().to_owned();
        out.push('\n');
        for s in ScenarioStatus::ALL {
            let mut line = format!("{:<14}", s.as_str());
            for c in ScenarioCommand::ALL {
                let cell = match s.apply(*c) {
                    Ok(next) => next.as_str().to_owned(),
                    Err(e) => format!("!{}", e.code().trim_start_matches("scenario.")),
                };
                line.push_str(&format!(" | {cell:<20}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
    }

    #[test]
    fn only_filed_scenarios_are_approved_scenarios() {
        let filed: Vec<_> = ScenarioStatus::ALL
            .iter()
            .filter(|s| s.is_filed())
            .collect();
        assert_eq!(filed, vec![&ScenarioStatus::Filed]);
        let e = ScenarioStatus::Approved
            .apply(ScenarioCommand::Approve)
            .unwrap_err();
        assert_eq!(e.code(), "scenario.invalid_transition");
        let e = ScenarioStatus::PlanSubmitted
            .apply(ScenarioCommand::File)
            .unwrap_err();
        assert!(e.message_zh().contains("（S-2.1）"), "{}", e.message_zh());
    }

    #[test]
    fn feedback_is_written_and_inputs_are_checked() {
        assert_eq!(
            comments(Some("  ")).unwrap_err().code(),
            "scenario.comments_required"
        );
        assert!(
            comments(None)
                .unwrap_err()
                .message_zh()
                .contains("（S-6.3）")
        );
        assert_eq!(comments(Some(" 同意 ")).unwrap(), "同意");
        assert_eq!(parse_priority("high").unwrap(), Priority::High);
        assert!(parse_priority("urgent").unwrap_err().is_input_error());
        assert_eq!(parse_verdict("return").unwrap(), Verdict::Return);
        assert!(check_planner(OrgKind::SectorRegulator, true).is_ok());
        assert_eq!(
            check_planner(OrgKind::Operator, false).unwrap_err().code(),
            "scenario.not_sector_regulator"
        );
        assert!(check_plan_submitter(OrgKind::Operator).is_ok());
        assert!(check_plan_submitter(OrgKind::SectorRegulator).is_err());
    }
}
