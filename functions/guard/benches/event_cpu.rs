//! The guard's own CPU from receiving a CloudTrail event to the first
//! remediation call, AWS latency excluded: parse the event, parse the role
//! record and the live role's documents (as IAM and SSM return them),
//! rebuild the desired state with the provisioner's pipeline (proof
//! included), decide on the drift (the diff), choose the remedy and plan
//! the restore. Goal: ≤ 5 ms per event. Also measured: the explanation the
//! report adds after the restore (lint and the proof of the live role).

#![allow(clippy::expect_used)]

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use rolegate_guard::GuardConfig;
use rolegate_guard::event::{self, GuardEvent, Parsed, Target};
use rolegate_policy::drift::{self, DriftFinding, Inspection, Remedy};
use rolegate_policy::reconcile::{DesiredState, LiveRole, Plan, RoleRecord};
use rolegate_policy::spec::RemediationMode;
use rolegate_policy::{PolicyDocument, Timestamp};
use serde_json::{Value, json};

fn read(path: &str) -> Value {
    let path = format!("{}/../../events/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).expect("sample event")).expect("JSON")
}

/// The role as IAM returns it: documents as JSON text.
struct LiveText {
    role: LiveRole,
    trust: String,
    inline: BTreeMap<String, String>,
}

impl LiveText {
    fn parse(&self) -> LiveRole {
        let mut role = self.role.clone();
        role.trust_policy = PolicyDocument::parse(&self.trust).ok();
        role.inline_policies = self
            .inline
            .iter()
            .map(|(name, text)| (name.clone(), PolicyDocument::parse(text).ok()))
            .collect();
        role
    }
}

/// The sample Create's properties, with the ExternalId it would generate.
fn sample_properties() -> Value {
    let mut properties = read("provisioner/create.json")["ResourceProperties"].clone();
    properties["ExternalId"] = json!("E".repeat(40));
    properties
}

/// The largest golden fixture by proof size (6,760 probes): two grants
/// under two guardrails and an expiry, named as the sample events' role.
fn largest_fixture_properties() -> Value {
    let path = format!(
        "{}/../../tests/fixtures/least-privilege-post/spec.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut properties: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
    properties["RoleName"] = json!("atmosphere-s3");
    properties
}

/// The role `properties` describe, as provisioned by the sample Create's
/// stack (its record as stored in SSM), and the live role after `tamper`.
fn provisioned(properties: Value, tamper: Tamper) -> (String, LiveText) {
    let create = read("provisioner/create.json");
    let record = RoleRecord {
        stack_id: create["StackId"].as_str().expect("StackId").to_owned(),
        logical_resource_id: create["LogicalResourceId"]
            .as_str()
            .expect("LogicalResourceId")
            .to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/integrations/atmosphere-s3".to_owned(),
        role_name: "atmosphere-s3".to_owned(),
        policy_digest: String::new(),
        properties,
        quarantine: None,
    };
    let desired = record.desired_state().expect("the sample builds");
    let role = LiveRole::as_created(&record.role_name, &record.role_arn, &desired.role);
    let mut live = LiveText {
        trust: desired.role.trust_policy.to_json(),
        inline: desired
            .role
            .inline_policies
            .iter()
            .map(|(name, doc)| (name.clone(), doc.to_json()))
            .collect(),
        role,
    };
    tamper(&mut live);
    (
        serde_json::to_string(&record).expect("a record serialises"),
        live,
    )
}

/// Everything the guard computes between the event and the remediation.
fn receipt_to_remediation(
    event: &Value,
    record: &str,
    live: &LiveText,
    config: &GuardConfig,
    now: &Timestamp,
) -> Plan {
    let Ok(Parsed::Act {
        event:
            GuardEvent::IamChange {
                target: Target::Role(role),
                ..
            },
        ..
    }) = event::parse(event.clone(), config)
    else {
        panic!("the sample is an IAM change to a role")
    };
    let record: RoleRecord = serde_json::from_str(record).expect("the record parses");
    assert_eq!(record.role_name, role);
    let desired = record.desired_state().expect("the record builds");
    let live = live.parse();
    let assessment = drift::decide(&Inspection {
        live: &live,
        managed_policies: &[],
        desired: Ok(&desired),
        untrusted: None,
        quarantine: None,
        now,
        unused_after_days: None,
    });
    assert_eq!(
        drift::remedy(&assessment, RemediationMode::Restore),
        Remedy::Restore
    );
    assessment.restore.expect("a restore plan")
}

/// What the report adds after the restore: the findings that explain it.
fn explanation(desired: &DesiredState, live: &LiveText, now: &Timestamp) -> Vec<DriftFinding> {
    let live = live.parse();
    let inspection = Inspection {
        live: &live,
        managed_policies: &[],
        desired: Ok(desired),
        untrusted: None,
        quarantine: None,
        now,
        unused_after_days: None,
    };
    drift::explain(&inspection, &drift::decide(&inspection))
}

/// A change made to the live role behind Rolegate's back.
type Tamper = fn(&mut LiveText);

fn add_wildcard_statement(live: &mut LiveText) {
    live.inline.insert(
        "debug".into(),
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#.into(),
    );
}

fn drop_external_id(live: &mut LiveText) {
    live.trust = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::966208727603:root"}, "Action": "sts:AssumeRole"}]}"#.into();
}

/// One benchmark: a role, the CloudTrail sample, and the tamper it reports.
struct Case {
    name: &'static str,
    properties: fn() -> Value,
    event: &'static str,
    tamper: Tamper,
}

fn event_cpu(c: &mut Criterion) {
    let config = GuardConfig::default();
    let now = Timestamp::parse("2026-11-23T10:15:02Z").expect("a timestamp");
    let cases = [
        Case {
            name: "put-role-policy-wildcard",
            properties: sample_properties,
            event: "put-role-policy-wildcard",
            tamper: add_wildcard_statement,
        },
        Case {
            name: "update-assume-role-policy-no-external-id",
            properties: sample_properties,
            event: "update-assume-role-policy-no-external-id",
            tamper: drop_external_id,
        },
        Case {
            name: "largest-fixture/put-role-policy-wildcard",
            properties: largest_fixture_properties,
            event: "put-role-policy-wildcard",
            tamper: add_wildcard_statement,
        },
    ];
    for Case {
        name,
        properties,
        event,
        tamper,
    } in cases
    {
        let event = read(&format!("guard/cloudtrail/{event}.json"));
        let (record, live) = provisioned(properties(), tamper);
        let plan = receipt_to_remediation(&event, &record, &live, &config, &now);
        assert!(plan.write_calls() > 0, "{name}: the restore writes");
        c.bench_function(&format!("guard_event_to_remediation_cpu/{name}"), |b| {
            b.iter(|| receipt_to_remediation(&event, &record, &live, &config, &now))
        });
        let desired = serde_json::from_str::<RoleRecord>(&record)
            .expect("the record parses")
            .desired_state()
            .expect("the record builds");
        assert!(
            !explanation(&desired, &live, &now).is_empty(),
            "{name}: the report explains the drift"
        );
        c.bench_function(&format!("guard_drift_explanation_cpu/{name}"), |b| {
            b.iter(|| explanation(&desired, &live, &now))
        });
    }
}

criterion_group!(benches, event_cpu);
criterion_main!(benches);
