//! What woke the validator, read from the EventBridge envelope.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::Value;

use crate::config::ValidatorConfig;

pub const READY_SOURCE: &str = "rolegate.provisioner";
pub const READY: &str = "Integration Role Ready";
pub const VALIDATE: &str = "Validate Integration Role";
pub const SCHEDULE: &str = "Scheduled Event";

#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    /// A customer's provisioner announced a role; the detail holds it.
    Ready(Value),
    /// Re-validate every stored integration.
    Schedule,
    /// Validate one role; the detail names it (`RoleArn`, `ExternalId`
    /// optional when stored).
    Command(Value),
}

impl Trigger {
    pub fn name(&self) -> &'static str {
        match self {
            Trigger::Ready(_) => READY,
            Trigger::Schedule => "schedule",
            Trigger::Command(_) => VALIDATE,
        }
    }
}

/// The trigger, or why the event is not one.
pub fn parse(value: Value, config: &ValidatorConfig) -> Result<Trigger, String> {
    let event: EventBridgeEvent<Value> = serde_json::from_value(value)
        .map_err(|e| format!("event: not an EventBridge event ({e})"))?;
    match (event.source.as_str(), event.detail_type.as_str()) {
        (READY_SOURCE, READY) => Ok(Trigger::Ready(event.detail)),
        ("aws.events", SCHEDULE) => Ok(Trigger::Schedule),
        (source, VALIDATE) if source == config.command_source => Ok(Trigger::Command(event.detail)),
        (source, detail_type) => Err(format!(
            "source/detail-type: {source:?} / {detail_type:?} is not an event the validator handles ({READY_SOURCE} / {READY}, the schedule, or {} / {VALIDATE})",
            config.command_source
        )),
    }
}
