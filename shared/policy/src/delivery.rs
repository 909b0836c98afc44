//! How a command proves the bus it came through.
//!
//! Commands (Revoke, Restore, Validate) move Rolegate's IAM power, so they
//! are accepted only from a dedicated command bus whose resource policy
//! denies `events:PutEvents` to every principal outside a deploy-time list.
//! A Lambda cannot see which bus an event crossed, so the command bus's
//! rule wraps each event with an input transformer that adds the rule's
//! ARN, which EventBridge fills in and no sender can set:
//!
//! ```json
//! {"CommandBusRule": "<aws.events.rule-arn>", "Command": <aws.events.event.json>}
//! ```
//!
//! [`WRAPPED_COMMAND_TEMPLATE`] is that template, the one the SAM template
//! uses (a test holds the two together), and [`unwrap_command`] is its only
//! reader. A command that arrives any other way (a rule on the default bus,
//! a direct invocation) is refused and logged by the function.

use serde_json::Value;
use thiserror::Error;

use crate::arn::Arn;

/// The key that holds the delivering rule's ARN.
pub const RULE_KEY: &str = "CommandBusRule";
/// The key that holds the original EventBridge event.
pub const COMMAND_KEY: &str = "Command";
/// The command rule's `InputTransformer.InputTemplate`.
pub const WRAPPED_COMMAND_TEMPLATE: &str =
    r#"{"CommandBusRule": "<aws.events.rule-arn>", "Command": <aws.events.event.json>}"#;

/// Why a payload is not a command delivered by the command bus.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeliveryError {
    #[error(
        "CommandBusRule: missing; commands are accepted only through the rule on the {bus:?} command bus"
    )]
    NotWrapped { bus: String },
    #[error("CommandBusRule: {value:?} is not an EventBridge rule ARN")]
    NotARule { value: String },
    #[error(
        "CommandBusRule: rule {rule} is on bus {found:?}, not the command bus {bus:?}; only that bus's policy authenticates senders"
    )]
    WrongBus {
        rule: String,
        found: String,
        bus: String,
    },
    #[error("Command: missing or not an object; the rule wraps the whole EventBridge event")]
    NoCommand,
}

impl DeliveryError {
    /// A stable code for logs, metrics and alarms.
    pub fn code(&self) -> &'static str {
        match self {
            DeliveryError::NotWrapped { .. } => "COMMAND_NOT_FROM_COMMAND_BUS",
            DeliveryError::NotARule { .. } => "COMMAND_RULE_NOT_AN_ARN",
            DeliveryError::WrongBus { .. } => "COMMAND_FROM_ANOTHER_BUS",
            DeliveryError::NoCommand => "COMMAND_MISSING",
        }
    }
}

/// True when `payload` is in the wrapped form (whatever bus it names).
pub fn is_wrapped(payload: &Value) -> bool {
    payload.get(RULE_KEY).is_some()
}

/// The original event of a command that the rule on `bus` delivered.
pub fn unwrap_command(payload: Value, bus: &str) -> Result<Value, DeliveryError> {
    let Value::Object(mut wrapper) = payload else {
        return Err(DeliveryError::NotWrapped {
            bus: bus.to_owned(),
        });
    };
    let rule = match wrapper.remove(RULE_KEY) {
        Some(Value::String(rule)) => rule,
        Some(other) => {
            return Err(DeliveryError::NotARule {
                value: other.to_string(),
            });
        }
        None => {
            return Err(DeliveryError::NotWrapped {
                bus: bus.to_owned(),
            });
        }
    };
    let found = bus_of_rule(&rule).ok_or_else(|| DeliveryError::NotARule {
        value: rule.clone(),
    })?;
    if found != bus {
        return Err(DeliveryError::WrongBus {
            rule,
            found,
            bus: bus.to_owned(),
        });
    }
    match wrapper.remove(COMMAND_KEY) {
        Some(command @ Value::Object(_)) => Ok(command),
        _ => Err(DeliveryError::NoCommand),
    }
}

/// The bus of a rule ARN: `rule/<bus>/<name>`, or `default` for
/// `rule/<name>` (rules on the default bus have no bus segment).
fn bus_of_rule(rule: &str) -> Option<String> {
    let arn = Arn::parse(rule).ok()?;
    if arn.service() != "events" {
        return None;
    }
    let path = arn.resource().strip_prefix("rule/")?;
    match path.split_once('/') {
        Some((bus, name)) if !bus.is_empty() && !name.is_empty() => Some(bus.to_owned()),
        None if !path.is_empty() => Some("default".to_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BUS: &str = "rolegate-commands";

    fn wrapped(rule: &str) -> Value {
        json!({RULE_KEY: rule, COMMAND_KEY: {"source": "rolegate.commands"}})
    }

    #[test]
    fn a_command_from_the_command_bus_rule_is_unwrapped() {
        let got = unwrap_command(
            wrapped("arn:aws:events:us-east-1:111122223333:rule/rolegate-commands/guard"),
            BUS,
        );
        assert_eq!(got, Ok(json!({"source": "rolegate.commands"})));
    }

    #[test]
    fn a_bare_event_is_not_a_command_from_the_command_bus() {
        let e = unwrap_command(json!({"source": "rolegate.commands"}), BUS).unwrap_err();
        assert_eq!(e.code(), "COMMAND_NOT_FROM_COMMAND_BUS");
    }

    #[test]
    fn a_rule_on_the_default_bus_is_refused() {
        let e = unwrap_command(
            wrapped("arn:aws:events:us-east-1:111122223333:rule/forged"),
            BUS,
        )
        .unwrap_err();
        assert_eq!(e.code(), "COMMAND_FROM_ANOTHER_BUS");
        assert!(e.to_string().contains("\"default\""), "{e}");
    }

    #[test]
    fn a_rule_value_that_is_not_an_events_rule_arn_is_refused() {
        for rule in ["x", "arn:aws:sqs:us-east-1:1:rule/rolegate-commands/a"] {
            let e = unwrap_command(wrapped(rule), BUS).unwrap_err();
            assert_eq!(e.code(), "COMMAND_RULE_NOT_AN_ARN", "{rule}");
        }
    }

    #[test]
    fn the_template_fills_both_keys() {
        assert!(WRAPPED_COMMAND_TEMPLATE.contains(RULE_KEY));
        assert!(WRAPPED_COMMAND_TEMPLATE.contains(COMMAND_KEY));
    }
}
