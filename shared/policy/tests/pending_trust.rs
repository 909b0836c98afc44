//! A pending vendor trust (issue 17, item 3; IEX Apperate, seed 001): the
//! role is created before the vendor issues its principal and ExternalId,
//! admits nobody meanwhile, and the spec the Update fills in proves as any
//! vendor trust does, with the ExternalId the vendor gave.

#![allow(clippy::expect_used)]

use std::convert::Infallible;

use rolegate_policy::document::{Effect, Principal};
use rolegate_policy::lint::{LintOptions, PolicyKind, Severity, lint_policy};
use rolegate_policy::proof::{ProofFinding, RolePolicies, prove, prove_desired};
use rolegate_policy::reconcile::{DesiredError, Owner, PipelineError, spec_to_role};
use rolegate_policy::spec::DeploymentRules;
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, Trust, build};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const USER: &str = "arn:aws:iam::444455556666:user/apperate-integration";
const ISSUED_ID: &str = "iex-5f0c2a9e-apperate";

fn ctx() -> BuildContext {
    BuildContext::new(ACCOUNT, "us-east-1")
}

/// The Apperate stack's properties, with the two vendor parameters as
/// CloudFormation passes them (`""` while they are left at their default).
fn apperate(user: &str, external_id: &str) -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:111122223333:function:rolegate-provisioner",
        "RoleNamePrefix": "iex-apperate",
        "Trust": {"Principals": [user]},
        "ExternalId": external_id,
        "ExpiresAt": "2027-06-30T00:00:00Z",
        "Grants": [{"Service": "s3", "Access": "read", "Bucket": "customer-market-data",
                    "Prefix": "exports/", "IncludeVersions": "true"}],
    })
}

fn spec(properties: &Value) -> IntegrationSpec {
    IntegrationSpec::from_properties(properties).expect("a valid spec")
}

fn never() -> Result<String, Infallible> {
    panic!("no ExternalId may be generated for a vendor that issues its own")
}

fn owner() -> Owner {
    Owner {
        stack_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/apperate/1".into(),
        logical_id: "ApperateRole".into(),
    }
}

fn error_of(properties: Value) -> (String, String, String) {
    let e = IntegrationSpec::from_properties(&properties).expect_err("refused");
    (e.code().to_owned(), e.field().to_owned(), e.to_string())
}

#[test]
fn empty_principal_and_empty_external_id_parse_as_a_pending_trust() {
    let pending = spec(&apperate("", ""));
    assert_eq!(pending.trust, Trust::Pending);
    assert!(pending.trust.is_pending());
    assert_eq!(pending.external_id, None);
    // A bare string and a missing ExternalId are pending too.
    let mut bare = apperate("", "");
    bare["Trust"] = json!({"Principals": ""});
    bare.as_object_mut().map(|o| o.remove("ExternalId"));
    assert_eq!(spec(&bare).trust, Trust::Pending);
}

#[test]
fn half_of_the_vendors_answer_is_refused_naming_the_missing_half() {
    let (code, field, message) = error_of(apperate("", ISSUED_ID));
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("CONFLICTING_PROPERTIES", "ExternalId")
    );
    assert!(message.contains("pending Trust"), "{message}");

    let (code, field, message) = error_of(apperate(USER, ""));
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("EMPTY_VALUE", "ExternalId")
    );
    assert!(
        message.contains("the ExternalId the vendor issued"),
        "{message}"
    );

    let mut mixed = apperate(USER, ISSUED_ID);
    mixed["Trust"] = json!({"Principals": [USER, ""]});
    let (code, field, message) = error_of(mixed);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("EMPTY_VALUE", "Trust.Principals[1]")
    );
    assert!(message.contains("pending vendor trust"), "{message}");

    // An empty list is still a mistake, not a pending trust.
    let mut none = apperate(USER, ISSUED_ID);
    none["Trust"] = json!({"Principals": []});
    assert_eq!(error_of(none).1, "Trust.Principals");
}

#[test]
fn a_pending_trust_policy_denies_everyone_and_allows_no_one_even_with_an_expiry() {
    let role = build(&spec(&apperate("", "")), &ctx()).expect("builds");
    let statements = role.trust_policy.statements();
    assert_eq!(statements.len(), 1, "{}", role.trust_policy.to_json());
    let deny = &statements[0];
    assert_eq!(deny.effect, Effect::Deny);
    assert_eq!(
        deny.principal.as_ref().map(|p| p.value().clone()),
        Some(Principal::Any)
    );
    // ExpiresAt must not end the Deny.
    assert!(deny.condition.is_none(), "{}", role.trust_policy.to_json());
    assert!(!statements.iter().any(|s| s.effect == Effect::Allow));
}

#[test]
fn the_pipeline_generates_no_external_id_while_pending_and_uses_the_vendors_when_filled() {
    let pending = apperate("", "");
    let out = spec_to_role(
        &pending,
        spec(&pending),
        &DeploymentRules::default(),
        &ctx(),
        &owner(),
        None,
        never,
    )
    .map_err(PipelineError::<Infallible>::into_desired)
    .expect("a pending role is built and proven");
    assert_eq!(out.spec.external_id, None);
    assert_eq!(out.properties, pending, "the record keeps what was given");

    // The Update: the vendor's values, a carried ExternalId ignored.
    let filled = apperate(USER, ISSUED_ID);
    let out = spec_to_role(
        &filled,
        spec(&filled),
        &DeploymentRules::default(),
        &ctx(),
        &owner(),
        Some("an-older-generated-id".into()),
        never,
    )
    .map_err(PipelineError::<Infallible>::into_desired)
    .expect("the filled role is built and proven");
    assert_eq!(out.spec.external_id.as_deref(), Some(ISSUED_ID));
    let trust = out.role.trust_policy.to_json();
    assert!(trust.contains(USER) && trust.contains(ISSUED_ID), "{trust}");
}

#[test]
fn the_proof_shows_nobody_can_assume_a_pending_role() {
    let s = spec(&apperate("", ""));
    let role = build(&s, &ctx()).expect("builds");
    let proof = prove_desired(&s, &ctx(), &role);
    assert!(proof.findings.is_empty(), "{:?}", proof.findings);
    assert!(proof.probes > 20, "{} probes", proof.probes);
}

#[test]
fn the_proof_catches_a_pending_role_whose_trust_lets_someone_in() {
    let s = spec(&apperate("", ""));
    let role = build(&s, &ctx()).expect("builds");
    let permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
    // What the filled stack would write, or a hand edit: the vendor's user
    // with its ExternalId, the customer's own account, an AWS service.
    for trust in [
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{USER}"}},"Action":"sts:AssumeRole","Condition":{{"StringEquals":{{"sts:ExternalId":"{ISSUED_ID}"}}}}}}]}}"#
        ),
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}]}}"#
        ),
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#.to_owned(),
    ] {
        let trust = PolicyDocument::parse(&trust).expect("policy");
        let findings = prove(
            &s,
            &ctx(),
            &RolePolicies {
                role_name: "iex-apperate-x",
                path: &role.path,
                trust: &trust,
                permissions: &permissions,
            },
        )
        .findings;
        assert!(
            findings
                .iter()
                .any(|f| matches!(f, ProofFinding::TrustTooOpen { .. }) && f.widens_access()),
            "{} passed: {findings:?}",
            trust.to_json()
        );
    }
}

#[test]
fn the_filled_spec_proves_as_any_vendor_trust_and_demands_the_issued_external_id() {
    let s = spec(&apperate(USER, ISSUED_ID));
    assert_eq!(s.external_id.as_deref(), Some(ISSUED_ID));
    let role = build(&s, &ctx()).expect("builds");
    assert!(prove_desired(&s, &ctx(), &role).findings.is_empty());
    // The pending role's trust policy under the filled spec refuses the
    // vendor: the proof sees the Update is still to be applied.
    let pending = build(&spec(&apperate("", "")), &ctx()).expect("builds");
    let permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
    let findings = prove(
        &s,
        &ctx(),
        &RolePolicies {
            role_name: "iex-apperate-x",
            path: &role.path,
            trust: &pending.trust_policy,
            permissions: &permissions,
        },
    )
    .findings;
    assert!(
        findings
            .iter()
            .any(|f| matches!(f, ProofFinding::TrustTooClosed { caller } if caller == USER)),
        "{findings:?}"
    );
}

#[test]
fn lint_says_a_pending_trust_admits_nobody_as_a_suggestion_only() {
    let opts = LintOptions {
        own_account: Some(ACCOUNT.into()),
        ..LintOptions::default()
    };
    let pending = build(&spec(&apperate("", "")), &ctx()).expect("builds");
    let findings = lint_policy(&pending.trust_policy, PolicyKind::Trust, &opts);
    let nobody: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "TRUST_ASSUMABLE_BY_NOBODY")
        .collect();
    assert_eq!(nobody.len(), 1, "{findings:?}");
    assert_eq!(nobody[0].severity, Severity::Suggestion);
    assert!(
        findings.iter().all(|f| f.severity == Severity::Suggestion),
        "{findings:?}"
    );

    let filled = build(&spec(&apperate(USER, ISSUED_ID)), &ctx()).expect("builds");
    let findings = lint_policy(&filled.trust_policy, PolicyKind::Trust, &opts);
    assert!(
        findings
            .iter()
            .all(|f| f.code != "TRUST_ASSUMABLE_BY_NOBODY"),
        "{findings:?}"
    );
}

/// `PipelineError<Infallible>` as the one error it can be.
trait IntoDesired {
    fn into_desired(self) -> DesiredError;
}

impl IntoDesired for PipelineError<Infallible> {
    fn into_desired(self) -> DesiredError {
        match self {
            PipelineError::Fill(never) => match never {},
            PipelineError::Desired(e) => e,
        }
    }
}
