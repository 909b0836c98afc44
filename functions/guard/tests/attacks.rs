//! Issue 21's attacks on the guard, each by a principal far weaker than
//! IAM: one who can write an SSM parameter, one who can put events on the
//! default bus. Each must leave the role as its last verified state, and
//! the legitimate paths (a listed principal's command through the command
//! bus, a stack Update that reseals the record) must keep working.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use common::{ROLE, detail_types, guard, handle, provisioned, record, sample, snapshot, tag};
use rolegate_policy::reconcile::quarantine::DENY_ALL_POLICY;
use rolegate_policy::spec::RemediationMode;
use rolegate_test_harness::{Moto, role_as_recorded};
use serde_json::{Value, json};

const PARAMETER: &str = "/rolegate/roles/atmosphere-s3";
const ATTACKER: &str = "arn:aws:iam::999988887777:root";

/// The record as an attacker rewrites it: their account trusted, and a
/// grant on a bucket of their choosing.
fn attackers_record(moto: &Moto) -> Value {
    let mut body = record(moto, ROLE);
    body["Properties"]["Trust"]["Principals"] = json!(["966208727603", "999988887777"]);
    body["Properties"]["Grants"]
        .as_array_mut()
        .unwrap()
        .push(json!({"Service": "s3", "Access": "read-write", "Bucket": "payroll"}));
    body
}

fn put_parameter(moto: &Moto, value: &Value) {
    moto.python(&format!(
        "ssm.put_parameter(Name={PARAMETER:?}, Value=json.dumps(json.loads({:?})), Type='SecureString', Overwrite=True)",
        value.to_string()
    ));
}

/// Writes `body` as the record in each form a parameter writer can make:
/// plain (unsealed), and inside the genuine seal of the record it replaces.
fn tampered_values(moto: &Moto, body: &Value) -> Vec<(&'static str, Value)> {
    let stored: Value = serde_json::from_str(&moto.python(&format!(
        "print(ssm.get_parameter(Name={PARAMETER:?}, WithDecryption=True)['Parameter']['Value'])"
    )))
    .unwrap();
    let mut resealed = stored.clone();
    resealed["Body"] = json!(body.to_string());
    vec![
        ("RECORD_UNSEALED", body.clone()),
        ("RECORD_BAD_SEAL", resealed),
    ]
}

fn trust_names(snapshot: &Value, principal: &str) -> bool {
    snapshot["Trust"].to_string().contains(principal)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_record_rewritten_by_a_parameter_writer_is_never_applied() {
    let (moto, _) = provisioned().await;
    let before = snapshot(&moto, ROLE);
    let body = attackers_record(&moto);
    for (code, value) in tampered_values(&moto, &body) {
        put_parameter(&moto, &value);
        for mode in [RemediationMode::Restore, RemediationMode::Report] {
            let (guard, log) = guard(&moto, mode).await;
            // The attacker waits for the sweep, or touches the role.
            for event in [
                sample("sweep.json"),
                sample("cloudtrail/put-role-policy-wildcard.json"),
            ] {
                let answer = handle(&guard, event).await;
                assert!(answer.to_string().contains(code), "{code}: {answer}");
            }
            assert!(log.take_writes().is_empty(), "{code}: the guard wrote IAM");
            let after = snapshot(&moto, ROLE);
            assert_eq!(after, before, "{code} in {mode:?}: the role changed");
            assert!(!trust_names(&after, ATTACKER));
            let events = moto.captured_events();
            assert!(
                detail_types(&events).contains(&"Integration Role Record Untrusted".to_owned()),
                "{code}: no alarm event in {events:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_untrusted_record_quarantines_only_in_quarantine_mode() {
    let (moto, _) = provisioned().await;
    put_parameter(&moto, &attackers_record(&moto));
    let (guard, _) = guard(&moto, RemediationMode::Quarantine).await;
    let answer = handle(&guard, sample("sweep.json")).await;
    assert!(answer.to_string().contains("quarantined"), "{answer}");
    let live = snapshot(&moto, ROLE);
    assert!(live["Policies"].get(DENY_ALL_POLICY).is_some());
    assert!(!trust_names(&live, ATTACKER));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sealed_record_copied_from_another_role_is_not_trusted() {
    let (moto, _) = provisioned().await;
    let before = snapshot(&moto, ROLE);
    let stored: Value = serde_json::from_str(&moto.python(&format!(
        "print(ssm.get_parameter(Name={PARAMETER:?}, WithDecryption=True)['Parameter']['Value'])"
    )))
    .unwrap();
    // The same genuine seal, stored for another role with the same tags.
    moto.python(&format!(
        "r = iam.get_role(RoleName={ROLE:?})['Role']\n\
         iam.create_role(RoleName='other', Path='/integrations/', AssumeRolePolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Principal': {{'AWS': '{ATTACKER}'}}, 'Action': 'sts:AssumeRole'}}]}}), Tags=r['Tags'])\n\
         ssm.put_parameter(Name='/rolegate/roles/other', Value=json.dumps(json.loads({:?})), Type='SecureString')",
        stored.to_string()
    ));
    let (guard, log) = guard(&moto, RemediationMode::Restore).await;
    let mut event = sample("cloudtrail/put-role-policy-wildcard.json");
    event["detail"]["requestParameters"]["roleName"] = json!("other");
    let answer = handle(&guard, event).await;
    assert!(answer.to_string().contains("RECORD_WRONG_ROLE"), "{answer}");
    assert!(log.take_writes().is_empty());
    assert_eq!(snapshot(&moto, ROLE), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_on_the_default_bus_or_through_another_bus_leaves_the_quarantine() {
    let (moto, _) = provisioned().await;
    let (listed, _) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&listed, sample("commands/revoke.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "revoked", "{answer}");
    let revoked = snapshot(&moto, ROLE);
    moto.captured_events();

    for forged in [
        "forged/restore-on-default-bus.json",
        "forged/restore-through-another-bus.json",
    ] {
        let (guard, log) = guard(&moto, RemediationMode::Restore).await;
        let answer = handle(&guard, sample(forged)).await;
        assert!(answer["Refused"].is_string(), "{forged}: {answer}");
        assert!(log.take().is_empty(), "{forged}: the guard called IAM");
        assert_eq!(snapshot(&moto, ROLE), revoked, "{forged}");
        assert!(moto.captured_events().is_empty());
    }

    // The listed principal's command, through the command bus, still works.
    let answer = handle(&listed, sample("commands/restore.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "access-restored", "{answer}");
    assert!(
        snapshot(&moto, ROLE)["Policies"]
            .get(DENY_ALL_POLICY)
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_legitimate_update_reseals_the_record_and_migrates_an_unsealed_one() {
    let (moto, _) = provisioned().await;
    // A record from before sealing: the plain body.
    put_parameter(&moto, &record(&moto, ROLE));
    let (guard, log) = guard(&moto, RemediationMode::Restore).await;
    let answer = handle(&guard, sample("sweep.json")).await;
    assert!(answer.to_string().contains("RECORD_UNSEALED"), "{answer}");
    assert!(log.take_writes().is_empty());

    common::update_description(&moto).await;
    let (clients, _) = rolegate_test_harness::logged_clients(&moto.sdk_config().await);
    role_as_recorded(&clients, ROLE)
        .await
        .expect("the updated role's record is sealed and verifies");

    // And the guard acts on it again.
    moto.python(&format!(
        "iam.put_role_policy(RoleName={ROLE:?}, PolicyName='wildcard', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))"
    ));
    let answer = handle(&guard, sample("cloudtrail/put-role-policy-wildcard.json")).await;
    assert_eq!(answer["Roles"][0]["Status"], "restored", "{answer}");
    assert_eq!(tag(&snapshot(&moto, ROLE), "rolegate:quarantine"), None);
}
