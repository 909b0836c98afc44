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
//!
//! A second, fixed confinement sits beside the deployment's path: the
//! service roles AWS's own policies expect at `SERVICE_ROLE_PATH` with a
//! service's name prefix (`TrustedService::service_role_name_prefix`:
//! Glue's `AWSGlueServiceRole`, which its managed policies pass only as
//! `role/AWSGlueServiceRole*` or `role/service-role/AWSGlueServiceRole*`).
//! A role may live there only when its trust names that service and its
//! name starts with that prefix; `template.yaml` lets the provisioner and
//! the guard reach exactly `role/service-role/AWSGlueServiceRole*`, with
//! the same boundary condition. It is not a parameter: a deployment
//! cannot widen it.

use thiserror::Error;

use super::{IntegrationSpec, RoleNaming, SERVICE_ROLE_PATH, Trust};
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
    #[error(
        "Path: {given} is outside {required}, where this Rolegate deployment makes roles (and /service-role/, for a Glue trust's role named AWSGlueServiceRole*)"
    )]
    OutsidePath { given: String, required: String },
    /// `/service-role/` for a role whose trust names no service with a
    /// service-role convention (only Glue has one).
    #[error(
        "Path: /service-role/ is for the service roles AWS's policies expect there ({expected}); this role's trust is {trust}: put it under {required}"
    )]
    NotAServiceRole {
        trust: String,
        expected: &'static str,
        required: String,
    },
    /// `/service-role/` for a service's role whose name lacks the prefix
    /// the service's policies pass.
    #[error(
        "{field}: {given} must start with {prefix} for a {service} role at /service-role/ (the service's managed policies pass only role/service-role/{prefix}*); rename it, or leave Path out for {required}"
    )]
    ServiceRoleName {
        field: &'static str,
        given: String,
        prefix: &'static str,
        service: &'static str,
        required: String,
    },
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
            RuleError::NotAServiceRole { .. } => "NOT_A_SERVICE_ROLE",
            RuleError::ServiceRoleName { .. } => "SERVICE_ROLE_NAME",
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
            if spec.path == SERVICE_ROLE_PATH {
                return service_role(spec, required);
            }
            return Err(RuleError::OutsidePath {
                given: spec.path.clone(),
                required: required.clone(),
            });
        }
        Ok(())
    }
}

/// The second confinement: a role at exactly `/service-role/` (IAM's
/// resource pattern `role/service-role/PREFIX*` matches no deeper path,
/// since a role name has no `/`) whose trust is a service with a
/// service-role name prefix, named with that prefix. A `RoleNamePrefix`
/// must start with it too: the generated name starts with the prefix.
fn service_role(spec: &IntegrationSpec, required: &str) -> Result<(), RuleError> {
    let expected = "Glue: Trust.Service glue, RoleName AWSGlueServiceRole*";
    let (service, prefix) = match &spec.trust {
        Trust::Service { service, .. } => match service.service_role_name_prefix() {
            Some(prefix) => (*service, prefix),
            None => {
                return Err(RuleError::NotAServiceRole {
                    trust: format!("Service {}", service.name()),
                    expected,
                    required: required.to_owned(),
                });
            }
        },
        _ => {
            return Err(RuleError::NotAServiceRole {
                trust: "a vendor's".to_owned(),
                expected,
                required: required.to_owned(),
            });
        }
    };
    let (field, given) = match &spec.role_name {
        RoleNaming::Name(name) => ("RoleName", name),
        RoleNaming::Prefix(p) => ("RoleNamePrefix", p),
    };
    if given.starts_with(prefix) {
        Ok(())
    } else {
        Err(RuleError::ServiceRoleName {
            field,
            given: given.clone(),
            prefix,
            service: service.name(),
            required: required.to_owned(),
        })
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

    fn glue(name: &str) -> Value {
        json!({"RoleName": name, "Path": "/service-role/", "Trust": {"Service": "glue"}})
    }

    #[test]
    fn a_glue_role_named_as_glue_expects_may_live_at_service_role() {
        let got = applied(glue("AWSGlueServiceRole-onemata")).expect("accepted");
        assert_eq!(got.path, "/service-role/");
        assert_eq!(boundary_of(&got), Some(BOUNDARY), "the same boundary");
        let mut prefixed = IntegrationSpec::from_properties(&json!({
            "RoleNamePrefix": "AWSGlueServiceRole-feeds",
            "Path": "/service-role/",
            "Trust": {"Service": "glue"},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
        }))
        .expect("a valid spec");
        assert_eq!(rules().apply(&mut prefixed), Ok(()));
    }

    #[test]
    fn service_role_refuses_another_name_naming_role_name() {
        let e = applied(glue("onemata-glue")).unwrap_err();
        assert_eq!(e.code(), "SERVICE_ROLE_NAME");
        assert!(
            e.to_string()
                .starts_with("RoleName: onemata-glue must start with AWSGlueServiceRole"),
            "{e}"
        );
    }

    #[test]
    fn service_role_refuses_a_trust_without_a_service_role_convention() {
        for trust in [
            json!({"Service": "redshift"}),
            json!({"Service": "ec2"}),
            json!({"Principals": ["966208727603"]}),
        ] {
            let mut extra = glue("AWSGlueServiceRole-x");
            extra["Trust"] = trust.clone();
            if trust.get("Principals").is_some() {
                extra["ExternalId"] = json!("vendor-ext-1234");
            }
            let e = applied(extra).unwrap_err();
            assert_eq!(e.code(), "NOT_A_SERVICE_ROLE", "{trust}");
            assert!(e.to_string().starts_with("Path: /service-role/"), "{e}");
        }
    }

    #[test]
    fn only_exactly_service_role_is_the_second_confinement() {
        for path in [
            "/service-role/glue/",
            "/service-rolex/",
            "/aws-service-role/",
        ] {
            let mut spec = glue("AWSGlueServiceRole-x");
            spec["Path"] = json!(path);
            let e = applied(spec).unwrap_err();
            assert_eq!(e.code(), "OUTSIDE_PATH", "{path}");
        }
    }

    #[test]
    fn an_unconfigured_deployment_changes_nothing() {
        let mut spec = spec(json!({"Path": "/admin/"}));
        let before = spec.clone();
        assert_eq!(DeploymentRules::default().apply(&mut spec), Ok(()));
        assert_eq!(spec, before);
    }
}
