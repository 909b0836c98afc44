//! The one pipeline from spec to role, as one call, on typed inputs: the
//! parsed spec and the deployment's rules. Fill (the rules' boundary and
//! path, [`DeploymentRules::apply`]; the ExternalId, [`Filled`]), then
//! [`desired_role`] (build, prove, tag for the owner). The provisioner
//! runs it on each request, `rolegate render` on the spec it shows, the
//! guard on a stored record ([`RoleRecord::desired_state`]), so all three
//! want the same role for the same properties.
//!
//! Before it: [`IntegrationSpec::from_properties`] parses (callers need
//! the spec earlier for the role's name and path), so a parse error is
//! reported before a rule's.

use serde_json::Value;
use thiserror::Error;

use super::desired::{DesiredError, desired_role};
use super::fill::Filled;
use super::ownership::Owner;
use super::record::RoleRecord;
use crate::build::{BuildContext, DesiredRole};
use crate::spec::{DeploymentRules, IntegrationSpec};

/// A spec taken through the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOutput {
    /// The spec with the deployment's boundary and its ExternalId filled in.
    pub spec: IntegrationSpec,
    /// What the role record keeps: the properties with the filled
    /// boundary and ExternalId ([`Filled`]).
    pub properties: Value,
    /// The role, proven least privilege and tagged for its owner.
    pub role: DesiredRole,
    /// [`DesiredRole::digest`] of the role before the ownership tags.
    pub digest: String,
}

/// Why the pipeline stopped: the randomness the fill asked for failed, or
/// the spec does not make a role Rolegate may create (a rule refuses it:
/// [`DesiredError::Rule`]; or it does not build or prove).
#[derive(Debug, Error)]
pub enum PipelineError<E> {
    #[error(transparent)]
    Fill(E),
    #[error(transparent)]
    Desired(#[from] DesiredError),
}

/// `spec` (parsed from `properties`) to the role `owner` gets in `ctx`
/// under the deployment's `rules`. `carried` is the ExternalId an existing
/// role hands on; `fresh` draws one, and is called only for a new role
/// whose vendor trust needs one (never for a spec a rule refuses).
#[allow(clippy::too_many_arguments)]
pub fn spec_to_role<E>(
    properties: &Value,
    mut spec: IntegrationSpec,
    rules: &DeploymentRules,
    ctx: &BuildContext,
    owner: &Owner,
    carried: Option<String>,
    fresh: impl FnOnce() -> Result<String, E>,
) -> Result<PipelineOutput, PipelineError<E>> {
    rules.apply(&mut spec).map_err(DesiredError::from)?;
    let Filled { spec, properties } =
        Filled::new(properties, spec, carried, fresh).map_err(PipelineError::Fill)?;
    let (role, digest) = desired_role(&spec, ctx, owner)?;
    Ok(PipelineOutput {
        spec,
        properties,
        role,
        digest,
    })
}

impl PipelineError<DesiredError> {
    /// One error, when the fill's own failure is a [`DesiredError`].
    pub fn flatten(self) -> DesiredError {
        match self {
            PipelineError::Fill(e) | PipelineError::Desired(e) => e,
        }
    }
}

/// What a stored record says the role must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DesiredState {
    pub spec: IntegrationSpec,
    pub context: BuildContext,
    pub role: DesiredRole,
    pub digest: String,
}

impl RoleRecord {
    /// Re-runs the provisioner's pipeline on the stored properties. They
    /// were filled when the record was sealed (the deployment's boundary
    /// included), so no rule is applied and nothing is drawn: a vendor
    /// trust without its ExternalId fails as the builder would.
    pub fn desired_state(&self) -> Result<DesiredState, DesiredError> {
        let context = super::context_of_stack(&self.stack_id)?;
        let spec = IntegrationSpec::from_properties(&self.properties)?;
        let nothing_to_draw = || {
            Err(DesiredError::Build(
                crate::build::BuildError::MissingExternalId,
            ))
        };
        let made = spec_to_role(
            &self.properties,
            spec,
            &DeploymentRules::default(),
            &context,
            &self.owner(),
            None,
            nothing_to_draw,
        )
        .map_err(PipelineError::flatten)?;
        Ok(DesiredState {
            spec: made.spec,
            context,
            role: made.role,
            digest: made.digest,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use serde_json::json;

    use super::*;

    const STACK: &str = "arn:aws:cloudformation:us-east-1:123456789012:stack/s/1";

    fn owner() -> Owner {
        Owner {
            stack_id: STACK.into(),
            logical_id: "Role".into(),
        }
    }

    fn vendor_properties() -> Value {
        json!({
            "RoleName": "vendor",
            "Trust": {"Principals": ["966208727603"]},
            "Grants": [{"Service": "s3", "Access": "read", "Bucket": "vendor-bucket"}],
        })
    }

    #[test]
    fn the_guard_rebuilds_from_a_record_exactly_the_role_the_provisioner_made() {
        let properties = vendor_properties();
        let spec = IntegrationSpec::from_properties(&properties).expect("a valid spec");
        let ctx = BuildContext::new("123456789012", "us-east-1");
        let rules = DeploymentRules {
            boundary_arn: Some("arn:aws:iam::123456789012:policy/rolegate-boundary".into()),
            role_path: Some("/integrations/".into()),
        };
        let made = spec_to_role(&properties, spec, &rules, &ctx, &owner(), None, || {
            Ok::<_, Infallible>("drawn-id".to_owned())
        })
        .expect("the role builds and proves");
        assert!(made.role.permissions_boundary_arn.is_some());
        let record = RoleRecord {
            stack_id: STACK.into(),
            logical_resource_id: "Role".into(),
            role_arn: "arn:aws:iam::123456789012:role/integrations/vendor".into(),
            role_name: "vendor".into(),
            policy_digest: made.digest.clone(),
            properties: made.properties.clone(),
            quarantine: None,
        };
        let state = record.desired_state().expect("the record rebuilds");
        assert_eq!(state.role, made.role);
        assert_eq!(state.digest, made.digest);
        assert_eq!(state.spec.external_id.as_deref(), Some("drawn-id"));
    }

    #[test]
    fn a_spec_a_rule_refuses_draws_no_external_id_and_names_the_rule() {
        let mut properties = vendor_properties();
        properties["Path"] = json!("/admin/");
        let spec = IntegrationSpec::from_properties(&properties).expect("a valid spec");
        let rules = DeploymentRules {
            boundary_arn: None,
            role_path: Some("/integrations/".into()),
        };
        let ctx = BuildContext::new("123456789012", "us-east-1");
        let got = spec_to_role(&properties, spec, &rules, &ctx, &owner(), None, || {
            Err::<String, _>("no ExternalId may be drawn for a refused spec")
        });
        match got {
            Err(PipelineError::Desired(DesiredError::Rule(e))) => {
                assert_eq!(e.code(), "OUTSIDE_PATH");
            }
            other => panic!("expected the path rule's refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_record_missing_its_external_id_draws_none_and_fails_as_the_builder_does() {
        let record = RoleRecord {
            stack_id: STACK.into(),
            logical_resource_id: "Role".into(),
            role_arn: "arn:aws:iam::123456789012:role/integrations/vendor".into(),
            role_name: "vendor".into(),
            policy_digest: String::new(),
            properties: vendor_properties(),
            quarantine: None,
        };
        assert_eq!(
            record.desired_state(),
            Err(DesiredError::Build(
                crate::build::BuildError::MissingExternalId
            ))
        );
    }
}
