//! The three parts of an authorization request, in gongshu's own terms.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use gongshu_domain::{ApiKeyId, CodeError, DatasetId, OrgId, OrgKind, Role, Sector, UserId};

/// Principal (主体): the staff user asking, with their organisation and roles.
///
/// Also describes the user acted upon in [`Resource::User`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user: UserId,
    /// The user's organisation.
    pub org: OrgId,
    /// The kind of the user's organisation.
    pub org_kind: OrgKind,
    /// The roles the user holds in that organisation.
    pub roles: BTreeSet<Role>,
}

impl Principal {
    /// A principal with the given roles.
    pub fn new(
        user: UserId,
        org: OrgId,
        org_kind: OrgKind,
        roles: impl IntoIterator<Item = Role>,
    ) -> Self {
        Self {
            user,
            org,
            org_kind,
            roles: roles.into_iter().collect(),
        }
    }

    /// Whether the user belongs to platform operations (平台运维), whose
    /// staff see no data and approve nothing.
    pub fn is_platform_admin(&self) -> bool {
        self.org_kind == OrgKind::PlatformAdmin
    }
}

macro_rules! actions {
    ($( $(#[$meta:meta])* $variant:ident => $code:literal, )+) => {
        /// Action (操作): one variant per use case that needs a decision.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Action {
            $( $(#[$meta])* $variant, )+
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Self] = &[ $( Self::$variant, )+ ];

            /// Stable dotted code, the Cedar action id (`"org.create"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( Self::$variant => $code, )+
                }
            }
        }

        impl FromStr for Action {
            type Err = CodeError;

            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                match raw {
                    $( $code => Ok(Self::$variant), )+
                    _ => Err(CodeError { kind: "action", found: raw.to_owned() }),
                }
            }
        }
    };
}

actions! {
    /// Create an organisation (新建机构).
    OrgCreate => "org.create",
    /// Read an organisation (查看机构).
    OrgRead => "org.read",
    /// Create a user (新建用户).
    UserCreate => "user.create",
    /// Read a user (查看用户).
    UserRead => "user.read",
    /// Grant a role (授予角色).
    RoleGrant => "role.grant",
    /// Revoke a role (撤销角色).
    RoleRevoke => "role.revoke",
    /// Issue an API key (签发接口密钥).
    ApiKeyIssue => "apikey.issue",
    /// Revoke an API key (吊销接口密钥).
    ApiKeyRevoke => "apikey.revoke",
    /// Inspect the audit log for cause (审计日志检查).
    AuditInspect => "audit.inspect",
    /// Sample the audit log at random (审计日志抽查).
    AuditSample => "audit.sample",
    /// Submit a workflow item on behalf of one's organisation (提交申请).
    WorkflowSubmit => "workflow.submit",
    /// Review a workflow item (审核).
    WorkflowReview => "workflow.review",
    /// Approve a workflow item (审批).
    WorkflowApprove => "workflow.approve",
    /// Read data (读取数据).
    DataRead => "data.read",
    /// Draft, sign and file authorization agreements (管理授权协议).
    AgreementManage => "agreement.manage",
    /// Run the implementing agency's procedures: operator selection,
    /// appeals, disputes, termination (实施机构程序).
    GovernanceManage => "governance.manage",
    /// Run the data bureau's supervision: inspections, incidents,
    /// evaluations (监督检查与评估).
    SupervisionManage => "supervision.manage",
    /// Set government-guided prices: the pricing authority's maximum
    /// allowed revenue, the implementing agency's caps and revenue shares
    /// (定价管理, S-5.1, S-5.2).
    PricingManage => "pricing.manage",
    /// Keep the operator's separate account: actual prices, statements,
    /// credit notes, journal entries, period closing, reports (专账与计费,
    /// S-5.3, S-6.2-6).
    FinanceManage => "finance.manage",
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Resource (资源): what the action is done to, with the attributes the
/// policies look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// An organisation (existing, or about to be created).
    Organisation {
        /// Its id.
        id: OrgId,
        /// Its kind.
        kind: OrgKind,
        /// Its sector, for sector regulators.
        sector: Option<Sector>,
    },
    /// A user (existing, or about to be created), described like a principal.
    User(Principal),
    /// An API key of an organisation.
    ApiKey {
        /// The key's id.
        id: ApiKeyId,
        /// The organisation the key is bound to.
        org: OrgId,
    },
    /// Granting or revoking `role` of `grantee` in `org`.
    RoleGrant {
        /// The user receiving or losing the role.
        grantee: UserId,
        /// The organisation the role is held in.
        org: OrgId,
        /// The role.
        role: Role,
    },
    /// The audit log as a whole.
    AuditLog,
    /// An item of any reviewed workflow.
    Workflow {
        /// Opaque id, unique among workflow items, e.g.
        /// `"authorization_application/<uuid>"`.
        id: String,
        /// The organisation that applied.
        applicant_org: OrgId,
        /// The user who submitted it.
        submitted_by: UserId,
        /// Organisations whose reviewers must decide it (联合审核各方).
        parties: Vec<OrgId>,
    },
    /// A dataset.
    Dataset {
        /// Its id.
        id: DatasetId,
        /// The data source unit that provides it.
        provider_org: OrgId,
    },
}
