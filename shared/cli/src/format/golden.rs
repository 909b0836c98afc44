//! Golden files for the markdown summary: every fixture spec under
//! `tests/fixtures/` (the specs `render`'s tests use) and Aspera's
//! two-account chain, rendered through the provisioner's pipeline as
//! `render` runs it, compared byte for byte with
//! `shared/cli/tests/golden/markdown/*.md`. `UPDATE_GOLDEN=1` rewrites
//! them; review the diff before committing it.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};

use rolegate_policy::reconcile::{Owner, spec_to_role};
use rolegate_policy::spec::DeploymentRules;
use rolegate_policy::{BuildContext, DesiredRole, IntegrationSpec};
use serde_json::{Value, json};

use super::RenderedRole;
use super::markdown::markdown;
use super::text::{Style, render_text};

/// A role through render's pipeline: the placeholder boundary (or the
/// spec's own), the ExternalId placeholder, build and proof.
pub(super) struct Built {
    pub role: DesiredRole,
    pub digest: String,
    pub source: &'static str,
    pub account: String,
}

impl Built {
    pub fn rendered(&self) -> RenderedRole<'_> {
        RenderedRole {
            role: &self.role,
            logical_id: None,
            partition: rolegate_policy::arn::Partition::of_region("us-east-1"),
            account: &self.account,
            digest: &self.digest,
            boundary_source: self.source,
        }
    }
}

pub(super) fn build(spec: &Value, account: &str) -> Built {
    let ctx = BuildContext::new(account, "us-east-1");
    let props = match spec.get("Properties") {
        Some(p) if spec.get("Type").is_some() => p,
        _ => spec,
    };
    let spec = IntegrationSpec::from_properties(props).expect("the spec parses");
    // A spec's own boundary is kept, as render keeps it while the
    // deployment's is unknown; otherwise the placeholder is the rule's.
    let (rules, source) = if spec.permissions_boundary_arn.is_some() {
        (DeploymentRules::default(), "the spec")
    } else {
        let rules = DeploymentRules {
            boundary_arn: Some(format!(
                "arn:aws:iam::{account}:policy/rolegate-IntegrationBoundary-ASSIGNED-AT-DEPLOYMENT"
            )),
            role_path: None,
        };
        (rules, "placeholder")
    };
    let owner = Owner {
        stack_id: format!(
            "arn:aws:cloudformation:us-east-1:{account}:stack/YOUR-STACK/ASSIGNED-AT-DEPLOYMENT"
        ),
        logical_id: "YOUR-LOGICAL-ID".to_owned(),
    };
    let made = spec_to_role(props, spec, &rules, &ctx, &owner, None, || {
        Ok::<_, std::convert::Infallible>("GENERATED-AT-PROVISIONING".to_owned())
    })
    .expect("the rules accept the spec and the proof holds");
    Built {
        role: made.role,
        digest: made.digest,
        source,
        account: account.to_owned(),
    }
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/markdown")
}

/// Every fixture spec, by name, sorted.
pub(super) fn fixtures() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(repo().join("tests/fixtures")).expect("fixtures") {
        let dir = entry.expect("entry").path();
        let spec = dir.join("spec.json");
        if !spec.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&spec).expect("spec readable");
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("utf-8 name")
            .to_owned();
        out.push((name, serde_json::from_str(&text).expect("spec is JSON")));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Aspera's chain as `examples/stacks/aspera.yaml` declares it, deployed
/// in both accounts (S3AccountId 111122223333, ClusterManagerAccountId
/// 222233334444, TransferBucket's default): the cluster manager's EC2
/// role `atc-node` assumes `atc-s3-access-keys` in the S3 account.
pub(super) fn aspera_chain() -> Vec<Built> {
    vec![
        build(
            &json!({
                "RoleName": "atc-node",
                "Description": "Aspera atc-node, which assumes atc-s3-access-keys",
                "Trust": {"Service": "ec2"},
                "OutboundAssumeRoleArns": [
                    "arn:aws:iam::111122223333:role/integrations/atc-s3-access-keys"
                ],
            }),
            "222233334444",
        ),
        build(
            &json!({
                "RoleName": "atc-s3-access-keys",
                "Description": "The cluster manager's access to the transfer bucket",
                "Trust": {"Principals": ["arn:aws:iam::222233334444:role/integrations/atc-node"]},
                "ExternalId": "aspera-atc-5c1e7f20",
                "Grants": [{"Service": "s3", "Access": "read-write", "Bucket": "aspera-transfers"}],
            }),
            "111122223333",
        ),
    ]
}

/// Compares `actual` with the golden file `name`, or rewrites it under
/// `UPDATE_GOLDEN=1`. Returns a description of the mismatch, if any.
fn check(name: &str, actual: &str) -> Option<String> {
    let path = golden_dir().join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(golden_dir()).expect("golden dir");
        std::fs::write(&path, actual).expect("golden written");
        return None;
    }
    match std::fs::read_to_string(&path) {
        Ok(expected) if expected == actual => None,
        Ok(expected) => Some(format!(
            "{name} differs from {} (UPDATE_GOLDEN=1 rewrites it):\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        )),
        Err(e) => Some(format!(
            "{}: {e} (UPDATE_GOLDEN=1 writes it)",
            path.display()
        )),
    }
}

#[test]
fn the_markdown_of_every_fixture_spec_matches_its_golden_file() {
    let fixtures = fixtures();
    assert!(fixtures.len() >= 11, "{} fixtures", fixtures.len());
    let mismatches: Vec<String> = fixtures
        .iter()
        .filter_map(|(name, spec)| {
            let built = build(spec, "111122223333");
            check(&format!("{name}.md"), &markdown(&[built.rendered()]))
        })
        .collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n\n"));
}

#[test]
fn the_markdown_of_asperas_two_account_chain_matches_its_golden_file() {
    let built = aspera_chain();
    let roles: Vec<RenderedRole<'_>> = built.iter().map(Built::rendered).collect();
    let md = markdown(&roles);
    assert!(md.contains("```mermaid\nflowchart LR\n"), "{md}");
    assert!(md.contains("r0 -->|assumes| r1"), "{md}");
    if let Some(mismatch) = check("aspera-chain.md", &md) {
        panic!("{mismatch}");
    }
}

#[test]
fn the_external_id_never_appears_in_a_summary_only_its_mask() {
    let built = aspera_chain();
    let roles: Vec<RenderedRole<'_>> = built.iter().map(Built::rendered).collect();
    for out in [
        markdown(&roles),
        render_text(&roles, Style::PLAIN),
        render_text(&roles, Style::COLOR),
    ] {
        assert!(!out.contains("aspera-atc-5c1e7f20"), "{out}");
        assert!(out.contains(super::SECRET_MASK), "{out}");
    }
}

#[test]
fn a_template_resource_is_named_by_its_logical_id() {
    let built = build(&fixtures()[0].1, "111122223333");
    let rendered = RenderedRole {
        logical_id: Some("AccessKeysRole"),
        ..built.rendered()
    };
    let md = markdown(&[rendered]);
    assert!(
        md.contains("- Template resource: `AccessKeysRole`\n"),
        "{md}"
    );
    let text = render_text(&[rendered], Style::PLAIN);
    assert!(
        text.contains("  Resource         AccessKeysRole\n"),
        "{text}"
    );
}

#[test]
fn one_role_gets_no_chain_diagram() {
    let built = build(&fixtures()[0].1, "111122223333");
    assert!(!markdown(&[built.rendered()]).contains("mermaid"));
}

#[test]
fn the_plain_terminal_view_is_the_coloured_one_without_escape_codes() {
    let built = aspera_chain();
    let roles: Vec<RenderedRole<'_>> = built.iter().map(Built::rendered).collect();
    let plain = render_text(&roles, Style::PLAIN);
    let coloured = render_text(&roles, Style::COLOR);
    assert!(!plain.contains('\u{1b}'), "{plain}");
    assert!(coloured.contains('\u{1b}'), "{coloured}");
    assert_eq!(strip_ansi(&coloured), plain);
    for needed in [
        "Role atc-node",
        "Trust chain",
        "Permissions boundary",
        "s3  List, Read, Write",
    ] {
        assert!(plain.contains(needed), "{needed} in {plain}");
    }
}

/// The text without SGR escape sequences (`ESC [ ... m`).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
