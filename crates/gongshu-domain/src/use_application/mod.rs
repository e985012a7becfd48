//! Data-use application (公共数据资源使用申请): an ADMITTED secondary-market
//! participant (S-3.3.2a: entry approved and the no-re-licensing undertaking
//! signed) asks, for one of its scenarios, either to use named products of
//! the operator (产品订阅) or for sandbox access to named datasets and
//! columns to re-develop and fuse them (沙箱开发, S-2.1: the secondary market
//! re-develops and fuses delivered products).
//!
//! Approvers: the operator and the implementing agency always; for sandbox
//! access also every data source unit providing a requested dataset. Each
//! party decides once; any rejection (with a reason) ends the application,
//! and the rejection may be appealed to the implementing agency (S-2.5b);
//! only when every party approved are grants or subscriptions created.
//! Nobody of the applicant organisation, nor the submitter, decides.
//!
//! Lifecycle ([`UseStatus`]): `draft → submitted → under_review → approved |
//! rejected`, `withdrawn` by the applicant before any decision. The
//! transition table is pinned by a snapshot test.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::review::{Decision, PartyRole, ReviewParty, Verdict};
use crate::{DomainError, OrgId, UserId};

/// Rule of the decisions on data-use applications (and their appeal).
pub const RULE: &str = "S-2.5b";
/// Rule that only admitted participants use the platform.
pub const ADMISSION_RULE: &str = "S-3.3.2a";
/// Rule that the secondary market re-develops and fuses delivered products.
pub const SCOPE_RULE: &str = "S-2.1";

/// Declares a closed set of codes with `as_str`, `label_zh`, `ALL`,
/// `Display`, `FromStr` and `Serialize`.
macro_rules! codes {
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
pub(crate) use codes;

codes! {
    /// What a data-use application asks for (申请类型).
    UseKind, "use_kind" {
        /// Use named products of the operator (产品订阅).
        ProductSubscription => ("product_subscription", "使用运营机构产品"),
        /// Sandbox access to named datasets and columns (沙箱开发).
        SandboxAccess => ("sandbox_access", "沙箱数据开发融合"),
    }
}

codes! {
    /// Status of a data-use application (使用申请状态).
    UseStatus, "use_status" {
        /// Being prepared (草稿).
        Draft => ("draft", "草稿"),
        /// Submitted, no decision yet (已提交).
        Submitted => ("submitted", "已提交"),
        /// Some parties approved, others pending (审核中).
        UnderReview => ("under_review", "审核中"),
        /// Every party approved (已通过).
        Approved => ("approved", "已通过"),
        /// A party rejected; appealable (已驳回，可申诉).
        Rejected => ("rejected", "已驳回"),
        /// Withdrawn before any decision (已撤回).
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

/// A command on a data-use application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UseCommand {
    /// The participant submits (提交).
    Submit,
    /// A party approves, others pending (同意).
    Approve,
    /// The last pending party approves (同意，最后一方).
    ApproveLast,
    /// A party rejects (驳回).
    Reject,
    /// The participant withdraws (撤回).
    Withdraw,
}

impl UseCommand {
    /// Every command.
    pub const ALL: &'static [Self] = &[
        Self::Submit,
        Self::Approve,
        Self::ApproveLast,
        Self::Reject,
        Self::Withdraw,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::ApproveLast => "approve_last",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }
}

impl UseStatus {
    /// Whether parties still have to act.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::UnderReview)
    }

    /// Whether nothing can happen any more.
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Approved | Self::Rejected | Self::Withdrawn)
    }

    /// Whether the applicant may appeal the outcome to the implementing
    /// agency (S-2.5b: decisions on data-use applications).
    pub const fn is_appealable(self) -> bool {
        matches!(self, Self::Rejected)
    }

    /// The one transition function of the lifecycle.
    pub fn apply(self, command: UseCommand) -> Result<Self, InvalidUseTransition> {
        use UseCommand as C;
        use UseStatus as S;
        Ok(match (self, command) {
            (S::Draft, C::Submit) => S::Submitted,
            (S::Submitted | S::UnderReview, C::Approve) => S::UnderReview,
            (S::Submitted | S::UnderReview, C::ApproveLast) => S::Approved,
            (S::Submitted | S::UnderReview, C::Reject) => S::Rejected,
            (S::Draft | S::Submitted, C::Withdraw) => S::Withdrawn,
            (from, command) => return Err(InvalidUseTransition { from, command }),
        })
    }
}

/// A command that is not valid in the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} a data-use application that is {from}", command.as_str())]
pub struct InvalidUseTransition {
    /// Status it was in.
    pub from: UseStatus,
    /// Command refused.
    pub command: UseCommand,
}

/// Why a data-use application command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UseApplicationError {
    /// The command is not valid in the current status.
    #[error(transparent)]
    Transition(InvalidUseTransition),
    /// Only secondary-market participants apply.
    #[error("only a secondary-market participant applies for data use")]
    ApplicantNotParticipant,
    /// The participant is not admitted (entry not approved or undertaking
    /// not signed).
    #[error("the participant is not admitted to the secondary market")]
    NotAdmitted,
    /// The applicant organisation was named as a party.
    #[error("the applicant organisation `{org}` cannot be a party")]
    ApplicantAsParty {
        /// The organisation.
        org: OrgId,
    },
    /// No parties.
    #[error("a data-use application needs parties")]
    NoParties,
    /// The deciding organisation is not a required party.
    #[error("organisation `{org}` is not a party of this application")]
    NotAParty {
        /// The organisation.
        org: OrgId,
    },
    /// The applicant side tried to decide.
    #[error("the applicant side cannot decide its own application")]
    ApplicantDecides,
    /// The party decided already.
    #[error("party `{org}` has decided already")]
    AlreadyDecided {
        /// The party.
        org: OrgId,
    },
}

impl DomainError for UseApplicationError {
    fn code(&self) -> &'static str {
        match self {
            Self::Transition(_) => "use_application.invalid_transition",
            Self::ApplicantNotParticipant => "use_application.applicant_not_participant",
            Self::NotAdmitted => "use_application.not_admitted",
            Self::ApplicantAsParty { .. } => "use_application.applicant_as_party",
            Self::NoParties => "use_application.no_parties",
            Self::NotAParty { .. } => "use_application.not_a_party",
            Self::ApplicantDecides => "use_application.applicant_decides",
            Self::AlreadyDecided { .. } => "use_application.already_decided",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Transition(t) => format!(
                "数据使用申请当前状态为“{}”，不能执行该操作（{RULE}）",
                t.from.label_zh()
            ),
            Self::ApplicantNotParticipant => {
                format!("只有二级市场主体可以提出数据使用申请（{SCOPE_RULE}）")
            }
            Self::NotAdmitted => format!(
                "只有已准入（准入审核全部通过并已签署不转授权承诺）的二级市场主体可以提出数据使用申请（{ADMISSION_RULE}）"
            ),
            Self::ApplicantAsParty { .. } => {
                format!("申请单位不能作为本申请的审核方（{RULE}）")
            }
            Self::NoParties => format!("数据使用申请须有审核方（{RULE}）"),
            Self::NotAParty { .. } => {
                format!(
                    "本单位不是该数据使用申请的审核方，未涉及其数据的数源单位不能审核（{RULE}）"
                )
            }
            Self::ApplicantDecides => format!("申请单位不能审核本单位的数据使用申请（{RULE}）"),
            Self::AlreadyDecided { .. } => {
                format!("该审核方已作出审核意见，不能重复审核（{RULE}）")
            }
        }
    }
}

/// The required parties of an application of `kind`: the operator and the
/// implementing agency always; for sandbox access also every data source
/// unit in `providers` (one party per organisation).
pub fn required_parties(
    kind: UseKind,
    operator: OrgId,
    agency: OrgId,
    providers: &[OrgId],
) -> Vec<(OrgId, PartyRole)> {
    let mut out = vec![
        (operator, PartyRole::Operator),
        (agency, PartyRole::ImplementingAgency),
    ];
    if kind == UseKind::SandboxAccess {
        out.extend(providers.iter().map(|p| (*p, PartyRole::DataSourceUnit)));
    }
    out
}

/// The review of one data-use application.
///
/// INVARIANT: at least one party; no party is the applicant; at most one
/// decision per party, each by a party; `status` follows [`UseStatus::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseReview {
    applicant_org: OrgId,
    submitted_by: UserId,
    parties: Vec<ReviewParty>,
    decisions: Vec<Decision>,
    status: UseStatus,
}

impl UseReview {
    /// A submitted application; parties naming the same organisation merge.
    pub fn submit(
        applicant_org: OrgId,
        submitted_by: UserId,
        parties: &[(OrgId, PartyRole)],
    ) -> Result<Self, UseApplicationError> {
        let mut merged: Vec<ReviewParty> = Vec::new();
        for &(org, role) in parties {
            if org == applicant_org {
                return Err(UseApplicationError::ApplicantAsParty { org });
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
            return Err(UseApplicationError::NoParties);
        }
        let status = UseStatus::Draft
            .apply(UseCommand::Submit)
            .map_err(UseApplicationError::Transition)?;
        Ok(Self {
            applicant_org,
            submitted_by,
            parties: merged,
            decisions: Vec::new(),
            status,
        })
    }

    /// Rebuilds an application's review from storage, re-checking the
    /// invariants.
    pub fn restore(
        applicant_org: OrgId,
        submitted_by: UserId,
        parties: &[ReviewParty],
        decisions: Vec<Decision>,
        status: UseStatus,
    ) -> Result<Self, UseApplicationError> {
        let flat: Vec<(OrgId, PartyRole)> = parties
            .iter()
            .flat_map(|p| p.roles.iter().map(move |r| (p.org, *r)))
            .collect();
        let mut review = Self::submit(applicant_org, submitted_by, &flat)?;
        for d in &decisions {
            if !review.parties.iter().any(|p| p.org == d.party) {
                return Err(UseApplicationError::NotAParty { org: d.party });
            }
        }
        review.decisions = decisions;
        review.status = status;
        Ok(review)
    }

    /// Applicant organisation.
    pub fn applicant_org(&self) -> OrgId {
        self.applicant_org
    }

    /// Submitting user.
    pub fn submitted_by(&self) -> UserId {
        self.submitted_by
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
    pub fn status(&self) -> UseStatus {
        self.status
    }

    /// Parties that have not decided (empty once the review ended).
    pub fn pending_parties(&self) -> Vec<&ReviewParty> {
        if !self.status.is_open() {
            return Vec::new();
        }
        self.parties
            .iter()
            .filter(|p| !self.decisions.iter().any(|d| d.party == p.org))
            .collect()
    }

    /// A party decides; returns the new status.
    pub fn decide(
        &mut self,
        org: OrgId,
        by: UserId,
        verdict: Verdict,
        at: DateTime<Utc>,
    ) -> Result<UseStatus, UseApplicationError> {
        if org == self.applicant_org || by == self.submitted_by {
            return Err(UseApplicationError::ApplicantDecides);
        }
        if !self.parties.iter().any(|p| p.org == org) {
            return Err(UseApplicationError::NotAParty { org });
        }
        if self.decisions.iter().any(|d| d.party == org) && !self.status.is_final() {
            return Err(UseApplicationError::AlreadyDecided { org });
        }
        let command = match (&verdict, self.pending_parties().len() == 1) {
            (Verdict::Reject(_), _) => UseCommand::Reject,
            (Verdict::Approve(_), true) => UseCommand::ApproveLast,
            (Verdict::Approve(_), false) => UseCommand::Approve,
        };
        let next = self
            .status
            .apply(command)
            .map_err(UseApplicationError::Transition)?;
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
    pub fn withdraw(&mut self, org: OrgId) -> Result<(), UseApplicationError> {
        if org != self.applicant_org {
            return Err(UseApplicationError::ApplicantDecides);
        }
        self.status = self
            .status
            .apply(UseCommand::Withdraw)
            .map_err(UseApplicationError::Transition)?;
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

impl fmt::Display for UseCommand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UseCommand {
    type Err = crate::org::CodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|c| c.as_str() == raw)
            .copied()
            .ok_or_else(|| crate::org::CodeError {
                kind: "use_command",
                found: raw.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests;
