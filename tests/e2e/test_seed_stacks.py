"""The four seed scenarios' customer stacks (examples/stacks/) through
MiniStack's CloudFormation engine, importing the provisioner's export:
CreateStack, an in-place UpdateStack (a parameter change), an UpdateStack
that replaces a role (a RoleName change), DeleteStack. Each step is
asserted on the stack status and on IAM and SSM themselves. Aspera's stack
is deployed once per Side (each account's half of the chain). Each seed's
verification step (assuming the roles) is test_seed_verification.py.

One MiniStack and one Rolegate serve the module: each seed's stack has its
own name and roles, and what a seed leaves behind is judged by its own role
names, so one seed's failure is not another's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from conftest import Rolegate
from local_aws import CUSTOMER, LocalAws, example_stack

RECORD_PREFIX = "/rolegate/roles/"


@dataclass
class Seed:
    name: str
    # The stack's name when it differs from the example's (one per Side).
    stack: str = ""
    create: dict = field(default_factory=dict)
    in_place: dict = field(default_factory=dict)
    # (text in the template, its replacement): a new RoleName
    rename: tuple[str, str] = ("", "")
    renamed_role: str = ""
    replaced_role: str = ""


SEEDS = [
    # One role for the four services, as seed 000's guide has it.
    Seed("atmosphere", in_place={"SampleBucket": "atmospheresamplebucket2", "Discovery": "false"},
         rename=("RoleName: atmosphere\n", "RoleName: atmosphere-v2\n"),
         replaced_role="atmosphere", renamed_role="atmosphere-v2"),
    # Created with the vendor's values (step 3 of its header); the pending
    # first step and the filling Update are test_apperate_two_steps.py.
    Seed("apperate", create={"ApperateUserArn": "arn:aws:iam::444455556666:user/apperate-integration",
                             "ApperateExternalId": "apperate-0a1b2c3d4e"},
         in_place={"Prefix": "exports-v2/"},
         rename=("RoleNamePrefix: iex-apperate\n", "RoleNamePrefix: iex-apperate-v2\n")),
    Seed("aspera", create={"Side": "s3-account", "S3AccountId": CUSTOMER,
                           "ClusterManagerAccountId": "210987654321",
                           "AsperaExternalId": "aspera-5e6f7a8b9c"},
         in_place={"TransferBucket": "aspera-transfers-v2"},
         rename=("RoleName: atc-s3-access-keys\n", "RoleName: atc-s3-access-keys-v2\n"),
         replaced_role="atc-s3-access-keys", renamed_role="atc-s3-access-keys-v2"),
    # The cluster manager account's half: atc-node, allowed to assume
    # atc-s3-access-keys in the S3 account (here another account).
    Seed("aspera", stack="aspera-cluster-manager",
         create={"Side": "cluster-manager-account", "S3AccountId": "210987654321",
                 "ClusterManagerAccountId": CUSTOMER, "AsperaExternalId": "aspera-5e6f7a8b9c"},
         in_place={"S3AccountId": "210987654322"},
         rename=("RoleName: atc-node\n", "RoleName: atc-node-v2\n"),
         replaced_role="atc-node", renamed_role="atc-node-v2"),
    Seed("onemata", in_place={"DeliveryBucket": "onemata-delivery-bucket-v2"},
         rename=("RoleName: onemata-redshift\n", "RoleName: onemata-redshift-v2\n"),
         replaced_role="onemata-redshift", renamed_role="onemata-redshift-v2"),
]


def body_of(seed: Seed, renamed: bool = False) -> str:
    text = example_stack(seed.name)
    if renamed:
        old, new = seed.rename
        assert old in text, f"{seed.name}: {old!r} not in the example stack"
        text = text.replace(old, new)
    return text


def managed_roles(aws) -> dict:
    """Every role tagged as Rolegate's, whatever its path (service roles may
    live outside RolePath, issue 17 item 4)."""
    iam = aws.client("iam")
    roles = {}
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        full = iam.get_role(RoleName=name)["Role"]
        full["Tags"] = {t["Key"]: t["Value"] for t in full.get("Tags", [])}
        if full["Tags"].get("rolegate:managed") != "true":
            continue
        full["Policies"] = iam.list_role_policies(RoleName=name)["PolicyNames"]
        full["Attached"] = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        roles[name] = full
    return roles


def records(aws) -> dict:
    ssm = aws.client("ssm")
    found = {}
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
            Path=RECORD_PREFIX, Recursive=True, WithDecryption=True):
        for p in page["Parameters"]:
            found[p["Name"][len(RECORD_PREFIX):]] = json.loads(p["Value"])
    return found


def trust_demands_external_id(role) -> bool:
    """Every statement trusting an AWS principal requires sts:ExternalId."""
    statements = role["AssumeRolePolicyDocument"]["Statement"]
    vendor = [s for s in statements if "AWS" in s.get("Principal", {})]
    return all("sts:ExternalId" in json.dumps(s.get("Condition", {})) for s in vendor)


def assert_provisioned(rolegate, stack_name: str) -> dict:
    """Every role of the stack as Rolegate promises; returns them."""
    aws = rolegate.aws
    stack_id = aws.client("cloudformation").describe_stacks(
        StackName=stack_name)["Stacks"][0]["StackId"]
    roles = {n: r for n, r in managed_roles(aws).items()
             if r["Tags"].get("rolegate:stack-id") == stack_id}
    assert roles, f"{stack_name}: no role"
    stored = records(aws)
    for name, role in roles.items():
        assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == \
            rolegate.outputs["IntegrationBoundaryArn"], name
        assert trust_demands_external_id(role), f"{name}: {role['AssumeRolePolicyDocument']}"
        assert role["Policies"], f"{name}: no inline policy"
        assert role["Attached"] == [], name
        assert role["Tags"]["rolegate:managed"] == "true", name
        assert role["Tags"]["rolegate:logical-id"], name
        assert role["Tags"]["rolegate:spec-digest"], name
        record = stored.get(name)
        assert record and set(record) == {"Body", "KeyId", "Mac"}, f"{name}: sealed record"
        body = json.loads(record["Body"])
        assert body["RoleArn"] == role["Arn"], name
        assert body["PolicyDigest"] == role["Tags"]["rolegate:spec-digest"], name
        if "ec2.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"]):
            assert instance_profiles(aws).get(name) == (role["Path"], [role["Arn"]]), \
                f"{name}: an EC2 role without its instance profile (issue 17 item 1)"
    return roles


def instance_profiles(aws) -> dict:
    """Every instance profile of the account: name -> (path, role ARNs)."""
    found = aws.client("iam").list_instance_profiles()["InstanceProfiles"]
    return {p["InstanceProfileName"]: (p["Path"], [r["Arn"] for r in p["Roles"]])
            for p in found}


def external_ids(roles: dict) -> dict:
    ids = {}
    for name, role in roles.items():
        text = json.dumps(role["AssumeRolePolicyDocument"])
        ids[name] = text.split('"sts:ExternalId": "')[1].split('"')[0] \
            if "sts:ExternalId" in text else None
    return ids


@pytest.fixture(scope="module")
def rolegate():
    """One MiniStack and one Rolegate for every seed here."""
    aws = LocalAws().start()
    try:
        yield Rolegate(aws)
    finally:
        aws.stop()


@pytest.mark.parametrize("seed", SEEDS, ids=lambda s: s.stack or s.name)
def test_a_seed_stack_creates_updates_in_place_replaces_and_deletes_its_roles(rolegate, seed):
    aws = rolegate.aws
    name = seed.stack or seed.name
    stack = aws.deploy(name, body_of(seed), seed.create)
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures(name)
    created = assert_provisioned(rolegate, name)
    ids = external_ids(created)

    # In place: a parameter change rewrites policies, never the role.
    stack = aws.deploy(name, body_of(seed), {**seed.create, **seed.in_place}, update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", aws.failures(name)
    updated = assert_provisioned(rolegate, name)
    assert {n: r["Arn"] for n, r in updated.items()} == \
        {n: r["Arn"] for n, r in created.items()}, "an in-place update replaced a role"
    assert external_ids(updated) == ids, "an in-place update changed an ExternalId"
    assert any(updated[n]["Tags"]["rolegate:spec-digest"] != r["Tags"]["rolegate:spec-digest"]
               for n, r in created.items()), "the parameter change reached no role's spec"

    # A new RoleName replaces the role; the old one is deleted by the engine.
    stack = aws.deploy(name, body_of(seed, renamed=True),
                       {**seed.create, **seed.in_place}, update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", aws.failures(name)
    replaced = assert_provisioned(rolegate, name)
    assert len(replaced) == len(created)
    if seed.replaced_role:
        assert seed.replaced_role not in replaced and seed.renamed_role in replaced
        assert seed.replaced_role not in records(aws)
        assert seed.replaced_role not in instance_profiles(aws), "the old role's profile stayed"
        # The vendor's stored ExternalId keeps working after a replacement.
        assert external_ids(replaced)[seed.renamed_role] == ids[seed.replaced_role]
    else:
        assert set(replaced) != set(created)

    deleted = aws.delete(name)
    assert deleted is None or deleted["StackStatus"] == "DELETE_COMPLETE", deleted
    ours = set(created) | set(updated) | set(replaced)
    assert not ours & set(managed_roles(aws)), "roles left after DeleteStack"
    assert not ours & set(records(aws)), "records left after DeleteStack"
    assert not ours & set(instance_profiles(aws)), "instance profiles left after DeleteStack"
