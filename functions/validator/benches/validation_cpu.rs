//! The validator's own CPU per validation, without the network: parsing the
//! Ready event, reading the integration, judging the four STS answers,
//! the verdict, and building and scrubbing the outcome event. The STS calls
//! themselves (and the SDK's signing of them) are I/O and not measured.

#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_validator::ValidatorConfig;
use rolegate_validator::checks::{
    AssumeAnswer, Check, CheckResult, judge_identity, judge_negative, verdict,
};
use rolegate_validator::handler::Outcome;
use rolegate_validator::integration;
use rolegate_validator::sts::Validation;
use rolegate_validator::trigger::{self, Trigger};
use serde_json::{Value, json};

fn ready_event() -> Value {
    json!({"version": "0", "id": "r-1", "detail-type": "Integration Role Ready", "source": "rolegate.provisioner",
           "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "resources": [],
           "detail": {"RoleArn": "arn:aws:iam::123456789012:role/integrations/atmosphere-s3",
                      "RoleName": "atmosphere-s3", "ExternalId": "Q2xV9pLk3Rt8Wz7Qm2xV9pLk3Rt8Wz7Qm2xV9pLk",
                      "Account": "123456789012", "Region": "us-east-1", "PolicyDigest": "0f".repeat(32),
                      "Grants": [{"Service": "s3", "Resource": "s3://atmosphere-exports"}]}})
}

fn one_validation(event: &Value, config: &ValidatorConfig) -> Value {
    let Ok(Trigger::Ready { sender, detail }) = trigger::parse(event.clone(), config) else {
        return Value::Null;
    };
    let integration =
        integration::from_ready(sender.as_deref(), &detail).expect("a valid integration");
    let target = integration.target().expect("a role ARN");
    let session = "arn:aws:sts::123456789012:assumed-role/atmosphere-s3/rolegate-validator";
    let results = vec![
        CheckResult::passed(Check::AssumeWithExternalId, "assumed after 1 attempt(s)"),
        judge_identity(&target, session, "123456789012"),
        judge_negative(Check::DeniedWithoutExternalId, &AssumeAnswer::Denied),
        judge_negative(Check::DeniedWithWrongExternalId, &AssumeAnswer::Denied),
    ];
    let verdict = verdict(&results);
    let outcome = Outcome::validated(
        integration,
        Validation {
            results,
            sts_calls: 4,
            verdict,
            throttled: false,
        },
    );
    outcome.event("Integration Role Ready").1
}

fn validation_cpu(c: &mut Criterion) {
    let event = ready_event();
    let config = ValidatorConfig::default();
    c.bench_function("validator CPU per validation (no network)", |b| {
        b.iter(|| one_validation(black_box(&event), &config))
    });
}

criterion_group!(benches, validation_cpu);
criterion_main!(benches);
