//! The reconcile engine's pure half: plans for create and delete, and the
//! diff that decides what an update or a restore must change.

#![allow(clippy::expect_used)]

use std::collections::BTreeMap;

use rolegate_policy::reconcile::{
    InstanceProfileTaken, LiveInstanceProfile, LiveRole, Operation, Owner, Quarantine,
    check_instance_profile, diff, external_id_of, instance_profile_tags, plan_create, plan_delete,
    quarantine, with_ownership, with_quarantine,
};
use rolegate_policy::tags;
use rolegate_policy::{
    BuildContext, DesiredRole, IntegrationSpec, PolicyDocument, Timestamp, build,
};

const SPEC: &str = r#"{
  "RoleName": "atmosphere",
  "Trust": { "Principals": ["966208727603"] },
  "ExternalId": "atmosphere-7Qm2xV9pLk",
  "Description": "Atmosphere reads exports",
  "Grants": [
    { "Service": "s3", "Access": "read", "Bucket": "exports" },
    { "Service": "sqs", "Access": "send", "QueueArn": "arn:aws:sqs:us-east-1:111122223333:jobs" }
  ],
  "Tags": [ { "Key": "vendor", "Value": "atmosphere" } ]
}"#;

fn owner() -> Owner {
    Owner {
        stack_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1".into(),
        logical_id: "AtmosphereRole".into(),
    }
}

fn desired() -> DesiredRole {
    let spec = IntegrationSpec::from_json(SPEC).expect("the test spec parses");
    let role = build(&spec, &BuildContext::new("111122223333", "us-east-1")).expect("it builds");
    with_ownership(role, &owner())
}

/// The live role IAM would hold right after creating `desired`, with every
/// document spelled differently (pretty-printed, statements reversed), as
/// IAM's own rewriting may do.
fn live_of(desired: &DesiredRole) -> LiveRole {
    let respell = |doc: &PolicyDocument| {
        let mut statements = doc.statements().to_vec();
        statements.reverse();
        PolicyDocument::parse(&PolicyDocument::new(statements).to_json_pretty())
            .expect("a built document reparses")
    };
    let mut live = LiveRole::as_created(
        "atmosphere",
        "arn:aws:iam::111122223333:role/integrations/atmosphere",
        desired,
    );
    live.trust_policy = Some(respell(&desired.trust_policy));
    for doc in live.inline_policies.values_mut() {
        *doc = doc.as_ref().map(respell);
    }
    live
}

fn api_names(ops: &[Operation]) -> Vec<&'static str> {
    ops.iter().map(Operation::api_name).collect()
}

#[test]
fn create_is_one_create_role_then_every_policy_in_one_concurrent_stage() {
    let role = desired();
    let plan = plan_create("atmosphere", &role);
    assert_eq!(plan.depth(), 2);
    assert_eq!(api_names(&plan.stages[0]), ["CreateRole"]);
    assert_eq!(
        api_names(&plan.stages[1]),
        ["PutRolePolicy", "PutRolePolicy"]
    );
    assert_eq!(plan.write_calls(), 1 + role.inline_policies.len());
}

#[test]
fn an_unchanged_role_spelled_differently_needs_no_operation() {
    let role = desired();
    let d = diff(&live_of(&role), &role);
    assert!(d.is_empty(), "{:?}", d.operations);
    let plan = d.into_plan("atmosphere");
    assert!(plan.is_empty());
    assert_eq!(plan.write_calls(), 0);
    assert_eq!(plan.depth(), 0);
}

#[test]
fn a_changed_trust_policy_is_one_update_assume_role_policy() {
    let role = desired();
    let mut live = live_of(&role);
    live.trust_policy = Some(PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#).unwrap());
    let d = diff(&live, &role);
    assert_eq!(api_names(&d.operations), ["UpdateAssumeRolePolicy"]);
}

#[test]
fn an_unreadable_live_document_is_overwritten() {
    let role = desired();
    let mut live = live_of(&role);
    live.trust_policy = None;
    let name = role.inline_policies.keys().next().unwrap().clone();
    live.inline_policies.insert(name, None);
    let d = diff(&live, &role);
    assert_eq!(
        api_names(&d.operations),
        ["UpdateAssumeRolePolicy", "PutRolePolicy"]
    );
}

#[test]
fn policies_are_added_changed_and_removed_by_name() {
    let role = desired();
    let mut live = live_of(&role);
    let names: Vec<String> = role.inline_policies.keys().cloned().collect();
    live.inline_policies.remove(&names[0]);
    live.inline_policies.insert(
        names[1].clone(),
        Some(PolicyDocument::parse(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}"#).unwrap()),
    );
    live.inline_policies.insert("handmade".into(), None);
    let d = diff(&live, &role);
    assert_eq!(
        d.operations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        [
            format!("PutRolePolicy {}", names[0]),
            format!("PutRolePolicy {}", names[1]),
            "DeleteRolePolicy handmade".to_owned(),
        ]
    );
}

#[test]
fn description_and_session_length_change_in_one_update_role() {
    let role = desired();
    let mut live = live_of(&role);
    live.description = None;
    live.max_session_duration = 7200;
    let d = diff(&live, &role);
    assert_eq!(
        d.operations,
        [Operation::UpdateRole {
            description: "Atmosphere reads exports".into(),
            max_session_duration: role.max_session_duration,
        }]
    );
}

#[test]
fn a_boundary_is_put_when_added_or_changed_and_deleted_when_dropped() {
    let mut role = desired();
    let mut live = live_of(&role);
    live.permissions_boundary_arn = Some("arn:aws:iam::111122223333:policy/old".into());
    assert_eq!(
        api_names(&diff(&live, &role).operations),
        ["DeleteRolePermissionsBoundary"]
    );
    role.permissions_boundary_arn = Some("arn:aws:iam::111122223333:policy/new".into());
    assert_eq!(
        diff(&live, &role).operations,
        [Operation::PutRolePermissionsBoundary {
            arn: "arn:aws:iam::111122223333:policy/new".into()
        }]
    );
}

#[test]
fn attached_managed_policies_are_drift_and_detached() {
    let role = desired();
    let mut live = live_of(&role);
    live.attached_policy_arns = vec!["arn:aws:iam::aws:policy/AdministratorAccess".into()];
    assert_eq!(
        diff(&live, &role).operations,
        [Operation::DetachRolePolicy {
            arn: "arn:aws:iam::aws:policy/AdministratorAccess".into()
        }]
    );
}

#[test]
fn an_instance_profile_holding_the_role_is_drift_and_removed() {
    let role = desired();
    let mut live = live_of(&role);
    live.instance_profiles = vec![LiveInstanceProfile::holding("attacker-ec2", "/")];
    assert_eq!(
        diff(&live, &role).operations,
        [Operation::RemoveRoleFromInstanceProfile {
            instance_profile: "attacker-ec2".into()
        }]
    );
}

#[test]
fn a_quarantined_role_must_carry_the_deny_all_and_session_revocation() {
    let role = desired();
    let live = live_of(&role);
    let now = Timestamp::parse("2026-11-23T10:00:00Z").expect("a timestamp");
    let quarantine = Quarantine::new(&now, "offboarded");
    let quarantined = with_quarantine(role.clone(), Some(&quarantine), &now);
    let ops = diff(&live, &quarantined).operations;
    let names: Vec<_> = ops
        .iter()
        .map(|op| match op {
            Operation::PutRolePolicy { name, .. } => name.as_str(),
            other => other.api_name(),
        })
        .collect();
    assert_eq!(
        names,
        [
            quarantine::DENY_ALL_POLICY,
            quarantine::REVOKE_SESSIONS_POLICY,
            "TagRole"
        ]
    );
    // Lifting it removes the deny-all but keeps old sessions revoked, and
    // the role's quarantine tag says when it was lifted.
    let mut lifted = quarantine.clone();
    lifted.lifted = Some(now.to_string());
    let restored = with_quarantine(role, Some(&lifted), &now);
    let mut live = live_of(&quarantined);
    live.inline_policies = quarantined
        .inline_policies
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    assert_eq!(
        diff(&live, &restored).operations,
        [
            Operation::DeleteRolePolicy {
                name: quarantine::DENY_ALL_POLICY.into()
            },
            Operation::TagRole {
                tags: [(tags::QUARANTINE.to_owned(), format!("{now} lifted {now}"))].into()
            }
        ]
    );
}

#[test]
fn tags_are_set_when_changed_and_removed_when_foreign_but_aws_tags_stay() {
    let role = desired();
    let mut live = live_of(&role);
    live.tags.insert("vendor".into(), "someone-else".into());
    live.tags.insert("added-by-hand".into(), "x".into());
    live.tags
        .insert("aws:cloudformation:stack-name".into(), "s".into());
    let d = diff(&live, &role);
    assert_eq!(
        d.operations,
        [
            Operation::TagRole {
                tags: BTreeMap::from([("vendor".into(), "atmosphere".into())])
            },
            Operation::UntagRole {
                keys: vec!["added-by-hand".into()]
            },
        ]
    );
}

#[test]
fn delete_empties_the_role_before_deleting_it() {
    let role = desired();
    let mut live = live_of(&role);
    live.attached_policy_arns = vec!["arn:aws:iam::aws:policy/ReadOnlyAccess".into()];
    live.instance_profiles = vec![LiveInstanceProfile::holding("profile", "/")];
    let plan = plan_delete(&live);
    assert_eq!(plan.depth(), 2);
    assert_eq!(
        api_names(&plan.stages[0]),
        [
            "DeleteRolePolicy",
            "DeleteRolePolicy",
            "DetachRolePolicy",
            "RemoveRoleFromInstanceProfile"
        ]
    );
    assert_eq!(api_names(&plan.stages[1]), ["DeleteRole"]);
}

#[test]
fn ownership_tags_name_the_stack_the_resource_and_the_digest() {
    let spec = IntegrationSpec::from_json(SPEC).unwrap();
    let bare = build(&spec, &BuildContext::new("111122223333", "us-east-1")).unwrap();
    let owned = with_ownership(bare.clone(), &owner());
    assert_eq!(owned.tags[tags::STACK_ID], owner().stack_id);
    assert_eq!(owned.tags[tags::LOGICAL_ID], "AtmosphereRole");
    assert_eq!(owned.tags[tags::SPEC_DIGEST], bare.digest());
    assert!(owner().owns(&owned.tags));
}

#[test]
fn a_role_of_another_stack_or_resource_or_untagged_is_not_owned() {
    let tags = desired().tags;
    let other_stack = Owner {
        stack_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/other/2".into(),
        ..owner()
    };
    let other_resource = Owner {
        logical_id: "OtherRole".into(),
        ..owner()
    };
    assert!(!other_stack.owns(&tags));
    assert!(!other_resource.owns(&tags));
    assert!(!owner().owns(&BTreeMap::new()));
    let mut unmanaged = tags.clone();
    unmanaged.remove("rolegate:managed");
    assert!(!owner().owns(&unmanaged));
}

#[test]
fn the_external_id_is_read_back_from_a_built_trust_policy() {
    assert_eq!(
        external_id_of(&desired().trust_policy).as_deref(),
        Some("atmosphere-7Qm2xV9pLk")
    );
}

/// A spec of `n` S3 grants, each with a prefix and versions: about 480
/// non-whitespace characters of policy apiece, so 60 of them are nearly
/// three times IAM's 10,240-character inline quota.
fn many_grants(n: usize, reversed: bool) -> IntegrationSpec {
    let mut grants: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({"Service": "s3", "Access": "read-write", "Bucket": format!("bucket-number-{i:03}"),
                "Prefix": "some/longer/prefix/", "IncludeVersions": "true"})
        })
        .collect();
    if reversed {
        grants.reverse();
    }
    IntegrationSpec::from_properties(&serde_json::json!({
        "RoleName": "large-vendor",
        "Path": "/integrations/",
        "Trust": {"Principals": ["966208727603"]},
        "ExternalId": "large-vendor-external-id",
        "Grants": grants,
    }))
    .expect("the many-grant spec parses")
}

#[test]
fn sixty_grants_overflow_into_managed_policies_within_every_quota_and_still_prove() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let spec = many_grants(60, false);
    let role = build(&spec, &ctx).expect("60 grants fit inline and managed");
    let inline: usize = role
        .inline_policies
        .values()
        .map(PolicyDocument::size)
        .sum();
    assert!(inline <= 10_240, "inline total {inline}");
    assert!(!role.managed_policies.is_empty());
    assert!(role.managed_policies.len() <= 10);
    for (suffix, doc) in &role.managed_policies {
        assert!(suffix.starts_with("rolegate-"), "{suffix}");
        assert!(doc.size() <= 6_144, "{suffix} is {}", doc.size());
    }
    let proof = rolegate_policy::proof::prove_desired(&spec, &ctx, &role);
    assert!(proof.holds(), "{:?}", proof.findings);
    // The pipeline's last step, which refuses a role that fails the proof.
    let (tagged, _) = rolegate_policy::reconcile::desired_role(&spec, &ctx, &owner())
        .expect("the overflowing role is built, proven and tagged");
    assert_eq!(tagged.managed_policies, role.managed_policies);
}

#[test]
fn reordering_grants_renames_and_moves_no_policy() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let forward = build(&many_grants(60, false), &ctx).expect("builds");
    let backward = build(&many_grants(60, true), &ctx).expect("builds");
    assert_eq!(forward.inline_policies, backward.inline_policies);
    assert_eq!(forward.managed_policies, backward.managed_policies);
    assert_eq!(forward.digest(), backward.digest());
}

#[test]
fn more_grants_than_inline_and_ten_managed_policies_hold_fail_naming_grants() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let err = build(&many_grants(200, false), &ctx).expect_err("200 grants do not fit");
    assert_eq!(err.code(), "MANAGED_POLICIES_PER_ROLE");
    assert!(err.to_string().starts_with("Grants: "), "{err}");
}

#[test]
fn four_hundred_outbound_role_arns_fail_naming_outbound_assume_role_arns() {
    let arns: Vec<String> = (0..400)
        .map(|i| format!("arn:aws:iam::444455556666:role/vendor-worker-{i:03}"))
        .collect();
    let spec = IntegrationSpec::from_properties(&serde_json::json!({
        "RoleName": "chain",
        "Trust": {"Principals": ["966208727603"]},
        "ExternalId": "chain-external-id",
        "OutboundAssumeRoleArns": arns,
    }))
    .expect("the spec parses");
    let err = build(&spec, &BuildContext::new("111122223333", "us-east-1"))
        .expect_err("one 400-role policy fits no quota");
    assert_eq!(err.code(), "INLINE_POLICIES_TOO_LARGE");
    assert!(
        err.to_string().starts_with("OutboundAssumeRoleArns: "),
        "{err}"
    );
}

/// Onemata's EC2 role (seed 002): EC2 assumes it, so it needs an instance
/// profile to reach an instance.
const EC2_SPEC: &str = r#"{
  "RoleName": "onemata-ec2",
  "Trust": { "Service": "ec2" },
  "OutboundAssumeRoleArns": ["arn:aws:iam::999988887777:role/onemata-delivery-access"]
}"#;

fn ec2_desired() -> DesiredRole {
    let spec = IntegrationSpec::from_json(EC2_SPEC).expect("the EC2 spec parses");
    let role = build(&spec, &BuildContext::new("111122223333", "us-east-1")).expect("it builds");
    with_ownership(role, &owner())
}

fn ec2_live(role: &DesiredRole) -> LiveRole {
    LiveRole::as_created(
        "onemata-ec2",
        "arn:aws:iam::111122223333:role/integrations/onemata-ec2",
        role,
    )
}

#[test]
fn only_a_role_ec2_assumes_has_an_instance_profile() {
    assert!(ec2_desired().instance_profile);
    assert!(!desired().instance_profile);
    // The profile follows from the trust, which the digest covers, so the
    // digest leaves it out: a role made before profiles existed keeps the
    // digest its sealed record holds, and the guard only adds the profile.
    let mut without = ec2_desired();
    without.instance_profile = false;
    assert_eq!(without.digest(), ec2_desired().digest());
}

#[test]
fn creating_an_ec2_role_makes_its_instance_profile_of_the_same_name_and_path_tagged_as_rolegates() {
    let role = ec2_desired();
    let plan = plan_create("onemata-ec2", &role);
    assert_eq!(plan.depth(), 3);
    assert_eq!(api_names(&plan.stages[0]), ["CreateRole"]);
    assert_eq!(
        api_names(&plan.stages[1]),
        ["PutRolePolicy", "CreateInstanceProfile"]
    );
    assert_eq!(
        plan.stages[1][1],
        Operation::CreateInstanceProfile {
            name: "onemata-ec2".into(),
            path: "/integrations/".into(),
            tags: BTreeMap::from([
                (tags::LOGICAL_ID.to_owned(), "AtmosphereRole".to_owned()),
                (tags::MANAGED.to_owned(), "true".to_owned()),
                (tags::STACK_ID.to_owned(), owner().stack_id),
            ]),
        }
    );
    assert_eq!(
        plan.stages[2],
        [Operation::AddRoleToInstanceProfile {
            instance_profile: "onemata-ec2".into()
        }]
    );
    // Nothing is left to do once it is made.
    let live = ec2_live(&role);
    assert!(diff(&live, &role).is_empty(), "{:?}", diff(&live, &role));
}

#[test]
fn a_role_not_assumed_by_ec2_is_created_without_an_instance_profile() {
    let plan = plan_create("atmosphere", &desired());
    assert!(
        plan.operations()
            .all(|op| !op.api_name().contains("InstanceProfile")),
        "{plan:?}"
    );
}

#[test]
fn a_deleted_own_instance_profile_is_made_again_then_given_the_role() {
    let role = ec2_desired();
    let mut live = ec2_live(&role);
    live.instance_profiles.clear();
    let plan = diff(&live, &role).into_plan("onemata-ec2");
    assert_eq!(plan.depth(), 2);
    assert_eq!(api_names(&plan.stages[0]), ["CreateInstanceProfile"]);
    assert_eq!(api_names(&plan.stages[1]), ["AddRoleToInstanceProfile"]);
}

#[test]
fn a_role_taken_out_of_its_own_instance_profile_is_put_back_in_one_stage() {
    let role = ec2_desired();
    let mut live = ec2_live(&role);
    live.instance_profiles[0].holds_role = false;
    let plan = diff(&live, &role).into_plan("onemata-ec2");
    assert_eq!(
        plan.stages,
        [[Operation::AddRoleToInstanceProfile {
            instance_profile: "onemata-ec2".into()
        }]]
    );
}

#[test]
fn a_foreign_instance_profile_holding_an_ec2_role_is_drift_and_emptied_but_its_own_stays() {
    let role = ec2_desired();
    let mut live = ec2_live(&role);
    live.instance_profiles
        .push(LiveInstanceProfile::holding("fleet-profile", "/"));
    assert_eq!(
        diff(&live, &role).operations,
        [Operation::RemoveRoleFromInstanceProfile {
            instance_profile: "fleet-profile".into()
        }]
    );
}

#[test]
fn a_same_named_profile_without_rolegates_tags_is_foreign_emptied_and_never_filled() {
    let role = ec2_desired();
    let mut live = ec2_live(&role);
    live.instance_profiles[0].tags = BTreeMap::from([("team".into(), "ops".into())]);
    assert_eq!(
        diff(&live, &role).operations,
        [Operation::RemoveRoleFromInstanceProfile {
            instance_profile: "onemata-ec2".into()
        }]
    );
    // Another stack resource's tags are not this one's either.
    let mut other = instance_profile_tags(&role.tags);
    other.insert(tags::LOGICAL_ID.into(), "OtherRole".into());
    live.instance_profiles[0].tags = other;
    live.instance_profiles[0].holds_role = false;
    assert!(diff(&live, &role).is_empty());
}

#[test]
fn a_role_no_longer_assumed_by_ec2_leaves_its_instance_profile_which_delete_removes() {
    let role = ec2_desired();
    let live = ec2_live(&role);
    let mut glue = role.clone();
    glue.instance_profile = false;
    assert_eq!(
        diff(&live, &glue).operations,
        [Operation::RemoveRoleFromInstanceProfile {
            instance_profile: "onemata-ec2".into()
        }]
    );
    // The emptied profile is still Rolegate's, and goes with the role.
    let mut emptied = live.clone();
    emptied.instance_profiles[0].holds_role = false;
    let plan = plan_delete(&emptied);
    assert_eq!(api_names(&plan.stages[0]), ["DeleteRolePolicy"]);
    assert_eq!(
        api_names(&plan.stages[1]),
        ["DeleteInstanceProfile", "DeleteRole"]
    );
}

#[test]
fn delete_empties_every_profile_and_deletes_only_rolegates_own() {
    let role = ec2_desired();
    let mut live = ec2_live(&role);
    live.instance_profiles
        .push(LiveInstanceProfile::holding("fleet-profile", "/"));
    let plan = plan_delete(&live);
    assert_eq!(plan.depth(), 2);
    assert_eq!(
        plan.stages[0],
        [
            Operation::DeleteRolePolicy {
                name: "rolegate-outbound-assume-role".into()
            },
            Operation::RemoveRoleFromInstanceProfile {
                instance_profile: "onemata-ec2".into()
            },
            Operation::RemoveRoleFromInstanceProfile {
                instance_profile: "fleet-profile".into()
            },
        ]
    );
    assert_eq!(
        plan.stages[1],
        [
            Operation::DeleteInstanceProfile {
                instance_profile: "onemata-ec2".into()
            },
            Operation::DeleteRole
        ]
    );
}

#[test]
fn a_create_refuses_an_instance_profile_of_the_roles_name_that_is_not_its_own() {
    let role = ec2_desired();
    let customers = LiveInstanceProfile {
        holds_role: false,
        ..LiveInstanceProfile::holding("onemata-ec2", "/integrations/")
    };
    let refused = check_instance_profile("onemata-ec2", &role, Some(&customers), &owner());
    let Err(e) = refused else {
        panic!("a customer's profile was accepted")
    };
    assert_eq!(
        e,
        InstanceProfileTaken {
            name: "onemata-ec2".into(),
            logical_id: "AtmosphereRole".into()
        }
    );
    assert_eq!(e.code(), "INSTANCE_PROFILE_TAKEN");
    assert!(e.to_string().starts_with("RoleName: "), "{e}");
    // Its own earlier attempt's profile, or none, is fine; and a role EC2
    // does not assume needs no profile at all.
    let own = LiveInstanceProfile {
        tags: instance_profile_tags(&role.tags),
        ..customers.clone()
    };
    assert_eq!(
        check_instance_profile("onemata-ec2", &role, Some(&own), &owner()),
        Ok(())
    );
    assert_eq!(
        check_instance_profile("onemata-ec2", &role, None, &owner()),
        Ok(())
    );
    assert_eq!(
        check_instance_profile("onemata-ec2", &desired(), Some(&customers), &owner()),
        Ok(())
    );
}

/// The 60-grant role, owned, and the live role IAM holds right after
/// creating it (its managed policies made, attached, at version v1).
fn overflowing() -> (DesiredRole, LiveRole) {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let role = with_ownership(
        build(&many_grants(60, false), &ctx).expect("builds"),
        &owner(),
    );
    let live = LiveRole::as_created(
        "large-vendor",
        "arn:aws:iam::111122223333:role/integrations/large-vendor",
        &role,
    );
    (role, live)
}

const FIRST_POLICY_ARN: &str =
    "arn:aws:iam::111122223333:policy/integrations/large-vendor-rolegate-1";

#[test]
fn creating_an_overflowing_role_makes_its_managed_policies_tagged_at_its_path_then_attaches_them() {
    let (role, _) = overflowing();
    let plan = plan_create("large-vendor", &role);
    assert_eq!(plan.depth(), 3);
    assert_eq!(api_names(&plan.stages[0]), ["CreateRole"]);
    let creates: Vec<&Operation> = plan.stages[1]
        .iter()
        .filter(|op| matches!(op, Operation::CreatePolicy { .. }))
        .collect();
    assert_eq!(creates.len(), role.managed_policies.len());
    let Some(Operation::CreatePolicy {
        name,
        path,
        arn,
        tags: policy_tags,
        ..
    }) = creates.first()
    else {
        panic!("no CreatePolicy in {plan:?}")
    };
    assert_eq!(name, "large-vendor-rolegate-1");
    assert_eq!(path, "/integrations/");
    assert_eq!(arn, FIRST_POLICY_ARN);
    assert_eq!(
        policy_tags.get(tags::MANAGED).map(String::as_str),
        Some("true")
    );
    assert_eq!(policy_tags.get(tags::STACK_ID), Some(&owner().stack_id));
    assert_eq!(policy_tags.get(tags::LOGICAL_ID), Some(&owner().logical_id));
    assert_eq!(
        plan.stages[2],
        role.managed_policies
            .keys()
            .map(|s| Operation::AttachRolePolicy {
                arn: role.managed_policy_arn("large-vendor", s)
            })
            .collect::<Vec<_>>()
    );
    assert_eq!(
        plan.write_calls(),
        1 + role.inline_policies.len() + 2 * role.managed_policies.len()
    );
}

#[test]
fn an_overflowing_role_as_created_needs_no_operation() {
    let (role, live) = overflowing();
    assert!(diff(&live, &role).is_empty(), "{:?}", diff(&live, &role));
}

#[test]
fn a_detached_rolegate_policy_is_attached_again_and_nothing_else() {
    let (role, mut live) = overflowing();
    live.attached_policy_arns.retain(|a| a != FIRST_POLICY_ARN);
    let plan = diff(&live, &role).into_plan("large-vendor");
    assert_eq!(
        plan.stages,
        [vec![Operation::AttachRolePolicy {
            arn: FIRST_POLICY_ARN.into()
        }]]
    );
}

#[test]
fn an_edited_rolegate_policy_gets_a_new_default_version_making_room_when_five_exist() {
    let (role, mut live) = overflowing();
    let tampered = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .expect("parses");
    let own = live
        .managed_policies
        .get_mut("rolegate-1")
        .expect("the role's first managed policy");
    own.document = Some(tampered);
    own.versions = vec!["v2".into()];
    own.default_version = "v2".into();
    let plan = diff(&live, &role).into_plan("large-vendor");
    assert_eq!(api_names(&plan.stages.concat()), ["CreatePolicyVersion"]);

    let own = live
        .managed_policies
        .get_mut("rolegate-1")
        .expect("still there");
    own.versions = ["v3", "v4", "v5", "v6", "v7"].map(String::from).to_vec();
    own.default_version = "v7".into();
    let plan = diff(&live, &role).into_plan("large-vendor");
    assert_eq!(
        plan.stages[0],
        [Operation::DeletePolicyVersion {
            arn: FIRST_POLICY_ARN.into(),
            version_id: "v3".into()
        }]
    );
    assert_eq!(api_names(&plan.stages[1]), ["CreatePolicyVersion"]);
}

#[test]
fn a_deleted_rolegate_policy_is_made_again_then_attached() {
    let (role, mut live) = overflowing();
    live.managed_policies.remove("rolegate-1");
    live.attached_policy_arns.retain(|a| a != FIRST_POLICY_ARN);
    let plan = diff(&live, &role).into_plan("large-vendor");
    assert_eq!(api_names(&plan.stages[0]), ["CreatePolicy"]);
    assert_eq!(
        plan.stages[1],
        [Operation::AttachRolePolicy {
            arn: FIRST_POLICY_ARN.into()
        }]
    );
}

#[test]
fn a_foreign_policy_attached_beside_the_rolegate_ones_is_detached_alone() {
    let (role, mut live) = overflowing();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    live.attached_policy_arns.push(admin.into());
    // A same-named policy without Rolegate's tags is someone else's too.
    let own = live.managed_policies.get_mut("rolegate-1").expect("there");
    own.tags.clear();
    let ops = diff(&live, &role).operations;
    assert!(ops.contains(&Operation::DetachRolePolicy { arn: admin.into() }));
    assert!(ops.contains(&Operation::DetachRolePolicy {
        arn: FIRST_POLICY_ARN.into()
    }));
    // Never adopted: CreatePolicy on its name, which IAM refuses.
    assert!(
        ops.iter()
            .any(|op| matches!(op, Operation::CreatePolicy { arn, .. } if arn == FIRST_POLICY_ARN))
    );
    assert!(
        !ops.iter()
            .any(|op| matches!(op, Operation::DeletePolicy { .. }))
    );
}

#[test]
fn a_spec_that_shrinks_back_inline_detaches_its_managed_policies_and_keeps_them_for_reuse() {
    let (_, live) = overflowing();
    let role = with_ownership(
        build(
            &many_grants(5, false),
            &BuildContext::new("111122223333", "us-east-1"),
        )
        .expect("builds"),
        &owner(),
    );
    assert!(role.managed_policies.is_empty());
    let ops = diff(&live, &role).operations;
    let detached: Vec<&Operation> = ops
        .iter()
        .filter(|op| matches!(op, Operation::DetachRolePolicy { .. }))
        .collect();
    assert_eq!(detached.len(), live.managed_policies.len());
    // The guard runs this diff too: it never deletes a policy.
    assert!(!ops.iter().any(|op| matches!(
        op,
        Operation::DeletePolicy { .. } | Operation::DeletePolicyVersion { .. }
    )));
    // Grown back, the detached policy is attached again, not made anew.
    let (grown, mut after) = overflowing();
    after.attached_policy_arns.clear();
    let ops = diff(&after, &grown).operations;
    assert!(
        ops.iter()
            .all(|op| matches!(op, Operation::AttachRolePolicy { .. }))
    );
    assert_eq!(ops.len(), grown.managed_policies.len());
}

#[test]
fn delete_removes_the_rolegate_policies_and_only_detaches_anyone_elses() {
    let (_, mut live) = overflowing();
    let foreign = "arn:aws:iam::111122223333:policy/integrations/handmade";
    live.attached_policy_arns.push(foreign.into());
    let own = live.managed_policies.get_mut("rolegate-1").expect("there");
    own.versions.push("v2".into());
    let plan = plan_delete(&live);
    assert!(plan.stages[0].contains(&Operation::DeletePolicyVersion {
        arn: FIRST_POLICY_ARN.into(),
        version_id: "v2".into()
    }));
    assert_eq!(plan.depth(), 2);
    assert!(plan.stages[0].contains(&Operation::DetachRolePolicy {
        arn: foreign.into()
    }));
    assert!(plan.stages[0].contains(&Operation::DetachRolePolicy {
        arn: FIRST_POLICY_ARN.into()
    }));
    let deleted: Vec<&str> = plan.stages[1]
        .iter()
        .filter_map(|op| match op {
            Operation::DeletePolicy { arn } => Some(arn.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(deleted.len(), live.managed_policies.len());
    assert!(!deleted.contains(&foreign));
    assert_eq!(plan.stages[1].last(), Some(&Operation::DeleteRole));
}

#[test]
fn a_quarantine_still_fits_the_inline_quota_of_a_role_that_overflows() {
    let (role, _) = overflowing();
    let now = Timestamp::from_epoch_seconds(1_900_000_000);
    let quarantine = Quarantine::new(&now, "a reason the guard gave");
    let reserve: usize = quarantine
        .policies(&now)
        .iter()
        .map(|(_, doc)| doc.size())
        .sum();
    assert!(
        reserve <= rolegate_policy::build::managed::QUARANTINE_RESERVE,
        "the quarantine's policies are {reserve} characters"
    );
    let quarantined = with_quarantine(role, Some(&quarantine), &now);
    let inline: usize = quarantined
        .inline_policies
        .values()
        .map(PolicyDocument::size)
        .sum();
    assert!(inline <= 10_240, "quarantined inline total {inline}");
}
