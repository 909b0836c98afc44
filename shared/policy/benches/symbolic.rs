//! The symbolic comparison (issue 18), beside the probe-based proof.
//! Goals: <= 1 ms for each golden fixture's built role against itself;
//! <= 10 ms for a 50-statement tampered policy against its baseline.

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::proof::prove_desired;
use rolegate_policy::symbolic::{Permissions, Verdict, compare};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::{Value, json};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(d) => d
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("spec.json").is_file())
            .collect(),
        Err(e) => panic!("{}: {e}", root.display()),
    };
    dirs.sort();
    dirs
}

/// Fifty statements in the shapes the builders emit: object reads and
/// writes per bucket, listings limited by prefix, tables, queues, each
/// with the guardrails' conditions.
fn baseline_statements() -> Vec<Value> {
    (0..50)
        .map(|i| match i % 5 {
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
        })
        .collect()
}

/// One statement per action and resource, conditions kept.
fn split(d: &PolicyDocument) -> PolicyDocument {
    let mut out = Vec::new();
    for s in d.statements() {
        let v = s.to_value();
        let actions = s.action.value().iter();
        for a in actions {
            let resources: Vec<String> = s
                .resource
                .iter()
                .flat_map(|r| r.value().iter().cloned())
                .collect();
            for r in resources {
                let mut one = v.clone();
                if let Some(obj) = one.as_object_mut() {
                    obj.remove("Sid");
                    obj.insert("Action".into(), json!(a));
                    obj.insert("Resource".into(), json!(r));
                }
                out.push(one);
            }
        }
    }
    doc(out)
}

fn doc(statements: Vec<Value>) -> PolicyDocument {
    match PolicyDocument::from_value(&json!({"Version": "2012-10-17", "Statement": statements})) {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    }
}

fn bench(c: &mut Criterion) {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let mut group = c.benchmark_group("symbolic");
    group.sample_size(20);
    for dir in fixtures() {
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = std::fs::read_to_string(dir.join("spec.json")).unwrap_or_default();
        let spec = match IntegrationSpec::from_json(&text) {
            Ok(s) => s,
            Err(e) => panic!("{name}: {e}"),
        };
        let role = match build(&spec, &ctx) {
            Ok(r) => r,
            Err(e) => panic!("{name}: {e}"),
        };
        let docs: Vec<&PolicyDocument> = role.inline_policies.values().collect();
        let perms = Permissions {
            identity: &docs,
            boundary: None,
        };
        assert_eq!(compare(&perms, &perms), Verdict::NoNewAccess, "{name}");
        group.bench_function(format!("self/{name}"), |b| {
            b.iter(|| compare(black_box(&perms), black_box(&perms)))
        });
        // The same meaning in another shape, one statement per action and
        // resource, as an intended set written apart from the builder would
        // be: no statement is shared verbatim, so the search does its work.
        let split: Vec<PolicyDocument> = docs.iter().map(|d| split(d)).collect();
        let split_refs: Vec<&PolicyDocument> = split.iter().collect();
        let intended = Permissions {
            identity: &split_refs,
            boundary: None,
        };
        assert_eq!(compare(&intended, &perms), Verdict::NoNewAccess, "{name}");
        group.bench_function(format!("split/{name}"), |b| {
            b.iter(|| compare(black_box(&intended), black_box(&perms)))
        });
        // The whole proof (probes and, since the symbolic step joined it,
        // that step too); the probes alone are the proof bench's figures.
        group.bench_function(format!("proof/{name}"), |b| {
            b.iter(|| prove_desired(black_box(&spec), black_box(&ctx), black_box(&role)))
        });
    }
    // The tamper: one statement of fifty also reads tags elsewhere.
    let base = doc(baseline_statements());
    let mut tampered = baseline_statements();
    tampered[21]["Action"] = json!(["s3:GetObject", "s3:GetObjectVersion", "s3:Get*Tagging"]);
    tampered[21]["Resource"] = json!(["arn:aws:s3:::bucket-21/feed21/*", "arn:aws:s3:::other-*"]);
    let tampered = doc(tampered);
    let (b, t) = ([&base], [&tampered]);
    let base = Permissions {
        identity: &b,
        boundary: None,
    };
    let tampered = Permissions {
        identity: &t,
        boundary: None,
    };
    match compare(&base, &tampered) {
        Verdict::NewAccess(cx) => println!("tampered-50: {cx}"),
        other => panic!("tampered-50: {other:?}"),
    }
    assert_eq!(compare(&base, &base), Verdict::NoNewAccess);
    group.bench_function("tampered-50", |b| {
        b.iter(|| compare(black_box(&base), black_box(&tampered)))
    });
    group.bench_function("self-50", |b| {
        b.iter(|| compare(black_box(&base), black_box(&base)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
