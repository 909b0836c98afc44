//! `REDUNDANT_STATEMENT` and `CONDITION_BYPASSED` decided by the symbolic
//! procedure (issue 18): a statement the rest of the policy makes pointless,
//! and a condition an unconditioned statement makes pointless, including
//! where only several patterns together cover a statement.

#![allow(clippy::expect_used)]

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, MAX_REDUNDANCY_STATEMENTS, PolicyKind};

fn statements(kind: PolicyKind, statements: &str) -> Vec<Finding> {
    let json = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    let doc = PolicyDocument::parse(&json).expect("test policy parses");
    lint::lint_policy(&doc, kind, &LintOptions::default())
}

fn paths(f: &[Finding], code: &str) -> Vec<String> {
    f.iter()
        .filter(|f| f.code == code)
        .map(|f| f.path.clone())
        .collect()
}

const NARROW: &str =
    r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/reports/*"}"#;
const BROAD: &str = r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#;

#[test]
fn a_statement_another_already_covers_is_redundant() {
    for kind in [
        PolicyKind::Identity,
        PolicyKind::Managed,
        PolicyKind::Boundary,
    ] {
        let f = statements(kind, &format!("{NARROW},{BROAD}"));
        assert_eq!(
            paths(&f, "REDUNDANT_STATEMENT"),
            ["Statement[0]"],
            "{kind:?}: {f:#?}"
        );
        let r = f
            .iter()
            .find(|f| f.code == "REDUNDANT_STATEMENT")
            .expect("found");
        assert_eq!(r.severity, lint::Severity::Warning);
        assert!(r.message.contains("Statement[0]") && r.fix.contains("remove Statement[0]"));
    }
}

#[test]
fn of_two_identical_statements_only_the_first_is_reported() {
    let f = statements(PolicyKind::Identity, &format!("{BROAD},{BROAD}"));
    assert_eq!(paths(&f, "REDUNDANT_STATEMENT"), ["Statement[0]"], "{f:#?}");
}

#[test]
fn a_statement_that_adds_an_action_or_a_resource_is_not_redundant() {
    let more_actions = r#"{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/reports/*"}"#;
    let other_bucket =
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::c/*"}"#;
    for extra in [more_actions, other_bucket] {
        let f = statements(PolicyKind::Identity, &format!("{extra},{BROAD}"));
        assert!(
            paths(&f, "REDUNDANT_STATEMENT").is_empty(),
            "{extra}: {f:#?}"
        );
    }
}

#[test]
fn an_allow_that_a_deny_wholly_cancels_is_redundant() {
    let deny = r#"{"Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::b/reports/*"}"#;
    let f = statements(PolicyKind::Identity, &format!("{NARROW},{deny}"));
    assert_eq!(paths(&f, "REDUNDANT_STATEMENT"), ["Statement[0]"], "{f:#?}");
}

#[test]
fn a_narrower_condition_keeps_a_statement_from_being_redundant_only_if_the_other_is_conditioned() {
    // The broad statement holds only over TLS: the narrow one, without the
    // condition, still allows plain-text requests.
    let broad_tls = r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}"#;
    let f = statements(PolicyKind::Identity, &format!("{NARROW},{broad_tls}"));
    assert!(paths(&f, "REDUNDANT_STATEMENT").is_empty(), "{f:#?}");
}

#[test]
fn a_bypassed_condition_is_reported_once_as_bypassed_not_also_as_redundant() {
    // The Apperate guide's shape.
    let limited = r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"StringLike":{"s3:prefix":"exports/*"}}}"#;
    let open = r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#;
    let f = statements(PolicyKind::Identity, &format!("{limited},{open}"));
    assert_eq!(paths(&f, "CONDITION_BYPASSED"), ["Statement[1]"], "{f:#?}");
    assert!(paths(&f, "REDUNDANT_STATEMENT").is_empty(), "{f:#?}");
}

#[test]
fn a_condition_bypassed_only_by_two_patterns_together_is_found() {
    // `s3:GetObject*` is `s3:GetObject` or `s3:GetObject` and more: neither
    // pattern covers it alone, both together do.
    let limited = r#"{"Effect":"Allow","Action":"s3:GetObject*","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}"#;
    let open = r#"{"Effect":"Allow","Action":["s3:GetObject","s3:GetObject?*"],"Resource":"arn:aws:s3:::b/*"}"#;
    let f = statements(PolicyKind::Identity, &format!("{limited},{open}"));
    assert_eq!(paths(&f, "CONDITION_BYPASSED"), ["Statement[1]"], "{f:#?}");
    let only_one = r#"{"Effect":"Allow","Action":"s3:GetObject?*","Resource":"arn:aws:s3:::b/*"}"#;
    let f = statements(PolicyKind::Identity, &format!("{limited},{only_one}"));
    assert!(paths(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

#[test]
fn a_policy_over_the_statement_cap_is_not_checked_for_redundancy() {
    let at_cap = vec![BROAD; MAX_REDUNDANCY_STATEMENTS].join(",");
    let f = statements(PolicyKind::Identity, &at_cap);
    assert_eq!(
        paths(&f, "REDUNDANT_STATEMENT").len(),
        MAX_REDUNDANCY_STATEMENTS - 1,
        "every copy but the last"
    );
    let over = vec![BROAD; MAX_REDUNDANCY_STATEMENTS + 1].join(",");
    let f = statements(PolicyKind::Identity, &over);
    assert!(paths(&f, "REDUNDANT_STATEMENT").is_empty());
}

#[test]
fn trust_and_resource_policies_are_not_checked_for_redundancy() {
    let trust = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::966208727603:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc123"}}}"#;
    let f = statements(PolicyKind::Trust, &format!("{trust},{trust}"));
    assert!(paths(&f, "REDUNDANT_STATEMENT").is_empty(), "{f:#?}");
}
