"""The validator's fan-out on MiniStack (issue 19), as template.yaml
deploys it: the registry (DynamoDB), the validation queue (SQS) and its
event source mapping with ReportBatchItemFailures. One account plays both
sides (MiniStack refuses PutEvents to another account's bus,
docs/LOCAL-AWS.md), with a role that trusts its own account.

The schedule is invoked directly with the payload EventBridge's schedule
sends (ValidationSchedule is a day); everything after it is the
emulator's: the messages the validator enqueues, the mapping that polls
them and invokes the validator with a batch, MiniStack's STS judging the
checks, and the registry the outcome is written to."""

from __future__ import annotations

import json
import time

from local_aws import CUSTOMER, capture, next_event, self_trusting_stack

ROLE = "fanned-out-s3"
STACK = self_trusting_stack(ROLE, "fanned-out-exports", "tenant-0099")
VALIDATOR = "rolegate-validator"
# The mapping polls every few seconds; the validation itself takes one.
OUTCOME_WITHIN = 70


def schedule() -> dict:
    return {"version": "0", "id": "s-1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": CUSTOMER, "time": "2026-11-23T11:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}}


def registry_items(aws, table: str) -> list[dict]:
    return aws.client("dynamodb").scan(TableName=table, ConsistentRead=True)["Items"]


def test_the_schedule_fans_out_on_the_queue_and_the_mapping_validates_and_records_each_integration(
        rolegate):
    aws = rolegate.aws
    url = capture(aws, "validator-outcomes", "rolegate", {"source": ["rolegate.validator"]})
    stack = aws.deploy("self-trusting", STACK)
    assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("self-trusting")
    registered = next_event(aws, url, OUTCOME_WITHIN)
    assert registered["detail-type"] == "Integration Validated", json.dumps(registered, indent=1)
    assert registered["detail"]["Trigger"] == "Integration Role Ready"
    table = rolegate.outputs["RegistryTableName"]
    [before] = registry_items(aws, table)
    assert before["sk"]["S"].endswith(f":role/integrations/{ROLE}"), before

    # The Ready event's validation is fresh for 15 minutes; here nothing is.
    lam = aws.client("lambda")
    variables = lam.get_function_configuration(FunctionName=VALIDATOR)["Environment"]["Variables"]
    lam.update_function_configuration(
        FunctionName=VALIDATOR,
        Environment={"Variables": {**variables, "ROLEGATE_FRESH_FOR_SECONDS": "0"}})
    # Timestamps are to the second: a cycle in the registration's second
    # would find it validated since the cycle began (a duplicate).
    time.sleep(1.5)
    answer = json.loads(lam.invoke(FunctionName=VALIDATOR, Payload=json.dumps(schedule()))[
        "Payload"].read())
    assert answer.get("Enqueued") == 1, answer

    outcome = next_event(aws, url, OUTCOME_WITHIN)
    assert outcome["detail-type"] == "Integration Validated", json.dumps(outcome, indent=1)
    assert outcome["detail"]["Trigger"] == "queue"
    assert outcome["detail"]["VendorTenantId"] == "tenant-0099"
    [after] = registry_items(aws, table)
    assert after["LastOutcome"]["S"] == "Validated", after
    assert int(after["Version"]["N"]) == int(before["Version"]["N"]) + 1, (before, after)
    assert after["LastValidated"]["S"] > before["LastValidated"]["S"], (before, after)
    assert after["FirstSeen"] == before["FirstSeen"]

    # Deleting the customer's stack deletes the role; the provisioner sends
    # Integration Role Removed to the vendor bus, the template's rule routes
    # it to the validator, which deletes the record (issue 19): the role is
    # no longer validated nor listed as failing.
    aws.delete("self-trusting")
    deadline = time.monotonic() + OUTCOME_WITHIN
    while registry_items(aws, table) and time.monotonic() < deadline:
        time.sleep(2)
    assert registry_items(aws, table) == [], "the removed role's record is gone"


def test_a_cycle_of_50_integrations_with_slow_sts_and_broken_roles_validates_each_once_and_no_invocation_reaches_a_minute(
        rolegate):
    """`make bench-validation` in small (docs/BENCHMARKS.md, "Validator at
    scale"): 50 real roles in a second account, registry records written
    straight into the table, every STS call held 100 ms and one role in
    twenty never assumable. One cycle validates each record exactly once
    (Version 1 -> 2), rejects exactly the broken ones, dead-letters
    nothing, and no invocation of the queue's batches reaches a minute."""
    import sys

    from local_aws import ROOT

    sys.path.insert(0, str(ROOT / "scripts"))
    import bench_validation as bench

    [result] = bench.measure(rolegate.aws, rolegate.outputs, [50], latency_ms=100,
                             timeout_s=120, progress=lambda _: None)
    assert result["validated_once"] == 50, result
    assert result["validated_more_than_once"] == 0, result
    assert result["rejected"] == result["broken"] == 2, result
    assert result["dead_letters"] == 0, result
    assert result["invocations"] == 50, result  # one message to an invocation (BatchSize 1)
    assert 0 < result["longest_invocation_s"] < bench.INVOCATION_LIMIT_S, result
    # 4 calls for a role that passes (3 AssumeRole, 1 GetCallerIdentity);
    # a broken one is tried for the 5 s wait of a role validated before,
    # at 0, 1 and 3 s (2 or 3 attempts, as the load delays them).
    calls = result["sts_calls"]
    assert calls["GetCallerIdentity"] == 48, result
    assert 48 * 3 + 2 * 2 <= calls["AssumeRole"] <= 48 * 3 + 2 * 3, result
