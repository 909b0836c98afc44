"""IEX Apperate's vendor-first two steps (seed 001, issue 17 item 3) on
MiniStack, with trust judged by its STS under AUTH=true.

Apperate issues its user ARN and the ExternalId only after the customer
gives it the role's ARN. So examples/stacks/apperate.yaml is created with
both left empty: the role exists and nobody can assume it (its trust is
pending: one Deny to everyone). The stack is then updated with the values
Apperate issued: the role keeps its ARN (the one Apperate was given), and
Apperate's user assumes it with that ExternalId, and not without it.

Apperate's user is a real IAM user in another account of the same
MiniStack (its access key is verified and resolves to that account).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import Rolegate
from local_aws import CUSTOMER, LocalAws, example_stack

STACK = "apperate"
APPERATE_ACCOUNT = "444455556666"
APPERATE_USER = "apperate-integration"
# What Apperate's console shows once it has the role ARN (step 2).
ISSUED_EXTERNAL_ID = "iex-7f3a9c21-apperate"


@pytest.fixture(scope="module")
def rolegate():
    aws = LocalAws().start()
    try:
        yield Rolegate(aws)
    finally:
        aws.stop()


def apperate_user(aws) -> tuple[str, object]:
    """Apperate's integration user in its own account, whose own policy lets
    it call AssumeRole (a cross-account AssumeRole needs the caller's policy
    and the role's trust: "Cross-account policy evaluation logic",
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html).
    Returns its ARN and an STS client with its access key."""
    iam = aws.client("iam", APPERATE_ACCOUNT)
    arn = iam.create_user(UserName=APPERATE_USER)["User"]["Arn"]
    iam.put_user_policy(
        UserName=APPERATE_USER, PolicyName="assume-customer-roles",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    key = iam.create_access_key(UserName=APPERATE_USER)["AccessKey"]
    sts = aws.client_as("sts", {"AccessKeyId": key["AccessKeyId"],
                                "SecretAccessKey": key["SecretAccessKey"],
                                "SessionToken": None})
    return arn, sts


def deploy(aws, parameters: dict | None = None, update: bool = False) -> str:
    """The Apperate stack created (or updated); its RoleArn output."""
    found = aws.deploy(STACK, example_stack("apperate"), parameters, update=update)
    expected = "UPDATE_COMPLETE" if update else "CREATE_COMPLETE"
    assert found["StackStatus"] == expected, aws.failures(STACK)
    return aws.outputs(STACK)["RoleArn"]


def trust_of(aws, arn: str) -> list[dict]:
    role = aws.client("iam").get_role(RoleName=arn.rsplit("/", 1)[-1])["Role"]
    return role["AssumeRolePolicyDocument"]["Statement"]


def assume(sts, arn: str, external_id: str | None = None) -> dict:
    kwargs = {"RoleArn": arn, "RoleSessionName": "apperate-two-steps"}
    if external_id is not None:
        kwargs["ExternalId"] = external_id
    return sts.assume_role(**kwargs)["Credentials"]


def refused(sts, arn: str, external_id: str | None = None) -> None:
    with pytest.raises(ClientError) as denied:
        assume(sts, arn, external_id)
    error = denied.value.response["Error"]
    assert error["Code"] == "AccessDenied", error


def test_created_before_apperate_issues_anything_nobody_can_assume_the_role(rolegate):
    """Step 1: the stack with its vendor parameters at their empty defaults.
    The role exists, with its permissions, and its trust admits nobody:
    not Apperate's user (with or without an ExternalId), not the vendor's
    account, not another account, and not the customer's own account."""
    aws = rolegate.aws
    user_arn, user_sts = apperate_user(aws)
    arn = deploy(aws)
    assert arn.startswith(f"arn:aws:iam::{CUSTOMER}:role/integrations/iex-apperate-"), arn
    [deny] = trust_of(aws, arn)
    assert (deny["Effect"], deny["Principal"]) == ("Deny", "*"), deny
    policies = aws.client("iam").list_role_policies(RoleName=arn.rsplit("/", 1)[-1])
    assert policies["PolicyNames"], "the grants are in place before the trust"

    refused(user_sts, arn)
    refused(user_sts, arn, ISSUED_EXTERNAL_ID)
    for account in (APPERATE_ACCOUNT, "999988887777", CUSTOMER):
        refused(aws.client("sts", account), arn)
        refused(aws.client("sts", account), arn, ISSUED_EXTERNAL_ID)

    # Step 3: the values Apperate issued for this ARN. Same role, new trust.
    updated = deploy(aws, {"ApperateUserArn": user_arn,
                           "ApperateExternalId": ISSUED_EXTERNAL_ID}, update=True)
    assert updated == arn, "filling the trust in replaced the role Apperate was given"
    [allow] = trust_of(aws, arn)
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": user_arn}, allow
    assert allow["Condition"]["StringEquals"]["sts:ExternalId"] == ISSUED_EXTERNAL_ID, \
        "the ExternalId as Apperate issued it"

    credentials = assume(user_sts, arn, ISSUED_EXTERNAL_ID)
    assert credentials["AccessKeyId"]
    refused(user_sts, arn)
    refused(user_sts, arn, ISSUED_EXTERNAL_ID[:-1] + "x")
    refused(aws.client("sts", "999988887777"), arn, ISSUED_EXTERNAL_ID)


def test_half_of_apperates_answer_fails_the_update_naming_the_property_and_changes_nothing(
        rolegate):
    """An Update with the user ARN but not the ExternalId answers FAILED
    naming ExternalId, and the role keeps the trust it had."""
    aws = rolegate.aws
    arn = aws.outputs(STACK)["RoleArn"]
    before = trust_of(aws, arn)
    user_arn = f"arn:aws:iam::{APPERATE_ACCOUNT}:user/{APPERATE_USER}"
    found = aws.deploy(STACK, example_stack("apperate"),
                       {"ApperateUserArn": user_arn, "ApperateExternalId": ""}, update=True)
    assert found["StackStatus"].startswith("UPDATE_ROLLBACK"), found["StackStatus"]
    reasons = " ".join(aws.failures(STACK))
    assert "ExternalId" in reasons, reasons
    assert aws.outputs(STACK)["RoleArn"] == arn
    assert trust_of(aws, arn) == before
    found = aws.delete(STACK)
    assert found is None or found["StackStatus"] == "DELETE_COMPLETE", found
