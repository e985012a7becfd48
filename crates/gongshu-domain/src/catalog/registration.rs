//! Registration (登记) of a catalog resource, REQUIREMENTS.md §4.6 and the
//! time limits of §3.1 N3-N9 (`[登记]` Art. 10-15):
//!
//! ```text
//! unregistered | rejected ──submit──► submitted ──accept (≤3 工作日)──► accepted
//!   ──review (≤20 工作日)──► reviewed ──notice──► in_notice (10 工作日)
//!   ──register (after the notice, 赋码)──► registered (valid 3 years)
//!   ──renew (within 60 日 before expiry)──► renewal_requested ──accept (≤3 工作日)──► registered (+3 years)
//! submitted | accepted | reviewed | in_notice ──reject (reason)──► rejected
//! renewal_requested ──reject (reason)──► registered (unchanged validity)
//! ```
//!
//! The registration authority (登记机构) that accepts, reviews, publishes
//! and registers is the data bureau: under `[规范]` Art. 16 the implementing
//! agency is itself a registrant (登记主体) of resources, so it cannot be
//! the body that registers them.

use chrono::{Days, Months, NaiveDate};

use crate::DomainError;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::classification::code_enum;
use crate::deadline::due_in_working_days;

/// Working days to accept an application (N3, `[登记]` Art. 10).
pub const ACCEPT_WORKING_DAYS: u32 = 3;
/// Working days of the formal review after acceptance (N4, Art. 11).
pub const REVIEW_WORKING_DAYS: u32 = 20;
/// Working days of the public notice (N5, Art. 12).
pub const NOTICE_WORKING_DAYS: u32 = 10;
/// Validity of a registration, in months (N8, Art. 15: 3 years).
pub const VALIDITY_MONTHS: u32 = 36;
/// Calendar days before expiry from which renewal may be applied for (N9).
pub const RENEWAL_WINDOW_DAYS: i64 = 60;

code_enum! {
    /// Registration status (登记状态).
    RegistrationStatus, "registration_status" {
        /// Not applied for (未申请登记).
        Unregistered => ("unregistered", "未申请登记"),
        /// Applied for (已提交).
        Submitted => ("submitted", "已提交登记申请"),
        /// Accepted (已受理).
        Accepted => ("accepted", "已受理"),
        /// Formal review passed (形式审核通过).
        Reviewed => ("reviewed", "形式审核通过"),
        /// In the public notice (公示中).
        InNotice => ("in_notice", "公示中"),
        /// Registered, result code issued (已登记).
        Registered => ("registered", "已登记"),
        /// Renewal applied for (续展申请中); still registered until expiry.
        RenewalRequested => ("renewal_requested", "续展申请中"),
        /// Rejected with reasons (不予登记).
        Rejected => ("rejected", "不予登记"),
    }
}

code_enum! {
    /// Registration command (登记操作).
    RegistrationCommand, "registration_command" {
        /// 提交登记申请.
        Submit => ("submit", "提交登记申请"),
        /// 受理.
        Accept => ("accept", "受理"),
        /// 形式审核通过.
        Review => ("review", "形式审核"),
        /// 开始公示.
        Notice => ("notice", "公示"),
        /// 赋码登记.
        Register => ("register", "赋码登记"),
        /// 不予登记 / 驳回.
        Reject => ("reject", "驳回"),
        /// 申请续展.
        Renew => ("renew", "申请续展"),
    }
}

impl RegistrationStatus {
    /// The status after `command`, or why it does not apply here.
    pub fn apply(self, command: RegistrationCommand) -> Result<Self, RegistrationError> {
        use RegistrationCommand as C;
        use RegistrationStatus as S;
        Ok(match (self, command) {
            (S::Unregistered | S::Rejected, C::Submit) => S::Submitted,
            (S::Submitted, C::Accept) => S::Accepted,
            (S::Accepted, C::Review) => S::Reviewed,
            (S::Reviewed, C::Notice) => S::InNotice,
            (S::InNotice, C::Register) => S::Registered,
            (S::Submitted | S::Accepted | S::Reviewed | S::InNotice, C::Reject) => S::Rejected,
            (S::Registered, C::Renew) => S::RenewalRequested,
            (S::RenewalRequested, C::Accept | C::Reject) => S::Registered,
            (from, command) => return Err(RegistrationError::InvalidTransition { from, command }),
        })
    }

    /// Whether the catalog entry may be edited: not while the registration
    /// authority is examining it.
    pub const fn is_editable(self) -> bool {
        matches!(self, Self::Unregistered | Self::Rejected | Self::Registered)
    }
}

/// Why a registration command is refused; every message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// The command does not apply in this status.
    #[error("cannot {command} a registration that is {from}")]
    InvalidTransition {
        /// Current status.
        from: RegistrationStatus,
        /// Refused command.
        command: RegistrationCommand,
    },
    /// Registration before the notice period ended (N5/N6).
    #[error("the public notice runs until {notice_end}")]
    NoticeNotEnded {
        /// Last day of the notice.
        notice_end: NaiveDate,
    },
    /// Renewal before the window opens (N9).
    #[error("renewal opens on {opens_on}")]
    RenewalTooEarly {
        /// First day of the window.
        opens_on: NaiveDate,
        /// Last day of validity.
        valid_until: NaiveDate,
    },
    /// Renewal after expiry (N9).
    #[error("the registration expired on {valid_until}")]
    RenewalTooLate {
        /// Last day of validity.
        valid_until: NaiveDate,
    },
    /// A date needed a holiday schedule that is not published.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
}

impl RegistrationError {
    /// The rule behind the refusal.
    pub const fn rule(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "REQUIREMENTS §4.6",
            Self::NoticeNotEnded { .. } => "REQUIREMENTS §3.1 N5/N6，《登记办法》第 12-13 条",
            Self::RenewalTooEarly { .. } | Self::RenewalTooLate { .. } => {
                "REQUIREMENTS §3.1 N9，《登记办法》第 15 条"
            }
            Self::Calendar(_) => "REQUIREMENTS §11",
        }
    }
}

impl DomainError for RegistrationError {
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidTransition { .. } => "registration.invalid_transition",
            Self::NoticeNotEnded { .. } => "registration.notice_not_ended",
            Self::RenewalTooEarly { .. } => "registration.renewal_too_early",
            Self::RenewalTooLate { .. } => "registration.renewal_too_late",
            Self::Calendar(e) => e.code(),
        }
    }

    fn message_zh(&self) -> String {
        let text = match self {
            Self::InvalidTransition { from, command } => format!(
                "登记当前状态为“{}”，不能{}",
                from.label_zh(),
                command.label_zh()
            ),
            Self::NoticeNotEnded { notice_end } => {
                format!("公示期 10 个工作日至 {notice_end} 届满，期满无异议后方可赋码登记")
            }
            Self::RenewalTooEarly {
                opens_on,
                valid_until,
            } => format!(
                "登记有效期至 {valid_until}，续展须在期满前 60 日内申请，{opens_on} 起方可申请"
            ),
            Self::RenewalTooLate { valid_until } => {
                format!("登记已于 {valid_until} 期满，不能续展，须重新申请登记")
            }
            Self::Calendar(e) => e.message_zh(),
        };
        format!("{text}（{}）", self.rule())
    }
}

/// The registration state of one resource, with the dates of each step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registration {
    /// Status.
    pub status: Option<RegistrationStatus>,
    /// Application (or renewal application) date; the acceptance clock starts here.
    pub submitted_on: Option<NaiveDate>,
    /// Acceptance date; the review clock starts here.
    pub accepted_on: Option<NaiveDate>,
    /// Formal review date.
    pub reviewed_on: Option<NaiveDate>,
    /// First day of the public notice (the day it is published).
    pub notice_start: Option<NaiveDate>,
    /// Last day of the public notice; `None` while that year's calendar is unpublished.
    pub notice_end: Option<NaiveDate>,
    /// Date the result code was issued.
    pub registered_on: Option<NaiveDate>,
    /// Last day of validity.
    pub valid_until: Option<NaiveDate>,
}

/// Last day of a validity of 3 years starting on `from` (N8).
pub fn validity_end(from: NaiveDate) -> Option<NaiveDate> {
    from.checked_add_months(Months::new(VALIDITY_MONTHS))?
        .checked_sub_days(Days::new(1))
}

/// First day a renewal may be applied for (N9: 60 days before expiry).
pub fn renewal_opens_on(valid_until: NaiveDate) -> Option<NaiveDate> {
    valid_until.checked_sub_days(Days::new(RENEWAL_WINDOW_DAYS.unsigned_abs()))
}

impl Registration {
    /// Current status (`unregistered` when never applied for).
    pub fn current(&self) -> RegistrationStatus {
        self.status.unwrap_or(RegistrationStatus::Unregistered)
    }

    fn step(&mut self, command: RegistrationCommand) -> Result<(), RegistrationError> {
        self.status = Some(self.current().apply(command)?);
        Ok(())
    }

    /// 提交: the clock restarts on every (re)submission (N3).
    pub fn submit(&mut self, today: NaiveDate) -> Result<(), RegistrationError> {
        self.step(RegistrationCommand::Submit)?;
        *self = Self {
            status: self.status,
            submitted_on: Some(today),
            ..Self::default()
        };
        Ok(())
    }

    /// 受理 (or accepting a renewal, which extends the validity by 3 years
    /// counted from the day after expiry, N9).
    pub fn accept(&mut self, today: NaiveDate) -> Result<(), RegistrationError> {
        let renewal = self.current() == RegistrationStatus::RenewalRequested;
        self.step(RegistrationCommand::Accept)?;
        if renewal {
            let from = self.valid_until.and_then(|d| d.succ_opt());
            self.valid_until = from.and_then(validity_end);
        } else {
            self.accepted_on = Some(today);
        }
        Ok(())
    }

    /// 形式审核通过.
    pub fn review(&mut self, today: NaiveDate) -> Result<(), RegistrationError> {
        self.step(RegistrationCommand::Review)?;
        self.reviewed_on = Some(today);
        Ok(())
    }

    /// 公示: starts today, runs 10 working days (N5). When the end falls in
    /// an unpublished year it stays open and is computed at registration.
    pub fn notice(
        &mut self,
        today: NaiveDate,
        cal: &WorkingDayCalendar,
    ) -> Result<(), RegistrationError> {
        self.step(RegistrationCommand::Notice)?;
        self.notice_start = Some(today);
        self.notice_end = notice_end(cal, today).ok();
        Ok(())
    }

    /// 赋码登记 after the notice ended (N6); valid 3 years from today (N8).
    pub fn register(
        &mut self,
        today: NaiveDate,
        cal: &WorkingDayCalendar,
    ) -> Result<(), RegistrationError> {
        let end = match (self.notice_end, self.notice_start) {
            (Some(e), _) => e,
            (None, Some(s)) => notice_end(cal, s)?,
            (None, None) => today,
        };
        if self.current() == RegistrationStatus::InNotice && today <= end {
            return Err(RegistrationError::NoticeNotEnded { notice_end: end });
        }
        self.step(RegistrationCommand::Register)?;
        self.notice_end = Some(end);
        self.registered_on = Some(today);
        self.valid_until = validity_end(today);
        Ok(())
    }

    /// 驳回 with reasons (the app records them).
    pub fn reject(&mut self) -> Result<(), RegistrationError> {
        self.step(RegistrationCommand::Reject)
    }

    /// 申请续展: only within the 60 days before expiry (N9).
    pub fn renew(&mut self, today: NaiveDate) -> Result<(), RegistrationError> {
        self.current().apply(RegistrationCommand::Renew)?;
        let valid_until = self
            .valid_until
            .ok_or(RegistrationError::InvalidTransition {
                from: self.current(),
                command: RegistrationCommand::Renew,
            })?;
        if today > valid_until {
            return Err(RegistrationError::RenewalTooLate { valid_until });
        }
        let opens_on = renewal_opens_on(valid_until).unwrap_or(valid_until);
        if today < opens_on {
            return Err(RegistrationError::RenewalTooEarly {
                opens_on,
                valid_until,
            });
        }
        self.step(RegistrationCommand::Renew)?;
        self.submitted_on = Some(today);
        Ok(())
    }

    /// The step the registration authority owes now, if any.
    pub fn pending_step(&self) -> Option<PendingStep> {
        let (kind, title_zh, rule, started_on, working_days) = match self.current() {
            RegistrationStatus::Submitted => (
                "registration.accept",
                "受理资源登记申请",
                "N3",
                self.submitted_on?,
                ACCEPT_WORKING_DAYS,
            ),
            RegistrationStatus::RenewalRequested => (
                "registration.accept_renewal",
                "受理登记续展申请",
                "N3/N9",
                self.submitted_on?,
                ACCEPT_WORKING_DAYS,
            ),
            // The formal review ends with the decision to publish the notice.
            RegistrationStatus::Accepted | RegistrationStatus::Reviewed => (
                "registration.review",
                "资源登记形式审核并公示",
                "N4",
                self.accepted_on?,
                REVIEW_WORKING_DAYS,
            ),
            // 赋码 on the first working day after the notice's last day
            // (N6); counting from its first day would be one day late, as
            // the publication day is itself a day of the notice.
            RegistrationStatus::InNotice => (
                "registration.register",
                "公示期满赋码登记",
                "N5/N6",
                self.notice_end?,
                1,
            ),
            _ => return None,
        };
        Some(PendingStep {
            kind,
            title_zh,
            rule,
            started_on,
            working_days,
        })
    }
}

/// Last day of a notice published on `start` (N5).
pub fn notice_end(cal: &WorkingDayCalendar, start: NaiveDate) -> Result<NaiveDate, CalendarError> {
    // The publication day counts as the first day of the notice.
    let before = start.pred_opt().ok_or(CalendarError::OutOfRange)?;
    due_in_working_days(cal, before, NOTICE_WORKING_DAYS)
}

/// A step the registration authority owes, with its time limit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingStep {
    /// Stable obligation code.
    pub kind: &'static str,
    /// Chinese title.
    pub title_zh: &'static str,
    /// Row of REQUIREMENTS §3.1.
    pub rule: &'static str,
    /// Trigger day (not counted).
    pub started_on: NaiveDate,
    /// Working days allowed.
    pub working_days: u32,
}

impl PendingStep {
    /// The due date, or the unpublished year that prevents computing it.
    pub fn due_on(&self, cal: &WorkingDayCalendar) -> Result<NaiveDate, CalendarError> {
        due_in_working_days(cal, self.started_on, self.working_days)
    }
}
