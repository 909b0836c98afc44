//! Rolegate's own least privilege, proven on `template.yaml` itself: the
//! functions' execution-role policies and the integration boundary are
//! read from the template and handed to Rolegate's evaluator.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate};
use rolegate_test_harness::template::{ACCOUNT, Template};
use serde_json::Value;

fn identity(template: &Template, role: &str) -> PolicySet {
    let identity = template
        .role_policies(role)
        .iter()
        .map(|doc| {
            let doc = PolicyDocument::from_value(doc).expect("a valid policy in the template");
            CompiledPolicy::compile(&doc, role)
        })
        .collect();
    PolicySet {
        identity,
        ..PolicySet::default()
    }
}

fn decide(
    set: &PolicySet,
    principal: &str,
    action: &str,
    resource: &str,
    context: &[(&str, &str)],
) -> Decision {
    let mut request = Request::new(principal, action, resource).in_account(ACCOUNT);
    for (k, v) in context {
        request = request.with_context(k, ContextValue::Single((*v).to_owned()));
    }
    evaluate(set, &request).decision
}

const INTEGRATION_ROLE: &str = "arn:aws:iam::123456789012:role/integrations/vendor-x";

#[test]
fn the_provisioner_creates_roles_only_with_the_boundary_and_under_the_path() {
    let t = Template::load();
    let p = identity(&t, "ProvisionerRole");
    let me = t.arn_of("ProvisionerRole");
    let boundary = t.arn_of("IntegrationBoundary");
    let with_boundary = [("iam:PermissionsBoundary", boundary.as_str())];
    assert_eq!(
        decide(&p, &me, "iam:CreateRole", INTEGRATION_ROLE, &with_boundary),
        Decision::Allowed
    );
    assert_ne!(
        decide(&p, &me, "iam:CreateRole", INTEGRATION_ROLE, &[]),
        Decision::Allowed,
        "without a boundary"
    );
    assert_ne!(
        decide(
            &p,
            &me,
            "iam:CreateRole",
            INTEGRATION_ROLE,
            &[(
                "iam:PermissionsBoundary",
                "arn:aws:iam::aws:policy/AdministratorAccess"
            )]
        ),
        Decision::Allowed,
        "with another boundary"
    );
    for outside in [
        "arn:aws:iam::123456789012:role/admin",
        "arn:aws:iam::123456789012:role/rolegate/x",
        "arn:aws:iam::123456789012:role/integrationsx/y",
    ] {
        assert_ne!(
            decide(&p, &me, "iam:CreateRole", outside, &with_boundary),
            Decision::Allowed,
            "{outside}"
        );
    }
}

const GLUE_SERVICE_ROLE: &str =
    "arn:aws:iam::123456789012:role/service-role/AWSGlueServiceRole-onemata";

/// The second confinement (README, "Service roles"): the provisioner
/// creates Glue's service roles at exactly `role/service-role/
/// AWSGlueServiceRole*`, with the same boundary, and nowhere else beside
/// the path.
#[test]
fn the_provisioner_creates_glue_service_roles_only_as_glue_names_them_and_only_with_the_boundary() {
    let t = Template::load();
    let p = identity(&t, "ProvisionerRole");
    let me = t.arn_of("ProvisionerRole");
    let boundary = t.arn_of("IntegrationBoundary");
    let with_boundary = [("iam:PermissionsBoundary", boundary.as_str())];
    for action in ["iam:CreateRole", "iam:PutRolePermissionsBoundary"] {
        assert_eq!(
            decide(&p, &me, action, GLUE_SERVICE_ROLE, &with_boundary),
            Decision::Allowed,
            "{action}"
        );
        assert_ne!(
            decide(&p, &me, action, GLUE_SERVICE_ROLE, &[]),
            Decision::Allowed,
            "{action} without a boundary"
        );
        assert_ne!(
            decide(
                &p,
                &me,
                action,
                GLUE_SERVICE_ROLE,
                &[(
                    "iam:PermissionsBoundary",
                    "arn:aws:iam::aws:policy/AdministratorAccess"
                )]
            ),
            Decision::Allowed,
            "{action} with another boundary"
        );
    }
    for outside in [
        "arn:aws:iam::123456789012:role/service-role/onemata-glue",
        "arn:aws:iam::123456789012:role/service-role/AmazonRedshift-CommandsAccessRole",
        "arn:aws:iam::123456789012:role/AWSGlueServiceRole-onemata",
        "arn:aws:iam::123456789012:role/aws-service-role/glue.amazonaws.com/AWSServiceRoleForGlue",
        "arn:aws:iam::123456789012:role/service-rolex/AWSGlueServiceRole-x",
        "arn:aws:iam::210987654321:role/service-role/AWSGlueServiceRole-x",
    ] {
        assert_ne!(
            decide(&p, &me, "iam:CreateRole", outside, &with_boundary),
            Decision::Allowed,
            "{outside}"
        );
        assert_ne!(
            decide(&p, &me, "iam:PutRolePolicy", outside, &[]),
            Decision::Allowed,
            "{outside}"
        );
    }
    // It manages the roles it made there as under the path, and still
    // cannot remove their boundary or pass them.
    for action in [
        "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy",
        "iam:TagRole",
        "iam:DeleteRole",
    ] {
        assert_eq!(
            decide(&p, &me, action, GLUE_SERVICE_ROLE, &[]),
            Decision::Allowed,
            "{action}"
        );
    }
    for action in [
        "iam:DeleteRolePermissionsBoundary",
        "iam:PassRole",
        "iam:AttachRolePolicy",
    ] {
        assert_ne!(
            decide(&p, &me, action, GLUE_SERVICE_ROLE, &[]),
            Decision::Allowed,
            "{action}"
        );
    }
}

#[test]
fn the_guard_restores_glue_service_roles_and_puts_back_only_rolegates_boundary() {
    let t = Template::load();
    let g = identity(&t, "GuardRole");
    let me = t.arn_of("GuardRole");
    let boundary = t.arn_of("IntegrationBoundary");
    assert_eq!(
        decide(&g, &me, "iam:PutRolePolicy", GLUE_SERVICE_ROLE, &[]),
        Decision::Allowed
    );
    assert_eq!(
        decide(
            &g,
            &me,
            "iam:PutRolePermissionsBoundary",
            GLUE_SERVICE_ROLE,
            &[("iam:PermissionsBoundary", boundary.as_str())]
        ),
        Decision::Allowed
    );
    for (action, context) in [
        (
            "iam:PutRolePermissionsBoundary",
            vec![(
                "iam:PermissionsBoundary",
                "arn:aws:iam::123456789012:policy/wide-open",
            )],
        ),
        ("iam:DeleteRolePermissionsBoundary", vec![]),
        (
            "iam:CreateRole",
            vec![("iam:PermissionsBoundary", boundary.as_str())],
        ),
        ("iam:DeleteRole", vec![]),
    ] {
        assert_ne!(
            decide(&g, &me, action, GLUE_SERVICE_ROLE, &context),
            Decision::Allowed,
            "{action}"
        );
    }
    assert_ne!(
        decide(
            &g,
            &me,
            "iam:PutRolePolicy",
            "arn:aws:iam::123456789012:role/service-role/onemata-glue",
            &[]
        ),
        Decision::Allowed
    );
}

#[test]
fn the_provisioner_cannot_remove_or_alter_the_boundary_nor_pass_roles() {
    let t = Template::load();
    let p = identity(&t, "ProvisionerRole");
    let me = t.arn_of("ProvisionerRole");
    let boundary = t.arn_of("IntegrationBoundary");
    assert_ne!(
        decide(
            &p,
            &me,
            "iam:DeleteRolePermissionsBoundary",
            INTEGRATION_ROLE,
            &[]
        ),
        Decision::Allowed
    );
    assert_ne!(
        decide(
            &p,
            &me,
            "iam:PutRolePermissionsBoundary",
            INTEGRATION_ROLE,
            &[(
                "iam:PermissionsBoundary",
                "arn:aws:iam::123456789012:policy/wide-open"
            )]
        ),
        Decision::Allowed
    );
    for action in [
        "iam:CreatePolicyVersion",
        "iam:SetDefaultPolicyVersion",
        "iam:DeletePolicy",
        "iam:DeletePolicyVersion",
    ] {
        assert_ne!(
            decide(&p, &me, action, &boundary, &[]),
            Decision::Allowed,
            "{action} on the boundary"
        );
    }
    for role in [
        INTEGRATION_ROLE,
        "arn:aws:iam::123456789012:role/admin",
        "*",
    ] {
        assert_ne!(
            decide(&p, &me, "iam:PassRole", role, &[]),
            Decision::Allowed,
            "PassRole {role}"
        );
    }
    assert_ne!(
        decide(&p, &me, "iam:AttachRolePolicy", INTEGRATION_ROLE, &[]),
        Decision::Allowed
    );
}

#[test]
fn the_guard_cannot_change_its_own_role_or_the_provisioners() {
    let t = Template::load();
    let g = identity(&t, "GuardRole");
    let me = t.arn_of("GuardRole");
    for target in [t.arn_of("GuardRole"), t.arn_of("ProvisionerRole")] {
        for action in [
            "iam:PutRolePolicy",
            "iam:AttachRolePolicy",
            "iam:UpdateAssumeRolePolicy",
            "iam:DeleteRolePolicy",
            "iam:DeleteRolePermissionsBoundary",
            "iam:TagRole",
        ] {
            assert_ne!(
                decide(&g, &me, action, &target, &[]),
                Decision::Allowed,
                "{action} on {target}"
            );
        }
    }
    // It can restore an integration role, and put back only Rolegate's boundary.
    assert_eq!(
        decide(&g, &me, "iam:PutRolePolicy", INTEGRATION_ROLE, &[]),
        Decision::Allowed
    );
    let boundary = t.arn_of("IntegrationBoundary");
    assert_eq!(
        decide(
            &g,
            &me,
            "iam:PutRolePermissionsBoundary",
            INTEGRATION_ROLE,
            &[("iam:PermissionsBoundary", boundary.as_str())]
        ),
        Decision::Allowed
    );
    assert_ne!(
        decide(
            &g,
            &me,
            "iam:DeleteRolePermissionsBoundary",
            INTEGRATION_ROLE,
            &[]
        ),
        Decision::Allowed
    );
    assert_ne!(
        decide(&g, &me, "iam:CreateRole", INTEGRATION_ROLE, &[]),
        Decision::Allowed
    );
}

#[test]
fn an_integration_role_inside_the_boundary_cannot_administer_iam_the_organization_or_the_account() {
    let t = Template::load();
    let boundary = PolicyDocument::from_value(&t.managed_policy("IntegrationBoundary")).unwrap();
    let everything: Value = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let set = PolicySet {
        identity: vec![CompiledPolicy::compile(
            &PolicyDocument::from_value(&everything).unwrap(),
            "an inline policy granting everything",
        )],
        boundary: Some(CompiledPolicy::compile(&boundary, "IntegrationBoundary")),
        ..PolicySet::default()
    };
    for action in [
        "iam:CreateUser",
        "iam:AttachRolePolicy",
        "iam:PassRole",
        "organizations:LeaveOrganization",
        "account:EnableRegion",
        "account:DisableRegion",
        "account:PutAlternateContact",
    ] {
        assert_ne!(
            decide(&set, INTEGRATION_ROLE, action, "*", &[]),
            Decision::Allowed,
            "{action}"
        );
    }
    assert_eq!(
        decide(
            &set,
            INTEGRATION_ROLE,
            "s3:GetObject",
            "arn:aws:s3:::exports/a",
            &[]
        ),
        Decision::Allowed,
        "grants still work inside the boundary"
    );
}

#[test]
fn the_validator_may_only_assume_integration_roles() {
    let t = Template::load();
    let v = identity(&t, "ValidatorRole");
    let me = t.arn_of("ValidatorRole");
    assert_eq!(
        decide(
            &v,
            &me,
            "sts:AssumeRole",
            "arn:aws:iam::444455556666:role/integrations/atmosphere-s3",
            &[]
        ),
        Decision::Allowed
    );
    for (action, resource) in [
        (
            "sts:AssumeRole",
            "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole",
        ),
        ("iam:CreateRole", "*"),
        ("s3:GetObject", "arn:aws:s3:::any/thing"),
    ] {
        assert_ne!(
            decide(&v, &me, action, resource, &[]),
            Decision::Allowed,
            "{action} {resource}"
        );
    }
}

#[test]
fn the_validator_reaches_only_its_registry_and_its_queue_and_nobody_else_reaches_them() {
    let t = Template::load();
    let v = identity(&t, "ValidatorRole");
    let me = t.arn_of("ValidatorRole");
    let registry = t.arn_of("Registry");
    let queue = t.arn_of("ValidationQueue");
    for (action, resource) in [
        ("dynamodb:GetItem", &registry),
        ("dynamodb:PutItem", &registry),
        ("dynamodb:Scan", &registry),
        ("sqs:SendMessage", &queue),
        ("sqs:ReceiveMessage", &queue),
        ("sqs:DeleteMessage", &queue),
        ("sqs:GetQueueAttributes", &queue),
        // A removed role's record (Integration Role Removed).
        ("dynamodb:DeleteItem", &registry),
    ] {
        assert_eq!(
            decide(&v, &me, action, resource, &[]),
            Decision::Allowed,
            "{action} {resource}"
        );
    }
    let other_table = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/someone-elses");
    let dead_letters = t.arn_of("ValidationDeadLetters");
    let failed = t.arn_of("FailedInvocations");
    let integrations = "arn:aws:ssm:us-east-1:123456789012:parameter/rolegate/integrations/a/b/c";
    for (action, resource) in [
        ("dynamodb:DeleteItem", other_table.as_str()),
        ("dynamodb:UpdateItem", registry.as_str()),
        ("dynamodb:DeleteTable", registry.as_str()),
        ("dynamodb:GetItem", other_table.as_str()),
        ("dynamodb:PutItem", other_table.as_str()),
        ("sqs:PurgeQueue", queue.as_str()),
        ("sqs:SetQueueAttributes", queue.as_str()),
        ("sqs:ReceiveMessage", dead_letters.as_str()),
        ("sqs:SendMessage", dead_letters.as_str()),
        ("sqs:ReceiveMessage", failed.as_str()),
        // The SSM store before the registry is read, never written.
        ("ssm:PutParameter", integrations),
    ] {
        assert_ne!(
            decide(&v, &me, action, resource, &[]),
            Decision::Allowed,
            "{action} {resource}"
        );
    }
    for role in ["ProvisionerRole", "GuardRole"] {
        let set = identity(&t, role);
        let who = t.arn_of(role);
        for (action, resource) in [
            ("dynamodb:GetItem", &registry),
            ("dynamodb:Scan", &registry),
            ("sqs:SendMessage", &queue),
            ("sqs:ReceiveMessage", &queue),
        ] {
            assert_ne!(
                decide(&set, &who, action, resource, &[]),
                Decision::Allowed,
                "{role}: {action} {resource}"
            );
        }
    }
}

/// `set` plus the resource policy `policy` of a resource.
fn with_resource_policy(mut set: PolicySet, policy: &Value, name: &str) -> PolicySet {
    let doc = PolicyDocument::from_value(policy).expect("a valid resource policy");
    set.resource = Some(CompiledPolicy::compile(&doc, name));
    set
}

/// An identity policy allowing everything on everything: what a careless
/// or compromised administrator of another team might hold.
fn everything() -> PolicySet {
    let doc = PolicyDocument::from_value(
        &serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
    )
    .unwrap();
    PolicySet {
        identity: vec![CompiledPolicy::compile(&doc, "admin")],
        ..PolicySet::default()
    }
}

#[test]
fn only_the_provisioner_can_seal_a_role_record_and_the_guard_can_only_verify() {
    let t = Template::load();
    let key = t.arn_of("RecordKey");
    let key_policy = t.properties("RecordKey")["KeyPolicy"].clone();
    let provisioner = t.arn_of("ProvisionerRole");
    let guard = t.arn_of("GuardRole");
    let by = |set: PolicySet, principal: &str, action: &str| {
        decide(
            &with_resource_policy(set, &key_policy, "RecordKey"),
            principal,
            action,
            &key,
            &[],
        )
    };
    assert_eq!(
        by(
            identity(&t, "ProvisionerRole"),
            &provisioner,
            "kms:GenerateMac"
        ),
        Decision::Allowed
    );
    assert_eq!(
        by(identity(&t, "GuardRole"), &guard, "kms:VerifyMac"),
        Decision::Allowed
    );
    for (who, set) in [
        (guard.clone(), identity(&t, "GuardRole")),
        (guard.clone(), everything()),
        (t.arn_of("ValidatorRole"), everything()),
        (
            "arn:aws:iam::123456789012:role/admin".to_owned(),
            everything(),
        ),
        ("arn:aws:iam::123456789012:root".to_owned(), everything()),
    ] {
        assert_ne!(
            by(set, &who, "kms:GenerateMac"),
            Decision::Allowed,
            "{who} can seal a record"
        );
    }
}

#[test]
fn the_guard_cannot_write_a_role_record_it_would_accept() {
    let t = Template::load();
    let g = identity(&t, "GuardRole");
    let me = t.arn_of("GuardRole");
    let record = "arn:aws:ssm:us-east-1:123456789012:parameter/rolegate/roles/vendor-x";
    assert_eq!(
        decide(&g, &me, "ssm:GetParameter", record, &[]),
        Decision::Allowed
    );
    for action in [
        "ssm:PutParameter",
        "ssm:DeleteParameter",
        "ssm:LabelParameterVersion",
    ] {
        assert_ne!(
            decide(&g, &me, action, record, &[]),
            Decision::Allowed,
            "{action}"
        );
    }
}

#[test]
fn only_listed_principals_can_put_commands_even_with_events_star_on_star() {
    let listed = "arn:aws:iam::123456789012:role/security-team";
    let outsider = "arn:aws:iam::123456789012:role/app-deployer";
    for (t, listed_allowed) in [
        (Template::load(), false),
        (
            Template::load().with_parameter("CommandPrincipalArns", listed),
            true,
        ),
    ] {
        let bus = t.arn_of("CommandBus");
        let policy = t.properties("CommandBus")["Policy"].clone();
        let put = |who: &str| {
            decide(
                &with_resource_policy(everything(), &policy, "CommandBus"),
                who,
                "events:PutEvents",
                &bus,
                &[],
            )
        };
        assert_eq!(put(outsider), Decision::ExplicitlyDenied, "{bus}");
        assert_eq!(
            put("arn:aws:iam::123456789012:root"),
            Decision::ExplicitlyDenied
        );
        assert_eq!(put(listed) == Decision::Allowed, listed_allowed, "{bus}");
    }
}

#[test]
fn the_command_rules_wrap_commands_as_the_functions_read_them() {
    let t = Template::load();
    for function in ["GuardFunction", "ValidatorFunction"] {
        let events = &t.properties(function)["Events"];
        let rules: Vec<&Value> = events
            .as_object()
            .unwrap()
            .values()
            .filter(|e| e["Properties"]["EventBusName"] == t.arn_of("CommandBus").as_str())
            .collect();
        assert_eq!(rules.len(), 1, "{function}: one rule on the command bus");
        assert_eq!(
            rules[0]["Properties"]["InputTransformer"]["InputTemplate"],
            rolegate_policy::delivery::WRAPPED_COMMAND_TEMPLATE,
            "{function}"
        );
    }
}

// ------------------------------------------------ Custom::IntegrationPolicy

const ATC_NODE: &str = "arn:aws:iam::123456789012:role/atc-node";
const ATC_WORKER: &str = "arn:aws:iam::123456789012:role/ops/atc-worker";
const UNLISTED: &str = "arn:aws:iam::123456789012:role/admin";

/// The template as deployed with `IntegrationPolicyRoleArns` set.
fn with_policy_roles() -> Template {
    Template::load().with_parameter(
        "IntegrationPolicyRoleArns",
        &format!(
            "{ATC_NODE},{ATC_WORKER},arn:aws:iam::123456789012:role/rolegate/listed-by-mistake"
        ),
    )
}

/// The four calls a Custom::IntegrationPolicy makes on a customer's role.
const POLICY_CALLS: [&str; 4] = [
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
];

/// Calls that would change a listed role beyond its inline policies.
const NEVER_ON_A_LISTED_ROLE: [&str; 10] = [
    "iam:UpdateAssumeRolePolicy",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateRole",
    "iam:DeleteRole",
    "iam:PassRole",
];

#[test]
fn with_the_list_set_the_provisioner_writes_inline_policies_of_the_listed_roles_only() {
    let t = with_policy_roles();
    assert!(t.condition("HasIntegrationPolicyRoles"));
    let p = identity(&t, "ProvisionerRole");
    let me = t.arn_of("ProvisionerRole");
    for role in [ATC_NODE, ATC_WORKER] {
        for action in POLICY_CALLS {
            assert_eq!(
                decide(&p, &me, action, role, &[]),
                Decision::Allowed,
                "{action} on {role}"
            );
        }
        for action in NEVER_ON_A_LISTED_ROLE {
            assert_ne!(
                decide(&p, &me, action, role, &[]),
                Decision::Allowed,
                "{action} on {role}"
            );
        }
    }
    for action in ["iam:PutRolePolicy", "iam:DeleteRolePolicy"] {
        assert_ne!(
            decide(&p, &me, action, UNLISTED, &[]),
            Decision::Allowed,
            "{action} unlisted"
        );
        assert_ne!(
            decide(
                &p,
                &me,
                action,
                "arn:aws:iam::123456789012:role/rolegate/listed-by-mistake",
                &[]
            ),
            Decision::Allowed,
            "{action} on a listed role of Rolegate's own"
        );
        assert_ne!(
            decide(
                &p,
                &me,
                action,
                "arn:aws:iam::123456789012:role/atc-node-2",
                &[]
            ),
            Decision::Allowed,
            "{action}: a listed ARN is exact, never a prefix"
        );
    }
    let env = &t.properties("ProvisionerFunction")["Environment"]["Variables"];
    assert_eq!(
        env["ROLEGATE_INTEGRATION_POLICY_ROLE_ARNS"],
        format!(
            "{ATC_NODE},{ATC_WORKER},arn:aws:iam::123456789012:role/rolegate/listed-by-mistake"
        )
        .as_str(),
        "the function refuses what the list does not name"
    );
}

#[test]
fn with_the_list_set_the_guard_restores_inline_policies_of_the_listed_roles_and_cannot_remove_them()
{
    let t = with_policy_roles();
    let g = identity(&t, "GuardRole");
    let me = t.arn_of("GuardRole");
    for action in ["iam:GetRole", "iam:GetRolePolicy", "iam:PutRolePolicy"] {
        assert_eq!(
            decide(&g, &me, action, ATC_NODE, &[]),
            Decision::Allowed,
            "{action}"
        );
        assert_ne!(
            decide(&g, &me, action, UNLISTED, &[]),
            Decision::Allowed,
            "{action} unlisted"
        );
    }
    for action in NEVER_ON_A_LISTED_ROLE
        .iter()
        .chain(&["iam:DeleteRolePolicy"])
    {
        assert_ne!(
            decide(&g, &me, action, ATC_NODE, &[]),
            Decision::Allowed,
            "{action}"
        );
    }
    assert_ne!(
        decide(
            &g,
            &me,
            "iam:PutRolePolicy",
            "arn:aws:iam::123456789012:role/rolegate/listed-by-mistake",
            &[]
        ),
        Decision::Allowed
    );
    let records =
        "arn:aws:ssm:us-east-1:123456789012:parameter/rolegate/policies/atc-node_2Frolegate-X";
    assert_eq!(
        decide(&g, &me, "ssm:GetParameter", records, &[]),
        Decision::Allowed
    );
    assert_eq!(
        decide(
            &g,
            &me,
            "ssm:GetParametersByPath",
            "arn:aws:ssm:us-east-1:123456789012:parameter/rolegate/policies",
            &[]
        ),
        Decision::Allowed,
        "the sweep lists integration policy records"
    );
    assert_ne!(
        decide(&g, &me, "ssm:PutParameter", records, &[]),
        Decision::Allowed,
        "only the provisioner writes a record"
    );
}

#[test]
fn with_the_list_empty_no_function_may_write_any_roles_inline_policy_outside_the_path() {
    let t = Template::load();
    assert!(
        !t.condition("HasIntegrationPolicyRoles"),
        "the feature is off by default"
    );
    for role in ["ProvisionerRole", "GuardRole"] {
        let set = identity(&t, role);
        let me = t.arn_of(role);
        for target in [ATC_NODE, ATC_WORKER, UNLISTED] {
            for action in POLICY_CALLS {
                assert_ne!(
                    decide(&set, &me, action, target, &[]),
                    Decision::Allowed,
                    "{role}: {action} on {target}"
                );
            }
        }
    }
}

/// A role's own managed policy (what overflowed the inline quota).
const OWN_POLICY: &str = "arn:aws:iam::123456789012:policy/integrations/vendor-x-rolegate-1";
/// Policies no integration role may be given: AWS's administrator policy,
/// a customer's policy at the path not named as a role's own, and one
/// named so outside the path.
const FOREIGN_POLICIES: [&str; 4] = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::123456789012:policy/integrations/handmade",
    "arn:aws:iam::123456789012:policy/admin-rolegate-1",
    "arn:aws:iam::123456789012:policy/rolegate/vendor-x-rolegate-1",
];

#[test]
fn provisioner_and_guard_attach_only_the_roles_own_managed_policies_and_never_administrator_access()
{
    let t = Template::load();
    for function in ["ProvisionerRole", "GuardRole"] {
        let p = identity(&t, function);
        let me = t.arn_of(function);
        assert_eq!(
            decide(
                &p,
                &me,
                "iam:AttachRolePolicy",
                INTEGRATION_ROLE,
                &[("iam:PolicyARN", OWN_POLICY)]
            ),
            Decision::Allowed,
            "{function}"
        );
        for policy in FOREIGN_POLICIES {
            assert_ne!(
                decide(
                    &p,
                    &me,
                    "iam:AttachRolePolicy",
                    INTEGRATION_ROLE,
                    &[("iam:PolicyARN", policy)]
                ),
                Decision::Allowed,
                "{function} attaching {policy}"
            );
        }
        assert_ne!(
            decide(&p, &me, "iam:AttachRolePolicy", INTEGRATION_ROLE, &[]),
            Decision::Allowed,
            "{function} attaching with no iam:PolicyARN"
        );
        for role in [
            "arn:aws:iam::123456789012:role/admin",
            "arn:aws:iam::123456789012:role/rolegate/rolegate-provisioner",
        ] {
            assert_ne!(
                decide(
                    &p,
                    &me,
                    "iam:AttachRolePolicy",
                    role,
                    &[("iam:PolicyARN", OWN_POLICY)]
                ),
                Decision::Allowed,
                "{function} attaching to {role}"
            );
        }
        // Detaching stays open on integration roles: drift goes whatever it is.
        assert_eq!(
            decide(
                &p,
                &me,
                "iam:DetachRolePolicy",
                INTEGRATION_ROLE,
                &[("iam:PolicyARN", FOREIGN_POLICIES[0])]
            ),
            Decision::Allowed,
            "{function}"
        );
    }
}

#[test]
fn only_the_provisioner_deletes_managed_policies_and_both_write_only_the_roles_own_under_the_path()
{
    let t = Template::load();
    let provisioner = identity(&t, "ProvisionerRole");
    let guard = identity(&t, "GuardRole");
    let (p_me, g_me) = (t.arn_of("ProvisionerRole"), t.arn_of("GuardRole"));
    for action in [
        "iam:CreatePolicy",
        "iam:TagPolicy",
        "iam:CreatePolicyVersion",
        "iam:DeletePolicyVersion",
        "iam:ListPolicyVersions",
        "iam:ListPolicyTags",
    ] {
        for (set, me) in [(&provisioner, &p_me), (&guard, &g_me)] {
            assert_eq!(
                decide(set, me, action, OWN_POLICY, &[]),
                Decision::Allowed,
                "{me} {action}"
            );
            for policy in FOREIGN_POLICIES {
                if action.starts_with("iam:List") {
                    continue;
                }
                assert_ne!(
                    decide(set, me, action, policy, &[]),
                    Decision::Allowed,
                    "{me} {action} on {policy}"
                );
            }
        }
    }
    assert_eq!(
        decide(&provisioner, &p_me, "iam:DeletePolicy", OWN_POLICY, &[]),
        Decision::Allowed
    );
    assert_ne!(
        decide(&guard, &g_me, "iam:DeletePolicy", OWN_POLICY, &[]),
        Decision::Allowed,
        "the guard never deletes a policy"
    );
    for (set, me) in [(&provisioner, &p_me), (&guard, &g_me)] {
        for action in ["iam:SetDefaultPolicyVersion", "iam:UntagPolicy"] {
            assert_ne!(
                decide(set, me, action, OWN_POLICY, &[]),
                Decision::Allowed,
                "{me} {action}"
            );
        }
    }
}

const INTEGRATION_PROFILE: &str =
    "arn:aws:iam::123456789012:instance-profile/integrations/onemata-ec2";
/// The value IAM gives `iam:AssociatedResourceARN` when it asks
/// AddRoleToInstanceProfile's caller for PassRole
/// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_AddRoleToInstanceProfile.html).
const INSTANCE_PROFILE_CALL: [(&str, &str); 1] = [(
    "iam:AssociatedResourceARN",
    "arn:aws:ec2:*:123456789012:instance/*",
)];

#[test]
fn the_provisioner_makes_and_deletes_instance_profiles_only_under_the_path() {
    let t = Template::load();
    let p = identity(&t, "ProvisionerRole");
    let me = t.arn_of("ProvisionerRole");
    for action in [
        "iam:CreateInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:DeleteInstanceProfile",
        "iam:GetInstanceProfile",
    ] {
        assert_eq!(
            decide(&p, &me, action, INTEGRATION_PROFILE, &[]),
            Decision::Allowed,
            "{action}"
        );
        for outside in [
            "arn:aws:iam::123456789012:instance-profile/admin-ec2",
            "arn:aws:iam::123456789012:instance-profile/rolegate/x",
            "arn:aws:iam::123456789012:instance-profile/integrationsx/y",
        ] {
            // Reading a profile anywhere is how a Create sees a name clash.
            let expected = action == "iam:GetInstanceProfile";
            assert_eq!(
                decide(&p, &me, action, outside, &[]) == Decision::Allowed,
                expected,
                "{action} on {outside}"
            );
        }
    }
    assert_ne!(
        decide(
            &p,
            &me,
            "iam:UntagInstanceProfile",
            INTEGRATION_PROFILE,
            &[]
        ),
        Decision::Allowed
    );
}

#[test]
fn the_guard_restores_instance_profiles_under_the_path_and_never_deletes_one() {
    let t = Template::load();
    let g = identity(&t, "GuardRole");
    let me = t.arn_of("GuardRole");
    for action in [
        "iam:CreateInstanceProfile",
        "iam:TagInstanceProfile",
        "iam:AddRoleToInstanceProfile",
    ] {
        assert_eq!(
            decide(&g, &me, action, INTEGRATION_PROFILE, &[]),
            Decision::Allowed,
            "{action}"
        );
        assert_ne!(
            decide(
                &g,
                &me,
                action,
                "arn:aws:iam::123456789012:instance-profile/admin-ec2",
                &[]
            ),
            Decision::Allowed,
            "{action} outside the path"
        );
    }
    for profile in [
        INTEGRATION_PROFILE,
        "arn:aws:iam::123456789012:instance-profile/admin-ec2",
    ] {
        assert_ne!(
            decide(&g, &me, "iam:DeleteInstanceProfile", profile, &[]),
            Decision::Allowed,
            "{profile}"
        );
    }
}

/// IAM asks AddRoleToInstanceProfile's caller for PassRole on the role, so
/// only an integration role can go into a profile: not Rolegate's own, not
/// an administrator's. And the PassRole serves that call only, not a
/// service another call could hand an integration role to.
#[test]
fn provisioner_and_guard_pass_only_integration_roles_and_only_into_instance_profiles() {
    let t = Template::load();
    for function in ["ProvisionerRole", "GuardRole"] {
        let set = identity(&t, function);
        let me = t.arn_of(function);
        assert_eq!(
            decide(
                &set,
                &me,
                "iam:PassRole",
                INTEGRATION_ROLE,
                &INSTANCE_PROFILE_CALL
            ),
            Decision::Allowed,
            "{function}"
        );
        for role in [
            "arn:aws:iam::123456789012:role/admin",
            "arn:aws:iam::123456789012:role/rolegate/rolegate-guard",
            "arn:aws:iam::123456789012:role/integrationsx/y",
        ] {
            assert_ne!(
                decide(&set, &me, "iam:PassRole", role, &INSTANCE_PROFILE_CALL),
                Decision::Allowed,
                "{function}: PassRole {role}"
            );
        }
        // (An instance's own ARN matches the pattern too, but neither
        // function may call EC2: no RunInstances, no profile association.)
        for elsewhere in [
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:glue:us-east-1:123456789012:job/j",
        ] {
            assert_ne!(
                decide(
                    &set,
                    &me,
                    "iam:PassRole",
                    INTEGRATION_ROLE,
                    &[("iam:AssociatedResourceARN", elsewhere)]
                ),
                Decision::Allowed,
                "{function}: PassRole for {elsewhere}"
            );
        }
    }
}

#[test]
fn an_integration_role_inside_the_boundary_cannot_make_or_fill_an_instance_profile() {
    let t = Template::load();
    let boundary = PolicyDocument::from_value(&t.managed_policy("IntegrationBoundary")).unwrap();
    let everything: Value = serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
    let set = PolicySet {
        identity: vec![CompiledPolicy::compile(
            &PolicyDocument::from_value(&everything).unwrap(),
            "an inline policy granting everything",
        )],
        boundary: Some(CompiledPolicy::compile(&boundary, "IntegrationBoundary")),
        ..PolicySet::default()
    };
    for action in [
        "iam:CreateInstanceProfile",
        "iam:AddRoleToInstanceProfile",
        "iam:RemoveRoleFromInstanceProfile",
        "iam:DeleteInstanceProfile",
    ] {
        assert_ne!(
            decide(&set, INTEGRATION_ROLE, action, INTEGRATION_PROFILE, &[]),
            Decision::Allowed,
            "{action}"
        );
    }
}

// ------------------------------------------------------------------ sides
// The Side parameter (README, "Deploying each side"): a customer's account
// holds the customer side only, the vendor's the vendor side only.

/// Resources of the customer side, as written (the SAM transform's
/// resources generated from a function start with the function's id).
const CUSTOMER_SIDE: &[&str] = &[
    "IntegrationBoundary",
    "RecordKey",
    "ProvisionerRole",
    "ProvisionerLogGroup",
    "ProvisionerFunction",
    "GuardRole",
    "GuardLogGroup",
    "GuardFunction",
    "GuardIamChangesRule",
    "GuardIamChangesPermission",
    "FailedInvocationsAcceptsEventBridge",
    "GuardSecurityAlarms",
    "ProvisionerErrorsAlarm",
    "ProvisionerThrottlesAlarm",
    "GuardErrorsAlarm",
    "GuardThrottlesAlarm",
    "DriftAlarm",
];

const VENDOR_SIDE: &[&str] = &[
    "VendorBus",
    "ValidatorRole",
    "ValidatorLogGroup",
    "ValidatorFunction",
    "Registry",
    "ValidationQueue",
    "ValidationDeadLetters",
    "ValidationDeadLettersAlarm",
    "ValidatorSecurityAlarms",
    "ValidatorErrorsAlarm",
    "ValidatorThrottlesAlarm",
];

/// Used by both sides' functions: Validate commands reach the validator
/// through the command bus too, every function's failed events go to
/// FailedInvocations, and both sides' security_alarm filters feed one alarm.
const BOTH_SIDES: &[&str] = &[
    "CommandBus",
    "FailedInvocations",
    "FailedInvocationsAlarm",
    "SecurityAlarm",
];

const CUSTOMER_OUTPUTS: &[&str] = &[
    "ProvisionerServiceToken",
    "IntegrationBoundaryArn",
    "RecordKeyArn",
];
const VENDOR_OUTPUTS: &[&str] = &[
    "VendorEventBusArn",
    "RegistryTableName",
    "ValidationDeadLettersQueueUrl",
];

/// Which list a resource of the transformed template belongs to: its own
/// id, or the function it was generated from (`GuardFunctionSweep`,
/// `ValidatorFunctionValidations`, ...).
fn side_of(id: &str) -> &'static str {
    let owner = |list: &[&str]| {
        list.iter()
            .any(|own| id == *own || (own.ends_with("Function") && id.starts_with(own)))
    };
    match (owner(CUSTOMER_SIDE), owner(VENDOR_SIDE), owner(BOTH_SIDES)) {
        (true, false, false) => "customer",
        (false, true, false) => "vendor",
        (false, false, true) => "both",
        _ => panic!("{id} is in no side's list, or in several: add it to one"),
    }
}

fn assert_holds_only(side: &str) {
    let t = Template::load_transformed().with_parameter("Side", side);
    let deployed = t.deployed_ids("Resources");
    for id in &deployed {
        let of = side_of(id);
        assert!(
            of == side || of == "both",
            "Side={side} deploys {id}, a resource of the {of} side"
        );
    }
    let own = if side == "customer" {
        CUSTOMER_SIDE
    } else {
        VENDOR_SIDE
    };
    for id in own.iter().chain(BOTH_SIDES) {
        assert!(
            deployed.iter().any(|d| d == id),
            "Side={side} lacks its own {id}"
        );
    }
    let (own_outputs, others) = if side == "customer" {
        (CUSTOMER_OUTPUTS, VENDOR_OUTPUTS)
    } else {
        (VENDOR_OUTPUTS, CUSTOMER_OUTPUTS)
    };
    let outputs = t.deployed_ids("Outputs");
    for id in own_outputs {
        assert!(outputs.iter().any(|o| o == id), "Side={side} lacks {id}");
    }
    for id in others {
        assert!(
            !outputs.iter().any(|o| o == id),
            "Side={side} outputs the other side's {id}"
        );
    }
}

#[test]
fn the_customer_side_renders_no_vendor_resource_or_output() {
    assert_holds_only("customer");
}

#[test]
fn the_vendor_side_renders_no_customer_resource_or_output() {
    assert_holds_only("vendor");
}

#[test]
fn side_both_the_default_renders_every_resource_so_an_existing_stack_keeps_its_own() {
    let t = Template::load_transformed();
    let both = t.deployed_ids("Resources");
    let customer = t
        .with_parameter("Side", "customer")
        .deployed_ids("Resources");
    let t = Template::load_transformed();
    let vendor = t.with_parameter("Side", "vendor").deployed_ids("Resources");
    for id in customer.iter().chain(&vendor) {
        assert!(both.contains(id), "Side=both lacks {id}");
    }
    assert!(both.iter().any(|id| id == "ValidatorFunctionValidations"));
    assert!(both.iter().any(|id| id == "GuardFunctionSweep"));
}

/// The proofs above are made on each role's policies; the policies of a
/// role do not depend on Side, so they hold on the side that deploys it.
#[test]
fn each_sides_roles_have_the_same_policies_as_proven_with_both_sides() {
    let both = Template::load();
    for side in ["customer", "vendor"] {
        let t = Template::load().with_parameter("Side", side);
        for role in t.resources_of_type("AWS::IAM::Role") {
            assert_eq!(
                t.role_policies(&role),
                both.role_policies(&role),
                "{role} on Side={side}"
            );
        }
    }
}

#[test]
fn on_the_customer_side_no_role_may_assume_an_integration_role_or_reach_the_vendors_stores() {
    let t = Template::load().with_parameter("Side", "customer");
    let roles = t.resources_of_type("AWS::IAM::Role");
    assert_eq!(roles, ["GuardRole", "ProvisionerRole"]);
    let registry = format!("arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/rolegate-registry");
    let queue = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:rolegate-ValidationQueue");
    for role in &roles {
        let set = identity(&t, role);
        let me = t.arn_of(role);
        for (action, resource) in [
            (
                "sts:AssumeRole",
                "arn:aws:iam::444455556666:role/integrations/atmosphere-s3",
            ),
            ("sts:AssumeRole", INTEGRATION_ROLE),
            ("dynamodb:Scan", registry.as_str()),
            ("dynamodb:PutItem", registry.as_str()),
            ("sqs:SendMessage", queue.as_str()),
            ("sqs:ReceiveMessage", queue.as_str()),
        ] {
            assert_ne!(
                decide(&set, &me, action, resource, &[]),
                Decision::Allowed,
                "{role}: {action} {resource}"
            );
        }
    }
}

#[test]
fn on_the_vendor_side_no_role_may_change_an_iam_role_or_seal_a_record() {
    let t = Template::load().with_parameter("Side", "vendor");
    let roles = t.resources_of_type("AWS::IAM::Role");
    assert_eq!(roles, ["ValidatorRole"]);
    let set = identity(&t, "ValidatorRole");
    let me = t.arn_of("ValidatorRole");
    let record = format!("arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/rolegate/roles/vendor-x");
    let key = format!("arn:aws:kms:us-east-1:{ACCOUNT}:key/any");
    for (action, resource) in [
        ("iam:CreateRole", INTEGRATION_ROLE),
        ("iam:PutRolePolicy", INTEGRATION_ROLE),
        ("iam:UpdateAssumeRolePolicy", INTEGRATION_ROLE),
        ("iam:DeleteRole", INTEGRATION_ROLE),
        ("iam:PutRolePermissionsBoundary", INTEGRATION_ROLE),
        ("ssm:PutParameter", record.as_str()),
        ("ssm:GetParameter", record.as_str()),
        ("kms:GenerateMac", key.as_str()),
        ("kms:VerifyMac", key.as_str()),
    ] {
        assert_ne!(
            decide(&set, &me, action, resource, &[]),
            Decision::Allowed,
            "ValidatorRole: {action} {resource}"
        );
    }
}
