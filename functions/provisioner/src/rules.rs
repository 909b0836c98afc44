//! What this deployment of Rolegate allows every spec, from the SAM
//! template: the permissions boundary every role gets and the path roles
//! live under. The provisioner's own IAM policy enforces both (CreateRole
//! only with that boundary, only under that path); checking them here first
//! turns an AccessDenied into a Reason that names the property.

use serde_json::Value;
use thiserror::Error;

use crate::event::{Action, Request};
use rolegate_policy::spec::DEFAULT_PATH;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// `ROLEGATE_PERMISSIONS_BOUNDARY_ARN`: set on every role that names
    /// none; a spec naming another boundary is refused.
    pub boundary_arn: Option<String>,
    /// `ROLEGATE_ROLE_PATH`: a spec's `Path` must be this or below it.
    pub role_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RuleError {
    #[error(
        "PermissionsBoundaryArn: {given} is not allowed; this Rolegate deployment gives every role the boundary {required} (leave PermissionsBoundaryArn out)"
    )]
    OtherBoundary { given: String, required: String },
    #[error("Path: {given} is outside {required}, where this Rolegate deployment makes roles")]
    OutsidePath { given: String, required: String },
}

impl Rules {
    pub fn from_env() -> Rules {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Rules {
            boundary_arn: var("ROLEGATE_PERMISSIONS_BOUNDARY_ARN"),
            role_path: var("ROLEGATE_ROLE_PATH"),
        }
    }

    /// The request with the boundary filled in, so the stored record (and
    /// every restore from it) carries it too. Deletes pass untouched.
    pub fn apply(&self, mut request: Request) -> Result<Request, RuleError> {
        if matches!(request.action, Action::Delete { .. }) {
            return Ok(request);
        }
        let Some(properties) = request.properties.as_object_mut() else {
            return Ok(request); // the spec parser names this
        };
        if let Some(required) = &self.boundary_arn {
            match properties.get("PermissionsBoundaryArn") {
                None | Some(Value::Null) => {
                    properties.insert(
                        "PermissionsBoundaryArn".into(),
                        Value::String(required.clone()),
                    );
                }
                Some(Value::String(given)) if given == required => {}
                Some(given) => {
                    return Err(RuleError::OtherBoundary {
                        given: given
                            .as_str()
                            .map_or_else(|| given.to_string(), str::to_owned),
                        required: required.clone(),
                    });
                }
            }
        }
        if let Some(required) = &self.role_path {
            let given = properties
                .get("Path")
                .and_then(Value::as_str)
                .unwrap_or(DEFAULT_PATH);
            if !given.starts_with(required.as_str()) {
                return Err(RuleError::OutsidePath {
                    given: given.to_owned(),
                    required: required.clone(),
                });
            }
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::ResponseTarget;
    use serde_json::json;

    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-boundary";

    fn rules() -> Rules {
        Rules {
            boundary_arn: Some(BOUNDARY.into()),
            role_path: Some("/integrations/".into()),
        }
    }

    fn request(properties: Value) -> Request {
        Request {
            action: Action::Create,
            target: ResponseTarget {
                response_url: String::new(),
                stack_id: String::new(),
                request_id: String::new(),
                logical_id: String::new(),
            },
            properties,
        }
    }

    #[test]
    fn a_spec_without_a_boundary_gets_the_deployments() {
        let applied = rules().apply(request(json!({"RoleName": "a"}))).unwrap();
        assert_eq!(applied.properties["PermissionsBoundaryArn"], BOUNDARY);
        let same = rules()
            .apply(request(json!({"PermissionsBoundaryArn": BOUNDARY})))
            .unwrap();
        assert_eq!(same.properties["PermissionsBoundaryArn"], BOUNDARY);
    }

    #[test]
    fn another_boundary_or_path_is_refused_naming_the_property() {
        let e = rules()
            .apply(request(
                json!({"PermissionsBoundaryArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
            ))
            .unwrap_err();
        assert!(e.to_string().starts_with("PermissionsBoundaryArn: "), "{e}");
        let e = rules()
            .apply(request(json!({"Path": "/admin/"})))
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Path: /admin/ is outside /integrations/"),
            "{e}"
        );
        assert!(
            rules()
                .apply(request(json!({"Path": "/integrations/vendors/"})))
                .is_ok()
        );
    }

    #[test]
    fn deletes_and_unconfigured_deployments_pass_untouched() {
        let mut delete = request(json!({"Path": "/admin/"}));
        delete.action = Action::Delete {
            physical_id: "x".into(),
        };
        assert_eq!(rules().apply(delete.clone()), Ok(delete));
        let plain = request(json!({"Path": "/admin/"}));
        assert_eq!(Rules::default().apply(plain.clone()), Ok(plain));
    }
}
