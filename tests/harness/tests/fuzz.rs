//! Property-based fuzzing of every parser that reads outside input:
//! CloudFormation requests, integration specs (parse, build, lint), policy
//! documents (parse, lint), the guard's EventBridge/CloudTrail events and the
//! validator's events. Inputs are arbitrary JSON and, more usefully,
//! committed samples with one part replaced or removed.
//!
//! Invariants: nothing panics; a refused input's message names the field
//! (it contains one of the format's field names); a spec that parses and
//! builds never yields a policy that lint rejects at error level.
//!
//! `make test` runs a short smoke of each target; `make fuzz` sets
//! ROLEGATE_FUZZ_CASES=1000000 (docs/RELIABILITY.md records the runs).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rolegate_policy::lint::{LintOptions, PolicyKind, Severity, lint_policy, lint_role};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::{Map, Value, json};

fn cases() -> u32 {
    std::env::var("ROLEGATE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

fn run<T: std::fmt::Debug>(name: &str, strategy: impl Strategy<Value = T>, check: impl Fn(T)) {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    });
    let ran = AtomicU64::new(0);
    let started = Instant::now();
    runner
        .run(&strategy, |input| {
            ran.fetch_add(1, Ordering::Relaxed);
            check(input);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let ran = ran.load(Ordering::Relaxed);
    assert!(ran >= u64::from(cases()), "{name}: only {ran} cases ran");
    println!(
        "{name}: {ran} cases in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn json_file(path: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap()
}

/// Words the formats use, so random objects hit real keys and values.
const VOCABULARY: &[&str] = &[
    "RequestType",
    "Create",
    "Update",
    "Delete",
    "ResourceProperties",
    "RoleName",
    "Trust",
    "Principals",
    "Grants",
    "Service",
    "s3",
    "Access",
    "read",
    "Bucket",
    "Prefix",
    "ExternalId",
    "Statement",
    "Effect",
    "Allow",
    "Deny",
    "Action",
    "Resource",
    "Condition",
    "Principal",
    "*",
    "detail",
    "detail-type",
    "source",
    "eventName",
    "roleName",
    "requestParameters",
    "RoleArn",
    "arn:aws:iam::123456789012:role/x",
    "StringEquals",
    "sts:ExternalId",
    "Version",
    "2012-10-17",
];

fn arbitrary_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        prop::sample::select(VOCABULARY).prop_map(|s| json!(s)),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(VOCABULARY).prop_map(str::to_owned),
                        "[A-Za-z]{1,8}"
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One of `samples`, with the value at a random path replaced by arbitrary
/// JSON (or removed, when the replacement is `null` under an object).
fn mutated(samples: Vec<Value>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(samples),
        prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        arbitrary_json(),
        any::<bool>(),
    )
        .prop_map(|(mut sample, path, replacement, remove)| {
            mutate(&mut sample, &path, replacement, remove);
            sample
        })
}

/// One of `samples` with one string edited: replaced by, or extended with,
/// arbitrary text. The shape survives, so far more of these parse and reach
/// the builders and lint than whole-value replacements do.
fn string_edited(samples: Vec<Value>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(samples),
        any::<prop::sample::Index>(),
        0..3u8,
        ".{0,16}",
    )
        .prop_map(|(mut sample, which, how, text)| {
            let mut leaves = string_leaves(&mut sample);
            if !leaves.is_empty() {
                let leaf = leaves.swap_remove(which.index(leaves.len()));
                match how {
                    0 => *leaf = text,
                    1 => leaf.push_str(&text),
                    _ => leaf.insert_str(0, &text),
                }
            }
            sample
        })
}

fn string_leaves(value: &mut Value) -> Vec<&mut String> {
    match value {
        Value::String(s) => vec![s],
        Value::Array(items) => items.iter_mut().flat_map(string_leaves).collect(),
        Value::Object(map) => map.values_mut().flat_map(string_leaves).collect(),
        _ => Vec::new(),
    }
}

fn mutate(value: &mut Value, path: &[prop::sample::Index], replacement: Value, remove: bool) {
    let Some((step, rest)) = path.split_first() else {
        *value = replacement;
        return;
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(step.index(map.len())).cloned().unwrap();
            if rest.is_empty() && remove {
                map.remove(&key);
            } else if let Some(child) = map.get_mut(&key) {
                mutate(child, rest, replacement, remove);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            let i = step.index(items.len());
            mutate(&mut items[i], rest, replacement, remove);
        }
        other => *other = replacement,
    }
}

fn names_a_field(message: &str, fields: &[&str]) -> bool {
    fields.iter().any(|f| message.contains(f))
}

fn fixture_specs() -> Vec<Value> {
    std::fs::read_dir(root().join("tests/fixtures"))
        .unwrap()
        .filter_map(|e| {
            let path = e.unwrap().path().join("spec.json");
            path.exists()
                .then(|| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
        })
        .collect()
}

#[test]
fn cloudformation_requests_never_panic_and_refusals_name_the_field() {
    let samples: Vec<Value> = ["create", "update", "delete"]
        .iter()
        .map(|n| json_file(&format!("events/provisioner/{n}.json")))
        .collect();
    let fields = [
        "event",
        "RequestType",
        "ResponseURL",
        "StackId",
        "RequestId",
        "LogicalResourceId",
        "ResourceType",
        "ServiceToken",
        "PhysicalResourceId",
        "ResourceProperties",
        "OldResourceProperties",
    ];
    let strategy = prop_oneof![
        1 => arbitrary_json(),
        2 => mutated(samples.clone()),
        2 => string_edited(samples)
    ];
    run("CloudFormation request parsing", strategy, |event| {
        if let Err(e) = rolegate_provisioner::event::parse(event) {
            assert!(names_a_field(&e.reason, &fields), "{}", e.reason);
        }
    });
}

#[test]
fn specs_never_panic_name_the_field_and_never_build_a_policy_lint_rejects() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let opts = LintOptions {
        own_account: Some("111122223333".into()),
        ..LintOptions::default()
    };
    let strategy = prop_oneof![
        1 => arbitrary_json(),
        3 => mutated(fixture_specs()),
        3 => string_edited(fixture_specs())
    ];
    let built = AtomicU64::new(0);
    run(
        "integration spec parse, build and lint",
        strategy,
        |properties| match IntegrationSpec::from_properties(&properties) {
            Err(e) => {
                let message = e.to_string();
                let field = message.split(':').next().unwrap_or_default();
                assert!(
                    !field.is_empty() && !field.contains(' ')
                        || message.starts_with("the integration spec"),
                    "{message}"
                );
            }
            Ok(mut spec) => {
                spec.external_id
                    .get_or_insert_with(|| "generated-external-id-0123456789".into());
                if let Ok(role) = build(&spec, &ctx) {
                    built.fetch_add(1, Ordering::Relaxed);
                    let errors: Vec<_> = lint_role(&role, &opts)
                        .into_iter()
                        .filter(|f| f.severity == Severity::Error)
                        .collect();
                    assert!(errors.is_empty(), "{properties}\n{errors:#?}");
                }
            }
        },
    );
    println!(
        "  of which {} parsed and built, and were linted",
        built.load(Ordering::Relaxed)
    );
}

#[test]
fn policy_documents_never_panic_in_parse_or_lint() {
    let samples: Vec<Value> = std::fs::read_dir(root().join("tests/fixtures/policies"))
        .unwrap()
        .map(|e| {
            serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap()
        })
        .collect();
    let strategy = prop_oneof![
        1 => arbitrary_json(),
        2 => mutated(samples.clone()),
        2 => string_edited(samples)
    ];
    run("policy document parse and lint", strategy, |value| {
        if let Ok(doc) = PolicyDocument::parse(&value.to_string()) {
            for kind in [
                PolicyKind::Identity,
                PolicyKind::Trust,
                PolicyKind::Resource,
                PolicyKind::Managed,
                PolicyKind::Boundary,
            ] {
                for finding in lint_policy(&doc, kind, &LintOptions::default()) {
                    assert!(!finding.code.is_empty());
                }
            }
        }
    });
}

#[test]
fn eventbridge_events_never_panic_and_refusals_name_the_field() {
    let mut samples = Vec::new();
    for dir in [
        "events/guard",
        "events/guard/cloudtrail",
        "events/guard/commands",
        "events/validator",
    ] {
        for entry in std::fs::read_dir(root().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                samples
                    .push(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap());
            }
        }
    }
    let guard = rolegate_guard::GuardConfig::default();
    let validator = rolegate_validator::ValidatorConfig::default();
    let strategy = prop_oneof![
        1 => arbitrary_json(),
        2 => mutated(samples.clone()),
        2 => string_edited(samples)
    ];
    run("guard and validator event parsing", strategy, |event| {
        if let Err(e) = rolegate_guard::event::parse(event.clone(), &guard) {
            assert!(
                names_a_field(&e.to_string(), &["event", "detail", "source"]),
                "{e}"
            );
        }
        match rolegate_validator::trigger::parse(event, &validator) {
            Err(e) => assert!(
                names_a_field(
                    &e.to_string(),
                    &["event", "source", "CommandBusRule", "Command"]
                ),
                "{e}"
            ),
            Ok(rolegate_validator::trigger::Trigger::Ready { sender, detail }) => {
                if let Err(e) =
                    rolegate_validator::integration::from_ready(sender.as_deref(), &detail)
                {
                    // The envelope's `account` is a field too: the sender.
                    let e = e.to_string();
                    assert!(e.starts_with("detail") || e.starts_with("account"), "{e}");
                }
            }
            Ok(rolegate_validator::trigger::Trigger::Command(d)) => {
                if let Err(e) = rolegate_validator::integration::from_command(&d, None) {
                    assert!(e.starts_with("detail"), "{e}");
                }
            }
            Ok(_) => {}
        }
    });
}
