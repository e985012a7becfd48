//! Termination of the authorization (终止, S-3.3.5).
//!
//! The implementing agency proposes to terminate the agreement in force for
//! one of the five triggers of S-3.3.5, with reasons; an approver of the
//! agency other than the proposer decides. An approved termination takes
//! effect at once: the agreement is terminated and the operator's access
//! (and that of every participant whose grants derive from the
//! authorization) is revoked in the same transaction; a destruction record
//! is kept per dataset of the data scope; the termination is filed with the
//! city data bureau within 10 working days.
//!
//! Destruction: raw data and copies are destroyed by crypto-shredding their
//! keys in the key vault, which does not exist yet. The records are created
//! with status [`DestructionStatus::KeysPendingVault`]: NOTHING has been
//! destroyed when a termination takes effect, and nothing here claims so.
//!
//! Logs: network and session logs are kept ≥ 6 months after termination
//! by the ledger's retention classes (`RetentionClass::Network` ≥ 6 months,
//! governance and data access ≥ 5 years; floors cannot be lowered), so a
//! termination deletes no log.
//!
//! ```text
//! Proposed ──approve──► Effective ──file──► Filed
//!     └──────reject───► Rejected
//! ```

use chrono::NaiveDate;

use crate::DomainError;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::evaluation::codes;

/// Working days after the termination within which it is filed with the
/// city (S-3.3.5).
pub const FILING_WORKING_DAYS: u32 = 10;
/// Longest reasons text, in characters.
pub const MAX_REASONS_CHARS: usize = 5_000;
/// Where the post-termination log retention is guaranteed (S-3.3.5).
pub const LOG_RETENTION_NOTE: &str = "网络和会话日志按审计账本保留类别 network 保存不少于 6 个月，治理与数据访问记录保存不少于 5 年（RetentionClass 下限不可调低）；终止不删除任何日志";

codes!(
    /// Termination trigger of S-3.3.5 (终止情形).
    Trigger {
        /// (1) 法律法规或政策调整.
        LawOrPolicyChange => "law_or_policy_change", "法律法规或政策调整";
        /// (2) 运营机构未按协议运营.
        NotOperatingAsAgreed => "not_operating_as_agreed", "运营机构未按协议约定运营";
        /// (3) 发生数据安全事件或数据泄露.
        SecurityIncident => "security_incident", "发生数据安全事件或数据泄露";
        /// (4) 发现问题未按要求整改.
        FindingsNotRectified => "findings_not_rectified", "发现问题未按要求整改";
        /// (5) 其他违法违规情形.
        OtherViolation => "other_violation", "其他违法违规情形";
    }
);

codes!(
    /// Status of a termination (终止状态).
    TerminationStatus {
        /// Proposed, awaiting the decision (已提议).
        Proposed => "proposed", "已提议";
        /// Not approved (未批准).
        Rejected => "rejected", "未批准";
        /// Approved and in effect; filing due (已生效).
        Effective => "effective", "已生效";
        /// Filed with the city data bureau (已备案).
        Filed => "filed", "已备案";
    }
);

codes!(
    /// Command on a termination.
    TerminationCommand {
        /// An approver approves: the termination takes effect.
        Approve => "approve", "批准终止";
        /// An approver rejects.
        Reject => "reject", "不批准终止";
        /// The filing with the city is recorded.
        File => "file", "记录报市备案";
    }
);

codes!(
    /// Status of the destruction of one dataset's raw data and copies.
    DestructionStatus {
        /// Access revoked; the keys wait for the vault to crypto-shred
        /// them. Nothing is destroyed yet.
        KeysPendingVault => "keys_pending_vault", "访问已撤销，待密钥保管库销毁密钥（尚未销毁）";
    }
);

impl TerminationStatus {
    /// The status after `command`.
    pub fn apply(self, command: TerminationCommand) -> Result<Self, TerminationError> {
        use TerminationCommand as C;
        use TerminationStatus as S;
        Ok(match (self, command) {
            (S::Proposed, C::Approve) => S::Effective,
            (S::Proposed, C::Reject) => S::Rejected,
            (S::Effective, C::File) => S::Filed,
            (from, command) => return Err(TerminationError::InvalidTransition { from, command }),
        })
    }
}

/// Filing due date of a termination decided on `decided_on` (S-3.3.5).
pub fn filing_due_on(
    calendar: &WorkingDayCalendar,
    decided_on: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    due_in_working_days(calendar, decided_on, FILING_WORKING_DAYS)
}

/// Checks a required text (reasons, receipt).
pub fn text(raw: &str, field: &'static str, max: usize) -> Result<String, TerminationError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(TerminationError::TextInvalid { field });
    }
    Ok(t.to_owned())
}

/// Why a termination command or input is refused (S-3.3.5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TerminationError {
    /// The command does not apply in this status.
    #[error("cannot {} a termination that is {}", command.as_str(), from.as_str())]
    InvalidTransition {
        /// Current status.
        from: TerminationStatus,
        /// Refused command.
        command: TerminationCommand,
    },
    /// Unknown trigger.
    #[error("trigger `{found}` is not one of S-3.3.5")]
    TriggerUnknown {
        /// The code sent.
        found: String,
    },
    /// Only an agreement in force can be terminated.
    #[error("agreement `{agreement_id}` is {status}, not in force")]
    AgreementNotActive {
        /// The agreement.
        agreement_id: String,
        /// Its status (Chinese label).
        status: String,
    },
    /// A termination of the agreement is already proposed or in effect.
    #[error("termination `{termination_id}` already exists")]
    AlreadyProposed {
        /// The existing termination.
        termination_id: String,
    },
    /// A required text is empty or too long.
    #[error("`{field}` is empty or too long")]
    TextInvalid {
        /// The field.
        field: &'static str,
    },
    /// A recorded date lies in the future or before the decision.
    #[error("`{field}` {date} is not between {earliest} and today")]
    DateInvalid {
        /// The field.
        field: &'static str,
        /// The date.
        date: NaiveDate,
        /// Earliest allowed.
        earliest: NaiveDate,
    },
    /// A deadline needed an unpublished holiday schedule.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl TerminationError {
    /// Whether this is an input error (422) rather than a refusal (409).
    pub const fn is_input_error(&self) -> bool {
        matches!(
            self,
            Self::TriggerUnknown { .. } | Self::TextInvalid { .. } | Self::DateInvalid { .. }
        )
    }

    /// The input field concerned.
    pub fn field(&self) -> &'static str {
        match self {
            Self::TriggerUnknown { .. } => "trigger",
            Self::TextInvalid { field } | Self::DateInvalid { field, .. } => field,
            _ => "termination",
        }
    }
}

impl DomainError for TerminationError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "termination.invalid_transition",
            Self::TriggerUnknown { .. } => "termination.trigger_unknown",
            Self::AgreementNotActive { .. } => "termination.agreement_not_active",
            Self::AlreadyProposed { .. } => "termination.already_proposed",
            Self::TextInvalid { .. } => "termination.text_invalid",
            Self::DateInvalid { .. } => "termination.date_invalid",
            Self::Calendar(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "终止事项当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::TriggerUnknown { found } => format!(
                "终止情形“{found}”不在法定五种情形之内（法律政策调整、未按协议运营、数据安全事件、问题未整改、其他违法违规）"
            ),
            Self::AgreementNotActive {
                agreement_id,
                status,
            } => format!("协议 {agreement_id} 当前状态为“{status}”，不在有效期内，不能终止"),
            Self::AlreadyProposed { termination_id } => {
                format!("该协议已有终止事项 {termination_id}，不能重复提议")
            }
            Self::TextInvalid { field } => format!("“{field}”不能为空且不超过规定长度"),
            Self::DateInvalid {
                field,
                date,
                earliest,
            } => format!("“{field}”日期 {date} 须不早于 {earliest} 且不晚于今日"),
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（S-3.3.5）")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPECTED_TABLE: &str = "\
status    | approve   | reject    | file
proposed  | effective | rejected  | !invalid_transition
rejected  | !invalid_transition | !invalid_transition | !invalid_transition
effective | !invalid_transition | !invalid_transition | filed
filed     | !invalid_transition | !invalid_transition | !invalid_transition
";

    #[test]
    fn termination_transition_table_snapshot() {
        let mut out = format!("{:<9}", "status");
        for c in TerminationCommand::ALL {
            out.push_str(&format!(" | {:<9}", c.as_str()));
        }
        out = out.trim_end().to_owned();
        out.push('\n');
        for s in TerminationStatus::ALL {
            let mut line = format!("{:<9}", s.as_str());
            for c in TerminationCommand::ALL {
                let cell = match s.apply(*c) {
                    Ok(next) => next.as_str().to_owned(),
                    Err(e) => format!("!{}", e.code().trim_start_matches("termination.")),
                };
                line.push_str(&format!(" | {cell:<9}"));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        assert_eq!(out, EXPECTED_TABLE, "actual table:\n{out}");
    }

    #[test]
    fn five_triggers_and_the_filing_deadline_in_working_days() {
        assert_eq!(Trigger::ALL.len(), 5);
        assert_eq!(
            Trigger::parse("security_incident"),
            Some(Trigger::SecurityIncident)
        );
        assert_eq!(Trigger::parse("bored"), None);
        let cal = WorkingDayCalendar::official().unwrap();
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        // Decided Thursday 2026-04-30: 05-01..05-05 off, 05-09 a make-up
        // Saturday; 10 working days end on Monday 2026-05-18.
        assert_eq!(filing_due_on(&cal, d(4, 30)).unwrap(), d(5, 18));
        let e = TerminationError::AgreementNotActive {
            agreement_id: "a".into(),
            status: "已到期".into(),
        };
        assert_eq!(e.code(), "termination.agreement_not_active");
        assert!(e.message_zh().contains("（S-3.3.5）"));
        assert!(
            DestructionStatus::KeysPendingVault
                .label_zh()
                .contains("尚未销毁")
        );
    }
}
