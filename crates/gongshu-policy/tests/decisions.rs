//! Runs the decision table `tests/decisions.csv` (one request per row) and
//! checks the table covers every action, organisation kind and policy.
#![expect(
    clippy::panic,
    reason = "helpers that read the decision table fail the test run on a malformed row"
)]

use std::collections::BTreeSet;

use gongshu_domain::{ApiKeyId, DatasetId, OrgId, OrgKind, Role, UserId};
use gongshu_policy::{Action, PolicyEngine, Principal, Resource};

const TABLE: &str = include_str!("decisions.csv");

const SELF_USER: UserId = UserId::from_u128(1);
const COLLEAGUE: UserId = UserId::from_u128(2);
const OTHER_USER: UserId = UserId::from_u128(3);
const OWN_ORG: OrgId = OrgId::from_u128(0xA);
const OTHER_ORG: OrgId = OrgId::from_u128(0xB);

struct Row<'a> {
    line: usize,
    case: &'a str,
    principal: Principal,
    action: Action,
    resource: Resource,
    allowed: bool,
    policy_ids: Vec<String>,
}

fn list(field: &str) -> Vec<&str> {
    if field == "-" {
        Vec::new()
    } else {
        field.split('+').collect()
    }
}

fn resource(spec: &str, principal: &Principal) -> Resource {
    let workflow = |applicant_org, submitted_by| Resource::Workflow {
        id: format!("test/{spec}"),
        applicant_org,
        submitted_by,
        parties: vec![],
    };
    let grant = |grantee, org| Resource::RoleGrant {
        grantee,
        org,
        role: Role::Reviewer,
    };
    match spec {
        "org:own" => Resource::Organisation {
            id: OWN_ORG,
            kind: principal.org_kind,
            sector: None,
        },
        "org:other" => Resource::Organisation {
            id: OTHER_ORG,
            kind: OrgKind::Operator,
            sector: None,
        },
        "user:self" => Resource::User(principal.clone()),
        "user:own_org" => Resource::User(Principal::new(
            COLLEAGUE,
            OWN_ORG,
            principal.org_kind,
            [Role::CaseOfficer],
        )),
        "user:other_org" => Resource::User(Principal::new(
            OTHER_USER,
            OTHER_ORG,
            OrgKind::Operator,
            [Role::CaseOfficer],
        )),
        "grant:self" => grant(SELF_USER, OWN_ORG),
        "grant:own_org" => grant(COLLEAGUE, OWN_ORG),
        "grant:other_org" => grant(OTHER_USER, OTHER_ORG),
        "apikey:own_org" => Resource::ApiKey {
            id: ApiKeyId::from_u128(0x100),
            org: OWN_ORG,
        },
        "apikey:other_org" => Resource::ApiKey {
            id: ApiKeyId::from_u128(0x101),
            org: OTHER_ORG,
        },
        "audit_log" => Resource::AuditLog,
        "dataset:other_org" => Resource::Dataset {
            id: DatasetId::from_u128(0x200),
            provider_org: OTHER_ORG,
        },
        "workflow:other_org" => workflow(OTHER_ORG, OTHER_USER),
        "workflow:own_org" => workflow(OWN_ORG, COLLEAGUE),
        "workflow:self" => workflow(OWN_ORG, SELF_USER),
        "workflow:self_other_org" => workflow(OTHER_ORG, SELF_USER),
        "workflow:party" => Resource::Workflow {
            id: format!("test/{spec}"),
            applicant_org: OTHER_ORG,
            submitted_by: OTHER_USER,
            parties: vec![OWN_ORG],
        },
        "workflow:party_own_org" => Resource::Workflow {
            id: format!("test/{spec}"),
            applicant_org: OWN_ORG,
            submitted_by: COLLEAGUE,
            parties: vec![OWN_ORG],
        },
        other => panic!("unknown resource spec {other:?}"),
    }
}

fn parse_table() -> Vec<Row<'static>> {
    let mut rows = Vec::new();
    let mut header_seen = false;
    for (index, line) in TABLE.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if !header_seen {
            assert_eq!(
                line,
                "case,org_kind,roles,action,resource,expect,policy_ids"
            );
            header_seen = true;
            continue;
        }
        let fields: Vec<&str> = line.split(',').collect();
        let [
            case,
            org_kind,
            roles,
            action,
            resource_spec,
            expect,
            policy_ids,
        ] = fields[..]
        else {
            panic!(
                "line {line_number}: expected 7 fields, found {}",
                fields.len()
            );
        };
        let org_kind: OrgKind = org_kind
            .parse()
            .unwrap_or_else(|err| panic!("line {line_number}: {err}"));
        let roles = list(roles).into_iter().map(|role| {
            role.parse::<Role>()
                .unwrap_or_else(|err| panic!("line {line_number}: {err}"))
        });
        let principal = Principal::new(SELF_USER, OWN_ORG, org_kind, roles);
        let action: Action = action
            .parse()
            .unwrap_or_else(|err| panic!("line {line_number}: {err}"));
        let allowed = match expect {
            "allow" => true,
            "deny" => false,
            other => panic!("line {line_number}: expect must be allow or deny, found {other:?}"),
        };
        let mut policy_ids: Vec<String> = list(policy_ids).into_iter().map(str::to_owned).collect();
        policy_ids.sort();
        rows.push(Row {
            line: line_number,
            case,
            resource: resource(resource_spec, &principal),
            principal,
            action,
            allowed,
            policy_ids,
        });
    }
    rows
}

#[test]
fn decision_table_holds() {
    // Arrange
    let engine = PolicyEngine::new().unwrap();
    let rows = parse_table();
    let mut failures = Vec::new();
    let mut names = BTreeSet::new();

    // Act
    for row in &rows {
        assert!(names.insert(row.case), "duplicate case name {}", row.case);
        let decision = engine.authorize(&row.principal, row.action, &row.resource);
        if decision.allowed != row.allowed
            || decision.policy_ids != row.policy_ids
            || !decision.errors.is_empty()
        {
            failures.push(format!(
                "line {} {}: expected allowed={} {:?}, got {decision:?}",
                row.line, row.case, row.allowed, row.policy_ids
            ));
        }
    }

    // Assert
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn decision_table_covers_every_action_org_kind_and_policy() {
    let engine = PolicyEngine::new().unwrap();
    let rows = parse_table();
    for action in Action::ALL {
        assert!(
            rows.iter().any(|row| row.action == *action),
            "no row for action {action}"
        );
    }
    for kind in OrgKind::ALL {
        assert!(
            rows.iter().any(|row| row.principal.org_kind == *kind),
            "no row for org kind {kind}"
        );
        assert!(
            rows.iter()
                .any(|row| row.principal.org_kind == *kind && !row.allowed),
            "no must-not row for org kind {kind}"
        );
    }
    let decided: BTreeSet<&str> = rows
        .iter()
        .flat_map(|row| row.policy_ids.iter().map(String::as_str))
        .collect();
    for id in engine.policy_ids() {
        assert!(
            decided.contains(id.as_str()),
            "no row is decided by policy {id}"
        );
    }
}

fn every_role_combination() -> Vec<Vec<Role>> {
    (0u32..(1 << Role::ALL.len()))
        .map(|mask| {
            Role::ALL
                .iter()
                .enumerate()
                .filter(|(bit, _)| mask & (1 << bit) != 0)
                .map(|(_, role)| *role)
                .collect()
        })
        .collect()
}

#[test]
fn platform_admins_never_review_approve_or_read_data_whatever_their_roles() {
    let engine = PolicyEngine::new().unwrap();
    for roles in every_role_combination() {
        let principal = Principal::new(SELF_USER, OWN_ORG, OrgKind::PlatformAdmin, roles.clone());
        for (action, spec) in [
            (Action::WorkflowReview, "workflow:other_org"),
            (Action::WorkflowApprove, "workflow:other_org"),
            (Action::DataRead, "dataset:other_org"),
        ] {
            let decision = engine.authorize(&principal, action, &resource(spec, &principal));
            assert!(!decision.allowed, "{roles:?} {action}: {decision:?}");
        }
    }
}

#[test]
fn nobody_reviews_or_approves_their_own_or_their_orgs_workflow() {
    let engine = PolicyEngine::new().unwrap();
    for kind in OrgKind::ALL {
        for roles in every_role_combination() {
            let principal = Principal::new(SELF_USER, OWN_ORG, *kind, roles.clone());
            for action in [Action::WorkflowReview, Action::WorkflowApprove] {
                for spec in [
                    "workflow:self",
                    "workflow:own_org",
                    "workflow:self_other_org",
                ] {
                    let decision =
                        engine.authorize(&principal, action, &resource(spec, &principal));
                    assert!(
                        !decision.allowed,
                        "{kind} {roles:?} {action} {spec}: {decision:?}"
                    );
                    assert!(
                        !decision.policy_ids.is_empty(),
                        "{kind} {roles:?} {action} {spec}: not decided by a forbid"
                    );
                }
            }
        }
    }
}

#[test]
fn nobody_reads_data_until_grants_exist() {
    let engine = PolicyEngine::new().unwrap();
    for kind in OrgKind::ALL {
        for roles in every_role_combination() {
            let principal = Principal::new(SELF_USER, OWN_ORG, *kind, roles.clone());
            let decision = engine.authorize(
                &principal,
                Action::DataRead,
                &resource("dataset:other_org", &principal),
            );
            assert!(!decision.allowed, "{kind} {roles:?}: {decision:?}");
        }
    }
}
