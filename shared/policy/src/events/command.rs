//! The commands Rolegate obeys. Each arrives only through its command bus,
//! wrapped by the bus's rule (`crate::delivery`); this module reads the
//! wrapped event's detail. The guard's commands name a role by `role` (a
//! name or an ARN) in lower case, the validator's by `RoleArn`: both are
//! the wire format callers already use.
//!
//! Reading is by hand before the typed value is built, so each error names
//! the field and the rule, and values are trimmed as they always were.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use thiserror::Error;

/// The guard's default command source (`ROLEGATE_COMMAND_SOURCE`).
pub const GUARD_COMMAND_SOURCE: &str = "rolegate.commands";
/// The validator's default command source (`ROLEGATE_COMMAND_SOURCE`).
pub const VALIDATOR_COMMAND_SOURCE: &str = "rolegate.validator.commands";
/// Quarantine a role now ([`RevokeAccess`], guard).
pub const REVOKE_DETAIL_TYPE: &str = "Revoke Integration Access";
/// Lift a role's quarantine ([`RestoreAccess`], guard).
pub const RESTORE_DETAIL_TYPE: &str = "Restore Integration Access";
/// Check a role: the guard reads [`ValidateRole`] from its command bus,
/// the validator [`ValidateIntegration`] from its own.
pub const VALIDATE_DETAIL_TYPE: &str = "Validate Integration Role";

/// Why a command's detail cannot be read. Each message names the field.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    #[error("detail: must be an object {shape}")]
    NotAnObject { shape: &'static str },
    #[error("detail.{field}: is required{why}")]
    Missing {
        field: &'static str,
        why: &'static str,
    },
    #[error("detail.{field}: must be a non-empty string")]
    NotText { field: &'static str },
}

impl CommandError {
    /// A stable code for logs and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            CommandError::NotAnObject { .. } => "COMMAND_DETAIL_NOT_AN_OBJECT",
            CommandError::Missing { .. } => "COMMAND_FIELD_MISSING",
            CommandError::NotText { .. } => "COMMAND_FIELD_NOT_TEXT",
        }
    }

    /// The JSON path of the field at fault (`detail.role`).
    pub fn field(&self) -> String {
        match self {
            CommandError::NotAnObject { .. } => "detail".to_owned(),
            CommandError::Missing { field, .. } | CommandError::NotText { field } => {
                format!("detail.{field}")
            }
        }
    }

    /// The rule it breaks: the message without the field.
    pub fn rule(&self) -> String {
        let message = self.to_string();
        let field = self.field();
        message
            .strip_prefix(&field)
            .and_then(|m| m.strip_prefix(": "))
            .unwrap_or(&message)
            .to_owned()
    }
}

const GUARD_SHAPE: &str = "such as {\"role\": \"...\"}";
const ROLE_WHY: &str = ": the integration role's name or ARN";

/// `Revoke Integration Access`: quarantine `role` now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub struct RevokeAccess {
    /// The role's name or ARN.
    pub role: String,
    /// Why, for the report and the quarantine's tags.
    pub reason: String,
}

/// `Restore Integration Access`: lift `role`'s quarantine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub struct RestoreAccess {
    /// The role's name or ARN.
    pub role: String,
}

/// `Validate Integration Role` on the guard's command bus: check `role`
/// now, as a CloudTrail event would.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub struct ValidateRole {
    /// The role's name or ARN.
    pub role: String,
}

impl RevokeAccess {
    pub fn from_detail(detail: &Value) -> Result<RevokeAccess, CommandError> {
        let detail = object(detail, GUARD_SHAPE)?;
        Ok(RevokeAccess {
            role: required(detail, "role", ROLE_WHY)?,
            reason: required(detail, "reason", " to revoke access")?,
        })
    }
}

impl RestoreAccess {
    pub fn from_detail(detail: &Value) -> Result<RestoreAccess, CommandError> {
        let detail = object(detail, GUARD_SHAPE)?;
        Ok(RestoreAccess {
            role: required(detail, "role", ROLE_WHY)?,
        })
    }
}

impl ValidateRole {
    pub fn from_detail(detail: &Value) -> Result<ValidateRole, CommandError> {
        let detail = object(detail, GUARD_SHAPE)?;
        Ok(ValidateRole {
            role: required(detail, "role", ROLE_WHY)?,
        })
    }
}

/// `Validate Integration Role` on the validator's command bus: validate
/// the role with STS now.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateIntegration {
    pub role_arn: String,
    /// Optional when the validator has the role stored. A shared secret:
    /// Debug hides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// When given, must be `RoleArn`'s account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

impl std::fmt::Debug for ValidateIntegration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidateIntegration")
            .field("role_arn", &self.role_arn)
            .field(
                "external_id",
                &self.external_id.as_ref().map(|_| "[redacted]"),
            )
            .field("account", &self.account)
            .finish()
    }
}

impl ValidateIntegration {
    pub fn from_detail(detail: &Value) -> Result<ValidateIntegration, CommandError> {
        let detail = object(detail, "with RoleArn and ExternalId")?;
        // Read in this order so the first error is the one named before.
        let role_arn = required(detail, "RoleArn", "")?;
        let account = text(detail, "Account")?;
        let external_id = text(detail, "ExternalId")?;
        Ok(ValidateIntegration {
            role_arn,
            external_id,
            account,
        })
    }
}

fn object<'v>(
    detail: &'v Value,
    shape: &'static str,
) -> Result<&'v Map<String, Value>, CommandError> {
    detail
        .as_object()
        .ok_or(CommandError::NotAnObject { shape })
}

/// The trimmed text of `field`; `None` when absent or null.
fn text(detail: &Map<String, Value>, field: &'static str) -> Result<Option<String>, CommandError> {
    match detail.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(CommandError::NotText { field }),
    }
}

fn required(
    detail: &Map<String, Value>,
    field: &'static str,
    why: &'static str,
) -> Result<String, CommandError> {
    text(detail, field)?.ok_or(CommandError::Missing { field, why })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_error_names_the_field_and_the_rule() {
        let cases = [
            (
                RevokeAccess::from_detail(&json!([])).err(),
                "detail: must be an object such as {\"role\": \"...\"}",
            ),
            (
                RevokeAccess::from_detail(&json!({})).err(),
                "detail.role: is required: the integration role's name or ARN",
            ),
            (
                RevokeAccess::from_detail(&json!({"role": "r"})).err(),
                "detail.reason: is required to revoke access",
            ),
            (
                RestoreAccess::from_detail(&json!({"role": "  "})).err(),
                "detail.role: must be a non-empty string",
            ),
        ];
        for (got, expected) in cases {
            assert_eq!(got.map(|e| e.to_string()).as_deref(), Some(expected));
        }
        let got = ValidateIntegration::from_detail(&json!({"RoleArn": "a", "ExternalId": 7}));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err("detail.ExternalId: must be a non-empty string".to_owned())
        );
        let got = ValidateIntegration::from_detail(&json!("x"));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Err("detail: must be an object with RoleArn and ExternalId".to_owned())
        );
    }

    #[test]
    fn field_and_rule_split_the_message() {
        let e = CommandError::Missing {
            field: "reason",
            why: " to revoke access",
        };
        assert_eq!(
            (e.field(), e.rule()),
            (
                "detail.reason".to_owned(),
                "is required to revoke access".to_owned()
            )
        );
        let e = CommandError::NotAnObject { shape: GUARD_SHAPE };
        assert_eq!(e.field(), "detail");
        assert_eq!(e.rule(), "must be an object such as {\"role\": \"...\"}");
        assert_eq!(e.code(), "COMMAND_DETAIL_NOT_AN_OBJECT");
    }

    #[test]
    fn values_are_trimmed() {
        let got = ValidateRole::from_detail(&json!({"role": "  atmosphere-s3 "}));
        assert_eq!(
            got,
            Ok(ValidateRole {
                role: "atmosphere-s3".into()
            })
        );
    }

    #[test]
    fn debug_hides_the_external_id_of_a_validate_command() {
        let command = ValidateIntegration {
            role_arn: "arn:aws:iam::123456789012:role/x".into(),
            external_id: Some("SampleExternalId0000".into()),
            account: None,
        };
        let shown = format!("{command:?}");
        assert!(!shown.contains("SampleExternalId0000"), "{shown}");
    }
}
