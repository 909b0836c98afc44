#!/usr/bin/env python3
"""One validation cycle at scale on MiniStack (issue 19): the figures in
docs/BENCHMARKS.md, section "Validator at scale".

Rolegate's template.yaml is deployed as tests/e2e deploys it (a fresh
MiniStack, the debug binaries, `local_aws.local_template`). For each size N:

- N integration roles are real IAM roles in a second account (the
  customer's, CUSTOMER_B), each at /integrations/ trusting the vendor's
  account (the validator's) with its own ExternalId, so MiniStack's STS
  judges every AssumeRole against a real trust policy;
- N registry records are written straight into the registry table, each
  last validated a day ago and Validated then: the daily cycle's steady
  state (a role that never passed gets the full assume wait, one validated
  before the short one, `registry::assume_wait`);
- an STS front on loopback, which the validator reaches through
  AWS_ENDPOINT_URL_STS in its environment, holds every STS call for
  LATENCY ms and answers AssumeRole for one role in twenty (5%) with
  AccessDenied, as for a customer who changed the trust: never assumable;
  every other call goes on to MiniStack. It counts the calls;
- the schedule is invoked once, as EventBridge's schedule would; the
  template's event source mapping (BatchSize 1, MaximumConcurrency 20)
  does the rest. The cycle is over when the queue holds no message,
  visible or in flight.

Reported per size: wall time (schedule to empty queue), STS calls per
integration, Lambda invocations of the queue (REPORT lines in the
function's log group) and the longest one, every record validated exactly
once (Version 1 -> 2), rejections, dead letters.

    .venv/bin/python scripts/bench_validation.py --sizes 1000 5000 10000

`make bench-validation` runs it (SIZES changes the sizes). The sizes share
one deployment: the roles of a smaller size are reused by the next one.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from local_aws import CUSTOMER, LocalAws  # noqa: E402

# The customer's account the integration roles live in; the vendor (the
# validator) is CUSTOMER, as in tests/e2e/test_validator_fanout.py.
CUSTOMER_B = "210987654321"
VALIDATOR = "rolegate-validator"
LOG_GROUP = f"/aws/lambda/{VALIDATOR}"
# One role in BROKEN_EVERY is never assumable (5%).
BROKEN_EVERY = 20
# Lambda's limit the goal sets on one invocation (issue 19).
INVOCATION_LIMIT_S = 60.0


def role_name(i: int) -> str:
    return f"bench-{i:06d}"


def role_arn(i: int) -> str:
    return f"arn:aws:iam::{CUSTOMER_B}:role/integrations/{role_name(i)}"


def external_id(i: int) -> str:
    return f"bench-external-id-{i:06d}"


def is_broken(i: int) -> bool:
    return i % BROKEN_EVERY == BROKEN_EVERY - 1


# ---------------------------------------------------------------- STS front


class StsFront:
    """Loopback STS in front of MiniStack: LATENCY ms on every call,
    AccessDenied for the broken roles' AssumeRole, everything else
    forwarded. Counts calls by action."""

    def __init__(self, upstream_port: int, latency_s: float, broken: set[str]):
        self.latency_s = latency_s
        self.broken = broken
        self.lock = threading.Lock()
        self.calls: dict[str, int] = {}
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
                action = (form.get("Action") or ["?"])[0]
                with front.lock:
                    front.calls[action] = front.calls.get(action, 0) + 1
                time.sleep(front.latency_s)
                if action == "AssumeRole" and (form.get("RoleArn") or [""])[0] in front.broken:
                    arn = form["RoleArn"][0]
                    reply = (
                        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
                        "<Error><Type>Sender</Type><Code>AccessDenied</Code>"
                        f"<Message>not authorized to perform: sts:AssumeRole on resource: {arn}"
                        "</Message></Error><RequestId>bench</RequestId></ErrorResponse>"
                    ).encode()
                    self._answer(403, "text/xml", reply)
                    return
                conn = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=30)
                try:
                    # The Host header is kept: MiniStack checks a session's
                    # SigV4 signature, which covers it.
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() != "connection"}
                    conn.request("POST", self.path, body=body, headers=headers)
                    answer = conn.getresponse()
                    self._answer(answer.status, answer.getheader("Content-Type", "text/xml"),
                                 answer.read())
                finally:
                    conn.close()

            def _answer(self, status: int, content_type: str, payload: bytes):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def take_calls(self) -> dict[str, int]:
        with self.lock:
            calls, self.calls = self.calls, {}
        return calls

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------- fixtures


def trust(i: int) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": external_id(i)}}}]})


def create_roles(aws: LocalAws, start: int, end: int) -> None:
    iam = aws.client("iam", CUSTOMER_B)
    for i in range(start, end):
        iam.create_role(RoleName=role_name(i), Path="/integrations/",
                        AssumeRolePolicyDocument=trust(i))


def stamp(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(i: int, validated: datetime) -> dict:
    """A registry item as `registry::Record::to_item` writes it: validated
    (Validated) a day before the cycle, version 1."""
    arn = role_arn(i)
    s = lambda v: {"S": v}  # noqa: E731
    return {
        "pk": s(f"account#{CUSTOMER_B}"), "sk": s(f"role#{arn}"), "RoleArn": s(arn),
        "Account": s(CUSTOMER_B), "ExternalId": s(external_id(i)),
        "SenderAccount": s(CUSTOMER_B), "VendorTenantId": s(f"tenant-{i:06d}"),
        "FirstSeen": s(stamp(validated - timedelta(days=30))),
        "LastValidated": s(stamp(validated)), "LastOutcome": s("Validated"),
        "ConsecutiveFailures": {"N": "0"}, "Version": {"N": "1"},
    }


def write_records(aws: LocalAws, table: str, count: int) -> None:
    ddb = aws.client("dynamodb")
    validated = datetime.now(timezone.utc) - timedelta(days=1)
    items = [record(i, validated) for i in range(count)]
    for at in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": it}} for it in items[at:at + 25]]
        while requests:
            left = ddb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = left.get(table, [])


def scan(aws: LocalAws, table: str) -> list[dict]:
    ddb = aws.client("dynamodb")
    items, start = [], None
    while True:
        page = ddb.scan(TableName=table, ConsistentRead=True,
                        **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def schedule_event() -> dict:
    return {"version": "0", "id": "bench", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": CUSTOMER,
            "time": stamp(datetime.now(timezone.utc)), "region": "us-east-1",
            "resources": [], "detail": {}}


def point_sts_at(aws: LocalAws, endpoint: str) -> None:
    """The validator's STS calls go through the front; everything else
    stays on MiniStack (AWS_ENDPOINT_URL, which MiniStack injects)."""
    lam = aws.client("lambda")
    variables = lam.get_function_configuration(FunctionName=VALIDATOR)["Environment"]["Variables"]
    lam.update_function_configuration(
        FunctionName=VALIDATOR,
        Environment={"Variables": {**variables, "AWS_ENDPOINT_URL_STS": endpoint}})


def set_mapping(aws: LocalAws, batch_size: int, max_concurrency: int) -> None:
    """The queue's event source mapping set to another BatchSize and
    MaximumConcurrency than template.yaml's (1 and 20), to measure a
    variant without editing the template."""
    lam = aws.client("lambda")
    [mapping] = [m for m in lam.list_event_source_mappings(FunctionName=VALIDATOR)[
        "EventSourceMappings"] if ":sqs:" in m["EventSourceArn"]]
    lam.update_event_source_mapping(UUID=mapping["UUID"], BatchSize=batch_size,
                                    ScalingConfig={"MaximumConcurrency": max_concurrency})


def queue_depth(aws: LocalAws, url: str) -> int:
    attrs = aws.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages",
                                      "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"])


REPORT = re.compile(r"^REPORT RequestId: (\S+)\s+Duration: ([0-9.]+) ms")


def log_events(aws: LocalAws, since_ms: int, pattern: str) -> list[dict]:
    """Every event of the function's log group since `since_ms` matching
    `pattern`, filtered by the server (an unfiltered read of a 10,000-cycle,
    about 15 lines an invocation, came back short on MiniStack)."""
    logs = aws.client("logs")
    events, token = [], None
    while True:
        page = logs.filter_log_events(logGroupName=LOG_GROUP, startTime=since_ms,
                                      filterPattern=pattern,
                                      **({"nextToken": token} if token else {}))
        events += page.get("events", [])
        token = page.get("nextToken")
        if not token:
            return events


def invocations(aws: LocalAws, since_ms: int) -> tuple[list[float], float | None]:
    """Durations (s) of the queue's invocations since `since_ms`, from the
    REPORT lines MiniStack writes to the function's log group, and the
    schedule's (its stream holds 'validation cycle enqueued')."""
    reports: dict[str, float] = {}
    for e in log_events(aws, since_ms, '"REPORT RequestId"'):
        m = REPORT.match(e["message"])
        if m:
            reports[m.group(1)] = float(m.group(2)) / 1000
    schedule_ids = set()
    for e in log_events(aws, since_ms, '"validation cycle enqueued"'):
        m = re.search(r'"requestId":"([^"]+)"', e["message"])
        if m:
            schedule_ids.add(m.group(1))
    schedule = [d for r, d in reports.items() if r in schedule_ids]
    queue = [d for r, d in reports.items() if r not in schedule_ids]
    return queue, (schedule[0] if schedule else None)


# ---------------------------------------------------------------- one cycle


def cycle(aws: LocalAws, outputs: dict, front: StsFront, size: int,
          timeout_s: float) -> dict:
    table = outputs["RegistryTableName"]
    lam = aws.client("lambda")
    queue_url = lam.get_function_configuration(FunctionName=VALIDATOR)["Environment"][
        "Variables"]["ROLEGATE_VALIDATION_QUEUE_URL"]
    write_records(aws, table, size)
    front.take_calls()
    time.sleep(1.5)  # timestamps are to the second (see the e2e test)
    since_ms = int(time.time() * 1000)
    started = time.monotonic()
    answer = json.loads(lam.invoke(FunctionName=VALIDATOR,
                                   Payload=json.dumps(schedule_event()))["Payload"].read())
    enqueued_s = time.monotonic() - started
    if answer.get("Enqueued") != size:
        raise AssertionError(f"the schedule enqueued {answer}, not {size}")
    while queue_depth(aws, queue_url) > 0:
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"{size}: the queue was not empty after {timeout_s} s")
        time.sleep(1)
    wall_s = time.monotonic() - started
    calls = front.take_calls()
    time.sleep(1)  # the last REPORT lines are written as each invocation ends
    durations, schedule_s = invocations(aws, since_ms)
    items = scan(aws, table)
    versions = [int(it["Version"]["N"]) for it in items]
    rejected = sum(1 for it in items if it.get("LastOutcome", {}).get("S") == "Rejected")
    dead = int(aws.client("sqs").get_queue_attributes(
        QueueUrl=outputs["ValidationDeadLettersQueueUrl"],
        AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
        "ApproximateNumberOfMessages"])
    return {
        "integrations": size,
        "broken": sum(1 for i in range(size) if is_broken(i)),
        "wall_s": round(wall_s, 1),
        "schedule_s": round(schedule_s if schedule_s is not None else enqueued_s, 2),
        "sts_calls": calls,
        "sts_calls_per_integration": round(sum(calls.values()) / size, 2),
        "invocations": len(durations),
        "longest_invocation_s": round(max(durations), 2) if durations else None,
        "median_invocation_s": round(statistics.median(durations), 2) if durations else None,
        "invocations_over_3s": sum(1 for d in durations if d > 3),
        "mean_invocation_s": round(statistics.mean(durations), 2) if durations else None,
        "validated_once": sum(1 for v in versions if v == 2),
        "validated_more_than_once": sum(1 for v in versions if v > 2),
        "not_validated": sum(1 for v in versions if v < 2),
        "rejected": rejected,
        "dead_letters": dead,
    }


def deploy(bin_dir: Path) -> tuple[LocalAws, dict]:
    """MiniStack with Rolegate deployed as the e2e suite deploys it."""
    from conftest import Rolegate

    aws = LocalAws().start()
    try:
        rolegate = Rolegate(aws, functions=bin_dir)
    except BaseException:
        aws.stop()
        raise
    return aws, rolegate.outputs


def measure(aws: LocalAws, outputs: dict, sizes: list[int], latency_ms: float,
            timeout_s: float, progress=print, mapping: tuple[int, int] | None = None,
            ) -> list[dict]:
    """One cycle per size on a deployed Rolegate, smallest first: the
    roles of a size are kept for the next one. `mapping`: (BatchSize,
    MaximumConcurrency) instead of the template's."""
    broken = {role_arn(i) for i in range(max(sizes)) if is_broken(i)}
    front = StsFront(aws.port, latency_ms / 1000, broken)
    try:
        point_sts_at(aws, front.endpoint)
        if mapping:
            set_mapping(aws, *mapping)
        results, made = [], 0
        for size in sorted(sizes):
            progress(f"==> {size} integrations: creating roles {made}..{size - 1}")
            t = time.monotonic()
            create_roles(aws, made, size)
            made = size
            progress(f"    roles made in {time.monotonic() - t:.0f} s; one cycle")
            result = cycle(aws, outputs, front, size, timeout_s)
            progress("    " + json.dumps(result))
            results.append(result)
        return results
    finally:
        front.stop()


def run(sizes: list[int], bin_dir: Path, latency_ms: float, timeout_s: float,
        mapping: tuple[int, int] | None = None) -> list[dict]:
    aws, outputs = deploy(bin_dir)
    try:
        return measure(aws, outputs, sizes, latency_ms, timeout_s, mapping=mapping)
    finally:
        aws.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--bin-dir", type=Path, default=ROOT / "target" / "debug")
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--timeout", type=float, default=3600,
                        help="seconds one cycle may take before the run fails")
    parser.add_argument("--json", type=Path, help="write the results here too")
    parser.add_argument("--mapping", type=int, nargs=2, metavar=("BATCH_SIZE", "MAX_CONCURRENCY"),
                        help="measure the event source mapping with these instead of "
                             "template.yaml's 10 and 2")
    args = parser.parse_args()
    results = run(args.sizes, args.bin_dir, args.latency_ms, args.timeout,
                  tuple(args.mapping) if args.mapping else None)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    failed = [r for r in results
              if r["validated_once"] != r["integrations"]
              or (r["longest_invocation_s"] or 0) > INVOCATION_LIMIT_S]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
