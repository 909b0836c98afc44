"""Trust enforced by MiniStack's STS (AUTH=true), not by Rolegate's own
evaluator: a customer's roles provisioned through CloudFormation, then
assumed from the vendor's account.

- As the vendor (account 966208727603's root): AssumeRole with the
  ExternalId the provisioner generated succeeds and GetCallerIdentity
  answers the role's session; without an ExternalId, with a wrong one, or
  from another account, STS answers AccessDenied.
- The vendor's own Rolegate (template.yaml deployed in account
  966208727603) and its validator, woken only through the template's rules:
  a Validate Integration Role command on the vendor's command bus makes it
  assume the customer's role across accounts with MiniStack's STS, which
  decides every check; an Integration Role Ready event on the vendor bus
  is bound to the account EventBridge stamps on it.

- The provisioner's Ready event reaching the validator through the
  template's IntegrationRoleReady rule: MiniStack answers PutEvents to
  another account's bus with ResourceNotFoundException (docs/LOCAL-AWS.md),
  so one account plays both sides, with a role that trusts its own account.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from conftest import bin_dir
from local_aws import (
    CODE_BUCKET, CUSTOMER, VENDOR, capture, example_stack, local_template, next_event,
    self_trusting_stack)

OTHER_ACCOUNT = "111122223333"
# The vendor's deployment: its own stack name, so its functions are not
# named like the customer's (MiniStack's CloudFormation recycles the warm
# workers of a function name in every account when it creates one), and
# its own code bucket (bucket names are global in MiniStack, and a
# function whose code is in another account's bucket gets none).
VENDOR_STACK = "vendor"
VENDOR_CODE_BUCKET = f"{CODE_BUCKET}-{VENDOR}"
VENDOR_OPS = "vendor-ops"
# The validator retries AssumeRole for up to ROLEGATE_ASSUME_TIMEOUT_SECONDS
# (the template sets 60) while a new role becomes assumable; MiniStack's
# IAM is consistent at once, so an outcome normally comes in a second.
OUTCOME_WITHIN = 70


def external_id_of(role: dict) -> str:
    """The `sts:ExternalId` the role's trust policy demands."""
    [statement] = [s for s in role["AssumeRolePolicyDocument"]["Statement"]
                   if "AWS" in s.get("Principal", {})]
    return statement["Condition"]["StringEquals"]["sts:ExternalId"]


def access_denied(call) -> str:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    assert error["Code"] == "AccessDenied", error
    return error["Message"]


def deploy_atmosphere(aws) -> dict:
    """The customer's Atmosphere stack; returns its role. It notifies this
    account's `rolegate` bus: MiniStack delivers nothing to the vendor's."""
    body = example_stack("atmosphere")
    stack = aws.deploy("atmosphere", body)
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("atmosphere")
    return aws.client("iam").get_role(RoleName="atmosphere")["Role"]


def test_the_emulators_sts_admits_the_vendor_only_with_the_external_id(rolegate):
    aws = rolegate.aws
    role = deploy_atmosphere(aws)
    external_id = external_id_of(role)
    assert len(external_id) == 40, "a generated ExternalId"
    vendor = aws.client("sts", VENDOR)

    session = vendor.assume_role(RoleArn=role["Arn"], RoleSessionName="atmosphere-studio",
                                 ExternalId=external_id)
    assert session["AssumedRoleUser"]["Arn"] == \
        f"arn:aws:sts::{CUSTOMER}:assumed-role/atmosphere/atmosphere-studio"
    identity = aws.client_as("sts", session["Credentials"]).get_caller_identity()
    assert identity["Arn"] == session["AssumedRoleUser"]["Arn"]
    assert identity["Account"] == CUSTOMER

    access_denied(lambda: vendor.assume_role(
        RoleArn=role["Arn"], RoleSessionName="no-external-id"))
    access_denied(lambda: vendor.assume_role(
        RoleArn=role["Arn"], RoleSessionName="wrong-external-id",
        ExternalId=external_id[:-1] + ("A" if external_id[-1] != "A" else "B")))
    # The ExternalId alone is not enough: the trust names the vendor's account.
    access_denied(lambda: aws.client("sts", OTHER_ACCOUNT).assume_role(
        RoleArn=role["Arn"], RoleSessionName="another-account", ExternalId=external_id))




# ------------------------------------------------- the vendor's deployment

class Vendor:
    """template.yaml deployed in the vendor's account, as a vendor would:
    its validator, its `rolegate` bus and its command bus, on which only
    `vendor-ops` is listed. An SQS queue behind a rule on the vendor bus
    captures the validator's outcomes."""

    def __init__(self, aws):
        self.aws = aws
        iam = aws.client("iam", VENDOR)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
            "Action": "sts:AssumeRole"}]}
        self.ops_arn = iam.create_role(
            RoleName=VENDOR_OPS, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        iam.put_role_policy(RoleName=VENDOR_OPS, PolicyName="commands", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}]}))
        aws.upload_functions(bin_dir(), account=VENDOR, bucket=VENDOR_CODE_BUCKET)
        body, _ = local_template()
        body = body.replace(f"s3://{CODE_BUCKET}/", f"s3://{VENDOR_CODE_BUCKET}/")
        stack = aws.deploy(VENDOR_STACK, body, {
            "CommandPrincipalArns": self.ops_arn, "CustomerAccountIds": CUSTOMER,
            "AllowedResponseHost": "127.0.0.1"}, account=VENDOR)
        assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures(VENDOR_STACK, VENDOR)
        self.outputs = aws.outputs(VENDOR_STACK, VENDOR)
        self.outcomes = self._capture_outcomes()

    def _capture_outcomes(self) -> str:
        return capture(self.aws, "validator-outcomes", "rolegate",
                       {"source": ["rolegate.validator"]}, account=VENDOR)

    def ops_events(self):
        credentials = self.aws.client("sts", VENDOR).assume_role(
            RoleArn=self.ops_arn, RoleSessionName="on-call")["Credentials"]
        return self.aws.client_as("events", credentials)

    def validate(self, role_arn: str, external_id: str) -> None:
        """The listed principal puts Validate Integration Role on the command bus."""
        answer = self.ops_events().put_events(Entries=[{
            "Source": "rolegate.validator.commands", "DetailType": "Validate Integration Role",
            "Detail": json.dumps({"RoleArn": role_arn, "ExternalId": external_id}),
            "EventBusName": self.outputs["CommandBusName"]}])
        assert answer["FailedEntryCount"] == 0, answer

    def next_outcome(self, timeout: float = OUTCOME_WITHIN) -> dict:
        try:
            return next_event(self.aws, self.outcomes, timeout, account=VENDOR)
        except AssertionError as e:
            raise AssertionError(f"{e}\n{self.log()}") from None

    def log(self) -> str:
        found = self.aws.client("logs", VENDOR).filter_log_events(
            logGroupName=f"/aws/lambda/{VENDOR_STACK}-validator")["events"]
        return "\n".join(e["message"].rstrip() for e in found[-30:]) or "(validator logged nothing)"


@pytest.fixture
def vendor(rolegate):
    return Vendor(rolegate.aws)


def checks_of(outcome: dict) -> dict:
    return {c["Check"]: c["Status"] for c in outcome["detail"]["Checks"] or []}


def test_the_vendors_validator_assumes_a_customer_role_across_accounts_with_the_emulators_sts(
        rolegate, vendor):
    aws = rolegate.aws
    role = deploy_atmosphere(aws)
    external_id = external_id_of(role)

    vendor.validate(role["Arn"], external_id)
    outcome = vendor.next_outcome()
    assert outcome["detail-type"] == "Integration Validated", json.dumps(outcome, indent=1)
    assert outcome["account"] == VENDOR
    detail = outcome["detail"]
    assert detail["RoleArn"] == role["Arn"] and detail["Account"] == CUSTOMER
    assert checks_of(outcome) == {
        "AssumeWithExternalId": "Passed", "CallerIdentity": "Passed",
        "DeniedWithoutExternalId": "Passed", "DeniedWithWrongExternalId": "Passed"}
    assert "assumed-role/atmosphere/" in json.dumps(detail["Checks"])
    assert external_id not in json.dumps(outcome), "an outcome holds the ExternalId"

    # The customer's administrator drops the ExternalId condition: now
    # MiniStack's STS admits the vendor without it, and the validator says so.
    trust = role["AssumeRolePolicyDocument"]
    for statement in trust["Statement"]:
        statement.pop("Condition", None)
    aws.client("iam").update_assume_role_policy(
        RoleName="atmosphere", PolicyDocument=json.dumps(trust))
    vendor.validate(role["Arn"], external_id)
    outcome = vendor.next_outcome()
    assert outcome["detail-type"] == "Integration Rejected", json.dumps(outcome, indent=1)
    assert outcome["detail"]["FailedCheck"] == "DeniedWithoutExternalId", outcome["detail"]
    assert checks_of(outcome)["DeniedWithoutExternalId"] == "Failed"


def test_a_ready_event_on_the_vendor_bus_is_bound_to_the_account_eventbridge_stamps(
        rolegate, vendor):
    aws = rolegate.aws
    role = deploy_atmosphere(aws)
    # The vendor's own account announces the customer's role (a customer
    # could not, here: MiniStack refuses PutEvents to another account's bus).
    answer = aws.client("events", VENDOR).put_events(Entries=[{
        "Source": "rolegate.provisioner", "DetailType": "Integration Role Ready",
        "Detail": json.dumps({"RoleArn": role["Arn"], "Account": CUSTOMER,
                              "ExternalId": external_id_of(role)}),
        "EventBusName": "rolegate"}])
    assert answer["FailedEntryCount"] == 0, answer

    outcome = vendor.next_outcome()
    assert outcome["detail-type"] == "Integration Rejected", json.dumps(outcome, indent=1)
    detail = outcome["detail"]
    assert detail["Code"] == "REGISTRATION_ACCOUNT_MISMATCH", detail
    assert detail["SenderAccount"] == VENDOR
    assert detail["StsCalls"] == 0, "the validator assumed a role it could not bind"
    stored = aws.client("ssm", VENDOR).get_parameters_by_path(
        Path="/rolegate/integrations/", Recursive=True)["Parameters"]
    assert stored == [], "a rejected registration was stored"


SELF_TRUSTING = "self-trusting-s3"
SELF_TRUSTING_STACK = self_trusting_stack(SELF_TRUSTING, "self-trusting-exports", "tenant-0042")


def test_a_ready_event_reaches_the_validator_through_the_vendor_bus_rule_and_is_validated(
        rolegate):
    """Customer and vendor are one account here (MiniStack refuses PutEvents
    to another account's bus): the provisioner announces the role on the
    deployment's own vendor bus, the template's IntegrationRoleReady rule
    runs the validator, and MiniStack's STS judges its four AssumeRole
    calls against the role's trust policy."""
    aws = rolegate.aws
    url = capture(aws, "validator-outcomes", "rolegate", {"source": ["rolegate.validator"]})
    stack = aws.deploy("self-trusting", SELF_TRUSTING_STACK)
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("self-trusting")

    outcome = next_event(aws, url, OUTCOME_WITHIN)
    detail = outcome["detail"]
    assert outcome["detail-type"] == "Integration Validated", json.dumps(outcome, indent=1)
    assert detail["SenderAccount"] == CUSTOMER
    assert detail["VendorTenantId"] == "tenant-0042"
    assert set(checks_of(outcome).values()) == {"Passed"}, checks_of(outcome)
    # Registered in the vendor's registry (DynamoDB), keyed by account and role.
    registry = rolegate.outputs["RegistryTableName"]
    stored = aws.client("dynamodb").scan(TableName=registry)["Items"]
    assert [i["pk"]["S"] for i in stored] == [f"account#{CUSTOMER}"], stored
    assert stored[0]["LastOutcome"]["S"] == "Validated", stored
