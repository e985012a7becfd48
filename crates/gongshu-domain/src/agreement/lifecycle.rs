//! The agreement's state and the rules on it: opinions, decision, signing,
//! filing, renewal, change (with the revision pending approval), expiry and
//! termination.

use chrono::NaiveDate;
use serde::Serialize;

use super::*;
use crate::calendar::{CalendarError, WorkingDayCalendar};
use crate::deadline::due_in_working_days;
use crate::org::OrgKind;

/// How a clause change is classified (S-2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClauseChange {
    /// Clauses changed (JSON fields).
    pub changed: Vec<&'static str>,
    /// Whether a major change of S-2.4 is among them.
    pub major: bool,
    /// Whether a new revision was started (the agreement, or the revision
    /// pending approval, was past drafting).
    pub new_revision: bool,
    /// Whether the change went to the revision pending approval while the
    /// signed revision stays in force (S-2.4).
    pub pending: bool,
    /// The pending revision that this change replaced (past drafting), to be
    /// kept in the history.
    #[serde(skip)]
    pub superseded_pending: Option<PendingRevision>,
}

/// A changed revision of an agreement in force, going through opinions and
/// the collective decision again (S-2.4) while the signed revision stays in
/// force; it replaces the signed one only when it is signed itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRevision {
    /// `Draft`, `OpinionsCollected` or `Decided`.
    pub status: AgreementStatus,
    /// Its revision number (above the one in force).
    pub revision: u32,
    /// Its clauses (the term is the one in force, S-2.2b).
    pub clauses: AgreementClauses,
    /// Date of its collective decision.
    pub decided_on: Option<NaiveDate>,
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
    /// A changed revision awaiting approval while this one is in force.
    pub pending: Option<PendingRevision>,
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
            pending: None,
        }
    }

    /// Records an opinion received on `received_on` from an organisation of `kind`.
    pub fn record_opinion(
        &mut self,
        kind: OrgKind,
        received_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgreementError> {
        let status = self.pending_or_own_status(AgreementCommand::RecordOpinion)?;
        let next = status.apply(AgreementCommand::RecordOpinion)?;
        if !gives_opinion(kind) {
            return Err(AgreementError::OpinionSourceInvalid { kind });
        }
        not_future("received_on", received_on, today)?;
        match &mut self.pending {
            Some(p) if self.status.is_active() => p.status = next,
            _ => self.status = next,
        }
        Ok(())
    }

    /// Records the collective decision taken on `decided_on`.
    pub fn decide(
        &mut self,
        decided_on: NaiveDate,
        today: NaiveDate,
    ) -> Result<(), AgreementError> {
        let status = self.pending_or_own_status(AgreementCommand::Decide)?;
        let next = status.apply(AgreementCommand::Decide)?;
        not_future("decided_on", decided_on, today)?;
        match &mut self.pending {
            Some(p) if self.status.is_active() => {
                p.status = next;
                p.decided_on = Some(decided_on);
            }
            _ => {
                self.status = next;
                self.decided_on = Some(decided_on);
            }
        }
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
        if self.status.is_active() {
            return self.sign_pending(signed_on, today, calendar);
        }
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
    /// way, if any; `unrectified` is a 不合格 evaluation of the operator
    /// not rectified by its deadline (id, deadline), which refuses the
    /// renewal (S-7.2-3: the evaluation decides re-application).
    pub fn check_renewal(
        &self,
        today: NaiveDate,
        existing_renewal: Option<&str>,
        unrectified: Option<(&str, NaiveDate)>,
    ) -> Result<(), AgreementError> {
        self.status.apply(AgreementCommand::RequestRenewal)?;
        if let Some((evaluation_id, due_on)) = unrectified {
            return Err(AgreementError::EvaluationNotRectified {
                evaluation_id: evaluation_id.to_owned(),
                due_on,
            });
        }
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

    /// Replaces the clauses. A draft stays a draft; a revision that is
    /// opinions-collected or decided goes back to draft as a new revision
    /// (its opinions and decision were about the old text, S-2.4).
    ///
    /// An agreement in force STAYS in force: the change becomes (or edits)
    /// the revision pending approval, and the signed revision keeps
    /// authorizing the operator until the changed one is signed. Its term
    /// cannot change after signing; a longer or different term is a renewal
    /// (S-2.2b).
    pub fn change(&mut self, clauses: AgreementClauses) -> Result<ClauseChange, AgreementError> {
        let next = self.status.apply(AgreementCommand::Change)?;
        let changed = self.clauses.changed_fields(&clauses);
        let major = changed.iter().any(|f| MAJOR_CHANGE_FIELDS.contains(f));
        if self.status.is_active() {
            if clauses.term() != self.clauses.term() {
                return Err(AgreementError::TermChangeAfterSigning {
                    start: self.clauses.term().start(),
                    end: self.clauses.term().end(),
                });
            }
            let previous = self.pending.take();
            let (revision, new_revision, superseded) = match previous {
                Some(p) if p.status == AgreementStatus::Draft => (p.revision, false, None),
                Some(p) => (p.revision.saturating_add(1), true, Some(p)),
                None => (self.revision.saturating_add(1), true, None),
            };
            self.pending = Some(PendingRevision {
                status: AgreementStatus::Draft,
                revision,
                clauses,
                decided_on: None,
            });
            return Ok(ClauseChange {
                changed,
                major,
                new_revision,
                pending: true,
                superseded_pending: superseded,
            });
        }
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
            pending: false,
            superseded_pending: None,
        })
    }

    /// The status a command of the approval steps acts on: the pending
    /// revision's while the agreement is in force, the agreement's otherwise.
    fn pending_or_own_status(
        &self,
        command: AgreementCommand,
    ) -> Result<AgreementStatus, AgreementError> {
        if !self.status.is_active() {
            return Ok(self.status);
        }
        self.pending
            .as_ref()
            .map(|p| p.status)
            .ok_or(AgreementError::InvalidTransition {
                from: self.status,
                command,
            })
    }

    /// Signs the pending revision of an agreement in force: it replaces the
    /// signed revision (same term), and is filed again within 10 working
    /// days (S-3.3.3b).
    fn sign_pending(
        &mut self,
        signed_on: NaiveDate,
        today: NaiveDate,
        calendar: &WorkingDayCalendar,
    ) -> Result<(), AgreementError> {
        let status = self.pending_or_own_status(AgreementCommand::Sign)?;
        status.apply(AgreementCommand::Sign)?;
        not_future("signed_on", signed_on, today)?;
        let pending = self
            .pending
            .take()
            .ok_or(AgreementError::InvalidTransition {
                from: self.status,
                command: AgreementCommand::Sign,
            })?;
        if let Err(e) = not_before("signed_on", signed_on, pending.decided_on) {
            self.pending = Some(pending);
            return Err(e);
        }
        let due = match filing_due_on(calendar, signed_on) {
            Ok(d) => Some(d),
            Err(CalendarError::UnpublishedYear { .. }) => None,
            Err(e) => {
                self.pending = Some(pending);
                return Err(e.into());
            }
        };
        self.status = AgreementStatus::Signed;
        self.revision = pending.revision;
        self.clauses = pending.clauses;
        self.decided_on = pending.decided_on;
        self.signed_on = Some(signed_on);
        self.filing_due_on = due;
        self.filed_on = None;
        Ok(())
    }

    /// Marks the agreement expired on `today`, after its last day.
    pub fn expire(&mut self, today: NaiveDate) -> Result<(), AgreementError> {
        let next = self.status.apply(AgreementCommand::Expire)?;
        let term_end = self.clauses.term().end();
        if today <= term_end {
            return Err(AgreementError::TermNotEnded { term_end });
        }
        self.status = next;
        self.pending = None;
        Ok(())
    }

    /// Terminates the agreement early (S-3.3.5); a pending revision lapses.
    pub fn terminate(&mut self) -> Result<(), AgreementError> {
        self.status = self.status.apply(AgreementCommand::Terminate)?;
        self.pending = None;
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
