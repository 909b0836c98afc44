"""The packaged artifact (`make package`, scripts/package.py) deployed as a
customer without a Rust toolchain deploys it: no cargo step and no
`LocalAws.upload_functions`. The script packages the binaries this run
already built (ROLEGATE_BIN_DIR, the debug builds, so `make test` pays for
no release cross-build) with S3 CodeUris, the zips go to MiniStack's S3
where the packaged template's manifest says, and MiniStack's CloudFormation
deploys the packaged template; then an integration role is made through it.

MiniStack's gaps are not packaging: the packaged template gets the same
rewrites as every other run (`local_template`, docs/LOCAL-AWS.md), with its
own CodeUris kept.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import bin_dir
from local_aws import (CODE_BUCKET, CUSTOMER, FUNCTIONS, REGION, ROOT, VENDOR, LocalAws,
                       example_stack, local_template)

# Where a vendor would publish: a bucket of its own and a versioned prefix.
DIST_BUCKET = "rolegate-dist"
DIST_PREFIX = "rolegate/e2e"


def run_package(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "package.py"), *args],
                          capture_output=True, text=True)


def package(out: Path) -> dict:
    """scripts/package.py as `make package S3_BUCKET=... S3_PREFIX=...` runs
    it; returns its manifest."""
    run = run_package("--bin-dir", str(bin_dir()), "--out", str(out),
                      "--s3-bucket", DIST_BUCKET, "--s3-prefix", DIST_PREFIX)
    assert run.returncode == 0, run.stderr
    return json.loads((out / "manifest.json").read_text())


def code_uris(manifest: dict) -> dict[str, str]:
    """binary name -> the S3 URI the packaged template gives its function."""
    return {name: manifest["files"][f"{name}.zip"]["location"] for name in FUNCTIONS.values()}


def emulator_copy(packaged: str, uris: dict[str, str]) -> tuple[str, list[str]]:
    """The packaged template with `local_template`'s rewrites for MiniStack,
    and what they changed. `local_template` reads a template shaped like
    template.yaml (Globals' `CodeUri: ./`, no CodeUri per function) and
    points each function at the suite's own code bucket: so it gets the
    packaged template in that shape, and each function's packaged CodeUri
    goes back where it pointed."""
    text = packaged
    for uri in uris.values():
        line = f"      CodeUri: {uri}\n"
        assert text.count(line) == 1, f"the packaged template has no {line!r}"
        text = text.replace(line, "")
    assert text.count("Globals:\n  Function:\n") == 1
    text = text.replace("Globals:\n  Function:\n", "Globals:\n  Function:\n    CodeUri: ./\n")
    with tempfile.TemporaryDirectory() as tmp:
        shaped = Path(tmp) / "template.yaml"
        shaped.write_text(text)
        text, changes = local_template(shaped)
    for binary, uri in uris.items():
        suite_uri = f"      CodeUri: s3://{CODE_BUCKET}/{binary}.zip\n"
        assert text.count(suite_uri) == 1
        text = text.replace(suite_uri, f"      CodeUri: {uri}\n")
    return text, [c for c in changes if "CodeUri" not in c]


def upload(aws: LocalAws, out: Path, manifest: dict) -> None:
    """The vendor's upload: each zip to the location its manifest names."""
    s3 = aws.client("s3")
    s3.create_bucket(Bucket=DIST_BUCKET)
    for name, uri in code_uris(manifest).items():
        location = urlparse(uri)
        s3.put_object(Bucket=location.netloc, Key=location.path.lstrip("/"),
                      Body=(out / f"{name}.zip").read_bytes())


def fake_binaries(where: Path, layout: str) -> Path:
    """Stand-in binaries in cargo's layout (DIR/<name>) or cargo-lambda's
    (DIR/<name>/bootstrap): the script only zips bytes."""
    for name in FUNCTIONS.values():
        path = where / name / "bootstrap" if layout == "cargo-lambda" else where / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"#!/bin/sh\necho {name}\n".encode())
    return where


def test_the_same_binaries_give_the_same_zips_each_holding_one_executable_bootstrap(tmp_path):
    cargo = fake_binaries(tmp_path / "cargo", "cargo")
    lambda_layout = fake_binaries(tmp_path / "lambda", "cargo-lambda")
    for bins, out in ((cargo, "one"), (lambda_layout, "two")):
        run = run_package("--bin-dir", str(bins), "--out", str(tmp_path / out),
                          "--commit", "abc1234")
        assert run.returncode == 0, run.stderr
    one, two = ((tmp_path / d / "SHA256SUMS").read_text() for d in ("one", "two"))
    assert one == two
    sums = dict(reversed(line.split("  ")) for line in one.splitlines())
    assert sorted(sums) == ["LICENSE", "README.md", "guard.zip", "manifest.json",
                            "provisioner.zip", "template.yaml", "validator.zip"]
    for name in FUNCTIONS.values():
        with zipfile.ZipFile(tmp_path / "one" / f"{name}.zip") as z:
            [entry] = z.infolist()
            assert entry.filename == "bootstrap"
            assert entry.external_attr >> 16 == 0o100755
            assert z.read(entry) == (cargo / name).read_bytes()
    packaged = (tmp_path / "one" / "template.yaml").read_text()
    for name in FUNCTIONS.values():
        assert f"      CodeUri: {name}.zip\n" in packaged


def test_a_template_the_script_can_no_longer_rewrite_is_refused_naming_what_it_missed(tmp_path):
    changed = tmp_path / "template.yaml"
    changed.write_text((ROOT / "template.yaml").read_text().replace(
        "      BuildMethod: rust-cargolambda\n", "      BuildMethod: makefile\n", 1))
    for extra in ("LICENSE", "README.md"):
        (tmp_path / extra).write_text(extra)
    run = run_package("--bin-dir", str(fake_binaries(tmp_path / "bins", "cargo")),
                      "--template", str(changed), "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    assert "ProvisionerFunction's Metadata (BuildMethod rust-cargolambda) not found" in run.stderr
    assert not (tmp_path / "out" / "template.yaml").exists()


def test_the_packaged_template_deploys_from_its_zips_in_s3_with_no_build_and_makes_a_role(
        local_aws, tmp_path):
    out = tmp_path / "dist"
    manifest = package(out)
    packaged = (out / "template.yaml").read_text()
    assert "BuildMethod" not in packaged and "CodeUri: ./" not in packaged
    uris = code_uris(manifest)
    for name, uri in uris.items():
        sha = manifest["files"][f"{name}.zip"]["sha256"]
        assert uri == f"s3://{DIST_BUCKET}/{DIST_PREFIX}/{name}-{sha}.zip"
    upload(local_aws, out, manifest)
    body, _ = emulator_copy(packaged, uris)

    stack = local_aws.deploy("rolegate", body, {"AllowedResponseHost": "127.0.0.1"})
    assert stack["StackStatus"] == "CREATE_COMPLETE", local_aws.failures("rolegate")
    # Each function runs the packaged zip, byte for byte (Lambda's CodeSha256
    # is the zip's SHA-256 in base64), and the suite's own code bucket,
    # which upload_functions would have filled, was never made.
    lambda_ = local_aws.client("lambda")
    for name in FUNCTIONS.values():
        code = lambda_.get_function(FunctionName=f"rolegate-{name}")["Configuration"]
        sha = manifest["files"][f"{name}.zip"]["sha256"]
        assert base64.b64decode(code["CodeSha256"]).hex() == sha, name
    buckets = [b["Name"] for b in local_aws.client("s3").list_buckets()["Buckets"]]
    assert CODE_BUCKET not in buckets

    # The provisioner of the packaged deployment makes Atmosphere's roles.
    boundary = local_aws.outputs("rolegate")["IntegrationBoundaryArn"]
    roles = local_aws.deploy("atmosphere", example_stack("atmosphere"))
    assert roles["StackStatus"] == "CREATE_COMPLETE", local_aws.failures("atmosphere")
    iam = local_aws.client("iam")
    role = iam.get_role(RoleName="atmosphere")["Role"]
    assert role["Path"] == "/integrations/"
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary

    deleted = local_aws.delete("atmosphere")
    assert deleted is None or deleted["StackStatus"] == "DELETE_COMPLETE", deleted
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="atmosphere")
    deleted = local_aws.delete("rolegate")
    assert deleted is None or deleted["StackStatus"] == "DELETE_COMPLETE", deleted


def transformed(aws: LocalAws, body: str, parameters: dict) -> str:
    """`body` after MiniStack's own SAM transform, read from a change set
    that is never executed. MiniStack runs no transform on a nested stack's
    template, where AWS runs it (the parent acknowledges
    CAPABILITY_AUTO_EXPAND), so the nested stack gets the template as the
    transform leaves it."""
    cfn = aws.client("cloudformation")
    cfn.create_change_set(
        StackName="transform-only", ChangeSetName="transform", ChangeSetType="CREATE",
        **aws.template_source("transform-only", body),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"])
    processed = cfn.get_template(StackName="transform-only", ChangeSetName="transform",
                                 TemplateStage="Processed")["TemplateBody"]
    cfn.delete_change_set(StackName="transform-only", ChangeSetName="transform")
    text = processed if isinstance(processed, str) else json.dumps(processed)
    assert "AWS::Serverless::Function" not in text and "AWS::Lambda::Function" in text
    return text


def nested_stack_form(launch_stack: str, template_url: str, parameters: dict) -> str:
    """The vendor's launch stack with its commented AWS::CloudFormation::Stack
    alternative in place of the Serverless Application Repository
    application (which needs the repository), its TemplateURL and extra
    `parameters` set, and the vendor bus moved into this account as
    `example_stack` does (MiniStack refuses PutEvents across accounts)."""
    application = re.search(
        r"^  Rolegate:\n    Type: AWS::Serverless::Application\n(?:    .*\n)+", launch_stack, re.M)
    alternative = re.search(r"^  # Rolegate:\n(?:  #.*\n)+", launch_stack, re.M)
    assert application and alternative, "the launch stack's two forms of Rolegate moved"
    nested = "".join(line[:2] + line[4:] + "\n" for line in alternative.group(0).splitlines())
    nested, n = re.subn(r"(TemplateURL: )\S+", rf"\g<1>{template_url}", nested)
    assert n == 1
    nested += "".join(f"        {k}: \"{v}\"\n" for k, v in parameters.items())
    text = launch_stack.replace(application.group(0), nested)
    return text.replace(f"arn:aws:events:{REGION}:{VENDOR}:event-bus/rolegate",
                        f"arn:aws:events:{REGION}:{CUSTOMER}:event-bus/rolegate")


def test_the_vendors_launch_stack_nests_the_packaged_template_and_makes_its_role_in_one_stack(
        local_aws, tmp_path):
    out = tmp_path / "dist"
    manifest = package(out)
    upload(local_aws, out, manifest)
    local = {"AllowedResponseHost": "127.0.0.1"}
    body, _ = emulator_copy((out / "template.yaml").read_text(), code_uris(manifest))
    key = f"{DIST_PREFIX}/template.yaml"
    local_aws.client("s3").put_object(Bucket=DIST_BUCKET, Key=key,
                                      Body=transformed(local_aws, body, local).encode())
    launch_stack = nested_stack_form(
        (ROOT / "examples" / "quick-create" / "vendor-launch-stack.yaml").read_text(),
        f"https://s3.amazonaws.com/{DIST_BUCKET}/{key}", local)

    # The launch stack nests Rolegate's customer side only (Side customer);
    # the vendor's bus is the vendor side's, made here as the vendor's stack
    # would make it in its own account.
    local_aws.client("events").create_event_bus(Name="rolegate")
    stack = local_aws.deploy("atmosphere-integration", launch_stack)
    assert stack["StackStatus"] == "CREATE_COMPLETE", local_aws.failures("atmosphere-integration")
    iam = local_aws.client("iam")
    role = iam.get_role(RoleName="atmosphere-s3")["Role"]
    assert local_aws.outputs("atmosphere-integration")["RoleArn"] == role["Arn"]
    assert role["Path"] == "/integrations/"
    nested = local_aws.client("cloudformation").describe_stack_resource(
        StackName="atmosphere-integration", LogicalResourceId="Rolegate",
    )["StackResourceDetail"]["PhysicalResourceId"]
    boundary = local_aws.outputs(nested)["IntegrationBoundaryArn"]
    assert role["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary

    deleted = local_aws.delete("atmosphere-integration")
    assert deleted is None or deleted["StackStatus"] == "DELETE_COMPLETE", deleted
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName="atmosphere-s3")
