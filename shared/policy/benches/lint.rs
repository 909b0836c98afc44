//! Lint of a 50-statement identity policy in the shapes the builders emit,
//! dominated by `REDUNDANT_STATEMENT` (one symbolic comparison per Allow)
//! and `CONDITION_BYPASSED`: `lint/50-distinct` (nothing redundant, the
//! usual case), `lint/50-one-redundant` (one statement covered by another),
//! and `lint/60-at-cap`, the largest policy the redundancy check takes.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{LintOptions, MAX_REDUNDANCY_STATEMENTS, PolicyKind, lint_policy};
use serde_json::{Value, json};

fn statement(i: usize) -> Value {
    match i % 5 {
        0 => json!({"Sid": format!("List{i}"), "Effect": "Allow", "Action": "s3:ListBucket",
            "Resource": format!("arn:aws:s3:::bucket-{i}"),
            "Condition": {"StringLike": {"s3:prefix": format!("feed{i}/*")},
                          "Bool": {"aws:SecureTransport": "true"}}}),
        1 => json!({"Sid": format!("Read{i}"), "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:GetObjectVersion"],
            "Resource": format!("arn:aws:s3:::bucket-{i}/feed{i}/*"),
            "Condition": {"Bool": {"aws:SecureTransport": "true"},
                          "DateLessThan": {"aws:CurrentTime": "2027-06-30T00:00:00Z"}}}),
        2 => json!({"Sid": format!("Write{i}"), "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:AbortMultipartUpload"],
            "Resource": format!("arn:aws:s3:::bucket-{i}/out/*"),
            "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}),
        3 => json!({"Sid": format!("Table{i}"), "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"],
            "Resource": format!("arn:aws:dynamodb:us-east-1:111122223333:table/T{i}"),
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": "tenant-*"},
                          "StringEquals": {"aws:RequestedRegion": "us-east-1"}}}),
        _ => json!({"Sid": format!("Queue{i}"), "Effect": "Allow",
            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"],
            "Resource": format!("arn:aws:sqs:us-east-1:111122223333:q{i}")}),
    }
}

fn doc(statements: Vec<Value>) -> PolicyDocument {
    match PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements})) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn bench(c: &mut Criterion) {
    let opts = LintOptions::default();
    let distinct = doc((0..50).map(statement).collect());
    let mut one = (0..49).map(statement).collect::<Vec<_>>();
    // Statement 1's objects again, under one of its prefixes.
    let mut covered = statement(1);
    covered["Sid"] = json!("Covered");
    covered["Resource"] = json!("arn:aws:s3:::bucket-1/feed1/daily/*");
    one.push(covered);
    let one = doc(one);
    let at_cap = doc((0..MAX_REDUNDANCY_STATEMENTS).map(statement).collect());
    let redundant = |d: &PolicyDocument| {
        lint_policy(d, PolicyKind::Identity, &opts)
            .iter()
            .filter(|f| f.code == "REDUNDANT_STATEMENT")
            .count()
    };
    assert_eq!(redundant(&distinct), 0);
    assert_eq!(redundant(&one), 1);
    let mut group = c.benchmark_group("lint");
    group.sample_size(20);
    for (name, d) in [
        ("50-distinct", &distinct),
        ("50-one-redundant", &one),
        ("60-at-cap", &at_cap),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| lint_policy(black_box(d), PolicyKind::Identity, black_box(&opts)))
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
