#!/usr/bin/env python3
"""The secrets-hygiene run behind `make hygiene` (and the moto-backed
walk-through it grew from; `make demo` is now the MiniStack run in
scripts/demo.py).

Everything runs on this machine: moto's server mode stands in for IAM, SSM,
EventBridge, S3 (CloudFormation's ResponseURL) and STS, and the real
provisioner, guard and validator binaries run under cargo-lambda's Lambda
emulator, fed the committed sample events with `cargo lambda invoke`.

moto's STS lets anyone assume any role. So that the vendor-side validation
means something, the validator's STS calls go through a small front that
answers AssumeRole by asking Rolegate's own evaluator (`rolegate simulate`)
whether the role's live trust policy admits the vendor with the ExternalId
presented, and forwards granted calls and everything else to moto.

    scripts/hygiene.py --bin-dir target/debug
    scripts/hygiene.py --hygiene   # also: no secret in any log line or event

With --hygiene every function runs at RUST_LOG=debug with its output kept,
every event any function emits is kept, and the run fails if an ExternalId,
a ResponseURL's query string or an STS session credential appears in any
of them. The one exception is `Integration Role Ready`, whose purpose is to
hand the ExternalId to the vendor.
"""

import argparse
import http.server
import json
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lambda_smoke import REGION, ROOT, Stack, free_port, stop  # noqa: E402

ROLE = "atmosphere-s3"
ACCOUNT = "123456789012"
VENDOR_ROLE = "arn:aws:iam::966208727603:role/rolegate-validator"
VENDOR_BUS = f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/rolegate"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/rolegate-integration-boundary"
SECRET_MASK = "•" * 8


def title(n, text):
    print(f"\n\033[1m{n}. {text}\033[0m")


def show(label, value):
    text = value if isinstance(value, str) else json.dumps(value, indent=2)
    print(f"   {label}:")
    for line in text.splitlines():
        print(f"     {line}")


class StsFront:
    """AssumeRole judged by Rolegate's evaluator; the rest forwarded to moto."""

    def __init__(self, stack, cli):
        self.stack, self.cli = stack, cli
        self.port = free_port()
        front = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                form = dict(urllib.parse.parse_qsl(body.decode()))
                if form.get("Action") == "AssumeRole" and not front.admits(form):
                    self.reply(403, (
                        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
                        "<Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to "
                        "perform sts:AssumeRole</Message></Error><RequestId>demo</RequestId>"
                        "</ErrorResponse>").encode())
                    return
                request = urllib.request.Request(
                    stack.endpoint + self.path, data=body, method="POST",
                    headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as r:
                        self.reply(r.status, r.read())
                except urllib.error.HTTPError as e:
                    self.reply(e.code, e.read())

            def reply(self, status, payload):
                self.send_response(status)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def admits(self, form):
        role_arn = form.get("RoleArn", "")
        name = role_arn.rsplit("/", 1)[-1]
        try:
            trust = self.stack.iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        except self.stack.iam.exceptions.NoSuchEntityException:
            return False
        with tempfile.TemporaryDirectory() as tmp:
            trust_file, caller_file = Path(tmp) / "trust.json", Path(tmp) / "caller.json"
            trust_file.write_text(json.dumps(trust))
            caller_file.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
            args = [self.cli, "simulate", "--identity", str(caller_file),
                    "--resource-policy", str(trust_file), "--principal", VENDOR_ROLE,
                    "--action", "sts:AssumeRole", "--resource", role_arn,
                    "--resource-account", role_arn.split(":")[4]]
            if "ExternalId" in form:
                args += ["--context", f"sts:ExternalId={form['ExternalId']}"]
            return subprocess.run(args, capture_output=True).returncode == 0

    def close(self):
        self.server.shutdown()


class Demo:
    def __init__(self, bin_dir, hygiene=False):
        self.bin = Path(bin_dir)
        self.hygiene = hygiene
        self.logs = []
        self.kept_events = []
        self.response_queries = []
        self.stack = Stack()
        kw = dict(endpoint_url=self.stack.endpoint, region_name=REGION,
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        import boto3
        self.events = boto3.client("events", **kw)
        self.sqs = boto3.client("sqs", **kw)
        self.ssm = boto3.client("ssm", **kw)
        self.front = StsFront(self.stack, str(self.bin / "rolegate"))
        self.external_id = None
        self.tmp = tempfile.TemporaryDirectory()
        self.setup_account()

    def setup_account(self):
        iam = self.stack.iam
        iam.create_policy(PolicyName="rolegate-integration-boundary", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {"Effect": "Deny", "Action": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}))
        self.events.create_event_bus(Name="rolegate")
        queue = self.sqs.create_queue(QueueName="demo-events")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for bus in ["default", "rolegate"]:
            self.events.put_rule(Name=f"demo-{bus}", EventBusName=bus,
                                 EventPattern=json.dumps({"source": [{"prefix": "rolegate"}]}))
            self.events.put_targets(Rule=f"demo-{bus}", EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
        self.queue = queue

    def emitted(self):
        got = []
        while True:
            batch = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                self.kept_events.extend(got)
                return got
            for m in batch:
                got.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])

    def mask(self, value):
        text = json.dumps(value)
        if self.external_id:
            text = text.replace(self.external_id, SECRET_MASK)
        return json.loads(text)

    def invoke(self, binary, event, name, **env):
        log = None
        if self.hygiene:
            log = open(Path(self.tmp.name) / f"{name}.log", "w")
            self.logs.append(Path(log.name))
            env["RUST_LOG"] = "debug"
        function = self.stack.start_function(self.bin / binary, log=log, **env)
        try:
            data = Path(self.tmp.name) / f"{name}.json"
            data.write_text(json.dumps(event))
            out = self.stack.invoke(data, name)
        finally:
            stop(function)
            if log is not None:
                log.close()
        return json.loads(out) if out.strip() else None

    def cfn(self, name, **edits):
        event = self.stack.event(ROOT / "events" / "provisioner" / f"{name}.json", name)
        self.response_queries.append(urllib.parse.urlsplit(event["ResponseURL"]).query)
        event["ResourceProperties"].update(edits)
        self.invoke("provisioner", event, name, ROLEGATE_PERMISSIONS_BOUNDARY_ARN=BOUNDARY,
                    ROLEGATE_ROLE_PATH="/integrations/")
        return self.stack.response(name)

    def guard(self, sample, name):
        event = json.loads((ROOT / "events" / "guard" / sample).read_text())
        return self.invoke("guard", event, name,
                           ROLEGATE_OWN_ROLE_ARNS=f"arn:aws:iam::{ACCOUNT}:role/rolegate/rolegate-guard")

    def policies(self):
        iam = self.stack.iam
        return {n: iam.get_role_policy(RoleName=ROLE, PolicyName=n)["PolicyDocument"]
                for n in iam.list_role_policies(RoleName=ROLE)["PolicyNames"]}

    def run(self):
        done = []

        title(1, "A customer's stack creates the integration role (Custom::IntegrationRole Create)")
        response = self.cfn("create", NotifyEventBusArn=VENDOR_BUS)
        self.external_id = response.get("Data", {}).get("ExternalId")
        show("CloudFormation response (ExternalId masked; NoEcho keeps it out of the console)",
             self.mask(response))
        role = self.stack.iam.get_role(RoleName=ROLE)["Role"]
        show("role", {"Arn": role["Arn"], "MaxSessionDuration": role["MaxSessionDuration"],
                      "PermissionsBoundary": role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn"),
                      "Tags": {t["Key"]: t["Value"] for t in role.get("Tags", [])}})
        show("trust policy", self.mask(role["AssumeRolePolicyDocument"]))
        show("inline policies", self.policies())
        assert response["Status"] == "SUCCESS", response
        done.append("created")

        title(2, "The vendor validates it (Integration Role Ready -> validator)")
        ready = [e for e in self.emitted() if e["detail-type"] == "Integration Role Ready"]
        assert ready, "the provisioner announced the role"
        print(f"   the provisioner put 'Integration Role Ready' on {VENDOR_BUS}")
        # moto's EventBridge leaves out the envelope's `account`, which AWS
        # sets to the sender and the validator binds the role to
        # (docs/LOCAL-AWS.md): fill in what AWS would.
        ready[0].setdefault("account", ACCOUNT)
        answer = self.invoke("validator", ready[0], "validate",
                             AWS_ENDPOINT_URL_STS=f"http://127.0.0.1:{self.front.port}",
                             ROLEGATE_EVENT_BUS="rolegate", ROLEGATE_ASSUME_TIMEOUT_SECONDS="10")
        outcome = answer["Outcomes"][0]
        for check in outcome["Detail"]["Checks"]:
            print(f"   {check['Status']:>7}  {check['Check']}: {check['Reason']}")
        print(f"   => {outcome['DetailType']} ({outcome['Detail']['StsCalls']} STS calls)")
        assert outcome["DetailType"] == "Integration Validated", outcome
        self.emitted()
        done.append("validated")

        title(3, "Someone adds an Allow * on * to the role; the guard restores it")
        self.stack.iam.put_role_policy(RoleName=ROLE, PolicyName="debug", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        print(f"   inline policies after the tamper: {sorted(self.policies())}")
        answer = self.guard("cloudtrail/put-role-policy-wildcard.json", "tamper")
        for finding in answer["Roles"][0]["Findings"][:8]:
            print(f"   finding: {finding[:140]}")
        print(f"   => {answer['Roles'][0]['Status']} with {answer['Roles'][0]['WriteCalls']} IAM write(s); "
              f"inline policies now: {sorted(self.policies())}")
        assert "debug" not in self.policies()
        print(f"   events: {[e['detail-type'] for e in self.emitted()]}")
        done.append("tamper restored")

        title(4, "The customer offboards the vendor at once (Revoke Integration Access)")
        answer = self.guard("commands/revoke.json", "revoke")
        print(f"   => {answer['Roles'][0]['Status']}")
        quarantine = {k: v for k, v in self.policies().items() if k.startswith("rolegate-quarantine")}
        show("quarantine policies", quarantine)
        assert "rolegate-quarantine-deny-all" in quarantine
        print(f"   events: {[e['detail-type'] for e in self.emitted()]}")
        done.append("revoked")

        title(5, "Access is given back (Restore Integration Access)")
        answer = self.guard("commands/restore.json", "restore")
        print(f"   => {answer['Roles'][0]['Status']}; inline policies: {sorted(self.policies())}")
        print("   (the session revocation stays until sessions issued before it have expired)")
        assert "rolegate-quarantine-deny-all" not in self.policies()
        print(f"   events: {[e['detail-type'] for e in self.emitted()]}")
        done.append("access restored")

        title(6, "The stack is deleted (Custom::IntegrationRole Delete)")
        response = self.cfn("delete")
        print(f"   {response['Status']}: {response['Reason']}")
        roles = [r["RoleName"] for r in self.stack.iam.list_roles()["Roles"]]
        records = self.ssm.get_parameters_by_path(Path="/rolegate/roles/", Recursive=True)["Parameters"]
        print(f"   roles left: {roles}; role records left: {len(records)}")
        assert ROLE not in roles and not records
        done.append("deleted")

        self.emitted()
        if self.hygiene:
            self.check_hygiene()
            done.append("no secret in logs or events")
        print(f"\nRolegate demo: {len(done)}/{6 + self.hygiene} steps passed ({', '.join(done)}).")

    def check_hygiene(self):
        title(7, "Secrets hygiene: every log line and every event")
        secrets = {"the ExternalId": self.external_id}
        for i, query in enumerate(self.response_queries):
            secrets[f"ResponseURL query string {i + 1}"] = query
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if key.startswith("X-Amz-") and len(value) >= 8:
                    secrets[f"ResponseURL {key}"] = value
        # Session credentials as moto issues them (AWS's look the same).
        patterns = ["ASIA", "SecretAccessKey", "SessionToken", "FQoGZXIvYXdz"]
        lines = 0
        for path in self.logs:
            for line in path.read_text().splitlines():
                lines += 1
                for what, value in secrets.items():
                    assert not (value and value in line), f"{what} in {path.name}: {line[:200]}"
                for pattern in patterns:
                    assert pattern not in line, f"a credential ({pattern}) in {path.name}: ...{line[max(0, line.find(pattern) - 300):line.find(pattern) + 60]}"
        events = 0
        for event in self.kept_events:
            if event.get("detail-type") == "Integration Role Ready":
                continue  # carries the ExternalId to the vendor, by design
            events += 1
            text = json.dumps(event)
            for what, value in secrets.items():
                assert not (value and value in text), f"{what} in a {event.get('detail-type')} event"
            for pattern in patterns:
                assert pattern not in text, f"a credential ({pattern}) in a {event.get('detail-type')} event"
        assert lines > 0 and events > 0, "nothing was captured"
        print(f"   {lines} log lines from {len(self.logs)} invocations and {events} events: "
              f"no ExternalId, ResponseURL query string or session credential")

    def close(self):
        self.front.close()
        self.stack.close()
        self.tmp.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "debug"))
    parser.add_argument("--hygiene", action="store_true",
                        help="capture every log line and event and fail on any secret in them")
    args = parser.parse_args()
    demo = Demo(args.bin_dir, hygiene=args.hygiene)
    try:
        demo.run()
    except AssertionError as e:
        sys.exit(f"\nRolegate demo FAILED: {e}")
    finally:
        demo.close()


if __name__ == "__main__":
    main()
