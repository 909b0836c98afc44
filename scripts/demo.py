#!/usr/bin/env python3
"""`make demo`: Rolegate as users deploy it, on a local AWS.

MiniStack (an independent emulator, `AUTH=true`) plays AWS: its
CloudFormation engine deploys template.yaml through the SAM transform as
two stacks, the customer side (`rolegate`, Side=customer: provisioner,
guard, boundary) and the vendor side (`rolegate-vendor`, Side=vendor: the
vendor bus, validator, registry and queue), and runs the provisioner as
the customer stack's custom resource; its
EventBridge routes a CloudTrail-shaped IAM event and the commands through
the template's own rules to the guard; its STS judges the role's trust,
ExternalId included. Nothing here invokes a function or answers for AWS.

    scripts/demo.py --bin-dir target/debug

Each step prints what happened; the last line is a one-line summary.
docs/LOCAL-AWS.md lists where MiniStack departs from AWS.

Both stacks are in one account. MiniStack keeps several accounts under
AUTH=true, but a PutEvents to another account's bus ARN answers
ResourceNotFoundException there (docs/LOCAL-AWS.md row 8), where AWS
delivers it under the bus's policy: with the vendor side in its own account
the provisioner's Integration Role Ready would never reach the validator.
Two stacks in one account still prove what matters here, that each side
runs with only its own resources and roles.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from local_aws import (  # noqa: E402
    VENDOR, LocalAws, capture, cloudtrail_event, example_stack, local_template,
    next_event, put_command, self_trusting_stack, wait_until)
from conftest import Rolegate  # noqa: E402

ROLE = "atmosphere"
VENDOR_STACK = "rolegate-vendor"
# Each side's functions (template.yaml, Conditions IsCustomerSide and IsVendorSide).
SIDE_FUNCTIONS = {"customer": ["GuardFunction", "ProvisionerFunction"],
                  "vendor": ["ValidatorFunction"]}
SECRET_MASK = "\u2022" * 8
SELF_TRUSTING_STACK = self_trusting_stack("demo-self-trusting", "demo-exports")
BOLD = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def title(n: int, text: str) -> None:
    print(f"\n{BOLD[0]}{n}. {text}{BOLD[1]}", flush=True)


def say(text: str) -> None:
    print(f"   {text}", flush=True)


class Demo:
    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.aws = LocalAws()
        self.done: list[str] = []
        self.external_id = ""

    # ------------------------------------------------------------- helpers

    @property
    def iam(self):
        return self.aws.client("iam")

    def mask(self, text: str) -> str:
        return text.replace(self.external_id, SECRET_MASK) if self.external_id else text

    def policies(self, role: str = ROLE) -> list[str]:
        return sorted(self.iam.list_role_policies(RoleName=role)["PolicyNames"])

    def customer_stack(self, renamed: bool = False) -> str:
        body = example_stack("atmosphere")
        return body.replace("RoleName: atmosphere\n", "RoleName: atmosphere-v2\n") \
            if renamed else body

    def integration_roles(self) -> dict:
        return {r["RoleName"]: r["Arn"] for r in self.iam.list_roles()["Roles"]
                if r["Path"] == "/integrations/"}

    def stack_summary(self, stack: str, side: str, started: float) -> None:
        """One line per stack: its side, its resources' count and its
        functions, which are that side's only."""
        resources = self.aws.client("cloudformation").list_stack_resources(
            StackName=stack)["StackResourceSummaries"]
        functions = sorted(r["LogicalResourceId"] for r in resources
                           if r["ResourceType"] == "AWS::Lambda::Function")
        assert functions == SIDE_FUNCTIONS[side], (stack, functions)
        say(f"stack {stack} (Side={side}): CREATE_COMPLETE, {len(resources)} resources, "
            f"functions {', '.join(functions)}, {time.monotonic() - started:.1f} s")

    # --------------------------------------------------------------- steps

    def run(self) -> int:
        started = time.monotonic()
        self.aws.start()
        try:
            self.steps()
        finally:
            self.aws.stop()
        took = time.monotonic() - started
        print(f"\nRolegate demo: {len(self.done)}/8 steps passed ({', '.join(self.done)}) "
              f"on MiniStack in {took:.0f} s.")
        return 0 if len(self.done) == 8 else 1

    def steps(self) -> None:
        title(1, "Rolegate's template.yaml, deployed as two stacks (one per Side) through the "
                 "SAM transform")
        body, changes = local_template()
        say("the local copy differs from template.yaml where MiniStack departs from AWS:")
        for change in changes:
            say(f"  - {change}")
        say("both stacks in one account: MiniStack answers ResourceNotFoundException to a "
            "PutEvents on another account's bus (docs/LOCAL-AWS.md row 8)")
        t = time.monotonic()
        rolegate = Rolegate(self.aws, {"Side": "customer"}, functions=self.bin_dir)
        self.stack_summary("rolegate", "customer", t)
        say(f"command bus: {rolegate.outputs['CommandBusName']} (only {rolegate.security_team_arn} "
            "may put commands)")
        t = time.monotonic()
        stack = self.aws.deploy(VENDOR_STACK, body, {"Side": "vendor"})
        assert stack["StackStatus"] == "CREATE_COMPLETE", self.aws.failures(VENDOR_STACK)
        self.stack_summary(VENDOR_STACK, "vendor", t)
        self.done.append("deployed")

        title(2, "A customer's stack makes the Atmosphere role (Custom::IntegrationRole)")
        stack = self.aws.deploy("atmosphere", self.customer_stack())
        assert stack["StackStatus"] == "CREATE_COMPLETE", self.aws.failures("atmosphere")
        say(f"stack atmosphere: {stack['StackStatus']}")
        for name, arn in sorted(self.integration_roles().items()):
            say(f"role {arn}")
        role = self.iam.get_role(RoleName=ROLE)["Role"]
        trust = json.dumps(role["AssumeRolePolicyDocument"])
        self.external_id = trust.split('"sts:ExternalId": "')[1].split('"')[0]
        say(f"trust: {self.mask(trust)}")
        say(f"boundary: {role['PermissionsBoundary']['PermissionsBoundaryArn']}")
        say(f"inline policies: {self.policies()}")
        self.done.append("created")

        title(3, "The vendor validates: MiniStack's STS judges the trust, ExternalId included")
        sts = self.aws.client("sts", VENDOR)
        session = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="vendor",
                                  ExternalId=self.external_id)["Credentials"]
        who = self.aws.client_as("sts", session).get_caller_identity()["Arn"]
        say(f"AssumeRole with the ExternalId: allowed; GetCallerIdentity = {who}")
        for label, kwargs in [("without an ExternalId", {}),
                              ("with a wrong one", {"ExternalId": "not-the-external-id"})]:
            try:
                sts.assume_role(RoleArn=role["Arn"], RoleSessionName="vendor", **kwargs)
                raise AssertionError(f"AssumeRole {label} was allowed")
            except sts.exceptions.ClientError as e:
                say(f"AssumeRole {label}: {e.response['Error']['Code']}")
        t = time.monotonic()
        outcomes = capture(self.aws, "validator-outcomes", "rolegate",
                           {"source": ["rolegate.validator"]})
        stack = self.aws.deploy("self-trusting", SELF_TRUSTING_STACK)
        assert stack["StackStatus"] == "CREATE_COMPLETE", self.aws.failures("self-trusting")
        outcome = next_event(self.aws, outcomes, 90)
        say(f"a role whose vendor is this account, announced on the vendor bus: the {VENDOR_STACK} "
            "stack's IntegrationRoleReady rule ran its validator")
        for check in outcome["detail"]["Checks"]:
            say(f"  {check['Status']:>7}  {check['Check']}: {check['Reason']}")
        say(f"=> {outcome['detail-type']} ({outcome['detail']['StsCalls']} STS calls, "
            f"{time.monotonic() - t:.1f} s)")
        assert outcome["detail-type"] == "Integration Validated", outcome
        self.aws.delete("self-trusting")
        self.done.append("validated")

        title(4, "A tamper, and its CloudTrail event through the template's IAM rule")
        self.iam.put_role_policy(RoleName=ROLE, PolicyName="backdoor", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
        say(f"an administrator adds 'backdoor' (Allow * on *): {self.policies()}")
        put = self.aws.client("events").put_events(Entries=[cloudtrail_event(
            "PutRolePolicy", {"roleName": ROLE, "policyName": "backdoor"})])
        assert put["FailedEntryCount"] == 0, put
        wait_until("the guard restores the role", lambda: "backdoor" not in self.policies(), 60)
        say(f"the rule routed it to the guard, which restored the role: {self.policies()}")
        self.done.append("restored")

        title(5, "The security team revokes, then restores access (the command bus)")
        team = self.aws.client("sts").assume_role(
            RoleArn=rolegate.security_team_arn, RoleSessionName="oncall")["Credentials"]
        bus = rolegate.outputs["CommandBusName"]
        events = self.aws.client_as("events", team)
        put_command(events, bus, "Revoke Integration Access",
                    {"role": ROLE, "reason": "vendor offboarded"})
        wait_until("the quarantine", lambda: "rolegate-quarantine-deny-all" in self.policies(), 60)
        say(f"revoked: {self.policies()}")
        put_command(events, bus, "Restore Integration Access", {"role": ROLE})
        wait_until("the restore",
                   lambda: "rolegate-quarantine-deny-all" not in self.policies(), 60)
        say(f"restored: {self.policies()} (old sessions stay revoked until they expire)")
        self.done.append("revoked and restored")

        title(6, "An in-place update (a parameter change)")
        stack = self.aws.deploy("atmosphere", self.customer_stack(),
                                {"SampleBucket": "atmospheresamplebucket2"}, update=True)
        assert stack["StackStatus"] == "UPDATE_COMPLETE", self.aws.failures("atmosphere")
        say(f"stack atmosphere: {stack['StackStatus']}; {ROLE} is still "
            f"{self.iam.get_role(RoleName=ROLE)['Role']['Arn']}")
        self.done.append("updated")

        title(7, "A replacement (RoleName atmosphere -> atmosphere-v2)")
        stack = self.aws.deploy("atmosphere", self.customer_stack(renamed=True),
                                {"SampleBucket": "atmospheresamplebucket2"}, update=True)
        assert stack["StackStatus"] == "UPDATE_COMPLETE", self.aws.failures("atmosphere")
        new = self.iam.get_role(RoleName="atmosphere-v2")["Role"]
        kept = self.external_id in json.dumps(new["AssumeRolePolicyDocument"])
        assert kept, "the replacement changed the ExternalId"
        say(f"stack atmosphere: {stack['StackStatus']}; {new['Arn']} replaces {ROLE} "
            "and keeps its ExternalId")
        self.done.append("replaced")

        title(8, "DeleteStack")
        deleted = self.aws.delete("atmosphere")
        left = self.integration_roles()
        records = self.aws.client("ssm").get_parameters_by_path(
            Path="/rolegate/roles/", Recursive=True)["Parameters"]
        assert not left and not records, (left, records)
        say(f"stack atmosphere: {deleted['StackStatus'] if deleted else 'deleted'}; "
            f"roles left: {len(left)}; role records left: {len(records)}")
        self.done.append("deleted")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", default=str(ROOT / "target" / "debug"))
    args = parser.parse_args()
    return Demo(Path(args.bin_dir)).run()


if __name__ == "__main__":
    sys.exit(main())
