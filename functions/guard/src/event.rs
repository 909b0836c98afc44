//! What woke the guard: a CloudTrail IAM change, the sweep schedule or a
//! command, read from the EventBridge envelope with `aws_lambda_events`'
//! types. Parsing is pure and defensive: a bad event is an error naming the
//! field, and a call the guard need not judge is an [`Parsed::Ignore`] with
//! the reason.

use aws_lambda_events::event::cloudwatch_events::cloudtrail::AWSAPICall;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use rolegate_policy::Arn;
use rolegate_policy::delivery::{self, DeliveryError};
use rolegate_policy::events::command::{CommandError, RestoreAccess, RevokeAccess, ValidateRole};
use rolegate_policy::limits::{ROLE_NAME_MAX, check_role_name};
use rolegate_policy::spec::integration_policy::INTEGRATION_POLICY_NAME_PREFIX;
use serde_json::Value;
use thiserror::Error;

use crate::config::GuardConfig;

pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";
pub const SCHEDULE_DETAIL_TYPE: &str = "Scheduled Event";
pub use rolegate_policy::events::command::{
    RESTORE_DETAIL_TYPE as RESTORE, REVOKE_DETAIL_TYPE as REVOKE, VALIDATE_DETAIL_TYPE as VALIDATE,
};

/// IAM calls on a role that can change what it allows or who may assume it
/// (an instance profile hands it to EC2 instances).
pub const ROLE_CALLS: [&str; 13] = [
    "UpdateAssumeRolePolicy",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutRolePermissionsBoundary",
    "DeleteRolePermissionsBoundary",
    "UpdateRole",
    "UpdateRoleDescription",
    "TagRole",
    "UntagRole",
    "AddRoleToInstanceProfile",
    "RemoveRoleFromInstanceProfile",
];
/// Calls that name only an instance profile. Rolegate's own profile bears
/// its role's name (`rolegate_policy::reconcile::is_rolegates_profile`), so
/// the role of that name is the one to judge; a profile no role is named
/// like is none of the guard's business.
pub const PROFILE_CALLS: [&str; 1] = ["DeleteInstanceProfile"];
/// The calls that write or remove one inline policy by name: the ones
/// that can touch an integration policy (`Custom::IntegrationPolicy`).
pub const INLINE_POLICY_CALLS: [&str; 2] = ["PutRolePolicy", "DeleteRolePolicy"];
/// Calls that change a managed policy, and so every role it is attached to.
pub const POLICY_CALLS: [&str; 2] = ["CreatePolicyVersion", "SetDefaultPolicyVersion"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEvent {
    IamChange { event_name: String, target: Target },
    Sweep,
    Command(Command),
}

/// What an IAM call changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Role(String),
    Policy(String),
    /// PutRolePolicy or DeleteRolePolicy of a policy named with Rolegate's
    /// reserved prefix: an integration policy's, if a record says so
    /// (`crate::policy_enforce`); otherwise the role is checked as a role.
    InlinePolicy {
        role: String,
        policy: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Revoke { role: String, reason: String },
    Restore { role: String },
    Validate { role: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `id` de-duplicates: CloudTrail's `eventID`, else EventBridge's `id`.
    Act {
        id: Option<String>,
        event: GuardEvent,
    },
    Ignore {
        why: String,
    },
    /// A command that did not come through the command bus: never obeyed,
    /// logged as a security alarm.
    Refused {
        why: DeliveryError,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    #[error("event: not an EventBridge event ({0})")]
    NotAnEvent(String),
    #[error(
        "source/detail-type: {event_source:?} / {detail_type:?} is not an event the guard handles (CloudTrail IAM calls, the sweep schedule, or commands from {command_source:?})"
    )]
    Unsupported {
        event_source: String,
        detail_type: String,
        command_source: String,
    },
    #[error("{field}: {rule}")]
    Field { field: String, rule: String },
}

fn field(field: &str, rule: impl Into<String>) -> EventError {
    EventError::Field {
        field: field.to_owned(),
        rule: rule.into(),
    }
}

/// Reads one payload. Commands are obeyed only in the form the command
/// bus's rule delivers them (see `rolegate_policy::delivery`); the same
/// command any other way is [`Parsed::Refused`].
pub fn parse(value: Value, config: &GuardConfig) -> Result<Parsed, EventError> {
    let from_command_bus = delivery::is_wrapped(&value);
    let value = if from_command_bus {
        match delivery::unwrap_command(value, &config.command_bus) {
            Ok(command) => command,
            Err(why) => return Ok(Parsed::Refused { why }),
        }
    } else {
        value
    };
    let envelope: EventBridgeEvent<Value> =
        serde_json::from_value(value).map_err(|e| EventError::NotAnEvent(e.to_string()))?;
    let source = envelope.source.as_str();
    let detail_type = envelope.detail_type.as_str();
    let is_command =
        source == config.command_source && [REVOKE, RESTORE, VALIDATE].contains(&detail_type);
    if from_command_bus != is_command {
        if is_command {
            return Ok(Parsed::Refused {
                why: DeliveryError::NotWrapped {
                    bus: config.command_bus.clone(),
                },
            });
        }
        return Err(EventError::Unsupported {
            event_source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            command_source: config.command_source.clone(),
        });
    }
    match (source, detail_type) {
        ("aws.iam", CLOUDTRAIL_DETAIL_TYPE) => cloudtrail(&envelope.detail, config),
        ("aws.events", SCHEDULE_DETAIL_TYPE) => Ok(Parsed::Act {
            id: envelope.id,
            event: GuardEvent::Sweep,
        }),
        _ if is_command => Ok(Parsed::Act {
            id: envelope.id,
            event: GuardEvent::Command(command(detail_type, &envelope.detail)?),
        }),
        _ => Err(EventError::Unsupported {
            event_source: source.to_owned(),
            detail_type: detail_type.to_owned(),
            command_source: config.command_source.clone(),
        }),
    }
}

fn cloudtrail(detail: &Value, config: &GuardConfig) -> Result<Parsed, EventError> {
    // `errorCode` is not in the typed struct; a failed call changed nothing.
    if let Some(code) = detail.get("errorCode").and_then(Value::as_str) {
        return Ok(Parsed::Ignore {
            why: format!("the call failed ({code}) and changed nothing"),
        });
    }
    let call: AWSAPICall = serde_json::from_value(detail.clone())
        .map_err(|e| field("detail", format!("not a CloudTrail API call record: {e}")))?;
    if call.event_source != "iam.amazonaws.com" {
        return Ok(Parsed::Ignore {
            why: format!("eventSource {} is not IAM", call.event_source),
        });
    }
    let caller = call
        .user_identity
        .session_context
        .as_ref()
        .and_then(|c| c.session_issuer.as_ref())
        .map(|issuer| issuer.arn.as_str())
        .or(call.user_identity.arn.as_deref());
    if let Some(caller) = caller
        && config.own_role_arns.iter().any(|own| own == caller)
    {
        return Ok(Parsed::Ignore {
            why: format!(
                "{} was made by Rolegate's own role {caller}",
                call.event_name
            ),
        });
    }
    let name = call.event_name.as_str();
    let parameter = |key: &str| {
        call.request_parameters
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                field(
                    &format!("detail.requestParameters.{key}"),
                    format!("{name} events name the {key}; it is missing or not a string"),
                )
            })
    };
    let reserved_policy = call
        .request_parameters
        .get("policyName")
        .and_then(Value::as_str)
        .filter(|p| p.starts_with(INTEGRATION_POLICY_NAME_PREFIX))
        .filter(|_| INLINE_POLICY_CALLS.contains(&name));
    let target = if let Some(policy) = reserved_policy {
        Target::InlinePolicy {
            role: role_name(&parameter("roleName")?, "detail.requestParameters.roleName")?,
            policy: policy.to_owned(),
        }
    } else if ROLE_CALLS.contains(&name) {
        Target::Role(role_name(
            &parameter("roleName")?,
            "detail.requestParameters.roleName",
        )?)
    } else if POLICY_CALLS.contains(&name) {
        Target::Policy(parameter("policyArn")?)
    } else if PROFILE_CALLS.contains(&name) {
        let profile = parameter("instanceProfileName")?;
        // Profile names run to 128 characters, role names to 64.
        if check_role_name(&profile, ROLE_NAME_MAX).is_err() {
            return Ok(Parsed::Ignore {
                why: format!("{name}: instance profile {profile:?} cannot bear a role's name"),
            });
        }
        Target::Role(profile)
    } else {
        return Ok(Parsed::Ignore {
            why: format!("{name} cannot change an integration role"),
        });
    };
    if call.event_id.is_empty() {
        return Err(field("detail.eventID", "is empty; it de-duplicates events"));
    }
    Ok(Parsed::Act {
        id: Some(call.event_id),
        event: GuardEvent::IamChange {
            event_name: call.event_name,
            target,
        },
    })
}

/// Reads a command's detail with its typed reader
/// (`rolegate_policy::events::command`), then the role it names.
fn command(detail_type: &str, detail: &Value) -> Result<Command, EventError> {
    let read = |e: CommandError| field(&e.field(), e.rule());
    Ok(match detail_type {
        REVOKE => {
            let revoke = RevokeAccess::from_detail(detail).map_err(read)?;
            Command::Revoke {
                role: role_name(&revoke.role, "detail.role")?,
                reason: revoke.reason,
            }
        }
        RESTORE => Command::Restore {
            role: role_name(
                &RestoreAccess::from_detail(detail).map_err(read)?.role,
                "detail.role",
            )?,
        },
        _ => Command::Validate {
            role: role_name(
                &ValidateRole::from_detail(detail).map_err(read)?.role,
                "detail.role",
            )?,
        },
    })
}

/// A role name, from a name or a role ARN.
fn role_name(value: &str, path: &str) -> Result<String, EventError> {
    let name = if value.starts_with("arn:") {
        let arn = Arn::parse(value).map_err(|e| field(path, format!("not a role ARN: {e}")))?;
        let (_, name) = arn
            .iam_role_path_and_name()
            .ok_or_else(|| field(path, "not an IAM role ARN"))?;
        name.to_owned()
    } else {
        value.to_owned()
    };
    check_role_name(&name, ROLE_NAME_MAX).map_err(|v| field(path, v.to_string()))?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used, clippy::unwrap_used)]

    use serde_json::json;

    use super::*;

    /// The committed AddRoleToInstanceProfile sample, made into `event_name`
    /// with `request_parameters`, by someone other than Rolegate.
    fn call(event_name: &str, request_parameters: Value) -> Value {
        let mut event: Value = serde_json::from_str(include_str!(
            "../../../events/guard/cloudtrail/add-role-to-instance-profile.json"
        ))
        .expect("the sample is JSON");
        event["detail"]["eventName"] = json!(event_name);
        event["detail"]["requestParameters"] = request_parameters;
        event
    }

    fn target(event: Value) -> Parsed {
        parse(event, &GuardConfig::default()).expect("a CloudTrail IAM call")
    }

    #[test]
    fn adding_or_removing_a_role_in_an_instance_profile_judges_that_role() {
        for name in ["AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile"] {
            let parsed = target(call(
                name,
                json!({"roleName": "onemata-ec2", "instanceProfileName": "fleet"}),
            ));
            assert!(
                matches!(&parsed, Parsed::Act { event: GuardEvent::IamChange { target: Target::Role(r), .. }, .. } if r == "onemata-ec2"),
                "{name}: {parsed:?}"
            );
        }
    }

    #[test]
    fn a_deleted_instance_profile_judges_the_role_of_its_name() {
        let parsed = target(call(
            "DeleteInstanceProfile",
            json!({"instanceProfileName": "onemata-ec2"}),
        ));
        assert!(
            matches!(&parsed, Parsed::Act { event: GuardEvent::IamChange { target: Target::Role(r), .. }, .. } if r == "onemata-ec2"),
            "{parsed:?}"
        );
        let long = "p".repeat(100);
        let parsed = target(call(
            "DeleteInstanceProfile",
            json!({ "instanceProfileName": long }),
        ));
        assert!(
            matches!(&parsed, Parsed::Ignore { why } if why.contains("cannot bear a role's name")),
            "{parsed:?}"
        );
    }
}
