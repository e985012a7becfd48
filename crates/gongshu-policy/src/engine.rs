//! The Cedar-backed engine: loads and validates schema and policies, turns a
//! request in gongshu's terms into Cedar entities, and reports the decision.
//!
//! Cedar types stay inside this module.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::str::FromStr;

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityId, EntityTypeName, EntityUid, PolicyId,
    PolicySet, Request, RestrictedExpression, Schema, ValidationMode, Validator,
};
use gongshu_domain::{OrgId, OrgKind, UserId};

use crate::{Action, Principal, Resource};

/// The schema, embedded at build time.
const SCHEMA_TEXT: &str = include_str!("gongshu.cedarschema");

/// The policies, embedded at build time.
const POLICIES_TEXT: &str = include_str!("policies.cedar");

/// Namespace of every entity type and action in the schema.
const NAMESPACE: &str = "Gongshu";

/// Why the policy engine could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The schema text does not parse.
    #[error("the policy schema is invalid: {message}")]
    Schema {
        /// Cedar's explanation.
        message: String,
    },
    /// The policy text does not parse.
    #[error("the policies do not parse: {message}")]
    Parse {
        /// Cedar's explanation.
        message: String,
    },
    /// A policy has no `@id("...")` annotation.
    #[error("a policy has no @id annotation: {policy}")]
    MissingId {
        /// The policy's text.
        policy: String,
    },
    /// Two policies share an `@id`.
    #[error("the policy id {id:?} is used twice")]
    DuplicateId {
        /// The repeated id.
        id: String,
    },
    /// A policy does not validate against the schema.
    #[error("the policies do not validate against the schema: {message}")]
    Validation {
        /// Cedar's explanation of every validation error.
        message: String,
    },
}

impl PolicyError {
    /// Stable code of the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Schema { .. } => "policy.schema",
            Self::Parse { .. } => "policy.parse",
            Self::MissingId { .. } => "policy.missing_id",
            Self::DuplicateId { .. } => "policy.duplicate_id",
            Self::Validation { .. } => "policy.validation",
        }
    }
}

/// Decision (决策): allowed or not, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// The `@id`s of the policies that decided it, sorted: the satisfied
    /// permits of an allowed request, or the satisfied forbids of a denied
    /// one. Empty for a default denial (no permit applied) and for a denial
    /// caused by an error.
    pub policy_ids: Vec<String>,
    /// Errors met while deciding; any error makes the decision a denial.
    pub errors: Vec<String>,
}

impl Decision {
    fn failed(message: String) -> Self {
        Self {
            allowed: false,
            policy_ids: Vec::new(),
            errors: vec![message],
        }
    }

    /// Whether the request was denied only because no policy permits it.
    pub fn is_default_deny(&self) -> bool {
        !self.allowed && self.policy_ids.is_empty() && self.errors.is_empty()
    }
}

/// Policy engine (策略引擎): the validated schema and policies.
pub struct PolicyEngine {
    schema: Schema,
    policies: PolicySet,
    authorizer: Authorizer,
}

impl fmt::Debug for PolicyEngine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyEngine")
            .field("policy_ids", &self.policy_ids())
            .finish_non_exhaustive()
    }
}

impl PolicyEngine {
    /// Builds the engine from the embedded schema and policies, validating
    /// every policy against the schema (strict mode).
    pub fn new() -> Result<Self, PolicyError> {
        Self::from_sources(SCHEMA_TEXT, POLICIES_TEXT)
    }

    /// Builds an engine from other schema and policy texts, with the same
    /// checks as [`PolicyEngine::new`]. Every policy needs a unique `@id`.
    pub fn from_sources(schema_text: &str, policies_text: &str) -> Result<Self, PolicyError> {
        let (schema, _warnings) =
            Schema::from_cedarschema_str(schema_text).map_err(|err| PolicyError::Schema {
                message: err.to_string(),
            })?;
        let parsed = PolicySet::from_str(policies_text).map_err(|err| PolicyError::Parse {
            message: err.to_string(),
        })?;
        let mut policies = PolicySet::new();
        for policy in parsed.policies() {
            let id = policy
                .annotation("id")
                .ok_or_else(|| PolicyError::MissingId {
                    policy: policy.to_string(),
                })?
                .to_owned();
            policies
                .add(policy.new_id(PolicyId::new(&id)))
                .map_err(|_| PolicyError::DuplicateId { id })?;
        }
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let message = result
                .validation_errors()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            return Err(PolicyError::Validation { message });
        }
        Ok(Self {
            schema,
            policies,
            authorizer: Authorizer::new(),
        })
    }

    /// The ids of all loaded policies, sorted.
    pub fn policy_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .policies
            .policies()
            .map(|policy| policy.id().to_string())
            .collect();
        ids.sort();
        ids
    }

    /// Decides whether `principal` may do `action` to `resource`.
    ///
    /// Never fails: a request that does not fit the schema (for instance an
    /// action paired with the wrong kind of resource) or an evaluation error
    /// is a denial with the error in [`Decision::errors`].
    pub fn authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Decision {
        self.try_authorize(principal, action, resource)
            .unwrap_or_else(Decision::failed)
    }

    fn try_authorize(
        &self,
        principal: &Principal,
        action: Action,
        resource: &Resource,
    ) -> Result<Decision, String> {
        let mut entities = EntityMap::default();
        let principal_uid = entities.add_user(principal, true)?;
        let resource_uid = entities.add_resource(resource)?;
        let action_uid = uid("Action", action.as_str())?;
        let request = Request::new(
            principal_uid,
            action_uid,
            resource_uid,
            Context::empty(),
            Some(&self.schema),
        )
        .map_err(|err| err.to_string())?;
        let entities = Entities::from_entities(entities.0.into_values(), Some(&self.schema))
            .map_err(|err| err.to_string())?;
        let response = self
            .authorizer
            .is_authorized(&request, &self.policies, &entities);
        let diagnostics = response.diagnostics();
        let errors: Vec<String> = diagnostics.errors().map(ToString::to_string).collect();
        if !errors.is_empty() {
            // Fail closed: a policy that errored is skipped by Cedar, and a
            // skipped forbid must never turn into an allow.
            return Ok(Decision {
                allowed: false,
                policy_ids: Vec::new(),
                errors,
            });
        }
        let mut policy_ids: Vec<String> = diagnostics.reason().map(ToString::to_string).collect();
        policy_ids.sort();
        Ok(Decision {
            allowed: response.decision() == cedar_policy::Decision::Allow,
            policy_ids,
            errors,
        })
    }
}

/// The uid `Gongshu::<type_name>::"<id>"`.
fn uid(type_name: &str, id: &str) -> Result<EntityUid, String> {
    let type_name = EntityTypeName::from_str(&format!("{NAMESPACE}::{type_name}"))
        .map_err(|err| err.to_string())?;
    Ok(EntityUid::from_type_name_and_id(
        type_name,
        EntityId::new(id),
    ))
}

fn org_uid(org: OrgId) -> Result<EntityUid, String> {
    uid("Organisation", &org.to_string())
}

fn user_uid(user: UserId) -> Result<EntityUid, String> {
    uid("User", &user.to_string())
}

fn string(value: &str) -> RestrictedExpression {
    RestrictedExpression::new_string(value.to_owned())
}

/// The entities of one request, at most one per uid.
#[derive(Default)]
struct EntityMap(HashMap<EntityUid, Entity>);

impl EntityMap {
    fn add(
        &mut self,
        uid: &EntityUid,
        attrs: Vec<(&str, RestrictedExpression)>,
        parents: HashSet<EntityUid>,
        replace: bool,
    ) -> Result<(), String> {
        if !replace && self.0.contains_key(uid) {
            return Ok(());
        }
        let attrs = attrs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value))
            .collect();
        let entity = Entity::new(uid.clone(), attrs, parents).map_err(|err| err.to_string())?;
        self.0.insert(uid.clone(), entity);
        Ok(())
    }

    fn add_org(
        &mut self,
        org: OrgId,
        kind: OrgKind,
        sector: Option<&str>,
        replace: bool,
    ) -> Result<EntityUid, String> {
        let org_uid = org_uid(org)?;
        let mut attrs = vec![("kind", string(kind.as_str()))];
        if let Some(sector) = sector {
            attrs.push(("sector", string(sector)));
        }
        self.add(&org_uid, attrs, HashSet::new(), replace)?;
        Ok(org_uid)
    }

    /// Adds a user and their organisation. The principal is added first with
    /// `replace`, so a resource naming the same user cannot change it.
    fn add_user(&mut self, user: &Principal, replace: bool) -> Result<EntityUid, String> {
        let org = self.add_org(user.org, user.org_kind, None, false)?;
        let user_uid = user_uid(user.user)?;
        let roles = user.roles.iter().map(|role| string(role.as_str()));
        let attrs = vec![
            ("org", RestrictedExpression::new_entity_uid(org.clone())),
            ("org_kind", string(user.org_kind.as_str())),
            ("roles", RestrictedExpression::new_set(roles)),
            (
                "is_platform_admin",
                RestrictedExpression::new_bool(user.is_platform_admin()),
            ),
        ];
        self.add(&user_uid, attrs, HashSet::from([org]), replace)?;
        Ok(user_uid)
    }

    fn add_resource(&mut self, resource: &Resource) -> Result<EntityUid, String> {
        let entity_ref = RestrictedExpression::new_entity_uid;
        match resource {
            Resource::Organisation { id, kind, sector } => {
                // The resource's description is the fuller one (it has the
                // sector), so it replaces the principal's organisation.
                self.add_org(*id, *kind, sector.map(|s| s.as_str()), true)
            }
            Resource::User(user) => self.add_user(user, false),
            Resource::ApiKey { id, org } => {
                let key_uid = uid("ApiKey", &id.to_string())?;
                let attrs = vec![("org", entity_ref(org_uid(*org)?))];
                self.add(&key_uid, attrs, HashSet::new(), true)?;
                Ok(key_uid)
            }
            Resource::RoleGrant { grantee, org, role } => {
                let grant_uid = uid("RoleGrant", &format!("{org}/{grantee}/{}", role.as_str()))?;
                let attrs = vec![
                    ("org", entity_ref(org_uid(*org)?)),
                    ("grantee", entity_ref(user_uid(*grantee)?)),
                    ("role", string(role.as_str())),
                ];
                self.add(&grant_uid, attrs, HashSet::new(), true)?;
                Ok(grant_uid)
            }
            Resource::AuditLog => {
                let log_uid = uid("AuditLog", "audit_log")?;
                self.add(&log_uid, Vec::new(), HashSet::new(), true)?;
                Ok(log_uid)
            }
            Resource::Workflow {
                id,
                applicant_org,
                submitted_by,
                parties,
            } => {
                let workflow_uid = uid("Workflow", id)?;
                let party_refs = parties
                    .iter()
                    .map(|p| org_uid(*p).map(entity_ref))
                    .collect::<Result<Vec<_>, _>>()?;
                let attrs = vec![
                    ("applicant_org", entity_ref(org_uid(*applicant_org)?)),
                    ("submitted_by", entity_ref(user_uid(*submitted_by)?)),
                    ("parties", RestrictedExpression::new_set(party_refs)),
                ];
                self.add(&workflow_uid, attrs, HashSet::new(), true)?;
                Ok(workflow_uid)
            }
            Resource::Dataset { id, provider_org } => {
                let dataset_uid = uid("Dataset", &id.to_string())?;
                let attrs = vec![("provider_org", entity_ref(org_uid(*provider_org)?))];
                self.add(&dataset_uid, attrs, HashSet::new(), true)?;
                Ok(dataset_uid)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use gongshu_domain::{OrgKind, Role};

    use super::*;

    const SCHEMA: &str = "namespace Gongshu { entity User = { ok: Bool }; action \"a\" appliesTo { principal: [User], resource: [User] }; }";

    fn principal() -> Principal {
        Principal::new(
            UserId::from_u128(1),
            OrgId::from_u128(2),
            OrgKind::ImplementingAgency,
            [Role::Admin],
        )
    }

    #[test]
    fn the_embedded_policies_load_with_their_ids() {
        let engine = PolicyEngine::new().unwrap();
        let ids = engine.policy_ids();
        assert_eq!(ids.len(), 23);
        for id in [
            "sod_no_self_approval",
            "pricing_bodies_manage_prices",
            "operator_keeps_separate_account",
        ] {
            assert!(ids.iter().any(|x| x == id), "{id}");
        }
        assert!(format!("{engine:?}").contains("sod_no_self_approval"));
    }

    #[test]
    fn policies_that_do_not_fit_the_schema_are_refused() {
        let policy = "@id(\"p\") permit (principal, action == Gongshu::Action::\"a\", resource) when { principal.missing };";
        let err = PolicyEngine::from_sources(SCHEMA, policy).unwrap_err();
        assert_eq!(err.code(), "policy.validation");
    }

    #[test]
    fn policies_need_a_unique_id() {
        let plain = "permit (principal, action == Gongshu::Action::\"a\", resource);";
        let err = PolicyEngine::from_sources(SCHEMA, plain).unwrap_err();
        assert_eq!(err.code(), "policy.missing_id");
        let twice = format!("@id(\"p\") {plain} @id(\"p\") {plain}");
        let err = PolicyEngine::from_sources(SCHEMA, &twice).unwrap_err();
        assert_eq!(err, PolicyError::DuplicateId { id: "p".to_owned() });
    }

    #[test]
    fn bad_schema_and_policy_text_are_refused() {
        let err = PolicyEngine::from_sources("namespace {", "").unwrap_err();
        assert_eq!(err.code(), "policy.schema");
        let err = PolicyEngine::from_sources(SCHEMA, "permit (").unwrap_err();
        assert_eq!(err.code(), "policy.parse");
    }

    #[test]
    fn an_action_on_the_wrong_kind_of_resource_is_denied_with_an_error() {
        let engine = PolicyEngine::new().unwrap();
        let decision = engine.authorize(&principal(), Action::OrgCreate, &Resource::AuditLog);
        assert!(!decision.allowed);
        assert!(decision.policy_ids.is_empty());
        assert!(!decision.errors.is_empty());
        assert!(!decision.is_default_deny());
    }

    #[test]
    fn a_request_no_policy_permits_is_a_default_deny() {
        let engine = PolicyEngine::new().unwrap();
        let decision = engine.authorize(&principal(), Action::AuditSample, &Resource::AuditLog);
        assert!(decision.is_default_deny(), "{decision:?}");
    }

    #[test]
    fn action_codes_round_trip() {
        for action in Action::ALL {
            assert_eq!(action.as_str().parse::<Action>().unwrap(), *action);
        }
        assert!("org.delete".parse::<Action>().is_err());
    }
}
