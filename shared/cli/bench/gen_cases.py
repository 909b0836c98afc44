#!/usr/bin/env python3
"""Writes simulation cases for `rolegate simulate --batch`, one per line.

The benchmark of docs/BENCHMARKS.md ("Batch simulator") runs on its output;
the data is generated, not committed. Each line is a case in the corpus
format of shared/policy/tests/eval_cases/ ({"request": ..., "policies": ...}).

The policy sets are what Rolegate builds and meets: an integration role's
inline policy (S3 under a prefix, DynamoDB limited by LeadingKeys, SQS, KMS,
each behind the SecureTransport and RequestedRegion guardrails) under the
Rolegate permissions boundary; half of them also with a bucket policy, an
SCP or a trust policy. `--sets` distinct sets are drawn once and reused
across lines, as a reviewer's batch repeats a few roles over many requests;
`--sets` equal to `--cases` makes every line's policy set different (the
simulator's worst case: nothing to reuse). The requests mix allowed,
explicitly denied and implicitly denied decisions, in and out of scope, with
and without the guardrails met, so no decision takes a short cut throughout.

    python3 shared/cli/bench/gen_cases.py --cases 100000 --seed 15 > /tmp/cases.jsonl

`--corpus DIR` writes the evaluator's own corpus instead, its cases in file
order, over and over: smaller policy sets (one or two short policies), each
case as the corpus holds it.

    python3 shared/cli/bench/gen_cases.py --cases 100000 \
        --corpus shared/policy/tests/eval_cases > /tmp/corpus-cases.jsonl
"""

import pathlib

import argparse
import json
import random
import sys

ACCOUNT = "111122223333"
VENDOR = "966208727603"
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]

BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "GrantsDecideWithinTheBoundary", "Effect": "Allow", "Action": "*", "Resource": "*"},
        {
            "Sid": "NoIdentityOrganizationOrAccountAdministration",
            "Effect": "Deny",
            "Action": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
    ],
}


def guardrails(region):
    return {
        "Bool": {"aws:SecureTransport": "true"},
        "StringEquals": {"aws:RequestedRegion": region},
    }


def policy_set(rng, n):
    """One integration role: names carry `n`, so distinct sets differ in text."""
    region = rng.choice(REGIONS)
    bucket = f"vendor-data-{n}"
    table = f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/events-{n}"
    queue = f"arn:aws:sqs:{region}:{ACCOUNT}:jobs-{n}"
    key = f"arn:aws:kms:{region}:{ACCOUNT}:key/{n:08d}-1111-2222-3333-444455556666"
    role = f"integration-{n}"
    inline = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListThePrefix",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {
                    **guardrails(region),
                    "StringLike": {"s3:prefix": ["exports/", "exports/*"]},
                },
            },
            {
                "Sid": "ReadObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": f"arn:aws:s3:::{bucket}/exports/*",
                "Condition": guardrails(region),
            },
            {
                "Sid": "WriteItems",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:GetItem"],
                "Resource": table,
                "Condition": {
                    **guardrails(region),
                    "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/tenant}"]},
                },
            },
            {
                "Sid": "SendJobs",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage", "sqs:GetQueueAttributes"],
                "Resource": queue,
                "Condition": guardrails(region),
            },
            {
                "Sid": "DecryptWithTheKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key,
                "Condition": {**guardrails(region), "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com", "aws:RequestedRegion": region}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
    policies = {"identity": [inline], "boundary": BOUNDARY}
    extra = rng.random()
    if extra < 0.2:
        policies["resource"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "VendorReadsExports",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/integrations/{role}"},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/exports/*",
                },
                {
                    "Sid": "DenyOutsideTheOrganization",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-abc123def4"}},
                },
            ],
        }
    elif extra < 0.35:
        policies["scps"] = [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "*", "Resource": "*"},
                    {
                        "Sid": "RegionLock",
                        "Effect": "Deny",
                        "NotAction": ["iam:*", "sts:*", "organizations:*"],
                        "Resource": "*",
                        "Condition": {"StringNotEquals": {"aws:RequestedRegion": REGIONS[:3]}},
                    },
                ],
            }
        ]
    elif extra < 0.5:
        policies["resource"] = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:role/vendor-worker"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": f"vendor-{n}-Qm2xV9pLk"}},
                }
            ],
        }
    facts = {"region": region, "bucket": bucket, "table": table, "queue": queue, "key": key, "role": role, "n": n}
    return policies, facts


def request(rng, facts):
    region, n = facts["region"], facts["n"]
    session = f"arn:aws:sts::{ACCOUNT}:assumed-role/{facts['role']}/vendor-session"
    context = {
        "aws:SecureTransport": "true" if rng.random() < 0.85 else "false",
        "aws:RequestedRegion": region if rng.random() < 0.85 else rng.choice(REGIONS),
    }
    kind = rng.randrange(9)
    if kind == 0:
        action, resource = "s3:ListBucket", f"arn:aws:s3:::{facts['bucket']}"
        context["s3:prefix"] = rng.choice(["exports/", "exports/2026/", "private/"])
    elif kind == 1:
        action = rng.choice(["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"])
        folder = rng.choice(["exports", "exports", "private"])
        resource = f"arn:aws:s3:::{facts['bucket']}/{folder}/part-{rng.randrange(1000)}.csv"
    elif kind == 2:
        action = rng.choice(["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem"])
        resource = facts["table"]
        context["dynamodb:LeadingKeys"] = [rng.choice(["tenant-a", "tenant-b"])]
    elif kind == 3:
        action = rng.choice(["sqs:SendMessage", "sqs:ReceiveMessage"])
        resource = facts["queue"]
    elif kind == 4:
        action, resource = "kms:Decrypt", facts["key"]
        context["kms:ViaService"] = f"s3.{region}.amazonaws.com"
    elif kind == 5:
        action = rng.choice(["iam:PassRole", "iam:CreateRole", "organizations:LeaveOrganization"])
        resource = f"arn:aws:iam::{ACCOUNT}:role/admin"
    elif kind == 6:
        action = "sts:AssumeRole"
        resource = f"arn:aws:iam::{ACCOUNT}:role/integrations/{facts['role']}"
        session = f"arn:aws:iam::{VENDOR}:role/vendor-worker"
        context = {"sts:ExternalId": f"vendor-{n}-Qm2xV9pLk" if rng.random() < 0.7 else "guessed"}
        return {
            "principal": session,
            "action": action,
            "resource": resource,
            "resource_account": ACCOUNT,
            "context": context,
        }
    elif kind == 7:
        action = rng.choice(["ec2:RunInstances", "lambda:InvokeFunction", "s3:DeleteBucket"])
        resource = f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-0abc{n:06d}"
    else:
        action = "s3:GetObject"
        resource = f"arn:aws:s3:::{facts['bucket']}/exports/report.csv"
    return {
        "principal": session,
        "principal_tags": {"tenant": "tenant-a"},
        "action": action,
        "resource": resource,
        "context": context,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--sets", type=int, default=64, help="distinct policy sets")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--corpus", help="cycle through the case files of this directory instead")
    args = parser.parse_args()
    if args.corpus:
        files = sorted(pathlib.Path(args.corpus).glob("*.json"))
        lines = [json.dumps(json.loads(f.read_text()), separators=(",", ":")) for f in files]
        for i in range(args.cases):
            sys.stdout.write(lines[i % len(lines)] + "\n")
        return
    rng = random.Random(args.seed)
    sets = [policy_set(rng, n) for n in range(args.sets)]
    # Each set's text once: the simulator keys its cache on this text.
    texts = [json.dumps(p, separators=(",", ":")) for p, _ in sets]
    out = sys.stdout
    for i in range(args.cases):
        s = rng.randrange(args.sets) if args.sets < args.cases else i
        req = json.dumps(request(rng, sets[s][1]), separators=(",", ":"))
        out.write(f'{{"request":{req},"policies":{texts[s]}}}\n')


if __name__ == "__main__":
    main()
