//! Shared by the guard's moto-backed tests: provision a role with the
//! provisioner's own code, snapshot what IAM holds, and feed the guard the
//! committed sample events.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::path::PathBuf;

use rolegate_guard::{Guard, GuardConfig};
use rolegate_policy::spec::RemediationMode;
use rolegate_test_harness::{
    ACCOUNT, CallLog, Moto, invoke_event, logged_clients, provisioner, request,
};
use serde_json::{Value, json};

pub const ROLE: &str = "atmosphere-s3";
pub const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-integration-boundary";
pub const GUARD_ROLE_ARN: &str = "arn:aws:iam::123456789012:role/rolegate-guard";

pub fn spec() -> Value {
    json!({
        "RoleName": ROLE,
        "Description": "Atmosphere reads exports",
        "Trust": { "Principals": ["966208727603"] },
        "PermissionsBoundaryArn": BOUNDARY,
        "Grants": [
            { "Service": "s3", "Access": "read", "Bucket": "atmosphere-exports" }
        ]
    })
}

pub fn sample(path: &str) -> Value {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events/guard")
        .join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_str(&text).expect("sample events are JSON")
}

/// Starts moto with the boundary policy and an event capture, provisions
/// the role through the provisioner's handler, and returns its ExternalId.
pub async fn provisioned() -> (Moto, String) {
    let moto = Moto::start();
    moto.python(&format!(
        "iam.create_policy(PolicyName='rolegate-integration-boundary', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}}]}}))\n\
         iam.create_policy(PolicyName='broad-access', PolicyDocument=json.dumps({{'Version': '2012-10-17', 'Statement': [{{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}}]}}))\n\
         assert {ACCOUNT:?}"
    ));
    moto.capture_events();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let event = request(&moto, "Create", "create-1", spec(), None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    let (response, _) = moto.response("create-1").expect("a response");
    assert_eq!(response["Status"], "SUCCESS", "{response}");
    let external_id = response["Data"]["ExternalId"].as_str().unwrap().to_owned();
    moto.captured_events(); // the provisioner's own events are not the guard's
    (moto, external_id)
}

/// A stack Update through the provisioner's handler that changes only the
/// role's Description; it must succeed.
pub async fn update_description(moto: &Moto) {
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let arn = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
    let mut updated = spec();
    updated["Description"] = json!("Atmosphere reads exports (v2)");
    let update = request(moto, "Update", "update-1", updated, Some(arn), Some(spec()));
    provisioner.handle(invoke_event(update)).await.unwrap();
    assert_eq!(moto.response("update-1").unwrap().0["Status"], "SUCCESS");
}

pub async fn guard(moto: &Moto, mode: RemediationMode) -> (Guard, CallLog) {
    let (clients, log) = logged_clients(&moto.sdk_config().await);
    let config = GuardConfig {
        default_remediation: mode,
        own_role_arns: vec![GUARD_ROLE_ARN.to_owned()],
        ..GuardConfig::default()
    };
    (Guard::new(clients, config), log)
}

pub async fn handle(guard: &Guard, event: Value) -> Value {
    guard
        .handle(invoke_event(event))
        .await
        .expect("the guard handles the event")
}

/// What IAM holds for a role, in a comparable form.
pub fn snapshot(moto: &Moto, role: &str) -> Value {
    let out = moto.python(&format!(
        "r = iam.get_role(RoleName={role:?})['Role']\n\
         p = {{n: iam.get_role_policy(RoleName={role:?}, PolicyName=n)['PolicyDocument'] for n in iam.list_role_policies(RoleName={role:?})['PolicyNames']}}\n\
         a = sorted(x['PolicyArn'] for x in iam.list_attached_role_policies(RoleName={role:?})['AttachedPolicies'])\n\
         i = sorted(x['InstanceProfileName'] for x in iam.list_instance_profiles_for_role(RoleName={role:?})['InstanceProfiles'])\n\
         print(json.dumps({{'Trust': r['AssumeRolePolicyDocument'], 'MaxSessionDuration': r.get('MaxSessionDuration'), \
         'Boundary': r.get('PermissionsBoundary', {{}}).get('PermissionsBoundaryArn'), 'Description': r.get('Description'), \
         'Tags': sorted((t['Key'], t['Value']) for t in r.get('Tags', [])), 'Policies': p, 'Attached': a, 'InstanceProfiles': i}}, default=str))"
    ));
    serde_json::from_str(&out).unwrap()
}

/// The role record the provisioner stored, decrypted: the sealed body.
pub fn record(moto: &Moto, role: &str) -> Value {
    let out = moto.python(&format!(
        "print(json.loads(ssm.get_parameter(Name='/rolegate/roles/{role}', WithDecryption=True)['Parameter']['Value'])['Body'])"
    ));
    serde_json::from_str(&out).unwrap()
}

/// The value of tag `key` in a [`snapshot`].
pub fn tag<'a>(snapshot: &'a Value, key: &str) -> Option<&'a str> {
    snapshot["Tags"]
        .as_array()?
        .iter()
        .find(|pair| pair[0] == key)
        .and_then(|pair| pair[1].as_str())
}

pub fn detail_types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// An emitted report's detail read through its typed event
/// (`rolegate_policy::events`), after checking its source and
/// detail-type: a change to the wire format fails here, naming the event,
/// rather than a key lookup quietly finding `null`.
pub fn report<T: serde::de::DeserializeOwned>(event: &Value, detail_type: &str) -> T {
    assert_eq!(
        event["source"],
        rolegate_policy::events::GUARD_SOURCE,
        "{event}"
    );
    assert_eq!(event["detail-type"], detail_type, "{event}");
    serde_json::from_value(event["detail"].clone())
        .unwrap_or_else(|e| panic!("{detail_type} does not read as its typed event ({e}): {event}"))
}
