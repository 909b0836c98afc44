//! Tamper scenarios against moto: provision a role with the provisioner's
//! code, tamper with it through the IAM API, feed the guard the CloudTrail
//! event that call produces (from events/guard/cloudtrail/), then check
//! what IAM holds. In restore mode the role must be exactly as provisioned;
//! in quarantine mode it must carry the deny-all and session revocation.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ROLE, guard, handle, provisioned, sample, snapshot};
use rolegate_policy::events::{DRIFT_DETECTED_DETAIL_TYPE, DriftDetected};
use rolegate_policy::reconcile::quarantine::{DENY_ALL_POLICY, REVOKE_SESSIONS_POLICY};
use rolegate_policy::spec::RemediationMode;
use serde_json::json;

/// Runs one tamper twice: restore mode first, then quarantine mode.
async fn scenario(event_file: &str, tamper: &str, expected_codes: &[&str]) {
    let (moto, external_id) = provisioned().await;
    let provisioned = snapshot(&moto, ROLE);
    let event = sample(&format!("cloudtrail/{event_file}"));

    // Restore mode: the role comes back exactly as provisioned.
    moto.python(tamper);
    assert_ne!(
        snapshot(&moto, ROLE),
        provisioned,
        "the tamper changed the role"
    );
    let (restorer, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&restorer, event.clone()).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    let findings = answer["Roles"][0]["Findings"].to_string();
    for code in expected_codes {
        assert!(findings.contains(code), "expected {code} in {findings}");
    }
    assert_eq!(snapshot(&moto, ROLE), provisioned);
    let events = moto.captured_events();
    assert_eq!(
        common::detail_types(&events),
        ["Integration Role Drift Detected"]
    );
    let drift: DriftDetected = common::report(&events[0], DRIFT_DETECTED_DETAIL_TYPE);
    assert_eq!(drift.judgement.action, "restored");
    let emitted = serde_json::to_string(&events).unwrap();
    assert!(
        !emitted.contains(&external_id),
        "a report leaked the ExternalId: {emitted}"
    );

    // Quarantine mode: the deny-all and the session revocation are in place.
    moto.python(tamper);
    let (quarantiner, _) = guard(&moto, RemediationMode::Quarantine).await;
    let answer = handle(&quarantiner, event).await;
    assert_eq!(answer["Roles"][0]["Status"], "quarantined", "{answer}");
    assert_quarantined(&moto);
    assert_eq!(
        common::detail_types(&moto.captured_events()),
        [
            "Integration Role Drift Detected",
            "Integration Access Revoked"
        ]
    );
}

pub fn assert_quarantined(moto: &common_moto::Moto) {
    let live = snapshot(moto, ROLE);
    assert_eq!(
        live["Policies"][DENY_ALL_POLICY],
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "RolegateQuarantineDenyAll", "Effect": "Deny", "Action": "*", "Resource": "*"}
        ]})
    );
    let revoke = &live["Policies"][REVOKE_SESSIONS_POLICY]["Statement"][0];
    assert_eq!(revoke["Effect"], "Deny");
    assert_eq!(revoke["Action"], "*");
    assert_eq!(revoke["Resource"], "*");
    let since = revoke["Condition"]["DateLessThan"]["aws:TokenIssueTime"]
        .as_str()
        .expect("a TokenIssueTime bound");
    let since = rolegate_policy::Timestamp::parse(since).expect("an RFC 3339 time");
    let now = rolegate_aws::now();
    assert!(
        (now.epoch_seconds() - since.epoch_seconds()).abs() < 120,
        "sessions are revoked from about now, not {since}"
    );
    // Kept on the role (the guard cannot write records).
    assert_eq!(
        common::tag(&live, "rolegate:quarantine"),
        Some(since.to_string().as_str())
    );
}

mod common_moto {
    pub use rolegate_test_harness::Moto;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_attached_broad_managed_policy_is_detached_or_quarantined() {
    scenario(
        "attach-role-policy.json",
        "iam.attach_role_policy(RoleName='atmosphere-s3', PolicyArn='arn:aws:iam::123456789012:policy/broad-access')",
        &["DRIFT_CHANGED", "PROOF_EXCESS"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_added_wildcard_statement_is_removed_or_quarantined() {
    scenario(
        "put-role-policy-wildcard.json",
        "iam.put_role_policy(RoleName='atmosphere-s3', PolicyName='debug', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}))",
        &["DRIFT_CHANGED", "PROOF_EXCESS"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_trust_policy_without_the_external_id_condition_is_restored_or_quarantined() {
    scenario(
        "update-assume-role-policy-no-external-id.json",
        "iam.update_assume_role_policy(RoleName='atmosphere-s3', PolicyDocument=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::966208727603:root'}, 'Action': 'sts:AssumeRole'}]}))",
        &["DRIFT_CHANGED", "PROOF_TRUST_TOO_OPEN"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_foreign_principal_added_to_the_trust_policy_is_removed_or_quarantined() {
    scenario(
        "update-assume-role-policy-foreign-principal.json",
        "doc = iam.get_role(RoleName='atmosphere-s3')['Role']['AssumeRolePolicyDocument']\n\
         doc['Statement'].append({'Effect': 'Allow', 'Principal': {'AWS': 'arn:aws:iam::444455556666:root'}, 'Action': 'sts:AssumeRole'})\n\
         iam.update_assume_role_policy(RoleName='atmosphere-s3', PolicyDocument=json.dumps(doc))",
        &["DRIFT_CHANGED", "PROOF_TRUST_TOO_OPEN"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_deleted_permissions_boundary_is_put_back_or_quarantined() {
    scenario(
        "delete-role-permissions-boundary.json",
        "iam.delete_role_permissions_boundary(RoleName='atmosphere-s3')",
        &["DRIFT_CHANGED"],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_raised_max_session_duration_is_lowered_or_quarantined() {
    scenario(
        "update-role-max-session.json",
        "iam.update_role(RoleName='atmosphere-s3', MaxSessionDuration=43200)",
        &["DRIFT_CHANGED"],
    )
    .await;
}
