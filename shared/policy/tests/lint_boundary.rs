//! A permissions boundary caps a role and never grants: linted as one, its
//! `Allow *` is no finding and its Deny statements are what make it a cap.
//! Rolegate's own boundary as `template.yaml` deploys it is linted in
//! tests/harness/tests/template_boundary_lint.rs; the copy here keeps the
//! rule's test in this crate.

#![allow(clippy::expect_used)]

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("test policy parses")
}

fn boundary(json: &str) -> Vec<Finding> {
    lint::lint_policy(&doc(json), PolicyKind::Boundary, &LintOptions::default())
}

fn has(findings: &[Finding], code: &str, severity: Severity, path: &str) -> bool {
    findings
        .iter()
        .any(|f| f.code == code && f.severity == severity && f.path == path)
}

/// `IntegrationBoundary` in template.yaml, as of this commit.
const INTEGRATION_BOUNDARY: &str = r#"{"Version":"2012-10-17","Statement":[
  {"Sid":"GrantsDecideWithinTheBoundary","Effect":"Allow","Action":"*","Resource":"*"},
  {"Sid":"NoIdentityOrganizationOrAccountAdministration","Effect":"Deny",
   "Action":["iam:*","organizations:*","account:*","account:EnableRegion","account:DisableRegion"],"Resource":"*"}]}"#;

#[test]
fn allow_everything_with_administration_denied_is_a_clean_boundary() {
    let f = boundary(INTEGRATION_BOUNDARY);
    assert!(
        f.iter().all(|f| f.severity == Severity::Suggestion),
        "{f:#?}"
    );
}

#[test]
fn the_same_document_as_a_managed_grant_is_still_an_error() {
    // Linting it as a grant stays strict: the kind decides, not the shape.
    let f = lint::lint_policy(
        &doc(INTEGRATION_BOUNDARY),
        PolicyKind::Managed,
        &LintOptions::default(),
    );
    assert!(lint::has_errors(&f), "{f:#?}");
    assert!(
        has(&f, "BOUNDARY_SHAPED", Severity::Suggestion, ""),
        "{f:#?}"
    );
}

#[test]
fn not_action_boundary_is_clean_without_grant_warnings() {
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":["iam:*","organizations:*","account:*"],"Resource":"*"}]}"#,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn boundary_that_allows_everything_and_denies_nothing_caps_nothing() {
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    );
    assert!(
        has(
            &f,
            "BOUNDARY_CAPS_NOTHING",
            Severity::Warning,
            "Statement[0]"
        ),
        "{f:#?}"
    );
    assert!(!lint::has_errors(&f), "{f:#?}");
}

#[test]
fn boundary_leaving_iam_writes_open_lets_a_role_escape_it() {
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"}]}"#,
    );
    let open: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == "BOUNDARY_ALLOWS_ESCALATION")
        .collect();
    assert_eq!(open.len(), 1, "{f:#?}");
    assert_eq!(open[0].severity, Severity::Warning);
    assert_eq!(open[0].path, "Statement[0].Action");
    assert!(
        open[0]
            .message
            .contains("iam:DeleteRolePermissionsBoundary"),
        "{}",
        open[0].message
    );
}

#[test]
fn unconditioned_deny_closes_what_the_boundary_allows() {
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","iam:*"],"Resource":"*"},{"Effect":"Deny","Action":["iam:Put*","iam:Attach*","iam:Delete*","iam:Create*","iam:Set*","iam:Update*","iam:AddUserToGroup"],"Resource":"*"}]}"#,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn conditioned_deny_does_not_close_the_boundary() {
    // The Deny applies only when its condition holds; the rest of the time
    // iam:* stays within the cap.
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":"us-east-1"}}}]}"#,
    );
    assert!(
        has(
            &f,
            "BOUNDARY_ALLOWS_ESCALATION",
            Severity::Warning,
            "Statement[0].Action"
        ),
        "{f:#?}"
    );
}

#[test]
fn boundary_is_still_a_managed_policy_to_iam() {
    let f = boundary(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObjects","Resource":"*"}]}"#,
    );
    assert!(has(
        &f,
        "PRINCIPAL_IN_IDENTITY_POLICY",
        Severity::Error,
        "Statement[0].Principal"
    ));
    assert!(has(
        &f,
        "UNKNOWN_ACTION",
        Severity::Error,
        "Statement[0].Action"
    ));
    let resources: Vec<String> = (0..300)
        .map(|i| format!("\"arn:aws:s3:::bucket-{i:04}/*\""))
        .collect();
    let f = boundary(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
        resources.join(",")
    ));
    assert!(has(&f, "MANAGED_POLICY_TOO_LARGE", Severity::Error, ""));
}

#[test]
fn detect_recognises_the_shape_of_a_boundary() {
    assert_eq!(
        PolicyKind::detect(&doc(INTEGRATION_BOUNDARY)),
        PolicyKind::Boundary
    );
    let not_action =
        doc(r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#);
    assert_eq!(PolicyKind::detect(&not_action), PolicyKind::Boundary);
    // Administrator access denies nothing: a grant, and linted as one.
    let admin = doc(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#);
    assert_eq!(PolicyKind::detect(&admin), PolicyKind::Identity);
    // A grant with a guard-rail Deny is still a grant.
    let grant = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#,
    );
    assert_eq!(PolicyKind::detect(&grant), PolicyKind::Identity);
    // A conditioned Allow * grants by condition (ABAC), it does not cap.
    let conditioned = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}},{"Effect":"Deny","Action":"iam:*","Resource":"*"}]}"#,
    );
    assert_eq!(PolicyKind::detect(&conditioned), PolicyKind::Identity);
}

#[test]
fn policy_kinds_parse_from_their_names() {
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Managed,
        PolicyKind::Boundary,
        PolicyKind::Trust,
        PolicyKind::Resource,
    ] {
        assert_eq!(kind.as_str().parse::<PolicyKind>(), Ok(kind));
    }
    let err = "bogus"
        .parse::<PolicyKind>()
        .expect_err("not a kind")
        .to_string();
    assert!(
        err.contains("\"bogus\"") && err.contains("boundary"),
        "{err}"
    );
}
