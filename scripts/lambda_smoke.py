#!/usr/bin/env python3
"""Runs the real function binaries under cargo-lambda's Lambda emulator.

`cargo lambda watch --only-lambda-apis` serves the Lambda runtime API; the
binary (debug or release, built by cargo) runs against it with AWS_ENDPOINT_URL
pointing at a local moto server, exactly as it would run in Lambda. The
events under events/provisioner/ go in through `cargo lambda invoke
--data-file`, with their ResponseURL replaced by a presigned moto S3 URL, and
each response is read back from the bucket. With --guard, between the Create
and the Update the guard binary takes the emulator's place and is fed
events/guard/ samples: a tamper is restored, a revoke quarantines, a restore
lifts it, and a sweep finds nothing left to do.

    scripts/lambda_smoke.py --binary target/debug/provisioner --guard target/debug/guard
    scripts/lambda_smoke.py --binary target/release/provisioner --measure 20

--measure N also starts the binary N times and reports its cold-start init
(first invoke minus a warm invoke) and its peak RSS.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
BUCKET = "cfn-responses"
RECORD_KEY = "alias/rolegate-records"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port, what, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"{what} did not start on port {port}")


class Stack:
    """moto, the emulator and the helpers to reach them."""

    def __init__(self):
        self.procs = []
        env = dict(os.environ, PATH=f"{VENV_BIN}:{os.environ['PATH']}")
        self.moto_port = free_port()
        self.procs.append(subprocess.Popen(
            [VENV_BIN / "moto_server", "-H", "127.0.0.1", "-p", str(self.moto_port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.api_port = free_port()
        self.procs.append(subprocess.Popen(
            ["cargo", "lambda", "watch", "--only-lambda-apis",
             "-A", "127.0.0.1", "-P", str(self.api_port)],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.env = env
        wait_for(self.moto_port, "moto")
        wait_for(self.api_port, "cargo lambda watch")
        self.endpoint = f"http://127.0.0.1:{self.moto_port}"
        kw = dict(endpoint_url=self.endpoint, region_name=REGION,
                  aws_access_key_id="testing", aws_secret_access_key="testing")
        self.s3 = boto3.client("s3", **kw)
        self.iam = boto3.client("iam", **kw)
        self.s3.create_bucket(Bucket=BUCKET)
        # The record key (template.yaml's RecordKey): records are sealed with it.
        kms = boto3.client("kms", **kw)
        key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=RECORD_KEY, TargetKeyId=key)

    def function_env(self):
        return dict(
            self.env,
            AWS_LAMBDA_FUNCTION_NAME="_",
            AWS_LAMBDA_FUNCTION_VERSION="1",
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
            AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{self.api_port}/.rt",
            AWS_ENDPOINT_URL=self.endpoint,
            AWS_REGION=REGION,
            AWS_ACCESS_KEY_ID="testing",
            AWS_SECRET_ACCESS_KEY="testing",
            ROLEGATE_ALLOW_RESPONSE_HOST="127.0.0.1",
            ROLEGATE_RECORD_KEY_ID=RECORD_KEY,
            RUST_LOG="warn",
        )

    def start_function(self, binary, log=None, **env):
        """The binary as Lambda would run it; its output goes to `log` (a
        file object) when given, else nowhere."""
        out = log if log is not None else subprocess.DEVNULL
        return subprocess.Popen([binary], env=dict(self.function_env(), **env),
                                stdout=out, stderr=out)

    def invoke(self, event_file, what):
        """`cargo lambda invoke --data-file`; returns the function's answer."""
        run = subprocess.run(
            ["cargo", "lambda", "invoke", "_", "--data-file", str(event_file),
             "-A", "127.0.0.1", "-P", str(self.api_port)],
            env=self.env, capture_output=True, text=True, timeout=120)
        if run.returncode != 0:
            sys.exit(f"{what}: cargo lambda invoke failed: {run.stderr}")
        return run.stdout

    def event(self, path, key, **overrides):
        event = json.loads(Path(path).read_text())
        event["ResponseURL"] = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": BUCKET, "Key": key}, ExpiresIn=3600)
        event.update(overrides)
        return event

    def response(self, key):
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def invoke_http(self, event):
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.api_port}/2015-03-31/functions/_/invocations",
            data=json.dumps(event).encode(), method="POST")
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.read()

    def close(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            p.wait()


def stop(function):
    function.terminate()
    function.wait()


def guard_smoke(stack, binary):
    """The guard binary on the samples, against the role the Create made."""
    function = stack.start_function(
        binary, ROLEGATE_OWN_ROLE_ARNS="arn:aws:iam::123456789012:role/rolegate-guard")
    role = "atmosphere-s3"
    policies = lambda: stack.iam.list_role_policies(RoleName=role)["PolicyNames"]
    try:
        stack.iam.put_role_policy(RoleName=role, PolicyName="debug", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        steps = [
            ("cloudtrail/put-role-policy-wildcard.json", '"restored"', lambda p: "debug" not in p),
            ("commands/revoke.json", '"revoked"', lambda p: "rolegate-quarantine-deny-all" in p),
            ("commands/restore.json", '"access-restored"',
             lambda p: "rolegate-quarantine-deny-all" not in p),
            ("sweep.json", '"Complete":true', lambda p: "debug" not in p),
        ]
        for sample, expected, check in steps:
            source = ROOT / "events" / "guard" / sample
            answer = stack.invoke(source, sample)
            if expected not in answer.replace(" ", "") or not check(policies()):
                sys.exit(f"guard {sample}: answer {answer}, policies {policies()}")
            print(f"ok: {source.relative_to(ROOT)} -> {expected}")
    finally:
        stop(function)


def smoke(stack, binary, guard):
    expected_arn = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3"
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["create", "update", "delete"]:
            if name == "update" and guard:
                guard_smoke(stack, guard)
            function = stack.start_function(binary)
            source = ROOT / "events" / "provisioner" / f"{name}.json"
            event = stack.event(source, name)
            data_file = Path(tmp) / f"{name}.json"
            data_file.write_text(json.dumps(event))
            try:
                stack.invoke(data_file, name)
            finally:
                stop(function)
            response = stack.response(name)
            if response["Status"] != "SUCCESS" or response["PhysicalResourceId"] != expected_arn:
                sys.exit(f"{name}: unexpected response {response}")
            print(f"ok: {source.relative_to(ROOT)} -> {response['Status']}: {response['Reason']}")
            roles = [r["RoleName"] for r in stack.iam.list_roles()["Roles"]]
            if ("atmosphere-s3" in roles) != (name != "delete"):
                sys.exit(f"{name}: role list is {roles}")


def measure(stack, binary, runs):
    """Cold init = first invoke on a fresh process minus a warm invoke."""
    event_file = ROOT / "events" / "provisioner" / "delete.json"
    colds, warms, rss = [], [], []
    for i in range(runs):
        # A Delete after a failed Create: no IAM call, one S3 PUT.
        event = stack.event(event_file, f"m{i}",
                            PhysicalResourceId="rolegate-failed-create:VendorRole:x")
        started = time.perf_counter()
        function = stack.start_function(binary)
        stack.invoke_http(event)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        stack.invoke_http(event)
        warm = time.perf_counter() - started
        status = Path(f"/proc/{function.pid}/status").read_text()
        hwm = next(int(l.split()[1]) for l in status.splitlines() if l.startswith("VmHWM"))
        function.terminate()
        function.wait()
        colds.append(cold)
        warms.append(warm)
        rss.append(hwm / 1024)
    init = [c - w for c, w in zip(colds, warms)]
    print(f"runs: {runs}")
    print(f"cold invoke (spawn to response): median {statistics.median(colds) * 1000:.1f} ms")
    print(f"warm invoke: median {statistics.median(warms) * 1000:.1f} ms")
    print(f"cold-start init (cold - warm): median {statistics.median(init) * 1000:.1f} ms, "
          f"max {max(init) * 1000:.1f} ms")
    print(f"peak RSS (VmHWM): median {statistics.median(rss):.1f} MiB, max {max(rss):.1f} MiB")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / "target" / "debug" / "provisioner"))
    parser.add_argument("--guard", help="the guard binary; smoke-tests it between Create and Update")
    parser.add_argument("--measure", type=int, default=0)
    args = parser.parse_args()
    stack = Stack()
    try:
        if args.measure:
            measure(stack, args.binary, args.measure)
        else:
            smoke(stack, args.binary, args.guard)
    finally:
        stack.close()


if __name__ == "__main__":
    main()
