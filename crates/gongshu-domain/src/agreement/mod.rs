//! Authorization agreement (授权运营协议): its 13 clauses, term and lifecycle.
//!
//! The county authorizes ONE operator for all its data (整体授权, S-2.1) by
//! an agreement that holds the 13 clauses of S-3.3.3c, runs at most 3 years
//! (S-2.2a), collects the opinions of the sector regulators and supervisors
//! and passes the 三重一大 collective decision before signing (S-3.3.3a,
//! S-2.4), and is filed with the city data bureau within 10 working days of
//! signing (S-3.3.3b). Renewal is applied for within the 3 months before the
//! end of the term (S-2.2b); a change to a signed agreement's clauses is a
//! new revision that goes through the same approval again (S-2.4) while the
//! signed revision STAYS IN FORCE ([`PendingRevision`]): the operator's
//! authorization never lapses during a change, and no other agreement can
//! be signed meanwhile. The term cannot change after signing (S-2.2b: a new
//! term is a renewal). A 不合格 evaluation not rectified by its deadline
//! refuses renewal (S-7.2-3).
//!
//! Lifecycle ([`AgreementStatus`]):
//!
//! ```text
//! Draft ──opinion──► OpinionsCollected ──decide──► Decided ──sign──► Signed ──file──► Filed
//!   ▲                     │  (more opinions)          │
//!   └── change (a new revision when not a draft) ─────┘
//! Signed | Filed ──change──► (same status) + pending revision:
//!     Draft ──opinion──► OpinionsCollected ──decide──► Decided ──sign──► replaces the
//!     revision in force, status Signed (filed again, S-3.3.3b)
//! Signed | Filed ──expire──► Expired;  Signed | Filed ──terminate──► Terminated
//! ```
//!
//! [`AgreementStatus::apply`] is the table of the agreement's own status;
//! while it is in force, opinions, decision and signing act on the pending
//! revision's status through the same table.
//!
//! Who may fire a command is the policy's question, not this module's.

mod clauses;
mod error;
mod lifecycle;
mod status;
#[cfg(test)]
mod tests;

pub use clauses::*;
pub use error::*;
pub use lifecycle::*;
pub use status::*;

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
