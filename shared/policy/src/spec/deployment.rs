//! What one deployment of Rolegate allows every spec, from its SAM
//! template: the permissions boundary every role gets and the path roles
//! live under. The provisioner's IAM policy enforces both (CreateRole only
//! with that boundary, only under that path); checking them on the spec
//! first turns an AccessDenied into a Reason that names the property. The
//! provisioner applies this rule to every request and `rolegate render`
//! to the spec it shows, so both see the same role.

use serde_json::{Map, Value};
use thiserror::Error;

use super::DEFAULT_PATH;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeploymentRules {
    /// Set on every spec that names no boundary; a spec naming another
    /// boundary is refused. `None`: no boundary rule.
    pub boundary_arn: Option<String>,
    /// A spec's `Path` must be this or below it. `None`: any path.
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

impl RuleError {
    /// A stable code for the command line and logs.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::OtherBoundary { .. } => "OTHER_BOUNDARY",
            RuleError::OutsidePath { .. } => "OUTSIDE_PATH",
        }
    }
}

impl DeploymentRules {
    /// Fills in the deployment's boundary, so the stored record (and every
    /// restore from it) carries it too, and refuses another boundary or a
    /// path outside the deployment's. A property of the wrong type is left
    /// for the spec parser, which names it.
    pub fn apply(&self, properties: &mut Map<String, Value>) -> Result<(), RuleError> {
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
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-boundary";

    fn rules() -> DeploymentRules {
        DeploymentRules {
            boundary_arn: Some(BOUNDARY.into()),
            role_path: Some("/integrations/".into()),
        }
    }

    fn applied(properties: Value) -> Result<Map<String, Value>, RuleError> {
        let mut map = properties.as_object().cloned().unwrap_or_default();
        rules().apply(&mut map).map(|()| map)
    }

    #[test]
    fn a_spec_without_a_boundary_gets_the_deployments() {
        let got = applied(json!({"RoleName": "a"})).unwrap();
        assert_eq!(got["PermissionsBoundaryArn"], BOUNDARY);
        let same = applied(json!({"PermissionsBoundaryArn": BOUNDARY})).unwrap();
        assert_eq!(same["PermissionsBoundaryArn"], BOUNDARY);
    }

    #[test]
    fn another_boundary_or_path_is_refused_naming_the_property() {
        let e = applied(
            json!({"PermissionsBoundaryArn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        )
        .unwrap_err();
        assert!(e.to_string().starts_with("PermissionsBoundaryArn: "), "{e}");
        assert_eq!(e.code(), "OTHER_BOUNDARY");
        let e = applied(json!({"Path": "/admin/"})).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Path: /admin/ is outside /integrations/"),
            "{e}"
        );
        assert!(applied(json!({"Path": "/integrations/vendors/"})).is_ok());
    }

    #[test]
    fn an_unconfigured_deployment_changes_nothing() {
        let mut map = json!({"Path": "/admin/"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let before = map.clone();
        assert_eq!(DeploymentRules::default().apply(&mut map), Ok(()));
        assert_eq!(map, before);
    }
}
