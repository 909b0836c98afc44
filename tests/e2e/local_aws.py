"""A local AWS for Rolegate's end-to-end runs: MiniStack on a free loopback
port, the real function binaries zipped as `bootstrap` in its S3, and
template.yaml deployed through its CloudFormation engine and SAM transform.

The verdicts come from engines Rolegate did not write: MiniStack's
CloudFormation (custom resources, rollback, exports), EventBridge (rules,
patterns, input transformers, Lambda targets), IAM and, under AUTH=true,
its STS and policy enforcement. This module only starts, deploys and
reads. Where MiniStack departs from AWS, `local_template` rewrites a
temporary copy of template.yaml and says what it changed and why; the
production template is never edited. docs/LOCAL-AWS.md lists every
departure and the test that covers AWS's behaviour instead.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
CUSTOMER = "123456789012"
# The account the example stacks trust (Atmosphere's, seed 000/001).
VENDOR = "966208727603"
CODE_BUCKET = "rolegate-code"
FUNCTIONS = {
    "ProvisionerFunction": "provisioner",
    "GuardFunction": "guard",
    "ValidatorFunction": "validator",
}
SECURITY_TEAM = "security-team"
TERMINAL = re.compile(r"_(COMPLETE|FAILED)$")
# CloudFormation's quota on a template passed in the request (TemplateBody);
# a larger one goes through S3 (TemplateURL), as `sam deploy` and
# `aws cloudformation deploy --s3-bucket` send it. template.yaml is larger.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
TEMPLATE_BODY_LIMIT = 51_200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalAws:
    """One MiniStack process, its state fresh (state lives in memory)."""

    auth: bool = True
    port: int = 0
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    _clients: dict = field(default_factory=dict)

    def start(self) -> "LocalAws":
        self.port = free_port()
        endpoint = self.endpoint
        env = dict(
            os.environ,
            BIND_HOST="127.0.0.1",
            GATEWAY_PORT=str(self.port),
            MINISTACK_HOST="127.0.0.1",
            AUTH="true" if self.auth else "false",
            # A provided.* function gets AWS_ENDPOINT_URL only when
            # MiniStack's own environment has it.
            AWS_ENDPOINT_URL=endpoint,
        )
        fd, name = tempfile.mkstemp(prefix="ministack-", suffix=".log")
        self.log_path = Path(name)
        log = os.fdopen(fd, "w")
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("ministack_launcher.py"))],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        started = time.monotonic()
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() - started > 60:
                    raise RuntimeError(f"MiniStack did not start; see {self.log_path}")
                time.sleep(0.1)
        return self

    def stop(self) -> None:
        """Stops MiniStack and every function process it started, by PID."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str, account: str = CUSTOMER):
        """A client as `account`'s root (MiniStack: a 12-digit access key id)."""
        key = (service, account)
        if key not in self._clients:
            self._clients[key] = boto3.client(
                service, endpoint_url=self.endpoint, region_name=REGION,
                aws_access_key_id=account, aws_secret_access_key="local",
                config=Config(retries={"max_attempts": 2}))
        return self._clients[key]

    def client_as(self, service: str, credentials: dict):
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"])

    # ------------------------------------------------------------ deploying

    def upload_functions(self, bin_dir: Path, account: str = CUSTOMER,
                         bucket: str = CODE_BUCKET) -> None:
        """`bucket`: one per account (MiniStack's bucket names are global, and
        a function whose code is in another account's bucket gets no code)."""
        s3 = self.client("s3", account)
        s3.create_bucket(Bucket=bucket)
        for name in FUNCTIONS.values():
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
                info = zipfile.ZipInfo("bootstrap")
                info.external_attr = 0o755 << 16
                z.writestr(info, (bin_dir / name).read_bytes())
            s3.put_object(Bucket=bucket, Key=f"{name}.zip", Body=buf.getvalue())

    def deploy(self, stack: str, body: str, parameters: dict | None = None,
               account: str = CUSTOMER, update: bool = False) -> dict:
        """CreateStack (or UpdateStack) and wait; returns the stack."""
        cfn = self.client("cloudformation", account)
        kwargs = dict(
            StackName=stack, **self.template_source(stack, body, account),
            Parameters=[{"ParameterKey": k, "ParameterValue": v}
                        for k, v in (parameters or {}).items()],
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
        (cfn.update_stack if update else cfn.create_stack)(**kwargs)
        return self.wait(stack, account)

    def template_source(self, stack: str, body: str, account: str = CUSTOMER) -> dict:
        """`TemplateBody` within CloudFormation's quota, else the template
        uploaded to a bucket of `account`'s and its `TemplateURL`."""
        if len(body.encode()) <= TEMPLATE_BODY_LIMIT:
            return {"TemplateBody": body}
        s3 = self.client("s3", account)
        bucket = f"rolegate-templates-{account}"
        try:
            s3.create_bucket(Bucket=bucket)
        except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
            pass
        key = f"{stack}-{uuid.uuid4().hex}.yaml"
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        return {"TemplateURL": f"https://s3.amazonaws.com/{bucket}/{key}"}

    def delete(self, stack: str, account: str = CUSTOMER) -> dict | None:
        cfn = self.client("cloudformation", account)
        cfn.delete_stack(StackName=stack)
        try:
            return self.wait(stack, account)
        except cfn.exceptions.ClientError:
            return None  # gone

    def wait(self, stack: str, account: str = CUSTOMER, timeout: float = 300) -> dict:
        cfn = self.client("cloudformation", account)
        deadline = time.monotonic() + timeout
        while True:
            found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
            if TERMINAL.search(found["StackStatus"]) and not found["StackStatus"].endswith(
                    "_IN_PROGRESS"):
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f"{stack}: still {found['StackStatus']}")
            time.sleep(0.3)

    def failures(self, stack: str, account: str = CUSTOMER) -> list[str]:
        """`Logical: reason` of every failed resource event, oldest first."""
        events = self.client("cloudformation", account).describe_stack_events(
            StackName=stack)["StackEvents"]
        return [f"{e['LogicalResourceId']}: {e.get('ResourceStatusReason', '')}"
                for e in reversed(events) if e["ResourceStatus"].endswith("_FAILED")]

    def outputs(self, stack: str, account: str = CUSTOMER) -> dict:
        found = self.client("cloudformation", account).describe_stacks(
            StackName=stack)["Stacks"][0]
        return {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}


def local_template(path: Path = ROOT / "template.yaml") -> tuple[str, list[str]]:
    """A temporary copy of template.yaml that MiniStack can deploy, and one
    line per change saying what and why."""
    text = path.read_text()
    changes = []

    def sub(pattern, replacement, why, count=0, flags=re.M):
        nonlocal text
        new, n = re.subn(pattern, replacement, text, count=count, flags=flags)
        if n == 0:
            raise AssertionError(f"template.yaml changed; the local step no longer finds {pattern!r}")
        text = new
        changes.append(f"{why} ({n}x)")

    sub(r"^    CodeUri: \./\n", "",
        "CodeUri: each function's zip in the emulator's S3 instead of the sam build directory")
    for logical, binary in FUNCTIONS.items():
        sub(rf"(^  {logical}:\n    Type: AWS::Serverless::Function\n(?:.*\n)*?    Properties:\n)",
            rf"\1      CodeUri: s3://{CODE_BUCKET}/{binary}.zip\n",
            f"{logical}: CodeUri s3://{CODE_BUCKET}/{binary}.zip", count=1)
    sub(r'InUsEast1: !Equals \[!Ref "AWS::Region", us-east-1\]',
        "InUsEast1: !Equals [us-east-1, us-east-1]",
        "InUsEast1: MiniStack compares !Ref AWS::Region in a Condition as literal text, so the "
        "IAM-change rule would be skipped in us-east-1")
    sub(r"(Resource: !Sub arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:role)\$\{RolePath\}\*",
        r"\1/*",
        "role statements: MiniStack authorizes role actions against role/<name> without the "
        "path, so role${RolePath}* never matches")
    sub(r"(Action: ssm:GetParametersByPath\n +Resource: )!Sub arn:\$\{AWS::Partition\}:ssm:\S+",
        r'\1"*"',
        "ssm:GetParametersByPath statements widened to *: MiniStack authorizes the call against "
        "* (it reads a parameter ARN only from Name), AWS against the requested Path, so a "
        "statement scoped to the path never matches and the sweep is refused")
    sub(r"\n                Condition:\n                  StringEquals:\n                    "
        r"iam:PermissionsBoundary: !Ref IntegrationBoundary",
        "",
        "iam:PermissionsBoundary conditions dropped: MiniStack has no such key for CreateRole or "
        "PutRolePermissionsBoundary", flags=0)
    sub(r"(              ArnNotEquals:\n                aws:PrincipalArn: )!GetAtt ProvisionerRole.Arn",
        r'\1\n                  - !GetAtt ProvisionerRole.Arn\n'
        r'                  - !Sub "arn:${AWS::Partition}:sts::${AWS::AccountId}:assumed-role/${ProvisionerRole}/*"',
        "RecordKey's deny on kms:GenerateMac also spares the provisioner's session ARN: MiniStack "
        "sets aws:PrincipalArn to the assumed-role session ARN, AWS to the role ARN",
        flags=re.M)
    sub(r"^              ArnNotEquals:\n", "              ArnNotLike:\n",
        "RecordKey's deny uses ArnNotLike for the session ARN's wildcard", count=1)
    sub(r"(Resource: )!Sub arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:policy\$\{RolePath\}\*-rolegate-\*",
        r'\1"*"',
        "the role's own managed-policy statements widened to *: MiniStack authorizes CreatePolicy "
        "against * (AWS against the new policy's ARN), so policy${RolePath}*-rolegate-* never "
        "matches it (docs/LOCAL-AWS.md row 22)")
    sub(r"\n                Condition:\n                  ArnLike:\n                    iam:PolicyARN: !Sub \S+",
        "",
        "iam:PolicyARN conditions dropped: MiniStack has no such key for AttachRolePolicy "
        "(docs/LOCAL-AWS.md row 23)", flags=0)
    sub(r"(Resource: )!Sub arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:instance-profile(?:\$\{RolePath\}\*|/\*)$",
        r'\1"*"',
        "instance-profile statements widened to *: MiniStack authorizes CreateInstanceProfile, "
        "GetInstanceProfile, TagInstanceProfile and DeleteInstanceProfile against * (AWS against "
        "the profile's ARN with its path), so instance-profile${RolePath}* never matches them "
        "(docs/LOCAL-AWS.md row 25)")
    sub(r"(Action: \[sqs:SendMessage), (sqs:ReceiveMessage)",
        r"\1, sqs:SendMessageBatch, \2",
        "the validator's queue statement also names sqs:SendMessageBatch: MiniStack authorizes "
        "SendMessageBatch as its own action, AWS as sqs:SendMessage (docs/LOCAL-AWS.md row 24)")
    return text, changes


def wait_until(what: str, check, timeout: float, every: float = 0.5, explain=None):
    """Polls `check` until it is truthy and returns it; fails after
    `timeout` s, with what `explain()` says when given."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            detail = f"\n{explain()}" if explain else ""
            raise AssertionError(f"{what}: not within {timeout} s{detail}")
        time.sleep(every)


def cloudtrail_event(event_name: str, request_parameters: dict,
                     user_identity: dict | None = None, account: str = CUSTOMER) -> dict:
    """A PutEvents entry shaped as CloudTrail delivers an IAM call to the
    default bus (`AWS API Call via CloudTrail`); by default the caller is
    the account root, not one of Rolegate's roles."""
    identity = user_identity or {"type": "Root", "principalId": account,
                                 "arn": f"arn:aws:iam::{account}:root", "accountId": account}
    detail = {
        "eventVersion": "1.09", "userIdentity": identity,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "eventSource": "iam.amazonaws.com", "eventName": event_name,
        "awsRegion": REGION, "sourceIPAddress": "203.0.113.7", "userAgent": "local-e2e",
        "requestParameters": request_parameters, "responseElements": None,
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()), "readOnly": False,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
        "eventCategory": "Management",
    }
    return {"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail",
            "Detail": json.dumps(detail), "EventBusName": "default"}


def capture(aws: "LocalAws", name: str, bus: str, pattern: dict,
            account: str = CUSTOMER) -> str:
    """An SQS queue behind a rule `name` on `bus` that matches `pattern`:
    how a test watches what a function emits. Returns the queue URL."""
    sqs = aws.client("sqs", account)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    events = aws.client("events", account)
    events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(pattern))
    answer = events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    assert answer["FailedEntryCount"] == 0, answer
    return url


def next_event(aws: "LocalAws", url: str, timeout: float, account: str = CUSTOMER) -> dict:
    """The next event the queue at `url` received, within `timeout` s."""
    sqs = aws.client("sqs", account)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1,
                                  WaitTimeSeconds=1).get("Messages", [])
        if got:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
            return json.loads(got[0]["Body"])
    raise AssertionError(f"no event within {timeout} s")


def put_command(events, bus: str, detail_type: str, detail: dict,
                source: str = "rolegate.commands") -> None:
    """Puts one command on `bus` with the `events` client of whoever sends it."""
    answer = events.put_events(Entries=[{
        "Source": source, "DetailType": detail_type,
        "Detail": json.dumps(detail), "EventBusName": bus}])
    assert answer["FailedEntryCount"] == 0, answer


def self_trusting_stack(role: str, bucket: str, vendor_tenant_id: str = "") -> str:
    """A customer stack whose vendor is its own account, announced on the
    deployment's own vendor bus: how one account plays both sides here,
    since MiniStack refuses PutEvents to another account's bus
    (docs/LOCAL-AWS.md)."""
    tenant = f"\n      VendorTenantId: {vendor_tenant_id}" if vendor_tenant_id else ""
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: A role whose vendor is this account
Resources:
  SelfTrusting:
    Type: Custom::IntegrationRole
    Properties:
      ServiceToken: !ImportValue RolegateProvisionerArn
      ServiceTimeout: 300
      RoleName: {role}
      Trust:
        Principals: ["{CUSTOMER}"]
      Grants:
        - Service: s3
          Access: read
          Bucket: {bucket}
      NotifyEventBusArn: arn:aws:events:{REGION}:{CUSTOMER}:event-bus/rolegate{tenant}
"""


def example_stack(name: str) -> str:
    """examples/stacks/<name>.yaml as a local run deploys it: the vendor bus
    it notifies is in the vendor's account, and MiniStack refuses PutEvents
    to another account's bus (docs/LOCAL-AWS.md), so the stack notifies the
    vendor bus of the local deployment instead."""
    text = (ROOT / "examples" / "stacks" / f"{name}.yaml").read_text()
    return text.replace(f"arn:aws:events:{REGION}:{VENDOR}:event-bus/rolegate",
                        f"arn:aws:events:{REGION}:{CUSTOMER}:event-bus/rolegate")
