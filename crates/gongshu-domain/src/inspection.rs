//! Supervision (监督检查, S-3.3.2d) and security incidents (安全事件,
//! S-3.3.4): the county data bureau inspects the operator or a participant
//! at random (a seeded sample of audit records, each verified against the
//! log) or for cause; findings carry a rule id and a rectification
//! deadline the inspected organisation must meet; the bureau closes an
//! inspection only when every finding is rectified, and may reopen it.
//! Security incidents are recorded with a reporting obligation of the
//! organisation concerned; prohibited behaviour (S-3.3.4-1..4) is flagged
//! on an organisation with a reference to the finding that shows it.
//!
//! Lifecycles: inspection `open ⇄ closed`; finding `open → rectified
//! (→ open again when the bureau rejects the rectification)`; incident
//! `recorded → reported → closed`. The tables are pinned by the snapshot
//! test below.

use crate::DomainError;
use crate::appeal::{InvalidTransition, coded_enum};

/// Rule of inspections.
pub const INSPECTION_RULE: &str = "S-3.3.2d";
/// Rule of incidents and prohibited behaviour.
pub const INCIDENT_RULE: &str = "S-3.3.4";

/// Largest sample of a random inspection.
pub const MAX_SAMPLE: u32 = 200;

/// Bounds of a finding's rectification time limit, in working days.
pub const RECTIFICATION_WORKING_DAYS: std::ops::RangeInclusive<u32> = 1..=60;

/// Working days the organisation concerned has to file its report on a
/// security incident (处置情况报告). REQUIREMENTS.md §3 sets 24 hours only
/// for vulnerabilities endangering national security (N16, 网数 Art. 10),
/// which the initial record meets; the follow-up report has no national
/// number, so this is a configurable local default of 5 working days.
pub const INCIDENT_REPORT_WORKING_DAYS: u32 = 5;

coded_enum! {
    /// Kind of inspection (检查方式, S-3.3.2d).
    InspectionKind, "inspection_kind" {
        /// Random spot check (随机抽查): a seeded audit-record sample.
        Random => ("random", "随机抽查"),
        /// For cause (专项检查).
        Targeted => ("targeted", "专项检查"),
    }
}

coded_enum! {
    /// Status of an inspection (检查状态).
    InspectionStatus, "inspection_status" {
        /// Under way (进行中).
        Open => ("open", "进行中"),
        /// Closed (已结束).
        Closed => ("closed", "已结束"),
    }
}

coded_enum! {
    /// A command on an inspection.
    InspectionCommand, "inspection_command" {
        /// Close (结束检查).
        Close => ("close", "结束检查"),
        /// Reopen (重新开启).
        Reopen => ("reopen", "重新开启"),
    }
}

impl InspectionStatus {
    /// The one transition function of an inspection.
    pub fn apply(self, command: InspectionCommand) -> Result<Self, InvalidTransition> {
        use InspectionCommand as C;
        use InspectionStatus as S;
        match (self, command) {
            (S::Open, C::Close) => Ok(S::Closed),
            (S::Closed, C::Reopen) => Ok(S::Open),
            (from, command) => Err(InvalidTransition {
                from: from.as_str(),
                from_zh: from.label_zh(),
                command: command.as_str(),
            }),
        }
    }
}

coded_enum! {
    /// Severity of a finding (问题等级).
    FindingSeverity, "finding_severity" {
        /// Minor (一般).
        Minor => ("minor", "一般"),
        /// Major (较重).
        Major => ("major", "较重"),
        /// Serious (严重).
        Serious => ("serious", "严重"),
    }
}

coded_enum! {
    /// Status of a finding (问题整改状态).
    FindingStatus, "finding_status" {
        /// To be rectified (待整改).
        Open => ("open", "待整改"),
        /// Rectification recorded (已整改).
        Rectified => ("rectified", "已整改"),
    }
}

coded_enum! {
    /// A command on a finding.
    FindingCommand, "finding_command" {
        /// The inspected organisation records its rectification (整改).
        Rectify => ("rectify", "登记整改"),
        /// The bureau rejects the rectification (退回整改).
        Reopen => ("reopen", "退回整改"),
    }
}

impl FindingStatus {
    /// The one transition function of a finding.
    pub fn apply(self, command: FindingCommand) -> Result<Self, InvalidTransition> {
        use FindingCommand as C;
        use FindingStatus as S;
        match (self, command) {
            (S::Open, C::Rectify) => Ok(S::Rectified),
            (S::Rectified, C::Reopen) => Ok(S::Open),
            (from, command) => Err(InvalidTransition {
                from: from.as_str(),
                from_zh: from.label_zh(),
                command: command.as_str(),
            }),
        }
    }
}

coded_enum! {
    /// Category of a security incident (安全事件类别).
    IncidentCategory, "incident_category" {
        /// Data leak (数据泄露).
        DataLeak => ("data_leak", "数据泄露"),
        /// Tampering (数据篡改).
        Tampering => ("tampering", "数据篡改"),
        /// Destruction or loss (数据毁损、丢失).
        Loss => ("loss", "数据毁损、丢失"),
        /// Unauthorized access (未授权访问).
        UnauthorizedAccess => ("unauthorized_access", "未授权访问"),
        /// Attack or malware (网络攻击、恶意程序).
        Attack => ("attack", "网络攻击"),
        /// Other (其他).
        Other => ("other", "其他"),
    }
}

coded_enum! {
    /// Severity of a security incident (事件级别).
    IncidentSeverity, "incident_severity" {
        /// General (一般).
        General => ("general", "一般"),
        /// Major (较大).
        Major => ("major", "较大"),
        /// Serious (重大).
        Serious => ("serious", "重大"),
        /// Especially serious (特别重大).
        Critical => ("critical", "特别重大"),
    }
}

coded_enum! {
    /// Status of a security incident (事件状态).
    IncidentStatus, "incident_status" {
        /// Recorded, report pending (已登记).
        Recorded => ("recorded", "已登记待报告"),
        /// Report filed by the organisation concerned (已报告).
        Reported => ("reported", "已报告"),
        /// Closed by the bureau (已结案).
        Closed => ("closed", "已结案"),
    }
}

coded_enum! {
    /// A command on a security incident.
    IncidentCommand, "incident_command" {
        /// The organisation concerned files its report (报告处置情况).
        FileReport => ("file_report", "报告处置情况"),
        /// The bureau closes (结案).
        Close => ("close", "结案"),
    }
}

impl IncidentStatus {
    /// The one transition function of an incident.
    pub fn apply(self, command: IncidentCommand) -> Result<Self, InvalidTransition> {
        use IncidentCommand as C;
        use IncidentStatus as S;
        match (self, command) {
            (S::Recorded, C::FileReport) => Ok(S::Reported),
            (S::Reported, C::Close) => Ok(S::Closed),
            (from, command) => Err(InvalidTransition {
                from: from.as_str(),
                from_zh: from.label_zh(),
                command: command.as_str(),
            }),
        }
    }
}

coded_enum! {
    /// Prohibited behaviour of the operator (禁止行为, S-3.3.4-1..4).
    ProhibitedBehaviour, "prohibited_behaviour" {
        /// Leak, theft, tampering, loss, misuse or sub-licensing (S-3.3.4-1).
        Misuse => ("misuse", "泄露、窃取、篡改、毁损、丢失、不当利用或向第三方提供公共数据"),
        /// Raw-data export, reversal or trading (S-3.3.4-2).
        RawDataExport => ("raw_data_export", "导出、还原或交易原始数据"),
        /// Outside the approved scope or scenarios (S-3.3.4-3).
        OutsideScope => ("outside_scope", "超出授权范围或在未经同意的场景使用"),
        /// Abuse of dominance (S-3.3.4-4).
        AbuseOfDominance => ("abuse_of_dominance", "滥用市场支配地位、形成垄断"),
    }
}

impl ProhibitedBehaviour {
    /// The rule id of the seed.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::Misuse => "S-3.3.4-1",
            Self::RawDataExport => "S-3.3.4-2",
            Self::OutsideScope => "S-3.3.4-3",
            Self::AbuseOfDominance => "S-3.3.4-4",
        }
    }
}

/// Every rule id of the seed (REQUIREMENTS.md Part A) a finding may cite.
pub const SEED_RULE_IDS: &[&str] = &[
    "S-2.1",
    "S-2.2a",
    "S-2.2b",
    "S-2.3",
    "S-2.4",
    "S-2.5a",
    "S-2.5b",
    "S-3.1",
    "S-3.2.1",
    "S-3.2.2",
    "S-3.3.1",
    "S-3.3.2a",
    "S-3.3.2b",
    "S-3.3.2c",
    "S-3.3.2d",
    "S-3.3.3a",
    "S-3.3.3b",
    "S-3.3.3c",
    "S-3.3.4-1",
    "S-3.3.4-2",
    "S-3.3.4-3",
    "S-3.3.4-4",
    "S-3.3.5",
    "S-4a",
    "S-4b",
    "S-4c",
    "S-5.1",
    "S-5.2",
    "S-5.3",
    "S-5.4",
    "S-6.1",
    "S-6.2-3",
    "S-6.2-4",
    "S-6.2-6",
    "S-6.3",
    "S-6.4",
    "S-6.6",
    "S-7.1",
    "S-7.2-1",
    "S-7.2-2",
    "S-7.2-3",
    "S-8",
];

/// Why a supervision command was refused. Messages carry the rule id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InspectionError {
    /// Closing with findings not rectified.
    #[error("{open} finding(s) are not rectified")]
    UnrectifiedFindings {
        /// How many.
        open: usize,
    },
    /// Only the inspected organisation records a rectification.
    #[error("only the inspected organisation rectifies")]
    NotInspectedOrg,
    /// Only the operator or a participant is inspected.
    #[error("only the operator or a participant is inspected")]
    NotInspectable,
    /// Findings are added to open inspections only.
    #[error("the inspection is closed")]
    InspectionClosed,
    /// The rule id cited is not a rule of the seed.
    #[error("unknown rule `{0}`")]
    UnknownRule(String),
    /// Only the organisation concerned (or the bureau) reports on an incident.
    #[error("only the organisation concerned reports")]
    NotConcerned,
    /// The incident was discovered in the future.
    #[error("the discovery time is in the future")]
    DiscoveredInFuture,
    /// The command is not valid in the current status.
    #[error("{0}")]
    Transition(InvalidTransition),
}

impl DomainError for InspectionError {
    fn code(&self) -> &'static str {
        match self {
            Self::UnrectifiedFindings { .. } => "inspection.unrectified_findings",
            Self::NotInspectedOrg => "inspection.not_inspected_org",
            Self::NotInspectable => "inspection.not_inspectable",
            Self::InspectionClosed => "inspection.closed",
            Self::UnknownRule(_) => "inspection.unknown_rule",
            Self::NotConcerned => "incident.not_concerned",
            Self::DiscoveredInFuture => "incident.discovered_in_future",
            Self::Transition(_) => "inspection.invalid_transition",
        }
    }

    fn message_zh(&self) -> String {
        let r = INSPECTION_RULE;
        match self {
            Self::UnrectifiedFindings { open } => {
                format!("尚有 {open} 个问题未整改，不能结束检查（{r}）")
            }
            Self::NotInspectedOrg => format!("只有被检查单位可以登记整改情况（{r}）"),
            Self::NotInspectable => format!("监督检查的对象须为运营机构或二级市场主体（{r}）"),
            Self::InspectionClosed => format!("检查已结束，须重新开启后方可登记问题（{r}）"),
            Self::UnknownRule(found) => format!("“{found}”不是授权运营方案的规则编号（{r}）"),
            Self::NotConcerned => {
                format!("只有事件涉及单位可以报告处置情况（{INCIDENT_RULE}）")
            }
            Self::DiscoveredInFuture => format!("发现时间不能晚于当前时间（{INCIDENT_RULE}）"),
            Self::Transition(t) => format!("当前状态为“{}”，不能执行该操作（{r}）", t.from_zh),
        }
    }
}

/// Checks that an inspection may close: every finding rectified.
pub fn check_close(open_findings: usize) -> Result<(), InspectionError> {
    if open_findings > 0 {
        return Err(InspectionError::UnrectifiedFindings {
            open: open_findings,
        });
    }
    Ok(())
}

/// Parses the rule id a finding cites.
pub fn parse_rule_id(raw: &str) -> Result<&'static str, InspectionError> {
    let raw = raw.trim();
    SEED_RULE_IDS
        .iter()
        .find(|id| **id == raw)
        .copied()
        .ok_or_else(|| InspectionError::UnknownRule(raw.chars().take(32).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appeal::transition_table;

    const SNAPSHOT: &str = "\
# inspection
open         close                  closed
open         reopen                 -
closed       close                  -
closed       reopen                 open
# finding
open         rectify                rectified
open         reopen                 -
rectified    rectify                -
rectified    reopen                 open
# incident
recorded     file_report            reported
recorded     close                  -
reported     file_report            -
reported     close                  closed
closed       file_report            -
closed       close                  -
";

    #[test]
    fn transition_tables_match_the_snapshot() {
        let actual = format!(
            "# inspection\n{}# finding\n{}# incident\n{}",
            transition_table(
                InspectionStatus::ALL,
                InspectionCommand::ALL,
                InspectionStatus::apply
            ),
            transition_table(
                FindingStatus::ALL,
                FindingCommand::ALL,
                FindingStatus::apply
            ),
            transition_table(
                IncidentStatus::ALL,
                IncidentCommand::ALL,
                IncidentStatus::apply
            ),
        );
        assert_eq!(actual, SNAPSHOT, "transition tables changed:\n{actual}");
    }

    #[test]
    fn closing_needs_every_finding_rectified() {
        assert!(check_close(0).is_ok());
        let e = check_close(2).unwrap_err();
        assert_eq!(e.code(), "inspection.unrectified_findings");
        assert!(e.message_zh().contains("（S-3.3.2d）"));
    }

    #[test]
    fn findings_cite_rules_of_the_seed() {
        assert_eq!(parse_rule_id(" S-3.3.4-2 "), Ok("S-3.3.4-2"));
        assert!(matches!(
            parse_rule_id("S-9.9"),
            Err(InspectionError::UnknownRule(_))
        ));
        for b in ProhibitedBehaviour::ALL {
            assert!(SEED_RULE_IDS.contains(&b.rule()));
        }
    }
}
