//! The validator against moto's STS, directly (which admits anyone, as a
//! confused-deputy-prone role would) and through a loopback STS front that
//! enforces trust policies with Rolegate's evaluator.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod sts_front;

use std::time::{Duration, Instant};

use rolegate_test_harness::{Moto, invoke_event, provisioner, request, sdk_config};
use rolegate_validator::{Validator, ValidatorConfig};
use serde_json::{Value, json};
use sts_front::StsFront;

const VALIDATOR_ROLE: &str = "arn:aws:iam::966208727603:role/rolegate-validator";
const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/integrations/atmosphere-s3";

fn config(timeout_secs: u64) -> ValidatorConfig {
    ValidatorConfig {
        assume_timeout: Duration::from_secs(timeout_secs),
        ..ValidatorConfig::default()
    }
}

/// A validator whose STS calls go to `sts_endpoint`; SSM and EventBridge to moto.
async fn validator(moto: &Moto, sts_endpoint: &str, timeout_secs: u64) -> Validator {
    let mut validator = Validator::new(&moto.sdk_config().await, config(timeout_secs));
    validator.sts = rolegate_validator::probe::Sts::new(&sdk_config(sts_endpoint).await);
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
        "NotifyEventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"
    });
    let event = request(moto, "Create", "create-1", spec, None, None);
    provisioner.handle(invoke_event(event)).await.unwrap();
    assert_eq!(moto.response("create-1").unwrap().0["Status"], "SUCCESS");
    let events = moto.captured_events();
    assert_eq!(events.len(), 1, "{events:?}");
    events.into_iter().next().unwrap()
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
    (
        first["DetailType"].as_str().unwrap().to_owned(),
        first["Detail"].clone(),
    )
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

fn ready(role_arn: &str, external_id: &str) -> Value {
    json!({"version": "0", "id": "r-1", "detail-type": "Integration Role Ready", "source": "rolegate.provisioner",
           "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "resources": [],
           "detail": {"RoleArn": role_arn, "ExternalId": external_id, "Account": "123456789012"}})
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
    assert_eq!(detail["StsCalls"], 4);
    let statuses: Vec<&str> = detail["Checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["Passed"; 4]);
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
    let schedule = json!({"version": "0", "id": "s-1", "detail-type": "Scheduled Event", "source": "aws.events",
                          "account": "966208727603", "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [], "detail": {}});
    let (kind, _) = outcome(&validator, schedule).await;
    assert_eq!(kind, "Integration Validated");
    let command = json!({"version": "0", "id": "c-1", "detail-type": "Validate Integration Role", "source": "rolegate.validator.commands",
                         "account": "966208727603", "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [], "detail": {"RoleArn": ROLE_ARN}});
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
    let with_detail = |detail: Value| {
        json!({"version": "0", "id": "b", "detail-type": "Integration Role Ready", "source": "rolegate.provisioner",
               "account": "123456789012", "time": "2026-11-23T10:00:00Z", "region": "us-east-1", "resources": [], "detail": detail})
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
            with_detail(json!({"ExternalId": "abcdef123456"})),
            "detail.RoleArn: is required",
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
            with_detail(json!({"RoleArn": ROLE_ARN})),
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
