//! Joint review (联合审核): an item submitted by an applicant organisation
//! (and, where a rule asks for it, co-signed by a second organisation) that
//! a fixed set of required review parties decide, each once.
//!
//! The engine is generic; two workflows use it: the data demand
//! (数据需求申请, S-4b) and the secondary-market entry (二级市场准入,
//! S-3.3.2a). Any rejection ends the review as rejected; the review is
//! approved only when every required party approved. No decision counts
//! from the applicant's or the co-signer's organisation, nor from the user
//! who submitted or co-signed (separation of duties; the Cedar policies
//! refuse the same, this is the second line). Who may fire a command is a
//! policy question; this module only knows which commands are valid when.
//!
//! Lifecycle ([`ReviewStatus`]): `draft → submitted (→ co_signed when a
//! co-signature is required) → under_review → approved | rejected`, and
//! `withdrawn` by the applicant before any decision. The transition table
//! is pinned by a snapshot test (`transitions.snap`).

mod error;
mod text;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use error::ReviewError;
pub use text::{ColumnName, ReviewText, TextError};

use crate::org::CodeError;
use crate::{OrgId, UserId};

/// Version of the no-re-licensing undertaking (不转授权承诺书) a secondary-
/// market participant signs before admission (S-3.3.2b). Bump it whenever
/// [`NO_RELICENSING_UNDERTAKING_ZH`] changes; signatures record the version.
pub const NO_RELICENSING_UNDERTAKING_VERSION: &str = "2026-03-v1";

/// Text of the no-re-licensing undertaking (S-3.3.2b).
pub const NO_RELICENSING_UNDERTAKING_ZH: &str = "本单位承诺：对通过公共数据资源授权运营平台获得的数据、数据产品和服务，\
不以任何形式进行转授权、分授权或转让，不向任何第三方提供；违反承诺的，自愿承担相应责任并接受取消准入资格等处理。";

macro_rules! coded {
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

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = CodeError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err(CodeError { kind: $kind, found: raw.to_owned() }),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    };
}

coded! {
    /// Kind of joint review (联合审核事项类型): which workflow it belongs to.
    ReviewKind, "review_kind" {
        /// Data demand (数据需求申请, S-4b).
        DataDemand => ("data_demand", "数据需求申请"),
        /// Secondary-market entry (二级市场准入, S-3.3.2a).
        MarketEntry => ("market_entry", "二级市场准入"),
    }
}

impl ReviewKind {
    /// The rule of the seed that sets this review's parties.
    pub const fn rule(self) -> &'static str {
        match self {
            Self::DataDemand => "S-4b",
            Self::MarketEntry => "S-3.3.2a",
        }
    }

    /// Whether a second organisation must co-sign before review (S-4b: the
    /// operator and the sector regulator apply jointly).
    pub const fn requires_co_signature(self) -> bool {
        matches!(self, Self::DataDemand)
    }
}

coded! {
    /// Review party role (审核方): why an organisation must decide.
    PartyRole, "party_role" {
        /// Implementing agency (实施机构).
        ImplementingAgency => ("implementing_agency", "实施机构"),
        /// County data bureau (数据管理部门).
        DataBureau => ("data_bureau", "数据管理部门"),
        /// Data source unit (数源单位) providing a dataset concerned.
        DataSourceUnit => ("data_source_unit", "数源单位"),
        /// Sector regulator (行业主管部门) of the sector concerned.
        SectorRegulator => ("sector_regulator", "行业主管部门"),
        /// Operator (运营机构).
        Operator => ("operator", "运营机构"),
    }
}

coded! {
    /// Status of a joint review (联合审核状态).
    ReviewStatus, "review_status" {
        /// Being prepared, not yet submitted (草稿).
        Draft => ("draft", "草稿"),
        /// Submitted by the applicant (已提交).
        Submitted => ("submitted", "已提交"),
        /// Co-signed by the required second applicant (已会签).
        CoSigned => ("co_signed", "已会签"),
        /// At least one party decided, others pending (审核中).
        UnderReview => ("under_review", "审核中"),
        /// Every party approved (已通过).
        Approved => ("approved", "已通过"),
        /// A party rejected (已驳回).
        Rejected => ("rejected", "已驳回"),
        /// Withdrawn by the applicant before any decision (已撤回).
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

impl ReviewStatus {
    /// Whether nothing can happen any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected | Self::Withdrawn)
    }

    /// Whether review parties still have to act.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::CoSigned | Self::UnderReview)
    }

    /// The one transition function of the lifecycle. `co_signature` tells
    /// whether this review needs a co-signature before it can be decided.
    pub fn apply(
        self,
        command: ReviewCommand,
        co_signature: bool,
    ) -> Result<Self, InvalidTransition> {
        use ReviewCommand as C;
        use ReviewStatus as S;
        let reviewable = |s: Self| {
            matches!(s, S::UnderReview | S::CoSigned) || (s == S::Submitted && !co_signature)
        };
        Ok(match (self, command) {
            (S::Draft, C::Submit) => S::Submitted,
            (S::Submitted, C::CoSign) if co_signature => S::CoSigned,
            (s, C::Approve) if reviewable(s) => S::UnderReview,
            (s, C::ApproveLast) if reviewable(s) => S::Approved,
            (s, C::Reject) if reviewable(s) => S::Rejected,
            (S::Draft | S::Submitted | S::CoSigned, C::Withdraw) => S::Withdrawn,
            (from, command) => return Err(InvalidTransition { from, command }),
        })
    }
}

/// A command on a joint review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewCommand {
    /// The applicant submits (提交).
    Submit,
    /// The required second applicant co-signs (会签).
    CoSign,
    /// A party approves and others are still pending (同意).
    Approve,
    /// The last pending party approves (同意，最后一方).
    ApproveLast,
    /// A party rejects (驳回).
    Reject,
    /// The applicant withdraws (撤回).
    Withdraw,
}

impl ReviewCommand {
    /// Every command.
    pub const ALL: &'static [Self] = &[
        Self::Submit,
        Self::CoSign,
        Self::Approve,
        Self::ApproveLast,
        Self::Reject,
        Self::Withdraw,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::CoSign => "co_sign",
            Self::Approve => "approve",
            Self::ApproveLast => "approve_last",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }
}

/// A command that is not valid in the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a review that is {from}", command.as_str())]
pub struct InvalidTransition {
    /// Status the review was in.
    pub from: ReviewStatus,
    /// Command refused.
    pub command: ReviewCommand,
}

/// A required review party (审核方): an organisation and why it decides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewParty {
    /// The organisation that decides.
    pub org: OrgId,
    /// Why it decides (one organisation may hold several roles, e.g. the
    /// provider of two datasets).
    pub roles: Vec<PartyRole>,
}

/// A party's verdict (审核结论).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Approve (同意), with an optional opinion.
    Approve(Option<ReviewText>),
    /// Reject (驳回), always with a reason.
    Reject(ReviewText),
}

impl Verdict {
    /// Builds a verdict from its code and reason text; a rejection needs a
    /// non-empty reason.
    pub fn parse(
        code: &str,
        reason: Option<&str>,
        rule: &'static str,
    ) -> Result<Self, ReviewError> {
        let reason = reason.filter(|r| !r.trim().is_empty());
        match code {
            "approve" => Ok(Self::Approve(
                reason
                    .map(|r| ReviewText::parse(r, ReviewText::LONG))
                    .transpose()
                    .map_err(|e| ReviewError::BadReason { rule, error: e })?,
            )),
            "reject" => {
                let r = reason.ok_or(ReviewError::ReasonRequired { rule })?;
                Ok(Self::Reject(
                    ReviewText::parse(r, ReviewText::LONG)
                        .map_err(|e| ReviewError::BadReason { rule, error: e })?,
                ))
            }
            other => Err(ReviewError::UnknownVerdict {
                found: other.to_owned(),
            }),
        }
    }

    /// Stable code: `approve` or `reject`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Approve(_) => "approve",
            Self::Reject(_) => "reject",
        }
    }

    /// The reason or opinion, if any.
    pub fn reason(&self) -> Option<&ReviewText> {
        match self {
            Self::Approve(r) => r.as_ref(),
            Self::Reject(r) => Some(r),
        }
    }
}

/// One party's decision (审核意见): who decided, for which organisation,
/// what and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The party decided for.
    pub party: OrgId,
    /// The user who decided.
    pub by: UserId,
    /// The verdict.
    pub verdict: Verdict,
    /// When.
    pub at: DateTime<Utc>,
}

/// The joint review (联合审核) of one item: applicant, optional co-signer,
/// required parties, decisions and status.
///
/// INVARIANT: at least one party; no party is the applicant's or the
/// co-signer's organisation; at most one decision per party, each by a
/// party organisation; `status` follows [`ReviewStatus::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JointReview {
    kind: ReviewKind,
    applicant_org: OrgId,
    submitted_by: UserId,
    co_signer_org: Option<OrgId>,
    co_signed_by: Option<UserId>,
    parties: Vec<ReviewParty>,
    decisions: Vec<Decision>,
    status: ReviewStatus,
}

impl JointReview {
    /// A submitted review. Parties naming the same organisation are merged;
    /// `co_signer_org` is required exactly when the kind needs a
    /// co-signature.
    pub fn submit(
        kind: ReviewKind,
        applicant_org: OrgId,
        submitted_by: UserId,
        co_signer_org: Option<OrgId>,
        parties: &[(OrgId, PartyRole)],
    ) -> Result<Self, ReviewError> {
        let rule = kind.rule();
        if co_signer_org == Some(applicant_org) {
            return Err(ReviewError::CoSignerIsApplicant { rule });
        }
        if kind.requires_co_signature() != co_signer_org.is_some() {
            return Err(ReviewError::WrongCoSigner { rule });
        }
        let mut merged: Vec<ReviewParty> = Vec::new();
        for &(org, role) in parties {
            if org == applicant_org || Some(org) == co_signer_org {
                return Err(ReviewError::ApplicantAsParty { rule, org });
            }
            match merged.iter_mut().find(|p| p.org == org) {
                Some(p) if !p.roles.contains(&role) => p.roles.push(role),
                Some(_) => {}
                None => merged.push(ReviewParty {
                    org,
                    roles: vec![role],
                }),
            }
        }
        if merged.is_empty() {
            return Err(ReviewError::NoParties { rule });
        }
        let status = ReviewStatus::Draft
            .apply(ReviewCommand::Submit, kind.requires_co_signature())
            .map_err(|transition| ReviewError::Transition { rule, transition })?;
        Ok(Self {
            kind,
            applicant_org,
            submitted_by,
            co_signer_org,
            co_signed_by: None,
            parties: merged,
            decisions: Vec::new(),
            status,
        })
    }

    /// Rebuilds a review from storage, re-checking the invariants.
    #[expect(
        clippy::too_many_arguments,
        reason = "one argument per stored column group"
    )]
    pub fn restore(
        kind: ReviewKind,
        applicant_org: OrgId,
        submitted_by: UserId,
        co_signer_org: Option<OrgId>,
        co_signed_by: Option<UserId>,
        parties: Vec<ReviewParty>,
        decisions: Vec<Decision>,
        status: ReviewStatus,
    ) -> Result<Self, ReviewError> {
        let flat: Vec<(OrgId, PartyRole)> = parties
            .iter()
            .flat_map(|p| p.roles.iter().map(move |r| (p.org, *r)))
            .collect();
        let mut review = Self::submit(kind, applicant_org, submitted_by, co_signer_org, &flat)?;
        review.co_signed_by = co_signed_by;
        for d in &decisions {
            if !review.parties.iter().any(|p| p.org == d.party) {
                return Err(ReviewError::NotAParty {
                    rule: kind.rule(),
                    org: d.party,
                });
            }
        }
        review.decisions = decisions;
        review.status = status;
        Ok(review)
    }

    /// Kind.
    pub fn kind(&self) -> ReviewKind {
        self.kind
    }

    /// Applicant organisation.
    pub fn applicant_org(&self) -> OrgId {
        self.applicant_org
    }

    /// User who submitted.
    pub fn submitted_by(&self) -> UserId {
        self.submitted_by
    }

    /// Required co-signer organisation, if any.
    pub fn co_signer_org(&self) -> Option<OrgId> {
        self.co_signer_org
    }

    /// User who co-signed, once co-signed.
    pub fn co_signed_by(&self) -> Option<UserId> {
        self.co_signed_by
    }

    /// Required parties.
    pub fn parties(&self) -> &[ReviewParty] {
        &self.parties
    }

    /// Decisions so far.
    pub fn decisions(&self) -> &[Decision] {
        &self.decisions
    }

    /// Status.
    pub fn status(&self) -> ReviewStatus {
        self.status
    }

    /// Parties that have not decided yet (empty once the review ended).
    pub fn pending_parties(&self) -> Vec<&ReviewParty> {
        if !self.status.is_open() {
            return Vec::new();
        }
        self.parties
            .iter()
            .filter(|p| !self.decisions.iter().any(|d| d.party == p.org))
            .collect()
    }

    /// Whether `org` belongs to the applicant side (applicant or co-signer).
    pub fn is_applicant_side(&self, org: OrgId) -> bool {
        org == self.applicant_org || Some(org) == self.co_signer_org
    }

    fn step(&self, command: ReviewCommand) -> Result<ReviewStatus, ReviewError> {
        let rule = self.kind.rule();
        let co_signature = self.kind.requires_co_signature();
        self.status
            .apply(command, co_signature)
            .map_err(|transition| {
                if co_signature
                    && self.status == ReviewStatus::Submitted
                    && command != ReviewCommand::Withdraw
                {
                    ReviewError::NotCoSigned { rule }
                } else {
                    ReviewError::Transition { rule, transition }
                }
            })
    }

    /// The required co-signer co-signs (会签).
    pub fn co_sign(&mut self, org: OrgId, by: UserId) -> Result<(), ReviewError> {
        let rule = self.kind.rule();
        let next = self
            .status
            .apply(ReviewCommand::CoSign, self.kind.requires_co_signature())
            .map_err(|transition| ReviewError::Transition { rule, transition })?;
        if self.co_signer_org != Some(org) {
            return Err(ReviewError::WrongCoSigner { rule });
        }
        self.co_signed_by = Some(by);
        self.status = next;
        Ok(())
    }

    /// A party decides. `org` is the decider's organisation, which must be a
    /// pending required party; returns the new status.
    pub fn decide(
        &mut self,
        org: OrgId,
        by: UserId,
        verdict: Verdict,
        at: DateTime<Utc>,
    ) -> Result<ReviewStatus, ReviewError> {
        let rule = self.kind.rule();
        if self.is_applicant_side(org) || by == self.submitted_by || Some(by) == self.co_signed_by {
            return Err(ReviewError::ApplicantDecides { rule });
        }
        if !self.parties.iter().any(|p| p.org == org) {
            return Err(ReviewError::NotAParty { rule, org });
        }
        if self.decisions.iter().any(|d| d.party == org) && !self.status.is_final() {
            return Err(ReviewError::AlreadyDecided { rule, org });
        }
        let last = self.pending_parties().len() == 1;
        let command = match (&verdict, last) {
            (Verdict::Reject(_), _) => ReviewCommand::Reject,
            (Verdict::Approve(_), true) => ReviewCommand::ApproveLast,
            (Verdict::Approve(_), false) => ReviewCommand::Approve,
        };
        let next = self.step(command)?;
        self.decisions.push(Decision {
            party: org,
            by,
            verdict,
            at,
        });
        self.status = next;
        Ok(next)
    }

    /// The applicant withdraws before any decision (撤回).
    pub fn withdraw(&mut self, org: OrgId) -> Result<(), ReviewError> {
        let rule = self.kind.rule();
        if org != self.applicant_org {
            return Err(ReviewError::ApplicantDecides { rule });
        }
        self.status = self.step(ReviewCommand::Withdraw)?;
        Ok(())
    }

    /// Reasons of the rejections, in order.
    pub fn rejection_reasons(&self) -> Vec<&str> {
        self.decisions
            .iter()
            .filter_map(|d| match &d.verdict {
                Verdict::Reject(r) => Some(r.as_str()),
                Verdict::Approve(_) => None,
            })
            .collect()
    }
}
