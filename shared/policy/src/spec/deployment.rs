//! What one deployment of Rolegate allows every spec, from its SAM
//! template: the permissions boundary every role gets and the path roles
//! live under. The provisioner's IAM policy enforces both (CreateRole only
//! with that boundary, only under that path); checking them on the spec
//! first turns an AccessDenied into a Reason that names the property.
//!
//! The rules apply to the parsed spec, as the fill step of the pipeline
//! (`reconcile::spec_to_role` takes them): the provisioner passes its
//! deployment's, `rolegate render` the ones it shows, the guard none (a
//! stored record was filled when it was sealed), so all see the same role.
//! A spec that breaks the parser is reported as such before any rule is
//! looked at: a rule speaks about a spec, and a boundary or path of the
//! wrong type is the parser's to name (`WRONG_TYPE`), not a rule's.

use thiserror::Error;

use super::IntegrationSpec;
use crate::arn::Arn;

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
    /// The deployment's own setting is wrong (the template gives the ARN
    /// of its `IntegrationBoundary`, so only a hand-set value can be).
    #[error(
        "PermissionsBoundaryArn: this Rolegate deployment's boundary {required} is not an IAM managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)"
    )]
    DeploymentBoundaryNotAPolicy { required: String },
}

impl RuleError {
    /// A stable code for the command line and logs.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::OtherBoundary { .. } => "OTHER_BOUNDARY",
            RuleError::OutsidePath { .. } => "OUTSIDE_PATH",
            RuleError::DeploymentBoundaryNotAPolicy { .. } => "DEPLOYMENT_BOUNDARY_NOT_A_POLICY",
        }
    }
}

impl DeploymentRules {
    /// Fills in the deployment's boundary on a spec that names none (the
    /// record's properties then carry it too: `reconcile::stored_properties`,
    /// so every restore keeps it), and refuses another boundary or a path
    /// outside the deployment's. Applying the rules twice changes nothing
    /// the first did not.
    pub fn apply(&self, spec: &mut IntegrationSpec) -> Result<(), RuleError> {
        if let Some(required) = &self.boundary_arn {
            match &spec.permissions_boundary_arn {
                None => spec.permissions_boundary_arn = Some(policy_arn(required)?),
                Some(given) if given.as_str() == required => {}
                Some(given) => {
                    return Err(RuleError::OtherBoundary {
                        given: given.as_str().to_owned(),
                        required: required.clone(),
                    });
                }
            }
        }
        if let Some(required) = &self.role_path
            && !spec.path.starts_with(required.as_str())
        {
            return Err(RuleError::OutsidePath {
                given: spec.path.clone(),
                required: required.clone(),
            });
        }
        Ok(())
    }
}

/// The deployment's boundary as the ARN of a managed policy, as the spec
/// parser reads a spec's own `PermissionsBoundaryArn`.
fn policy_arn(required: &str) -> Result<Arn, RuleError> {
    match Arn::parse(required) {
        Ok(arn) if arn.service() == "iam" && arn.resource_type() == Some("policy") => Ok(arn),
        _ => Err(RuleError::DeploymentBoundaryNotAPolicy {
            required: required.to_owned(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const BOUNDARY: &str = "arn:aws:iam::123456789012:policy/rolegate-boundary";

    fn rules() -> DeploymentRules {
        DeploymentRules {
            boundary_arn: Some(BOUNDARY.into()),
            role_path: Some("/integrations/".into()),
        }
    }

    fn spec(extra: Value) -> IntegrationSpec {
        let mut properties = json!({
            "RoleName": "a",
            "Trust": {"Service": "ec2"},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
        });
        if let (Some(object), Value::Object(extra)) = (properties.as_object_mut(), extra) {
            object.extend(extra);
        }
        IntegrationSpec::from_properties(&properties).expect("a valid spec")
    }

    fn applied(extra: Value) -> Result<IntegrationSpec, RuleError> {
        let mut spec = spec(extra);
        rules().apply(&mut spec).map(|()| spec)
    }

    fn boundary_of(spec: &IntegrationSpec) -> Option<&str> {
        spec.permissions_boundary_arn.as_ref().map(Arn::as_str)
    }

    #[test]
    fn a_spec_without_a_boundary_gets_the_deployments() {
        let got = applied(json!({})).expect("accepted");
        assert_eq!(boundary_of(&got), Some(BOUNDARY));
        let same = applied(json!({"PermissionsBoundaryArn": BOUNDARY})).expect("accepted");
        assert_eq!(boundary_of(&same), Some(BOUNDARY));
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
        assert_eq!(e.code(), "OUTSIDE_PATH");
        assert!(applied(json!({"Path": "/integrations/vendors/"})).is_ok());
    }

    #[test]
    fn applying_the_rules_twice_changes_nothing_the_first_did_not() {
        let once = applied(json!({})).expect("accepted");
        let mut twice = once.clone();
        assert_eq!(rules().apply(&mut twice), Ok(()));
        assert_eq!(twice, once);
    }

    #[test]
    fn a_deployment_boundary_that_is_no_policy_arn_is_refused_naming_it() {
        let bad = DeploymentRules {
            boundary_arn: Some("arn:aws:iam::123456789012:role/not-a-policy".into()),
            role_path: None,
        };
        let e = bad.apply(&mut spec(json!({}))).unwrap_err();
        assert_eq!(e.code(), "DEPLOYMENT_BOUNDARY_NOT_A_POLICY");
        assert!(e.to_string().contains("role/not-a-policy"), "{e}");
    }

    #[test]
    fn an_unconfigured_deployment_changes_nothing() {
        let mut spec = spec(json!({"Path": "/admin/"}));
        let before = spec.clone();
        assert_eq!(DeploymentRules::default().apply(&mut spec), Ok(()));
        assert_eq!(spec, before);
    }
}
