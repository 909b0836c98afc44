//! What woke the validator, read from the EventBridge envelope.
//!
//! An `Integration Role Ready` keeps its envelope `account` (set by
//! EventBridge, which no sender can forge), so the registration can be
//! bound to its sender.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::Value;
use thiserror::Error;

use crate::config::ValidatorConfig;

pub use rolegate_policy::events::{READY_DETAIL_TYPE as READY, READY_SOURCE};
pub const VALIDATE: &str = "Validate Integration Role";
pub const SCHEDULE: &str = "Scheduled Event";

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A customer's provisioner announced a role; the detail holds it.
    Ready {
        /// The envelope's `account`: who really sent the event. `None`
        /// only for a payload that did not come through EventBridge.
        sender: Option<String>,
        detail: Value,
    },
    /// Re-validate every stored integration.
    Schedule,
    /// Validate one role; the detail names it (`RoleArn`, `ExternalId`
    /// optional when stored).
    Command(Value),
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Ready { .. } => READY,
            Trigger::Schedule => "schedule",
            Trigger::Command(_) => VALIDATE,
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
}

/// The trigger, or why the payload is not one.
pub fn parse(payload: Value, config: &ValidatorConfig) -> Result<Trigger, TriggerError> {
    let event = envelope(payload)?;
    match (event.source.as_str(), event.detail_type.as_str()) {
        (READY_SOURCE, READY) => Ok(Trigger::Ready {
            sender: event.account,
            detail: event.detail,
        }),
        ("aws.events", SCHEDULE) => Ok(Trigger::Schedule),
        (source, VALIDATE) if source == config.command_source => Ok(Trigger::Command(event.detail)),
        (source, detail_type) => Err(TriggerError::Malformed(format!(
            "source/detail-type: {source:?} / {detail_type:?} is not an event the validator handles ({READY_SOURCE} / {READY}, the schedule, or {} / {VALIDATE})",
            config.command_source
        ))),
    }
}

fn envelope(value: Value) -> Result<EventBridgeEvent<Value>, TriggerError> {
    serde_json::from_value(value)
        .map_err(|e| TriggerError::Malformed(format!("event: not an EventBridge event ({e})")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(source: &str, detail_type: &str, account: &str) -> Value {
        json!({"version": "0", "id": "e-1", "detail-type": detail_type, "source": source,
               "account": account, "time": "2026-11-23T10:00:00Z", "region": "us-east-1",
               "resources": [], "detail": {"RoleArn": "arn:aws:iam::123456789012:role/x"}})
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
    fn the_schedule_stays_a_bare_event() {
        assert_eq!(
            parse_default(event("aws.events", SCHEDULE, "966208727603")),
            Ok(Trigger::Schedule)
        );
    }
}
