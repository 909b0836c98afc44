//! Why a policy document could not be read.

use thiserror::Error;

/// Why a policy document could not be read. Each variant names the JSON path.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyParseError {
    #[error("policy is not valid JSON: {0}")]
    Json(String),
    #[error("{}: unknown element {element:?}", display_path(path))]
    UnknownElement { path: String, element: String },
    #[error("{}: required element {element} is missing", display_path(path))]
    Missing { path: String, element: &'static str },
    #[error("{}: {first} and {second} cannot both be present", display_path(path))]
    Conflict {
        path: String,
        first: &'static str,
        second: &'static str,
    },
    #[error("{}: {reason}", display_path(path))]
    Invalid { path: String, reason: String },
}

impl PolicyParseError {
    /// Stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            PolicyParseError::Json(_) => "POLICY_NOT_JSON",
            PolicyParseError::UnknownElement { .. } => "POLICY_UNKNOWN_ELEMENT",
            PolicyParseError::Missing { .. } => "POLICY_MISSING_ELEMENT",
            PolicyParseError::Conflict { .. } => "POLICY_CONFLICTING_ELEMENTS",
            PolicyParseError::Invalid { .. } => "POLICY_INVALID_ELEMENT",
        }
    }
}

fn display_path(path: &str) -> &str {
    let p = path.strip_prefix('.').unwrap_or(path);
    if p.is_empty() { "policy" } else { p }
}
