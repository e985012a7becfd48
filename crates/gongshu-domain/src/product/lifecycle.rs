//! The product lifecycle (S-3.3.4-3: products are approved before they are
//! offered): draft → in review → approved → listed ⇄ suspended → retired;
//! a rejection returns to draft for a new submission. A change to an
//! approved or listed product is a new version that starts as a draft.

use serde::{Deserialize, Serialize};

use super::ProductError;

/// Status of one product version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    /// Being prepared by the operator (草稿).
    Draft,
    /// Automatic checks passed, the reviewers decide (审核中).
    InReview,
    /// Approved by every reviewer, not yet listed (已批准).
    Approved,
    /// Registered and on the public product list (已上架).
    Listed,
    /// Temporarily not offered (已暂停).
    Suspended,
    /// Withdrawn for good (已下架).
    Retired,
}

/// What can happen to a product version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductCommand {
    /// The operator submits a checked draft.
    Submit,
    /// The last reviewer approved.
    Approve,
    /// A reviewer rejected: back to draft.
    Reject,
    /// Registered and listed.
    List,
    /// Stop offering for a while.
    Suspend,
    /// Offer again.
    Resume,
    /// Withdraw for good.
    Retire,
}

impl ProductStatus {
    /// Every status, in lifecycle order.
    pub const ALL: &'static [Self] = &[
        Self::Draft,
        Self::InReview,
        Self::Approved,
        Self::Listed,
        Self::Suspended,
        Self::Retired,
    ];

    /// Stable code.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Approved => "approved",
            Self::Listed => "listed",
            Self::Suspended => "suspended",
            Self::Retired => "retired",
        }
    }

    /// Chinese label.
    pub const fn label_zh(self) -> &'static str {
        match self {
            Self::Draft => "草稿",
            Self::InReview => "审核中",
            Self::Approved => "已批准",
            Self::Listed => "已上架",
            Self::Suspended => "已暂停",
            Self::Retired => "已下架",
        }
    }

    /// Whether calls may be served (and subscriptions used).
    pub const fn serves_calls(self) -> bool {
        matches!(self, Self::Listed)
    }

    /// Whether the definition may still be edited in place; otherwise a
    /// change is a new version.
    pub const fn editable(self) -> bool {
        matches!(self, Self::Draft)
    }

    /// The status after `command`.
    ///
    /// # Errors
    /// [`ProductError::Transition`] when `command` is not allowed now.
    pub fn apply(self, command: ProductCommand) -> Result<Self, ProductError> {
        use ProductCommand as C;
        use ProductStatus as S;
        Ok(match (self, command) {
            (S::Draft, C::Submit) => S::InReview,
            (S::InReview, C::Approve) => S::Approved,
            (S::InReview, C::Reject) => S::Draft,
            (S::Approved, C::List) | (S::Suspended, C::Resume) => S::Listed,
            (S::Listed, C::Suspend) => S::Suspended,
            (S::Draft | S::Approved | S::Listed | S::Suspended, C::Retire) => S::Retired,
            (from, command) => return Err(ProductError::Transition { from, command }),
        })
    }
}
