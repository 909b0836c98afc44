//! The validator against moto's STS, directly (which admits anyone, as a
//! confused-deputy-prone role would) and through a loopback STS front that
//! enforces trust policies with Rolegate's evaluator.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod sts_front;

use std::time::{Duration, Instant};

use rolegate_policy::events::{Status, ValidationOutcome};
use rolegate_test_harness::{Moto, invoke_event, provisioner, request, sdk_config};
use rolegate_validator::{Validator, ValidatorConfig};
use serde_json::{Value, json};
use sts_front::StsFront;

const VALIDATOR_ROLE: &str = "arn:aws:iam::966208727603:role/rolegate-validator";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";
/// The customer whose role it is, and another customer of the same vendor.
const A: &str = "123456789012";
const B: &str = "999988887777";
/// The rule on the vendor's command bus that wraps each command.
const COMMAND_RULE: &str =
    "arn:aws:events:us-east-1:966208727603:rule/rolegate-validator-commands/validate";
/// A trust policy that admits the validator's account with one ExternalId.
const EXTERNAL_ID: &str = "the-real-external-id-1234";

fn config(timeout_secs: u64) -> ValidatorConfig {
    ValidatorConfig {
        assume_timeout: Duration::from_secs(timeout_secs),
        ..ValidatorConfig::default()
    }
}

/// A validator whose STS calls go to `sts_endpoint`; SSM and EventBridge to moto.
async fn validator(moto: &Moto, sts_endpoint: &str, timeout_secs: u64) -> Validator {
    let mut validator = Validator::new(&moto.sdk_config().await, config(timeout_secs));
    validator.sts = rolegate_validator::sts::Sts::new(&sdk_config(sts_endpoint).await);
    validator
}

/// Provisions the Atmosphere role with the provisioner's code, notifying
/// moto's default bus; returns the `Integration Role Ready` event it sent.
async fn provisioned_ready_event(moto: &Moto) -> Value {
    moto.capture_events();
    let (provisioner, _) = provisioner(&moto.sdk_config().await);
    let spec = json!({
        "RoleName": "atmosphere-s3",
        "Trust": { "Principals": ["966208727603"] },
        "Grants": [ { "Service": "s3", "Access": "read", "Bucket": "atmosphere-exports" } ],
        "NotifyEventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default",
        "VendorTenantId": "tenant-42"
    });
    let event = request(moto, "Create", "create-1", spec, None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    assert_eq!(moto.response("create-1").unwrap().0["Status"], "SUCCESS");
    let events = moto.captured_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let mut event = events.into_iter().next().unwrap();
    // moto's EventBridge leaves the envelope's `account` out; the real one
    // always sets it to the sender's account, here the provisioner's.
    if event.get("account").is_none() {
        event["account"] = json!(rolegate_test_harness::ACCOUNT);
    }
    event
}

fn live_trust(moto: &Moto, role: &str) -> rolegate_policy::PolicyDocument {
    let out = moto.python(&format!(
        "print(json.dumps(iam.get_role(RoleName={role:?})['Role']['AssumeRolePolicyDocument']))"
    ));
    rolegate_policy::PolicyDocument::parse(&out).unwrap()
}

async fn outcome(validator: &Validator, event: Value) -> (String, Value) {
    let answer = validator.handle(invoke_event(event)).await.unwrap();
    let first = &answer["Outcomes"][0];
    typed(&first["Detail"]);
    (
        first["DetailType"].as_str().unwrap().to_owned(),
        first["Detail"].clone(),
    )
}

/// An outcome's detail read with the event's own reader: every outcome a
/// test sees passes through it, so writer and reader cannot disagree.
fn typed(detail: &Value) -> ValidationOutcome {
    serde_json::from_value(detail.clone())
        .unwrap_or_else(|e| panic!("not a ValidationOutcome ({e}): {detail}"))
}

fn create_role(moto: &Moto, name: &str, trust: &Value) -> String {
    moto.python(&format!(
        "print(iam.create_role(RoleName={name:?}, Path='/integrations/', AssumeRolePolicyDocument={trust})['Role']['Arn'])",
        trust = serde_json::to_string(&trust.to_string()).unwrap()
    ))
}

/// A role made directly in moto with `trust`, and an STS front that judges
/// AssumeRole on it by that trust policy.
async fn role_behind_front(moto: &Moto, name: &str, trust: &Value) -> (String, StsFront) {
    let arn = create_role(moto, name, trust);
    let front = StsFront::start(&moto.endpoint, VALIDATOR_ROLE).await;
    let trust = live_trust(moto, name);
    front.state.lock().unwrap().trust.insert(arn.clone(), trust);
    (arn, front)
}

/// A Ready event as `sender` puts it on the vendor bus (EventBridge sets
/// the envelope's `account`), with the detail the provisioner writes.
fn ready_from(sender: &str, detail: Value) -> Value {
    json!({"version": "0", "id": "r-1", "detail-type": "Integration Role Ready", "source": "rolegate.provisioner",
           "account": sender, "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "resources": [],
           "detail": detail})
}

/// The detail the provisioner writes for `role_arn`, claiming `account`.
fn ready_detail(role_arn: &str, external_id: &str, account: &str) -> Value {
    let name = role_arn.rsplit('/').next().unwrap();
    json!({"RoleArn": role_arn, "RoleName": name, "ExternalId": external_id, "Account": account,
           "Region": "us-east-1", "PolicyDigest": "0f".repeat(32),
           "Grants": [{"Service": "s3", "Resource": "s3://atmosphere-exports"}]})
}

fn ready(role_arn: &str, external_id: &str) -> Value {
    ready_from(A, ready_detail(role_arn, external_id, A))
}

/// A `Validate Integration Role` event as the vendor puts it on a bus.
fn bare_command(role_arn: &str) -> Value {
    json!({"version": "0", "id": "c-1", "detail-type": "Validate Integration Role", "source": "rolegate.validator.commands",
           "account": "966208727603", "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [],
           "detail": {"RoleArn": role_arn}})
}

/// The command as the rule `rule` delivers it (its input transformer).
fn wrapped(rule: &str, command: Value) -> Value {
    json!({"CommandBusRule": rule, "Command": command})
}

fn schedule() -> Value {
    json!({"version": "0", "id": "s-1", "detail-type": "Scheduled Event", "source": "aws.events",
           "account": "966208727603", "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [], "detail": {}})
}

/// The trust policy of a correct integration role: the validator's account,
/// with `EXTERNAL_ID`.
fn vendor_trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::966208727603:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]})
}

/// A stored parameter's value, or `None`.
fn parameter(moto: &Moto, name: &str) -> Option<Value> {
    let out = moto.python(&format!(
        "try:\n    print(ssm.get_parameter(Name={name:?}, WithDecryption=True)['Parameter']['Value'])\nexcept ssm.exceptions.ParameterNotFound:\n    print('null')"
    ));
    serde_json::from_str::<Option<Value>>(&out).unwrap()
}

/// Every parameter name under `path`.
fn parameters_under(moto: &Moto, path: &str) -> Vec<String> {
    let out = moto.python(&format!(
        "print(json.dumps([p['Name'] for p in ssm.get_parameters_by_path(Path={path:?}, Recursive=True)['Parameters']]))"
    ));
    serde_json::from_str(&out).unwrap()
}

/// Every outcome of one invocation, as (detail-type, detail).
async fn outcomes(validator: &Validator, event: Value) -> Vec<(String, Value)> {
    let answer = validator.handle(invoke_event(event)).await.unwrap();
    answer["Outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            typed(&o["Detail"]);
            (
                o["DetailType"].as_str().unwrap().to_owned(),
                o["Detail"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_correct_role_is_validated_then_revalidated_by_schedule_and_command() {
    let moto = Moto::start();
    let ready_event = provisioned_ready_event(&moto).await;
    let external_id = ready_event["detail"]["ExternalId"]
        .as_str()
        .unwrap()
        .to_owned();
    let front = StsFront::start(&moto.endpoint, VALIDATOR_ROLE).await;
    front
        .state
        .lock()
        .unwrap()
        .trust
        .insert(ROLE_ARN.into(), live_trust(&moto, "atmosphere-s3"));
    let validator = validator(&moto, &front.endpoint, 10).await;

    let (kind, detail) = outcome(&validator, ready_event).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    let detail = typed(&detail);
    assert_eq!(detail.sts_calls, 4);
    let statuses: Vec<Status> = detail.checks.unwrap().iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Status::Passed; 4]);
    assert_eq!(
        front.state.lock().unwrap().calls,
        [
            "AssumeRole",
            "GetCallerIdentity",
            "AssumeRole",
            "AssumeRole"
        ]
    );

    // The schedule re-validates what the Ready event stored; a command
    // needs no ExternalId for a stored role.
    let (kind, _) = outcome(&validator, schedule()).await;
    assert_eq!(kind, "Integration Validated");
    let command = wrapped(COMMAND_RULE, bare_command(ROLE_ARN));
    let (kind, _) = outcome(&validator, command).await;
    assert_eq!(kind, "Integration Validated");

    let emitted = serde_json::to_string(&moto.captured_events()).unwrap();
    assert_eq!(emitted.matches("Integration Validated").count(), 3);
    assert!(
        !emitted.contains(&external_id),
        "an outcome leaked the ExternalId"
    );
    assert!(
        !emitted.contains("SessionToken") && !emitted.contains("ASIA"),
        "credentials leaked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_assumable_without_the_external_id_is_rejected() {
    // moto's STS admits every caller: exactly a confused-deputy-prone role.
    let moto = Moto::start();
    let ready_event = provisioned_ready_event(&moto).await;
    let validator = validator(&moto, &moto.endpoint, 10).await;
    let (kind, detail) = outcome(&validator, ready_event).await;
    assert_eq!(kind, "Integration Rejected", "{detail}");
    let reason = detail["Reason"].as_str().unwrap();
    assert!(reason.starts_with("DeniedWithoutExternalId"), "{reason}");
    assert!(reason.contains("confused deputy"), "{reason}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_accepting_a_wrong_external_id_is_rejected() {
    let moto = Moto::start();
    moto.capture_events();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::966208727603:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringLike": {"sts:ExternalId": "*"}}}]});
    let (arn, front) = role_behind_front(&moto, "lenient", &trust).await;
    let validator = validator(&moto, &front.endpoint, 10).await;
    let (kind, detail) = outcome(&validator, ready(&arn, "the-real-external-id-1234")).await;
    assert_eq!(kind, "Integration Rejected", "{detail}");
    let checks = detail["Checks"].as_array().unwrap();
    assert_eq!(
        checks[2]["Status"], "Passed",
        "no ExternalId is still refused: {detail}"
    );
    assert_eq!(checks[3]["Check"], "DeniedWithWrongExternalId");
    assert_eq!(checks[3]["Status"], "Failed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_session_that_is_not_the_role_is_rejected() {
    let moto = Moto::start();
    let ready_event = provisioned_ready_event(&moto).await;
    let front = StsFront::start(&moto.endpoint, VALIDATOR_ROLE).await;
    {
        let mut state = front.state.lock().unwrap();
        state
            .trust
            .insert(ROLE_ARN.into(), live_trust(&moto, "atmosphere-s3"));
        state.lie_about_identity = Some(
            "arn:aws:sts::123456789012:assumed-role/some-other-role/rolegate-validator".into(),
        );
    }
    let validator = validator(&moto, &front.endpoint, 10).await;
    let (kind, detail) = outcome(&validator, ready_event).await;
    assert_eq!(kind, "Integration Rejected", "{detail}");
    assert!(
        detail["Reason"]
            .as_str()
            .unwrap()
            .starts_with("CallerIdentity"),
        "{detail}"
    );
    assert_eq!(detail["Checks"][2]["Status"], "Skipped");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_that_never_becomes_assumable_times_out_within_the_limit() {
    let moto = Moto::start();
    moto.capture_events();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "the-real-external-id-1234"}}}]});
    let (arn, front) = role_behind_front(&moto, "someone-elses", &trust).await;
    let validator = validator(&moto, &front.endpoint, 3).await;
    let started = Instant::now();
    let (kind, detail) = outcome(&validator, ready(&arn, "the-real-external-id-1234")).await;
    let took = started.elapsed();
    assert_eq!(kind, "Integration Rejected", "{detail}");
    let reason = detail["Reason"].as_str().unwrap();
    assert!(
        reason.contains("did not become assumable") && reason.contains("within 3 s"),
        "{reason}"
    );
    assert!(
        took < Duration::from_secs(3 + 5),
        "the limit holds: {took:?}"
    );
    let attempts = front.state.lock().unwrap().calls.len();
    assert!(attempts >= 2, "it retried: {attempts}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_events_are_rejected_with_a_reason_and_no_sts_call() {
    let moto = Moto::start();
    moto.capture_events();
    let front = StsFront::start(&moto.endpoint, VALIDATOR_ROLE).await;
    let validator = validator(&moto, &front.endpoint, 3).await;
    // The provisioner's detail with `changes` laid over it (null: left out).
    let with_detail = |changes: Value| {
        let detail = match changes {
            Value::Object(changes) => {
                let mut detail = ready_detail(ROLE_ARN, "abcdef123456", A);
                for (key, value) in changes {
                    detail[key] = value;
                }
                detail
            }
            other => other,
        };
        ready_from(A, detail)
    };
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "not JSON object",
            json!("ready"),
            "event: not an EventBridge event",
        ),
        (
            "no source",
            json!({"detail-type": "Integration Role Ready", "detail": {}}),
            "event: not an EventBridge event",
        ),
        (
            "foreign event",
            json!({"source": "acme", "detail-type": "Order Placed", "detail": {}}),
            "source/detail-type",
        ),
        (
            "detail not an object",
            with_detail(json!([1])),
            "detail: must be an object",
        ),
        (
            "no RoleArn",
            with_detail(json!({"RoleArn": null})),
            "detail.RoleArn: is required",
        ),
        (
            "no Grants",
            with_detail(json!({"Grants": null})),
            "detail.Grants: is required",
        ),
        (
            "VendorTenantId with a space",
            with_detail(json!({"VendorTenantId": "acme corp"})),
            "detail.VendorTenantId",
        ),
        (
            "RoleArn not a string",
            with_detail(json!({"RoleArn": 7, "ExternalId": "abcdef123456"})),
            "detail.RoleArn: must be a non-empty string",
        ),
        (
            "RoleArn not an ARN",
            with_detail(json!({"RoleArn": "atmosphere-s3", "ExternalId": "abcdef123456"})),
            "is not an ARN",
        ),
        (
            "RoleArn of a user",
            with_detail(
                json!({"RoleArn": "arn:aws:iam::123456789012:user/alice", "ExternalId": "abcdef123456"}),
            ),
            "is not an IAM role ARN",
        ),
        (
            "RoleArn without account",
            with_detail(json!({"RoleArn": "arn:aws:iam:::role/x", "ExternalId": "abcdef123456"})),
            "12-digit account",
        ),
        (
            "Account mismatch",
            with_detail(
                json!({"RoleArn": ROLE_ARN, "ExternalId": "abcdef123456", "Account": "999988887777"}),
            ),
            "detail.Account",
        ),
        (
            "no ExternalId",
            with_detail(json!({"ExternalId": null})),
            "detail.ExternalId: is required",
        ),
        (
            "empty ExternalId",
            with_detail(json!({"RoleArn": ROLE_ARN, "ExternalId": ""})),
            "detail.ExternalId: must be a non-empty string",
        ),
        (
            "ExternalId with bad characters",
            with_detail(json!({"RoleArn": ROLE_ARN, "ExternalId": "bad id with spaces"})),
            "detail.ExternalId",
        ),
    ];
    assert!(cases.len() >= 10);
    for (what, event, expected) in &cases {
        let (kind, detail) = outcome(&validator, event.clone()).await;
        assert_eq!(kind, "Integration Rejected", "{what}");
        let reason = detail["Reason"].as_str().unwrap_or_default();
        assert!(reason.contains(expected), "{what}: {reason}");
    }
    assert!(
        front.state.lock().unwrap().calls.is_empty(),
        "no STS call for bad input"
    );
    assert_eq!(
        moto.captured_events().len(),
        cases.len(),
        "one Integration Rejected each"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ready_event_from_another_account_naming_a_role_in_a_is_rejected_before_any_sts_call_and_leaves_as_integration_unchanged()
 {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = validator(&moto, &front.endpoint, 10).await;

    // A's own registration is stored under A's key and validated.
    let (kind, detail) = outcome(&validator, ready(&arn, EXTERNAL_ID)).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    assert_eq!(detail["SenderAccount"], A);
    let key = format!("/rolegate/integrations/{A}/{A}/atmosphere-s3");
    let stored = parameter(&moto, &key).expect("A's integration is stored under A's key");
    assert_eq!(stored["ExternalId"], EXTERNAL_ID);
    assert_eq!(stored["SenderAccount"], A);
    let sts_calls = front.state.lock().unwrap().calls.len();
    moto.captured_events();

    // Account B announces A's role with an ExternalId of its choosing,
    // whether its detail claims account A or owns up to B.
    for claimed in [A, B] {
        let hijack = ready_from(B, ready_detail(&arn, "chosen-by-account-b-0000", claimed));
        let (kind, detail) = outcome(&validator, hijack).await;
        assert_eq!(kind, "Integration Rejected", "{detail}");
        assert_eq!(detail["FailedCheck"], "SenderAccount", "{detail}");
        assert_eq!(detail["Code"], "REGISTRATION_ACCOUNT_MISMATCH", "{detail}");
        assert_eq!(detail["SenderAccount"], B);
        assert_eq!(detail["Account"], A);
        assert_eq!(detail["StsCalls"], 0);
        let reason = detail["Reason"].as_str().unwrap();
        assert!(reason.contains(B) && reason.contains(A), "{reason}");
    }

    // Nothing was assumed, nothing overwritten, nothing written for B.
    assert_eq!(front.state.lock().unwrap().calls.len(), sts_calls);
    assert_eq!(parameter(&moto, &key), Some(stored));
    assert_eq!(parameters_under(&moto, "/rolegate/integrations"), [key]);
    // The rejection is on the vendor bus, with the code an alarm matches.
    let emitted = moto.captured_events();
    assert_eq!(emitted.len(), 2, "{emitted:?}");
    assert!(
        emitted
            .iter()
            .all(|e| e["detail-type"] == "Integration Rejected"
                && e["detail"]["Code"] == "REGISTRATION_ACCOUNT_MISMATCH"),
        "{emitted:?}"
    );
    assert!(
        !serde_json::to_string(&emitted)
            .unwrap()
            .contains("chosen-by-account-b"),
        "the refused ExternalId is not echoed"
    );

    // The schedule still validates A's integration with A's ExternalId.
    let all = outcomes(&validator, schedule()).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, "Integration Validated", "{:?}", all[0].1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bare_validate_command_or_one_from_another_bus_is_ignored_without_sts_calls_or_events() {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = validator(&moto, &front.endpoint, 3).await;
    let mut command = bare_command(&arn);
    command["detail"]["ExternalId"] = json!(EXTERNAL_ID);

    for (what, payload, code) in [
        ("bare", command.clone(), "COMMAND_NOT_FROM_COMMAND_BUS"),
        (
            "from a rule on the customer-facing vendor bus",
            wrapped(
                "arn:aws:events:us-east-1:966208727603:rule/rolegate/validate",
                command.clone(),
            ),
            "COMMAND_FROM_ANOTHER_BUS",
        ),
        (
            "from a rule on the default bus",
            wrapped(
                "arn:aws:events:us-east-1:966208727603:rule/validate",
                command.clone(),
            ),
            "COMMAND_FROM_ANOTHER_BUS",
        ),
    ] {
        let answer = validator
            .handle(invoke_event(payload))
            .await
            .unwrap_or_else(|e| panic!("{what}: not a Lambda error, so not retried: {e}"));
        assert_eq!(answer["Code"], code, "{what}: {answer}");
        assert!(answer["Refused"].is_string(), "{what}: {answer}");
        assert!(answer.get("Outcomes").is_none(), "{what}: {answer}");
    }
    assert!(front.state.lock().unwrap().calls.is_empty());
    assert!(moto.captured_events().is_empty());

    // The same command through the command bus's rule is validated.
    let (kind, detail) = outcome(&validator, wrapped(COMMAND_RULE, command)).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
}

#[tokio::test(flavor = "multi_thread")]
async fn vendor_tenant_id_travels_from_the_spec_through_the_ready_event_to_the_stored_integration_and_every_outcome()
 {
    let moto = Moto::start();
    let ready_event = provisioned_ready_event(&moto).await;
    assert_eq!(ready_event["detail"]["VendorTenantId"], "tenant-42");
    assert_eq!(ready_event["detail"]["Account"], A);
    let front = StsFront::start(&moto.endpoint, VALIDATOR_ROLE).await;
    front
        .state
        .lock()
        .unwrap()
        .trust
        .insert(ROLE_ARN.into(), live_trust(&moto, "atmosphere-s3"));
    let validator = validator(&moto, &front.endpoint, 10).await;

    let (kind, detail) = outcome(&validator, ready_event).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    assert_eq!(detail["VendorTenantId"], "tenant-42");
    let stored = parameter(
        &moto,
        &format!("/rolegate/integrations/{A}/{A}/atmosphere-s3"),
    );
    let stored = stored.expect("stored under the sender's key");
    assert_eq!(stored["VendorTenantId"], "tenant-42");
    assert_eq!(stored["SenderAccount"], A);

    let (_, detail) = outcome(&validator, schedule()).await;
    assert_eq!(detail["VendorTenantId"], "tenant-42");
    let (_, detail) = outcome(&validator, wrapped(COMMAND_RULE, bare_command(ROLE_ARN))).await;
    assert_eq!(detail["VendorTenantId"], "tenant-42");
    assert_eq!(detail["SenderAccount"], A);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_integration_stored_before_sender_binding_is_still_revalidated_until_a_bound_registration_supersedes_it()
 {
    let moto = Moto::start();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = validator(&moto, &front.endpoint, 10).await;
    let old_key = format!("/rolegate/integrations/{A}/atmosphere-s3");
    let old_value = json!({"RoleArn": arn, "ExternalId": EXTERNAL_ID}).to_string();
    moto.python(&format!(
        "ssm.put_parameter(Name={old_key:?}, Value={old_value:?}, Type='SecureString')"
    ));

    // The old entry is read by the schedule and by a command.
    let all = outcomes(&validator, schedule()).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, "Integration Validated", "{:?}", all[0].1);
    assert!(all[0].1["SenderAccount"].is_null(), "no sender is known");
    let (kind, _) = outcome(&validator, wrapped(COMMAND_RULE, bare_command(&arn))).await;
    assert_eq!(kind, "Integration Validated");

    // A's next registration is stored bound; the old entry is kept but no
    // longer validated on its own.
    let (kind, _) = outcome(&validator, ready(&arn, EXTERNAL_ID)).await;
    assert_eq!(kind, "Integration Validated");
    assert!(parameter(&moto, &old_key).is_some());
    let all = outcomes(&validator, schedule()).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].1["SenderAccount"], A);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_entry_that_disagrees_with_its_key_is_rejected_by_the_schedule() {
    let moto = Moto::start();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = validator(&moto, &front.endpoint, 10).await;
    // A's role under B's key: written around the validator, never by it.
    let key = format!("/rolegate/integrations/{B}/{B}/atmosphere-s3");
    let value = json!({"RoleArn": arn, "ExternalId": EXTERNAL_ID, "SenderAccount": B}).to_string();
    moto.python(&format!(
        "ssm.put_parameter(Name={key:?}, Value={value:?}, Type='SecureString')"
    ));
    let all = outcomes(&validator, schedule()).await;
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].0, "Integration Rejected");
    assert!(
        all[0].1["Reason"].as_str().unwrap().contains(&key),
        "{:?}",
        all[0].1
    );
    assert!(front.state.lock().unwrap().calls.is_empty());
}

// ---------------------------------------------------------------- registry
// The registry (DynamoDB) and the validation queue (SQS), both on moto.

const QUEUE: &str = "rolegate-validation";

/// The registry table as the template declares it, and the queue; a
/// validator that uses both, with STS at `sts_endpoint`. Nothing is
/// fresh, so every record is due at every cycle.
async fn registry_validator(moto: &Moto, sts_endpoint: &str, timeout_secs: u64) -> Validator {
    let url = moto.python(&format!(
        "ddb = boto3.client('dynamodb', **kw)\n\
         ddb.create_table(TableName='rolegate-registry', BillingMode='PAY_PER_REQUEST',\n    \
         KeySchema=[{{'AttributeName': 'pk', 'KeyType': 'HASH'}}, {{'AttributeName': 'sk', 'KeyType': 'RANGE'}}],\n    \
         AttributeDefinitions=[{{'AttributeName': 'pk', 'AttributeType': 'S'}}, {{'AttributeName': 'sk', 'AttributeType': 'S'}}])\n\
         print(sqs.create_queue(QueueName={QUEUE:?})['QueueUrl'])"
    ));
    let config = ValidatorConfig {
        registry_table: Some("rolegate-registry".into()),
        queue_url: Some(url),
        fresh_for: Duration::ZERO,
        ..config(timeout_secs)
    };
    let mut validator = Validator::new(&moto.sdk_config().await, config);
    validator.sts = rolegate_validator::sts::Sts::new(&sdk_config(sts_endpoint).await);
    validator
}

/// The registry record of `role_arn`, as stored, or null.
fn registry_item(moto: &Moto, role_arn: &str) -> Value {
    let out = moto.python(&format!(
        "ddb = boto3.client('dynamodb', **kw)\n\
         item = ddb.get_item(TableName='rolegate-registry', Key={{'pk': {{'S': 'account#' + {role_arn:?}.split(':')[4]}}, 'sk': {{'S': 'role#' + {role_arn:?}}}}}).get('Item')\n\
         print(json.dumps(item and {{k: list(v.values())[0] for k, v in item.items()}}))"
    ));
    serde_json::from_str(&out).unwrap()
}

/// Every message on the validation queue, as the event source mapping
/// would hand them to the validator: an SQS batch event.
fn queued_batch(moto: &Moto) -> Value {
    let out = moto.python(&format!(
        "q = sqs.get_queue_url(QueueName={QUEUE:?})['QueueUrl']\n\
         got = []\n\
         while True:\n    m = sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10).get('Messages', [])\n    \
         if not m: break\n    \
         for x in m:\n        got.append({{'messageId': x['MessageId'], 'receiptHandle': x['ReceiptHandle'], 'body': x['Body'], 'eventSource': 'aws:sqs'}}); sqs.delete_message(QueueUrl=q, ReceiptHandle=x['ReceiptHandle'])\n\
         print(json.dumps({{'Records': got}}))"
    ));
    serde_json::from_str(&out).unwrap()
}

fn sqs_record(message_id: &str, body: &str) -> Value {
    json!({"messageId": message_id, "receiptHandle": "r", "body": body, "eventSource": "aws:sqs"})
}

/// Puts A's integration in the SSM store, as a validator before the
/// registry kept it, and migrates it: a record never validated.
async fn migrated(moto: &Moto, validator: &Validator, arn: &str) {
    let key = format!(
        "/rolegate/integrations/{A}/{A}/{}",
        arn.rsplit('/').next().unwrap()
    );
    let value = json!({"RoleArn": arn, "ExternalId": EXTERNAL_ID, "SenderAccount": A, "VendorTenantId": "tenant-42"}).to_string();
    moto.python(&format!(
        "ssm.put_parameter(Name={key:?}, Value={value:?}, Type='SecureString')"
    ));
    let migration = json!({"RolegateMigration": "ssm-to-registry"});
    let answer = validator
        .handle(invoke_event(migration.clone()))
        .await
        .unwrap();
    assert_eq!(answer["Migrated"], 1, "{answer}");
    // A second run changes nothing.
    let again = validator.handle(invoke_event(migration)).await.unwrap();
    assert_eq!(
        (
            again["Migrated"].clone(),
            again["AlreadyRegistered"].clone()
        ),
        (json!(0), json!(1)),
        "{again}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_with_a_malformed_message_an_unknown_integration_a_duplicate_and_a_good_one_reports_no_failure_and_validates_once()
 {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = registry_validator(&moto, &front.endpoint, 10).await;
    migrated(&moto, &validator, &arn).await;
    let before = registry_item(&moto, &arn);
    assert_eq!(before["ExternalId"], EXTERNAL_ID);
    assert!(before.get("LastValidated").is_none(), "{before}");

    // The schedule enqueues the one due integration.
    let answer = validator.handle(invoke_event(schedule())).await.unwrap();
    assert_eq!(answer["Enqueued"], 1, "{answer}");
    let batch = queued_batch(&moto);
    let good = batch["Records"][0]["body"].as_str().unwrap().to_owned();
    let unknown = good.replace("atmosphere-s3", "nobody-registered-this");
    let payload = json!({"Records": [
        sqs_record("m-malformed", "{\"RoleArn\": 7}"),
        sqs_record("m-unknown", &unknown),
        sqs_record("m-good", &good),
        sqs_record("m-duplicate", &good),
    ]});
    let answer = validator.handle(invoke_event(payload)).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": []}),
        "nothing comes again"
    );

    // One validation: the good message's four STS calls, not eight.
    assert_eq!(front.state.lock().unwrap().calls.len(), 4);
    let after = registry_item(&moto, &arn);
    assert_eq!(after["LastOutcome"], "Validated", "{after}");
    assert_eq!(after["ConsecutiveFailures"], "0");
    assert_eq!(after["FirstSeen"], before["FirstSeen"]);
    let emitted = moto.captured_events();
    let kinds: Vec<(&str, &str)> = emitted
        .iter()
        .map(|e| {
            (
                e["detail-type"].as_str().unwrap(),
                e["detail"]["Reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(emitted.len(), 3, "{kinds:?}");
    assert!(
        kinds
            .iter()
            .any(|(k, r)| *k == "Integration Rejected" && r.starts_with("message RoleArn: ")),
        "{kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .any(|(k, r)| *k == "Integration Rejected" && r.contains("is not in the registry")),
        "{kinds:?}"
    );
    assert!(
        kinds.iter().any(|(k, _)| *k == "Integration Validated"),
        "{kinds:?}"
    );
    for event in &emitted {
        typed(&event["detail"]);
    }

    // The good message delivered again (SQS is at least once): nothing.
    let again = json!({"Records": [sqs_record("m-good", &good)]});
    let answer = validator.handle(invoke_event(again)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(
        front.state.lock().unwrap().calls.len(),
        4,
        "not validated twice"
    );
    assert!(moto.captured_events().is_empty());
    assert_eq!(registry_item(&moto, &arn)["Version"], after["Version"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_failing_two_cycles_raises_one_integration_rejected_and_counts_two_failures() {
    let moto = Moto::start();
    moto.capture_events();
    // The role trusts another account: never assumable by the validator.
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": EXTERNAL_ID}}}]});
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &trust).await;
    let validator = registry_validator(&moto, &front.endpoint, 1).await;
    migrated(&moto, &validator, &arn).await;

    let mut first_failure = None;
    for cycle in 0..2 {
        // Timestamps are to the second: a cycle enqueued in the second of
        // the previous validation would find it fresh (a duplicate).
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let answer = validator.handle(invoke_event(schedule())).await.unwrap();
        assert_eq!(answer["Enqueued"], 1, "cycle {cycle}: {answer}");
        let answer = validator
            .handle(invoke_event(queued_batch(&moto)))
            .await
            .unwrap();
        assert_eq!(answer, json!({"batchItemFailures": []}), "cycle {cycle}");
        let item = registry_item(&moto, &arn);
        assert_eq!(item["LastOutcome"], "Rejected", "{item}");
        assert_eq!(item["FailedCheck"], "AssumeWithExternalId", "{item}");
        assert_eq!(
            item["ConsecutiveFailures"],
            (cycle + 1).to_string(),
            "{item}"
        );
        let since = item["FailingSince"].clone();
        assert_eq!(
            since,
            *first_failure.get_or_insert(since.clone()),
            "failing since the first"
        );
    }
    let emitted = moto.captured_events();
    assert_eq!(
        emitted.len(),
        1,
        "one Integration Rejected, not one a cycle: {emitted:?}"
    );
    assert_eq!(emitted[0]["detail-type"], "Integration Rejected");
    assert_eq!(emitted[0]["detail"]["FailedCheck"], "AssumeWithExternalId");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_registry_a_ready_event_upserts_its_record_and_a_command_reads_it() {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = registry_validator(&moto, &front.endpoint, 10).await;

    let (kind, detail) = outcome(&validator, ready(&arn, EXTERNAL_ID)).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    let item = registry_item(&moto, &arn);
    assert_eq!(item["pk"], format!("account#{A}"));
    assert_eq!(item["sk"], format!("role#{arn}"));
    assert_eq!(item["SenderAccount"], A);
    assert_eq!(item["LastOutcome"], "Validated");
    assert!(
        parameters_under(&moto, "/rolegate/integrations").is_empty(),
        "nothing written to SSM"
    );
    // A command without an ExternalId takes the registry's.
    let (kind, detail) = outcome(&validator, wrapped(COMMAND_RULE, bare_command(&arn))).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    assert_eq!(detail["SenderAccount"], A);
    let again = registry_item(&moto, &arn);
    assert_eq!(again["FirstSeen"], item["FirstSeen"]);
    assert_ne!(
        again["Version"], item["Version"],
        "the command's outcome is recorded"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_whose_event_cannot_be_sent_comes_again_unrecorded_and_its_outcome_is_not_lost() {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let mut validator = registry_validator(&moto, &front.endpoint, 10).await;
    migrated(&moto, &validator, &arn).await;
    let answer = validator.handle(invoke_event(schedule())).await.unwrap();
    assert_eq!(answer["Enqueued"], 1, "{answer}");
    let body = queued_batch(&moto)["Records"][0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = json!({"Records": [sqs_record("m-1", &body)]});

    // The vendor bus refuses the event: the message must come again, and
    // the registry must not say it was validated.
    validator.config.event_bus = "no-such-bus".into();
    let answer = validator.handle(invoke_event(batch.clone())).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]})
    );
    assert!(
        registry_item(&moto, &arn).get("LastValidated").is_none(),
        "not recorded before its event went out"
    );

    // Delivered again with the bus back: validated, recorded, emitted once.
    validator.config.event_bus = "default".into();
    let answer = validator.handle(invoke_event(batch)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(registry_item(&moto, &arn)["LastOutcome"], "Validated");
    let emitted = moto.captured_events();
    assert_eq!(emitted.len(), 1, "{emitted:?}");
    assert_eq!(emitted[0]["detail-type"], "Integration Validated");
    assert_eq!(emitted[0]["detail"]["Trigger"], "queue");
}

#[tokio::test(flavor = "multi_thread")]
async fn sts_throttling_slows_a_queued_validation_and_never_rejects_the_role() {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = registry_validator(&moto, &front.endpoint, 2).await;
    migrated(&moto, &validator, &arn).await;
    let answer = validator.handle(invoke_event(schedule())).await.unwrap();
    assert_eq!(answer["Enqueued"], 1, "{answer}");
    let body = queued_batch(&moto)["Records"][0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let batch = json!({"Records": [sqs_record("m-1", &body)]});

    front.state.lock().unwrap().throttle = true;
    let answer = validator.handle(invoke_event(batch.clone())).await.unwrap();
    assert_eq!(
        answer,
        json!({"batchItemFailures": [{"itemIdentifier": "m-1"}]}),
        "the message comes again"
    );
    assert!(registry_item(&moto, &arn).get("LastOutcome").is_none());
    assert!(moto.captured_events().is_empty(), "no Integration Rejected");

    front.state.lock().unwrap().throttle = false;
    let answer = validator.handle(invoke_event(batch)).await.unwrap();
    assert_eq!(answer, json!({"batchItemFailures": []}));
    assert_eq!(registry_item(&moto, &arn)["LastOutcome"], "Validated");
    assert_eq!(moto.captured_events().len(), 1);
}

/// An `Integration Role Removed` as `sender` puts it on the vendor bus.
fn removed_from(sender: &str, role_arn: &str, account: &str) -> Value {
    let name = role_arn.rsplit('/').next().unwrap();
    json!({"version": "0", "id": "x-1", "detail-type": "Integration Role Removed", "source": "rolegate.provisioner",
           "account": sender, "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [],
           "detail": {"RoleArn": role_arn, "RoleName": name, "Account": account, "Region": "us-east-1"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_removed_event_from_the_roles_account_deletes_its_record_and_one_from_another_account_deletes_nothing()
 {
    let moto = Moto::start();
    moto.capture_events();
    let (arn, front) = role_behind_front(&moto, "atmosphere-s3", &vendor_trust()).await;
    let validator = registry_validator(&moto, &front.endpoint, 10).await;
    let (kind, detail) = outcome(&validator, ready(&arn, EXTERNAL_ID)).await;
    assert_eq!(kind, "Integration Validated", "{detail}");
    let calls = front.state.lock().unwrap().calls.len();
    moto.captured_events();

    // Another account, claiming to be A or itself: refused, kept.
    for claimed in [A, "999988887777"] {
        let answer = validator
            .handle(invoke_event(removed_from("999988887777", &arn, claimed)))
            .await
            .unwrap();
        assert_eq!(answer["Removed"], false, "{answer}");
        assert_eq!(answer["Code"], "REGISTRATION_ACCOUNT_MISMATCH", "{answer}");
        assert!(!registry_item(&moto, &arn).is_null(), "the record is kept");
    }

    // The role's own account: the record is gone, so the next cycle
    // enqueues nothing for it.
    let answer = validator
        .handle(invoke_event(removed_from(A, &arn, A)))
        .await
        .unwrap();
    assert_eq!(answer, json!({"Removed": true, "RoleArn": arn}));
    assert!(registry_item(&moto, &arn).is_null());
    let cycle = validator.handle(invoke_event(schedule())).await.unwrap();
    assert_eq!(cycle["Enqueued"], 0, "{cycle}");
    // Delivered twice: nothing left to remove, no error.
    let again = validator
        .handle(invoke_event(removed_from(A, &arn, A)))
        .await
        .unwrap();
    assert_eq!(again["Removed"], false, "{again}");
    assert_eq!(
        front.state.lock().unwrap().calls.len(),
        calls,
        "a removal calls no STS"
    );
    assert!(moto.captured_events().is_empty(), "and emits nothing");
}
