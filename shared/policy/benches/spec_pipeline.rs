//! Parse a 10-grant integration spec, build the role, lint it: the work the
//! provisioner does per CloudFormation event before it calls IAM.
//! Goal: <= 50 us per spec on one core.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::lint::{self, LintOptions};
use rolegate_policy::{BuildContext, IntegrationSpec, build};

const TEN_GRANTS: &str = r#"{
  "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:rolegate-provisioner",
  "RoleName": "vendor-ten-grants",
  "Description": "Benchmark spec with one grant of every kind",
  "Trust": { "Principals": ["966208727603", "arn:aws:iam::444455556666:role/vendor-ingest"] },
  "ExternalId": "bench-external-id-0123456789",
  "MaxSessionDuration": "7200",
  "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/RolegateBoundary",
  "Conditions": { "AllowedRegions": ["us-east-1", "eu-west-1"], "RequireSecureTransport": "true", "SourceIps": ["203.0.113.0/24"] },
  "Tags": [ { "Key": "vendor", "Value": "bench" }, { "Key": "cost-center", "Value": "42" } ],
  "ExpiresAt": "2027-12-31T00:00:00Z",
  "Grants": [
    { "Service": "s3", "Access": "read-write", "Bucket": "bench-data", "Prefix": "in/", "IncludeVersions": "true", "KmsKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" },
    { "Service": "s3", "Access": "read", "Bucket": "bench-archive" },
    { "Service": "dynamodb", "Access": "read-write", "TableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders", "Indexes": ["byDate", "byCustomer"], "LeadingKeys": ["tenant-*"] },
    { "Service": "dynamodb", "Access": "read", "TableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/Customers", "Indexes": "*" },
    { "Service": "firehose", "Access": "put", "DeliveryStreamArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/events" },
    { "Service": "kinesis", "Access": "read", "StreamArn": "arn:aws:kinesis:us-east-1:111122223333:stream/clicks" },
    { "Service": "lambda", "Access": "invoke", "FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:enrich" },
    { "Service": "sqs", "Access": "send-receive", "QueueArn": "arn:aws:sqs:us-east-1:111122223333:jobs" },
    { "Service": "sns", "Access": "publish", "TopicArn": "arn:aws:sns:us-east-1:111122223333:alerts" },
    { "Service": "glue", "Access": "read", "Database": "analytics" }
  ]
}"#;

/// The same grants without guardrails or expiry: what most vendors ask for.
fn unguarded() -> String {
    let mut value: serde_json::Value = serde_json::from_str(TEN_GRANTS).unwrap_or_default();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("Conditions");
        obj.remove("ExpiresAt");
    }
    value.to_string()
}

fn pipeline(c: &mut Criterion) {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let opts = LintOptions {
        own_account: Some("111122223333".into()),
        ..LintOptions::default()
    };
    // Warm the action database's lazy index so the figure is per spec.
    let Ok(spec) = IntegrationSpec::from_json(TEN_GRANTS) else {
        panic!("benchmark spec must parse")
    };
    let Ok(role) = build(&spec, &ctx) else {
        panic!("benchmark spec must build")
    };
    assert!(!lint::has_errors(&lint::lint_role(&role, &opts)));

    c.bench_function("parse_build_lint_10_grants", |b| {
        b.iter(|| {
            let spec = IntegrationSpec::from_json(black_box(TEN_GRANTS)).ok();
            let role = spec.and_then(|s| build(&s, &ctx).ok());
            role.map(|r| lint::lint_role(&r, &opts))
        })
    });
    let plain = unguarded();
    c.bench_function("parse_build_lint_10_grants_unguarded", |b| {
        b.iter(|| {
            let spec = IntegrationSpec::from_json(black_box(&plain)).ok();
            let role = spec.and_then(|s| build(&s, &ctx).ok());
            role.map(|r| lint::lint_role(&r, &opts))
        })
    });
    c.bench_function("parse_10_grants", |b| {
        b.iter(|| IntegrationSpec::from_json(black_box(TEN_GRANTS)).ok())
    });
    c.bench_function("build_10_grants", |b| {
        b.iter(|| build(black_box(&spec), &ctx).ok())
    });
    c.bench_function("lint_role_10_grants", |b| {
        b.iter(|| lint::lint_role(black_box(&role), &opts))
    });
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
