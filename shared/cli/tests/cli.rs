//! The `rolegate` binary as a reviewer runs it: exit codes and output.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rolegate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rolegate"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("rolegate runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn render_of_every_seed_fixture_succeeds_without_service_wildcards() {
    let mut rendered = 0;
    for entry in std::fs::read_dir(repo().join("tests/fixtures")).expect("fixtures") {
        let spec = entry.expect("entry").path().join("spec.json");
        if !spec.is_file() {
            continue;
        }
        let out = rolegate(&["render", "--json", spec.to_str().expect("utf-8 path")]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            spec.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let value: serde_json::Value =
            serde_json::from_str(&stdout(&out)).expect("render --json prints JSON");
        let policies = value["roles"][0]["role"]["Policies"]
            .as_array()
            .expect("Policies");
        for p in policies {
            let text = p["PolicyDocument"].to_string();
            for action in p["PolicyDocument"]["Statement"]
                .as_array()
                .expect("statements")
                .iter()
                .flat_map(|s| match &s["Action"] {
                    serde_json::Value::Array(a) => a.clone(),
                    other => vec![other.clone()],
                })
            {
                let action = action.as_str().expect("action string");
                assert!(
                    !action.contains('*'),
                    "{}: wildcard action {action} in {text}",
                    spec.display()
                );
            }
        }
        rendered += 1;
    }
    assert!(rendered >= 11);
}

#[test]
fn render_text_names_the_trust_policy_and_each_inline_policy() {
    let out = rolegate(&["render", "tests/fixtures/atmosphere-s3/spec.json"]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.contains("Role atmosphere-s3 at path /integrations/"),
        "{text}"
    );
    assert!(text.contains("Trust policy:"));
    assert!(text.contains("Inline policy rolegate-s3-"));
    assert!(text.contains("sts:ExternalId"));
}

#[test]
fn render_without_external_id_shows_the_placeholder_and_says_so() {
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let spec = dir.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"Type":"Custom::IntegrationRole","Properties":{"Trust":{"Principals":"966208727603"},"Grants":[{"Service":"sns","Access":"publish","TopicArn":"arn:aws:sns:us-east-1:111122223333:alerts"}]}}"#,
    )
    .expect("write spec");
    let out = rolegate(&["render", spec.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("GENERATED-AT-PROVISIONING"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("generates a random one"));
}

#[test]
fn render_of_an_invalid_spec_exits_2_naming_the_property() {
    let dir = std::env::temp_dir().join(format!("rolegate-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let spec = dir.join("spec.json");
    std::fs::write(
        &spec,
        r#"{"Trust":{"Principals":"966208727603"},"Grants":[],"MaxSessionDuration":"60"}"#,
    )
    .expect("write spec");
    let out = rolegate(&["render", spec.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("MaxSessionDuration") && err.contains("MAX_SESSION_DURATION_RANGE"),
        "{err}"
    );
}

#[test]
fn lint_flags_a_foreign_trust_without_external_id_and_exits_1() {
    let out = rolegate(&[
        "lint",
        "tests/fixtures/policies/trust-foreign-account-no-external-id.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("error TRUST_MISSING_EXTERNAL_ID at Statement[0].Principal.AWS"));
}

#[test]
fn lint_json_is_machine_readable() {
    let out = rolegate(&[
        "lint",
        "--json",
        "tests/fixtures/policies/administrator-access.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["kind"], "identity");
    let codes: Vec<&str> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"WILDCARD_ACTION") && codes.contains(&"WILDCARD_RESOURCE"),
        "{codes:?}"
    );
    assert!(v["summary"]["errors"].as_u64() >= Some(2));
}

#[test]
fn lint_of_a_policy_with_only_warnings_exits_0() {
    // Apperate's published policy: placeholders are valid ARNs; `s3:prefix` "*" is legal.
    let out = rolegate(&[
        "lint",
        "--kind",
        "identity",
        "tests/fixtures/policies/apperate-s3-read.json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn unreadable_or_malformed_input_exits_2() {
    assert_eq!(
        rolegate(&["lint", "no/such/file.json"]).status.code(),
        Some(2)
    );
    assert_eq!(rolegate(&["lint", "Cargo.toml"]).status.code(), Some(2));
    assert_eq!(rolegate(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        rolegate(&["lint", "--kind", "bogus", "x.json"])
            .status
            .code(),
        Some(2)
    );
}

const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/atmosphere-s3/studio";
const OBJECT: &str = "arn:aws:s3:::atmospheresamplebucket/runs/1.json";

fn simulate_put(secure: &str, extra: &[&str]) -> Output {
    let context = format!("aws:SecureTransport={secure}");
    let mut args = vec![
        "simulate",
        "--identity",
        "examples/simulate/atmosphere-s3-policy.json",
        "--boundary",
        "examples/simulate/boundary.json",
        "--principal",
        SESSION,
        "--action",
        "s3:PutObject",
        "--resource",
        OBJECT,
        "--context",
        &context,
    ];
    args.extend_from_slice(extra);
    rolegate(&args)
}

#[test]
fn simulate_explains_an_allow_by_naming_each_allowing_statement() {
    let out = simulate_put("true", &[]);
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(
        text.starts_with(&format!("Allowed: s3:PutObject on {OBJECT} by {SESSION}")),
        "{text}"
    );
    assert!(
        text.contains("allowed by Statement[3] (WriteObjects) of identity-based policies \"examples/simulate/atmosphere-s3-policy.json\""),
        "{text}"
    );
    assert!(
        text.contains("(EverythingButAdministration) of permissions boundary"),
        "{text}"
    );
}

#[test]
fn simulate_explains_a_deny_by_naming_the_failed_condition() {
    let out = simulate_put("false", &[]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.starts_with("ImplicitlyDenied: s3:PutObject"), "{text}");
    assert!(
        text.contains("no statement in the identity-based policies allows s3:PutObject"),
        "{text}"
    );
    assert!(
        text.contains("(WriteObjects) of identity-based policies \"examples/simulate/atmosphere-s3-policy.json\": condition Bool aws:SecureTransport failed: request value \"false\" does not satisfy [true]"),
        "{text}"
    );
}

#[test]
fn simulate_json_reports_decision_layer_and_matched_statements() {
    let out = simulate_put("true", &["--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("JSON");
    assert_eq!(v["decision"], "Allowed");
    assert_eq!(v["decidedBy"], "Identity");
    let sids: Vec<&str> = v["matched"]
        .as_array()
        .expect("matched")
        .iter()
        .filter_map(|m| m["sid"].as_str())
        .collect();
    assert_eq!(sids, ["WriteObjects", "EverythingButAdministration"]);
}

#[test]
fn simulate_runs_a_corpus_case_file() {
    let out = rolegate(&[
        "simulate",
        "shared/policy/tests/eval_cases/boundary-forbids-iam.json",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("permissions boundary"), "{text}");
}

#[test]
fn simulate_masks_the_external_id_and_explains_a_wrong_one() {
    let render = rolegate(&["render", "--json", "tests/fixtures/atmosphere-s3/spec.json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&render)).expect("JSON");
    let dir = std::env::temp_dir().join(format!("rolegate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let trust = dir.join("trust.json");
    std::fs::write(
        &trust,
        v["roles"][0]["role"]["AssumeRolePolicyDocument"].to_string(),
    )
    .expect("write");
    let out = rolegate(&[
        "simulate",
        "--resource-policy",
        trust.to_str().expect("utf-8"),
        "--principal",
        "arn:aws:iam::966208727603:role/atmosphere-studio",
        "--action",
        "sts:AssumeRole",
        "--resource",
        "arn:aws:iam::111122223333:role/integrations/atmosphere-s3",
        "--resource-account",
        "111122223333",
        "--identity",
        "examples/simulate/boundary.json",
        "--context",
        "sts:ExternalId=guessed-value",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("sts:ExternalId"), "{text}");
    assert!(
        !text.contains("atmosphere-7Qm2xV9pLk"),
        "the real external ID leaked: {text}"
    );
    assert!(
        !text.contains("guessed-value"),
        "the presented external ID leaked: {text}"
    );
}

#[test]
fn simulate_bad_input_exits_2_naming_the_problem() {
    let out = rolegate(&[
        "simulate",
        "--identity",
        "examples/simulate/boundary.json",
        "--principal",
        SESSION,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--action"));
    let out = rolegate(&[
        "simulate",
        "--context",
        "no-equals-sign",
        "--action",
        "s3:GetObject",
        "--resource",
        "*",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--context") && err.contains("takes KEY=VALUE"),
        "{err}"
    );
}

/// `rolegate integrations` against moto_server: records written by the
/// validator's writer (`rolegate_aws::registry::Registry::put`, on the
/// policy crate's transitions) are listed, most urgent first, filtered by
/// `--status`, as text and as camelCase JSON, and never with an ExternalId.
#[tokio::test(flavor = "multi_thread")]
async fn integrations_lists_the_registry_the_validator_wrote_by_status() {
    use rolegate_aws::registry::Registry;
    use rolegate_policy::events::validation::Check;
    use rolegate_policy::registry::{Outcome, Recorded, Registration, record_outcome, register};
    use rolegate_test_harness::Moto;

    let moto = Moto::start();
    moto.python(
        "ddb = boto3.client('dynamodb', **kw)\n\
         ddb.create_table(TableName='rolegate-registry', BillingMode='PAY_PER_REQUEST',\n    \
         KeySchema=[{'AttributeName': 'pk', 'KeyType': 'HASH'}, {'AttributeName': 'sk', 'KeyType': 'RANGE'}],\n    \
         AttributeDefinitions=[{'AttributeName': 'pk', 'AttributeType': 'S'}, {'AttributeName': 'sk', 'AttributeType': 'S'}])",
    );
    let registry = Registry::new(&moto.sdk_config().await, "rolegate-registry");
    let now = rolegate_aws::now();
    for (account, name, outcome) in [
        ("111111111111", "ok", Some(Outcome::Validated)),
        ("222222222222", "new", None),
        (
            "333333333333",
            "broken",
            Some(Outcome::Rejected {
                failed_check: Some(Check::DeniedWithWrongExternalId),
                reason: "accepted a wrong ExternalId".into(),
            }),
        ),
    ] {
        let registration = Registration {
            role_arn: format!("arn:aws:iam::{account}:role/integrations/{name}"),
            external_id: "the-real-external-id-1234".into(),
            sender_account: Some(account.into()),
            vendor_tenant_id: Some(format!("tenant-{name}")),
        };
        let write = register(None, registration, &now).expect("registers");
        assert!(registry.put(&write).await.expect("put"), "{name}");
        if let Some(outcome) = outcome {
            let Recorded::Write { write, .. } = record_outcome(&write.record, outcome, &now) else {
                panic!("{name}: superseded");
            };
            assert!(registry.put(&write).await.expect("put"), "{name}");
        }
    }

    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rolegate"))
            .args(args)
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "us-east-1")
            .env_remove("AWS_PROFILE")
            .env_remove("ROLEGATE_REGISTRY_TABLE")
            .output()
            .expect("rolegate runs")
    };
    let listed = run(&["integrations", "--table", "rolegate-registry"]);
    assert_eq!(
        listed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let text = stdout(&listed);
    let statuses: Vec<&str> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(statuses, ["failing", "never-validated", "ok"], "{text}");
    assert!(text.contains("DeniedWithWrongExternalId") && text.contains("tenant-broken"));
    assert!(!text.contains("the-real-external-id-1234"), "{text}");

    let failing = run(&[
        "integrations",
        "--table",
        "rolegate-registry",
        "--status",
        "failing",
        "--json",
    ]);
    assert_eq!(failing.status.code(), Some(0));
    let value: serde_json::Value = serde_json::from_slice(&failing.stdout).expect("JSON");
    let rows = value["integrations"].as_array().expect("a list");
    assert_eq!(rows.len(), 1, "{value}");
    assert_eq!(
        rows[0]["roleArn"],
        "arn:aws:iam::333333333333:role/integrations/broken"
    );
    assert_eq!(rows[0]["status"], "failing");
    assert_eq!(rows[0]["failedCheck"], "DeniedWithWrongExternalId");
    assert_eq!(rows[0]["consecutiveFailures"], 1);
    assert_eq!(rows[0]["failingSince"], now.to_string());

    // A table that does not exist is bad input, named.
    let missing = run(&["integrations", "--table", "no-such-table"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-table"));
}
