//! `Custom::IntegrationPolicy` without AWS: its spec (read by the
//! integration role's readers), the pipeline's sibling entry point
//! `spec_to_policy` (build, merge, proof), which roles may receive one,
//! the plans, and the sealed record the guard restores from.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use rolegate_policy::BuildContext;
use rolegate_policy::build::build;
use rolegate_policy::eval::{CompiledPolicy, ContextValue, Decision, PolicySet, Request, evaluate};
use rolegate_policy::reconcile::{
    IntegrationPolicyError, LivePolicy, Operation, PolicyRecord, SealedRecord, StoredValue,
    Untrusted, check_existing_role, check_target, mac_message, parse_policy_physical_id,
    policy_delete_plan, policy_mac_message, policy_physical_id, policy_plan,
    policy_record_parameter_name, record_parameter_name, spec_to_policy, trust_policy_record,
};
use rolegate_policy::spec::IntegrationPolicySpec;
use rolegate_policy::{IntegrationSpec, PolicyDocument};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";
const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/aspera/1";
const NODE_ROLE: &str = "arn:aws:iam::123456789012:role/atc-node";

fn ctx() -> BuildContext {
    BuildContext::new(ACCOUNT, "us-east-1")
}

fn properties() -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:rolegate-provisioner",
        "RoleArn": NODE_ROLE,
        "Grants": [
            {"Service": "s3", "Access": "read-write", "Bucket": "aspera-transfers"},
            {"Service": "s3", "Access": "read", "Bucket": "aspera-archive"},
        ],
        "OutboundAssumeRoleArns": ["arn:aws:iam::999999999999:role/aspera-control"],
        "Conditions": {"RequireSecureTransport": "true"},
    })
}

fn spec() -> IntegrationPolicySpec {
    IntegrationPolicySpec::from_properties(&properties()).expect("a valid spec")
}

fn refusal(props: Value) -> (String, String, String) {
    let e = IntegrationPolicySpec::from_properties(&props).expect_err("refused");
    (e.code().to_owned(), e.field().to_owned(), e.to_string())
}

#[test]
fn a_policy_spec_reads_the_role_its_access_and_a_derived_name() {
    let spec = spec();
    assert_eq!(spec.role_arn.as_str(), NODE_ROLE);
    assert_eq!(spec.role_name(), "atc-node");
    assert_eq!(spec.policy_name("AtcNodePolicy"), "rolegate-AtcNodePolicy");
    assert_eq!(spec.access.grants.len(), 2);
    assert_eq!(spec.access.outbound_assume_role_arns.len(), 1);
    assert!(spec.access.guardrails.require_secure_transport);
    let mut named = properties();
    named["PolicyName"] = json!("rolegate-aspera-node");
    let spec = IntegrationPolicySpec::from_properties(&named).expect("valid");
    assert_eq!(spec.policy_name("AtcNodePolicy"), "rolegate-aspera-node");
}

#[test]
fn a_derived_name_is_cut_to_iams_128_characters() {
    let spec = spec();
    assert_eq!(spec.policy_name(&"L".repeat(300)).len(), 128);
}

#[test]
fn a_grant_is_refused_with_the_same_code_and_path_as_in_an_integration_role() {
    let bad_grant = json!([{"Service": "s3", "Access": "read", "Bucket": "Not_A_Bucket"}]);
    let mut policy = properties();
    policy["Grants"] = bad_grant.clone();
    let role = json!({
        "RoleName": "x",
        "Trust": {"Principals": ["966208727603"]},
        "Grants": bad_grant,
    });
    let from_role = IntegrationSpec::from_properties(&role).expect_err("refused");
    let (code, field, _) = refusal(policy);
    assert_eq!(code, from_role.code());
    assert_eq!(field, from_role.field());
    assert_eq!(field, "Grants[0].Bucket");
}

#[test]
fn bad_policy_properties_are_refused_naming_the_property() {
    let mut no_role = properties();
    no_role.as_object_mut().map(|o| o.remove("RoleArn"));
    assert_eq!(refusal(no_role).0, "MISSING_PROPERTY");

    let mut not_a_role = properties();
    not_a_role["RoleArn"] = json!("arn:aws:iam::123456789012:user/alice");
    let (code, field, _) = refusal(not_a_role);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("WRONG_ARN_KIND", "RoleArn")
    );

    let mut unprefixed = properties();
    unprefixed["PolicyName"] = json!("node-access");
    let (code, field, message) = refusal(unprefixed);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("INVALID_PATTERN", "PolicyName")
    );
    assert!(message.contains("rolegate-"), "{message}");

    let mut bad_chars = properties();
    bad_chars["PolicyName"] = json!("rolegate-node access");
    assert_eq!(refusal(bad_chars).1, "PolicyName");

    let mut too_long = properties();
    too_long["PolicyName"] = json!(format!("rolegate-{}", "x".repeat(120)));
    assert_eq!(refusal(too_long).1, "PolicyName");

    // The role's trust is the customer's: an integration role's Trust is
    // not a property of an integration policy.
    let mut trust = properties();
    trust["Trust"] = json!({"Principals": ["966208727603"]});
    let (code, field, _) = refusal(trust);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("UNKNOWN_PROPERTY", "Trust")
    );

    let mut quarantine = properties();
    quarantine["RemediationMode"] = json!("quarantine");
    let (code, field, _) = refusal(quarantine);
    assert_eq!(
        (code.as_str(), field.as_str()),
        ("UNKNOWN_VALUE", "RemediationMode")
    );

    let mut nothing = properties();
    if let Some(o) = nothing.as_object_mut() {
        o.remove("Grants");
        o.remove("OutboundAssumeRoleArns");
    }
    assert_eq!(refusal(nothing).1, "Grants");
}

#[test]
fn the_policy_is_every_statement_the_role_builder_makes_in_one_document_with_unique_sids() {
    let spec = spec();
    let desired = spec_to_policy(&spec, &ctx(), "AtcNodePolicy").expect("builds and proves");
    assert_eq!(desired.policy_name, "rolegate-AtcNodePolicy");
    assert_eq!(desired.role_name, "atc-node");
    assert_eq!(desired.role_arn, NODE_ROLE);
    let role = build(&spec.access, &ctx()).expect("the carrier builds");
    let built: usize = role
        .inline_policies
        .values()
        .map(|d| d.statements().len())
        .sum();
    assert_eq!(desired.document.statements().len(), built);
    let sids: Vec<_> = desired
        .document
        .statements()
        .iter()
        .filter_map(|s| s.sid.clone())
        .collect();
    let unique: std::collections::BTreeSet<_> = sids.iter().collect();
    assert_eq!(sids.len(), unique.len(), "{sids:?}");
    assert_eq!(
        spec_to_policy(&spec, &ctx(), "AtcNodePolicy").map(|d| d.digest),
        Ok(desired.digest.clone()),
        "the digest is stable"
    );
}

#[test]
fn the_policy_allows_the_grants_and_nothing_outside_them() {
    let desired = spec_to_policy(&spec(), &ctx(), "AtcNodePolicy").expect("builds");
    let set = PolicySet {
        identity: vec![CompiledPolicy::compile(
            &desired.document,
            "integration-policy",
        )],
        ..PolicySet::default()
    };
    let request = |action: &str, resource: &str| {
        Request::new(NODE_ROLE, action, resource)
            .with_context("aws:SecureTransport", ContextValue::Single("true".into()))
    };
    let allowed = |action: &str, resource: &str| {
        evaluate(&set, &request(action, resource)).decision == Decision::Allowed
    };
    assert!(allowed("s3:GetObject", "arn:aws:s3:::aspera-transfers/a"));
    assert!(allowed("s3:PutObject", "arn:aws:s3:::aspera-transfers/a"));
    assert!(allowed("s3:GetObject", "arn:aws:s3:::aspera-archive/a"));
    assert!(!allowed("s3:PutObject", "arn:aws:s3:::aspera-archive/a"));
    assert!(!allowed("s3:GetObject", "arn:aws:s3:::other-bucket/a"));
    assert!(allowed(
        "sts:AssumeRole",
        "arn:aws:iam::999999999999:role/aspera-control"
    ));
    assert!(!allowed("iam:PutRolePolicy", NODE_ROLE));
}

#[test]
fn only_a_listed_role_in_the_stacks_account_may_receive_a_policy() {
    let spec = spec();
    let listed = vec![NODE_ROLE.to_owned()];
    assert_eq!(check_target(&spec, &ctx(), &listed), Ok(()));
    let e = check_target(&spec, &ctx(), &[]).expect_err("empty list");
    assert_eq!(e.code(), "ROLE_NOT_ALLOWED");
    assert!(e.to_string().starts_with("RoleArn: "), "{e}");
    let other = vec!["arn:aws:iam::123456789012:role/other".to_owned()];
    assert_eq!(
        check_target(&spec, &ctx(), &other).map_err(|e| e.code()),
        Err("ROLE_NOT_ALLOWED")
    );
    let elsewhere = BuildContext::new("210987654321", "us-east-1");
    assert_eq!(
        check_target(&spec, &elsewhere, &listed).map_err(|e| e.code()),
        Err("ROLE_IN_OTHER_ACCOUNT")
    );
}

#[test]
fn a_missing_role_or_a_rolegate_role_is_refused_naming_role_arn() {
    let spec = spec();
    let none = BTreeMap::new();
    let customer = BTreeMap::from([("team".to_owned(), "atc".to_owned())]);
    assert_eq!(
        check_existing_role(&spec, Some((NODE_ROLE, &customer)), false),
        Ok(())
    );
    type Live<'a> = Option<(&'a str, &'a BTreeMap<String, String>)>;
    let cases: [(Live, bool, &str); 4] = [
        (None, false, "ROLE_NOT_FOUND"),
        (
            Some(("arn:aws:iam::123456789012:role/x/atc-node", &none)),
            false,
            "ROLE_ARN_MISMATCH",
        ),
        (Some((NODE_ROLE, &none)), true, "ROLE_MANAGED_BY_ROLEGATE"),
        (
            Some((
                NODE_ROLE,
                &BTreeMap::from([("rolegate:managed".to_owned(), "true".to_owned())]),
            )),
            false,
            "ROLE_MANAGED_BY_ROLEGATE",
        ),
    ];
    for (live, record, code) in cases {
        let e = check_existing_role(&spec, live, record).expect_err(code);
        assert_eq!(e.code(), code);
        assert!(e.to_string().starts_with("RoleArn: "), "{e}");
    }
}

#[test]
fn the_plan_puts_only_that_policy_and_nothing_when_iam_holds_it() {
    let desired = spec_to_policy(&spec(), &ctx(), "AtcNodePolicy").expect("builds");
    let put = policy_plan(&desired, &LivePolicy::Absent);
    assert_eq!(put.role_name, "atc-node");
    assert_eq!(
        put.operations().collect::<Vec<_>>(),
        vec![&Operation::PutRolePolicy {
            name: "rolegate-AtcNodePolicy".into(),
            document: desired.document.clone(),
        }]
    );
    let mut reordered = desired.document.statements().to_vec();
    reordered.reverse();
    let same = LivePolicy::Document(Box::new(PolicyDocument::new(reordered)));
    assert!(policy_plan(&desired, &same).is_empty());
    let edited = LivePolicy::Document(Box::new(PolicyDocument::new(
        desired.document.statements()[1..].to_vec(),
    )));
    assert_eq!(policy_plan(&desired, &edited).write_calls(), 1);
    assert_eq!(
        policy_plan(&desired, &LivePolicy::Unreadable).write_calls(),
        1
    );
    let delete = policy_delete_plan("atc-node", "rolegate-AtcNodePolicy");
    assert_eq!(
        delete.operations().collect::<Vec<_>>(),
        vec![&Operation::DeleteRolePolicy {
            name: "rolegate-AtcNodePolicy".into()
        }]
    );
}

#[test]
fn a_physical_id_names_the_role_and_the_policy() {
    let id = policy_physical_id(NODE_ROLE, "rolegate-AtcNodePolicy");
    assert_eq!(
        parse_policy_physical_id(&id),
        Some((NODE_ROLE.to_owned(), "rolegate-AtcNodePolicy".to_owned()))
    );
    assert_eq!(parse_policy_physical_id(NODE_ROLE), None);
    assert_eq!(
        parse_policy_physical_id(&format!("{NODE_ROLE}#someone-elses")),
        None
    );
}

fn record() -> PolicyRecord {
    let desired = spec_to_policy(&spec(), &ctx(), "AtcNodePolicy").expect("builds");
    PolicyRecord {
        stack_id: STACK.into(),
        logical_resource_id: "AtcNodePolicy".into(),
        role_arn: NODE_ROLE.into(),
        role_name: "atc-node".into(),
        policy_name: desired.policy_name,
        policy_digest: desired.digest,
        properties: properties(),
    }
}

fn sealed(record: &PolicyRecord) -> StoredValue {
    StoredValue::Sealed(SealedRecord {
        body: record.body().expect("serializes"),
        key_id: "key".into(),
        mac: "00".into(),
    })
}

#[test]
fn the_guard_rebuilds_from_a_record_exactly_the_policy_the_provisioner_wrote() {
    let record = record();
    let desired = spec_to_policy(&spec(), &ctx(), "AtcNodePolicy").expect("builds");
    assert_eq!(record.desired_policy(), Ok(desired));
}

#[test]
fn a_policy_record_is_believed_only_sealed_verified_and_for_that_role_and_policy() {
    let record = record();
    let stored = sealed(&record);
    assert_eq!(
        trust_policy_record(&stored, true, NODE_ROLE, "rolegate-AtcNodePolicy"),
        Ok(record.clone())
    );
    assert_eq!(
        trust_policy_record(&stored, false, NODE_ROLE, "rolegate-AtcNodePolicy"),
        Err(Untrusted::BadSeal)
    );
    let wrong =
        |arn: &str, name: &str| trust_policy_record(&stored, true, arn, name).map_err(|e| e.code());
    assert_eq!(wrong(NODE_ROLE, "rolegate-Other"), Err("RECORD_WRONG_ROLE"));
    assert_eq!(
        wrong(
            "arn:aws:iam::123456789012:role/other",
            "rolegate-AtcNodePolicy"
        ),
        Err("RECORD_WRONG_ROLE")
    );
    let unreadable = StoredValue::parse("{}");
    assert!(trust_policy_record(&unreadable, true, NODE_ROLE, "rolegate-AtcNodePolicy").is_err());
}

#[test]
fn a_policy_records_seal_and_parameter_never_meet_a_role_records() {
    let body = record().body().expect("serializes");
    assert_ne!(
        policy_mac_message(NODE_ROLE, "rolegate-AtcNodePolicy", &body),
        mac_message(NODE_ROLE, &body)
    );
    assert_ne!(
        policy_mac_message(NODE_ROLE, "rolegate-a", &body),
        policy_mac_message(NODE_ROLE, "rolegate-b", &body)
    );
    let parameter = policy_record_parameter_name("atc-node", "rolegate-AtcNodePolicy");
    assert_eq!(
        parameter,
        "/rolegate/policies/atc-node_2Frolegate-AtcNodePolicy"
    );
    assert!(!parameter.starts_with(&record_parameter_name("")));
}

#[test]
fn a_policy_too_large_for_iam_is_refused_naming_grants() {
    let grants: Vec<Value> = (0..80)
        .map(|i| json!({"Service": "s3", "Access": "read-write", "Bucket": format!("bucket-{i:03}-with-a-rather-long-name")}))
        .collect();
    let mut props = properties();
    props["Grants"] = json!(grants);
    let spec = IntegrationPolicySpec::from_properties(&props).expect("valid");
    let e = spec_to_policy(&spec, &ctx(), "Big").expect_err("too large");
    assert!(e.to_string().starts_with("Grants: "), "{e}");
    assert!(matches!(e, IntegrationPolicyError::TooLarge { .. }), "{e}");
    assert_eq!(e.code(), "POLICY_TOO_LARGE");
}

#[test]
fn the_guard_names_how_the_policy_departs_and_restores_unless_told_to_report() {
    use rolegate_policy::reconcile::{PolicyDrift, policy_remediation};
    use rolegate_policy::spec::RemediationMode;
    let desired = spec_to_policy(&spec(), &ctx(), "AtcNodePolicy").expect("builds");
    let mut reordered = desired.document.statements().to_vec();
    reordered.reverse();
    let cases = [
        (LivePolicy::Absent, Some("POLICY_MISSING")),
        (LivePolicy::Unreadable, Some("POLICY_UNREADABLE")),
        (
            LivePolicy::Document(Box::new(PolicyDocument::new(Vec::new()))),
            Some("POLICY_CHANGED"),
        ),
        (
            LivePolicy::Document(Box::new(PolicyDocument::new(reordered))),
            None,
        ),
    ];
    for (live, code) in cases {
        let drift = PolicyDrift::of(&desired, &live);
        assert_eq!(drift.map(PolicyDrift::code), code, "{live:?}");
        if let Some(d) = drift {
            assert!(d.message(&desired).contains("rolegate-AtcNodePolicy"));
        }
    }
    use RemediationMode::{Quarantine, Report, Restore};
    assert_eq!(policy_remediation(None, Restore), Restore);
    assert_eq!(
        policy_remediation(None, Quarantine),
        Restore,
        "never a quarantine"
    );
    assert_eq!(policy_remediation(None, Report), Report);
    assert_eq!(policy_remediation(Some(Report), Restore), Report);
    assert_eq!(policy_remediation(Some(Restore), Report), Restore);
}

#[test]
fn the_policy_drift_report_is_pinned_to_its_wire_format() {
    use rolegate_policy::events::policy::{
        GUARD_SOURCE, POLICY_DRIFT_DETECTED_DETAIL_TYPE, PolicyDriftDetected,
    };
    assert_eq!(GUARD_SOURCE, "rolegate.guard");
    assert_eq!(
        POLICY_DRIFT_DETECTED_DETAIL_TYPE,
        "Integration Policy Drift Detected"
    );
    let report = PolicyDriftDetected {
        role_arn: NODE_ROLE.into(),
        policy_name: "rolegate-AtcNodePolicy".into(),
        stack_id: STACK.into(),
        logical_resource_id: "AtcNodePolicy".into(),
        trigger: "CloudTrail DeleteRolePolicy".into(),
        remediation: "restore".into(),
        action: "restored".into(),
        code: "POLICY_MISSING".into(),
        message: "integration policy rolegate-AtcNodePolicy was deleted from role atc-node".into(),
        write_calls: 1,
    };
    let golden = json!({
        "RoleArn": NODE_ROLE,
        "PolicyName": "rolegate-AtcNodePolicy",
        "StackId": STACK,
        "LogicalResourceId": "AtcNodePolicy",
        "Trigger": "CloudTrail DeleteRolePolicy",
        "Remediation": "restore",
        "Action": "restored",
        "Code": "POLICY_MISSING",
        "Message": "integration policy rolegate-AtcNodePolicy was deleted from role atc-node",
        "WriteCalls": 1,
    });
    assert_eq!(serde_json::to_value(&report).ok(), Some(golden.clone()));
    assert_eq!(
        serde_json::from_value::<PolicyDriftDetected>(golden).ok(),
        Some(report)
    );
}
