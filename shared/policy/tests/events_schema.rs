//! The wire format of every event Rolegate emits or obeys, pinned: each
//! event's struct (`rolegate_policy::events`) against a golden sample of
//! the JSON its writer put on the bus before the structs existed (the keys
//! the e2e tests and the functions' tests read), and each sample read back
//! into the same value. `docs/EVENTS.md` shows the same samples.

use rolegate_policy::drift::RoleSummary;
use rolegate_policy::events::drift::{NewAccess, RevokedSessions};
use rolegate_policy::events::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The writer writes `golden` exactly, and the reader reads it back.
fn pinned<T>(sample: &T, golden: Value)
where
    T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let written = serde_json::to_value(sample).map_err(|e| e.to_string());
    assert_eq!(written, Ok(golden.clone()), "the writer's JSON changed");
    let read = serde_json::from_value::<T>(golden).map_err(|e| e.to_string());
    assert_eq!(read.as_ref(), Ok(sample), "the reader reads another value");
    // And a round trip through text, as EventBridge carries it.
    let text = serde_json::to_string(sample).unwrap_or_default();
    let again = serde_json::from_str::<T>(&text).map_err(|e| e.to_string());
    assert_eq!(again.as_ref(), Ok(sample));
}

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";

fn summary(quarantined: bool) -> RoleSummary {
    RoleSummary {
        role_arn: ROLE_ARN.into(),
        trusted_principals: vec!["arn:aws:iam::966208727603:root".into()],
        external_id_required: true,
        max_session_duration: 3600,
        permissions_boundary: None,
        inline_policies: if quarantined {
            vec!["RolegateQuarantineDenyAll".into(), "s3-0".into()]
        } else {
            vec!["s3-0".into()]
        },
        managed_policies: Vec::new(),
        instance_profiles: Vec::new(),
        quarantined,
    }
}

fn summary_json(quarantined: bool) -> Value {
    let inline = if quarantined {
        json!(["RolegateQuarantineDenyAll", "s3-0"])
    } else {
        json!(["s3-0"])
    };
    json!({
        "RoleArn": ROLE_ARN,
        "TrustedPrincipals": ["arn:aws:iam::966208727603:root"],
        "ExternalIdRequired": true,
        "MaxSessionDuration": 3600,
        "PermissionsBoundary": null,
        "InlinePolicies": inline,
        "ManagedPolicies": [],
        "InstanceProfiles": [],
        "Quarantined": quarantined,
    })
}

fn role_report(trigger: &str, write_calls: usize, quarantined_after: bool) -> RoleReport {
    RoleReport {
        role: "atmosphere-s3".into(),
        role_arn: ROLE_ARN.into(),
        trigger: trigger.into(),
        write_calls,
        before: summary(false),
        after: summary(quarantined_after),
    }
}

/// The fields `action_detail` wrote for every guard report.
fn role_report_json(trigger: &str, write_calls: usize, quarantined_after: bool) -> Value {
    json!({
        "Role": "atmosphere-s3",
        "RoleArn": ROLE_ARN,
        "Trigger": trigger,
        "WriteCalls": write_calls,
        "Before": summary_json(false),
        "After": summary_json(quarantined_after),
    })
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
        base.extend(extra);
    }
    base
}

fn judgement(remediation: &str, action: &str) -> Judgement {
    Judgement {
        remediation: remediation.into(),
        action: action.into(),
        findings: vec![ReportedFinding {
            code: "DRIFT_CHANGED".into(),
            message: "DRIFT_CHANGED: live role differs; restoring needs DeleteRolePolicy backdoor"
                .into(),
        }],
        new_access: None,
    }
}

fn judgement_json(remediation: &str, action: &str) -> Value {
    json!({
        "Remediation": remediation,
        "Action": action,
        "Findings": [{"Code": "DRIFT_CHANGED", "Message": "DRIFT_CHANGED: live role differs; restoring needs DeleteRolePolicy backdoor"}],
    })
}

#[test]
fn integration_role_ready_is_pinned() {
    let ready = IntegrationRoleReady {
        role_arn: ROLE_ARN.into(),
        role_name: "atmosphere-s3".into(),
        external_id: Some("SampleExternalId0000".into()),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        policy_digest: "ab".into(),
        grants: vec![ReadyGrant {
            service: "s3".into(),
            resource: "s3://atmosphere-exports".into(),
        }],
        vendor_tenant_id: Some("tenant-42".into()),
    };
    let golden = json!({
        "RoleArn": ROLE_ARN, "RoleName": "atmosphere-s3", "ExternalId": "SampleExternalId0000",
        "Account": "123456789012", "Region": "us-east-1", "PolicyDigest": "ab",
        "Grants": [{"Service": "s3", "Resource": "s3://atmosphere-exports"}],
        "VendorTenantId": "tenant-42",
    });
    pinned(&ready, golden.clone());
    assert_eq!(IntegrationRoleReady::from_detail(&golden), Ok(ready));
    assert_eq!(
        (READY_SOURCE, READY_DETAIL_TYPE),
        ("rolegate.provisioner", "Integration Role Ready")
    );
}

#[test]
fn integration_role_removed_is_pinned() {
    let removed = IntegrationRoleRemoved {
        role_arn: ROLE_ARN.into(),
        role_name: "atmosphere-s3".into(),
        account: "123456789012".into(),
        region: "us-east-1".into(),
        vendor_tenant_id: Some("tenant-42".into()),
    };
    let golden = json!({
        "RoleArn": ROLE_ARN, "RoleName": "atmosphere-s3",
        "Account": "123456789012", "Region": "us-east-1", "VendorTenantId": "tenant-42",
    });
    pinned(&removed, golden.clone());
    assert_eq!(IntegrationRoleRemoved::from_detail(&golden), Ok(removed));
    assert_eq!(
        (READY_SOURCE, REMOVED_DETAIL_TYPE),
        ("rolegate.provisioner", "Integration Role Removed")
    );
}

#[test]
fn drift_detected_is_pinned() {
    let drift = DriftDetected {
        role: role_report("CloudTrail PutRolePolicy", 0, false),
        judgement: judgement("report", "reported"),
    };
    let golden = with(
        role_report_json("CloudTrail PutRolePolicy", 0, false),
        judgement_json("report", "reported"),
    );
    pinned(&drift, golden);
    assert_eq!(
        (GUARD_SOURCE, DRIFT_DETECTED_DETAIL_TYPE),
        ("rolegate.guard", "Integration Role Drift Detected")
    );
}

/// The symbolic comparison's counterexample rides in an optional
/// `NewAccess`: a report with it is pinned, and the report without it (as
/// every consumer read it before) still reads, with `NewAccess` absent.
#[test]
fn drift_detected_with_the_new_access_a_tamper_opened_is_pinned() {
    let mut judgement = judgement("report", "reported");
    judgement.new_access = Some(NewAccess {
        action: "s3:GetObjectTagging".into(),
        resource: "arn:aws:s3:::other-a".into(),
        context: [("aws:SecureTransport".to_owned(), vec!["true".to_owned()])]
            .into_iter()
            .collect(),
        allowed_by: vec!["identity[1] Statement[0] (Backdoor)".into()],
    });
    let drift = DriftDetected {
        role: role_report("CloudTrail PutRolePolicy", 0, false),
        judgement,
    };
    let golden = with(
        with(
            role_report_json("CloudTrail PutRolePolicy", 0, false),
            judgement_json("report", "reported"),
        ),
        json!({"NewAccess": {
            "Action": "s3:GetObjectTagging",
            "Resource": "arn:aws:s3:::other-a",
            "Context": {"aws:SecureTransport": ["true"]},
            "AllowedBy": ["identity[1] Statement[0] (Backdoor)"],
        }}),
    );
    pinned(&drift, golden);
    let older = with(
        role_report_json("CloudTrail PutRolePolicy", 0, false),
        judgement_json("report", "reported"),
    );
    let read = serde_json::from_value::<DriftDetected>(older).map_err(|e| e.to_string());
    assert_eq!(read.map(|d| d.judgement.new_access), Ok(None));
}

#[test]
fn record_untrusted_is_pinned() {
    let untrusted = RecordUntrusted {
        drift: DriftDetected {
            role: role_report("sweep", 0, false),
            judgement: judgement("report", "reported"),
        },
        code: "RECORD_BAD_SEAL".into(),
        reason: "the role record's seal does not verify with the record key: it was not written by the provisioner".into(),
    };
    let golden = with(
        with(
            role_report_json("sweep", 0, false),
            judgement_json("report", "reported"),
        ),
        json!({"Code": "RECORD_BAD_SEAL", "Reason": "the role record's seal does not verify with the record key: it was not written by the provisioner"}),
    );
    pinned(&untrusted, golden);
    assert_eq!(
        RECORD_UNTRUSTED_DETAIL_TYPE,
        "Integration Role Record Untrusted"
    );
}

#[test]
fn access_revoked_by_the_guards_judgement_is_pinned() {
    // A check in quarantine mode: the Drift Detected detail with a Reason.
    let revoked = AccessRevoked {
        role: role_report("CloudTrail PutRolePolicy", 3, true),
        reason: "drift in quarantine mode".into(),
        by: RevokedBy::Judgement(judgement("quarantine", "quarantined")),
    };
    let golden = with(
        with(
            role_report_json("CloudTrail PutRolePolicy", 3, true),
            judgement_json("quarantine", "quarantined"),
        ),
        json!({"Reason": "drift in quarantine mode"}),
    );
    pinned(&revoked, golden);
    assert_eq!(ACCESS_REVOKED_DETAIL_TYPE, "Integration Access Revoked");
}

#[test]
fn access_revoked_by_command_is_pinned() {
    let revoked = AccessRevoked {
        role: role_report(REVOKE_DETAIL_TYPE, 3, true),
        reason: "incident 42".into(),
        by: RevokedBy::Command(RevokedSessions {
            revoked_sessions_issued_before: "2026-11-23T11:00:00Z".into(),
        }),
    };
    let golden = with(
        role_report_json("Revoke Integration Access", 3, true),
        json!({"Reason": "incident 42", "RevokedSessionsIssuedBefore": "2026-11-23T11:00:00Z"}),
    );
    pinned(&revoked, golden);
}

#[test]
fn access_restored_is_pinned() {
    let restored = AccessRestored {
        role: role_report(RESTORE_DETAIL_TYPE, 2, false),
        revoked_sessions_issued_before: Some("2026-11-23T11:00:00Z".into()),
    };
    let golden = with(
        role_report_json("Restore Integration Access", 2, false),
        json!({"RevokedSessionsIssuedBefore": "2026-11-23T11:00:00Z"}),
    );
    pinned(&restored, golden);
    // A role that had no quarantine: the key is there, null.
    let never = AccessRestored {
        revoked_sessions_issued_before: None,
        ..restored
    };
    let golden = with(
        role_report_json("Restore Integration Access", 2, false),
        json!({"RevokedSessionsIssuedBefore": null}),
    );
    pinned(&never, golden);
    assert_eq!(ACCESS_RESTORED_DETAIL_TYPE, "Integration Access Restored");
}

#[test]
fn a_validated_outcome_is_pinned() {
    let checks = [
        (Check::AssumeWithExternalId, "assumed after 1 attempt(s)"),
        (
            Check::CallerIdentity,
            "the session is arn:aws:sts::123456789012:assumed-role/atmosphere-s3/rolegate-validator",
        ),
        (
            Check::DeniedWithoutExternalId,
            "AssumeRole without an ExternalId was denied",
        ),
        (
            Check::DeniedWithWrongExternalId,
            "AssumeRole with a wrong ExternalId was denied",
        ),
    ];
    let outcome = ValidationOutcome {
        role_arn: Some(ROLE_ARN.into()),
        account: Some("123456789012".into()),
        sender_account: Some("123456789012".into()),
        vendor_tenant_id: Some("tenant-42".into()),
        trigger: "Integration Role Ready".into(),
        reason: None,
        failed_check: None,
        code: None,
        checks: Some(
            checks
                .iter()
                .map(|(c, r)| CheckResult::passed(*c, *r))
                .collect(),
        ),
        sts_calls: 4,
    };
    let golden = json!({
        "RoleArn": ROLE_ARN, "Account": "123456789012", "SenderAccount": "123456789012",
        "VendorTenantId": "tenant-42", "Trigger": "Integration Role Ready", "Reason": null,
        "FailedCheck": null, "Code": null,
        "Checks": [
            {"Check": "AssumeWithExternalId", "Status": "Passed", "Reason": "assumed after 1 attempt(s)"},
            {"Check": "CallerIdentity", "Status": "Passed", "Reason": "the session is arn:aws:sts::123456789012:assumed-role/atmosphere-s3/rolegate-validator"},
            {"Check": "DeniedWithoutExternalId", "Status": "Passed", "Reason": "AssumeRole without an ExternalId was denied"},
            {"Check": "DeniedWithWrongExternalId", "Status": "Passed", "Reason": "AssumeRole with a wrong ExternalId was denied"},
        ],
        "StsCalls": 4,
    });
    pinned(&outcome, golden);
    assert_eq!(
        (
            VALIDATOR_SOURCE,
            VALIDATED_DETAIL_TYPE,
            REJECTED_DETAIL_TYPE
        ),
        (
            "rolegate.validator",
            "Integration Validated",
            "Integration Rejected"
        )
    );
}

#[test]
fn a_refused_registration_outcome_is_pinned() {
    let outcome = ValidationOutcome {
        role_arn: Some(ROLE_ARN.into()),
        account: Some("123456789012".into()),
        sender_account: Some("999988887777".into()),
        vendor_tenant_id: None,
        trigger: "Integration Role Ready".into(),
        reason: Some("account: the event was sent by account 999988887777, but detail.RoleArn names a role in account 123456789012; an account may register only its own roles".into()),
        failed_check: Some(Check::SenderAccount),
        code: Some("REGISTRATION_ACCOUNT_MISMATCH".into()),
        checks: None,
        sts_calls: 0,
    };
    let golden = json!({
        "RoleArn": ROLE_ARN, "Account": "123456789012", "SenderAccount": "999988887777",
        "VendorTenantId": null, "Trigger": "Integration Role Ready",
        "Reason": "account: the event was sent by account 999988887777, but detail.RoleArn names a role in account 123456789012; an account may register only its own roles",
        "FailedCheck": "SenderAccount", "Code": "REGISTRATION_ACCOUNT_MISMATCH",
        "Checks": null, "StsCalls": 0,
    });
    pinned(&outcome, golden);
    // A failed and a skipped check, as `Checks` lists them.
    pinned(
        &vec![
            CheckResult::failed(Check::DeniedWithoutExternalId, "succeeded"),
            CheckResult::skipped(Check::DeniedWithWrongExternalId),
        ],
        json!([
            {"Check": "DeniedWithoutExternalId", "Status": "Failed", "Reason": "succeeded"},
            {"Check": "DeniedWithWrongExternalId", "Status": "Skipped", "Reason": "not run: an earlier check failed"},
        ]),
    );
}

#[test]
fn the_guards_commands_are_pinned() {
    let revoke = RevokeAccess {
        role: "atmosphere-s3".into(),
        reason: "incident 42".into(),
    };
    let golden = json!({"role": "atmosphere-s3", "reason": "incident 42"});
    pinned(&revoke, golden.clone());
    assert_eq!(RevokeAccess::from_detail(&golden), Ok(revoke));
    let golden = json!({"role": ROLE_ARN});
    let restore = RestoreAccess {
        role: ROLE_ARN.into(),
    };
    pinned(&restore, golden.clone());
    assert_eq!(RestoreAccess::from_detail(&golden), Ok(restore));
    let validate = ValidateRole {
        role: "atmosphere-s3".into(),
    };
    pinned(&validate, json!({"role": "atmosphere-s3"}));
    assert_eq!(
        (
            GUARD_COMMAND_SOURCE,
            REVOKE_DETAIL_TYPE,
            RESTORE_DETAIL_TYPE,
            VALIDATE_DETAIL_TYPE
        ),
        (
            "rolegate.commands",
            "Revoke Integration Access",
            "Restore Integration Access",
            "Validate Integration Role"
        )
    );
}

#[test]
fn the_validators_command_is_pinned() {
    let full = ValidateIntegration {
        role_arn: ROLE_ARN.into(),
        external_id: Some("SampleExternalId0000".into()),
        account: Some("123456789012".into()),
    };
    let golden = json!({"RoleArn": ROLE_ARN, "ExternalId": "SampleExternalId0000", "Account": "123456789012"});
    pinned(&full, golden.clone());
    assert_eq!(ValidateIntegration::from_detail(&golden), Ok(full));
    // ExternalId and Account may be left out (a stored role).
    let bare = ValidateIntegration {
        role_arn: ROLE_ARN.into(),
        external_id: None,
        account: None,
    };
    let golden = json!({"RoleArn": ROLE_ARN});
    pinned(&bare, golden.clone());
    assert_eq!(ValidateIntegration::from_detail(&golden), Ok(bare));
    assert_eq!(VALIDATOR_COMMAND_SOURCE, "rolegate.validator.commands");
}
