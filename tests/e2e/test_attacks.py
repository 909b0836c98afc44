"""Issue 21's tampered-record attack end to end, where MiniStack enforces
the mechanism: an insider who may only write SSM parameters (and may try
KMS) rewrites the role record, then touches the role so that the
template's IAM rule wakes the guard. MiniStack enforces the insider's
identity policy, the RecordKey's key policy and the guard's own policies.
The role must keep its last verified state, and the guard must raise its
alarm event. (The forged command and the hijacked registration run in
test_guard_through_rules.py and test_validator_sts.py.)"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from local_aws import CUSTOMER, capture, wait_until
from test_guard_through_rules import (
    ROLE, deploy_customer_stack, put_cloudtrail_record, root_identity)

ATTACKER_ACCOUNT = "999988887777"
PARAMETER = f"/rolegate/roles/{ROLE}"
INSIDER = "parameter-writer"


def insider_credentials(aws) -> dict:
    """A role that may write (and read) Rolegate's SSM parameters and use
    any KMS key its policies reach; nothing in IAM."""
    iam = aws.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=INSIDER, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=INSIDER, PolicyName="parameters", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:PutParameter"],
             "Resource": f"arn:aws:ssm:us-east-1:{CUSTOMER}:parameter/rolegate/*"},
            {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}))
    return aws.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{CUSTOMER}:role/{INSIDER}", RoleSessionName="insider")["Credentials"]


def reports(aws, url: str) -> list[str]:
    got = aws.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                            WaitTimeSeconds=0).get("Messages", [])
    return [json.loads(m["Body"])["detail-type"] for m in got]


def test_a_record_rewritten_by_a_parameter_writer_is_never_applied_and_raises_the_alarm(rolegate):
    aws = rolegate.aws
    deploy_customer_stack(rolegate)
    iam = aws.client("iam")
    before = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    url = capture(aws, "guard-reports", "default", {"source": ["rolegate.guard"]})
    insider = insider_credentials(aws)
    ssm = aws.client_as("ssm", insider)
    kms = aws.client_as("kms", insider)

    stored = json.loads(ssm.get_parameter(Name=PARAMETER, WithDecryption=True)[
        "Parameter"]["Value"])
    body = json.loads(stored["Body"])
    body["Properties"]["Trust"]["Principals"].append(ATTACKER_ACCOUNT)
    body["Properties"]["Grants"].append(
        {"Service": "s3", "Access": "read-write", "Bucket": "payroll"})
    forged_body = json.dumps(body)

    # The insider cannot seal it: the key policy refuses everyone but the
    # provisioner, whatever the insider's own policy says.
    with pytest.raises(ClientError) as refused:
        kms.generate_mac(KeyId=rolegate.outputs["RecordKeyArn"], Message=forged_body.encode(),
                         MacAlgorithm="HMAC_SHA_256")
    assert refused.value.response["Error"]["Code"] in ("AccessDeniedException", "AccessDenied")

    # So it writes the record with the old seal, then touches the role.
    stored["Body"] = forged_body
    ssm.put_parameter(Name=PARAMETER, Value=json.dumps(stored), Type="SecureString",
                      Overwrite=True)
    put_cloudtrail_record(aws, root_identity(), event_name="TagRole",
                          request={"roleName": ROLE, "tags": [{"key": "x", "value": "y"}]})

    wait_until("the guard's alarm event",
               lambda: "Integration Role Record Untrusted" in reports(aws, url), 30)
    after = iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"]
    assert after == before, "the guard applied the forged record"
    assert ATTACKER_ACCOUNT not in json.dumps(after)
    policies = iam.list_role_policies(RoleName=ROLE)["PolicyNames"]
    assert not any("payroll" in json.dumps(iam.get_role_policy(
        RoleName=ROLE, PolicyName=p)["PolicyDocument"]) for p in policies)
