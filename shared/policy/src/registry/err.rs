//! The registry's errors: a stored record or a queue message that cannot be
//! read, each naming the field and the rule it breaks, with a stable code.
//! Values are never echoed: a record holds the customer's ExternalId.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RegistryError {
    #[error("{field}: is missing from the registry record")]
    MissingField { field: &'static str },
    #[error("{field}: must be {expected} in the registry record, found {found}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{field}: {rule}")]
    InvalidField { field: &'static str, rule: String },
    #[error(
        "{field}: disagrees with the record's key ({rule}); it was not written by the validator"
    )]
    KeyMismatch { field: &'static str, rule: String },
    #[error("message {field}: {rule}")]
    MalformedMessage { field: &'static str, rule: String },
}

impl RegistryError {
    /// A stable code for logs, metrics and outcome events.
    pub fn code(&self) -> &'static str {
        match self {
            RegistryError::MissingField { .. } => "REGISTRY_FIELD_MISSING",
            RegistryError::WrongType { .. } => "REGISTRY_FIELD_TYPE",
            RegistryError::InvalidField { .. } => "REGISTRY_FIELD_INVALID",
            RegistryError::KeyMismatch { .. } => "REGISTRY_KEY_MISMATCH",
            RegistryError::MalformedMessage { .. } => "QUEUE_MESSAGE_MALFORMED",
        }
    }

    /// The field it names.
    pub fn field(&self) -> &'static str {
        match self {
            RegistryError::MissingField { field }
            | RegistryError::WrongType { field, .. }
            | RegistryError::InvalidField { field, .. }
            | RegistryError::KeyMismatch { field, .. }
            | RegistryError::MalformedMessage { field, .. } => field,
        }
    }
}
