"""Fixtures of the end-to-end suite: a fresh MiniStack per test module's
scenario, with Rolegate's template.yaml deployed through its
CloudFormation engine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from local_aws import CUSTOMER, ROOT, SECURITY_TEAM, LocalAws, local_template


def bin_dir() -> Path:
    return Path(os.environ.get("ROLEGATE_BIN_DIR", ROOT / "target" / "debug"))


class Rolegate:
    """Rolegate deployed on a local AWS, with handles the tests need."""

    def __init__(self, aws: LocalAws, parameters: dict | None = None,
                 functions: Path | None = None):
        """`parameters`: template parameters besides the defaults below;
        `functions`: where the binaries are (default: ROLEGATE_BIN_DIR)."""
        self.aws = aws
        iam = aws.client("iam")
        # The one principal allowed to put commands (CommandPrincipalArns).
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
            "Action": "sts:AssumeRole"}]}
        self.security_team_arn = iam.create_role(
            RoleName=SECURITY_TEAM, AssumeRolePolicyDocument=__import__("json").dumps(trust),
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName=SECURITY_TEAM, PolicyName="commands",
            PolicyDocument=__import__("json").dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": "events:PutEvents", "Resource": "*"}]}))
        aws.upload_functions(functions or bin_dir())
        body, self.changes = local_template()
        parameters = {"CommandPrincipalArns": self.security_team_arn, **(parameters or {})}
        if "AllowedResponseHost:" in body:
            parameters["AllowedResponseHost"] = "127.0.0.1"
        stack = aws.deploy("rolegate", body, parameters)
        assert stack["StackStatus"] == "CREATE_COMPLETE", aws.failures("rolegate")
        self.outputs = aws.outputs("rolegate")


@pytest.fixture
def local_aws():
    aws = LocalAws().start()
    yield aws
    aws.stop()


@pytest.fixture
def rolegate(local_aws):
    return Rolegate(local_aws)


def pytest_report_header(config):
    """The local step's changes to the temporary copy of template.yaml,
    shown at the top of every run: what the emulator could not take as is."""
    _, changes = local_template()
    return ["template.yaml, temporary copy for MiniStack (docs/LOCAL-AWS.md):"] + [
        f"  - {c}" for c in changes]
