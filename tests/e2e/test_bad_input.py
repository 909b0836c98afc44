"""Bad customer stacks through MiniStack's CloudFormation engine: each must
fail the stack with a Reason that names the property, leave no role and no
record behind (without any Delete: an engine sends none after a FAILED
Create), and leave the next CreateStack of a corrected template working."""

from __future__ import annotations

import copy
import json

import pytest

from local_aws import CUSTOMER
from test_seed_stacks import managed_roles, records

ROLE = "bad-input-role"
GOOD = {
    "ServiceToken": {"Fn::ImportValue": "RolegateProvisionerArn"},
    "ServiceTimeout": 60,
    "RoleName": ROLE,
    "Trust": {"Principals": ["966208727603"]},
    "Grants": [{"Service": "s3", "Access": "read", "Bucket": "bad-input-exports"}],
}


def stack_body(properties: dict) -> str:
    return json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"VendorRole": {"Type": "Custom::IntegrationRole",
                                     "Properties": properties}},
    })


def without(key):
    def edit(p):
        del p[key]
    return edit


def setting(key, value):
    def edit(p):
        p[key] = value
    return edit


def grant_access(value):
    def edit(p):
        p["Grants"][0]["Access"] = value
    return edit


CASES = [
    ("a missing Grants", without("Grants"), "Grants"),
    ("a * action", grant_access("*"), "Grants[0].Access"),
    ("a RoleName of 65 characters", setting("RoleName", "r" * 65), "RoleName"),
    ("a trust to *", setting("Trust", {"Principals": "*"}), "Trust"),
    ("an ExternalId with a space", setting("ExternalId", "abc def ghi"), "ExternalId"),
    ("a NotifyEventBusArn that does not exist",
     setting("NotifyEventBusArn", f"arn:aws:events:us-east-1:{CUSTOMER}:event-bus/no-such-bus"),
     "NotifyEventBusArn"),
]


@pytest.mark.parametrize("what,edit,field", CASES, ids=[c[0] for c in CASES])
def test_a_bad_stack_fails_naming_the_property_and_leaves_nothing(rolegate, what, edit, field):
    aws = rolegate.aws
    bad = copy.deepcopy(GOOD)
    edit(bad)
    stack = aws.deploy("bad", stack_body(bad))
    assert stack["StackStatus"] in ("ROLLBACK_COMPLETE", "CREATE_FAILED"), (what, stack)
    reasons = aws.failures("bad")
    assert any(field in r for r in reasons), f"{what}: no Reason names {field}: {reasons}"
    assert managed_roles(aws) == {}, f"{what}: a role was left behind"
    assert records(aws) == {}, f"{what}: a record was left behind"

    corrected = aws.deploy("corrected", stack_body(GOOD))
    assert corrected["StackStatus"] == "CREATE_COMPLETE", aws.failures("corrected")
    assert set(managed_roles(aws)) == {ROLE}
