"""Custom::IntegrationPolicy end to end on MiniStack (issue 17, item 2):
Rolegate's template.yaml deployed with `IntegrationPolicyRoleArns` naming
one role the customer already has, then a customer stack that puts one
Rolegate policy on that role, updated and deleted through CloudFormation.

What is checked at each step: the one policy is there with what the spec
asks, and nothing else of the role changed (its trust, its tags, the
customer's own inline policy). The guard, reached through the template's
IAM-change rule, puts a deleted policy back. A role the deployment does
not list is refused by the provisioner (RoleArn named in the stack's
failure), and MiniStack's IAM refuses the provisioner the write anyway
(the template grants it PutRolePolicy on the listed roles only).
"""

from __future__ import annotations

import json

from conftest import Rolegate
from local_aws import CUSTOMER, cloudtrail_event, wait_until

NODE = "atc-node"
NODE_ARN = f"arn:aws:iam::{CUSTOMER}:role/{NODE}"
UNLISTED = "atc-unlisted"
POLICY = "rolegate-AtcNodePolicy"
OWN_POLICY = "customer-own"
ACTED_WITHIN = 30

EC2_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
OWN_DOCUMENT = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}]})


def policy_stack(role_arn: str, access: str) -> str:
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: Aspera's policy on the customer's existing atc-node role
Resources:
  AtcNodePolicy:
    Type: Custom::IntegrationPolicy
    Properties:
      ServiceToken: !ImportValue RolegateProvisionerArn
      ServiceTimeout: 300
      RoleArn: {role_arn}
      Grants:
        - Service: s3
          Access: {access}
          Bucket: aspera-transfers
      Conditions:
        RequireSecureTransport: true
Outputs:
  PolicyName:
    Value: !GetAtt AtcNodePolicy.PolicyName
"""


def customer_role(iam, name: str) -> None:
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=EC2_TRUST,
                    Tags=[{"Key": "team", "Value": "atc"}])
    iam.put_role_policy(RoleName=name, PolicyName=OWN_POLICY, PolicyDocument=OWN_DOCUMENT)


def role_state(iam, name: str) -> dict:
    """Everything of the role but Rolegate's policy, and that policy."""
    role = iam.get_role(RoleName=name)["Role"]
    names = iam.list_role_policies(RoleName=name)["PolicyNames"]
    policies = {n: iam.get_role_policy(RoleName=name, PolicyName=n)["PolicyDocument"]
                for n in names}
    ours = policies.pop(POLICY, None)
    rest = {"Trust": role["AssumeRolePolicyDocument"],
            "Tags": sorted((t["Key"], t["Value"]) for t in role.get("Tags", [])),
            "Policies": policies,
            "Attached": iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]}
    return {"Rest": rest, "Ours": ours}


def actions(document) -> set[str]:
    if isinstance(document, str):
        document = json.loads(document)
    found = set()
    for statement in document["Statement"]:
        listed = statement["Action"]
        found.update([listed] if isinstance(listed, str) else listed)
    return found


def test_an_integration_policy_on_an_existing_role_through_its_lifecycle(local_aws):
    aws = local_aws
    iam = aws.client("iam")
    customer_role(iam, NODE)
    customer_role(iam, UNLISTED)
    before = role_state(iam, NODE)
    assert before["Ours"] is None

    rolegate = Rolegate(aws, parameters={"IntegrationPolicyRoleArns": NODE_ARN})

    # Create: the one policy, nothing else of the role changed.
    stack = aws.deploy("aspera-node", policy_stack(NODE_ARN, "read"))
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("aspera-node")
    assert aws.outputs("aspera-node")["PolicyName"] == POLICY
    created = role_state(iam, NODE)
    assert created["Rest"] == before["Rest"]
    assert "s3:GetObject" in actions(created["Ours"])
    assert "s3:PutObject" not in actions(created["Ours"])

    # Update: the same policy rewritten in place.
    stack = aws.deploy("aspera-node", policy_stack(NODE_ARN, "read-write"), update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", aws.failures("aspera-node")
    updated = role_state(iam, NODE)
    assert updated["Rest"] == before["Rest"]
    assert "s3:PutObject" in actions(updated["Ours"])

    # The guard, through the template's IAM-change rule, puts a deleted
    # policy back, and only that policy.
    iam.delete_role_policy(RoleName=NODE, PolicyName=POLICY)
    entry = cloudtrail_event("DeleteRolePolicy", {"roleName": NODE, "policyName": POLICY})
    answer = aws.client("events").put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0, answer
    restored = wait_until(
        "the guard restores the deleted integration policy",
        lambda: role_state(iam, NODE)["Ours"], ACTED_WITHIN)
    assert actions(restored) == actions(updated["Ours"])
    assert role_state(iam, NODE)["Rest"] == before["Rest"]

    # A role the deployment does not list is refused, naming RoleArn, and
    # keeps nothing of Rolegate's.
    refused = aws.deploy("aspera-unlisted",
                         policy_stack(f"arn:aws:iam::{CUSTOMER}:role/{UNLISTED}", "read"))
    assert refused["StackStatus"] in ("CREATE_FAILED", "ROLLBACK_COMPLETE"), refused
    failures = "\n".join(aws.failures("aspera-unlisted"))
    assert "RoleArn: " in failures and "IntegrationPolicyRoleArns" in failures, failures
    assert role_state(iam, UNLISTED)["Ours"] is None

    # Delete: the policy goes, the role and everything else of it stay.
    aws.delete("aspera-node")
    after = role_state(iam, NODE)
    assert after["Ours"] is None
    assert after["Rest"] == before["Rest"]
    assert rolegate.outputs  # the deployment itself is untouched


def test_asperas_cluster_manager_side_puts_its_policy_on_an_existing_atc_node(local_aws):
    """examples/stacks/aspera.yaml with ExistingAtcNodeRoleArn: the guide's
    "attach to the atc-node role" on the customer's own role, which keeps
    its trust (EC2), its tags and its own policy; no /integrations/atc-node
    is made."""
    from local_aws import example_stack

    aws = local_aws
    iam = aws.client("iam")
    customer_role(iam, NODE)
    before = role_state(iam, NODE)
    Rolegate(aws, parameters={"IntegrationPolicyRoleArns": NODE_ARN})
    s3_account = "210987654321"
    stack = aws.deploy("aspera", example_stack("aspera"), {
        "Side": "cluster-manager-account", "S3AccountId": s3_account,
        "ClusterManagerAccountId": CUSTOMER, "AsperaExternalId": "aspera-5e6f7a8b9c",
        "ExistingAtcNodeRoleArn": NODE_ARN})
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("aspera")
    after = role_state(iam, NODE)
    assert after["Rest"] == before["Rest"]
    ours = after["Ours"]
    assert actions(ours) == {"sts:AssumeRole"}, ours
    [statement] = ours["Statement"]
    assert statement["Resource"] in (
        f"arn:aws:iam::{s3_account}:role/integrations/atc-s3-access-keys",
        [f"arn:aws:iam::{s3_account}:role/integrations/atc-s3-access-keys"]), statement
    made = [r["RoleName"] for r in iam.list_roles(PathPrefix="/integrations/")["Roles"]]
    assert made == [], made
    aws.delete("aspera")
    assert role_state(iam, NODE) == before
