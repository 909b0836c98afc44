"""A large integration on MiniStack (issue 17, item 6): a stack whose 60
grants pass IAM's 10,240-character inline quota deploys, its overflow in
managed policies the role owns (named <role>-rolegate-<n>, at the role's
path, tagged as Rolegate's, attached), and deleting the stack leaves no
role, no managed policy and no record behind."""

from __future__ import annotations

import json

from test_seed_stacks import managed_roles, records

ROLE = "large-vendor"
PATH = "/integrations/"


def large_stack() -> str:
    grants = [{"Service": "s3", "Access": "read-write", "Bucket": f"bucket-number-{i:03d}",
               "Prefix": "some/longer/prefix/", "IncludeVersions": "true"} for i in range(60)]
    return json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"VendorRole": {"Type": "Custom::IntegrationRole", "Properties": {
            "ServiceToken": {"Fn::ImportValue": "RolegateProvisionerArn"},
            "ServiceTimeout": 120,
            "RoleName": ROLE,
            "Trust": {"Principals": ["966208727603"]},
            "Grants": grants,
        }}},
    })


def own_policies(aws) -> dict:
    """The customer managed policies named as the role's own, with tags."""
    iam = aws.client("iam")
    found = {}
    for page in iam.get_paginator("list_policies").paginate(Scope="Local", PathPrefix=PATH):
        for p in page["Policies"]:
            if p["PolicyName"].startswith(f"{ROLE}-rolegate-"):
                tags = iam.list_policy_tags(PolicyArn=p["Arn"])["Tags"]
                found[p["Arn"]] = {**p, "Tags": {t["Key"]: t["Value"] for t in tags}}
    return found


def inline_size(aws) -> int:
    """The role's inline policies as IAM counts its quota: no whitespace."""
    iam = aws.client("iam")
    total = 0
    for name in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=ROLE, PolicyName=name)["PolicyDocument"]
        total += sum(1 for c in json.dumps(doc, separators=(",", ":")) if not c.isspace())
    return total


def test_a_sixty_grant_stack_overflows_into_its_own_managed_policies_and_its_delete_leaves_nothing(
        rolegate):
    aws = rolegate.aws
    stack = aws.deploy("large", large_stack())
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("large")

    roles = managed_roles(aws)
    assert set(roles) == {ROLE}
    policies = own_policies(aws)
    assert policies, "the overflow is in managed policies"
    assert len(policies) <= 10
    attached = {a["PolicyArn"] for a in roles[ROLE]["Attached"]}
    assert attached == set(policies), (attached, set(policies))
    for arn, policy in policies.items():
        assert policy["Path"] == PATH, arn
        assert policy["Tags"].get("rolegate:managed") == "true", policy
        assert policy["Tags"].get("rolegate:logical-id") == "VendorRole", policy
    assert inline_size(aws) <= 10_240
    assert set(records(aws)) == {ROLE}

    deleted = aws.delete("large")
    assert deleted is None or deleted["StackStatus"] == "DELETE_COMPLETE", aws.failures("large")
    assert managed_roles(aws) == {}, "the role was left behind"
    assert own_policies(aws) == {}, "a managed policy was left behind"
    assert records(aws) == {}, "the record was left behind"
