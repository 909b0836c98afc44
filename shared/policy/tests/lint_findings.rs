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
