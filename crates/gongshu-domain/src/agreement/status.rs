//! Statuses and commands of the agreement lifecycle, and the pure transition table.

use std::fmt;
use std::str::FromStr;

use super::AgreementError;
use crate::org::CodeError;

/// Lifecycle status of an authorization agreement (协议状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgreementStatus {
    /// Being drafted (起草中).
    Draft,
    /// Opinions of sector regulators and supervisors recorded (已征求意见).
    OpinionsCollected,
    /// Passed the 三重一大 collective decision (已集体决策).
    Decided,
    /// Signed (已签订): in force, awaiting filing.
    Signed,
    /// Filed with the city data bureau (已备案): in force.
    Filed,
    /// The term ended (已到期).
    Expired,
    /// Terminated early (已终止, S-3.3.5).
    Terminated,
}

impl AgreementStatus {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [Self] = &[
        Self::Draft,
        Self::OpinionsCollected,
        Self::Decided,
        Self::Signed,
        Self::Filed,
        Self::Expired,
        Self::Terminated,
    ];

    /// Stable code, as stored in SQL and JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::OpinionsCollected => "opinions_collected",
            Self::Decided => "decided",
            Self::Signed => "signed",
            Self::Filed => "filed",
            Self::Expired => "expired",
            Self::Terminated => "terminated",
        }
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "起草中",
            Self::OpinionsCollected => "已征求意见",
            Self::Decided => "已集体决策",
            Self::Signed => "已签订",
            Self::Filed => "已备案",
            Self::Expired => "已到期",
            Self::Terminated => "已终止",
        }
    }

    /// Whether the agreement is in force (signed or filed): the one active
    /// whole authorization of S-2.1.
    pub const fn is_active(self) -> bool {
        matches!(self, Self::Signed | Self::Filed)
    }

    /// The status after `command`, or why the command is refused in this
    /// status. Data-dependent checks (dates, windows, the single active
    /// agreement) are made by [`Agreement`](super::Agreement)'s methods on top of this.
    pub fn apply(self, command: AgreementCommand) -> Result<Self, AgreementError> {
        use AgreementCommand as C;
        use AgreementStatus as S;
        Ok(match (self, command) {
            (S::Draft | S::OpinionsCollected, C::RecordOpinion) => S::OpinionsCollected,
            (S::OpinionsCollected, C::Decide) => S::Decided,
            (S::Draft, C::Decide) => return Err(AgreementError::OpinionsMissing),
            (S::Decided, C::Sign) => S::Signed,
            (S::Draft | S::OpinionsCollected, C::Sign) => return Err(AgreementError::NotDecided),
            (S::Signed, C::File) => S::Filed,
            (S::Signed | S::Filed, C::RequestRenewal) => self,
            (S::Draft | S::OpinionsCollected | S::Decided, C::Change) => S::Draft,
            // In force it stays in force; the change is a pending revision (S-2.4).
            (S::Signed | S::Filed, C::Change) => self,
            (S::Signed | S::Filed, C::Expire) => S::Expired,
            (S::Signed | S::Filed, C::Terminate) => S::Terminated,
            (from, command) => return Err(AgreementError::InvalidTransition { from, command }),
        })
    }
}

impl fmt::Display for AgreementStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for AgreementStatus {
    type Err = CodeError;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == raw)
            .ok_or_else(|| CodeError {
                kind: "agreement_status",
                found: raw.to_owned(),
            })
    }
}

/// A command on an agreement (协议操作).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgreementCommand {
    /// Record the opinion of a sector regulator or supervisor (征求意见, S-3.3.3a).
    RecordOpinion,
    /// Record the 三重一大 collective decision (集体决策, S-2.4, S-3.3.3a).
    Decide,
    /// Record the signing (签订).
    Sign,
    /// Record the filing with the city data bureau (备案, S-3.3.3b).
    File,
    /// Apply for renewal (申请续约, S-2.2b); the agreement itself is unchanged.
    RequestRenewal,
    /// Change the clauses (变更条款); after the draft stage a new revision (S-2.4).
    Change,
    /// The term ended (到期).
    Expire,
    /// Terminate early (终止, S-3.3.5).
    Terminate,
}

impl AgreementCommand {
    /// Every command.
    pub const ALL: &'static [Self] = &[
        Self::RecordOpinion,
        Self::Decide,
        Self::Sign,
        Self::File,
        Self::RequestRenewal,
        Self::Change,
        Self::Expire,
        Self::Terminate,
    ];

    /// Stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RecordOpinion => "record_opinion",
            Self::Decide => "decide",
            Self::Sign => "sign",
            Self::File => "file",
            Self::RequestRenewal => "request_renewal",
            Self::Change => "change",
            Self::Expire => "expire",
            Self::Terminate => "terminate",
        }
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::RecordOpinion => "记录征求意见",
            Self::Decide => "记录集体决策",
            Self::Sign => "记录签订",
            Self::File => "记录备案",
            Self::RequestRenewal => "申请续约",
            Self::Change => "变更条款",
            Self::Expire => "到期",
            Self::Terminate => "终止",
        }
    }
}
