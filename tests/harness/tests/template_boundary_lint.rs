//! Rolegate's own permissions boundary, read from `template.yaml` as it is
//! deployed, lints clean as a boundary (issue 15): a cap's `Allow *` is no
//! finding, and its Deny of IAM, Organizations and account administration
//! is what closes the escalation a grant lint would report.

#![allow(clippy::expect_used)]

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, LintOptions, PolicyKind, Severity};
use rolegate_test_harness::template::Template;

fn integration_boundary() -> PolicyDocument {
    let value = Template::load().managed_policy("IntegrationBoundary");
    PolicyDocument::from_value(&value).expect("IntegrationBoundary is a policy document")
}

#[test]
fn integration_boundary_lints_clean_as_a_boundary() {
    let doc = integration_boundary();
    let findings = lint::lint_policy(&doc, PolicyKind::Boundary, &LintOptions::default());
    let above_suggestion: Vec<String> = findings
        .iter()
        .filter(|f| f.severity != Severity::Suggestion)
        .map(ToString::to_string)
        .collect();
    assert!(above_suggestion.is_empty(), "{above_suggestion:#?}");
}

#[test]
fn integration_boundary_is_detected_as_a_boundary() {
    assert_eq!(
        PolicyKind::detect(&integration_boundary()),
        PolicyKind::Boundary
    );
}
