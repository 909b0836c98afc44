//! Event parsing, offline: every committed sample under events/guard parses
//! to what its name says, and bad events are refused naming the field.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::PathBuf;

use rolegate_guard::GuardConfig;
use rolegate_guard::event::{Command, GuardEvent, Parsed, Target, parse};
use serde_json::{Value, json};

fn config() -> GuardConfig {
    GuardConfig {
        own_role_arns: vec!["arn:aws:iam::123456789012:role/rolegate-guard".into()],
        ..GuardConfig::default()
    }
}

fn samples() -> Vec<(String, Value)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events/guard");
    let mut out = Vec::new();
    for dir in [root.clone(), root.join("cloudtrail"), root.join("commands")] {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "json") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                let value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                out.push((name, value));
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn every_sample_event_parses_to_what_its_name_says() {
    let samples = samples();
    assert_eq!(
        samples.len(),
        14,
        "{:?}",
        samples.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (name, value) in samples {
        let parsed = parse(value, &config()).unwrap_or_else(|e| panic!("{name}: {e}"));
        match name.as_str() {
            "cloudtrail/put-role-policy-by-rolegate-guard.json" => {
                assert!(
                    matches!(&parsed, Parsed::Ignore { why } if why.contains("own role")),
                    "{name}: {parsed:?}"
                )
            }
            "cloudtrail/put-role-policy-denied.json" => {
                assert!(
                    matches!(&parsed, Parsed::Ignore { why } if why.contains("AccessDenied")),
                    "{name}: {parsed:?}"
                )
            }
            "cloudtrail/create-policy-version.json" => assert!(
                matches!(&parsed, Parsed::Act { event: GuardEvent::IamChange { target: Target::Policy(arn), .. }, .. } if arn.ends_with(":policy/broad-access")),
                "{name}: {parsed:?}"
            ),
            n if n.starts_with("cloudtrail/") => assert!(
                matches!(&parsed, Parsed::Act { id: Some(_), event: GuardEvent::IamChange { target: Target::Role(r), .. } } if r == "atmosphere-s3"),
                "{name}: {parsed:?}"
            ),
            "sweep.json" => assert!(matches!(
                parsed,
                Parsed::Act {
                    event: GuardEvent::Sweep,
                    ..
                }
            )),
            "commands/revoke.json" => assert!(matches!(
                &parsed,
                Parsed::Act { event: GuardEvent::Command(Command::Revoke { role, reason }), .. } if role == "atmosphere-s3" && !reason.is_empty()
            )),
            "commands/restore.json" => assert!(
                matches!(
                    &parsed,
                    Parsed::Act { event: GuardEvent::Command(Command::Restore { role }), .. } if role == "atmosphere-s3"
                ),
                "restore names the role by ARN: {parsed:?}"
            ),
            "commands/validate.json" => assert!(matches!(
                &parsed,
                Parsed::Act {
                    event: GuardEvent::Command(Command::Validate { .. }),
                    ..
                }
            )),
            other => panic!("no expectation for sample {other}"),
        }
    }
}

fn cloudtrail(detail_patch: Value) -> Value {
    let mut event = samples()
        .into_iter()
        .find(|(n, _)| n == "cloudtrail/put-role-policy-wildcard.json")
        .unwrap()
        .1;
    for (k, v) in detail_patch.as_object().unwrap() {
        if v.is_null() {
            event["detail"].as_object_mut().unwrap().remove(k);
        } else {
            event["detail"][k] = v.clone();
        }
    }
    event
}

const COMMAND_RULE: &str =
    "arn:aws:events:us-east-1:123456789012:rule/rolegate-commands/rolegate-guard-commands";

/// A command as the command bus's rule delivers it.
fn command(detail_type: &str, detail: Value) -> Value {
    json!({"CommandBusRule": COMMAND_RULE, "Command": bare_command(detail_type, detail)})
}

fn bare_command(detail_type: &str, detail: Value) -> Value {
    json!({"version": "0", "id": "c-1", "detail-type": detail_type, "source": "rolegate.commands",
           "account": "123456789012", "time": "2026-11-23T11:00:00Z", "region": "us-east-1", "resources": [], "detail": detail})
}

#[test]
fn a_command_not_delivered_by_the_command_bus_rule_is_refused() {
    let revoke = json!({"role": "atmosphere-s3", "reason": "r"});
    let refused = |payload: Value| match parse(payload, &config()) {
        Ok(Parsed::Refused { why }) => why.code(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        refused(bare_command("Revoke Integration Access", revoke.clone())),
        "COMMAND_NOT_FROM_COMMAND_BUS"
    );
    let mut other_bus = command("Revoke Integration Access", revoke.clone());
    other_bus["CommandBusRule"] = json!("arn:aws:events:us-east-1:123456789012:rule/default-rule");
    assert_eq!(refused(other_bus), "COMMAND_FROM_ANOTHER_BUS");
    assert!(matches!(
        parse(command("Revoke Integration Access", revoke), &config()),
        Ok(Parsed::Act { .. })
    ));
}

#[test]
fn only_commands_may_come_through_the_command_bus() {
    let mut sweep = command("Scheduled Event", json!({}));
    sweep["Command"]["source"] = json!("aws.events");
    let err = parse(sweep, &config()).unwrap_err();
    assert!(err.to_string().contains("source/detail-type"), "{err}");
}

#[test]
fn bad_events_are_refused_naming_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "not an object",
            json!("hello"),
            "event: not an EventBridge event",
        ),
        (
            "no detail-type",
            json!({"source": "aws.iam", "detail": {}}),
            "detail-type",
        ),
        (
            "unknown source",
            json!({"source": "acme.app", "detail-type": "Order Placed", "detail": {}}),
            "source/detail-type",
        ),
        (
            "command from a foreign source",
            json!({"source": "evil.source", "detail-type": "Revoke Integration Access", "detail": {"role": "x", "reason": "y"}}),
            "source/detail-type",
        ),
        (
            "cloudtrail without userIdentity",
            cloudtrail(json!({"userIdentity": null})),
            "detail: not a CloudTrail API call record",
        ),
        (
            "cloudtrail without roleName",
            cloudtrail(json!({"requestParameters": {"policyName": "debug"}})),
            "detail.requestParameters.roleName",
        ),
        (
            "cloudtrail with a numeric roleName",
            cloudtrail(json!({"requestParameters": {"roleName": 7}})),
            "detail.requestParameters.roleName",
        ),
        (
            "cloudtrail with an invalid role name",
            cloudtrail(json!({"requestParameters": {"roleName": "a/b c"}})),
            "detail.requestParameters.roleName",
        ),
        (
            "cloudtrail with an empty eventID",
            cloudtrail(json!({"eventID": ""})),
            "detail.eventID",
        ),
        (
            "policy version without policyArn",
            cloudtrail(json!({"eventName": "CreatePolicyVersion", "requestParameters": {}})),
            "detail.requestParameters.policyArn",
        ),
        (
            "command detail not an object",
            command("Validate Integration Role", json!(["atmosphere-s3"])),
            "detail: must be an object",
        ),
        (
            "command without role",
            command("Validate Integration Role", json!({})),
            "detail.role: is required",
        ),
        (
            "command with an empty role",
            command("Restore Integration Access", json!({"role": "  "})),
            "detail.role: must be a non-empty string",
        ),
        (
            "revoke without reason",
            command(
                "Revoke Integration Access",
                json!({"role": "atmosphere-s3"}),
            ),
            "detail.reason: is required",
        ),
        (
            "role ARN of a user",
            command(
                "Validate Integration Role",
                json!({"role": "arn:aws:iam::123456789012:user/alice"}),
            ),
            "detail.role: not an IAM role ARN",
        ),
        (
            "role name too long",
            command("Validate Integration Role", json!({"role": "r".repeat(65)})),
            "detail.role",
        ),
    ];
    assert!(cases.len() >= 10);
    for (what, event, expected) in cases {
        let err = parse(event, &config()).expect_err(what);
        assert!(err.to_string().contains(expected), "{what}: {err}");
    }
}

#[test]
fn calls_that_cannot_change_a_role_and_other_services_are_ignored() {
    for (patch, why) in [
        (
            json!({"eventName": "GetRole"}),
            "cannot change an integration role",
        ),
        (json!({"eventSource": "sts.amazonaws.com"}), "is not IAM"),
        (
            json!({"errorCode": "NoSuchEntityException"}),
            "changed nothing",
        ),
    ] {
        let parsed = parse(cloudtrail(patch), &config()).unwrap();
        assert!(
            matches!(&parsed, Parsed::Ignore { why: w } if w.contains(why)),
            "{parsed:?}"
        );
    }
}
