#!/usr/bin/env python3
"""Rolegate as a customer deploys it without a Rust toolchain (issue 20,
item 4): the three built bootstraps zipped, a packaged copy of
template.yaml whose functions point at those zips, and a SHA256SUMS.

`make package` builds the release bootstraps with cargo-lambda and runs
this script; the end-to-end suite runs it over the debug builds
(tests/e2e/test_package.py). Nothing here builds: the input is a directory
of binaries, either cargo's layout (`DIR/provisioner`) or cargo-lambda's
(`DIR/provisioner/bootstrap`).

Output, in `--out` (default `dist/rolegate-<version>/`):

- `provisioner.zip`, `guard.zip`, `validator.zip`: each holds one
  executable `bootstrap`, with fixed timestamps so the same binary always
  gives the same zip (and the same SHA-256);
- `template.yaml`: template.yaml with each function's `CodeUri` set and
  its `Metadata: BuildMethod` dropped, since nothing is built. By default
  `CodeUri` is the zip beside the template, for `sam deploy` or `aws
  cloudformation package`, which upload it; with `--s3-bucket B
  --s3-prefix P` it is `s3://B/P/<name>-<sha256>.zip`, for a vendor who
  uploads the zips there and publishes the template;
- `LICENSE` and `README.md`, which the template's Serverless Application
  Repository metadata names (`sam package`/`sam publish` upload them);
- `manifest.json`: the version, the commit and, per file, its SHA-256 and
  where the packaged template expects it;
- `SHA256SUMS`: `sha256sum -c` format, every other file of the directory.

The template is rewritten as text, so its comments and short-form tags
(`!Ref`, `!Sub`) stay as written. Each rewrite names what it looks for and
fails if template.yaml no longer has it, rather than package a template
that still expects a build.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Each function's logical id in template.yaml and its binary's name.
FUNCTIONS = {
    "ProvisionerFunction": "provisioner",
    "GuardFunction": "guard",
    "ValidatorFunction": "validator",
}

# The files the template's AWS::ServerlessRepo::Application metadata names.
METADATA_FILES = {"LicenseUrl": "LICENSE", "ReadmeUrl": "README.md"}

# A zip entry's timestamp: the earliest a zip can hold, so builds compare.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackageError(Exception):
    """A missing input or a template this script can no longer rewrite."""


def workspace_version(cargo_toml: Path) -> str:
    """[workspace.package] version; read as text below Python 3.11's tomllib."""
    text = cargo_toml.read_text()
    try:
        import tomllib
    except ImportError:
        section = re.search(r"^\[workspace\.package\]\n((?:(?!\[).*\n)*)", text, re.M)
        found = section and re.search(r'^version\s*=\s*"([^"]+)"', section.group(1), re.M)
        if found:
            return found.group(1)
        raise PackageError(f"{cargo_toml}: no [workspace.package] version") from None
    try:
        return tomllib.loads(text)["workspace"]["package"]["version"]
    except KeyError as missing:
        raise PackageError(f"{cargo_toml}: no [workspace.package] version ({missing})") from None


def git_commit(root: Path) -> str | None:
    """`git describe --always --dirty` of `root`, or None outside a checkout."""
    try:
        found = subprocess.run(["git", "-C", str(root), "describe", "--always", "--dirty"],
                               capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return found.stdout.strip() or None


def find_binary(bin_dir: Path, name: str) -> Path:
    """cargo-lambda's `DIR/<name>/bootstrap`, else cargo's `DIR/<name>`."""
    for candidate in (bin_dir / name / "bootstrap", bin_dir / name):
        if candidate.is_file():
            return candidate
    raise PackageError(f"no built binary for {name} in {bin_dir} "
                       f"(looked for {name}/bootstrap and {name})")


def bootstrap_zip(binary: bytes) -> bytes:
    """A Lambda deployment package: one executable `bootstrap` at the root."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        info = zipfile.ZipInfo("bootstrap", date_time=ZIP_EPOCH)
        info.create_system = 3  # Unix, so the mode below is read
        info.external_attr = 0o100755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, binary)
    return buf.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def packaged_template(text: str, code_uris: dict[str, str], metadata_uris: dict[str, str],
                      header: str) -> str:
    """template.yaml's text with every function's CodeUri set (by logical
    id), BuildMethod metadata dropped and the metadata files' URLs set."""

    def sub(pattern: str, replacement: str, what: str, count: int = 0) -> None:
        nonlocal text
        text, n = re.subn(pattern, replacement, text, count=count, flags=re.M)
        if n == 0:
            raise PackageError(f"template: {what} not found (pattern {pattern!r}); "
                               "scripts/package.py must follow template.yaml's change")

    # Globals' CodeUri (the sam build directory) gives way to each function's.
    sub(r"^    CodeUri: \./\n", "", "Globals.Function.CodeUri: ./", count=1)
    for logical, uri in code_uris.items():
        # A function is one Side's (template.yaml's Condition line, kept).
        block = rf"(^  {logical}:\n    Type: AWS::Serverless::Function\n(?:    Condition: \S+\n)?)"
        sub(block + r"    Metadata:\n      BuildMethod: rust-cargolambda\n"
                    r"      BuildProperties:\n        Binary: \S+\n",
            r"\1", f"{logical}'s Metadata (BuildMethod rust-cargolambda)", count=1)
        sub(block + r"    Properties:\n", rf"\1    Properties:\n      CodeUri: {uri}\n",
            f"{logical}'s Properties", count=1)
    for key, uri in metadata_uris.items():
        sub(rf"^(    {key}: )\S+$", rf"\g<1>{uri}", f"Metadata {key}", count=1)
    if "BuildMethod:" in text:
        raise PackageError("template: a BuildMethod is left after packaging; a function "
                           "this script does not know was added to template.yaml")
    return header + text


def package(bin_dir: Path, template: Path, out: Path, version: str, commit: str | None,
            s3_bucket: str | None = None, s3_prefix: str = "") -> dict:
    """Writes the package into `out`; returns its manifest."""
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    for name in FUNCTIONS.values():
        files[f"{name}.zip"] = bootstrap_zip(find_binary(bin_dir, name).read_bytes())
    for source in METADATA_FILES.values():
        path = template.parent / source
        if not path.is_file():
            raise PackageError(f"{path}: the template's metadata names it, and it is missing")
        files[source] = path.read_bytes()

    def location(file: str) -> str:
        """Where the packaged template expects `file`."""
        if s3_bucket is None:
            return file
        stem, dot, ext = file.partition(".")
        key = f"{stem}-{sha256(files[file])}{dot}{ext}"
        return f"s3://{s3_bucket}/{s3_prefix.strip('/')}/{key}" if s3_prefix.strip("/") \
            else f"s3://{s3_bucket}/{key}"

    header = (f"# Rolegate {version}{f' ({commit})' if commit else ''}, packaged by "
              "scripts/package.py from template.yaml:\n# each function's CodeUri is its "
              "zipped bootstrap, so nothing is built on deploy.\n")
    files["template.yaml"] = packaged_template(
        template.read_text(),
        {logical: location(f"{name}.zip") for logical, name in FUNCTIONS.items()},
        {key: location(source) for key, source in METADATA_FILES.items()},
        header).encode()

    manifest = {
        "name": "rolegate", "version": version, "commit": commit,
        "files": {file: {"sha256": sha256(data),
                         **({"location": location(file)} if file != "template.yaml" else {})}
                  for file, data in sorted(files.items())},
    }
    files["manifest.json"] = (json.dumps(manifest, indent=2) + "\n").encode()
    for file, data in files.items():
        (out / file).write_bytes(data)
    (out / "SHA256SUMS").write_text("".join(
        f"{sha256(data)}  {file}\n" for file, data in sorted(files.items())))
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin-dir", type=Path, required=True,
                        help="the built binaries: DIR/<name> or DIR/<name>/bootstrap")
    parser.add_argument("--template", type=Path, default=ROOT / "template.yaml")
    parser.add_argument("--out", type=Path,
                        help="output directory (default dist/rolegate-<version>)")
    parser.add_argument("--version", help="default: Cargo.toml's workspace version")
    parser.add_argument("--commit", help="default: git describe --always --dirty")
    parser.add_argument("--s3-bucket", help="CodeUri s3://BUCKET/PREFIX/<name>-<sha256>.zip")
    parser.add_argument("--s3-prefix", default="", help="with --s3-bucket")
    args = parser.parse_args(argv)
    if args.s3_prefix and not args.s3_bucket:
        parser.error("--s3-prefix needs --s3-bucket")
    try:
        version = args.version or workspace_version(ROOT / "Cargo.toml")
        out = args.out or ROOT / "dist" / f"rolegate-{version}"
        manifest = package(args.bin_dir, args.template, out, version,
                           args.commit or git_commit(ROOT), args.s3_bucket, args.s3_prefix)
    except (PackageError, OSError) as err:
        print(f"package: {err}", file=sys.stderr)
        return 2
    print(f"packaged Rolegate {version} into {out}:")
    for file, entry in manifest["files"].items():
        where = entry.get("location", file)
        print(f"  {file:<16} {entry['sha256'][:16]}…"
              + (f"  upload to {where}" if where != file else ""))
    print("  SHA256SUMS       (sha256sum -c SHA256SUMS)")
    if args.s3_bucket is None:
        print(f"deploy: sam deploy --template-file {out}/template.yaml --guided "
              "(uploads the zips)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
