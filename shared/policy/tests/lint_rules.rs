//! Lint rules, one behaviour per test, plus the builders' promise: nothing
//! they emit for the seed scenarios fails lint at error level.

#![allow(clippy::expect_used)]

use rolegate_policy::lint::{self, Finding, LintOptions, PolicyKind, Severity};
use rolegate_policy::{BuildContext, IntegrationSpec, PolicyDocument, build};

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("test policy parses")
}

fn findings(json: &str, kind: PolicyKind) -> Vec<Finding> {
    lint::lint_policy(&doc(json), kind, &LintOptions::default())
}

fn has(findings: &[Finding], code: &str, severity: Severity, path: &str) -> bool {
    findings
        .iter()
        .any(|f| f.code == code && f.severity == severity && f.path == path)
}

fn identity(statement: &str) -> Vec<Finding> {
    findings(
        &format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#),
        PolicyKind::Identity,
    )
}

#[test]
fn builders_emit_no_error_findings_for_any_seed_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let ctx = BuildContext::new("111122223333", "us-east-1");
    let opts = LintOptions {
        own_account: Some("111122223333".into()),
        ..LintOptions::default()
    };
    let mut checked = 0;
    for entry in std::fs::read_dir(root).expect("fixtures exist") {
        let spec_path = entry.expect("dir entry").path().join("spec.json");
        if !spec_path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&spec_path).expect("spec readable");
        let spec = IntegrationSpec::from_json(&text).expect("fixture spec valid");
        let role = build(&spec, &ctx).expect("fixture builds");
        let found = lint::lint_role(&role, &opts);
        let errors: Vec<String> = found
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", spec_path.display());
        let warnings: Vec<String> = found
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(ToString::to_string)
            .collect();
        assert!(
            warnings.is_empty(),
            "{}: {warnings:#?}",
            spec_path.display()
        );
        checked += 1;
    }
    assert!(checked >= 11);
}

#[test]
fn foreign_account_without_external_id_is_an_error() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::966208727603:root"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    assert!(
        has(
            &f,
            "TRUST_MISSING_EXTERNAL_ID",
            Severity::Error,
            "Statement[0].Principal.AWS"
        ),
        "{f:#?}"
    );
    assert!(lint::has_errors(&f));
}

#[test]
fn external_id_condition_satisfies_the_trust_rule() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"966208727603"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc123"}}}]}"#,
        PolicyKind::Trust,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn own_account_principal_needs_no_external_id() {
    let json = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/ops"},"Action":"sts:AssumeRole"}}"#;
    let opts = LintOptions {
        own_account: Some("111122223333".into()),
        ..LintOptions::default()
    };
    assert!(lint::lint_policy(&doc(json), PolicyKind::Trust, &opts).is_empty());
    // Without knowing the owner, every AWS principal is treated as a third party.
    assert!(has(
        &findings(json, PolicyKind::Trust),
        "TRUST_MISSING_EXTERNAL_ID",
        Severity::Error,
        "Statement.Principal.AWS"
    ));
}

#[test]
fn star_principal_and_not_principal_are_errors() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}},{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    assert!(has(
        &f,
        "TRUST_ANY_PRINCIPAL",
        Severity::Error,
        "Statement[0].Principal"
    ));
    assert!(has(
        &f,
        "TRUST_NOT_PRINCIPAL",
        Severity::Error,
        "Statement[1].NotPrincipal"
    ));
}

#[test]
fn unpinned_service_principal_gets_a_suggestion() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"states.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        PolicyKind::Trust,
    );
    assert!(has(
        &f,
        "TRUST_SERVICE_UNPINNED",
        Severity::Suggestion,
        "Statement[0].Principal.Service"
    ));
}

#[test]
fn a_glue_or_redshift_trust_without_source_keys_is_not_called_unpinned() {
    // Neither documents sending aws:SourceAccount or aws:SourceArn
    // (TrustedService::documented_source_keys): there is nothing to pin.
    for service in [
        "glue.amazonaws.com",
        "redshift.amazonaws.com",
        "ec2.amazonaws.com",
    ] {
        let f = findings(
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}"#
            ),
            PolicyKind::Trust,
        );
        assert!(
            f.iter().all(|x| x.code != "TRUST_SERVICE_UNPINNED"),
            "{service}: {f:#?}"
        );
    }
}

#[test]
fn a_trust_requiring_a_key_the_service_never_sends_is_an_error_naming_the_condition() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnLike":{"aws:SourceArn":"arn:aws:glue:us-east-1:111122223333:crawler/*"}}}]}"#,
        PolicyKind::Trust,
    );
    assert!(has(
        &f,
        "TRUST_SOURCE_KEY_NOT_SENT",
        Severity::Error,
        "Statement[0].Condition.StringEquals.aws:SourceAccount"
    ));
    assert!(has(
        &f,
        "TRUST_SOURCE_KEY_NOT_SENT",
        Severity::Error,
        "Statement[0].Condition.ArnLike.aws:SourceArn"
    ));
    let message = &f
        .iter()
        .find(|x| x.code == "TRUST_SOURCE_KEY_NOT_SENT")
        .expect("found")
        .message;
    assert!(
        message.contains("https://docs.aws.amazon.com/glue/latest/dg/create-an-iam-role.html"),
        "{message}"
    );
    // IfExists is met by an absent key: the role stays assumable.
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"redshift.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEqualsIfExists":{"aws:SourceAccount":"111122223333"}}}]}"#,
        PolicyKind::Trust,
    );
    assert!(
        f.iter().all(|x| x.code != "TRUST_SOURCE_KEY_NOT_SENT"),
        "{f:#?}"
    );
}

#[test]
fn invalid_external_id_in_a_trust_policy_is_reported() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"966208727603"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"has space"}}}]}"#,
        PolicyKind::Trust,
    );
    assert!(has(
        &f,
        "EXTERNAL_ID_CHARACTER",
        Severity::Error,
        "Statement[0].Condition.StringEquals.sts:ExternalId"
    ));
}

#[test]
fn administrator_access_fails_on_action_and_resource() {
    let f = identity(r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#);
    assert!(has(
        &f,
        "WILDCARD_ACTION",
        Severity::Error,
        "Statement[0].Action"
    ));
    assert!(has(
        &f,
        "WILDCARD_RESOURCE",
        Severity::Error,
        "Statement[0].Resource"
    ));
    assert!(has(
        &f,
        "PRIVILEGE_ESCALATION",
        Severity::Error,
        "Statement[0].Action"
    ));
}

#[test]
fn service_wildcard_is_an_error_and_a_pattern_is_a_warning() {
    let f = identity(
        r#"{"Effect":"Allow","Action":["s3:GetObject","s3:*","s3:Get*"],"Resource":"arn:aws:s3:::b/*"}"#,
    );
    assert!(has(
        &f,
        "WILDCARD_ACTION",
        Severity::Error,
        "Statement[0].Action[1]"
    ));
    assert!(has(
        &f,
        "ACTION_PATTERN",
        Severity::Warning,
        "Statement[0].Action[2]"
    ));
}

#[test]
fn deny_statements_may_use_wildcards() {
    let f = identity(
        r#"{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#,
    );
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn unknown_service_and_unknown_action_are_named() {
    let f = identity(
        r#"{"Effect":"Allow","Action":["s4:GetObject","s3:GetObjects","GetObject"],"Resource":"arn:aws:s3:::b/*"}"#,
    );
    assert!(has(
        &f,
        "UNKNOWN_SERVICE",
        Severity::Error,
        "Statement[0].Action[0]"
    ));
    assert!(has(
        &f,
        "UNKNOWN_ACTION",
        Severity::Error,
        "Statement[0].Action[1]"
    ));
    assert!(has(
        &f,
        "INVALID_ACTION",
        Severity::Error,
        "Statement[0].Action[2]"
    ));
}

#[test]
fn invalid_resource_arn_is_an_error() {
    let f = identity(
        r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3::s3_account_id/atc-s3-access-keys"]}"#,
    );
    assert!(has(
        &f,
        "INVALID_ARN",
        Severity::Error,
        "Statement[0].Resource[1]"
    ));
}

#[test]
fn object_action_on_a_bucket_arn_is_a_mismatch() {
    let f = identity(
        r#"{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::b"}"#,
    );
    let mismatches: Vec<&Finding> = f
        .iter()
        .filter(|f| f.code == "ACTION_RESOURCE_MISMATCH")
        .collect();
    assert_eq!(mismatches.len(), 1, "{f:#?}");
    assert!(mismatches[0].message.contains("s3:GetObject"));
}

#[test]
fn pass_role_on_any_role_and_policy_writes_are_escalation() {
    let f = identity(
        r#"{"Effect":"Allow","Action":["iam:PassRole","iam:PutRolePolicy"],"Resource":"*"}"#,
    );
    assert!(has(
        &f,
        "PASSROLE_WILDCARD",
        Severity::Error,
        "Statement[0].Resource"
    ));
    assert!(has(
        &f,
        "PRIVILEGE_ESCALATION",
        Severity::Error,
        "Statement[0].Action[1]"
    ));
    let f = identity(
        r#"{"Effect":"Allow","Action":"iam:Create*","Resource":"arn:aws:iam::111122223333:policy/x"}"#,
    );
    assert!(has(
        &f,
        "PRIVILEGE_ESCALATION",
        Severity::Error,
        "Statement[0].Action"
    ));
}

#[test]
fn assume_any_role_is_an_error() {
    let f = identity(r#"{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#);
    assert!(has(
        &f,
        "ASSUME_ANY_ROLE",
        Severity::Error,
        "Statement[0].Resource"
    ));
}

#[test]
fn actions_without_resource_types_may_use_star_with_a_suggestion() {
    // s3:ListAllMyBuckets alone is DISCOVERY_LISTING (tests/discovery.rs).
    let f = identity(r#"{"Effect":"Allow","Action":"s3:ListJobs","Resource":"*"}"#);
    assert!(has(
        &f,
        "WILDCARD_RESOURCE",
        Severity::Suggestion,
        "Statement[0].Resource"
    ));
    assert!(!lint::has_errors(&f));
}

#[test]
fn structural_problems_are_reported() {
    let f = findings(
        r#"{"Statement":[{"Sid":"A","Effect":"Allow","Principal":"*","Action":"s3:GetObject"},{"Sid":"A","Effect":"Allow","NotAction":"s3:GetObject","NotResource":"arn:aws:s3:::b/*","Condition":{"StringEqual":{"aws:SourceIp":"1.2.3.4"}}}]}"#,
        PolicyKind::Identity,
    );
    for (code, severity, path) in [
        ("MISSING_VERSION", Severity::Warning, "Version"),
        (
            "PRINCIPAL_IN_IDENTITY_POLICY",
            Severity::Error,
            "Statement[0].Principal",
        ),
        ("MISSING_RESOURCE", Severity::Error, "Statement[0]"),
        ("DUPLICATE_SID", Severity::Error, "Statement[1].Sid"),
        (
            "ALLOW_WITH_NOT_ACTION",
            Severity::Warning,
            "Statement[1].NotAction",
        ),
        (
            "ALLOW_WITH_NOT_RESOURCE",
            Severity::Warning,
            "Statement[1].NotResource",
        ),
        (
            "UNKNOWN_CONDITION_OPERATOR",
            Severity::Error,
            "Statement[1].Condition.StringEqual",
        ),
    ] {
        assert!(has(&f, code, severity, path), "{code} at {path}: {f:#?}");
    }
}

#[test]
fn findings_are_sorted_errors_first() {
    let f =
        identity(r#"{"Effect":"Allow","Action":["s3:Get*","s3:*"],"Resource":"arn:aws:s3:::b/*"}"#);
    let severities: Vec<Severity> = f.iter().map(|f| f.severity).collect();
    let mut sorted = severities.clone();
    sorted.sort();
    assert_eq!(severities, sorted);
}

#[test]
fn oversized_managed_policy_is_an_error() {
    let resources: Vec<String> = (0..300)
        .map(|i| format!("\"arn:aws:s3:::bucket-{i:04}/*\""))
        .collect();
    let f = findings(
        &format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":[{}]}}]}}"#,
            resources.join(",")
        ),
        PolicyKind::Managed,
    );
    assert!(has(&f, "MANAGED_POLICY_TOO_LARGE", Severity::Error, ""));
}

#[test]
fn kind_detection() {
    let trust = doc(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"sts:AssumeRoleWithSAML"}]}"#,
    );
    assert_eq!(PolicyKind::detect(&trust), PolicyKind::Trust);
    let bucket = doc(
        r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"1"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    assert_eq!(PolicyKind::detect(&bucket), PolicyKind::Resource);
    let identity = doc(
        r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    assert_eq!(PolicyKind::detect(&identity), PolicyKind::Identity);
}

fn example(path: &str) -> PolicyDocument {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path);
    doc(&std::fs::read_to_string(&full).expect("example readable"))
}

fn codes(f: &[Finding]) -> Vec<&'static str> {
    f.iter().map(|f| f.code).collect()
}

#[test]
fn not_action_excluding_iam_is_no_pass_role_finding() {
    // examples/simulate/boundary.json: NotAction excludes iam:*, so
    // iam:PassRole is exactly what it does not allow.
    let example = example("examples/simulate/boundary.json");
    for kind in [PolicyKind::Identity, PolicyKind::Managed] {
        let f = lint::lint_policy(&example, kind, &LintOptions::default());
        assert!(!codes(&f).contains(&"PASSROLE_WILDCARD"), "{f:#?}");
        assert!(!codes(&f).contains(&"PRIVILEGE_ESCALATION"), "{f:#?}");
    }
}

#[test]
fn allow_not_action_grants_every_action_it_does_not_exclude() {
    let f = identity(r#"{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}"#);
    for (code, path) in [
        ("PRIVILEGE_ESCALATION", "Statement[0].NotAction"),
        ("PASSROLE_WILDCARD", "Statement[0].Resource"),
        ("ASSUME_ANY_ROLE", "Statement[0].Resource"),
        ("WILDCARD_RESOURCE", "Statement[0].Resource"),
    ] {
        assert!(has(&f, code, Severity::Error, path), "{code}: {f:#?}");
    }
}

#[test]
fn not_action_of_wildcard_only_actions_is_still_a_wildcard_resource_error() {
    // Everything but s3:ListAllMyBuckets is not "only actions that need *".
    let f = identity(r#"{"Effect":"Allow","NotAction":"s3:ListAllMyBuckets","Resource":"*"}"#);
    assert!(
        has(
            &f,
            "WILDCARD_RESOURCE",
            Severity::Error,
            "Statement[0].Resource"
        ),
        "{f:#?}"
    );
}

#[test]
fn not_action_is_not_matched_against_the_resource_types_it_excludes() {
    let f =
        identity(r#"{"Effect":"Allow","NotAction":"s3:GetObject","Resource":"arn:aws:s3:::b"}"#);
    assert!(!codes(&f).contains(&"ACTION_RESOURCE_MISMATCH"), "{f:#?}");
}

#[test]
fn pass_role_on_not_resource_is_pass_role_on_almost_any_role() {
    let f = identity(
        r#"{"Effect":"Allow","Action":"iam:PassRole","NotResource":"arn:aws:iam::111122223333:role/admin"}"#,
    );
    assert!(
        has(
            &f,
            "PASSROLE_WILDCARD",
            Severity::Error,
            "Statement[0].NotResource"
        ),
        "{f:#?}"
    );
}

#[test]
fn trust_statement_whose_not_action_excludes_sts_trusts_no_one() {
    let f = findings(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"966208727603"},"NotAction":"sts:*"},{"Effect":"Allow","Principal":{"AWS":"966208727603"},"NotAction":"sts:*"}]}"#,
        PolicyKind::Trust,
    );
    assert!(!codes(&f).contains(&"TRUST_MISSING_EXTERNAL_ID"), "{f:#?}");
}

#[test]
fn unconditioned_deny_in_the_same_policy_takes_actions_out_of_the_grant() {
    let f = identity(
        r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":["iam:*","sts:*"],"Resource":"*"}"#,
    );
    let found = codes(&f);
    for code in [
        "PRIVILEGE_ESCALATION",
        "PASSROLE_WILDCARD",
        "ASSUME_ANY_ROLE",
    ] {
        assert!(!found.contains(&code), "{code}: {f:#?}");
    }
    // Still everything else, on everything: the grant rules stay.
    assert!(has(
        &f,
        "WILDCARD_ACTION",
        Severity::Error,
        "Statement[0].Action"
    ));
    assert!(has(
        &f,
        "WILDCARD_RESOURCE",
        Severity::Error,
        "Statement[0].Resource"
    ));
}

#[test]
fn conditioned_or_partial_deny_leaves_the_grant_in_place() {
    let f = identity(
        r#"{"Effect":"Allow","Action":["iam:PassRole","iam:PutRolePolicy"],"Resource":"*"},{"Effect":"Deny","Action":"iam:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}},{"Effect":"Deny","Action":"iam:*","Resource":"arn:aws:iam::111122223333:role/admin"}"#,
    );
    assert!(has(
        &f,
        "PASSROLE_WILDCARD",
        Severity::Error,
        "Statement[0].Resource"
    ));
    assert!(has(
        &f,
        "PRIVILEGE_ESCALATION",
        Severity::Error,
        "Statement[0].Action[1]"
    ));
}
