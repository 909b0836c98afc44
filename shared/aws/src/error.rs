use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata};
use thiserror::Error;

/// A failed AWS call, with the API it was and the error code AWS gave.
#[derive(Debug, Clone, Error)]
pub enum AwsError {
    #[error("IAM {operation} on role {role} failed: {message}")]
    Iam {
        operation: &'static str,
        role: String,
        code: Option<String>,
        message: String,
    },
    #[error("SSM {operation} on parameter {parameter} failed: {message}")]
    Ssm {
        operation: &'static str,
        parameter: String,
        code: Option<String>,
        message: String,
    },
    #[error("the role record in SSM parameter {parameter} is unreadable: {reason}")]
    CorruptRecord { parameter: String, reason: String },
    #[error("EventBridge PutEvents to {bus} failed: {message}")]
    EventBridge { bus: String, message: String },
    #[error("IAM returned role {role} without {field}")]
    IncompleteResponse { role: String, field: &'static str },
    #[error("KMS {operation} with key {key} failed: {message}")]
    Kms {
        operation: &'static str,
        key: String,
        code: Option<String>,
        message: String,
    },
    #[error(
        "ROLEGATE_RECORD_KEY_ID: not set; role records are sealed with that KMS HMAC key and none can be written without it"
    )]
    NoRecordKey,
}

impl AwsError {
    /// The AWS error code, such as `NoSuchEntity` or `EntityAlreadyExists`.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Iam { code, .. }
            | AwsError::Ssm { code, .. }
            | AwsError::Kms { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    pub fn is_code(&self, code: &str) -> bool {
        self.code() == Some(code)
    }
}

/// Code and message of an SDK error; the message falls back to the whole
/// error chain when AWS gave none (a timeout, a connection failure).
pub(crate) fn describe<E>(err: &E) -> (Option<String>, String)
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let code = err.code().map(str::to_owned);
    let message = match (err.code(), err.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_owned(),
        _ => DisplayErrorContext(err).to_string(),
    };
    (code, message)
}

pub(crate) fn iam<E>(operation: &'static str, role: &str, err: &E) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let (code, message) = describe(err);
    AwsError::Iam {
        operation,
        role: role.to_owned(),
        code,
        message,
    }
}
