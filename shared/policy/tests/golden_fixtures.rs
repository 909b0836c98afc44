//! The seed scenarios under `tests/fixtures/`: each spec must build exactly the
//! policies in its `expected.json`, compared in canonical form.

#![allow(clippy::expect_used)]
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rolegate_policy::proof::prove_desired;
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::Value;

pub fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("tests/fixtures exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("spec.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn policy(v: &Value, what: &str) -> PolicyDocument {
    PolicyDocument::from_value(v).unwrap_or_else(|e| panic!("{what}: {e}"))
}

#[test]
fn every_seed_scenario_has_a_fixture() {
    let names: Vec<String> = fixtures()
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "atmosphere",
        "atmosphere-dynamodb",
        "atmosphere-firehose",
        "atmosphere-lambda",
        "atmosphere-s3",
        "apperate-s3-read-prefix",
        "onemata-redshift",
        "onemata-glue",
        "onemata-ec2-outbound",
        "aspera-s3-access-keys",
        "aspera-atc-node",
        "boundary-delegation",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "missing fixture {expected}"
        );
    }
}

#[test]
fn each_fixture_builds_exactly_its_expected_policies() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    for dir in fixtures() {
        let name = dir.display().to_string();
        let spec = IntegrationSpec::from_properties(&read_json(&dir.join("spec.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let role = build(&spec, &ctx).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected = read_json(&dir.join("expected.json"));

        let want_trust = policy(&expected["AssumeRolePolicyDocument"], &name);
        assert_eq!(
            role.trust_policy.canonical(),
            want_trust.canonical(),
            "{name}: trust policy"
        );

        let want: BTreeMap<String, PolicyDocument> = expected["Policies"]
            .as_object()
            .unwrap_or_else(|| panic!("{name}: Policies must be an object"))
            .iter()
            .map(|(k, v)| (k.clone(), policy(v, &name).canonical()))
            .collect();
        let got: BTreeMap<String, PolicyDocument> = role
            .inline_policies
            .iter()
            .map(|(k, v)| (k.clone(), v.canonical()))
            .collect();
        assert_eq!(got, want, "{name}: inline policies");

        let want_tags: BTreeMap<String, String> =
            serde_json::from_value(expected["Tags"].clone()).unwrap_or_default();
        assert_eq!(role.tags, want_tags, "{name}: tags");
        assert_eq!(
            Some(role.max_session_duration as u64),
            expected["MaxSessionDuration"].as_u64(),
            "{name}: MaxSessionDuration"
        );
        assert_eq!(
            role.permissions_boundary_arn.as_deref(),
            expected["PermissionsBoundary"].as_str(),
            "{name}: boundary"
        );
    }
}

/// `Resource: "*"` only in the policy of a grant's `Discovery: true`, and
/// there only for actions IAM accepts on nothing narrower.
#[test]
fn no_fixture_grants_a_wildcard_action() {
    let db = rolegate_policy::actiondb::ActionDb::global();
    let ctx = BuildContext::new("111122223333", "us-east-1");
    for dir in fixtures() {
        let spec = IntegrationSpec::from_properties(&read_json(&dir.join("spec.json")))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let role = build(&spec, &ctx).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for (name, doc) in role
            .inline_policies
            .iter()
            .chain([(&"trust".to_owned(), &role.trust_policy)])
        {
            for s in doc.statements() {
                assert!(!s.action.is_negated(), "{name}: NotAction");
                for a in s.action.value() {
                    assert!(
                        !a.contains(['*', '?']),
                        "{}: {name}: wildcard action {a}",
                        dir.display()
                    );
                }
                if let Some(r) = &s.resource
                    && r.value().iter().any(|r| r == "*")
                {
                    assert_eq!(name, "rolegate-discovery", "{name}: Resource *");
                    for a in s.action.value() {
                        assert!(
                            db.action(a).is_some_and(|a| a.requires_wildcard_resource()),
                            "{name}: {a} on Resource * takes a resource type"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn least_privilege_proof_holds_on_every_fixture() {
    let ctx = BuildContext::new("111122223333", "us-east-1");
    for dir in fixtures() {
        let mut spec = IntegrationSpec::from_properties(&read_json(&dir.join("spec.json")))
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        if rolegate_policy::build::needs_external_id(&spec) {
            spec.external_id = Some("generated-by-the-provisioner-0123456789".into());
        }
        let role = build(&spec, &ctx).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let proof = prove_desired(&spec, &ctx, &role);
        let report: Vec<String> = proof.findings.iter().map(ToString::to_string).collect();
        assert!(
            proof.holds(),
            "{}: {} findings in {} probes:\n{}",
            dir.display(),
            report.len(),
            proof.probes,
            report.join("\n")
        );
        eprintln!("{}: {} probes", dir.display(), proof.probes);
        assert!(
            proof.probes > 50,
            "{}: only {} probes",
            dir.display(),
            proof.probes
        );
    }
}
