//! Why a joint-review command was refused ([`ReviewError`]), with the
//! rule id and a Chinese message for each refusal.

use super::{InvalidTransition, TextError};
use crate::{DomainError, OrgId};

/// Why a joint-review command was refused. Messages carry the rule id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// The command is not valid in the current status.
    #[error("{rule}: {transition}")]
    Transition {
        /// Rule of the workflow.
        rule: &'static str,
        /// The refused transition.
        transition: InvalidTransition,
    },
    /// The review cannot be decided before the required co-signature.
    #[error("{rule}: the review needs the co-signature first")]
    NotCoSigned {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// The review has no required parties.
    #[error("{rule}: a joint review needs at least one party")]
    NoParties {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// An applicant or co-signer organisation was named as a review party.
    #[error("{rule}: the applicant organisation `{org}` cannot be a review party")]
    ApplicantAsParty {
        /// Rule of the workflow.
        rule: &'static str,
        /// The organisation.
        org: OrgId,
    },
    /// The co-signer is the applicant itself.
    #[error("{rule}: the co-signer must be another organisation")]
    CoSignerIsApplicant {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// The deciding organisation is not a required party.
    #[error("{rule}: organisation `{org}` is not a party of this review")]
    NotAParty {
        /// Rule of the workflow.
        rule: &'static str,
        /// The organisation.
        org: OrgId,
    },
    /// Someone of the applicant's or co-signer's organisation, or the user
    /// who submitted or co-signed, tried to decide.
    #[error("{rule}: the applicant side cannot decide its own review")]
    ApplicantDecides {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// The party decided already.
    #[error("{rule}: party `{org}` has decided already")]
    AlreadyDecided {
        /// Rule of the workflow.
        rule: &'static str,
        /// The party.
        org: OrgId,
    },
    /// The co-signing organisation is not the required one.
    #[error("{rule}: only the required co-signer may co-sign")]
    WrongCoSigner {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// A rejection without a reason.
    #[error("{rule}: a rejection needs a reason")]
    ReasonRequired {
        /// Rule of the workflow.
        rule: &'static str,
    },
    /// The reason text is not acceptable.
    #[error("{rule}: bad reason: {error}")]
    BadReason {
        /// Rule of the workflow.
        rule: &'static str,
        /// Why.
        error: TextError,
    },
    /// The verdict is neither `approve` nor `reject`.
    #[error("unknown verdict `{found}`")]
    UnknownVerdict {
        /// The text given.
        found: String,
    },
}

impl DomainError for ReviewError {
    fn code(&self) -> &'static str {
        match self {
            Self::Transition { .. } => "review.invalid_transition",
            Self::NotCoSigned { .. } => "review.not_co_signed",
            Self::NoParties { .. } => "review.no_parties",
            Self::ApplicantAsParty { .. } => "review.applicant_as_party",
            Self::CoSignerIsApplicant { .. } => "review.co_signer_is_applicant",
            Self::NotAParty { .. } => "review.not_a_party",
            Self::ApplicantDecides { .. } => "review.applicant_decides",
            Self::AlreadyDecided { .. } => "review.already_decided",
            Self::WrongCoSigner { .. } => "review.wrong_co_signer",
            Self::ReasonRequired { .. } => "review.reason_required",
            Self::BadReason { .. } => "review.bad_reason",
            Self::UnknownVerdict { .. } => "review.unknown_verdict",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Transition { rule, transition } => format!(
                "审核事项当前状态为“{}”，不能执行该操作（{rule}）",
                transition.from.label_zh()
            ),
            Self::NotCoSigned { rule } => {
                format!("须经行业主管部门会签后方可审核（{rule}）")
            }
            Self::NoParties { rule } => format!("联合审核须至少有一个审核方（{rule}）"),
            Self::ApplicantAsParty { rule, .. } => {
                format!("申请单位不能作为本事项的审核方（{rule}）")
            }
            Self::CoSignerIsApplicant { rule } => {
                format!("会签单位不能是申请单位本身（{rule}）")
            }
            Self::NotAParty { rule, .. } => format!("本单位不是该事项的审核方（{rule}）"),
            Self::ApplicantDecides { rule } => {
                format!("申请方（含会签方）不能审核本事项（{rule}）")
            }
            Self::AlreadyDecided { rule, .. } => {
                format!("该审核方已作出审核意见，不能重复审核（{rule}）")
            }
            Self::WrongCoSigner { rule } => format!("只有指定的会签单位可以会签（{rule}）"),
            Self::ReasonRequired { rule } => format!("驳回须填写理由（{rule}）"),
            Self::BadReason { rule, error } => format!("{}（{rule}）", error.message_zh()),
            Self::UnknownVerdict { .. } => "审核结论须为同意（approve）或驳回（reject）".to_owned(),
        }
    }
}
