//! Decisions per second after compilation: a 10-statement identity policy
//! with conditions, plus a permissions boundary. Goal: >= 1,000,000/s (<= 1 us).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_policy::PolicyDocument;
use rolegate_policy::eval::{CompiledPolicy, ContextValue, PolicySet, Request, evaluate};

const IDENTITY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Sid":"ListData","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::data","Condition":{"StringLike":{"s3:prefix":"in/*"}}},
 {"Sid":"ReadData","Effect":"Allow","Action":["s3:GetObject","s3:GetObjectVersion"],"Resource":"arn:aws:s3:::data/in/*","Condition":{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}},
 {"Sid":"WriteOut","Effect":"Allow","Action":["s3:PutObject","s3:AbortMultipartUpload"],"Resource":"arn:aws:s3:::data/out/*","Condition":{"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]}}},
 {"Sid":"Orders","Effect":"Allow","Action":["dynamodb:GetItem","dynamodb:Query","dynamodb:PutItem"],"Resource":["arn:aws:dynamodb:us-east-1:111122223333:table/Orders","arn:aws:dynamodb:us-east-1:111122223333:table/Orders/index/*"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["tenant-*"]}}},
 {"Sid":"Stream","Effect":"Allow","Action":["firehose:PutRecord","firehose:PutRecordBatch"],"Resource":"arn:aws:firehose:us-east-1:111122223333:deliverystream/events"},
 {"Sid":"Invoke","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":["arn:aws:lambda:us-east-1:111122223333:function:enrich","arn:aws:lambda:us-east-1:111122223333:function:enrich:*"]},
 {"Sid":"Queue","Effect":"Allow","Action":["sqs:SendMessage","sqs:ReceiveMessage","sqs:DeleteMessage"],"Resource":"arn:aws:sqs:us-east-1:111122223333:jobs"},
 {"Sid":"Expire","Effect":"Allow","Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:alerts","Condition":{"DateLessThan":{"aws:CurrentTime":"2027-12-31T00:00:00Z"}}},
 {"Sid":"Home","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::home/${aws:PrincipalTag/team}/*"},
 {"Sid":"NoTls","Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}
]}"#;

const BOUNDARY: &str = r#"{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"},
 {"Effect":"Deny","Action":["account:EnableRegion","account:DisableRegion"],"Resource":"*"}
]}"#;

fn compile(json: &str, label: &str) -> CompiledPolicy {
    match PolicyDocument::parse(json) {
        Ok(doc) => CompiledPolicy::compile(&doc, label),
        Err(e) => panic!("{label}: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let set = PolicySet {
        identity: vec![compile(IDENTITY, "identity")],
        boundary: Some(compile(BOUNDARY, "boundary")),
        ..PolicySet::default()
    };
    let principal = "arn:aws:sts::111122223333:assumed-role/vendor/session";
    let allowed = Request::new(
        principal,
        "s3:GetObject",
        "arn:aws:s3:::data/in/2026/11/23.csv",
    )
    .with_context("aws:SecureTransport", ContextValue::Single("true".into()))
    .with_context(
        "aws:RequestedRegion",
        ContextValue::Single("eu-west-1".into()),
    )
    .with_context("aws:SourceIp", ContextValue::Single("203.0.113.9".into()))
    .with_tag("team", "data");
    let denied = Request::new(
        principal,
        "dynamodb:DeleteTable",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
    )
    .with_context("aws:SecureTransport", ContextValue::Single("true".into()))
    .with_context("aws:SourceIp", ContextValue::Single("203.0.113.9".into()));
    let conditioned = Request::new(
        principal,
        "dynamodb:Query",
        "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/index/byDate",
    )
    .with_context("aws:SecureTransport", ContextValue::Single("true".into()))
    .with_context(
        "dynamodb:LeadingKeys",
        ContextValue::Multi(vec!["tenant-7".into()]),
    );
    assert_eq!(evaluate(&set, &allowed).decision.as_str(), "Allowed");
    assert_eq!(
        evaluate(&set, &denied).decision.as_str(),
        "ImplicitlyDenied"
    );
    assert_eq!(evaluate(&set, &conditioned).decision.as_str(), "Allowed");

    c.bench_function("evaluate_allowed_s3_read", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&allowed)))
    });
    c.bench_function("evaluate_implicit_deny", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&denied)))
    });
    c.bench_function("evaluate_allowed_leading_keys", |b| {
        b.iter(|| evaluate(black_box(&set), black_box(&conditioned)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
