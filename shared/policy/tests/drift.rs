//! Drift assessment and the guard's choice of remedy, offline.

#![allow(clippy::expect_used)]

use rolegate_policy::drift::{
    DriftFinding, Inspection, Remedy, RoleSummary, assess, decide, explain, remedy,
};
use rolegate_policy::reconcile::{
    DesiredState, LiveRole, Operation, Quarantine, RoleRecord, quarantine,
};
use rolegate_policy::spec::RemediationMode;
use rolegate_policy::{PolicyDocument, Timestamp};
use serde_json::json;

const ARN: &str = "arn:aws:iam::111122223333:role/integrations/atmosphere";
const EXTERNAL_ID: &str = "atmosphere-7Qm2xV9pLk3Rt8Wz";

fn record(extra: serde_json::Value) -> RoleRecord {
    let mut properties = json!({
        "RoleName": "atmosphere",
        "Trust": { "Principals": ["966208727603"] },
        "ExternalId": EXTERNAL_ID,
        "Grants": [ { "Service": "s3", "Access": "read", "Bucket": "exports" } ]
    });
    if let (Some(p), Some(e)) = (properties.as_object_mut(), extra.as_object()) {
        p.extend(e.clone());
    }
    RoleRecord {
        stack_id: "arn:aws:cloudformation:us-east-1:111122223333:stack/s/1".into(),
        logical_resource_id: "VendorRole".into(),
        role_arn: ARN.into(),
        role_name: "atmosphere".into(),
        policy_digest: String::new(),
        properties,
        quarantine: None,
    }
}

fn state(extra: serde_json::Value) -> DesiredState {
    record(extra).desired_state().expect("a valid record")
}

fn now() -> Timestamp {
    Timestamp::parse("2026-11-23T10:00:00Z").expect("a timestamp")
}

fn inspect<'a>(
    live: &'a LiveRole,
    desired: &'a DesiredState,
    now: &'a Timestamp,
) -> Inspection<'a> {
    Inspection {
        live,
        managed_policies: &[],
        desired: Ok(desired),
        untrusted: None,
        quarantine: None,
        now,
        unused_after_days: None,
    }
}

fn codes(findings: &[DriftFinding]) -> Vec<&'static str> {
    findings.iter().map(DriftFinding::code).collect()
}

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::parse(json).expect("a policy")
}

#[test]
fn a_role_as_created_has_no_findings_even_with_policies_reordered() {
    let desired = state(json!({
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "exports" },
            { "Service": "sqs", "Access": "send", "QueueArn": "arn:aws:sqs:us-east-1:111122223333:jobs" }
        ]
    }));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    for policy in live.inline_policies.values_mut().flatten() {
        let mut statements = policy.statements().to_vec();
        statements.reverse();
        *policy = PolicyDocument::new(statements);
    }
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert_eq!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Nothing
    );
}

#[test]
fn a_wildcard_statement_is_a_diff_and_a_proof_finding() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.inline_policies.insert(
        "backdoor".into(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )),
    );
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let codes = codes(&assessment.findings);
    assert!(codes.contains(&"DRIFT_CHANGED"), "{codes:?}");
    assert!(codes.contains(&"PROOF_EXCESS"), "{codes:?}");
    assert!(
        assessment
            .findings
            .iter()
            .any(|f| matches!(f, DriftFinding::Lint(l) if l.path.starts_with("Policies.backdoor"))),
        "{codes:?}"
    );
    let restore = assessment.restore.as_ref().expect("a restore plan");
    assert_eq!(
        restore.operations().cloned().collect::<Vec<_>>(),
        [Operation::DeleteRolePolicy {
            name: "backdoor".into()
        }]
    );
    assert_eq!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Restore
    );
    assert_eq!(remedy(&assessment, RemediationMode::Report), Remedy::Report);
    assert!(matches!(
        remedy(&assessment, RemediationMode::Quarantine),
        Remedy::Quarantine { .. }
    ));
}

#[test]
fn a_trust_policy_without_the_external_id_opens_the_role() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.trust_policy = Some(doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::966208727603:root"},"Action":"sts:AssumeRole"}]}"#,
    ));
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let codes = codes(&assessment.findings);
    assert!(codes.contains(&"PROOF_TRUST_TOO_OPEN"), "{codes:?}");
    let summary = RoleSummary::of(&live);
    assert!(!summary.external_id_required);
    assert!(
        !assessment
            .findings
            .iter()
            .any(|f| f.to_string().contains(EXTERNAL_ID)),
        "findings never quote the ExternalId"
    );
}

#[test]
fn an_expired_role_is_revoked_unless_only_reporting() {
    let desired = state(json!({ "ExpiresAt": "2026-11-01T00:00:00Z" }));
    let live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    assert_eq!(codes(&assessment.findings), ["ROLE_EXPIRED"]);
    assert!(!assessment.drifted());
    assert!(matches!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Quarantine { .. }
    ));
    assert_eq!(remedy(&assessment, RemediationMode::Report), Remedy::Report);
    let names: Vec<String> = assessment
        .quarantine
        .operations()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        names,
        [
            format!("PutRolePolicy {}", quarantine::DENY_ALL_POLICY),
            format!("PutRolePolicy {}", quarantine::REVOKE_SESSIONS_POLICY),
            format!(
                "TagRole {},{}",
                rolegate_policy::tags::QUARANTINE,
                rolegate_policy::tags::QUARANTINE_REASON
            ),
        ]
    );
}

#[test]
fn a_quarantined_role_with_its_policies_in_place_is_not_drift() {
    let desired = state(json!({ "ExpiresAt": "2026-11-01T00:00:00Z" }));
    let now = now();
    let q = Quarantine::new(&now, "expired");
    let quarantined =
        rolegate_policy::reconcile::with_quarantine(desired.role.clone(), Some(&q), &now);
    let live = LiveRole::as_created("atmosphere", ARN, &quarantined);
    let mut inspection = inspect(&live, &desired, &now);
    inspection.quarantine = Some(&q);
    let assessment = assess(&inspection);
    assert!(assessment.findings.is_empty(), "{:?}", assessment.findings);
    assert!(assessment.quarantine.is_empty());
    assert!(RoleSummary::of(&live).quarantined);
}

#[test]
fn a_role_unused_past_the_limit_is_reported_never_changed() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.created = Timestamp::parse("2026-01-01T00:00:00Z");
    live.last_used = Timestamp::parse("2026-08-01T00:00:00Z");
    let now = now();
    let mut inspection = inspect(&live, &desired, &now);
    inspection.unused_after_days = Some(90);
    let assessment = assess(&inspection);
    assert_eq!(codes(&assessment.findings), ["ROLE_UNUSED"]);
    assert_eq!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Report
    );
    assert_eq!(
        remedy(&assessment, RemediationMode::Quarantine),
        Remedy::Report
    );
    inspection.unused_after_days = Some(120);
    assert!(assess(&inspection).findings.is_empty());
}

#[test]
fn without_a_desired_state_restore_mode_fails_closed() {
    let desired = state(json!({}));
    let live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    let now = now();
    let inspection = Inspection {
        desired: Err("no record /rolegate/roles/atmosphere"),
        untrusted: None,
        ..inspect(&live, &desired, &now)
    };
    let assessment = assess(&inspection);
    assert_eq!(codes(&assessment.findings), ["DESIRED_STATE_UNKNOWN"]);
    assert!(assessment.restore.is_none());
    assert!(matches!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Quarantine { .. }
    ));
}

#[test]
fn an_untrusted_record_is_reported_never_restored_and_quarantines_only_in_quarantine_mode() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    // The role was also tampered with: still no restore to anything.
    live.inline_policies.clear();
    let now = now();
    let why = rolegate_policy::reconcile::Untrusted::BadSeal;
    let inspection = Inspection {
        desired: Err("the record's seal does not verify"),
        untrusted: Some(&why),
        ..inspect(&live, &desired, &now)
    };
    let assessment = assess(&inspection);
    assert_eq!(codes(&assessment.findings), ["RECORD_BAD_SEAL"]);
    assert!(assessment.restore.is_none());
    assert_eq!(
        remedy(&assessment, RemediationMode::Restore),
        Remedy::Report
    );
    assert_eq!(remedy(&assessment, RemediationMode::Report), Remedy::Report);
    assert!(matches!(
        remedy(&assessment, RemediationMode::Quarantine),
        Remedy::Quarantine { .. }
    ));
}

#[test]
fn an_attached_managed_policy_is_judged_by_its_document() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    let admin = "arn:aws:iam::111122223333:policy/broad";
    live.attached_policy_arns = vec![admin.into()];
    let managed = [(
        admin.to_owned(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        )),
    )];
    let now = now();
    let inspection = Inspection {
        managed_policies: &managed,
        ..inspect(&live, &desired, &now)
    };
    let assessment = assess(&inspection);
    let codes = codes(&assessment.findings);
    assert!(codes.contains(&"DRIFT_CHANGED"), "{codes:?}");
    assert!(codes.contains(&"PROOF_EXCESS"), "{codes:?}");
}

#[test]
fn an_extra_account_in_the_trust_policy_is_found_by_the_proof() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    let mut trust = desired.role.trust_policy.to_value();
    trust["Statement"]
        .as_array_mut()
        .expect("statements")
        .push(json!({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::246813579024:root"}, "Action": "sts:AssumeRole"}));
    live.trust_policy = Some(PolicyDocument::from_value(&trust).expect("a policy"));
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    assert!(
        assessment.findings.iter().any(|f| matches!(
            f,
            DriftFinding::WidensAccess(p) if p.to_string().contains("246813579024")
        )),
        "{:?}",
        codes(&assessment.findings)
    );
}

#[test]
fn a_report_shows_a_few_findings_of_each_code_and_counts_the_rest() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.inline_policies.insert(
        "backdoor".into(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )),
    );
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let excess = assessment
        .findings
        .iter()
        .filter(|f| f.code() == "PROOF_EXCESS")
        .count();
    assert!(excess > 5, "{excess}");
    let shown = rolegate_policy::drift::condensed(&assessment.findings, 5);
    let lines: Vec<&String> = shown
        .iter()
        .filter(|(c, _)| *c == "PROOF_EXCESS")
        .map(|(_, m)| m)
        .collect();
    assert_eq!(lines.len(), 6);
    assert_eq!(
        lines[5],
        &format!("PROOF_EXCESS: and {} more like these", excess - 5)
    );
    assert!(
        lines[0].starts_with("PROOF_EXCESS: ")
            && !lines[0].starts_with("PROOF_EXCESS: PROOF_EXCESS")
    );
}

/// Why `explain` may wait until after the remedy: with the policies as
/// desired, lint and the proof of the live role find nothing, whatever else
/// changed. Checked on every golden fixture, with only the description
/// changed so that `explain` does run.
#[test]
fn a_role_whose_policies_are_as_desired_explains_nothing_beyond_the_diff() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).expect("tests/fixtures") {
        let spec_file = entry.expect("a directory entry").path().join("spec.json");
        let Ok(text) = std::fs::read_to_string(&spec_file) else {
            continue;
        };
        let mut rec = record(json!({}));
        rec.properties = serde_json::from_str(&text).expect("a JSON spec");
        if rec.properties.get("ExternalId").is_none()
            && rec.properties["Trust"].get("Service").is_none()
        {
            rec.properties["ExternalId"] = json!(EXTERNAL_ID);
        }
        let desired = rec
            .desired_state()
            .unwrap_or_else(|e| panic!("{}: {e}", spec_file.display()));
        let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
        live.description = Some("changed behind Rolegate's back".into());
        let now = now();
        let inspection = inspect(&live, &desired, &now);
        let decided = decide(&inspection);
        assert_eq!(
            codes(&decided.findings),
            ["DRIFT_CHANGED"],
            "{}",
            spec_file.display()
        );
        assert_eq!(
            explain(&inspection, &decided),
            [],
            "{}",
            spec_file.display()
        );
        checked += 1;
    }
    assert!(checked >= 10, "only {checked} fixtures found");
}

#[test]
fn the_explanation_names_the_action_and_resource_a_tamper_opened_with_its_counterexample() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    // The issue's tamper: tags read on buckets the spec never names, which
    // no probe of the proof touches.
    live.inline_policies.insert(
        "tags".into(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Backdoor","Effect":"Allow","Action":"s3:Get*Tagging","Resource":"arn:aws:s3:::other-*"}]}"#,
        )),
    );
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let new_access: Vec<&DriftFinding> = assessment
        .findings
        .iter()
        .filter(|f| f.code() == "DRIFT_NEW_ACCESS")
        .collect();
    assert_eq!(new_access.len(), 1, "{:?}", codes(&assessment.findings));
    let DriftFinding::NewAccess(cx) = new_access[0] else {
        panic!("{:?}", new_access[0]);
    };
    assert!(
        cx.action.to_ascii_lowercase().starts_with("s3:get")
            && cx.action.to_ascii_lowercase().ends_with("tagging"),
        "{cx}"
    );
    assert!(cx.resource.starts_with("arn:aws:s3:::other-"), "{cx}");
    assert!(cx.allowed_by.iter().any(|s| s.contains("Backdoor")), "{cx}");
    let text = new_access[0].to_string();
    assert!(
        text.starts_with(&format!(
            "DRIFT_NEW_ACCESS: the live role allows {} on {}",
            cx.action, cx.resource
        )),
        "{text}"
    );
    // The typed report carries the same request.
    let reported = rolegate_policy::events::drift::NewAccess::from_findings(&assessment.findings)
        .expect("a NewAccess in the report");
    assert_eq!(
        (reported.action.as_str(), reported.resource.as_str()),
        (cx.action.as_str(), cx.resource.as_str())
    );
    // The symbolic step of the proof judges the same tamper against the spec.
    assert!(codes(&assessment.findings).contains(&"PROOF_EXCEEDS_INTENT"));
}

#[test]
fn a_narrowed_live_role_opens_no_new_access() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.inline_policies.insert(
        "deny".into(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"*"}]}"#,
        )),
    );
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let codes = codes(&assessment.findings);
    assert!(codes.contains(&"DRIFT_CHANGED"), "{codes:?}");
    assert!(!codes.contains(&"DRIFT_NEW_ACCESS"), "{codes:?}");
}

#[test]
fn an_allow_everything_tamper_is_explained_with_a_real_action_and_a_non_empty_resource() {
    let desired = state(json!({}));
    let mut live = LiveRole::as_created("atmosphere", ARN, &desired.role);
    live.inline_policies.insert(
        "admin".into(),
        Some(doc(
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"Everything","Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )),
    );
    let now = now();
    let assessment = assess(&inspect(&live, &desired, &now));
    let Some(DriftFinding::NewAccess(cx)) = assessment
        .findings
        .iter()
        .find(|f| f.code() == "DRIFT_NEW_ACCESS")
    else {
        panic!("no DRIFT_NEW_ACCESS in {:?}", codes(&assessment.findings));
    };
    // A request AWS could receive: `service:Name` that IAM defines, on a
    // resource that is not empty (an empty witness said nothing).
    let (service, name) = cx.action.split_once(':').unwrap_or(("", ""));
    assert!(
        rolegate_policy::actiondb::ActionDb::global()
            .service(service)
            .and_then(|s| s.action(name))
            .is_some(),
        "{cx}"
    );
    assert!(!cx.resource.is_empty(), "{cx}");
    assert!(
        cx.allowed_by.iter().any(|s| s.contains("Everything")),
        "{cx}"
    );
}
