//! What can be wrong with a file given to `render` or `lint` before any
//! spec or policy rule is applied: it is not readable YAML, it is neither a
//! template nor a spec, or a template's intrinsic function has no value.
//! Each message names what is missing and where; each has a stable code.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    #[error("not valid YAML: {message} (line {line}, column {column})")]
    NotYaml {
        line: usize,
        column: usize,
        message: String,
    },
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error(
        "neither a CloudFormation template (no Resources) nor an integration spec (none of its properties, such as Trust or Grants){found}"
    )]
    NotTemplateOrSpec {
        /// The keys found, for the reader to see what the file is.
        found: String,
    },
    #[error(
        "the template has no Custom::IntegrationRole resource (its resources: {resources}); Rolegate renders and lints only those"
    )]
    NoIntegrationResources { resources: String },
    #[error("{path}: !Ref {name} has no value: pass --param {name}=VALUE")]
    UnresolvedRef { name: String, path: String },
    #[error("{path}: !ImportValue {name} has no value: pass --param {name}=VALUE")]
    UnresolvedImport { name: String, path: String },
    #[error(
        "{path}: !GetAtt {resource}.{attribute} is known only once the stack is deployed: pass --param {resource}.{attribute}=VALUE"
    )]
    UnresolvedGetAtt {
        resource: String,
        attribute: String,
        path: String,
    },
    #[error("{path}: condition {name:?} is not in the template's Conditions")]
    UnknownCondition { name: String, path: String },
    #[error("{path}: {function} {rule}")]
    BadIntrinsic {
        path: String,
        function: String,
        rule: String,
    },
}

impl TemplateError {
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::NotYaml { .. } => "NOT_YAML",
            TemplateError::NotJson(_) => "NOT_JSON",
            TemplateError::NotTemplateOrSpec { .. } => "NOT_TEMPLATE_OR_SPEC",
            TemplateError::NoIntegrationResources { .. } => "NO_INTEGRATION_RESOURCES",
            TemplateError::UnresolvedRef { .. } => "UNRESOLVED_REF",
            TemplateError::UnresolvedImport { .. } => "UNRESOLVED_IMPORT",
            TemplateError::UnresolvedGetAtt { .. } => "UNRESOLVED_GETATT",
            TemplateError::UnknownCondition { .. } => "UNKNOWN_CONDITION",
            TemplateError::BadIntrinsic { .. } => "BAD_INTRINSIC",
        }
    }
}
