//! The findings issue 15 added, one behaviour per test: a public resource
//! policy, a statement that makes another's condition pointless, and an
//! ABAC AssumeRole limited by tag.

#![allow(clippy::expect_used)]

use rolegate_policy::PolicyDocument;
use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};

fn lint_as(json: &str, kind: PolicyKind) -> Vec<Finding> {
    let doc = PolicyDocument::parse(json).expect("test policy parses");
    lint::lint_policy(&doc, kind, &LintOptions::default())
}

fn statements(kind: PolicyKind, statements: &str) -> Vec<Finding> {
    lint_as(
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#),
        kind,
    )
}

fn find<'a>(f: &'a [Finding], code: &str) -> Vec<&'a Finding> {
    f.iter().filter(|f| f.code == code).collect()
}

// ---------------------------------------------------------------- public

/// Seed 004's subject: a bucket policy that makes objects public.
const PUBLIC_READ: &str = r#"{"Sid":"PublicReadGetObject","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::examplebucket/*"}"#;

fn bucket_policy_with(condition: &str) -> Vec<Finding> {
    statements(
        PolicyKind::Resource,
        &format!(
            r#"{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::examplebucket/*","Condition":{condition}}}"#
        ),
    )
}

#[test]
fn bucket_policy_allowing_anyone_is_public_access() {
    let f = statements(PolicyKind::Resource, PUBLIC_READ);
    let public = find(&f, "PUBLIC_ACCESS");
    assert_eq!(public.len(), 1, "{f:#?}");
    assert_eq!(public[0].severity, Severity::Error);
    assert_eq!(public[0].path, "Statement[0].Principal");
    assert!(public[0].message.contains("s3:GetObject"), "{public:#?}");
    assert!(public[0].fix.contains("aws:PrincipalOrgID"), "{public:#?}");
}

#[test]
fn aws_star_principal_is_anyone_too() {
    let f = statements(
        PolicyKind::Resource,
        r#"{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"sqs:SendMessage","Resource":"arn:aws:sqs:us-east-1:111122223333:q"}"#,
    );
    assert_eq!(find(&f, "PUBLIC_ACCESS").len(), 1, "{f:#?}");
}

#[test]
fn allow_with_not_principal_is_public_access() {
    let f = statements(
        PolicyKind::Resource,
        r#"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/x"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}"#,
    );
    let public = find(&f, "PUBLIC_ACCESS");
    assert_eq!(public.len(), 1, "{f:#?}");
    assert_eq!(public[0].path, "Statement[0].NotPrincipal");
}

#[test]
fn a_condition_that_names_the_caller_or_its_network_narrows_anyone() {
    for condition in [
        r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
        r#"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
        r#"{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::111122223333:distribution/*"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.7"]}}"#,
        r#"{"ForAnyValue:StringEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
    ] {
        let f = bucket_policy_with(condition);
        assert!(find(&f, "PUBLIC_ACCESS").is_empty(), "{condition}: {f:#?}");
    }
}

#[test]
fn a_condition_that_anyone_can_meet_leaves_it_public() {
    for condition in [
        // Seed 004: HTTPS only says how, not who.
        r#"{"Bool":{"aws:SecureTransport":"true"}}"#,
        // Negated: everyone outside the organization.
        r#"{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
        // IfExists: an anonymous request has no endpoint key, so it passes.
        r#"{"StringEqualsIfExists":{"aws:SourceVpce":"vpce-1a2b3c4d"}}"#,
        // ForAllValues over a key the request lacks is true.
        r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
        // A value that matches anything.
        r#"{"StringLike":{"aws:PrincipalAccount":"*"}}"#,
        r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#,
    ] {
        let f = bucket_policy_with(condition);
        assert_eq!(find(&f, "PUBLIC_ACCESS").len(), 1, "{condition}: {f:#?}");
    }
}

#[test]
fn deny_to_anyone_is_not_public_access() {
    // Seed 004's defense in depth: deny reads that are not over HTTPS.
    let f = statements(
        PolicyKind::Resource,
        r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::examplebucket/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    );
    assert!(find(&f, "PUBLIC_ACCESS").is_empty(), "{f:#?}");
}

// ------------------------------------------------------- bypassed condition

/// Seed 001: the policy in Apperate's guide, as published.
fn apperate_guide() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/policies/apperate-s3-read.json");
    std::fs::read_to_string(path).expect("fixture readable")
}

#[test]
fn apperate_guide_unconditioned_list_bucket_makes_the_prefix_condition_pointless() {
    for kind in [PolicyKind::Identity, PolicyKind::Managed] {
        let f = lint_as(&apperate_guide(), kind);
        let bypassed = find(&f, "CONDITION_BYPASSED");
        assert_eq!(bypassed.len(), 1, "{f:#?}");
        let b = bypassed[0];
        assert_eq!(b.severity, Severity::Warning);
        assert_eq!(b.path, "Statement[3]");
        for part in ["s3:ListBucket", "Statement[0]", "StringLike s3:prefix"] {
            assert!(b.message.contains(part), "{part}: {}", b.message);
        }
        assert!(b.fix.contains("Statement[3]"), "{}", b.fix);
        assert!(!lint::has_errors(&f), "{f:#?}");
    }
}

#[test]
fn unconditioned_statement_on_other_resources_leaves_the_condition_alone() {
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::a","Condition":{"StringLike":{"s3:prefix":"home/*"}}},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b"}"#,
    );
    assert!(find(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

#[test]
fn two_conditioned_statements_do_not_bypass_each_other() {
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::a","Condition":{"StringLike":{"s3:prefix":"home/*"}}},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::a","Condition":{"StringLike":{"s3:prefix":"public/*"}}}"#,
    );
    assert!(find(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

#[test]
fn broader_patterns_and_not_action_bypass_a_condition_too() {
    let limited = r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/private/*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1a2b3c4d"}}}"#;
    for broad in [
        r#"{"Effect":"Allow","Action":"s3:Get*","Resource":"arn:aws:s3:::b/*"}"#,
        r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
    ] {
        let f = statements(PolicyKind::Identity, &format!("{limited},{broad}"));
        let bypassed = find(&f, "CONDITION_BYPASSED");
        assert_eq!(bypassed.len(), 1, "{broad}: {f:#?}");
        assert_eq!(bypassed[0].path, "Statement[1]");
    }
    // A NotAction that excludes the action leaves the condition alone.
    let f = statements(
        PolicyKind::Identity,
        &format!(r#"{limited},{{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}}"#),
    );
    assert!(find(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

#[test]
fn trust_statement_without_external_id_bypasses_the_one_with_it() {
    let with_id = r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::966208727603:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc123"}}}"#;
    let f = statements(
        PolicyKind::Trust,
        &format!(
            r#"{with_id},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::966208727603:root"}},"Action":"sts:AssumeRole"}}"#
        ),
    );
    let bypassed = find(&f, "CONDITION_BYPASSED");
    assert_eq!(bypassed.len(), 1, "{f:#?}");
    assert!(
        bypassed[0].message.contains("sts:ExternalId"),
        "{}",
        bypassed[0].message
    );
    // Another principal's unconditioned statement leaves the condition alone.
    let f = statements(
        PolicyKind::Trust,
        &format!(
            r#"{with_id},{{"Effect":"Allow","Principal":{{"Service":"glue.amazonaws.com"}},"Action":"sts:AssumeRole"}}"#
        ),
    );
    assert!(find(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

#[test]
fn deny_conditions_are_not_reported_as_bypassed() {
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/secret/*"}"#,
    );
    assert!(find(&f, "CONDITION_BYPASSED").is_empty(), "{f:#?}");
}

// ------------------------------------------------------------ ABAC assume

/// Seed 004's ABAC post, example 3: Bob may assume every role tagged
/// Project=ExampleCorpABC.
const ABAC_ASSUME: &str = r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/Project":"ExampleCorpABC"}}}"#;

#[test]
fn abac_assume_role_limited_by_resource_tag_is_a_warning_not_assume_any_role() {
    let f = statements(PolicyKind::Identity, ABAC_ASSUME);
    assert!(find(&f, "ASSUME_ANY_ROLE").is_empty(), "{f:#?}");
    let by_tag = find(&f, "ASSUME_ROLE_BY_TAG");
    assert_eq!(by_tag.len(), 1, "{f:#?}");
    assert_eq!(by_tag[0].severity, Severity::Warning);
    assert_eq!(by_tag[0].path, "Statement[0].Resource");
    assert!(
        by_tag[0].message.contains("iam:ResourceTag/Project"),
        "{}",
        by_tag[0].message
    );
    assert!(
        by_tag[0].fix.contains("aws:ResourceAccount"),
        "{}",
        by_tag[0].fix
    );
    assert!(!lint::has_errors(&f), "{f:#?}");
}

#[test]
fn abac_assume_role_pinned_to_an_account_is_only_a_suggestion() {
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Project":"ExampleCorpABC","aws:ResourceAccount":"444455556666"}}}"#,
    );
    let by_tag = find(&f, "ASSUME_ROLE_BY_TAG");
    assert_eq!(by_tag.len(), 1, "{f:#?}");
    assert_eq!(by_tag[0].severity, Severity::Suggestion);
}

#[test]
fn a_tag_condition_that_pins_no_value_is_still_assume_any_role() {
    for condition in [
        r#"{"StringNotEquals":{"iam:ResourceTag/Project":"Other"}}"#,
        r#"{"StringEqualsIfExists":{"iam:ResourceTag/Project":"ExampleCorpABC"}}"#,
        r#"{"StringLike":{"iam:ResourceTag/Project":"*"}}"#,
        r#"{"StringEquals":{"aws:PrincipalTag/Project":"ExampleCorpABC"}}"#,
    ] {
        let f = statements(
            PolicyKind::Identity,
            &format!(
                r#"{{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{condition}}}"#
            ),
        );
        let any = find(&f, "ASSUME_ANY_ROLE");
        assert_eq!(any.len(), 1, "{condition}: {f:#?}");
        assert_eq!(any[0].severity, Severity::Error);
    }
}

#[test]
fn resource_star_narrowed_by_a_resource_tag_is_a_wildcard_resource_warning() {
    // Seed 004's ABAC example 1: start and stop the instances of one's cost center.
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/CostCenter":"${aws:PrincipalTag/CostCenter}"}}}"#,
    );
    let wildcard = find(&f, "WILDCARD_RESOURCE");
    assert_eq!(wildcard.len(), 1, "{f:#?}");
    assert_eq!(wildcard[0].severity, Severity::Warning);
    assert!(
        wildcard[0].message.contains("aws:ResourceTag/CostCenter"),
        "{}",
        wildcard[0].message
    );
    assert!(!lint::has_errors(&f), "{f:#?}");
    // Without the condition it is the error it always was.
    let f = statements(
        PolicyKind::Identity,
        r#"{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"*"}"#,
    );
    assert_eq!(find(&f, "WILDCARD_RESOURCE")[0].severity, Severity::Error);
}
