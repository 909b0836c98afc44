//! `rolegate render` shows what the provisioner would do: the boundary it
//! attaches, the ownership tags, and the least-privilege proof's verdict; a
//! spec the provisioner would refuse exits 1 with its reason.

#![allow(clippy::expect_used)]

mod common;

use std::process::{Command, Output};

use common::*;

const BOUNDARY: &str = "arn:aws:iam::111122223333:policy/rolegate-IntegrationBoundary-1A2B3C4D5E6F";
const ATMOSPHERE: &str = "tests/fixtures/atmosphere-s3/spec.json";
/// Names its own boundary, `DynamoDB_Boundary_Frankfurt` (seed 004).
const DELEGATION: &str = "tests/fixtures/boundary-delegation/spec.json";

/// `rolegate render` with the provisioner's variable set to `env_boundary`
/// (or unset), whatever the developer's shell holds.
fn render(args: &[&str], env_boundary: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rolegate"));
    cmd.arg("render").args(args).current_dir(repo());
    match env_boundary {
        Some(b) => cmd.env("ROLEGATE_PERMISSIONS_BOUNDARY_ARN", b),
        None => cmd.env_remove("ROLEGATE_PERMISSIONS_BOUNDARY_ARN"),
    };
    cmd.output().expect("rolegate runs")
}

/// The one role of `render --json` (docs/CLI-JSON.md).
fn json(out: &Output) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(&stdout(out)).expect("render --json prints JSON");
    v["roles"][0].clone()
}

#[test]
fn render_attaches_the_boundary_given_with_boundary() {
    let out = render(&["--boundary", BOUNDARY, ATMOSPHERE], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "Permissions boundary: {BOUNDARY} (from --boundary)"
        )),
        "{text}"
    );
    let v = json(&render(
        &["--json", "--boundary", BOUNDARY, ATMOSPHERE],
        None,
    ));
    assert_eq!(v["role"]["PermissionsBoundary"], BOUNDARY, "{v}");
    assert_eq!(v["permissionsBoundary"]["source"], "--boundary");
}

#[test]
fn render_takes_the_deployments_boundary_from_the_provisioners_variable() {
    let v = json(&render(&["--json", ATMOSPHERE], Some(BOUNDARY)));
    assert_eq!(v["role"]["PermissionsBoundary"], BOUNDARY, "{v}");
    assert_eq!(
        v["permissionsBoundary"]["source"],
        "ROLEGATE_PERMISSIONS_BOUNDARY_ARN"
    );
    // The flag wins over the variable.
    let other = "arn:aws:iam::111122223333:policy/other-boundary";
    let v = json(&render(
        &["--json", "--boundary", other, ATMOSPHERE],
        Some(BOUNDARY),
    ));
    assert_eq!(v["role"]["PermissionsBoundary"], other);
}

#[test]
fn render_without_a_known_boundary_shows_a_placeholder_and_says_where_it_comes_from() {
    let out = render(&[ATMOSPHERE], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("Permissions boundary: none"), "{text}");
    assert!(
        text.contains(
            "Permissions boundary: arn:aws:iam::111122223333:policy/rolegate-IntegrationBoundary-ASSIGNED-AT-DEPLOYMENT (from placeholder)"
        ),
        "{text}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("IntegrationBoundary") && err.contains("--boundary ARN"),
        "{err}"
    );
}

#[test]
fn render_of_a_spec_naming_another_boundary_exits_1_with_the_provisioners_reason() {
    let out = render(&["--boundary", BOUNDARY, DELEGATION], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("the provisioner would refuse this spec and create nothing [OTHER_BOUNDARY]")
            && text.contains(&format!(
                "PermissionsBoundaryArn: arn:aws:iam::111122223333:policy/DynamoDB_Boundary_Frankfurt is not allowed; this Rolegate deployment gives every role the boundary {BOUNDARY}"
            )),
        "{text}"
    );
    assert!(
        !text.contains("Trust policy:"),
        "nothing is created: {text}"
    );
    let v = json(&render(
        &["--json", "--boundary", BOUNDARY, DELEGATION],
        None,
    ));
    assert_eq!(v["verdict"], "refuse", "{v}");
    assert_eq!(v["code"], "OTHER_BOUNDARY");
}

#[test]
fn render_keeps_a_spec_boundary_that_is_the_deployments() {
    let own = "arn:aws:iam::111122223333:policy/DynamoDB_Boundary_Frankfurt";
    let out = render(&["--json", "--boundary", own, DELEGATION], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(json(&out)["role"]["PermissionsBoundary"], own);
    // Unknown deployment boundary: the spec's is shown, with what will be checked.
    let out = render(&[DELEGATION], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("Permissions boundary: {own} (from the spec)")));
    assert!(stderr(&out).contains("the provisioner refuses it unless"));
}

#[test]
fn render_reports_the_least_privilege_proofs_verdict() {
    let out = render(&["--boundary", BOUNDARY, ATMOSPHERE], None);
    assert!(
        stdout(&out).contains("Least-privilege proof: holds"),
        "{}",
        stdout(&out)
    );
    let v = json(&render(
        &["--json", "--boundary", BOUNDARY, ATMOSPHERE],
        None,
    ));
    assert_eq!(v["verdict"], "create", "{v}");
    assert_eq!(v["proof"], "holds");
}

#[test]
fn render_tags_the_role_for_its_stack_as_the_provisioner_does() {
    let v = json(&render(
        &["--json", "--boundary", BOUNDARY, ATMOSPHERE],
        None,
    ));
    let tags: Vec<(String, String)> = v["role"]["Tags"]
        .as_array()
        .expect("Tags")
        .iter()
        .map(|t| {
            (
                t["Key"].as_str().unwrap_or_default().to_owned(),
                t["Value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let tag = |k: &str| {
        tags.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(
        tag("rolegate:spec-digest"),
        v["policyDigest"].as_str(),
        "{tags:?}"
    );
    assert!(
        tag("rolegate:stack-id")
            .is_some_and(|s| s.starts_with("arn:aws:cloudformation:us-east-1:111122223333:stack/")),
        "{tags:?}"
    );
    assert!(tag("rolegate:logical-id").is_some(), "{tags:?}");
}
