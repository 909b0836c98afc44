//! A grant's `Discovery: true` (issue 17, item 5): the listing actions IAM
//! accepts only on `Resource: "*"` (`dynamodb:ListTables`,
//! `s3:ListAllMyBuckets`, ...), granted only on that opt-in, in a statement
//! of their own, proven against the spec's own reading and linted as a
//! suggestion that names what they disclose.

#![allow(clippy::expect_used)]

use rolegate_policy::lint::{self, LintOptions, Severity};
use rolegate_policy::proof::{RolePolicies, prove, prove_desired};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};
use serde_json::{Value, json};

fn ctx() -> BuildContext {
    BuildContext::new("111122223333", "us-east-1")
}

/// Atmosphere's one role (seed 000): four grants, `discovery` on the
/// grants of the services named.
fn atmosphere(discovery: &[&str]) -> Value {
    let on = |service: &str| json!(discovery.contains(&service));
    json!({
        "RoleName": "atmosphere",
        "Trust": {"Principals": ["966208727603"]},
        "ExternalId": "atmosphere-7Qm2xV9pLk",
        "Conditions": {"RequireSecureTransport": "true", "AllowedRegions": ["us-east-1"]},
        "ExpiresAt": "2027-12-31T00:00:00Z",
        "Grants": [
            {"Service": "s3", "Access": "read-write", "Bucket": "atmospheresamplebucket",
             "Discovery": on("s3")},
            {"Service": "dynamodb", "Access": "read-write", "Indexes": "*",
             "TableArn": "arn:aws:dynamodb:us-east-1:111122223333:table/AtmosphereSampleTable",
             "Discovery": on("dynamodb")},
            {"Service": "firehose", "Access": "put",
             "DeliveryStreamArn": "arn:aws:firehose:us-east-1:111122223333:deliverystream/AtmosphereSampleStream",
             "Discovery": on("firehose")},
            {"Service": "lambda", "Access": "invoke",
             "FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:atmosphereSampleFunction"}
        ]
    })
}

fn spec(value: &Value) -> IntegrationSpec {
    IntegrationSpec::from_properties(value).expect("the spec parses")
}

fn error(value: &Value) -> (String, String, String) {
    let e = IntegrationSpec::from_properties(value).expect_err("the spec is refused");
    (e.code().to_owned(), e.field().to_owned(), e.to_string())
}

fn statements(doc: &PolicyDocument) -> Vec<Value> {
    doc.to_value()["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn discovery_is_read_per_grant_as_a_boolean_cloudformation_may_send_as_a_string() {
    let s = spec(&atmosphere(&["s3", "dynamodb", "firehose"]));
    assert_eq!(
        s.discovery.iter().copied().collect::<Vec<_>>(),
        ["dynamodb", "firehose", "s3"]
    );
    assert!(spec(&atmosphere(&[])).discovery.is_empty());

    let mut v = atmosphere(&[]);
    v["Grants"][1]["Discovery"] = json!("true");
    v["Grants"][2]["Discovery"] = json!("False");
    assert_eq!(
        spec(&v).discovery.iter().copied().collect::<Vec<_>>(),
        ["dynamodb"]
    );
}

#[test]
fn discovery_on_a_service_without_reviewed_listing_actions_is_refused_naming_the_property() {
    let mut v = atmosphere(&[]);
    v["Grants"][3]["Discovery"] = json!(true);
    let (code, field, message) = error(&v);
    assert_eq!(code, "DISCOVERY_NOT_OFFERED");
    assert_eq!(field, "Grants[3].Discovery");
    assert!(message.starts_with("Grants[3].Discovery: "), "{message}");
    assert!(message.contains("lambda"), "{message}");
    assert!(
        message.contains("s3, dynamodb, firehose, kinesis, sqs, sns"),
        "{message}"
    );

    // `false` asks for nothing, so it is accepted on any service.
    v["Grants"][3]["Discovery"] = json!(false);
    assert!(spec(&v).discovery.is_empty());

    let glue = json!({
        "RoleNamePrefix": "AWSGlueServiceRole-onemata",
        "Trust": {"Service": "glue"},
        "Grants": [{"Service": "glue", "Access": "read", "Database": "onemata", "Discovery": "true"}]
    });
    let (code, field, _) = error(&glue);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("DISCOVERY_NOT_OFFERED", "Grants[0].Discovery")
    );
}

#[test]
fn discovery_of_the_wrong_type_is_refused_naming_the_property() {
    let mut v = atmosphere(&[]);
    v["Grants"][0]["Discovery"] = json!("yes");
    let (code, field, _) = error(&v);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("WRONG_TYPE", "Grants[0].Discovery")
    );
}

#[test]
fn the_builder_puts_the_listing_actions_in_one_statement_on_star_under_the_guardrails() {
    let role = build(&spec(&atmosphere(&["s3", "dynamodb", "firehose"])), &ctx()).expect("build");
    let doc = role
        .inline_policies
        .get("rolegate-discovery")
        .expect("the discovery policy");
    let found = statements(doc);
    assert_eq!(found.len(), 1, "{found:#?}");
    let s = &found[0];
    assert_eq!(s["Sid"], "Discovery");
    assert_eq!(s["Effect"], "Allow");
    assert_eq!(
        s["Action"],
        json!([
            "dynamodb:ListTables",
            "firehose:ListDeliveryStreams",
            "s3:ListAllMyBuckets"
        ])
    );
    assert_eq!(s["Resource"], json!("*"));
    let condition = &s["Condition"];
    assert_eq!(condition["Bool"]["aws:SecureTransport"], "true");
    assert_eq!(
        condition["StringEquals"]["aws:RequestedRegion"],
        "us-east-1"
    );
    assert_eq!(
        condition["DateLessThan"]["aws:CurrentTime"],
        "2027-12-31T00:00:00Z"
    );

    // No grant's own policy names a listing action, and no other policy is on "*".
    for (name, doc) in &role.inline_policies {
        if name == "rolegate-discovery" {
            continue;
        }
        let text = doc.to_json();
        assert!(
            !text.contains("ListTables") && !text.contains("ListAllMyBuckets"),
            "{name}"
        );
        assert!(!text.contains("\"*\""), "{name}: {text}");
    }

    let without = build(&spec(&atmosphere(&[])), &ctx()).expect("build");
    assert!(!without.inline_policies.contains_key("rolegate-discovery"));
    assert_eq!(without.inline_policies.len(), 4);
}

#[test]
fn the_proof_holds_with_the_opt_in_for_every_service_that_offers_it() {
    let with = atmosphere(&["s3", "dynamodb", "firehose"]);
    let s = spec(&with);
    let proof = prove_desired(&s, &ctx(), &build(&s, &ctx()).expect("build"));
    assert!(proof.holds(), "{:#?}", proof.findings);

    for (service, grant) in [
        (
            "kinesis",
            json!({"Service": "kinesis", "Access": "read",
            "StreamArn": "arn:aws:kinesis:us-east-1:111122223333:stream/clicks"}),
        ),
        (
            "sqs",
            json!({"Service": "sqs", "Access": "send",
            "QueueArn": "arn:aws:sqs:us-east-1:111122223333:jobs"}),
        ),
        (
            "sns",
            json!({"Service": "sns", "Access": "publish",
            "TopicArn": "arn:aws:sns:us-east-1:111122223333:alerts"}),
        ),
    ] {
        let mut grant = grant;
        grant["Discovery"] = json!(true);
        let s = spec(&json!({
            "RoleName": "vendor",
            "Trust": {"Principals": ["966208727603"]},
            "ExternalId": "vendor-ext-id-0123456789",
            "Grants": [grant]
        }));
        assert_eq!(s.discovery.iter().copied().collect::<Vec<_>>(), [service]);
        let proof = prove_desired(&s, &ctx(), &build(&s, &ctx()).expect("build"));
        assert!(proof.holds(), "{service}: {:#?}", proof.findings);
    }
}

#[test]
fn the_proof_fails_on_a_listing_statement_the_spec_does_not_opt_into() {
    let opted = spec(&atmosphere(&["s3", "dynamodb", "firehose"]));
    let role = build(&opted, &ctx()).expect("build");
    // The same role judged against the spec without the opt-in: the
    // listing statement is access the spec does not grant.
    let plain = spec(&atmosphere(&[]));
    let permissions: Vec<&PolicyDocument> = role.inline_policies.values().collect();
    let proof = prove(
        &plain,
        &ctx(),
        &RolePolicies {
            role_name: "atmosphere",
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &permissions,
        },
    );
    assert!(proof.widens_access(), "{:#?}", proof.findings);
    let codes: Vec<&str> = proof.findings.iter().map(|f| f.code()).collect();
    assert!(codes.contains(&"PROOF_EXCESS"), "{codes:?}");
    assert!(codes.contains(&"PROOF_EXCEEDS_INTENT"), "{codes:?}");
    let text: Vec<String> = proof.findings.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.contains("dynamodb:ListTables")),
        "{text:#?}"
    );

    // One service opted in does not cover another's listing action.
    let only_s3 = spec(&atmosphere(&["s3"]));
    let proof = prove(
        &only_s3,
        &ctx(),
        &RolePolicies {
            role_name: "atmosphere",
            path: &role.path,
            trust: &role.trust_policy,
            permissions: &permissions,
        },
    );
    assert!(proof.widens_access(), "{:#?}", proof.findings);
    assert!(
        !proof
            .findings
            .iter()
            .any(|f| f.to_string().contains("s3:ListAllMyBuckets on")),
        "{:#?}",
        proof.findings
    );
}

#[test]
fn lint_reports_the_opt_in_as_a_suggestion_naming_what_star_discloses() {
    let role = build(&spec(&atmosphere(&["s3", "dynamodb", "firehose"])), &ctx()).expect("build");
    let findings = lint::lint_role(&role, &LintOptions::default());
    assert!(!lint::has_errors(&findings), "{findings:#?}");
    let found: Vec<_> = findings
        .iter()
        .filter(|f| f.code == "DISCOVERY_LISTING")
        .collect();
    assert_eq!(found.len(), 1, "{findings:#?}");
    let f = found[0];
    assert_eq!(f.severity, Severity::Suggestion);
    assert_eq!(f.path, "Policies.rolegate-discovery.Statement[0].Resource");
    for disclosed in [
        "every bucket in the account",
        "every table in the account",
        "every delivery stream in the account",
        "Discovery: true",
    ] {
        assert!(f.message.contains(disclosed), "{}", f.message);
    }
    // The generic note on "*" is not repeated for the same statement.
    assert!(
        !findings
            .iter()
            .any(|f| f.code == "WILDCARD_RESOURCE" && f.path.contains("rolegate-discovery")),
        "{findings:#?}"
    );

    let without = build(&spec(&atmosphere(&[])), &ctx()).expect("build");
    assert!(
        !lint::lint_role(&without, &LintOptions::default())
            .iter()
            .any(|f| f.code == "DISCOVERY_LISTING")
    );
}

#[test]
fn a_listing_statement_mixed_with_other_wildcard_actions_keeps_the_generic_suggestion() {
    let doc = PolicyDocument::parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:ListJobs"],"Resource":"*"}]}"#,
    )
    .expect("policy");
    let f = lint::lint_policy(&doc, lint::PolicyKind::Identity, &LintOptions::default());
    let codes: Vec<&str> = f.iter().map(|f| f.code).collect();
    assert!(codes.contains(&"WILDCARD_RESOURCE"), "{codes:?}");
    assert!(!codes.contains(&"DISCOVERY_LISTING"), "{codes:?}");
}

#[test]
fn a_refused_discovery_is_reported_with_the_specs_other_errors_in_one_read() {
    let mut v = atmosphere(&[]);
    v["Grants"][3]["Discovery"] = json!(true);
    v["MaxSessionDuration"] = json!(60);
    let errors = IntegrationSpec::from_properties_all(&v).expect_err("refused");
    let found: Vec<(&str, &str)> = errors.iter().map(|e| (e.code(), e.field())).collect();
    assert!(
        found.contains(&("DISCOVERY_NOT_OFFERED", "Grants[3].Discovery")),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(_, field)| *field == "MaxSessionDuration"),
        "{found:?}"
    );
}
