//! What woke the validator, read from the payload Lambda hands it.
//!
//! Four deliveries are accepted, each from where it can only come:
//! - `Integration Role Ready` and `Integration Role Removed`, bare
//!   EventBridge events from the vendor bus; the envelope `account` (set by
//!   EventBridge, which no sender can forge) is kept, so the registration,
//!   or the removal, can be bound to its sender;
//! - the re-validation schedule, a bare `aws.events` event (an `aws.`
//!   source cannot be put by anyone);
//! - `Validate Integration Role`, only as the command bus's rule delivers
//!   it, wrapped with the rule's ARN (`rolegate_policy::delivery`). A bare
//!   one, or one wrapped by a rule on another bus, is refused: the caller
//!   logs it and answers it as ignored.
//!
//! And two that only Lambda's own machinery or an operator can send (both
//! need `lambda:InvokeFunction` on the validator, or the event source
//! mapping):
//! - a batch of the validation queue's messages (`Records` from
//!   `aws:sqs`), one per due integration the schedule enqueued;
//! - the one-shot migration of SSM entries into the registry,
//!   `{"RolegateMigration": "ssm-to-registry"}`, invoked directly.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use rolegate_policy::delivery::{self, DeliveryError};
use serde_json::Value;
use thiserror::Error;

use crate::config::ValidatorConfig;

pub use rolegate_policy::events::{
    READY_DETAIL_TYPE as READY, READY_SOURCE, REMOVED_DETAIL_TYPE as REMOVED,
    VALIDATE_DETAIL_TYPE as VALIDATE,
};
pub const SCHEDULE: &str = "Scheduled Event";
/// The trigger names of a queue batch and of the migration.
pub const QUEUE: &str = "queue";
pub const MIGRATION: &str = "migration";
/// The direct invocation that migrates SSM entries into the registry.
pub const MIGRATION_KEY: &str = "RolegateMigration";
pub const MIGRATION_VALUE: &str = "ssm-to-registry";

/// One message of an SQS batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// What `batchItemFailures` names when the message must come again.
    pub message_id: String,
    pub body: String,
    /// `attributes.ApproximateReceiveCount`: more than 1 when an earlier
    /// delivery did not finish (a failure reported, a crash, a timeout).
    pub receive_count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A customer's provisioner announced a role; the detail holds it.
    Ready {
        /// The envelope's `account`: who really sent the event. `None`
        /// only for a payload that did not come through EventBridge.
        sender: Option<String>,
        detail: Value,
    },
    /// A customer's provisioner deleted a role it had announced.
    Removed {
        /// The envelope's `account`, as for `Ready`.
        sender: Option<String>,
        detail: Value,
    },
    /// Re-validate every stored integration.
    Schedule,
    /// Validate one role; the detail names it (`RoleArn`, `ExternalId`
    /// optional when stored). Only ever from the command bus's rule.
    Command(Value),
    /// Messages of the validation queue, one integration each.
    Batch(Vec<Queued>),
    /// Copy SSM entries into the registry, once.
    Migrate,
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Ready { .. } => READY,
            Trigger::Removed { .. } => REMOVED,
            Trigger::Schedule => "schedule",
            Trigger::Command(_) => VALIDATE,
            Trigger::Batch(_) => QUEUE,
            Trigger::Migrate => MIGRATION,
        }
    }
}

/// Why a payload is not a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TriggerError {
    /// Not an event the validator handles; answered with `Integration
    /// Rejected`, as any bad input is.
    #[error("{0}")]
    Malformed(String),
    /// A command that did not come through the command bus. Ignored and
    /// logged, not an error: a retry would arrive the same way.
    #[error(transparent)]
    NotFromCommandBus(#[from] DeliveryError),
}

/// The trigger, or why the payload is not one.
pub fn parse(payload: Value, config: &ValidatorConfig) -> Result<Trigger, TriggerError> {
    if let Some(records) = payload.get("Records").and_then(Value::as_array) {
        return batch(records);
    }
    if let Some(migration) = payload.get(MIGRATION_KEY) {
        return match migration.as_str() {
            Some(MIGRATION_VALUE) => Ok(Trigger::Migrate),
            _ => Err(TriggerError::Malformed(format!(
                "{MIGRATION_KEY}: must be {MIGRATION_VALUE:?}, the one migration there is"
            ))),
        };
    }
    if delivery::is_wrapped(&payload) {
        let command = delivery::unwrap_command(payload, &config.command_bus)?;
        let event = envelope(command)?;
        return match (event.source.as_str(), event.detail_type.as_str()) {
            (source, VALIDATE) if source == config.command_source => {
                Ok(Trigger::Command(event.detail))
            }
            (source, detail_type) => Err(TriggerError::Malformed(format!(
                "source/detail-type: {source:?} / {detail_type:?} came through the command bus, which carries only {} / {VALIDATE}",
                config.command_source
            ))),
        };
    }
    let event = envelope(payload)?;
    match (event.source.as_str(), event.detail_type.as_str()) {
        (READY_SOURCE, READY) => Ok(Trigger::Ready {
            sender: event.account,
            detail: event.detail,
        }),
        (READY_SOURCE, REMOVED) => Ok(Trigger::Removed {
            sender: event.account,
            detail: event.detail,
        }),
        ("aws.events", SCHEDULE) => Ok(Trigger::Schedule),
        // Whatever its source, a bare command did not cross the command
        // bus, whose policy is the only thing that authenticates senders.
        (_, VALIDATE) => Err(DeliveryError::NotWrapped {
            bus: config.command_bus.clone(),
        }
        .into()),
        (source, detail_type) => Err(TriggerError::Malformed(format!(
            "source/detail-type: {source:?} / {detail_type:?} is not an event the validator handles ({READY_SOURCE} / {READY} or {REMOVED}, the schedule, or {} / {VALIDATE} through the {:?} command bus)",
            config.command_source, config.command_bus
        ))),
    }
}

/// An SQS batch as Lambda's event source mapping delivers it.
/// https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
fn batch(records: &[Value]) -> Result<Trigger, TriggerError> {
    let mut batch = Vec::with_capacity(records.len());
    for (i, record) in records.iter().enumerate() {
        let field = |name: &str| record.get(name).and_then(Value::as_str);
        if field("eventSource") != Some("aws:sqs") {
            return Err(TriggerError::Malformed(format!(
                "Records[{i}].eventSource: must be \"aws:sqs\"; the validator consumes only its SQS queue"
            )));
        }
        let Some(message_id) = field("messageId").filter(|m| !m.is_empty()) else {
            return Err(TriggerError::Malformed(format!(
                "Records[{i}].messageId: must be a non-empty string"
            )));
        };
        batch.push(Queued {
            message_id: message_id.to_owned(),
            // A record without a body is one malformed message, judged
            // with the others.
            body: field("body").unwrap_or_default().to_owned(),
            receive_count: record
                .pointer("/attributes/ApproximateReceiveCount")
                .and_then(Value::as_str)
                .and_then(|n| n.parse().ok())
                .unwrap_or(1),
        });
    }
    Ok(Trigger::Batch(batch))
}

fn envelope(value: Value) -> Result<EventBridgeEvent<Value>, TriggerError> {
    serde_json::from_value(value)
        .map_err(|e| TriggerError::Malformed(format!("event: not an EventBridge event ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const RULE: &str =
        "arn:aws:events:us-east-1:966208727603:rule/rolegate-validator-commands/validate";

    fn event(source: &str, detail_type: &str, account: &str) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
               "account": account, "time": "2026-11-23T10:00:00Z", "region": "us-east-1",
               "resources": [], "detail": {"RoleArn": "arn:aws:iam::123456789012:role/x"}})
    }

    fn command() -> Value {
        event("rolegate.validator.commands", VALIDATE, "966208727603")
    }

    fn wrapped(rule: &str, event: Value) -> Value {
        json!({"CommandBusRule": rule, "Command": event})
    }

    fn parse_default(payload: Value) -> Result<Trigger, TriggerError> {
        parse(payload, &ValidatorConfig::default())
    }

    #[test]
    fn a_ready_event_keeps_its_envelope_account_as_the_sender() {
        let got = parse_default(event(READY_SOURCE, READY, "999988887777"));
        assert!(
            matches!(&got, Ok(Trigger::Ready { sender: Some(s), .. }) if s == "999988887777"),
            "{got:?}"
        );
    }

    #[test]
    fn a_removed_event_keeps_its_envelope_account_as_the_sender() {
        let got = parse_default(event(READY_SOURCE, REMOVED, "999988887777"));
        assert!(
            matches!(&got, Ok(Trigger::Removed { sender: Some(s), .. }) if s == "999988887777"),
            "{got:?}"
        );
    }

    #[test]
    fn a_command_wrapped_by_the_command_bus_rule_is_accepted() {
        let got = parse_default(wrapped(RULE, command()));
        assert!(matches!(got, Ok(Trigger::Command(_))), "{got:?}");
    }

    #[test]
    fn a_bare_command_is_refused_as_not_from_the_command_bus() {
        for source in ["rolegate.validator.commands", "anyone"] {
            let got = parse_default(event(source, VALIDATE, "966208727603"));
            let Err(TriggerError::NotFromCommandBus(e)) = got else {
                panic!("{source}: {got:?}");
            };
            assert_eq!(e.code(), "COMMAND_NOT_FROM_COMMAND_BUS");
        }
    }

    #[test]
    fn a_command_wrapped_by_a_rule_on_another_bus_is_refused() {
        for rule in [
            "arn:aws:events:us-east-1:966208727603:rule/rolegate/validate",
            "arn:aws:events:us-east-1:966208727603:rule/validate",
        ] {
            let got = parse_default(wrapped(rule, command()));
            let Err(TriggerError::NotFromCommandBus(e)) = got else {
                panic!("{rule}: {got:?}");
            };
            assert_eq!(e.code(), "COMMAND_FROM_ANOTHER_BUS", "{rule}");
        }
    }

    #[test]
    fn the_command_bus_carries_only_validate_commands() {
        let ready = wrapped(RULE, event(READY_SOURCE, READY, "123456789012"));
        assert!(matches!(
            parse_default(ready),
            Err(TriggerError::Malformed(reason)) if reason.contains("carries only")
        ));
    }

    #[test]
    fn an_sqs_batch_keeps_each_message_id_body_and_receive_count_the_migration_is_recognised_and_a_foreign_record_refused()
     {
        let got = parse_default(json!({"Records": [
            {"messageId": "m-1", "eventSource": "aws:sqs", "body": "{}",
             "attributes": {"ApproximateReceiveCount": "3"}},
            {"messageId": "m-2", "eventSource": "aws:sqs"}
        ]}));
        assert_eq!(
            got,
            Ok(Trigger::Batch(vec![
                Queued {
                    message_id: "m-1".into(),
                    body: "{}".into(),
                    receive_count: 3,
                },
                Queued {
                    message_id: "m-2".into(),
                    body: String::new(),
                    receive_count: 1,
                },
            ]))
        );
        let foreign =
            parse_default(json!({"Records": [{"messageId": "m", "eventSource": "aws:s3"}]}));
        assert!(
            matches!(foreign, Err(TriggerError::Malformed(r)) if r.starts_with("Records[0].eventSource"))
        );
        assert_eq!(
            parse_default(json!({"RolegateMigration": "ssm-to-registry"})),
            Ok(Trigger::Migrate)
        );
        assert!(matches!(
            parse_default(json!({"RolegateMigration": "everything"})),
            Err(TriggerError::Malformed(r)) if r.starts_with("RolegateMigration")
        ));
    }

    #[test]
    fn the_schedule_stays_a_bare_event() {
        assert_eq!(
            parse_default(event("aws.events", SCHEDULE, "966208727603")),
            Ok(Trigger::Schedule)
        );
    }
}
