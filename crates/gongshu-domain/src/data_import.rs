//! External data import (外部数据导入, S-6.2-3, S-3.3.4-3): the operator (or
//! an admitted secondary-market participant) applies to bring lawfully
//! obtained enterprise or personal data into the trusted space for fused
//! computation. The implementing agency alone approves (S-6.2-3: "with the
//! agency's approval"; S-3.3.4-3: no import of other data without review).
//! Personal information needs a consent or legal-basis reference (个人信息
//! 保护法 Art. 13-14). On approval a pending import names the applicant as
//! the owner of the future dataset, with its own classification.
//!
//! Lifecycle ([`ImportStatus`]): `draft → submitted → approved | rejected`,
//! `withdrawn` before the decision. The table is pinned by a snapshot test.

use crate::review::ReviewText;
use crate::use_application::codes;
use crate::{DomainError, OrgId, UserId};

/// Rule of the import review.
pub const RULE: &str = "S-6.2-3";
/// Rule that nothing is imported without review.
pub const REVIEW_RULE: &str = "S-3.3.4-3";

codes! {
    /// Legal basis of the data to import (合法来源依据).
    LegalBasis, "legal_basis" {
        /// Consent of the data subjects (个人或主体同意).
        Consent => ("consent", "取得同意"),
        /// A contract with the data's holder (合同约定).
        Contract => ("contract", "合同约定"),
        /// A law or regulation (法律法规规定).
        Law => ("law", "法律法规规定"),
    }
}

codes! {
    /// Sensitivity grade of the imported data (数据分级, GB/T 43697-2024).
    SensitivityGrade, "sensitivity_grade" {
        /// General data (一般数据).
        General => ("general", "一般数据"),
        /// Important data (重要数据).
        Important => ("important", "重要数据"),
        /// Core data (核心数据).
        Core => ("core", "核心数据"),
    }
}

codes! {
    /// Status of an import application (导入申请状态).
    ImportStatus, "import_status" {
        /// Being prepared (草稿).
        Draft => ("draft", "草稿"),
        /// Submitted, waiting for the implementing agency (待审核).
        Submitted => ("submitted", "待审核"),
        /// Approved by the implementing agency (已批准).
        Approved => ("approved", "已批准"),
        /// Rejected (已驳回).
        Rejected => ("rejected", "已驳回"),
        /// Withdrawn (已撤回).
        Withdrawn => ("withdrawn", "已撤回"),
    }
}

/// A command on an import application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportCommand {
    /// The applicant submits (提交).
    Submit,
    /// The implementing agency approves (批准).
    Approve,
    /// The implementing agency rejects (驳回).
    Reject,
    /// The applicant withdraws (撤回).
    Withdraw,
}

impl ImportCommand {
    /// Every command.
    pub const ALL: &'static [Self] = &[Self::Submit, Self::Approve, Self::Reject, Self::Withdraw];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }
}

/// A command that is not valid in the current status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot {} an import that is {from}", command.as_str())]
pub struct InvalidImportTransition {
    /// Status it was in.
    pub from: ImportStatus,
    /// Command refused.
    pub command: ImportCommand,
}

impl ImportStatus {
    /// Whether the agency still has to decide.
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Submitted)
    }

    /// The one transition function of the lifecycle.
    pub fn apply(self, command: ImportCommand) -> Result<Self, InvalidImportTransition> {
        use ImportCommand as C;
        use ImportStatus as S;
        Ok(match (self, command) {
            (S::Draft, C::Submit) => S::Submitted,
            (S::Submitted, C::Approve) => S::Approved,
            (S::Submitted, C::Reject) => S::Rejected,
            (S::Draft | S::Submitted, C::Withdraw) => S::Withdrawn,
            (from, command) => return Err(InvalidImportTransition { from, command }),
        })
    }
}

/// Why an import command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataImportError {
    /// The command is not valid in the current status.
    #[error(transparent)]
    Transition(InvalidImportTransition),
    /// Personal information without a consent or legal-basis reference.
    #[error("personal information needs a consent or legal-basis reference")]
    ReferenceRequired,
    /// Only the operator or an admitted participant imports.
    #[error("only the operator or an admitted participant imports data")]
    ApplicantNotAllowed,
    /// Someone other than the implementing agency tried to decide.
    #[error("only the implementing agency decides an import")]
    NotAgency,
    /// The applicant side tried to decide.
    #[error("the applicant side cannot decide its own import")]
    ApplicantDecides,
}

impl DomainError for DataImportError {
    fn code(&self) -> &'static str {
        match self {
            Self::Transition(_) => "data_import.invalid_transition",
            Self::ReferenceRequired => "data_import.reference_required",
            Self::ApplicantNotAllowed => "data_import.applicant_not_allowed",
            Self::NotAgency => "data_import.not_agency",
            Self::ApplicantDecides => "data_import.applicant_decides",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            Self::Transition(t) => format!(
                "外部数据导入申请当前状态为“{}”，不能执行该操作（{RULE}）",
                t.from.label_zh()
            ),
            Self::ReferenceRequired => {
                format!("导入数据包含个人信息的，须提供个人同意或法定依据的凭证编号（{RULE}）")
            }
            Self::ApplicantNotAllowed => {
                format!("只有运营机构或已准入的二级市场主体可以申请导入外部数据（{RULE}）")
            }
            Self::NotAgency => {
                format!("外部数据导入须经实施机构审核批准（{REVIEW_RULE}）")
            }
            Self::ApplicantDecides => {
                format!("申请单位不能审批本单位的外部数据导入申请（{REVIEW_RULE}）")
            }
        }
    }
}

/// Personal information needs a consent or legal-basis reference.
pub fn check_personal_information(
    personal_information: bool,
    reference: Option<&ReviewText>,
) -> Result<(), DataImportError> {
    if personal_information && reference.is_none() {
        return Err(DataImportError::ReferenceRequired);
    }
    Ok(())
}

/// Who decides an import and on which side they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportDecider {
    /// The deciding user's organisation.
    pub org: OrgId,
    /// The deciding user.
    pub by: UserId,
    /// Whether that organisation is the implementing agency.
    pub is_agency: bool,
}

/// The implementing agency decides an import submitted by `submitted_by`
/// of `applicant_org`; returns the new status.
pub fn decide_import(
    status: ImportStatus,
    applicant_org: OrgId,
    submitted_by: UserId,
    decider: ImportDecider,
    approve: bool,
) -> Result<ImportStatus, DataImportError> {
    if decider.org == applicant_org || decider.by == submitted_by {
        return Err(DataImportError::ApplicantDecides);
    }
    if !decider.is_agency {
        return Err(DataImportError::NotAgency);
    }
    let command = if approve {
        ImportCommand::Approve
    } else {
        ImportCommand::Reject
    };
    status.apply(command).map_err(DataImportError::Transition)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = "\
draft     submit    submitted
draft     approve   -
draft     reject    -
draft     withdraw  withdrawn
submitted submit    -
submitted approve   approved
submitted reject    rejected
submitted withdraw  withdrawn
approved  submit    -
approved  approve   -
approved  reject    -
approved  withdraw  -
rejected  submit    -
rejected  approve   -
rejected  reject    -
rejected  withdraw  -
withdrawn submit    -
withdrawn approve   -
withdrawn reject    -
withdrawn withdraw  -
";

    #[test]
    fn import_transition_table_matches_the_snapshot() {
        let mut out = String::new();
        for from in ImportStatus::ALL {
            for command in ImportCommand::ALL {
                let to = from
                    .apply(*command)
                    .map_or_else(|_| "-".to_owned(), |s| s.as_str().to_owned());
                out.push_str(&format!(
                    "{:<9} {:<9} {to}\n",
                    from.as_str(),
                    command.as_str()
                ));
            }
        }
        assert_eq!(out, SNAPSHOT, "transition table changed:\n{out}");
    }

    #[test]
    fn personal_information_needs_a_reference() {
        let err = check_personal_information(true, None).unwrap_err();
        assert_eq!(err.code(), "data_import.reference_required");
        assert!(err.message_zh().contains("（S-6.2-3）"));
        let r = ReviewText::parse("同意书-2026-001", ReviewText::SHORT).unwrap();
        assert!(check_personal_information(true, Some(&r)).is_ok());
        assert!(check_personal_information(false, None).is_ok());
    }

    #[test]
    fn only_the_agency_decides_and_never_the_applicant() {
        let applicant = OrgId::from_u128(1);
        let submitter = UserId::from_u128(10);
        let d = |org: u128, by: u128, is_agency: bool| ImportDecider {
            org: OrgId::from_u128(org),
            by: UserId::from_u128(by),
            is_agency,
        };
        let s = ImportStatus::Submitted;
        assert_eq!(
            decide_import(s, applicant, submitter, d(1, 11, true), true)
                .unwrap_err()
                .code(),
            "data_import.applicant_decides"
        );
        assert_eq!(
            decide_import(s, applicant, submitter, d(2, 20, false), true)
                .unwrap_err()
                .code(),
            "data_import.not_agency"
        );
        assert_eq!(
            decide_import(s, applicant, submitter, d(3, 30, true), true).unwrap(),
            ImportStatus::Approved
        );
        assert_eq!(
            decide_import(s, applicant, submitter, d(3, 30, true), false).unwrap(),
            ImportStatus::Rejected
        );
        let late = decide_import(
            ImportStatus::Approved,
            applicant,
            submitter,
            d(3, 30, true),
            false,
        )
        .unwrap_err();
        assert_eq!(late.code(), "data_import.invalid_transition");
        for g in SensitivityGrade::ALL {
            assert_eq!(g.as_str().parse::<SensitivityGrade>().unwrap(), *g);
        }
        for b in LegalBasis::ALL {
            assert_eq!(b.as_str().parse::<LegalBasis>().unwrap(), *b);
        }
    }
}
