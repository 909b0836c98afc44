"""The guard driven only through template.yaml's own EventBridge rules, on
MiniStack: nothing here invokes a function. A tamper is made through IAM as
the account root; what reaches the guard is decided by MiniStack's
EventBridge matching the template's patterns.

- GuardIamChangesRule: a CloudTrail-shaped `AWS API Call via CloudTrail`
  event on the default bus (MiniStack delivers no CloudTrail records to
  EventBridge; ministack_launcher.py lets a test put that one shape).
  Its `anything-but` on Rolegate's own execution roles must keep their
  calls from the guard. Because the guard also ignores those calls
  itself, the rule's own decision is observed with an SQS queue added as
  a second target of the template's rule (its pattern is not touched).
  The guard's log is checked too: it must not even have been invoked.
- The sweep's schedule rule, deployed with `SweepSchedule` set to
  `cron(* * * * ? *)`: MiniStack runs schedules on a 10 s tick, and the
  default `rate(1 hour)` would first fire an hour after the stack was
  created. The tamper is announced by no event: only the sweep finds it.
- Revoke and Restore through the command bus rule, put by the one
  `CommandPrincipalArns` principal; the same Restore on the default bus
  reaches nothing. That a principal *not* listed is refused on the command
  bus cannot be shown here: MiniStack's CloudFormation drops the bus's
  `Policy` and its PutEvents evaluates no bus policy (docs/LOCAL-AWS.md).
"""

from __future__ import annotations

import json
import time

import pytest

from conftest import Rolegate
from local_aws import CUSTOMER, VENDOR, cloudtrail_event, put_command, wait_until

ROLE = "guarded-s3"
BACKDOOR = "backdoor"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
DENY_ALL = "rolegate-quarantine-deny-all"
REVOKE_SESSIONS = "rolegate-quarantine-revoke-older-sessions"
QUARANTINE_TAG = "rolegate:quarantine"
# How long a routed event may take to be acted on (an async Lambda
# invocation of a debug binary, a few IAM calls), and how long an event
# that must not be acted on is given to prove it.
ACTED_WITHIN = 30
IGNORED_FOR = 5

CUSTOMER_STACK = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: One integration role for the guard to keep
Resources:
  Guarded:
    Type: Custom::IntegrationRole
    Properties:
      ServiceToken: !ImportValue RolegateProvisionerArn
      ServiceTimeout: 300
      RoleName: {ROLE}
      Trust:
        Principals: ["{VENDOR}"]
      Grants:
        - Service: s3
          Access: read
          Bucket: guarded-exports
"""


# ------------------------------------------------------------------ helpers

def stays_for(what: str, check, seconds: float, every: float = 0.5):
    """Asserts `check` holds throughout `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert check(), what
        time.sleep(every)
    assert check(), what


def deploy_customer_stack(rolegate) -> dict:
    aws = rolegate.aws
    stack = aws.deploy("guarded", CUSTOMER_STACK)
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("guarded")
    return aws.client("iam").get_role(RoleName=ROLE)["Role"]


def inline_policies(aws, role: str = ROLE) -> list[str]:
    return aws.client("iam").list_role_policies(RoleName=role)["PolicyNames"]


def role_tags(aws, role: str = ROLE) -> dict:
    tags = aws.client("iam").list_role_tags(RoleName=role)["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


def tamper(aws) -> None:
    """What an account administrator might do: an inline `Allow * on *`."""
    aws.client("iam").put_role_policy(
        RoleName=ROLE, PolicyName=BACKDOOR, PolicyDocument=ALLOW_ALL)
    assert BACKDOOR in inline_policies(aws)


def root_identity() -> dict:
    return {"type": "Root", "principalId": CUSTOMER,
            "arn": f"arn:aws:iam::{CUSTOMER}:root", "accountId": CUSTOMER}


def session_identity(issuer_arn: str, session: str) -> dict:
    """`userIdentity` of a call made with an AssumeRole session of `issuer_arn`."""
    issuer_name = issuer_arn.rsplit("/", 1)[1]
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{issuer_name.upper()[:8]}:{session}",
        "arn": f"arn:aws:sts::{CUSTOMER}:assumed-role/{issuer_name}/{session}",
        "accountId": CUSTOMER,
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEISSUER",
                              "arn": issuer_arn, "accountId": CUSTOMER,
                              "userName": issuer_name},
            "attributes": {"creationDate": "2026-12-01T10:00:00Z",
                           "mfaAuthenticated": "false"},
        },
    }


def put_cloudtrail_record(aws, identity: dict, event_name: str = "PutRolePolicy",
                          request: dict | None = None) -> str:
    """Puts on the default bus the record CloudTrail would deliver for the
    tamper, as EventBridge carries it; returns its eventID."""
    entry = cloudtrail_event(event_name, request or {
        "roleName": ROLE, "policyName": BACKDOOR, "policyDocument": ALLOW_ALL}, identity)
    answer = aws.client("events").put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0, answer
    return json.loads(entry["Detail"])["eventID"]


def stack_resource(aws, logical: str, stack: str = "rolegate") -> str:
    return aws.client("cloudformation").describe_stack_resource(
        StackName=stack, LogicalResourceId=logical)["StackResourceDetail"]["PhysicalResourceId"]


def role_arn(aws, logical: str) -> str:
    return aws.client("iam").get_role(RoleName=stack_resource(aws, logical))["Role"]["Arn"]


def guard_log(aws, since_ms: int = 0) -> str:
    """The guard's log lines, for a failure message."""
    logs = aws.client("logs")
    try:
        found = logs.filter_log_events(
            logGroupName="/aws/lambda/rolegate-guard", startTime=since_ms)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return "(no guard log group)"
    return "\n".join(e["message"].rstrip() for e in found[-40:]) or "(guard logged nothing)"


def observe_rule(aws, rule: str) -> str:
    """Adds an SQS queue as a second target of the template's rule, so a test
    sees which events the rule's pattern matched; returns the queue URL."""
    sqs = aws.client("sqs")
    url = sqs.create_queue(QueueName=f"observe-{rule}"[:80])["QueueUrl"]
    arn = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    answer = aws.client("events").put_targets(
        Rule=rule, EventBusName="default", Targets=[{"Id": "observer", "Arn": arn}])
    assert answer["FailedEntryCount"] == 0, answer
    return url


def matched_event_ids(aws, queue_url: str) -> list[str]:
    """The CloudTrail eventIDs of the events the rule delivered so far."""
    sqs = aws.client("sqs")
    ids = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                  WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return ids
        for message in got:
            ids.append(json.loads(message["Body"])["detail"]["eventID"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def now_ms() -> int:
    return int(time.time() * 1000)


# -------------------------------------------------------------------- tests

def test_a_tamper_announced_by_cloudtrail_on_the_default_bus_is_restored_through_the_iam_rule(
        rolegate):
    aws = rolegate.aws
    provisioned = deploy_customer_stack(rolegate)
    before = sorted(inline_policies(aws))
    started = now_ms()
    tamper(aws)

    put_cloudtrail_record(aws, root_identity())

    wait_until("the guard restores the role", lambda: BACKDOOR not in inline_policies(aws),
               ACTED_WITHIN, explain=lambda: guard_log(aws, started))
    assert sorted(inline_policies(aws)) == before
    live = aws.client("iam").get_role(RoleName=ROLE)["Role"]
    assert live["Arn"] == provisioned["Arn"]
    assert live["AssumeRolePolicyDocument"] == provisioned["AssumeRolePolicyDocument"]
    assert live["PermissionsBoundary"] == provisioned["PermissionsBoundary"]


def test_calls_by_rolegates_own_roles_never_reach_the_guard_through_the_iam_rule(rolegate):
    aws = rolegate.aws
    deploy_customer_stack(rolegate)
    rule = stack_resource(aws, "GuardIamChangesRule")
    observed = observe_rule(aws, rule)
    started = now_ms()
    tamper(aws)

    own = [put_cloudtrail_record(aws, session_identity(role_arn(aws, logical), "rolegate"))
           for logical in ("GuardRole", "ProvisionerRole")]
    stays_for("an event from Rolegate's own roles reached the guard: the tamper was removed",
              lambda: BACKDOOR in inline_policies(aws), IGNORED_FOR)
    matched = matched_event_ids(aws, observed)
    assert not set(own) & set(matched), \
        "the IAM rule matched a call by Rolegate's own roles: its anything-but did not apply"
    # The guard ignores such calls too ("made by Rolegate's own role"); it
    # must not even have been invoked.
    assert "own role" not in guard_log(aws, started), guard_log(aws, started)

    # The same call by anyone else's session is routed, and restored.
    foreign = put_cloudtrail_record(
        aws, session_identity(f"arn:aws:iam::{CUSTOMER}:role/ops-admin", "mallory"))
    wait_until("the IAM rule matches a call by another role's session",
               lambda: matched.extend(matched_event_ids(aws, observed)) or foreign in matched,
               ACTED_WITHIN)
    wait_until("the guard restores the role", lambda: BACKDOOR not in inline_policies(aws),
               ACTED_WITHIN, explain=lambda: guard_log(aws, started))


def test_the_sweep_schedule_rule_restores_a_tamper_no_event_announced(local_aws):
    aws = local_aws
    # Every minute, on MiniStack's 10 s scheduler tick.
    rolegate = Rolegate(aws, {"SweepSchedule": "cron(* * * * ? *)"})
    rule = stack_resource(aws, "GuardFunctionSweep")
    described = aws.client("events").describe_rule(Name=rule)
    assert described["ScheduleExpression"] == "cron(* * * * ? *)"
    targets = aws.client("events").list_targets_by_rule(Rule=rule)["Targets"]
    guard = aws.client("lambda").get_function(
        FunctionName=stack_resource(aws, "GuardFunction"))["Configuration"]["FunctionArn"]
    assert [t["Arn"] for t in targets] == [guard]
    deploy_customer_stack(rolegate)
    before = sorted(inline_policies(aws))
    started = now_ms()
    tamper(aws)  # no CloudTrail record is put: only the sweep can find it

    # At most a minute to the next firing, plus MiniStack's 10 s tick.
    wait_until("the sweep restores the role", lambda: BACKDOOR not in inline_policies(aws),
               60 + 10 + ACTED_WITHIN, every=1, explain=lambda: guard_log(aws, started))
    assert sorted(inline_policies(aws)) == before
    assert "sweep" in guard_log(aws, started).lower(), guard_log(aws, started)


def test_revoke_and_restore_work_only_through_the_command_bus_rule(rolegate):
    aws = rolegate.aws
    deploy_customer_stack(rolegate)
    bus = rolegate.outputs["CommandBusName"]
    credentials = aws.client("sts").assume_role(
        RoleArn=rolegate.security_team_arn, RoleSessionName="on-call")["Credentials"]
    security_team = aws.client_as("events", credentials)
    started = now_ms()

    put_command(security_team, bus, "Revoke Integration Access",
                {"role": ROLE, "reason": "vendor offboarded: contract ended"})
    wait_until("the guard quarantines the role",
               lambda: {DENY_ALL, REVOKE_SESSIONS} <= set(inline_policies(aws))
               and QUARANTINE_TAG in role_tags(aws),
               ACTED_WITHIN, explain=lambda: guard_log(aws, started))
    since = role_tags(aws)[QUARANTINE_TAG]
    assert "lifted" not in since, since
    assert role_tags(aws).get("rolegate:quarantine-reason"), role_tags(aws)

    # The same Restore on the default bus, by the listed principal or the
    # account root, reaches the guard bare (the ForgedCommands rule): it is
    # refused and logged as a security alarm, and the quarantine stays.
    put_command(security_team, "default", "Restore Integration Access", {"role": ROLE})
    put_command(aws.client("events"), "default", "Restore Integration Access", {"role": ROLE})
    stays_for("a Restore on the default bus lifted the quarantine",
              lambda: DENY_ALL in inline_policies(aws), IGNORED_FOR)
    assert role_tags(aws)[QUARANTINE_TAG] == since
    wait_until("the guard logs the forged command as a security alarm",
               lambda: guard_log(aws, started).count('"security_alarm":"COMMAND_REFUSED"') >= 2,
               ACTED_WITHIN, explain=lambda: guard_log(aws, started))

    put_command(security_team, bus, "Restore Integration Access", {"role": ROLE})
    wait_until("the guard lifts the quarantine", lambda: DENY_ALL not in inline_policies(aws),
               ACTED_WITHIN, explain=lambda: guard_log(aws, started))
    assert "lifted" in role_tags(aws)[QUARANTINE_TAG], role_tags(aws)
    # Sessions issued before the quarantine stay revoked until they expire.
    assert REVOKE_SESSIONS in inline_policies(aws)


def test_a_replacement_update_keeps_the_quarantine_and_the_external_id(rolegate):
    """Revoked through the command bus, then the stack changes the RoleName:
    the engine creates the new role and deletes the old one, and the new
    role must still be quarantined (a stack update never lifts it) and
    demand the ExternalId the vendor already holds."""
    aws = rolegate.aws
    old = deploy_customer_stack(rolegate)
    external_id = json.dumps(old["AssumeRolePolicyDocument"]).split(
        '"sts:ExternalId": "')[1].split('"')[0]
    credentials = aws.client("sts").assume_role(
        RoleArn=rolegate.security_team_arn, RoleSessionName="on-call")["Credentials"]
    put_command(aws.client_as("events", credentials), rolegate.outputs["CommandBusName"],
                "Revoke Integration Access", {"role": ROLE, "reason": "offboarded"})
    wait_until("the quarantine", lambda: DENY_ALL in inline_policies(aws), ACTED_WITHIN)

    renamed = CUSTOMER_STACK.replace(f"RoleName: {ROLE}\n", f"RoleName: {ROLE}-v2\n")
    stack = aws.deploy("guarded", renamed, update=True)
    assert stack["StackStatus"] == "UPDATE_COMPLETE", aws.failures("guarded")
    iam = aws.client("iam")
    new = iam.get_role(RoleName=f"{ROLE}-v2")["Role"]
    assert new["Arn"] != old["Arn"]
    assert DENY_ALL in inline_policies(aws, f"{ROLE}-v2"), "the replacement lifted the quarantine"
    assert QUARANTINE_TAG in role_tags(aws, f"{ROLE}-v2")
    assert external_id in json.dumps(new["AssumeRolePolicyDocument"])
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=ROLE)
