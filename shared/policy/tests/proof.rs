//! The least-privilege proof catches a role that grants more (or less) than
//! its spec: each test widens or narrows a correctly built role one way.

#![allow(clippy::expect_used)]

use rolegate_policy::proof::{ProofFinding, RolePolicies, prove, prove_desired};
use rolegate_policy::{BuildContext, DesiredRole, IntegrationSpec, PolicyDocument, build};

fn ctx() -> BuildContext {
    BuildContext::new("111122223333", "us-east-1")
}

fn spec(json: &str) -> IntegrationSpec {
    IntegrationSpec::from_json(json).expect("spec")
}

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("policy")
}

const S3_SPEC: &str = r#"{
  "RoleName": "vendor-reader",
  "Trust": {"Principals": ["966208727603"]},
  "ExternalId": "vendor-ext-id-0123456789abcdef",
  "Conditions": {"RequireSecureTransport": "true", "AllowedRegions": ["us-east-1"], "SourceIps": ["203.0.113.0/24"]},
  "ExpiresAt": "2027-06-30T00:00:00Z",
  "Grants": [{"Service": "s3", "Access": "read", "Bucket": "exports", "Prefix": "vendor/"}]
}"#;

/// Proves `role` with `extra` attached next to its own policies.
fn prove_with(
    spec: &IntegrationSpec,
    role: &DesiredRole,
    trust: &PolicyDocument,
    extra: &[PolicyDocument],
) -> Vec<ProofFinding> {
    let mut permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
    permissions.extend(extra);
    prove(
        spec,
        &ctx(),
        &RolePolicies {
            role_name: "vendor-reader",
            path: &role.path,
            trust,
            permissions: &permissions,
        },
    )
    .findings
}

fn codes(findings: &[ProofFinding]) -> Vec<&'static str> {
    let mut c: Vec<&'static str> = findings.iter().map(ProofFinding::code).collect();
    c.dedup();
    c
}

#[test]
fn the_built_role_proves_clean_with_every_guardrail_set() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let proof = prove_desired(&spec, &ctx(), &role);
    assert!(proof.holds(), "{:#?}", proof.findings);
}

#[test]
fn an_attached_service_wildcard_is_reported_as_excess() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let widened = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Oops","Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::exports/*"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[widened]);
    assert!(
        findings.iter().any(|f| matches!(f,
        ProofFinding::Excess { action, resource, statements, .. }
            if action == "s3:PutObject" && resource == "arn:aws:s3:::exports/vendor/rolegate-probe"
                && statements.iter().any(|s| s.contains("Oops")))),
        "{findings:#?}"
    );
    assert!(
        findings.iter().any(|f| matches!(f,
        ProofFinding::Excess { action, resource, .. }
            if action == "s3:GetObject" && resource == "arn:aws:s3:::exports/rolegate-probe")),
        "an object outside the prefix is out of scope: {findings:#?}"
    );
}

#[test]
fn administrator_access_is_reported_including_escalation_actions() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let admin = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[admin]);
    for action in [
        "iam:PassRole",
        "iam:PutRolePolicy",
        "s3:ListAllMyBuckets",
        "s3:DeleteBucket",
    ] {
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, ProofFinding::Excess { action: a, .. } if a == action)),
            "{action} not reported"
        );
    }
}

#[test]
fn a_statement_without_the_guardrails_is_reported_as_bypassing_each() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let bare = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/vendor/*"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[bare]);
    for guardrail in [
        "AllowedRegions",
        "RequireSecureTransport",
        "SourceIps",
        "ExpiresAt",
    ] {
        assert!(
            findings.iter().any(|f| matches!(f,
                ProofFinding::GuardrailBypassed { guardrail: g, action, .. } if *g == guardrail && action == "s3:GetObject")),
            "{guardrail}: {findings:#?}"
        );
    }
    // The symbolic step names one request the guardrails would refuse.
    assert_eq!(
        codes(&findings),
        ["PROOF_GUARDRAIL_BYPASSED", "PROOF_EXCEEDS_INTENT"]
    );
    assert!(
        findings.iter().any(|f| matches!(f,
            ProofFinding::Exceeds { counterexample } if counterexample.action.eq_ignore_ascii_case("s3:GetObject")
                && counterexample.resource.starts_with("arn:aws:s3:::exports/vendor/"))),
        "{findings:#?}"
    );
}

#[test]
fn a_listing_without_the_prefix_condition_is_reported() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let listing = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::exports","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[listing]);
    assert!(findings.iter().any(|f| matches!(f,
        ProofFinding::Excess { action, context, .. } if action == "s3:ListBucket" && context == "s3:prefix=rolegate-probe/")),
        "{findings:#?}");
}

#[test]
fn a_removed_policy_is_reported_as_missing_grants() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let findings = prove(
        &spec,
        &ctx(),
        &RolePolicies {
            role_name: "vendor-reader",
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &[],
        },
    )
    .findings;
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, ProofFinding::Missing { action, .. } if action == "s3:GetObject"))
    );
    assert!(findings.iter().all(|f| !f.widens_access()), "{findings:#?}");
}

#[test]
fn a_trust_policy_without_the_external_id_is_too_open() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let open = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::966208727603:root"},"Action":"sts:AssumeRole"}]}"#,
    );
    let findings = prove_with(&spec, &role, &open, &[]);
    let hows: Vec<&str> = findings
        .iter()
        .filter_map(|f| match f {
            ProofFinding::TrustTooOpen { how, .. } => Some(*how),
            _ => None,
        })
        .collect();
    assert!(
        hows.contains(&"accepts a request without sts:ExternalId"),
        "{hows:?}"
    );
    assert!(hows.contains(&"accepts a wrong sts:ExternalId"), "{hows:?}");
    assert!(
        hows.contains(&"admits the vendor after ExpiresAt"),
        "{hows:?}"
    );
}

#[test]
fn a_trust_policy_open_to_everyone_admits_strangers() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let anyone = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"vendor-ext-id-0123456789abcdef"}}}]}"#,
    );
    let findings = prove_with(&spec, &role, &anyone, &[]);
    assert!(findings.iter().any(|f| matches!(f,
        ProofFinding::TrustTooOpen { how, .. } if *how == "admits an account the spec does not name")), "{findings:#?}");
}

#[test]
fn a_trust_policy_for_another_vendor_refuses_the_named_one() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let other = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"vendor-ext-id-0123456789abcdef"}}}]}"#,
    );
    let findings = prove_with(&spec, &role, &other, &[]);
    assert!(
        findings.iter().any(|f| matches!(f,
        ProofFinding::TrustTooClosed { caller } if caller.contains("966208727603"))),
        "{findings:#?}"
    );
}

#[test]
fn a_service_trust_requiring_a_key_the_service_never_sends_fails_the_proof() {
    // Redshift documents no aws:SourceAccount on the role it assumes
    // (TrustedService::documented_source_keys): the built trust requires
    // none, and one that does is a role Redshift could never assume.
    let spec = spec(
        r#"{"RoleName": "vendor-reader", "Trust": {"Service": "redshift"},
        "Grants": [{"Service": "s3", "Access": "read", "Bucket": "exports"}]}"#,
    );
    let role = build(&spec, &ctx()).expect("build");
    assert!(prove_desired(&spec, &ctx(), &role).holds());
    assert!(
        !role.trust_policy.to_json().contains("aws:SourceAccount"),
        "{:?}",
        role.trust_policy
    );
    let pinned = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}"#,
    );
    let findings = prove_with(&spec, &role, &pinned, &[]);
    assert!(
        findings.iter().any(|f| matches!(f,
        ProofFinding::TrustTooClosed { caller } if caller.contains("redshift.amazonaws.com"))),
        "{findings:#?}"
    );
}

#[test]
fn a_service_trust_admitting_another_service_is_reported() {
    let spec = spec(
        r#"{"RoleName": "AWSGlueServiceRole-x", "Trust": {"Service": "glue"},
        "Grants": [{"Service": "s3", "Access": "read", "Bucket": "exports"}]}"#,
    );
    let role = build(&spec, &ctx()).expect("build");
    assert!(prove_desired(&spec, &ctx(), &role).holds());
    let two = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["glue.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#,
    );
    let findings = prove_with(&spec, &role, &two, &[]);
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, ProofFinding::TrustTooOpen { .. })),
        "{findings:#?}"
    );
}

#[test]
fn dynamodb_items_outside_the_leading_keys_are_reported() {
    let spec = spec(
        r#"{"RoleName": "vendor-reader", "Trust": {"Principals": ["966208727603"]},
        "ExternalId": "vendor-ext-id-0123456789abcdef",
        "Grants": [{"Service": "dynamodb", "Access": "read", "TableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/Orders",
                    "LeadingKeys": ["tenant-42"]}]}"#,
    );
    let role = build(&spec, &ctx()).expect("build");
    assert!(prove_desired(&spec, &ctx(), &role).holds());
    let unkeyed = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"arn:aws:dynamodb:us-east-1:111122223333:table/Orders"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[unkeyed]);
    assert!(
        findings.iter().any(|f| matches!(f,
        ProofFinding::Excess { action, context, .. }
            if action == "dynamodb:GetItem" && context.contains("rolegate-probe-other"))),
        "{findings:#?}"
    );
}

#[test]
fn findings_read_as_sentences_naming_action_resource_and_statement() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let widened = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Oops","Effect":"Allow","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::exports/vendor/*"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[widened]);
    let text = findings[0].to_string();
    assert_eq!(
        text,
        "PROOF_EXCESS: s3:DeleteObject on arn:aws:s3:::exports/vendor/rolegate-probe is allowed \
         (by permissions policy 2 statement Oops) but the spec does not grant it"
    );
}

/// A trust naming the role's own account still requires the ExternalId:
/// within an account a role trust policy must allow the caller itself, and
/// naming the account only hands the decision to IAM policies (IAM User
/// Guide, Policy evaluation logic). The evaluator used to let the caller's
/// identity policy alone admit it, so this spec failed with
/// PROOF_TRUST_TOO_OPEN ("accepts a request without sts:ExternalId").
#[test]
fn a_trust_naming_its_own_account_proves_clean() {
    let spec = spec(&S3_SPEC.replace("966208727603", "111122223333"));
    let role = build(&spec, &ctx()).expect("role");
    let proof = prove_desired(&spec, &ctx(), &role);
    assert!(proof.holds(), "{:#?}", proof.findings);
}

#[test]
fn a_widening_no_probe_touches_is_found_by_the_symbolic_step_with_its_counterexample() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    let tagging = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"Tags","Effect":"Allow","Action":"s3:Get*Tagging","Resource":"arn:aws:s3:::other-*"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[tagging]);
    let exceeds: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f, ProofFinding::Exceeds { .. }))
        .map(ToString::to_string)
        .collect();
    assert_eq!(exceeds.len(), 1, "{findings:#?}");
    let text = &exceeds[0];
    assert!(text.starts_with("PROOF_EXCEEDS_INTENT: "), "{text}");
    assert!(
        text.to_ascii_lowercase()
            .contains("tagging on arn:aws:s3:::other-"),
        "{text}"
    );
    assert!(
        text.contains("Tags"),
        "the allowing statement is named: {text}"
    );
}

#[test]
fn the_symbolic_step_refuses_a_role_it_cannot_decide_rather_than_passing_it() {
    let spec = spec(S3_SPEC);
    let role = build(&spec, &ctx()).expect("build");
    // A Principal has no place in an identity policy: outside the fragment.
    let odd = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::exports/vendor/a"}]}"#,
    );
    let findings = prove_with(&spec, &role, &role.trust_policy, &[odd]);
    assert!(
        findings.iter().any(|f| matches!(
            f,
            ProofFinding::Undecided {
                code: "SYMBOLIC_UNSUPPORTED",
                ..
            }
        ) && f.widens_access()),
        "{findings:#?}"
    );
}

#[test]
fn every_trusted_service_trust_requires_exactly_the_keys_it_documents_sending_and_proves() {
    use rolegate_policy::lint::{LintOptions, PolicyKind, lint_policy};
    use rolegate_policy::spec::{SourceKey, TrustedService};
    for service in TrustedService::ALL {
        let spec = spec(&format!(
            r#"{{"RoleName": "AWSGlueServiceRole-x", "Trust": {{"Service": "{}"}},
            "Grants": [{{"Service": "s3", "Access": "read", "Bucket": "exports"}}]}}"#,
            service.name()
        ));
        let role = build(&spec, &ctx()).expect("build");
        let trust = role.trust_policy.to_json();
        for key in [SourceKey::SourceAccount, SourceKey::SourceArn] {
            assert_eq!(
                trust.contains(key.context_key()),
                service.sends(key) && key == SourceKey::SourceAccount,
                "{}: {trust}",
                service.name()
            );
        }
        assert!(
            service
                .trust_documentation()
                .starts_with("https://docs.aws.amazon.com/"),
            "{}",
            service.name()
        );
        assert!(
            prove_desired(&spec, &ctx(), &role).holds(),
            "{}",
            service.name()
        );
        let findings = lint_policy(
            &role.trust_policy,
            PolicyKind::Trust,
            &LintOptions::default(),
        );
        assert!(
            findings
                .iter()
                .all(|f| f.code != "TRUST_SOURCE_KEY_NOT_SENT"),
            "{}: {findings:#?}",
            service.name()
        );
    }
    // Only Glue has a service-role naming convention.
    let prefixes: Vec<_> = TrustedService::ALL
        .iter()
        .map(|s| (s.name(), s.service_role_name_prefix()))
        .collect();
    assert_eq!(
        prefixes,
        [
            ("redshift", None),
            ("glue", Some("AWSGlueServiceRole")),
            ("ec2", None)
        ]
    );
}
