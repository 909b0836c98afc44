//! The proof's two steps judge the same roles the same way: on every golden
//! fixture's built role and on tampered variants of it, the probes
//! (`proof::prove_by_probes`, a widening finding) and the symbolic step
//! (`proof::symbolic_verdict`, `NewAccess`) agree, except where the probes
//! cannot see a widening: those cases are named below, and the symbolic step
//! must find them while the probes do not.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use rolegate_policy::proof::{RolePolicies, prove_by_probes, symbolic_verdict};
use rolegate_policy::symbolic::Verdict;
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::{Value, json};

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("spec.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn doc(v: &Value) -> PolicyDocument {
    PolicyDocument::from_value(v).expect("policy")
}

fn extra(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": [statement]})
}

/// Tampers that the probes cannot see, by construction: no probe names
/// that action on that resource. The symbolic step must find each.
const PROBES_MISS: &[&str] = &[
    // The example: no probe reads tags on a bucket no grant names.
    "s3:Get*Tagging on arn:aws:s3:::other-*",
    // A foreign service on one exact ARN: probes try only the granted
    // services' resources, the role itself and `*`.
    "ec2:TerminateInstances on one instance",
];

/// The third named miss: a listing limited by `s3:prefix` widened to every
/// bucket, the prefix condition kept. The probes list other buckets only
/// without a prefix (which the condition refuses), so every probe is still
/// denied; the symbolic step lists another bucket within the prefix.
const PREFIXED_LISTING_ON_EVERY_BUCKET: &str = "the first statement's resource widened to *";

fn first_statement_lists_by_prefix(policies: &[Value]) -> bool {
    let s = &policies[0]["Statement"][0];
    let lists = |a: &Value| a.as_str().is_some_and(|a| a.starts_with("s3:ListBucket"));
    let actions = match &s["Action"] {
        Value::Array(a) => a.iter().all(lists),
        a => lists(a),
    };
    actions && !s["Condition"]["StringLike"]["s3:prefix"].is_null()
}

/// One tampered role: a name, and the role's documents after the tamper.
fn variants(policies: &[Value]) -> Vec<(&'static str, Vec<Value>)> {
    let mut out: Vec<(&'static str, Vec<Value>)> = vec![("built", policies.to_vec())];
    let add = |s: Value| {
        let mut p = policies.to_vec();
        p.push(extra(s));
        p
    };
    out.push((
        "s3:Get*Tagging on arn:aws:s3:::other-*",
        add(json!({"Effect": "Allow", "Action": "s3:Get*Tagging", "Resource": "arn:aws:s3:::other-*"})),
    ));
    out.push((
        "ec2:TerminateInstances on one instance",
        add(
            json!({"Effect": "Allow", "Action": "ec2:TerminateInstances",
            "Resource": "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"}),
        ),
    ));
    out.push((
        "iam:PassRole on *",
        add(json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"})),
    ));
    out.push((
        "a NotAction allow",
        add(json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})),
    ));
    // The first statement's resources widened to `*`.
    let mut widened = policies.to_vec();
    widened[0]["Statement"][0]["Resource"] = json!("*");
    out.push(("the first statement's resource widened to *", widened));
    // Every condition of the first statement dropped (a fixture without
    // guardrails may have none: the variant then equals the built role).
    let mut dropped = policies.to_vec();
    if let Some(s) = dropped[0]["Statement"][0].as_object_mut() {
        s.remove("Condition");
    }
    out.push(("the first statement's conditions dropped", dropped));
    out
}

#[test]
fn probes_and_the_symbolic_step_agree_on_every_fixture_and_tamper_but_the_named_misses() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let mut disagreements = Vec::new();
    let mut compared = 0;
    for dir in fixtures() {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(dir.join("spec.json")).expect("spec");
        let spec = IntegrationSpec::from_json(&text).expect("spec parses");
        let role = build(&spec, &ctx).expect("builds");
        let policies: Vec<Value> = role
            .inline_policies
            .values()
            .map(|d| d.to_value())
            .collect();
        let prefixed_listing = first_statement_lists_by_prefix(&policies);
        for (variant, docs) in variants(&policies) {
            let docs: Vec<PolicyDocument> = docs.iter().map(doc).collect();
            let refs: Vec<&PolicyDocument> = docs.iter().collect();
            let policies = RolePolicies {
                role_name: "rolegate-crosscheck",
                path: &role.path,
                trust: &role.trust_policy,
                permissions: &refs,
            };
            let probes = prove_by_probes(&spec, &ctx, &policies).widens_access();
            let verdict = symbolic_verdict(&spec, &ctx, &policies);
            assert!(
                !matches!(verdict, Verdict::Unknown(_)),
                "{name}, {variant}: {verdict:?}"
            );
            let symbolic = matches!(verdict, Verdict::NewAccess(_));
            compared += 1;
            if variant == "built" {
                assert!(
                    !probes && !symbolic,
                    "{name}: the built role proves clean by both"
                );
            }
            let missed = PROBES_MISS.contains(&variant)
                || prefixed_listing && variant == PREFIXED_LISTING_ON_EVERY_BUCKET;
            if missed {
                assert!(
                    symbolic && !probes,
                    "{name}, {variant}: symbolic {verdict:?}, probes {probes}"
                );
            } else if probes != symbolic {
                disagreements.push(format!(
                    "{name}, {variant}: probes {probes}, symbolic {verdict:?}"
                ));
            }
        }
    }
    assert!(compared >= 7 * 10, "{compared} comparisons");
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

#[test]
fn no_golden_fixture_leaves_the_symbolic_step_undecided() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    for dir in fixtures() {
        let text = std::fs::read_to_string(dir.join("spec.json")).expect("spec");
        let spec = IntegrationSpec::from_json(&text).expect("spec parses");
        let role = build(&spec, &ctx).expect("builds");
        let refs: Vec<&PolicyDocument> = role.inline_policies.values().collect();
        let verdict = symbolic_verdict(
            &spec,
            &ctx,
            &RolePolicies {
                role_name: "rolegate-crosscheck",
                path: &role.path,
                trust: &role.trust_policy,
                permissions: &refs,
            },
        );
        assert_eq!(verdict, Verdict::NoNewAccess, "{}", dir.display());
    }
}
