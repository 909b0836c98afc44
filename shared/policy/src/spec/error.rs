use thiserror::Error;

use crate::arn::ArnError;
use crate::limits::Violation;

/// Why a set of `Custom::IntegrationRole` properties was refused.
///
/// Every variant carries `field`, the property path as the user wrote it
/// (`Grants[1].TableArn`), and its message states the rule that was broken.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SpecError {
    #[error("the integration spec is not valid JSON: {reason}")]
    NotJson { reason: String },
    #[error("{field}: unknown property (expected one of: {expected})")]
    UnknownProperty { field: String, expected: String },
    #[error("{field}: required property is missing")]
    MissingProperty { field: String },
    #[error("{field}: must be {expected}, found {found}")]
    WrongType {
        field: String,
        expected: &'static str,
        found: String,
    },
    #[error("{field}: cannot be combined with {other}")]
    Conflict { field: String, other: String },
    #[error("{field}: {value:?} is not one of: {expected}")]
    UnknownValue {
        field: String,
        value: String,
        expected: String,
    },
    #[error("{field}: must not be empty ({rule})")]
    Empty { field: String, rule: &'static str },
    #[error("{field}: {source}")]
    Rule {
        field: String,
        #[source]
        source: Violation,
    },
    #[error("{field}: {value:?} is not a valid ARN: {source}")]
    InvalidArn {
        field: String,
        value: String,
        #[source]
        source: ArnError,
    },
    #[error("{field}: {value:?} is not {expected}")]
    WrongArnKind {
        field: String,
        value: String,
        expected: &'static str,
    },
    #[error(
        "{field}: {value:?} is not a 12-digit AWS account ID, an IAM role ARN or an IAM user ARN"
    )]
    InvalidPrincipal { field: String, value: String },
    #[error(
        "{field}: {value:?} is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-')"
    )]
    InvalidBucketName { field: String, value: String },
    #[error("{field}: {value:?} {reason}")]
    InvalidPattern {
        field: String,
        value: String,
        reason: &'static str,
    },
    #[error("{field}: {value:?} is not an AWS region name such as eu-west-1")]
    InvalidRegion { field: String, value: String },
    #[error("{field}: {value:?} is not an IP address or CIDR block")]
    InvalidCidr { field: String, value: String },
    #[error("{field}: {value:?} is not an RFC 3339 UTC timestamp such as 2027-01-31T00:00:00Z")]
    InvalidTimestamp { field: String, value: String },
    #[error("{field}: {value:?} is not a 12-digit AWS account ID")]
    InvalidAccountId { field: String, value: String },
    #[error("{field}: duplicates {first}")]
    Duplicate { field: String, first: String },
    /// `Discovery: true` on a grant whose service has no reviewed listing
    /// action (`build::actions::DISCOVERY`).
    #[error(
        "{field}: Discovery is not offered for {service}: none of its listing actions is on Rolegate's reviewed list (offered for: {offered})"
    )]
    DiscoveryNotOffered {
        field: String,
        service: &'static str,
        offered: String,
    },
    /// A confused-deputy key the trusted service does not document sending
    /// when it assumes a role: IAM reads a condition on an absent key as
    /// false, so a trust requiring it could never be assumed.
    #[error(
        "{field}: {service} does not document sending {key} when it assumes a role ({doc}), so a trust requiring it could never be assumed; leave {field} out"
    )]
    SourceKeyNotSent {
        field: String,
        service: &'static str,
        key: &'static str,
        doc: &'static str,
    },
}

impl SpecError {
    /// Stable SCREAMING_SNAKE code for machines and tests.
    pub fn code(&self) -> &'static str {
        match self {
            SpecError::NotJson { .. } => "SPEC_NOT_JSON",
            SpecError::UnknownProperty { .. } => "UNKNOWN_PROPERTY",
            SpecError::MissingProperty { .. } => "MISSING_PROPERTY",
            SpecError::WrongType { .. } => "WRONG_TYPE",
            SpecError::Conflict { .. } => "CONFLICTING_PROPERTIES",
            SpecError::UnknownValue { .. } => "UNKNOWN_VALUE",
            SpecError::Empty { .. } => "EMPTY_VALUE",
            SpecError::Rule { source, .. } => source.code(),
            SpecError::InvalidArn { .. } => "INVALID_ARN",
            SpecError::WrongArnKind { .. } => "WRONG_ARN_KIND",
            SpecError::InvalidPrincipal { .. } => "INVALID_PRINCIPAL",
            SpecError::InvalidBucketName { .. } => "INVALID_BUCKET_NAME",
            SpecError::InvalidPattern { .. } => "INVALID_PATTERN",
            SpecError::InvalidRegion { .. } => "INVALID_REGION",
            SpecError::InvalidCidr { .. } => "INVALID_CIDR",
            SpecError::InvalidTimestamp { .. } => "INVALID_TIMESTAMP",
            SpecError::InvalidAccountId { .. } => "INVALID_ACCOUNT_ID",
            SpecError::Duplicate { .. } => "DUPLICATE",
            SpecError::DiscoveryNotOffered { .. } => "DISCOVERY_NOT_OFFERED",
            SpecError::SourceKeyNotSent { .. } => "SOURCE_KEY_NOT_SENT",
        }
    }

    /// The offending property path, or `""` when the whole document is at fault.
    pub fn field(&self) -> &str {
        match self {
            SpecError::NotJson { .. } => "",
            SpecError::UnknownProperty { field, .. }
            | SpecError::MissingProperty { field }
            | SpecError::WrongType { field, .. }
            | SpecError::Conflict { field, .. }
            | SpecError::UnknownValue { field, .. }
            | SpecError::Empty { field, .. }
            | SpecError::Rule { field, .. }
            | SpecError::InvalidArn { field, .. }
            | SpecError::WrongArnKind { field, .. }
            | SpecError::InvalidPrincipal { field, .. }
            | SpecError::InvalidBucketName { field, .. }
            | SpecError::InvalidPattern { field, .. }
            | SpecError::InvalidRegion { field, .. }
            | SpecError::InvalidCidr { field, .. }
            | SpecError::InvalidTimestamp { field, .. }
            | SpecError::InvalidAccountId { field, .. }
            | SpecError::Duplicate { field, .. }
            | SpecError::DiscoveryNotOffered { field, .. }
            | SpecError::SourceKeyNotSent { field, .. } => field,
        }
    }
}
